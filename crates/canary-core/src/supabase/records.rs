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

use serde_json::{Map, Value};

use super::errors::{classify, error_detail};
use super::keys::json_from_bytes;
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
    stdx::url::push_component(&mut url, rollout);
    url
}

fn get(url: String, config: &SupabaseConfig) -> Request {
    Request {
        url,
        headers: config.auth_headers(),
        delay_ms: 0,
        body: None,
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
        stdx::url::push_component(&mut url, &format_rfc3339(w.from));
        url.push_str("&signed_at=lt.");
        stdx::url::push_component(&mut url, &format_rfc3339(w.to));
    }
    url.push_str("&order=signed_at.asc,id.asc");
    get(url, config)
}

/// Records a sign-off.
pub fn submit_signoff_request(config: &SupabaseConfig, signoff: &NewSignoff) -> WriteRequest {
    // Built as a `Value` (whose writer the bundle has anyway), not through a derived writer.
    let criteria: Vec<Value> = signoff
        .criteria
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id,
                "criterion": c.criterion,
                "target": c.target,
                "value": c.value,
                "display": c.display,
                "status": criterion_status_text(c.status),
            })
        })
        .collect();
    let body = serde_json::json!({
        "rollout": signoff.rollout,
        "phase": signoff.phase,
        "decision": signoff.decision.as_str(),
        "criteria": criteria,
        "markdown": signoff.markdown,
        "markdown_sha256": signoff.markdown_sha256,
        "notes": signoff.notes,
        "supersedes": signoff.supersedes,
    });
    post(config, SIGNOFFS, body.to_string())
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

/// The fields of one row of PostgREST's JSON, read by name. The rows are read through
/// `serde_json::Value` (already in the bundle for other answers) rather than a derived reader
/// per table, which would add a copy of the JSON reader for each.
struct Row<'a> {
    table: &'static str,
    map: &'a Map<String, Value>,
}

impl<'a> Row<'a> {
    fn of(table: &'static str, value: &'a Value) -> Result<Row<'a>, RecordError> {
        match value {
            Value::Object(map) => Ok(Row { table, map }),
            _ => Err(malformed(table, "a row is not a JSON object")),
        }
    }

    fn missing(&self, key: &str) -> RecordError {
        malformed(
            self.table,
            &format!("the field {key:?} is missing or of the wrong type"),
        )
    }

    fn opt_str(&self, key: &str) -> Option<String> {
        self.map.get(key).and_then(Value::as_str).map(str::to_owned)
    }

    fn str(&self, key: &str) -> Result<String, RecordError> {
        self.opt_str(key).ok_or_else(|| self.missing(key))
    }

    fn opt_i64(&self, key: &str) -> Option<i64> {
        self.map.get(key).and_then(Value::as_i64)
    }

    fn i64(&self, key: &str) -> Result<i64, RecordError> {
        self.opt_i64(key).ok_or_else(|| self.missing(key))
    }

    fn phase(&self) -> Result<u8, RecordError> {
        self.opt_i64("phase")
            .and_then(|p| u8::try_from(p).ok())
            .ok_or_else(|| self.missing("phase"))
    }

    fn f64(&self, key: &str) -> Result<f64, RecordError> {
        self.map
            .get(key)
            .and_then(Value::as_f64)
            .ok_or_else(|| self.missing(key))
    }

    fn bool(&self, key: &str) -> Result<bool, RecordError> {
        self.map
            .get(key)
            .and_then(Value::as_bool)
            .ok_or_else(|| self.missing(key))
    }

    fn time(&self, key: &str) -> Result<Micros, RecordError> {
        let text = self.str(key)?;
        parse_timestamp(&text).map_err(|e| malformed(self.table, &e.to_string()))
    }

    fn opt_time(&self, key: &str) -> Result<Option<Micros>, RecordError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.time(key).map(Some),
        }
    }
}

fn malformed(table: &'static str, detail: &str) -> RecordError {
    RecordError::Malformed {
        table,
        detail: detail.to_owned(),
    }
}

