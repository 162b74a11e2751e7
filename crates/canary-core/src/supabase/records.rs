//! The team records of `sql/005_team_records.sql` over PostgREST, sans-IO: requests out,
//! answers in, converted from the wire into [`crate::team`]'s values here, at the edge.
//!
//! - phase settings: `GET canary_rollout_phases?rollout=eq.<name>` → [`PhaseSetting`]s;
//! - sign-offs: `GET canary_signoffs?rollout=eq.<name>&order=signed_at.asc,id.asc` (optionally
//!   of a period) → [`SignoffRecord`]s; `POST canary_signoffs` with a [`NewSignoff`] → the
//!   recorded [`SignoffRecord`], with who and when as the database set them;
//! - checklist: `GET canary_checklist_state?rollout=eq.<name>&phase=eq.<n>` → the latest
//!   [`Tick`] of each item; `POST canary_checklist_ticks` → the recorded [`Tick`].
//!
//! Refusals are [`RecordError`]s a user can act on: only approvers sign and tick, a hash that is
//! not the Markdown's, a record already corrected by someone else, a rollout not set up, a
//! project without the migration.

use std::fmt;

use serde::Deserialize;

use super::errors::{classify, error_detail};
use super::plan::push_encoded;
use super::team::TEAM_MIGRATION;
use super::{Request, SupabaseConfig, SupabaseError};
use crate::event::Micros;
use crate::metrics::Window;
use crate::phases::CriterionStatus;
use crate::team::{CriterionRecord, Decision, NewSignoff, PhaseSetting, SignoffRecord, Tick};
use crate::time::{format_rfc3339, parse_timestamp};

/// The migration that creates the team records.
pub const RECORDS_MIGRATION: &str = "sql/005_team_records.sql";

/// The HTTP method of a [`WriteRequest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Post,
}

/// A request that records something. Headers carry the key and the token: `Debug` shows only
/// the method and URL.
#[derive(Clone, PartialEq, Eq)]
pub struct WriteRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// JSON.
    pub body: String,
}

impl fmt::Debug for WriteRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &"<redacted>")
            .finish()
    }
}

