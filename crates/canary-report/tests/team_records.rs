//! The team records of `sql/005_team_records.sql` (rollouts and phases, append-only sign-offs,
//! checklist ticks) through the real PostgREST 12.0.2 behind the gateway, with real JWTs, on the
//! stack `scripts/supabase-local.sh` starts (PostgreSQL 15, Supabase's roles, the users
//! oncall@ and lead@ (approvers), viewer@ (viewer) and outsider@ (not a member)):
//!
//! - a viewer, a non-member and the anon key alone cannot sign off; an approver cannot sign in
//!   another's name, choose the time, or change or delete a record; a non-member reads nothing;
//! - the database refuses a SHA-256 that is not the Markdown's;
//! - the change history of the phases is complete and in order;
//! - the CLI: `signoffs` (text and `--json`), `signoff --submit`, and `email`/`signoff` reading
//!   the shared phase start.
//!
//! `#[ignore]`d like `tests/supabase.rs`; run them with
//!
//! ```text
//! bash scripts/test.sh            # step "supabase"
//! bash scripts/supabase-local.sh run cargo test -p canary-report --test team_records -- --include-ignored
//! ```
//!
//! Without the stack's environment they FAIL. Each test uses rollouts of its own name.

use std::time::Duration;

use serde_json::{json, Value};

struct Stack {
    url: String,
    anon: String,
    /// oncall@example.com, an approver.
    oncall: String,
    /// lead@example.com, another approver.
    lead: String,
    /// viewer@example.com, a viewer.
    viewer: String,
    /// outsider@example.com, signed in but not a member.
    outsider: String,
}

impl Stack {
    fn from_env() -> Stack {
        let var = |name: &str| match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => v,
            _ => panic!(
                "{name} is not set: these tests need the local Supabase stand-in. Run `bash \
                 scripts/test.sh`, or `bash scripts/supabase-local.sh run cargo test -p \
                 canary-report --test team_records -- --include-ignored`"
            ),
        };
        Stack {
            url: var("CANARY_SUPABASE_URL"),
            anon: var("CANARY_SUPABASE_ANON_KEY"),
            oncall: var("CANARY_SUPABASE_USER_TOKEN"),
            lead: var("CANARY_SUPABASE_LEAD_TOKEN"),
            viewer: var("CANARY_SUPABASE_VIEWER_TOKEN"),
            outsider: var("CANARY_SUPABASE_OUTSIDER_TOKEN"),
        }
    }
}