fn criterion_status_text(status: CriterionStatus) -> &'static str {
    match status {
        CriterionStatus::Pass => "pass",
        CriterionStatus::Fail => "fail",
        CriterionStatus::Pending => "pending",
        CriterionStatus::NoData => "no_data",
    }
}

fn criterion_status(text: &str) -> Option<CriterionStatus> {
    Some(match text {
        "pass" => CriterionStatus::Pass,
        "fail" => CriterionStatus::Fail,
        "pending" => CriterionStatus::Pending,
        "no_data" => CriterionStatus::NoData,
        _ => return None,
    })
}

fn signoff_record(value: &Value) -> Result<SignoffRecord, RecordError> {
    let row = Row::of(SIGNOFFS, value)?;
    let decision = row
        .opt_str("decision")
        .and_then(|d| Decision::parse(&d))
        .ok_or_else(|| row.missing("decision"))?;
    let criteria = match row.map.get("criteria") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let c = Row::of(SIGNOFFS, item)?;
                Ok(CriterionRecord {
                    id: c.str("id")?,
                    criterion: c.opt_str("criterion").unwrap_or_default(),
                    target: c.opt_str("target").unwrap_or_default(),
                    value: c.map.get("value").and_then(Value::as_f64),
                    display: c.opt_str("display").unwrap_or_default(),
                    status: c
                        .opt_str("status")
                        .and_then(|s| criterion_status(&s))
                        .ok_or_else(|| c.missing("status"))?,
                })
            })
            .collect::<Result<Vec<_>, RecordError>>()?,
        _ => return Err(row.missing("criteria")),
    };
    Ok(SignoffRecord {
        id: row.i64("id")?,
        rollout: row.str("rollout")?,
        phase: row.phase()?,
        decision,
        criteria,
        markdown: row.str("markdown")?,
        markdown_sha256: row.str("markdown_sha256")?,
        notes: row.opt_str("notes"),
        supersedes: row.opt_i64("supersedes"),
        approver_id: row.str("approver_id")?,
        approver_email: row.opt_str("approver_email"),
        signed_at: row.time("signed_at")?,
    })
}

fn phase_setting(value: &Value) -> Result<PhaseSetting, RecordError> {
    let row = Row::of(PHASES, value)?;
    Ok(PhaseSetting {
        rollout: row.str("rollout")?,
        phase: row.phase()?,
        traffic_pct: row.f64("traffic_pct")?,
        starts_at: row.opt_time("starts_at")?,
        planned_hours: row.f64("planned_hours")?,
        fast_path_enabled: row.bool("fast_path_enabled")?,
        canary_sample_rate: row.f64("canary_sample_rate")?,
        updated_by_email: row.opt_str("updated_by_email"),
        updated_at: row.time("updated_at")?,
    })
}

fn tick(value: &Value) -> Result<Tick, RecordError> {
    let row = Row::of(TICKS, value)?;
    Ok(Tick {
        id: row.i64("id")?,
        rollout: row.str("rollout")?,
        phase: row.phase()?,
        item: row.str("item")?,
        ticked: row.bool("ticked")?,
        note: row.opt_str("note").unwrap_or_default(),
        ticked_by_email: row.opt_str("ticked_by_email"),
        ticked_at: row.time("ticked_at")?,
    })
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

/// The rows of a JSON array answer, each read by `read`.
fn rows<T>(
    table: &'static str,
    body: &[u8],
    read: fn(&Value) -> Result<T, RecordError>,
) -> Result<Vec<T>, RecordError> {
    match json_from_bytes(body) {
        Some(Value::Array(items)) => items.iter().map(read).collect(),
        _ => Err(malformed(table, "the answer is not a JSON array of rows")),
    }
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
    rows(SIGNOFFS, body, signoff_record)
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
    let record = rows(SIGNOFFS, body, signoff_record)?
        .into_iter()
        .next()
        .ok_or_else(|| malformed(SIGNOFFS, "no record came back"))?;
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
    rows(PHASES, body, phase_setting)
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
    rows(TICKS, body, tick)
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
             &signed_at=gte.2025-10-16T18%3A35%3A00Z&signed_at=lt.2025-10-17T18%3A35%3A00Z\
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
