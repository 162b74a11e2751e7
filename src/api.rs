//! All network access of the app: the backend's health URL and Supabase's REST API.
//! Wire formats become core types here and nowhere else.

use canary_core::EventStore;

/// Why a request failed, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Network(String),
    #[error("the server answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    /// The URL is not an absolute http(s) URL (nothing was requested).
    #[error("{url:?} is not a usable URL: {reason}. Enter an absolute http:// or https:// address, e.g. https://api.example.com/health")]
    InvalidUrl { url: String, reason: String },
    /// `fetch` rejected with a TypeError: the browser gives the same error for an unreachable
    /// server and for a CORS refusal, and tells the page nothing more (the console says which).
    #[error("the request failed before any answer: the server is unreachable, or it does not allow this page's origin (CORS). The browser said: {0}")]
    Unreachable(String),
    /// A 2xx answer whose body is not JSON.
    #[error(
        "the server answered HTTP {status}, but not with JSON ({reason}); the body starts: {start}"
    )]
    NotJson {
        status: u16,
        reason: String,
        start: String,
    },
}

/// A backend's answer to its health URL.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthResponse {
    /// The URL asked.
    pub url: String,
    /// The HTTP status (2xx).
    pub status: u16,
    /// From sending the request to having the whole body, in milliseconds.
    pub elapsed_ms: f64,
    /// The body, parsed.
    pub json: serde_json::Value,
}

/// How much of a body an error quotes, in characters.
const BODY_START_CHARS: usize = 200;

/// The start of a body for an error message: trimmed, at most [`BODY_START_CHARS`] characters.
pub fn body_start(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut start: String = body.chars().take(BODY_START_CHARS).collect();
    if start.len() < body.len() {
        start.push('…');
    }
    start
}

/// Checks a health URL before any request: an absolute `http://` or `https://` URL with a host
/// and no spaces. Returns it trimmed.
pub fn check_health_url(url: &str) -> Result<String, ApiError> {
    let trimmed = url.trim();
    let invalid = |reason: &str| ApiError::InvalidUrl {
        url: trimmed.to_owned(),
        reason: reason.to_owned(),
    };
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    let lower = trimmed.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &trimmed[8..]
    } else if lower.starts_with("http://") {
        &trimmed[7..]
    } else {
        return Err(invalid("it does not start with http:// or https://"));
    };
    if trimmed.chars().any(char::is_whitespace) {
        return Err(invalid("it contains a space"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.strip_prefix('[').map_or_else(
        || host.split(':').next().unwrap_or(""),
        |v6| v6.split(']').next().unwrap_or(""),
    );
    if host.is_empty() {
        return Err(invalid("it has no host name"));
    }
    Ok(trimmed.to_owned())
}

/// Judges an answer: a 2xx status with a JSON body, or the error that says what came instead.
pub fn read_health_body(status: u16, body: &str) -> Result<serde_json::Value, ApiError> {
    if !(200..300).contains(&status) {
        return Err(ApiError::Status {
            status,
            body: body_start(body),
        });
    }
    serde_json::from_str(body).map_err(|e| ApiError::NotJson {
        status,
        reason: e.to_string(),
        start: body_start(body),
    })
}

/// Fetches a backend's health URL (a plain GET, no credentials) and parses its JSON.
pub async fn fetch_health(url: &str) -> Result<HealthResponse, ApiError> {
    let url = check_health_url(url)?;
    let request = gloo_net::http::Request::get(&url)
        .build()
        .map_err(|e| ApiError::InvalidUrl {
            url: url.clone(),
            reason: format!("the browser refused it ({e})"),
        })?;
    let started = crate::clock::now();
    let response = request
        .send()
        .await
        .map_err(|e| ApiError::Unreachable(e.to_string()))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| {
        ApiError::Network(format!(
            "the server answered HTTP {status}, but the body could not be read: {e}"
        ))
    })?;
    let elapsed_ms = (crate::clock::now() - started) as f64 / 1000.0;
    let json = read_health_body(status, &body)?;
    Ok(HealthResponse {
        url,
        status,
        elapsed_ms,
        json,
    })
}

/// Reads the whole `observability_events` table of a Supabase project.
pub async fn read_supabase(_url: &str, _key: &str) -> Result<EventStore, ApiError> {
    Err(ApiError::Network(
        "Reading from Supabase is not available in this build.".to_owned(),
    ))
}

/// Checks a project URL and key before any request: a usable URL, and never a key that
/// bypasses Row Level Security.
pub fn check_supabase_settings(url: &str, key: &str) -> Result<(), String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err("Enter the project URL, e.g. https://abcd.supabase.co".to_owned());
    }
    if key.is_empty() {
        return Err("Enter the project's anon key or a signed-in user's access token.".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod health_tests {
    use super::*;

    fn check_url(url: &str, expected: Result<&str, &str>) {
        match (check_health_url(url), expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want),
            (Err(ApiError::InvalidUrl { reason, .. }), Err(want)) => {
                assert!(reason.contains(want), "{url}: {reason}")
            }
            (got, want) => panic!("{url}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn health_url_table() {
        check_url(
            " https://backend.fly.dev/health ",
            Ok("https://backend.fly.dev/health"),
        );
        check_url("HTTP://127.0.0.1:9/health", Ok("HTTP://127.0.0.1:9/health"));
        check_url("http://[::1]:8080/", Ok("http://[::1]:8080/"));
        check_url("", Err("empty"));
        check_url("backend.fly.dev/health", Err("http:// or https://"));
        check_url("ftp://x/health", Err("http:// or https://"));
        check_url("https:///health", Err("no host"));
        check_url("https://user@:80/", Err("no host"));
        check_url("https://a b/health", Err("space"));
    }

    #[test]
    fn health_body_table() {
        assert_eq!(
            read_health_body(200, r#"{"status":"ok"}"#),
            Ok(serde_json::json!({"status": "ok"}))
        );
        let e = read_health_body(503, "  Service Unavailable\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the server answered HTTP 503: Service Unavailable"
        );
        let e = read_health_body(200, "<!doctype html><p>hi</p>").unwrap_err();
        assert!(matches!(e, ApiError::NotJson { status: 200, .. }), "{e:?}");
        assert!(e
            .to_string()
            .ends_with("the body starts: <!doctype html><p>hi</p>"));
        assert_eq!(
            read_health_body(404, "").unwrap_err().to_string(),
            "the server answered HTTP 404: (empty body)"
        );
        let long = "é".repeat(500);
        let start = body_start(&long);
        assert_eq!(start.chars().count(), BODY_START_CHARS + 1);
        assert!(start.ends_with('…'));
        assert!(ApiError::Unreachable("TypeError: Failed to fetch".into())
            .to_string()
            .starts_with("the request failed before any answer: the server is unreachable, or it does not allow this page's origin (CORS)"));
    }
}