/// One REST call as `token` (None: the anon key alone): the status and the JSON body.
fn rest(
    stack: &Stack,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let url = format!("{}/rest/v1/{path}", stack.url);
    let bearer = format!("Bearer {}", token.unwrap_or(&stack.anon));
    let answer = match method {
        "GET" => agent
            .get(&url)
            .header("apikey", &stack.anon)
            .header("Authorization", &bearer)
            .call(),
        "DELETE" => agent
            .delete(&url)
            .header("apikey", &stack.anon)
            .header("Authorization", &bearer)
            .call(),
        _ => {
            let request = match method {
                "POST" => agent.post(&url),
                "PATCH" => agent.patch(&url),
                other => panic!("method {other}"),
            };
            request
                .header("apikey", &stack.anon)
                .header("Authorization", &bearer)
                .header("Content-Type", "application/json")
                .header("Prefer", "return=representation")
                .send(body.unwrap_or(Value::Null).to_string().as_bytes())
        }
    };
    let mut answer = answer.expect("the gateway answers");
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().expect("a body");
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

fn sha256_hex(text: &str) -> String {
    canary_core::team::sha256_hex(text)
}

/// A rollout named `name` with phase 1 starting at `start`, set up by oncall (an approver).
fn set_up_rollout(stack: &Stack, name: &str, start: &str) {
    let (status, body) = rest(
        stack,
        Some(&stack.oncall),
        "POST",
        "canary_rollouts",
        Some(json!({ "name": name })),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = rest(
        stack,
        Some(&stack.oncall),
        "POST",
        "canary_rollout_phases",
        Some(
            json!({ "rollout": name, "phase": 1, "traffic_pct": 10, "starts_at": start, "planned_hours": 24 }),
        ),
    );
    assert_eq!(status, 201, "{body}");
}

fn signoff_body(rollout: &str, markdown: &str) -> Value {
    json!({
        "rollout": rollout,
        "phase": 1,
        "decision": "approve",
        "criteria": [{ "id": "error_rate", "value": 0.4, "display": "0.40%", "status": "pass" }],
        "markdown": markdown,
        "markdown_sha256": sha256_hex(markdown),
        "notes": "looks good",
    })
}

/// A unique rollout name for this run of a test.
fn rollout_name(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{test} {nanos}")
}

#[test]
#[ignore = "needs the local Supabase stand-in: bash scripts/test.sh"]
fn only_approvers_sign_and_only_in_their_own_name() {
    let stack = Stack::from_env();
    let rollout = rollout_name("rest sign");
    set_up_rollout(&stack, &rollout, "2025-10-16T18:35:00Z");
    let markdown =
        "# Phase 1 sign-off\n\n## Criteria for Phase 1 → Phase 2\n\n- [x] error rate 0.40 %\n";

    // Refused: a viewer, a non-member, the anon key alone.
    for (who, token) in [
        ("viewer", Some(stack.viewer.as_str())),
        ("outsider", Some(stack.outsider.as_str())),
        ("anon key", None),
    ] {
        let (status, body) = rest(
            &stack,
            token,
            "POST",
            "canary_signoffs",
            Some(signoff_body(&rollout, markdown)),
        );
        assert!(
            status == 401 || status == 403,
            "{who} signed off: {status} {body}"
        );
        assert_eq!(body["code"], "42501", "{who}: {body}");
    }

    // Refused: an approver naming another approver, another email, or a time of their choice.
    for (column, value) in [
        ("approver_id", json!("00000000-0000-4000-8000-000000000006")),
        ("approver_email", json!("lead@example.com")),
        ("signed_at", json!("2020-01-01T00:00:00Z")),
    ] {
        let mut body = signoff_body(&rollout, markdown);
        body[column] = value;
        let (status, answer) = rest(
            &stack,
            Some(&stack.oncall),
            "POST",
            "canary_signoffs",
            Some(body),
        );
        assert!(
            status == 401 || status == 403,
            "{column}: {status} {answer}"
        );
        assert_eq!(answer["code"], "42501", "{column}: {answer}");
    }

    // Refused: a SHA-256 that is not the Markdown's.
    let mut forged = signoff_body(&rollout, markdown);
    forged["markdown_sha256"] = json!(sha256_hex("another text"));
    let (status, answer) = rest(
        &stack,
        Some(&stack.oncall),
        "POST",
        "canary_signoffs",
        Some(forged),
    );
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "23514", "{answer}");

    // Accepted: the approver's own record, named from the JWT, timed by the database.
    let (status, answer) = rest(
        &stack,
        Some(&stack.oncall),
        "POST",
        "canary_signoffs",
        Some(signoff_body(&rollout, markdown)),
    );
    assert_eq!(status, 201, "{answer}");
    let record = &answer[0];
    assert_eq!(record["approver_email"], "oncall@example.com");
    assert_eq!(
        record["approver_id"],
        "00000000-0000-4000-8000-000000000001"
    );
    assert_eq!(record["markdown"], markdown);
    assert_eq!(record["markdown_sha256"], sha256_hex(markdown));
    let id = record["id"].as_i64().expect("an id");

    // Never changed nor deleted, by its author or anyone.
    for token in [&stack.oncall, &stack.lead] {
        let (status, answer) = rest(
            &stack,
            Some(token),
            "PATCH",
            &format!("canary_signoffs?id=eq.{id}"),
            Some(json!({ "decision": "rollback" })),
        );
        assert!(status == 401 || status == 403, "{status} {answer}");
        let (status, answer) = rest(
            &stack,
            Some(token),
            "DELETE",
            &format!("canary_signoffs?id=eq.{id}"),
            None,
        );
        assert!(status == 401 || status == 403, "{status} {answer}");
    }

    // A correction by the other approver supersedes it; a second correction of it is refused.
    let mut correction = signoff_body(&rollout, "# Phase 1 sign-off (corrected)\n");
    correction["supersedes"] = json!(id);
    correction["decision"] = json!("hold");
    let (status, answer) = rest(
        &stack,
        Some(&stack.lead),
        "POST",
        "canary_signoffs",
        Some(correction.clone()),
    );
    assert_eq!(status, 201, "{answer}");
    let (status, answer) = rest(
        &stack,
        Some(&stack.oncall),
        "POST",
        "canary_signoffs",
        Some(correction),
    );
    assert_eq!(status, 409, "{answer}");

    // Members read the history, complete and in order, with matching hashes; a non-member and
    // the anon key read nothing.
    let query = format!(
        "canary_signoffs?rollout=eq.{}&order=signed_at.asc,id.asc",
        urlencode(&rollout)
    );
    let (status, rows) = rest(&stack, Some(&stack.viewer), "GET", &query, None);
    assert_eq!(status, 200, "{rows}");
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["id"], id);
    assert_eq!(rows[0]["decision"], "approve");
    assert_eq!(rows[1]["supersedes"], id);
    assert_eq!(rows[1]["approver_email"], "lead@example.com");
    for row in rows {
        assert_eq!(
            row["markdown_sha256"].as_str(),
            Some(sha256_hex(row["markdown"].as_str().expect("markdown")).as_str())
        );
    }
    let (status, rows) = rest(&stack, Some(&stack.outsider), "GET", &query, None);
    assert_eq!((status, rows), (200, json!([])));
    let (status, _) = rest(&stack, None, "GET", &query, None);
    assert!(status == 401 || status == 403);
}