/// Why a team record could not be read or written, each with what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("only the team's approvers may {what} ({detail}): you are signed in as a viewer, or not as a team member; sign in as an approver, or ask a team admin to make you one (README: \"Rollouts and sign-offs\")")]
    NotApprover { what: &'static str, detail: String },
    #[error("the database refused the sign-off because its SHA-256 is not the Markdown's ({detail}): the Markdown changed on the way; render the sign-off again and submit it")]
    HashMismatch { detail: String },
    #[error("that sign-off was already corrected by someone else ({detail}): reload the history and correct the newest record")]
    AlreadyCorrected { detail: String },
    #[error("there is no rollout {rollout:?} in this project ({detail}): an approver sets it up first (README: \"Rollouts and sign-offs\"), or use the rollout's exact name")]
    UnknownRollout { rollout: String, detail: String },
    #[error("the project has no team records ({detail}): run {RECORDS_MIGRATION} after {TEAM_MIGRATION} (Supabase: SQL Editor → paste the file → Run)")]
    MigrationMissing { detail: String },
    #[error("the database refused the record ({detail}): check the values (the phase is 1 to 9, notes at most 20,000 characters)")]
    Invalid { detail: String },
    #[error("the answer is not what PostgREST sends for {table} ({detail}): check that the URL is the project URL (https://<project-ref>.supabase.co)")]
    Malformed { table: &'static str, detail: String },
    #[error(transparent)]
    Supabase(#[from] SupabaseError),
}

const SIGNOFFS: &str = "canary_signoffs";
const PHASES: &str = "canary_rollout_phases";
const TICKS: &str = "canary_checklist_ticks";
const CHECKLIST_STATE: &str = "canary_checklist_state";

fn table_url(config: &SupabaseConfig, table: &str) -> String {
    format!("{}/rest/v1/{table}", config.project_url())
}

/// `…/rest/v1/<table>?rollout=eq.<name>`.
fn rollout_url(config: &SupabaseConfig, table: &str, rollout: &str) -> String {
    let mut url = table_url(config, table);
    url.push_str("?rollout=eq.");
    push_encoded(&mut url, rollout);
    url
}

fn get(url: String, config: &SupabaseConfig) -> Request {
    Request {
        url,
        headers: config.auth_headers(),
        delay_ms: 0,
    }
}

fn post(config: &SupabaseConfig, table: &str, body: String) -> WriteRequest {
    let mut headers = config.auth_headers();
    headers.push(("Content-Type", "application/json".to_owned()));
    // The recorded row back, with the id, who and when the database set.
    headers.push(("Prefer", "return=representation".to_owned()));
    WriteRequest {
        method: Method::Post,
        url: table_url(config, table),
        headers,
        body,
    }
}

/// The phases the team set for `rollout`.
pub fn phases_request(config: &SupabaseConfig, rollout: &str) -> Request {
    let mut url = rollout_url(config, PHASES, rollout);
    url.push_str("&order=phase.asc");
    get(url, config)
}

/// The sign-offs of `rollout`, oldest first; only those signed in `period` when given.
pub fn signoffs_request(config: &SupabaseConfig, rollout: &str, period: Option<Window>) -> Request {
    let mut url = rollout_url(config, SIGNOFFS, rollout);
    if let Some(w) = period {
        url.push_str("&signed_at=gte.");
        push_encoded(&mut url, &format_rfc3339(w.from));
        url.push_str("&signed_at=lt.");
        push_encoded(&mut url, &format_rfc3339(w.to));
    }
    url.push_str("&order=signed_at.asc,id.asc");
    get(url, config)
}

/// Records a sign-off.
pub fn submit_signoff_request(config: &SupabaseConfig, signoff: &NewSignoff) -> WriteRequest {
    post(
        config,
        SIGNOFFS,
        serde_json::to_string(signoff).unwrap_or_default(),
    )
}

/// The current tick of each checklist item of a phase.
pub fn checklist_request(config: &SupabaseConfig, rollout: &str, phase: u8) -> Request {
    let mut url = rollout_url(config, CHECKLIST_STATE, rollout);
    url.push_str(&format!("&phase=eq.{phase}&order=item.asc"));
    get(url, config)
}

/// Records a tick (or untick) with its note.
pub fn tick_request(
    config: &SupabaseConfig,
    rollout: &str,
    phase: u8,
    item: &str,
    ticked: bool,
    note: &str,
) -> WriteRequest {
    let body = serde_json::json!({
        "rollout": rollout,
        "phase": phase,
        "item": item,
        "ticked": ticked,
        "note": note,
    });
    post(config, TICKS, body.to_string())
}

// ---------------------------------------------------------------------------------------------
// Answers

#[derive(Deserialize)]
struct WireCriterion {
    id: String,
    #[serde(default)]
    criterion: String,
    #[serde(default)]
    target: String,
    value: Option<f64>,
    #[serde(default)]
    display: String,
    status: CriterionStatus,
}

#[derive(Deserialize)]
struct WireSignoff {
    id: i64,
    rollout: String,
    phase: u8,
    decision: Decision,
    criteria: Vec<WireCriterion>,
    markdown: String,
    markdown_sha256: String,
    notes: Option<String>,
    supersedes: Option<i64>,
    approver_id: String,
    approver_email: Option<String>,
    signed_at: String,
}

#[derive(Deserialize)]
struct WirePhase {
    rollout: String,
    phase: u8,
    traffic_pct: f64,
    starts_at: Option<String>,
    planned_hours: f64,
    fast_path_enabled: bool,
    canary_sample_rate: f64,
    updated_at: String,
    updated_by_email: Option<String>,
}

#[derive(Deserialize)]
struct WireTick {
    id: i64,
    rollout: String,
    phase: u8,
    item: String,
    ticked: bool,
    note: String,
    ticked_by_email: Option<String>,
    ticked_at: String,
}

fn time(table: &'static str, text: &str) -> Result<Micros, RecordError> {
    parse_timestamp(text).map_err(|e| RecordError::Malformed {
        table,
        detail: e.to_string(),
    })
}

impl WireSignoff {
    fn into_record(self) -> Result<SignoffRecord, RecordError> {
        Ok(SignoffRecord {
            signed_at: time(SIGNOFFS, &self.signed_at)?,
            id: self.id,
            rollout: self.rollout,
            phase: self.phase,
            decision: self.decision,
            criteria: self
                .criteria
                .into_iter()
                .map(|c| CriterionRecord {
                    id: c.id,
                    criterion: c.criterion,
                    target: c.target,
                    value: c.value,
                    display: c.display,
                    status: c.status,
                })
                .collect(),
            markdown: self.markdown,
            markdown_sha256: self.markdown_sha256,
            notes: self.notes,
            supersedes: self.supersedes,
            approver_id: self.approver_id,
            approver_email: self.approver_email,
        })
    }
}

impl WirePhase {
    fn into_setting(self) -> Result<PhaseSetting, RecordError> {
        Ok(PhaseSetting {
            starts_at: self
                .starts_at
                .as_deref()
                .map(|t| time(PHASES, t))
                .transpose()?,
            updated_at: time(PHASES, &self.updated_at)?,
            rollout: self.rollout,
            phase: self.phase,
            traffic_pct: self.traffic_pct,
            planned_hours: self.planned_hours,
            fast_path_enabled: self.fast_path_enabled,
            canary_sample_rate: self.canary_sample_rate,
            updated_by_email: self.updated_by_email,
        })
    }
}

impl WireTick {
    fn into_tick(self) -> Result<Tick, RecordError> {
        Ok(Tick {
            ticked_at: time(TICKS, &self.ticked_at)?,
            id: self.id,
            rollout: self.rollout,
            phase: self.phase,
            item: self.item,
            ticked: self.ticked,
            note: self.note,
            ticked_by_email: self.ticked_by_email,
        })
    }
}

/// What a refused request was trying to do, for the messages.
#[derive(Clone, Copy)]
enum Action {
    Read,
    Sign(Option<i64>),
    Tick,
}

fn refusal(
    config: &SupabaseConfig,
    table: &'static str,
    action: Action,
    rollout: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> RecordError {
    let detail = error_detail(content_type, body);
    let code = detail.split(' ').next().unwrap_or("");
    let writing = !matches!(action, Action::Read);
    match code {
        "42501" if writing => RecordError::NotApprover {
            what: match action {
                Action::Tick => "tick checklist items",
                _ => "sign phases off",
            },
            detail,
        },
        "23514" if detail.contains("sha256") => RecordError::HashMismatch { detail },
        "23514" | "22P02" | "22001" | "23502" => RecordError::Invalid { detail },
        "23505" if matches!(action, Action::Sign(Some(_))) => {
            RecordError::AlreadyCorrected { detail }
        }
        "23503" => RecordError::UnknownRollout {
            rollout: rollout.to_owned(),
            detail,
        },
        "PGRST205" | "42P01" => RecordError::MigrationMissing { detail },
        _ => RecordError::Supabase(classify(
            status,
            content_type,
            body,
            config.role(),
            &table_url(config, table),
        )),
    }
}

fn rows<W: for<'de> Deserialize<'de>>(
    table: &'static str,
    body: &[u8],
) -> Result<Vec<W>, RecordError> {
    serde_json::from_slice(body).map_err(|e| RecordError::Malformed {
        table,
        detail: e.to_string(),
    })
}

/// Reads the answer to [`signoffs_request`].
pub fn read_signoffs(
    config: &SupabaseConfig,
    rollout: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<SignoffRecord>, RecordError> {
    if !(200..300).contains(&status) {
        return Err(refusal(
            config,
            SIGNOFFS,
            Action::Read,
            rollout,
            status,
            content_type,
            body,
        ));
    }
    rows::<WireSignoff>(SIGNOFFS, body)?
        .into_iter()
        .map(WireSignoff::into_record)
        .collect()
}

/// Reads the answer to [`submit_signoff_request`]: the record as stored.
pub fn read_submitted(
    config: &SupabaseConfig,
    signoff: &NewSignoff,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<SignoffRecord, RecordError> {
    if !(200..300).contains(&status) {
        return Err(refusal(
            config,
            SIGNOFFS,
            Action::Sign(signoff.supersedes),
            &signoff.rollout,
            status,
            content_type,
            body,
        ));
    }
    let record = rows::<WireSignoff>(SIGNOFFS, body)?
        .into_iter()
        .next()
        .ok_or_else(|| RecordError::Malformed {
            table: SIGNOFFS,
            detail: "no record came back".to_owned(),
        })?
        .into_record()?;
    if record.markdown_sha256 != signoff.markdown_sha256 {
        return Err(RecordError::Malformed {
            table: SIGNOFFS,
            detail: "the stored record's SHA-256 is not the submitted one".to_owned(),
        });
    }
    Ok(record)
}

/// Reads the answer to [`phases_request`].
pub fn read_phases(
    config: &SupabaseConfig,
    rollout: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<PhaseSetting>, RecordError> {
    if !(200..300).contains(&status) {
        return Err(refusal(
            config,
            PHASES,
            Action::Read,
            rollout,
            status,
            content_type,
            body,
        ));
    }
    rows::<WirePhase>(PHASES, body)?
        .into_iter()
        .map(WirePhase::into_setting)
        .collect()
}

/// Reads the answer to [`checklist_request`] or [`tick_request`].
pub fn read_ticks(
    config: &SupabaseConfig,
    rollout: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<Tick>, RecordError> {
    if !(200..300).contains(&status) {
        let action = if status == 401 || status == 403 {
            Action::Tick
        } else {
            Action::Read
        };
        return Err(refusal(
            config,
            TICKS,
            action,
            rollout,
            status,
            content_type,
            body,
        ));
    }
    rows::<WireTick>(TICKS, body)?
        .into_iter()
        .map(WireTick::into_tick)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::sha256_hex;

    const ANON: &str =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiIsImV4cCI6NDEwMjQ0NDgwMH0.sig";
    const USER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTc2NzIyNTYwMH0.sig";

    fn config() -> SupabaseConfig {
        SupabaseConfig::new("https://abc.supabase.co", ANON)
            .unwrap()
            .with_access_token(USER)
            .unwrap()
    }

    fn signoff(supersedes: Option<i64>) -> NewSignoff {
        NewSignoff::new(
            "Checkout & co",
            1,
            Decision::Approve,
            &[],
            "# Sign-off → ok\n".into(),
            Some("fine"),
            supersedes,
        )
    }

    const ROW: &str = r##"[{"id":7,"rollout":"Checkout & co","phase":1,"decision":"approve",
        "criteria":[{"id":"error_rate","criterion":"Error rate","target":"< 0.5 %","value":0.4,"display":"0.40 %","status":"pass"},
                    {"id":"p95","criterion":"P95","target":"< 500 ms","value":null,"display":"no data","status":"no_data"}],
        "markdown":"# Sign-off → ok\n","markdown_sha256":"HASH","notes":"fine","supersedes":null,
        "approver_id":"00000000-0000-4000-8000-000000000001","approver_email":"oncall@example.com",
        "signed_at":"2025-10-16T18:35:00.123456+00:00"}]"##;

    fn row() -> String {
        ROW.replace("HASH", &sha256_hex("# Sign-off → ok\n"))
    }

    #[test]
    fn requests_name_the_rollout_encoded_and_carry_the_headers() {
        let c = config();
        let window = Window::new(1_760_639_700_000_000, 1_760_726_100_000_000);
        let r = signoffs_request(&c, "Checkout & co", window);
        assert_eq!(
            r.url,
            "https://abc.supabase.co/rest/v1/canary_signoffs?rollout=eq.Checkout%20%26%20co\
             &signed_at=gte.2025-10-16T18:35:00Z&signed_at=lt.2025-10-17T18:35:00Z\
             &order=signed_at.asc,id.asc"
        );
        assert_eq!(r.headers, c.auth_headers());
        assert_eq!(
            phases_request(&c, "r").url,
            "https://abc.supabase.co/rest/v1/canary_rollout_phases?rollout=eq.r&order=phase.asc"
        );
        assert_eq!(
            checklist_request(&c, "r", 2).url,
            "https://abc.supabase.co/rest/v1/canary_checklist_state?rollout=eq.r&phase=eq.2&order=item.asc"
        );
        let w = submit_signoff_request(&c, &signoff(None));
        assert_eq!(w.url, "https://abc.supabase.co/rest/v1/canary_signoffs");
        assert!(w
            .headers
            .contains(&("Prefer", "return=representation".to_owned())));
        let body: serde_json::Value = serde_json::from_str(&w.body).unwrap();
        // Only the columns a person supplies: who and when are the database's.
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "criteria",
                "decision",
                "markdown",
                "markdown_sha256",
                "notes",
                "phase",
                "rollout",
                "supersedes"
            ]
        );
        assert!(!format!("{w:?}").contains(USER), "Debug redacts the token");
        let t = tick_request(&c, "r", 1, "hour4", true, "ok");
        assert_eq!(
            t.url,
            "https://abc.supabase.co/rest/v1/canary_checklist_ticks"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&t.body).unwrap(),
            serde_json::json!({"rollout":"r","phase":1,"item":"hour4","ticked":true,"note":"ok"})
        );
    }

    fn check_signoffs(status: u16, body: &str, expected: Result<usize, &str>) {
        let got = read_signoffs(
            &config(),
            "r",
            status,
            Some("application/json"),
            body.as_bytes(),
        );
        match (&got, expected) {
            (Ok(g), Ok(n)) => assert_eq!(g.len(), n, "{body}"),
            (Err(g), Err(e)) => assert!(g.to_string().starts_with(e), "{body}:\n  got {g}"),
            _ => panic!("{body}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn answers_become_records_or_errors() {
        check_signoffs(200, "[]", Ok(0));
        check_signoffs(200, &row(), Ok(1));
        let r = &read_signoffs(&config(), "r", 200, None, row().as_bytes()).unwrap()[0];
        assert_eq!(r.signed_at, 1_760_639_700_123_456);
        assert!(r.hash_matches());
        assert_eq!(r.criteria[1].value, None);
        assert_eq!(r.criteria[1].status, CriterionStatus::NoData);
        assert_eq!(r.approver(), "oncall@example.com");
        check_signoffs(
            200,
            "<html>",
            Err("the answer is not what PostgREST sends for canary_signoffs"),
        );
        check_signoffs(
            200,
            &row().replace("2025-10-16T18:35:00.123456+00:00", "yesterday"),
            Err("the answer is not what PostgREST sends"),
        );
        check_signoffs(
            200,
            &row().replace("\"approve\"", "\"maybe\""),
            Err("the answer is not what PostgREST sends"),
        );
        check_signoffs(
            404,
            r#"{"code":"PGRST205","message":"Could not find the table 'public.canary_signoffs' in the schema cache"}"#,
            Err("the project has no team records"),
        );
        check_signoffs(
            401,
            r#"{"code":"PGRST301","message":"JWT expired"}"#,
            Err("the token has expired"),
        );
    }

    fn check_submit(supersedes: Option<i64>, status: u16, body: &str, expected: Result<i64, &str>) {
        let s = signoff(supersedes);
        let got = read_submitted(
            &config(),
            &s,
            status,
            Some("application/json"),
            body.as_bytes(),
        );
        match (&got, expected) {
            (Ok(g), Ok(id)) => assert_eq!(g.id, id, "{body}"),
            (Err(g), Err(e)) => assert!(g.to_string().starts_with(e), "{body}:\n  got {g}"),
            _ => panic!("{body}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn refusals_say_what_to_do() {
        check_submit(None, 201, &row(), Ok(7));
        check_submit(
            None,
            201,
            "[]",
            Err("the answer is not what PostgREST sends"),
        );
        check_submit(
            None,
            403,
            r#"{"code":"42501","message":"new row violates row-level security policy for table \"canary_signoffs\""}"#,
            Err("only the team's approvers may sign phases off"),
        );
        check_submit(
            None,
            400,
            r#"{"code":"23514","message":"new row for relation \"canary_signoffs\" violates check constraint \"canary_signoffs_sha256_matches\""}"#,
            Err("the database refused the sign-off because its SHA-256"),
        );
        check_submit(
            Some(3),
            409,
            r#"{"code":"23505","message":"duplicate key value violates unique constraint \"canary_signoffs_superseded_once\""}"#,
            Err("that sign-off was already corrected"),
        );
        check_submit(
            None,
            409,
            r#"{"code":"23503","message":"insert or update on table \"canary_signoffs\" violates foreign key constraint"}"#,
            Err("there is no rollout \"Checkout & co\""),
        );
        check_submit(
            None,
            400,
            r#"{"code":"22P02","message":"invalid input"}"#,
            Err("the database refused the record"),
        );
        let ticks = read_ticks(
            &config(),
            "r",
            403,
            None,
            br#"{"code":"42501","message":"new row violates row-level security policy"}"#,
        );
        assert!(ticks
            .unwrap_err()
            .to_string()
            .starts_with("only the team's approvers may tick"));
    }

    #[test]
    fn phases_and_ticks_from_the_wire() {
        let body = br#"[{"rollout":"r","phase":1,"traffic_pct":10,"starts_at":"2025-10-16T18:35:00+00:00",
            "planned_hours":24,"fast_path_enabled":true,"canary_sample_rate":0.1,
            "updated_at":"2025-10-16T18:00:00+00:00","updated_by":"x","updated_by_email":"lead@example.com"},
            {"rollout":"r","phase":2,"traffic_pct":50,"starts_at":null,"planned_hours":24,
            "fast_path_enabled":true,"canary_sample_rate":0.1,"updated_at":"2025-10-16T18:00:00+00:00",
            "updated_by":null,"updated_by_email":null}]"#;
        let p = read_phases(&config(), "r", 200, None, body).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].starts_at, Some(1_760_639_700_000_000));
        assert_eq!(p[1].starts_at, None);
        assert_eq!(p[0].updated_by_email.as_deref(), Some("lead@example.com"));
        assert!(read_phases(&config(), "r", 200, None, b"[]")
            .unwrap()
            .is_empty());
        let t = read_ticks(
            &config(),
            "r",
            200,
            None,
            br#"[{"id":3,"rollout":"r","phase":1,"item":"hour4","ticked":true,"note":"ok","ticked_by":"x",
                 "ticked_by_email":"oncall@example.com","ticked_at":"2025-10-16T19:00:00Z"}]"#,
        )
        .unwrap();
        assert_eq!(
            (t[0].item.as_str(), t[0].ticked, t[0].id),
            ("hour4", true, 3)
        );
    }
}
