//! What can go wrong in a read, each with what to do about it, and the typed error of a
//! PostgREST or gateway error answer.

use serde_json::Value;

use super::keys::json_from_bytes;
use super::team::TEAM_MIGRATION;
use super::{MIGRATION, TABLE};

/// Why a Supabase read could not be done, each with what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SupabaseError {
    #[error("the project URL {url:?} is not usable: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("the {what} is not a Supabase key: {reason}. Use the project's anon or publishable key (Supabase dashboard: Project Settings → API Keys)")]
    KeyFormat { what: &'static str, reason: String },
    #[error("refusing {what}: it bypasses Row Level Security (it reads and writes every row), so it must never be in a browser, a page's storage or a report. Use the project's anon or publishable key instead (Project Settings → API Keys), and sign in as a user to read data only signed-in users may read")]
    SecretKey { what: &'static str },
    #[error("the key belongs to project {key_ref:?} but the URL is project {url_ref:?}: use the key and URL of the same project (Project Settings → API Keys)")]
    KeyForOtherProject { key_ref: String, url_ref: String },
    #[error("the {what} expired at {at}: get a fresh one (sign in again for a user token) before reading")]
    Expired { what: &'static str, at: String },
    #[error("the gateway got no API key (401: {detail}): send the project's anon or publishable key in the apikey header")]
    MissingKey { detail: String },
    #[error("the key was not accepted (401: {detail}): use this project's anon or publishable key (Project Settings → API Keys); if you also gave a user token, sign in again for a new one")]
    WrongKey { detail: String },
    #[error("the token has expired (401: {detail}): sign in again for a fresh access token")]
    JwtExpired { detail: String },
    #[error("permission denied for the role {role:?} ({status}: {detail}): {MIGRATION} lets only signed-in users (role authenticated) read {TABLE}; sign in as a user of the project, or grant this role select and give it a policy")]
    PermissionDenied {
        status: u16,
        role: String,
        detail: String,
    },
    #[error("not a member of this team: {who}. {TEAM_MIGRATION} lets only team members read {TABLE}: ask a team admin to add your account (README: Reading from Supabase, \"Add your team\"), or sign in with your team account")]
    NotMember { who: String },
    #[error("the table {TABLE} does not exist in this project ({detail}): create it with {MIGRATION} (Supabase: SQL Editor → paste the file → Run)")]
    TableMissing { detail: String },
    #[error("{TABLE} lacks a column the console reads ({detail}): compare the table with {MIGRATION} and add what is missing")]
    ColumnMissing { detail: String },
    #[error("PostgREST could not parse the request's filter (PGRST100: {detail}): check that the window's times are RFC 3339 (e.g. 2025-10-16T18:35:00Z)")]
    BadFilter { detail: String },
    #[error("not found (404: {detail}): check the project URL {url:?} (it looks like https://<project-ref>.supabase.co)")]
    NotFound { url: String, detail: String },
    #[error("could not reach {url} ({detail}): check the project URL and the network connection; in a browser a blocked request (CORS, an ad blocker, offline) fails the same way")]
    Network { url: String, detail: String },
    #[error("the server answered {status} {attempts} times in a row ({detail}): Supabase is {}; try again in a minute", if *status == 429 { "rate limiting this client" } else { "unavailable" })]
    RetriesExhausted {
        status: u16,
        attempts: u32,
        detail: String,
    },
    #[error("the answer is not {TABLE} data from PostgREST ({detail}): check that the URL is the project URL (https://<project-ref>.supabase.co), not the dashboard's or another site's")]
    Malformed { detail: String },
    #[error("the server answered {status}: {detail}")]
    Http { status: u16, detail: String },
    #[error("the project has no rollups ({detail}): apply sql/004_rollups.sql (Supabase: SQL Editor → paste the file → Run), or read the rows with --exact")]
    RollupsMissing { detail: String },
}

/// Something a finished read should tell the user, though it is not an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadWarning {
    #[error("no rows in the window for the role {role:?}: either {TABLE} has none there, or Row Level Security hides them from this role ({hint})")]
    NoRows { role: String, hint: &'static str },
}

/// A PostgREST error body (`{"code","message","details","hint"}`) or a gateway's
/// (`{"message","hint"}`).
#[derive(Default)]
struct ErrorBody {
    code: Option<String>,
    message: String,
}

fn error_body(content_type: Option<&str>, body: &[u8]) -> ErrorBody {
    if let Some(Value::Object(map)) = json_from_bytes(body) {
        let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
        let parts: Vec<String> = ["message", "details", "hint"]
            .into_iter()
            .filter_map(text)
            .filter(|s| !s.is_empty())
            .collect();
        return ErrorBody {
            code: text("code"),
            message: parts.join("; "),
        };
    }
    let is_html = content_type.is_some_and(|t| t.contains("html"))
        || body.trim_ascii_start().starts_with(b"<");
    let message = if is_html {
        "a web page (HTML) came back".to_owned()
    } else if body.is_empty() {
        "no body".to_owned()
    } else {
        let text = String::from_utf8_lossy(body);
        let flat: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect();
        flat.trim().to_owned()
    };
    ErrorBody {
        code: None,
        message,
    }
}

pub(super) fn error_detail(content_type: Option<&str>, body: &[u8]) -> String {
    let e = error_body(content_type, body);
    match e.code {
        Some(code) => format!("{code} {}", e.message),
        None => e.message,
    }
}

/// The typed error of a non-2xx answer that is not retried.
pub(super) fn classify(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    role: &str,
    url: &str,
) -> SupabaseError {
    let e = error_body(content_type, body);
    let detail = match &e.code {
        Some(code) => format!("{code} {}", e.message),
        None => e.message.clone(),
    };
    let expired = e.message.to_ascii_lowercase().contains("expired");
    match e.code.as_deref() {
        // v12 reports every JWT problem as PGRST301; v13 moved claim checks (exp) to PGRST303.
        Some("PGRST301" | "PGRST303") if expired => SupabaseError::JwtExpired { detail },
        Some("PGRST301" | "PGRST303") => SupabaseError::WrongKey { detail },
        // Anonymous access disabled: a user must sign in.
        Some("PGRST302" | "42501") => SupabaseError::PermissionDenied {
            status,
            role: role.to_owned(),
            detail,
        },
        Some("42P01" | "PGRST205") => SupabaseError::TableMissing { detail },
        Some("42703" | "PGRST204") => SupabaseError::ColumnMissing { detail },
        Some("PGRST100") => SupabaseError::BadFilter { detail },
        _ => match status {
            401 if e.message.contains("No API key") => SupabaseError::MissingKey { detail },
            401 if expired => SupabaseError::JwtExpired { detail },
            401 => SupabaseError::WrongKey { detail },
            403 => SupabaseError::PermissionDenied {
                status,
                role: role.to_owned(),
                detail,
            },
            404 => SupabaseError::NotFound {
                url: url.to_owned(),
                detail,
            },
            _ => SupabaseError::Http { status, detail },
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::store::EventStore;
    use crate::supabase::test_support::config;
    use crate::supabase::{PagedRead, ReadPlan};

    fn check_error(status: u16, content_type: Option<&str>, body: &str, expected: &str) {
        let mut read = PagedRead::new(&config(), ReadPlan::window(None, None));
        let mut store = EventStore::new();
        let mut batch = store.batch();
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| ("content-type", t))
            .into_iter()
            .collect();
        let got = read.on_response(status, &headers, body.as_bytes(), &mut batch);
        assert_eq!(
            got.map_err(|e| e.to_string()),
            Err(expected.to_owned()),
            "{status} {body}"
        );
        assert!(
            read.next_request().is_none(),
            "{status} {body}: the read goes on"
        );
    }

    #[test]
    fn error_answers_become_messages_a_user_can_act_on() {
        check_error(
            401,
            None,
            r#"{"message":"No API key found in request","hint":"No `apikey` request header or url param was found."}"#,
            "the gateway got no API key (401: No API key found in request; No `apikey` request header or url param was found.): send the project's anon or publishable key in the apikey header",
        );
        check_error(
            401,
            None,
            r#"{"message":"Invalid API key"}"#,
            "the key was not accepted (401: Invalid API key): use this project's anon or publishable key (Project Settings → API Keys); if you also gave a user token, sign in again for a new one",
        );
        check_error(
            401,
            None,
            r#"{"code":"PGRST301","details":null,"hint":null,"message":"JWSError JWSInvalidSignature"}"#,
            "the key was not accepted (401: PGRST301 JWSError JWSInvalidSignature): use this project's anon or publishable key (Project Settings → API Keys); if you also gave a user token, sign in again for a new one",
        );
        check_error(
            401,
            None,
            r#"{"code":"PGRST301","details":null,"hint":null,"message":"JWT expired"}"#,
            "the token has expired (401: PGRST301 JWT expired): sign in again for a fresh access token",
        );
        check_error(
            401,
            None,
            r#"{"code":"PGRST303","details":null,"hint":null,"message":"JWT expired"}"#,
            "the token has expired (401: PGRST303 JWT expired): sign in again for a fresh access token",
        );
        check_error(
            401,
            None,
            r#"{"code":"42501","details":null,"hint":null,"message":"permission denied for table observability_events"}"#,
            "permission denied for the role \"anon\" (401: 42501 permission denied for table observability_events): sql/001_observability_events.sql lets only signed-in users (role authenticated) read observability_events; sign in as a user of the project, or grant this role select and give it a policy",
        );
        check_error(
            404,
            None,
            r#"{"code":"42P01","details":null,"hint":null,"message":"relation \"public.observability_events\" does not exist"}"#,
            "the table observability_events does not exist in this project (42P01 relation \"public.observability_events\" does not exist): create it with sql/001_observability_events.sql (Supabase: SQL Editor → paste the file → Run)",
        );
        check_error(
            404,
            None,
            r#"{"code":"PGRST205","details":null,"hint":"Perhaps you meant the table 'public.events'","message":"Could not find the table 'public.observability_events' in the schema cache"}"#,
            "the table observability_events does not exist in this project (PGRST205 Could not find the table 'public.observability_events' in the schema cache; Perhaps you meant the table 'public.events'): create it with sql/001_observability_events.sql (Supabase: SQL Editor → paste the file → Run)",
        );
        check_error(
            400,
            None,
            r#"{"code":"42703","details":null,"hint":null,"message":"column observability_events.details does not exist"}"#,
            "observability_events lacks a column the console reads (42703 column observability_events.details does not exist): compare the table with sql/001_observability_events.sql and add what is missing",
        );
        check_error(
            400,
            None,
            r#"{"code":"PGRST100","details":"unexpected \"x\" expecting \"not\" or operator (eq, gt, ...)","hint":null,"message":"\"failed to parse filter (x)\" (line 1, column 1)"}"#,
            "PostgREST could not parse the request's filter (PGRST100: PGRST100 \"failed to parse filter (x)\" (line 1, column 1); unexpected \"x\" expecting \"not\" or operator (eq, gt, ...)): check that the window's times are RFC 3339 (e.g. 2025-10-16T18:35:00Z)",
        );
        check_error(
            404,
            Some("text/html"),
            "<html>nope</html>",
            "not found (404: a web page (HTML) came back): check the project URL \"https://abc.supabase.co/rest/v1/observability_events\" (it looks like https://<project-ref>.supabase.co)",
        );
        check_error(
            200,
            Some("text/html; charset=utf-8"),
            "<!doctype html><title>Dashboard</title>",
            "the answer is not observability_events data from PostgREST (a web page (HTML) came back): check that the URL is the project URL (https://<project-ref>.supabase.co), not the dashboard's or another site's",
        );
        check_error(
            200,
            None,
            "[{\"i\":1,",
            "the answer is not observability_events data from PostgREST (unexpected CSV column \"[{\\\"i\\\":1\" (was text/csv asked of PostgREST?)): check that the URL is the project URL (https://<project-ref>.supabase.co), not the dashboard's or another site's",
        );
        check_error(418, None, "teapot\n", "the server answered 418: teapot");
    }
}