#[test]
#[ignore = "needs the local Supabase stand-in: bash scripts/test.sh"]
fn phase_changes_are_recorded_in_order_and_only_approvers_make_them() {
    let stack = Stack::from_env();
    let rollout = rollout_name("rest phases");
    set_up_rollout(&stack, &rollout, "2025-10-16T18:35:00Z");
    let phase = format!(
        "canary_rollout_phases?rollout=eq.{}&phase=eq.1",
        urlencode(&rollout)
    );

    let (status, answer) = rest(
        &stack,
        Some(&stack.lead),
        "PATCH",
        &phase,
        Some(json!({ "starts_at": "2025-10-16T19:00:00Z" })),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer[0]["updated_by_email"], "lead@example.com");
    // A viewer's change matches no row it may change: nothing changes.
    let (status, answer) = rest(
        &stack,
        Some(&stack.viewer),
        "PATCH",
        &phase,
        Some(json!({ "traffic_pct": 99 })),
    );
    assert_eq!((status, answer), (200, json!([])));
    // Nobody deletes a phase; nobody writes the history.
    let (status, _) = rest(&stack, Some(&stack.oncall), "DELETE", &phase, None);
    assert!(status == 401 || status == 403);
    let (status, _) = rest(
        &stack,
        Some(&stack.oncall),
        "POST",
        "canary_rollout_changes",
        Some(json!({ "table_name": "x", "rollout": rollout, "operation": "insert" })),
    );
    assert!(status == 401 || status == 403);
    let (status, answer) = rest(
        &stack,
        Some(&stack.oncall),
        "PATCH",
        &phase,
        Some(json!({ "traffic_pct": 12 })),
    );
    assert_eq!(status, 200, "{answer}");

    let (status, history) = rest(
        &stack,
        Some(&stack.viewer),
        "GET",
        &format!(
            "canary_rollout_changes?rollout=eq.{}&order=id.asc",
            urlencode(&rollout)
        ),
        None,
    );
    assert_eq!(status, 200, "{history}");
    let history = history.as_array().expect("rows");
    let summary: Vec<(String, String, String)> = history
        .iter()
        .map(|h| {
            (
                h["table_name"].as_str().unwrap_or("").to_owned(),
                h["operation"].as_str().unwrap_or("").to_owned(),
                h["changed_by_email"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expect = |t: &str, op: &str, by: &str| (t.to_owned(), op.to_owned(), by.to_owned());
    assert_eq!(
        summary,
        vec![
            expect("canary_rollouts", "insert", "oncall@example.com"),
            expect("canary_rollout_phases", "insert", "oncall@example.com"),
            expect("canary_rollout_phases", "update", "lead@example.com"),
            expect("canary_rollout_phases", "update", "oncall@example.com"),
        ]
    );
    assert_eq!(history[2]["old_row"]["traffic_pct"], 10.0);
    assert_eq!(history[3]["old_row"]["traffic_pct"], 10.0);
    assert_eq!(history[3]["new_row"]["traffic_pct"], 12.0);
    assert_ne!(
        history[2]["old_row"]["starts_at"],
        history[2]["new_row"]["starts_at"]
    );
    let (status, rows) = rest(
        &stack,
        Some(&stack.outsider),
        "GET",
        &format!("canary_rollout_changes?rollout=eq.{}", urlencode(&rollout)),
        None,
    );
    assert_eq!((status, rows), (200, json!([])));
}

#[test]
#[ignore = "needs the local Supabase stand-in: bash scripts/test.sh"]
fn ticks_are_records_and_the_state_is_the_latest() {
    let stack = Stack::from_env();
    let rollout = rollout_name("rest ticks");
    set_up_rollout(&stack, &rollout, "2025-10-16T18:35:00Z");
    for (token, ticked, note) in [
        (&stack.oncall, true, "dashboards fine"),
        (&stack.lead, false, "rechecking hour 4"),
    ] {
        let (status, answer) = rest(
            &stack,
            Some(token),
            "POST",
            "canary_checklist_ticks",
            Some(
                json!({ "rollout": rollout, "phase": 1, "item": "hour4", "ticked": ticked, "note": note }),
            ),
        );
        assert_eq!(status, 201, "{answer}");
    }
    let (status, answer) = rest(
        &stack,
        Some(&stack.viewer),
        "POST",
        "canary_checklist_ticks",
        Some(json!({ "rollout": rollout, "phase": 1, "item": "hour8", "ticked": true })),
    );
    assert!(status == 401 || status == 403, "{answer}");
    let (status, state) = rest(
        &stack,
        Some(&stack.viewer),
        "GET",
        &format!("canary_checklist_state?rollout=eq.{}", urlencode(&rollout)),
        None,
    );
    assert_eq!(status, 200, "{state}");
    assert_eq!(state.as_array().map(Vec::len), Some(1), "{state}");
    assert_eq!(state[0]["ticked"], false);
    assert_eq!(state[0]["ticked_by_email"], "lead@example.com");
    assert_eq!(state[0]["note"], "rechecking hour 4");
}

/// Percent-encodes a query value (the rollout names have spaces).
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// -------------------------------------------------------------------------------------------
// The CLI

/// Runs canary-report against the stack, signed in as `email` with the stand-in's password.
fn cli(stack: &Stack, args: &[&str], user: Option<(&str, &str)>) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_canary-report"));
    cmd.args(args)
        .env("SUPABASE_ANON_KEY", &stack.anon)
        .env_remove("SUPABASE_ACCESS_TOKEN")
        .env_remove("SUPABASE_EMAIL")
        .env_remove("SUPABASE_PASSWORD")
        .env_remove("SUPABASE_REFRESH_TOKEN_FILE");
    if let Some((email, password)) = user {
        cmd.env("SUPABASE_EMAIL", email)
            .env("SUPABASE_PASSWORD", password);
    }
    cmd.output().expect("canary-report runs")
}

const ONCALL: (&str, &str) = ("oncall@example.com", "canary-oncall-password");
const VIEWER: (&str, &str) = ("viewer@example.com", "canary-viewer-password");

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Sets phase 1 of `rollout` to 12.5 % for 6 h from `start` (as oncall, an approver).
fn set_phase_one(stack: &Stack, rollout: &str, start: &str) {
    let (status, answer) = rest(
        stack,
        Some(&stack.oncall),
        "PATCH",
        &format!(
            "canary_rollout_phases?rollout=eq.{}&phase=eq.1",
            urlencode(rollout)
        ),
        Some(json!({ "starts_at": start, "traffic_pct": 12.5, "planned_hours": 6 })),
    );
    assert_eq!(status, 200, "{answer}");
}

#[test]
#[ignore = "needs the local Supabase stand-in: bash scripts/test.sh"]
fn cli_submits_lists_and_reads_the_shared_phases() {
    let stack = Stack::from_env();
    let rollout = rollout_name("cli");
    set_up_rollout(&stack, &rollout, "2025-10-16T18:35:00Z");
    set_phase_one(&stack, &rollout, "2025-10-16T19:00:00Z");
    let url = stack.url.as_str();

    // A viewer cannot submit; nothing is recorded.
    let refused = cli(
        &stack,
        &[
            "signoff",
            "--supabase-url",
            url,
            "--name",
            &rollout,
            "--submit",
            "--decision",
            "approve",
            "--now",
            "2025-10-17T02:00:00Z",
        ],
        Some(VIEWER),
    );
    assert_eq!(refused.status.code(), Some(3), "{}", err(&refused));
    assert!(
        err(&refused)
            .contains("only the team's approvers may sign phases off, and you are a viewer"),
        "{}",
        err(&refused)
    );

    // The approver submits: the sign-off uses the shared phase (6 h from 19:00), names the
    // signed-in approver and the decision, and is printed as recorded.
    let submitted = cli(
        &stack,
        &[
            "signoff",
            "--supabase-url",
            url,
            "--name",
            &rollout,
            "--submit",
            "--decision",
            "approve",
            "--notes",
            "dashboards reviewed",
            "--now",
            "2025-10-17T02:00:00Z",
        ],
        Some(ONCALL),
    );
    assert!(submitted.status.success(), "{}", err(&submitted));
    let markdown = out(&submitted);
    assert!(markdown.contains("(12.5% traffic)"), "{markdown}");
    assert!(
        markdown.contains("- **Phase 1 Completion:** 2025-10-17 01:00 UTC"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- **Approved by:** oncall@example.com"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- **Decision:** Approve the next phase"),
        "{markdown}"
    );
    assert!(
        err(&submitted).contains("recorded sign-off"),
        "{}",
        err(&submitted)
    );

    // --phase-start still overrides the shared start.
    let overridden = cli(
        &stack,
        &[
            "signoff",
            "--supabase-url",
            url,
            "--name",
            &rollout,
            "--phase-start",
            "2025-10-16T20:00:00Z",
            "--now",
            "2025-10-17T02:00:00Z",
        ],
        Some(VIEWER),
    );
    assert!(overridden.status.success(), "{}", err(&overridden));
    assert!(
        out(&overridden).contains("- **Phase 1 Completion:** 2025-10-17 02:00 UTC"),
        "{}",
        out(&overridden)
    );

    // A viewer lists it: the same Markdown, its hash, the approver from the JWT.
    let listed = cli(
        &stack,
        &[
            "signoffs",
            "--supabase-url",
            url,
            "--name",
            &rollout,
            "--json",
        ],
        Some(VIEWER),
    );
    assert!(listed.status.success(), "{}", err(&listed));
    let records: Value = serde_json::from_str(&out(&listed)).expect("JSON");
    let records = records.as_array().expect("an array");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["markdown"], markdown.as_str());
    assert_eq!(records[0]["markdown_sha256"], sha256_hex(&markdown));
    assert_eq!(records[0]["approver_email"], "oncall@example.com");
    assert_eq!(records[0]["decision"], "approve");
    assert_eq!(records[0]["notes"], "dashboards reviewed");
    assert!(records[0]["criteria"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));
    let id = records[0]["id"].as_i64().expect("an id");

    // A correction by the approver supersedes it; the text listing shows both.
    let corrected = cli(
        &stack,
        &[
            "signoff",
            "--supabase-url",
            url,
            "--name",
            &rollout,
            "--submit",
            "--decision",
            "hold",
            "--supersedes",
            &id.to_string(),
            "--now",
            "2025-10-17T02:00:00Z",
        ],
        Some(ONCALL),
    );
    assert!(corrected.status.success(), "{}", err(&corrected));
    let again = cli(
        &stack,
        &[
            "signoff",
            "--supabase-url",
            url,
            "--name",
            &rollout,
            "--submit",
            "--decision",
            "hold",
            "--supersedes",
            &id.to_string(),
            "--now",
            "2025-10-17T02:00:00Z",
        ],
        Some(ONCALL),
    );
    assert_eq!(again.status.code(), Some(3));
    assert!(
        err(&again).contains("that sign-off was already corrected by someone else"),
        "{}",
        err(&again)
    );
    let text_list = cli(
        &stack,
        &["signoffs", "--supabase-url", url, "--name", &rollout],
        Some(VIEWER),
    );
    assert!(text_list.status.success(), "{}", err(&text_list));
    let listing = out(&text_list);
    let lines: Vec<&str> = listing.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert!(
        lines[0].starts_with(&format!(
            "#{id} Phase 1 → 2 approved by oncall@example.com at "
        )),
        "{listing}"
    );
    assert!(lines[0].contains("; corrected by #"), "{listing}");
    assert!(
        lines[1].contains("Phase 1 held by oncall@example.com at "),
        "{listing}"
    );
    assert!(lines[1].contains(&format!("; corrects #{id}")), "{listing}");
    assert!(
        lines
            .iter()
            .all(|l| l.ends_with("; SHA-256 matches its Markdown")),
        "{listing}"
    );

    // The daily email of the day the records were made lists them, and reads the shared phase.
    let now = canary_core::time::format_rfc3339(
        (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_micros()) as i64,
    );
    let email = cli(
        &stack,
        &[
            "email",
            "--supabase-url",
            url,
            "--name",
            &rollout,
            "--now",
            &now,
        ],
        Some(VIEWER),
    );
    assert!(email.status.success(), "{}", err(&email));
    let email = out(&email);
    assert!(email.contains("Phase 1 (12.5% traffic, 6 h) is complete: 2025-10-16 19:00 UTC to 2025-10-17 01:00 UTC."), "{email}");
    assert!(
        email.contains(
            "## Sign-offs in this period\n\n- Phase 1 → 2 approved by oncall@example.com at "
        ),
        "{email}"
    );
    assert!(email.contains(", correcting record "), "{email}");

    // A project outside the period has none; a rollout never set up has none either.
    let old = cli(
        &stack,
        &[
            "email",
            "--supabase-url",
            url,
            "--name",
            &rollout,
            "--date",
            "2025-10-17",
        ],
        Some(VIEWER),
    );
    assert!(
        out(&old).contains("## Sign-offs in this period\n\nNone.\n"),
        "{}",
        out(&old)
    );
    let unknown = cli(
        &stack,
        &["signoffs", "--supabase-url", url, "--name", "never set up"],
        Some(VIEWER),
    );
    assert!(unknown.status.success(), "{}", err(&unknown));
    assert_eq!(
        out(&unknown),
        "No sign-offs recorded for the rollout \"never set up\".\n"
    );
    // A non-member is told so.
    let outsider = cli(
        &stack,
        &["signoffs", "--supabase-url", url, "--name", &rollout],
        Some(("outsider@example.com", "canary-outsider-password")),
    );
    assert_eq!(outsider.status.code(), Some(3));
    assert!(
        err(&outsider).contains("not a member of this team"),
        "{}",
        err(&outsider)
    );
}
