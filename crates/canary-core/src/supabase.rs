//! Reading `observability_events` from a Supabase project (PostgREST behind Supabase's gateway),
//! sans-IO: this module builds requests and digests responses; a transport (the CLI's blocking
//! HTTP client, the app's `fetch`) only moves bytes. No I/O, no clock, no sleeping here.
//!
//! - [`SupabaseConfig`]: the project URL and the key, checked before anything is sent. A
//!   `service_role` JWT or an `sb_secret_` key is refused: it bypasses Row Level Security and
//!   must never sit in a browser or a report. The key's `exp` is reported so a caller can say
//!   "expired" before a request.
//! - [`PagedRead`]: the state machine of one read. Keyset paging (`order=id.asc&id=gt.<last>`),
//!   never offsets; correct when the server caps pages below the requested `limit`
//!   (`db-max-rows`: a short page ends a stream only once the page size is known, else the
//!   next, empty, page does); progress with the planned row count; bounded retries with a pure
//!   [`Backoff`] on 429, 5xx and transport failures; typed [`SupabaseError`]s a user can act on,
//!   and a [`ReadWarning`] when a read sees no rows (Row Level Security may hide them).
//! - An incremental refresh is the same read with [`ReadPlan::refresh`]: only rows with an id
//!   above the newest held; then [`EventStore::retain_from`](crate::store::EventStore::retain_from)
//!   drops what left the window. Its cost grows with the new rows, not with the window.
//!
//! What goes over the wire:
//! 1. A probe: the newest id in the read (`order=id.desc&limit=1`) with the row count
//!    (`Prefer: count=planned` for a full read's progress bar, `count=exact` for a refresh).
//!    Every later request has `id=lte.<that id>`: rows committed during the read are left whole
//!    to the next refresh, so none is lost or doubled even though the streams below run one
//!    after the other.
//! 2. For a full read with a start: the newest circuit-breaker transition before it (the
//!    breaker's state carries over into the window).
//! 3. One keyset-paged stream per event type, each selecting only the columns and `details`
//!    keys the metrics read for that type, under one-letter aliases, as `text/csv` (see
//!    [`WireFormat`]). `details` keys come as `details->>key`, so PostgreSQL itself computes
//!    `->>` exactly as the guide's SQL does; only `feature_flags_loaded` rows fetch the whole
//!    `details` object. A read of at most [`SMALL_READ_ROWS`] rows (a typical refresh) takes
//!    one stream of every type instead: two requests in all.
//!
//! Measured (scripts/bench-supabase.sh, ~200,000 events): 62 bytes per event against 226 for
//! `select=*` JSON; a refresh after 1,000 new rows costs under 1 % of the full read.
//!
//! A limit: keyset paging by `id` assumes ids become visible in order. A row whose transaction
//! commits after a later id was read (two writers racing) is missed by refreshes; a full read
//! picks it up.
//!
//! # Driving a read (any transport)
//!
//! ```no_run
//! # use canary_core::supabase::*;
//! # use canary_core::EventStore;
//! # struct Resp { status: u16, headers: Vec<(String, String)>, body: Vec<u8> }
//! # fn http_get(_url: &str, _headers: &[(&str, String)]) -> Result<Resp, String> { todo!() }
//! # fn sleep_ms(_ms: u64) {}
//! # fn run(url: &str, key: &str, now_unix: i64, from: i64, to: i64) -> Result<(), SupabaseError> {
//! let config = SupabaseConfig::new(url, key)?; // .with_access_token(user_jwt)? when signed in
//! config.check_not_expired(now_unix)?;
//! let mut store = EventStore::new();
//! let mut read = PagedRead::new(&config, ReadPlan::window(Some(from), Some(to)));
//! {
//!     // One batch for the whole read: it restores time order once, and a failed read
//!     // discards everything it appended.
//!     let mut batch = store.batch();
//!     while let Some(request) = read.next_request() {
//!         sleep_ms(request.delay_ms); // non-zero only before a retry
//!         let progress = match http_get(&request.url, &request.headers) {
//!             Ok(r) => {
//!                 let headers: Vec<(&str, &str)> =
//!                     r.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
//!                 read.on_response(r.status, &headers, &r.body, &mut batch)?
//!             }
//!             Err(e) => read.on_transport_error(&e, &mut batch)?,
//!         };
//!         eprintln!("{} of ~{:?} rows", progress.rows, progress.estimate);
//!     }
//! }
//! for warning in read.warnings() {
//!     eprintln!("{warning}");
//! }
//! # Ok(()) }
//! ```
//!
//! Never log [`Request::headers`]: they carry the key (`Request`'s `Debug` redacts them).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::details::parse_details;
use crate::event::{Details, EventRow, EventType, Micros};
use crate::read::parse_float;
use crate::store::Batch;
use crate::time::{format_rfc3339, parse_timestamp};
use stdx::decimal::parse_f64;

/// The table read.
pub const TABLE: &str = "observability_events";
/// The migration that creates [`TABLE`] with its indexes, RLS policy and grants.
pub const MIGRATION: &str = "sql/001_observability_events.sql";
/// Rows asked for per page: Supabase's default `db-max-rows` cap.
pub const DEFAULT_PAGE_SIZE: usize = 1000;

// -------------------------------------------------------------------------------------------
// Errors and warnings

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
}

/// Something a finished read should tell the user, though it is not an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadWarning {
    #[error("no rows in the window for the role {role:?}: either {TABLE} has none there, or Row Level Security hides them from this role ({hint})")]
    NoRows { role: String, hint: &'static str },
}

// -------------------------------------------------------------------------------------------
// Keys

/// What kind of key the `apikey` header carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// A legacy JWT key (`eyJ…`: anon) or a signed-in user's JWT.
    Jwt,
    /// A new-style `sb_publishable_…` key (not a JWT; the gateway maps it to the anon role).
    Publishable,
}

/// The claims of a JWT's payload that matter here (the signature is not checked: the server
/// does that).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JwtClaims {
    /// The PostgreSQL role the server switches to (`anon`, `authenticated`, …).
    pub role: Option<String>,
    /// Expiry, Unix seconds.
    pub exp: Option<i64>,
    /// Issued at, Unix seconds.
    pub iat: Option<i64>,
    /// The project reference of a Supabase project key (`ref`).
    pub project_ref: Option<String>,
}

/// A key or token, checked. Its text is private and its `Debug` output redacted: it must never
/// reach a log, a page's URL or a report.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    secret: String,
    kind: KeyKind,
    claims: Option<JwtClaims>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("kind", &self.kind)
            .field("claims", &self.claims)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl ApiKey {
    /// Checks a project API key (legacy anon JWT, a user JWT, or `sb_publishable_…`).
    pub fn parse(text: &str) -> Result<ApiKey, SupabaseError> {
        parse_key(text, "API key")
    }

    /// Checks a signed-in user's access token (a JWT).
    pub fn parse_access_token(text: &str) -> Result<ApiKey, SupabaseError> {
        let key = parse_key(text, "access token")?;
        if key.kind != KeyKind::Jwt {
            return Err(SupabaseError::KeyFormat {
                what: "access token",
                reason: "a signed-in user's access token is a JWT (eyJ…), not an sb_ API key"
                    .into(),
            });
        }
        Ok(key)
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The JWT's claims; `None` for a publishable key.
    pub fn claims(&self) -> Option<&JwtClaims> {
        self.claims.as_ref()
    }

    /// The database role the server will use: the JWT's `role` (`anon` when it has none, as
    /// PostgREST falls back to its anon role), `anon` for a publishable key.
    pub fn role(&self) -> &str {
        self.claims
            .as_ref()
            .and_then(|c| c.role.as_deref())
            .unwrap_or("anon")
    }

    /// Expiry in Unix seconds, if the key has one.
    pub fn expires_at(&self) -> Option<i64> {
        self.claims.as_ref().and_then(|c| c.exp)
    }
}

fn parse_key(text: &str, what: &'static str) -> Result<ApiKey, SupabaseError> {
    let format = |reason: &str| SupabaseError::KeyFormat {
        what,
        reason: reason.to_owned(),
    };
    let mut key = text.trim();
    // Pasted with its header name.
    for prefix in ["Bearer ", "bearer "] {
        key = key.strip_prefix(prefix).unwrap_or(key).trim();
    }
    if key.is_empty() {
        return Err(format("it is empty"));
    }
    if key.starts_with("sb_secret_") {
        return Err(SupabaseError::SecretKey {
            what: "an sb_secret_ key",
        });
    }
    let token_chars = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if let Some(rest) = key.strip_prefix("sb_publishable_") {
        if rest.is_empty() || !token_chars(rest) {
            return Err(format(
                "an sb_publishable_ key has letters, digits, - and _ after the prefix",
            ));
        }
        return Ok(ApiKey {
            secret: key.to_owned(),
            kind: KeyKind::Publishable,
            claims: None,
        });
    }
    if key.starts_with("sb_") {
        return Err(format(
            "of the sb_ keys only sb_publishable_ keys may be used here",
        ));
    }
    let claims = decode_jwt_claims(key).map_err(|reason| format(&reason))?;
    if claims.role.as_deref() == Some("service_role") {
        return Err(SupabaseError::SecretKey {
            what: "a service_role key",
        });
    }
    Ok(ApiKey {
        secret: key.to_owned(),
        kind: KeyKind::Jwt,
        claims: Some(claims),
    })
}

/// The claims of a JWT's payload; the signature is left to the server.
fn decode_jwt_claims(token: &str) -> Result<JwtClaims, String> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 || parts[..2].iter().any(|p| p.is_empty()) {
        return Err(
            "expected a JWT (three base64url parts separated by dots, starting eyJ) or an sb_publishable_ key"
                .into(),
        );
    }
    let json = |part: &str, name: &str| -> Result<serde_json::Map<String, Value>, String> {
        let bytes = base64url_decode(part).ok_or_else(|| format!("its {name} is not base64url"))?;
        match json_from_bytes(&bytes) {
            Some(Value::Object(map)) => Ok(map),
            _ => Err(format!("its {name} is not a JSON object")),
        }
    };
    let header = json(parts[0], "header")?;
    if !header.contains_key("alg") {
        return Err("its header names no algorithm (alg)".into());
    }
    let payload = json(parts[1], "payload")?;
    let seconds = |name: &str| payload.get(name).and_then(Value::as_f64).map(|v| v as i64);
    let text = |name: &str| payload.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(JwtClaims {
        role: text("role"),
        exp: seconds("exp"),
        iat: seconds("iat"),
        project_ref: text("ref"),
    })
}

/// JSON from bytes, or `None`. Through `from_str` rather than `from_slice`: the same answer
/// (`from_slice` also refuses invalid UTF-8), but the WebAssembly bundle then carries one
/// serde_json reader instead of two.
fn json_from_bytes(bytes: &[u8]) -> Option<Value> {
    serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()
}

/// Decodes base64url (RFC 4648 §5), padding optional.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

// -------------------------------------------------------------------------------------------
// Configuration

/// Where to read and with which key: checked once, then shared by every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupabaseConfig {
    project_url: String,
    key: ApiKey,
    access_token: Option<ApiKey>,
}

impl SupabaseConfig {
    /// Checks the project URL (`https://<ref>.supabase.co`; plain `http` only on loopback, where
    /// the key cannot be overheard; a pasted `…/rest/v1` is trimmed) and the key.
    pub fn new(project_url: &str, key: &str) -> Result<SupabaseConfig, SupabaseError> {
        let (project_url, url_ref) = normalize_project_url(project_url)?;
        let key = ApiKey::parse(key)?;
        check_project(&key, url_ref.as_deref())?;
        Ok(SupabaseConfig {
            project_url,
            key,
            access_token: None,
        })
    }

    /// Adds a signed-in user's JWT: sent as `Authorization: Bearer`, so the server reads as
    /// that user (role `authenticated`) while the key stays in `apikey`.
    pub fn with_access_token(mut self, token: &str) -> Result<SupabaseConfig, SupabaseError> {
        let token = ApiKey::parse_access_token(token)?;
        let url_ref = supabase_ref(&self.project_url);
        check_project(&token, url_ref.as_deref())?;
        self.access_token = Some(token);
        Ok(self)
    }

    /// The project URL without a trailing slash.
    pub fn project_url(&self) -> &str {
        &self.project_url
    }

    /// `<project>/rest/v1/observability_events`.
    pub fn table_url(&self) -> String {
        format!("{}/rest/v1/{TABLE}", self.project_url)
    }

    pub fn key(&self) -> &ApiKey {
        &self.key
    }

    pub fn access_token(&self) -> Option<&ApiKey> {
        self.access_token.as_ref()
    }

    /// The database role requests run as (the access token's if given, else the key's).
    pub fn role(&self) -> &str {
        self.access_token.as_ref().unwrap_or(&self.key).role()
    }

    /// The earliest expiry of the key and the access token, Unix seconds.
    pub fn expires_at(&self) -> Option<i64> {
        [
            self.key.expires_at(),
            self.access_token().and_then(ApiKey::expires_at),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Refuses an expired key or token before any request (the caller passes the time).
    pub fn check_not_expired(&self, now_unix_seconds: i64) -> Result<(), SupabaseError> {
        let expired = |key: &ApiKey, what| match key.expires_at() {
            Some(exp) if exp <= now_unix_seconds => Err(SupabaseError::Expired {
                what,
                at: format_rfc3339(exp.saturating_mul(1_000_000)),
            }),
            _ => Ok(()),
        };
        expired(&self.key, "API key")?;
        match &self.access_token {
            Some(token) => expired(token, "access token"),
            None => Ok(()),
        }
    }

    /// `apikey` always; `Authorization: Bearer` with the user's token, else with a JWT key.
    /// A publishable key is not a JWT and never goes in `Authorization` (Supabase's gateway
    /// derives the anon role from `apikey` alone).
    pub fn auth_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![("apikey", self.key.secret.clone())];
        let bearer = match (&self.access_token, self.key.kind) {
            (Some(token), _) => Some(&token.secret),
            (None, KeyKind::Jwt) => Some(&self.key.secret),
            (None, KeyKind::Publishable) => None,
        };
        if let Some(jwt) = bearer {
            headers.push(("Authorization", format!("Bearer {jwt}")));
        }
        headers
    }
}

fn check_project(key: &ApiKey, url_ref: Option<&str>) -> Result<(), SupabaseError> {
    let key_ref = key.claims().and_then(|c| c.project_ref.as_deref());
    match (key_ref, url_ref) {
        (Some(k), Some(u)) if k != u => Err(SupabaseError::KeyForOtherProject {
            key_ref: k.to_owned(),
            url_ref: u.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// The project ref of a hosted project URL (`https://<ref>.supabase.co`).
fn supabase_ref(url: &str) -> Option<String> {
    let host = url.split_once("://")?.1.split(['/', ':']).next()?;
    let project_ref = host.strip_suffix(".supabase.co")?;
    (!project_ref.is_empty() && !project_ref.contains('.')).then(|| project_ref.to_owned())
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host
            .strip_prefix("127.")
            .is_some_and(|rest| rest.split('.').count() == 3)
}

/// The project URL normalised (no trailing slash, no `/rest/v1`) and its project ref.
fn normalize_project_url(input: &str) -> Result<(String, Option<String>), SupabaseError> {
    let url = input.trim();
    let bad = |reason: &str| SupabaseError::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(bad(
            "expected https://<project-ref>.supabase.co (Project Settings → API)",
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(bad("only https URLs are supported"));
    }
    if rest.contains(['?', '#']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(
            "give the project URL alone, without a query, fragment or spaces",
        ));
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() {
        return Err(bad("it names no host"));
    }
    if authority.contains('@') {
        return Err(bad("it must not carry a user name or password"));
    }
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    if host.ends_with("supabase.com") && path.starts_with("dashboard") {
        return Err(bad("this is the dashboard's address; the project URL looks like https://<project-ref>.supabase.co (Project Settings → API)"));
    }
    if scheme == "http" && !is_loopback(host) {
        return Err(bad(
            "plain http would send the key unencrypted; use https (http is only for 127.0.0.1 and localhost)",
        ));
    }
    let mut path = path.trim_matches('/');
    for suffix in [TABLE, "rest/v1"] {
        path = path
            .strip_suffix(suffix)
            .unwrap_or(path)
            .trim_end_matches('/');
    }
    let normalized = if path.is_empty() {
        format!("{scheme}://{authority}")
    } else {
        format!("{scheme}://{authority}/{path}")
    };
    let project_ref = supabase_ref(&normalized);
    Ok((normalized, project_ref))
}

// -------------------------------------------------------------------------------------------
// Requests and plans

/// One HTTP `GET` to send. The headers carry the key: never log them (`Debug` redacts them).
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// Wait this long before sending (non-zero only before a retry).
    pub delay_ms: u64,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| match *name {
                "apikey" | "Authorization" => (*name, "<redacted>"),
                _ => (*name, value.as_str()),
            })
            .collect();
        f.debug_struct("Request")
            .field("url", &self.url)
            .field("headers", &headers)
            .field("delay_ms", &self.delay_ms)
            .finish()
    }
}

/// The response body format asked for. CSV is the default: PostgREST's `text/csv` carries the
/// column names once, not once per row: 62 bytes per event against 110 for JSON with the same
/// aliases (scripts/bench-supabase.sh measures both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireFormat {
    Csv,
    Json,
}

impl WireFormat {
    fn accept(self) -> &'static str {
        match self {
            WireFormat::Csv => "text/csv",
            WireFormat::Json => "application/json",
        }
    }
}

/// Bounded exponential backoff, without jitter so it is a pure function (one console polls a
/// project; there is no herd to spread).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry.
    pub first_delay_ms: u64,
    /// No delay is longer (a server's `Retry-After` included).
    pub max_delay_ms: u64,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 0.5 s, 1 s, 2 s: four attempts within about 3.5 s.
    fn default() -> Backoff {
        Backoff {
            first_delay_ms: 500,
            max_delay_ms: 8_000,
            max_attempts: 4,
        }
    }
}

impl Backoff {
    /// The wait before the next attempt after `failed` failed attempts, or `None` when the
    /// attempts are used up. A server's `Retry-After` wins over the schedule (within the cap).
    pub fn delay_ms(&self, failed: u32, retry_after_ms: Option<u64>) -> Option<u64> {
        if failed == 0 || failed >= self.max_attempts {
            return None;
        }
        let doubled = self
            .first_delay_ms
            .saturating_mul(1u64 << (failed - 1).min(32));
        Some(retry_after_ms.unwrap_or(doubled).min(self.max_delay_ms))
    }
}

/// What one read fetches.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadPlan {
    /// `created_at >= from`; `None`: from the first row.
    pub from: Option<Micros>,
    /// `created_at < to`; `None`: up to the newest row (a window that ends now).
    pub to: Option<Micros>,
    /// Only rows with `id > after_id` (an incremental refresh's cursor).
    pub after_id: Option<i64>,
    /// Rows asked for per page; the server may cap it lower (`db-max-rows`), which is handled.
    pub page_size: usize,
    pub format: WireFormat,
    /// Ask a full read's planned row count (`Prefer: count=planned`) to report progress
    /// against. A refresh always asks the exact count (cheap for the few rows above a cursor).
    pub estimate: bool,
    pub backoff: Backoff,
}

impl ReadPlan {
    /// Every row of `[from, to)`.
    pub fn window(from: Option<Micros>, to: Option<Micros>) -> ReadPlan {
        ReadPlan {
            from,
            to,
            after_id: None,
            page_size: DEFAULT_PAGE_SIZE,
            format: WireFormat::Csv,
            estimate: true,
            backoff: Backoff::default(),
        }
    }

    /// The rows of `[from, to)` newer than `newest_held` (e.g. `store.max_id()`): append them
    /// to the store, then `store.retain_from(from)`. Without a held id it is a full read.
    pub fn refresh(from: Option<Micros>, to: Option<Micros>, newest_held: Option<i64>) -> ReadPlan {
        ReadPlan {
            after_id: newest_held,
            estimate: newest_held.is_none(),
            ..ReadPlan::window(from, to)
        }
    }
}

// -------------------------------------------------------------------------------------------
// What is selected

/// One selected column: its alias on the wire and its PostgREST select item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Id,
    Type,
    Success,
    CacheHit,
    Time,
    CacheKey,
    Endpoint,
    ErrorType,
    ErrorMessage,
    Prefix,
    State,
    Failures,
    Successes,
    Canary,
    Details,
    CreatedAt,
}

impl Col {
    const ALL: [Col; 16] = [
        Col::Id,
        Col::Type,
        Col::Success,
        Col::CacheHit,
        Col::Time,
        Col::CacheKey,
        Col::Endpoint,
        Col::ErrorType,
        Col::ErrorMessage,
        Col::Prefix,
        Col::State,
        Col::Failures,
        Col::Successes,
        Col::Canary,
        Col::Details,
        Col::CreatedAt,
    ];

    /// `alias:expression`. `->>` is evaluated by PostgreSQL, so values are exactly what the
    /// guide's SQL groups by; `details->canary` stays JSON so a non-boolean can be told apart.
    fn select(self) -> &'static str {
        match self {
            Col::Id => "i:id",
            Col::Type => "t:event_type",
            Col::Success => "s:success",
            Col::CacheHit => "h:cache_hit",
            Col::Time => "p:processing_time_ms",
            Col::CacheKey => "k:cache_key",
            Col::Endpoint => "e:details->>endpoint",
            Col::ErrorType => "et:details->>error_type",
            Col::ErrorMessage => "em:details->>error_message",
            Col::Prefix => "x:details->>cache_key_prefix",
            Col::State => "st:details->>state",
            Col::Failures => "fc:details->>failure_count",
            Col::Successes => "sc:details->>success_count",
            Col::Canary => "c:details->canary",
            Col::Details => "d:details",
            Col::CreatedAt => "a:created_at",
        }
    }

    fn alias(self) -> &'static str {
        let select = self.select();
        &select[..select.find(':').unwrap_or(select.len())]
    }

    fn from_alias(alias: &str) -> Option<Col> {
        Col::ALL.into_iter().find(|c| c.alias() == alias)
    }
}

/// Which event types a stream reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Types {
    Only(EventType),
    /// Every type no other stream names (unknown types, counted as such).
    Others,
    /// Every type (the combined stream of a small read).
    All,
}

/// One keyset-paged stream: the rows of one event type (or of every other type) with the
/// columns the metrics read for it. Keep in step with `metrics`, `alerts`, `series` and
/// `cohort`: the Supabase tests compare this path with the file path on every output.
struct Stream {
    types: Types,
    cols: &'static [Col],
}

impl Stream {
    /// The type of every row of the stream, if it has one.
    fn only(&self) -> Option<EventType> {
        match self.types {
            Types::Only(t) => Some(t),
            Types::Others | Types::All => None,
        }
    }
}

/// A read of at most this many rows (a refresh, counted exactly by the probe) takes one
/// stream of every type with the whole `details` (parsed here as `->>` parses it) instead of a
/// stream per type: a page or two instead of seven streams' worth of requests, for bytes that
/// do not matter at that size.
pub const SMALL_READ_ROWS: u64 = 2_000;

const COMBINED: Stream = Stream {
    types: Types::All,
    cols: &[
        Col::Id,
        Col::Type,
        Col::Success,
        Col::CacheHit,
        Col::Time,
        Col::CacheKey,
        Col::Details,
        Col::CreatedAt,
    ],
};

/// Requests first: the biggest stream settles the server's page size for the rest.
const STREAMS: [Stream; 7] = [
    Stream {
        types: Types::Only(EventType::RequestCompleted),
        cols: &[
            Col::Id,
            Col::Success,
            Col::Time,
            Col::Endpoint,
            Col::ErrorType,
            Col::ErrorMessage,
            Col::Canary,
            Col::CreatedAt,
        ],
    },
    Stream {
        types: Types::Only(EventType::CacheAccess),
        cols: &[
            Col::Id,
            Col::CacheHit,
            Col::Time,
            Col::Prefix,
            Col::Canary,
            Col::CreatedAt,
        ],
    },
    Stream {
        types: Types::Only(EventType::CacheMiss),
        cols: &[Col::Id, Col::CacheKey, Col::Canary, Col::CreatedAt],
    },
    Stream {
        types: Types::Only(EventType::Mem0Write),
        cols: &[
            Col::Id,
            Col::Success,
            Col::Time,
            Col::ErrorType,
            Col::Canary,
            Col::CreatedAt,
        ],
    },
    Stream {
        types: Types::Only(EventType::CircuitBreakerStateChange),
        cols: &[
            Col::Id,
            Col::State,
            Col::Failures,
            Col::Successes,
            Col::Canary,
            Col::CreatedAt,
        ],
    },
    Stream {
        types: Types::Only(EventType::FeatureFlagsLoaded),
        cols: &[Col::Id, Col::Details, Col::CreatedAt],
    },
    Stream {
        types: Types::Others,
        cols: &[Col::Id, Col::Type, Col::Canary, Col::CreatedAt],
    },
];

/// Appends a `select` list (`->>` is percent-encoded: `>` may not appear raw in a URL).
fn push_select(url: &mut String, cols: &[Col]) {
    for (i, col) in cols.iter().enumerate() {
        if i > 0 {
            url.push(',');
        }
        push_encoded(url, col.select());
    }
}

/// Appends `value` to a query string, percent-encoding what PostgREST's query parser would
/// misread (`+` would become a space, `&` would end the value).
fn push_encoded(out: &mut String, value: &str) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:,()*".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

// -------------------------------------------------------------------------------------------
// The read

/// How far a read has come.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Rows appended so far.
    pub rows: u64,
    /// The server's planned row count for the whole read (`Prefer: count=planned`): an
    /// estimate from table statistics, for a progress bar, never a check.
    pub estimate: Option<u64>,
    /// Responses received (retried ones included).
    pub requests: u32,
    /// Response body bytes received.
    pub bytes: u64,
    /// Set while the last request is to be retried: the failure, and which attempt is next.
    pub retry: Option<Retry>,
    /// The read is complete.
    pub done: bool,
}

/// A retry announced by [`PagedRead::on_response`] or [`PagedRead::on_transport_error`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    /// The attempt about to be made (2 is the first retry).
    pub attempt: u32,
    pub max_attempts: u32,
    /// The wait before it (also in the next [`Request::delay_ms`]).
    pub delay_ms: u64,
    /// What failed, e.g. `503` or the transport's message.
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `limit=1` with the planned count: is anything there, and roughly how much.
    Probe,
    /// The newest circuit-breaker transition before the window: the breaker's state carries
    /// over into it (docs/metrics.md#metrics), as it does when a file holds rows before `--from`.
    PriorBreaker,
    Stream(usize),
    Done,
}

/// The stream of circuit-breaker transitions (also read for [`Phase::PriorBreaker`]).
const BREAKER_STREAM: usize = 4;

/// One read of `observability_events`: call [`next_request`](PagedRead::next_request), send
/// it, hand the answer to [`on_response`](PagedRead::on_response) (or the failure to
/// [`on_transport_error`](PagedRead::on_transport_error)), until `next_request` gives `None`.
/// See the module docs for the loop.
#[derive(Clone, Debug)]
pub struct PagedRead {
    table_url: String,
    headers: Vec<(&'static str, String)>,
    role: String,
    plan: ReadPlan,
    phase: Phase,
    /// Last id of the current stream.
    cursor: Option<i64>,
    /// The newest id in the read's filter when the probe ran (or the plan's `after_id` when
    /// there was none): the bound of every stream, and the next refresh's cursor.
    newest_id: Option<i64>,
    /// `id <= upper_id` on every stream.
    upper_id: Option<i64>,
    /// The probe's exact row count (refreshes).
    exact_total: Option<u64>,
    /// One stream of every type instead of one per type (a small read).
    combined: bool,
    /// Rows in a full page once known: the requested limit, or the server's lower cap.
    page_rows: Option<usize>,
    /// Length of a short page whose meaning (end, or the server's cap) the next page tells.
    short_page: Option<usize>,
    /// The probe found rows in the window.
    window_has_rows: bool,
    /// Failed attempts of the current request.
    failures: u32,
    delay_ms: u64,
    progress: Progress,
    warnings: Vec<ReadWarning>,
}

impl PagedRead {
    pub fn new(config: &SupabaseConfig, plan: ReadPlan) -> PagedRead {
        let plan = ReadPlan {
            page_size: plan.page_size.max(1),
            ..plan
        };
        PagedRead {
            table_url: config.table_url(),
            headers: config.auth_headers(),
            role: config.role().to_owned(),
            newest_id: plan.after_id,
            plan,
            phase: Phase::Probe,
            cursor: None,
            upper_id: None,
            exact_total: None,
            combined: false,
            page_rows: None,
            short_page: None,
            window_has_rows: false,
            failures: 0,
            delay_ms: 0,
            progress: Progress::default(),
            warnings: Vec::new(),
        }
    }

    /// The next request to send, `None` when the read is over (done or failed).
    pub fn next_request(&self) -> Option<Request> {
        let mut url = self.table_url.clone();
        let mut headers = self.headers.clone();
        headers.push(("Accept", self.plan.format.accept().to_owned()));
        match self.phase {
            Phase::Done => return None,
            Phase::Probe => {
                // The newest id in the read fixes its upper bound; the count sizes it.
                url.push_str("?select=i:id");
                self.push_filters(&mut url, self.plan.after_id, None);
                url.push_str("&order=id.desc&limit=1");
                if self.plan.after_id.is_some() {
                    // A refresh: few rows, counted exactly and cheaply (a primary-key range).
                    headers.push(("Prefer", "count=exact".to_owned()));
                } else if self.plan.estimate {
                    headers.push(("Prefer", "count=planned".to_owned()));
                }
            }
            Phase::PriorBreaker => {
                url.push_str("?select=");
                push_select(&mut url, STREAMS[BREAKER_STREAM].cols);
                url.push_str("&event_type=eq.circuit_breaker_state_change&created_at=lt.");
                push_encoded(
                    &mut url,
                    &format_rfc3339(self.plan.from.unwrap_or(Micros::MIN)),
                );
                url.push_str("&order=created_at.desc,id.desc&limit=1");
            }
            Phase::Stream(k) => {
                let stream = self.stream(k);
                url.push_str("?select=");
                push_select(&mut url, stream.cols);
                match stream.types {
                    Types::Only(t) => {
                        url.push_str("&event_type=eq.");
                        url.push_str(t.as_str());
                    }
                    Types::Others => {
                        let named: Vec<&str> = STREAMS
                            .iter()
                            .filter_map(|s| s.only().map(EventType::as_str))
                            .collect();
                        url.push_str(&format!("&event_type=not.in.({})", named.join(",")));
                    }
                    Types::All => {}
                }
                self.push_filters(&mut url, self.cursor.or(self.plan.after_id), self.upper_id);
                url.push_str(&format!("&order=id.asc&limit={}", self.plan.page_size));
            }
        }
        Some(Request {
            url,
            headers,
            delay_ms: self.delay_ms,
        })
    }

    /// The stream of phase `Stream(k)`.
    fn stream(&self, k: usize) -> &'static Stream {
        if self.combined {
            &COMBINED
        } else {
            &STREAMS[k]
        }
    }

    fn stream_count(&self) -> usize {
        if self.combined {
            1
        } else {
            STREAMS.len()
        }
    }

    fn push_filters(&self, url: &mut String, after_id: Option<i64>, upper_id: Option<i64>) {
        if let Some(from) = self.plan.from {
            url.push_str("&created_at=gte.");
            push_encoded(url, &format_rfc3339(from));
        }
        if let Some(to) = self.plan.to {
            url.push_str("&created_at=lt.");
            push_encoded(url, &format_rfc3339(to));
        }
        if let Some(id) = after_id {
            url.push_str(&format!("&id=gt.{id}"));
        }
        if let Some(id) = upper_id {
            url.push_str(&format!("&id=lte.{id}"));
        }
    }

    /// Digests one HTTP response to the last request. Rows go into `batch` (use one batch for
    /// the whole read). On an error the read stops and every row it appended is discarded from
    /// the batch; on 429 or 5xx the same request is offered again after a delay, a bounded
    /// number of times. `headers` are the response's (any case; at least `Content-Range`,
    /// `Content-Type` and `Retry-After` where present).
    pub fn on_response(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
        batch: &mut Batch<'_>,
    ) -> Result<Progress, SupabaseError> {
        if self.phase == Phase::Done {
            return Ok(self.progress.clone());
        }
        self.progress.requests += 1;
        self.progress.bytes += body.len() as u64;
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        if status == 429 || (500..=599).contains(&status) {
            let retry_after_ms = header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| s.saturating_mul(1000));
            let detail = error_detail(header("content-type"), body);
            return self.retry(status.to_string(), retry_after_ms, batch, |attempts| {
                SupabaseError::RetriesExhausted {
                    status,
                    attempts,
                    detail,
                }
            });
        }
        if !(200..300).contains(&status) {
            let error = classify(
                status,
                header("content-type"),
                body,
                &self.role,
                &self.table_url,
            );
            return self.fail(batch, error);
        }
        self.failures = 0;
        self.delay_ms = 0;
        self.progress.retry = None;
        if header("content-type").is_some_and(|t| t.to_ascii_lowercase().contains("text/html"))
            || body.trim_ascii_start().starts_with(b"<")
        {
            return self.fail(
                batch,
                SupabaseError::Malformed {
                    detail: "a web page (HTML) came back".into(),
                },
            );
        }
        let text = match std::str::from_utf8(body) {
            Ok(text) => text,
            Err(e) => {
                let detail = format!("the body is not UTF-8 (byte {})", e.valid_up_to());
                return self.fail(batch, SupabaseError::Malformed { detail });
            }
        };
        match self.phase {
            Phase::Probe => {
                let mut newest = None;
                let decoded = decode_page(self.plan.format, text, &mut |wire| {
                    newest = wire.id;
                    Ok(())
                });
                if let Err(detail) = decoded {
                    return self.fail(batch, SupabaseError::Malformed { detail });
                }
                let total = header("content-range").and_then(range_total);
                if self.plan.after_id.is_some() {
                    self.exact_total = total;
                    self.combined = total.is_some_and(|n| n <= SMALL_READ_ROWS);
                }
                if self.plan.estimate || self.exact_total.is_some() {
                    self.progress.estimate = total;
                }
                // Every stream reads up to the newest id seen now: rows committed later are
                // left whole to the next refresh, never half read by some streams only.
                self.upper_id = newest;
                if newest.is_some() {
                    self.newest_id = newest;
                }
                self.window_has_rows = newest.is_some();
                self.after_probe();
            }
            Phase::PriorBreaker => {
                let decoded = decode_page(self.plan.format, text, &mut |wire| {
                    let (row, _) = event_row(Some(EventType::CircuitBreakerStateChange), wire)?;
                    batch.push(&row);
                    Ok(())
                });
                if let Err(detail) = decoded {
                    return self.fail(batch, SupabaseError::Malformed { detail });
                }
                self.after_probe();
            }
            Phase::Stream(k) => {
                let only = self.stream(k).only();
                let mut last = None;
                let decoded = decode_page(self.plan.format, text, &mut |wire| {
                    let (row, unknown) = event_row(only, wire)?;
                    if let Some(name) = unknown {
                        batch.note_unknown_type(&name);
                    }
                    last = Some(last.map_or(row.id, |l: i64| l.max(row.id)));
                    batch.push(&row);
                    Ok(())
                });
                let rows = match decoded {
                    Ok(n) => n,
                    Err(detail) => return self.fail(batch, SupabaseError::Malformed { detail }),
                };
                self.progress.rows += rows as u64;
                if let Some(last) = last {
                    self.cursor = Some(last);
                }
                // Counted exactly: once every row is in, no stream has more.
                let all_in = self.exact_total.is_some_and(|n| self.progress.rows >= n);
                if all_in {
                    self.finish();
                } else if self.stream_ended(rows) {
                    self.cursor = None;
                    self.short_page = None;
                    if k + 1 < self.stream_count() {
                        self.phase = Phase::Stream(k + 1);
                    } else {
                        self.finish();
                    }
                }
            }
            Phase::Done => {}
        }
        Ok(self.progress.clone())
    }

    /// Moves on after the probe: to the breaker's state before the window (full reads with a
    /// start; a refresh's store already holds it, see `EventStore::retain_from`), then to the
    /// streams if the window has rows.
    fn after_probe(&mut self) {
        if self.phase == Phase::Probe && self.plan.from.is_some() && self.plan.after_id.is_none() {
            self.phase = Phase::PriorBreaker;
        } else if self.window_has_rows {
            self.phase = Phase::Stream(0);
        } else {
            self.finish();
        }
    }

    /// Whether a page of `rows` rows ends its stream. A page shorter than the limit asked for
    /// ends it only once the server's page size is known: `db-max-rows` may cap pages below
    /// the limit, and then a short page is a full one. An ambiguous short page is settled by
    /// the next: empty (the end) or not (the server's cap, remembered for every later page).
    fn stream_ended(&mut self, rows: usize) -> bool {
        if rows == 0 {
            return true;
        }
        if let Some(short) = self.short_page.take() {
            self.page_rows = Some(short);
        }
        match self.page_rows {
            Some(full) => rows < full,
            None if rows >= self.plan.page_size => {
                self.page_rows = Some(self.plan.page_size);
                false
            }
            None => {
                self.short_page = Some(rows);
                false
            }
        }
    }

    /// Reports that the last request got no HTTP response (connection refused, DNS, TLS,
    /// timeout; in a browser also CORS). Retried like a 5xx, then [`SupabaseError::Network`].
    pub fn on_transport_error(
        &mut self,
        message: &str,
        batch: &mut Batch<'_>,
    ) -> Result<Progress, SupabaseError> {
        if self.phase == Phase::Done {
            return Ok(self.progress.clone());
        }
        let url = self.table_url.clone();
        let detail = message.to_owned();
        self.retry(message.to_owned(), None, batch, move |_| {
            SupabaseError::Network { url, detail }
        })
    }

    fn retry(
        &mut self,
        reason: String,
        retry_after_ms: Option<u64>,
        batch: &mut Batch<'_>,
        exhausted: impl FnOnce(u32) -> SupabaseError,
    ) -> Result<Progress, SupabaseError> {
        self.failures += 1;
        match self.plan.backoff.delay_ms(self.failures, retry_after_ms) {
            Some(delay_ms) => {
                self.delay_ms = delay_ms;
                self.progress.retry = Some(Retry {
                    attempt: self.failures + 1,
                    max_attempts: self.plan.backoff.max_attempts,
                    delay_ms,
                    reason,
                });
                Ok(self.progress.clone())
            }
            None => {
                let attempts = self.failures;
                self.fail(batch, exhausted(attempts))
            }
        }
    }

    fn fail(
        &mut self,
        batch: &mut Batch<'_>,
        error: SupabaseError,
    ) -> Result<Progress, SupabaseError> {
        batch.discard();
        self.phase = Phase::Done;
        self.progress.rows = 0;
        self.progress.retry = None;
        Err(error)
    }

    fn finish(&mut self) {
        self.phase = Phase::Done;
        self.progress.done = true;
        self.progress.retry = None;
        if self.plan.after_id.is_none() && self.progress.rows == 0 {
            let hint = if self.role == "anon" {
                "sql/001_observability_events.sql lets only signed-in users read: sign in as a user of the project"
            } else {
                "check the table's select policies for this role"
            };
            self.warnings.push(ReadWarning::NoRows {
                role: self.role.clone(),
                hint,
            });
        }
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// What the user should know about a finished read (e.g. no rows: RLS may hide them).
    pub fn warnings(&self) -> &[ReadWarning] {
        &self.warnings
    }

    /// The newest id the read covers (fixed by its first request: rows committed later are
    /// left whole to the next refresh), or the plan's `after_id` when nothing newer came: the
    /// cursor of the next incremental refresh.
    pub fn newest_id(&self) -> Option<i64> {
        self.newest_id
    }

    /// The role the requests run as.
    pub fn role(&self) -> &str {
        &self.role
    }
}

/// The total after the slash of a `Content-Range` (`0-999/201538`, `*/0`); `*` is unknown.
fn range_total(value: &str) -> Option<u64> {
    value.rsplit_once('/')?.1.trim().parse().ok()
}

// -------------------------------------------------------------------------------------------
// Error responses

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

fn error_detail(content_type: Option<&str>, body: &[u8]) -> String {
    let e = error_body(content_type, body);
    match e.code {
        Some(code) => format!("{code} {}", e.message),
        None => e.message,
    }
}

/// The typed error of a non-2xx answer that is not retried.
fn classify(
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

// -------------------------------------------------------------------------------------------
// Wire rows

/// One row as it came over the wire, before it becomes an [`EventRow`].
#[derive(Default)]
struct WireRow<'a> {
    id: Option<i64>,
    event_type: Option<Cow<'a, str>>,
    success: Option<bool>,
    cache_hit: Option<bool>,
    time: Option<f64>,
    cache_key: Option<Cow<'a, str>>,
    endpoint: Option<Cow<'a, str>>,
    error_type: Option<Cow<'a, str>>,
    error_message: Option<Cow<'a, str>>,
    prefix: Option<Cow<'a, str>>,
    state: Option<Cow<'a, str>>,
    failures: Option<Cow<'a, str>>,
    successes: Option<Cow<'a, str>>,
    /// `details->canary` as JSON text.
    canary: Option<Cow<'a, str>>,
    /// The whole `details` as JSON text.
    details: Option<Cow<'a, str>>,
    created_at: Option<Micros>,
}

/// Decodes a page and hands each row to `each`; returns the number of rows. `each` is a trait
/// object, not a generic: one copy of both decoders in the WebAssembly bundle instead of one per
/// caller (a call per row costs nothing next to the row's parsing).
fn decode_page<'a>(
    format: WireFormat,
    text: &'a str,
    each: &mut dyn FnMut(WireRow<'a>) -> Result<(), String>,
) -> Result<usize, String> {
    match format {
        WireFormat::Csv => decode_csv(text, each),
        WireFormat::Json => decode_json(text, each),
    }
}

fn decode_csv<'a>(
    text: &'a str,
    each: &mut dyn FnMut(WireRow<'a>) -> Result<(), String>,
) -> Result<usize, String> {
    let mut records = Records { rest: text };
    let mut fields = Vec::new();
    // An empty result is an empty body (or a lone newline): PostgREST writes no header then.
    let header: Vec<Col> = match records.next(&mut fields) {
        None => return Ok(0),
        Some(r) => {
            r.map_err(|e| format!("CSV header: {e}"))?;
            if fields.len() == 1 && fields[0].is_none() {
                return Ok(0);
            }
            fields
                .iter()
                .map(|f| {
                    let name = f.as_deref().unwrap_or("");
                    Col::from_alias(name).ok_or_else(|| {
                        format!("unexpected CSV column {name:?} (was text/csv asked of PostgREST?)")
                    })
                })
                .collect::<Result<_, _>>()?
        }
    };
    let mut n = 0;
    while let Some(r) = records.next(&mut fields) {
        r.map_err(|e| format!("CSV row {}: {e}", n + 1))?;
        if fields.len() == 1 && fields[0].is_none() {
            continue; // a blank line (ids are never null)
        }
        n += 1;
        if fields.len() != header.len() {
            return Err(format!(
                "CSV row {n}: {} fields, but the header names {}",
                fields.len(),
                header.len()
            ));
        }
        let mut row = WireRow::default();
        for (col, field) in header.iter().zip(fields.drain(..)) {
            set_text(&mut row, *col, field).map_err(|e| format!("row {n}: {e}"))?;
        }
        each(row)?;
    }
    Ok(n)
}

/// Sets one column from its text (`None`: SQL null).
fn set_text<'a>(row: &mut WireRow<'a>, col: Col, text: Option<Cow<'a, str>>) -> Result<(), String> {
    let bad = |what: &str, t: &str| format!("column {}: expected {what}, got {t:?}", col.alias());
    let boolean = |t: Option<Cow<'a, str>>| match t.as_deref() {
        None => Ok(None),
        Some("t" | "true") => Ok(Some(true)),
        Some("f" | "false") => Ok(Some(false)),
        Some(other) => Err(bad("t or f", other)),
    };
    match col {
        Col::Id => {
            row.id = text
                .map(|t| t.trim().parse().map_err(|_| bad("a whole number", &t)))
                .transpose()?;
        }
        Col::Type => row.event_type = text,
        Col::Success => row.success = boolean(text)?,
        Col::CacheHit => row.cache_hit = boolean(text)?,
        Col::Time => {
            row.time = text
                .map(|t| parse_float(&t).ok_or_else(|| bad("a number", &t)))
                .transpose()?;
        }
        Col::CacheKey => row.cache_key = text,
        Col::Endpoint => row.endpoint = text,
        Col::ErrorType => row.error_type = text,
        Col::ErrorMessage => row.error_message = text,
        Col::Prefix => row.prefix = text,
        Col::State => row.state = text,
        Col::Failures => row.failures = text,
        Col::Successes => row.successes = text,
        Col::Canary => row.canary = text,
        Col::Details => row.details = text,
        Col::CreatedAt => {
            row.created_at = text
                .map(|t| parse_timestamp(&t).map_err(|e| e.to_string()))
                .transpose()?;
        }
    }
    Ok(())
}

/// PostgREST's `text/csv`: a header line, then one line per row, each the PostgreSQL record
/// literal of the row without its parentheses. Unlike RFC 4180 CSV, quoted values escape both
/// `"` (as `""`) and `\` (as `\\`); an unquoted empty field is null, a quoted one `""` is empty.
struct Records<'a> {
    rest: &'a str,
}

impl<'a> Records<'a> {
    fn next(&mut self, out: &mut Vec<Option<Cow<'a, str>>>) -> Option<Result<(), String>> {
        out.clear();
        if self.rest.is_empty() {
            return None;
        }
        let s = self.rest;
        let b = s.as_bytes();
        let mut i = 0;
        loop {
            if b.get(i) == Some(&b'"') {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                loop {
                    match b.get(j) {
                        None => return Some(Err("a quoted value is never closed".into())),
                        Some(b'\\') => {
                            escaped = true;
                            j += 2;
                        }
                        Some(b'"') if b.get(j + 1) == Some(&b'"') => {
                            escaped = true;
                            j += 2;
                        }
                        Some(b'"') => break,
                        Some(_) => j += 1,
                    }
                }
                let inner = &s[start..j.min(s.len())];
                out.push(Some(if escaped {
                    Cow::Owned(unescape(inner))
                } else {
                    Cow::Borrowed(inner)
                }));
                i = j + 1;
            } else {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b',' || c == b'\n')
                    .map_or(b.len(), |p| i + p);
                let raw = &s[i..end];
                out.push(if raw.is_empty() {
                    None
                } else if raw.contains('\\') {
                    Some(Cow::Owned(unescape(raw)))
                } else {
                    Some(Cow::Borrowed(raw))
                });
                i = end;
            }
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'\n') => {
                    self.rest = &s[i + 1..];
                    return Some(Ok(()));
                }
                None => {
                    self.rest = "";
                    return Some(Ok(()));
                }
                Some(_) => return Some(Err("text after a closing quote".into())),
            }
        }
    }
}

/// Undoes record-literal escaping: `\x` is `x`, `""` is `"`.
fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '"' => {
                out.push('"');
                chars.next(); // the second quote of ""
            }
            c => out.push(c),
        }
    }
    out
}

/// A row of PostgREST's JSON with the aliases of [`Col::select`].
#[derive(Deserialize)]
struct JsonRow<'a> {
    i: Option<i64>,
    #[serde(borrow)]
    t: Option<Cow<'a, str>>,
    s: Option<bool>,
    h: Option<bool>,
    #[serde(borrow)]
    p: Option<&'a RawValue>,
    #[serde(borrow)]
    k: Option<Cow<'a, str>>,
    #[serde(borrow)]
    e: Option<Cow<'a, str>>,
    #[serde(borrow)]
    et: Option<Cow<'a, str>>,
    #[serde(borrow)]
    em: Option<Cow<'a, str>>,
    #[serde(borrow)]
    x: Option<Cow<'a, str>>,
    #[serde(borrow)]
    st: Option<Cow<'a, str>>,
    #[serde(borrow)]
    fc: Option<Cow<'a, str>>,
    #[serde(borrow)]
    sc: Option<Cow<'a, str>>,
    #[serde(borrow)]
    c: Option<&'a RawValue>,
    #[serde(borrow)]
    d: Option<&'a RawValue>,
    #[serde(borrow)]
    a: Option<Cow<'a, str>>,
}

fn decode_json<'a>(
    text: &'a str,
    each: &mut dyn FnMut(WireRow<'a>) -> Result<(), String>,
) -> Result<usize, String> {
    let rows: Vec<JsonRow<'a>> =
        serde_json::from_str(text).map_err(|e| format!("not the expected JSON array ({e})"))?;
    let n = rows.len();
    for (index, r) in rows.into_iter().enumerate() {
        let bad = |col: &str, e: String| format!("row {}: column {col}: {e}", index + 1);
        let time = match r.p.map(RawValue::get) {
            None => None,
            Some(raw) if raw.starts_with('"') => {
                let s: String = serde_json::from_str(raw).map_err(|e| bad("p", e.to_string()))?;
                Some(parse_float(&s).ok_or_else(|| bad("p", format!("not a number: {s:?}")))?)
            }
            Some(raw) => {
                Some(parse_f64(raw).ok_or_else(|| bad("p", format!("not a number: {raw}")))?)
            }
        };
        let created_at =
            r.a.map(|a| parse_timestamp(&a).map_err(|e| bad("a", e.to_string())))
                .transpose()?;
        each(WireRow {
            id: r.i,
            event_type: r.t,
            success: r.s,
            cache_hit: r.h,
            time,
            cache_key: r.k,
            endpoint: r.e,
            error_type: r.et,
            error_message: r.em,
            prefix: r.x,
            state: r.st,
            failures: r.fc,
            successes: r.sc,
            canary: r.c.map(|c| Cow::Borrowed(c.get())),
            details: r.d.map(|d| Cow::Borrowed(d.get())),
            created_at,
        })?;
    }
    Ok(n)
}

/// The [`EventRow`] of a wire row of a stream of type `only` (`None`: the row names its type),
/// and the type's name when it is none the metrics know.
fn event_row(
    only: Option<EventType>,
    w: WireRow<'_>,
) -> Result<(EventRow<'_>, Option<String>), String> {
    let id = w.id.ok_or("a row without id")?;
    let created_at = w
        .created_at
        .ok_or_else(|| format!("row id {id} has no created_at"))?;
    let (event_type, unknown) = match (only, &w.event_type) {
        (Some(t), _) => (t, None),
        (None, Some(name)) => {
            let t = EventType::parse(name);
            (t, (t == EventType::Other).then(|| name.to_string()))
        }
        (None, None) => return Err(format!("row id {id} has no event_type")),
    };
    let mut details = match w.details {
        // The whole object (feature flags): read as the file readers do.
        Some(json) => {
            let parsed = parse_details(&json)
                .map_err(|e| format!("row id {id}: details is not JSON ({e})"))?;
            let mut owned = details_into_owned(parsed);
            if event_type == EventType::FeatureFlagsLoaded {
                owned.flags_json = Some(json.into_owned());
            }
            owned
        }
        None => Details {
            endpoint: w.endpoint,
            error_type: w.error_type,
            error_message: w.error_message,
            cache_key_prefix: w.prefix,
            state: w.state,
            failure_count: w.failures,
            success_count: w.successes,
            ..Details::default()
        },
    };
    if let Some(canary) = w.canary.as_deref() {
        // `details->canary` as JSON: only a boolean tags a cohort (as details.rs reads it).
        match canary.trim() {
            "true" => details.canary = Some(true),
            "false" => details.canary = Some(false),
            "null" => {}
            _ => details.canary_not_bool = true,
        }
    }
    Ok((
        EventRow {
            id,
            event_type,
            success: w.success,
            cache_hit: w.cache_hit,
            processing_time_ms: w.time,
            cache_key: w.cache_key,
            details,
            created_at,
        },
        unknown,
    ))
}

fn details_into_owned(d: Details<'_>) -> Details<'static> {
    let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
    Details {
        endpoint: own(d.endpoint),
        error_type: own(d.error_type),
        error_message: own(d.error_message),
        cache_key_prefix: own(d.cache_key_prefix),
        state: own(d.state),
        failure_count: own(d.failure_count),
        success_count: own(d.success_count),
        canary: d.canary,
        canary_not_bool: d.canary_not_bool,
        flags_json: d.flags_json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{rows as demo_rows, DemoConfig};
    use crate::details::details_to_json;
    use crate::event::MICROS_PER_HOUR;
    use crate::metrics::{compute, Window};
    use crate::store::EventStore;
    use crate::time::format_postgres;

    // ---------------------------------------------------------------------------------------
    // Keys and URLs

    fn b64(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            }
        }
        out
    }

    /// An (unsigned) JWT with these claims.
    fn jwt(claims: &str) -> String {
        format!(
            "{}.{}.c2lnbmF0dXJl",
            b64(br#"{"alg":"HS256","typ":"JWT"}"#),
            b64(claims.as_bytes())
        )
    }

    #[test]
    fn base64url_round_trips() {
        for text in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "{\"role\":\"anon\"}",
            "ÿ\u{1}\u{fe}~",
        ] {
            assert_eq!(
                base64url_decode(&b64(text.as_bytes())).as_deref(),
                Some(text.as_bytes()),
                "{text:?}"
            );
        }
        assert_eq!(base64url_decode("YQ=="), Some(b"a".to_vec()));
        assert_eq!(base64url_decode("a+b/"), None);
        assert_eq!(base64url_decode("abcde"), None);
    }

    fn check_key(key: &str, expected: Result<(KeyKind, &str, Option<i64>), &str>) {
        let got = ApiKey::parse(key)
            .map(|k| (k.kind(), k.role().to_owned(), k.expires_at()))
            .map_err(|e| e.to_string());
        match (&got, expected) {
            (Ok((kind, role, exp)), Ok((k, r, x))) => {
                assert_eq!((*kind, role.as_str(), *exp), (k, r, x), "{key}")
            }
            (Err(message), Err(start)) => {
                assert!(message.starts_with(start), "{key}: {message}")
            }
            _ => panic!("{key}: got {got:?}, want {expected:?}"),
        }
    }

    #[test]
    fn keys_are_checked_and_secret_ones_refused() {
        let anon = jwt(r#"{"iss":"supabase","ref":"abc","role":"anon","iat":1,"exp":1999999999}"#);
        check_key(&anon, Ok((KeyKind::Jwt, "anon", Some(1_999_999_999))));
        check_key(
            &format!(" Bearer {anon}\n"),
            Ok((KeyKind::Jwt, "anon", Some(1_999_999_999))),
        );
        check_key(
            &jwt(r#"{"role":"authenticated","exp":1700000000.5}"#),
            Ok((KeyKind::Jwt, "authenticated", Some(1_700_000_000))),
        );
        check_key(&jwt(r#"{"sub":"x"}"#), Ok((KeyKind::Jwt, "anon", None)));
        check_key(
            "sb_publishable_AbC-12_x",
            Ok((KeyKind::Publishable, "anon", None)),
        );
        let refused = "refusing a service_role key: it bypasses Row Level Security";
        check_key(
            &jwt(r#"{"role":"service_role","exp":1999999999}"#),
            Err(refused),
        );
        check_key(
            "sb_secret_abc",
            Err("refusing an sb_secret_ key: it bypasses Row Level Security"),
        );
        check_key("", Err("the API key is not a Supabase key: it is empty"));
        check_key(
            "sb_publishable_",
            Err("the API key is not a Supabase key: an sb_publishable_ key has"),
        );
        check_key(
            "sb_other_abc",
            Err("the API key is not a Supabase key: of the sb_ keys only"),
        );
        check_key(
            "my-password",
            Err("the API key is not a Supabase key: expected a JWT"),
        );
        check_key(
            "eyJ!.eyJ.x",
            Err("the API key is not a Supabase key: its header is not base64url"),
        );
        check_key(
            &format!("{}.{}.x", b64(b"{}"), b64(b"{}")),
            Err("the API key is not a Supabase key: its header names no algorithm"),
        );
        check_key(
            &format!("{}.{}.x", b64(br#"{"alg":"none"}"#), b64(b"[1]")),
            Err("the API key is not a Supabase key: its payload is not a JSON object"),
        );
        // The key's text never shows in Debug output.
        let debug = format!("{:?}", ApiKey::parse(&anon).unwrap());
        assert!(
            !debug.contains(&anon) && debug.contains("<redacted>"),
            "{debug}"
        );
    }

    fn check_url(url: &str, expected: Result<&str, &str>) {
        let key = jwt(r#"{"role":"anon"}"#);
        match (SupabaseConfig::new(url, &key), expected) {
            (Ok(config), Ok(want)) => assert_eq!(config.project_url(), want, "{url}"),
            (Err(e), Err(start)) => {
                let message = e.to_string();
                assert!(message.contains(start), "{url}: {message}");
            }
            (got, want) => panic!("{url}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn project_urls_are_normalised_and_plain_http_only_on_loopback() {
        check_url("https://abc.supabase.co", Ok("https://abc.supabase.co"));
        check_url(" https://abc.supabase.co/ ", Ok("https://abc.supabase.co"));
        check_url(
            "https://abc.supabase.co/rest/v1/",
            Ok("https://abc.supabase.co"),
        );
        check_url(
            "https://abc.supabase.co/rest/v1/observability_events",
            Ok("https://abc.supabase.co"),
        );
        check_url("http://127.0.0.1:54321", Ok("http://127.0.0.1:54321"));
        check_url(
            "http://localhost:8000/scenario/x",
            Ok("http://localhost:8000/scenario/x"),
        );
        check_url("http://[::1]:8000", Ok("http://[::1]:8000"));
        check_url(
            "abc.supabase.co",
            Err("expected https://<project-ref>.supabase.co"),
        );
        check_url(
            "ftp://abc.supabase.co",
            Err("only https URLs are supported"),
        );
        check_url(
            "http://abc.supabase.co",
            Err("plain http would send the key unencrypted"),
        );
        check_url("http://127.0.0.1.evil.com", Err("plain http"));
        check_url("https://abc.supabase.co/?apikey=x", Err("without a query"));
        check_url("https://u:p@abc.supabase.co", Err("user name or password"));
        check_url(
            "https://supabase.com/dashboard/project/abc",
            Err("this is the dashboard's address"),
        );
    }

    #[test]
    fn config_headers_roles_expiry_and_projects() {
        let anon = jwt(r#"{"ref":"abc","role":"anon","exp":2000}"#);
        let user = jwt(r#"{"role":"authenticated","exp":1000}"#);
        let config = SupabaseConfig::new("https://abc.supabase.co", &anon).unwrap();
        assert_eq!(config.role(), "anon");
        assert_eq!(
            config.auth_headers(),
            vec![
                ("apikey", anon.clone()),
                ("Authorization", format!("Bearer {anon}"))
            ]
        );
        let signed_in = config.clone().with_access_token(&user).unwrap();
        assert_eq!(signed_in.role(), "authenticated");
        assert_eq!(signed_in.auth_headers()[1].1, format!("Bearer {user}"));
        assert_eq!(signed_in.expires_at(), Some(1000));
        assert_eq!(signed_in.check_not_expired(999), Ok(()));
        assert_eq!(
            signed_in.check_not_expired(1000).unwrap_err().to_string(),
            "the access token expired at 1970-01-01T00:16:40Z: get a fresh one (sign in again for a user token) before reading"
        );
        // A publishable key goes in apikey only: it is not a JWT.
        let publishable =
            SupabaseConfig::new("https://abc.supabase.co", "sb_publishable_x").unwrap();
        assert_eq!(
            publishable.auth_headers(),
            vec![("apikey", "sb_publishable_x".to_owned())]
        );
        let with_user = publishable.with_access_token(&user).unwrap();
        assert_eq!(with_user.auth_headers().len(), 2);
        assert_eq!(
            SupabaseConfig::new("https://other.supabase.co", &anon)
                .unwrap_err()
                .to_string(),
            "the key belongs to project \"abc\" but the URL is project \"other\": use the key and URL of the same project (Project Settings → API Keys)"
        );
        assert!(ApiKey::parse_access_token("sb_publishable_x")
            .unwrap_err()
            .to_string()
            .contains("a signed-in user's access token is a JWT"));
        let request = PagedRead::new(&config, ReadPlan::window(None, None))
            .next_request()
            .unwrap();
        let debug = format!("{request:?}");
        assert!(!debug.contains(&anon), "{debug}");
    }

    #[test]
    fn backoff_schedule_is_bounded() {
        let b = Backoff::default();
        let schedule: Vec<Option<u64>> = (0..6).map(|n| b.delay_ms(n, None)).collect();
        assert_eq!(
            schedule,
            [None, Some(500), Some(1000), Some(2000), None, None]
        );
        assert_eq!(b.delay_ms(1, Some(3000)), Some(3000));
        assert_eq!(b.delay_ms(1, Some(60_000)), Some(8000));
        let long = Backoff {
            max_attempts: 40,
            ..b
        };
        assert_eq!(long.delay_ms(39, None), Some(8000));
    }

    // ---------------------------------------------------------------------------------------
    // Requests

    fn config() -> SupabaseConfig {
        SupabaseConfig::new(
            "https://abc.supabase.co",
            &jwt(r#"{"ref":"abc","role":"anon"}"#),
        )
        .unwrap()
    }

    #[test]
    fn requests_select_per_type_with_encoded_window_and_keyset() {
        let from = parse_timestamp("2025-10-16T18:35:00.175522Z").unwrap();
        let to = parse_timestamp("2025-10-17T00:00:00Z").unwrap();
        let mut read = PagedRead::new(&config(), ReadPlan::window(Some(from), Some(to)));
        let probe = read.next_request().unwrap();
        assert_eq!(
            probe.url,
            "https://abc.supabase.co/rest/v1/observability_events?select=i:id&created_at=gte.2025-10-16T18:35:00.175522Z&created_at=lt.2025-10-17T00:00:00Z&order=id.desc&limit=1"
        );
        assert!(probe
            .headers
            .contains(&("Prefer", "count=planned".to_owned())));
        assert!(probe.headers.contains(&("Accept", "text/csv".to_owned())));
        read.phase = Phase::Stream(0);
        read.cursor = Some(41);
        assert_eq!(
            read.next_request().unwrap().url,
            "https://abc.supabase.co/rest/v1/observability_events?select=i:id,s:success,p:processing_time_ms,e:details-%3E%3Eendpoint,et:details-%3E%3Eerror_type,em:details-%3E%3Eerror_message,c:details-%3Ecanary,a:created_at&event_type=eq.request_completed&created_at=gte.2025-10-16T18:35:00.175522Z&created_at=lt.2025-10-17T00:00:00Z&id=gt.41&order=id.asc&limit=1000"
        );
        read.phase = Phase::Stream(6);
        read.cursor = None;
        read.plan.after_id = Some(7);
        assert!(read.next_request().unwrap().url.contains(
            "&event_type=not.in.(request_completed,cache_access,cache_miss,mem0_write,circuit_breaker_state_change,feature_flags_loaded)&created_at=gte."
        ));
        let mut encoded = String::new();
        push_encoded(&mut encoded, "2025-10-16 18:35:00+02:00&x#é");
        assert_eq!(encoded, "2025-10-16%2018:35:00%2B02:00%26x%23%C3%A9");
    }

    // ---------------------------------------------------------------------------------------
    // Wire formats

    fn check_records(body: &str, expected: &[&[Option<&str>]]) {
        let mut records = Records { rest: body };
        let mut fields = Vec::new();
        let mut got: Vec<Vec<Option<String>>> = Vec::new();
        while let Some(r) = records.next(&mut fields) {
            r.unwrap();
            got.push(
                fields
                    .iter()
                    .map(|f| f.as_deref().map(str::to_owned))
                    .collect(),
            );
        }
        let want: Vec<Vec<Option<String>>> = expected
            .iter()
            .map(|r| r.iter().map(|f| f.map(str::to_owned)).collect())
            .collect();
        assert_eq!(got, want, "{body:?}");
    }

    #[test]
    fn postgrest_csv_records_unescape_like_record_literals() {
        check_records("", &[]);
        check_records("a,b\n1,\n", &[&[Some("a"), Some("b")], &[Some("1"), None]]);
        check_records(
            "1,\"\",\"a\"\"b\\\\c, (x)\",\"line1\nline2\"",
            &[&[
                Some("1"),
                Some(""),
                Some("a\"b\\c, (x)"),
                Some("line1\nline2"),
            ]],
        );
        check_records("\"\"\"yes\"\"\",true", &[&[Some("\"yes\""), Some("true")]]);
        let mut broken = Records { rest: "\"open" };
        assert!(broken.next(&mut Vec::new()).unwrap().is_err());
        let mut trailing = Records { rest: "\"a\"b" };
        assert!(trailing.next(&mut Vec::new()).unwrap().is_err());
    }

    // ---------------------------------------------------------------------------------------
    // A fake PostgREST over rows in memory

    /// A filter of the fake's query.
    type Filter = Box<dyn Fn(&EventRow) -> bool>;

    /// How the fake answers.
    #[derive(Clone)]
    struct Fake {
        rows: Vec<EventRow<'static>>,
        /// `db-max-rows`.
        cap: Option<usize>,
        /// Answers 503 to this many attempts of every `fail_every`-th request.
        fail_first: u32,
        fail_every: u32,
        seen: u32,
        failures_in_a_row: u32,
    }

    impl Fake {
        fn new(rows: Vec<EventRow<'static>>) -> Fake {
            Fake {
                rows,
                cap: None,
                fail_first: 0,
                fail_every: 0,
                seen: 0,
                failures_in_a_row: 0,
            }
        }

        fn answer(&mut self, request: &Request) -> (u16, Vec<(String, String)>, String) {
            self.seen += 1;
            if self.fail_every > 0 && self.seen.is_multiple_of(self.fail_every) {
                if self.failures_in_a_row < self.fail_first {
                    self.failures_in_a_row += 1;
                    self.seen -= 1;
                    return (503, vec![], r#"{"message":"upstream"}"#.into());
                }
                self.failures_in_a_row = 0;
            }
            let (_, query) = request.url.split_once('?').unwrap();
            let mut select = Vec::new();
            let mut limit = usize::MAX;
            let mut newest_first = false;
            let mut highest_first = false;
            let mut filters: Vec<Filter> = Vec::new();
            for param in query.split('&') {
                let (name, value) = param.split_once('=').unwrap();
                let value = value.replace("%2B", "+").replace("%20", " ");
                match (name, value.split_once('.').unwrap_or((&value, ""))) {
                    ("select", _) => {
                        select = value
                            .split(',')
                            .map(|item| Col::from_alias(item.split(':').next().unwrap()).unwrap())
                            .collect()
                    }
                    ("limit", _) => limit = value.parse().unwrap(),
                    ("order", _) if value == "created_at.desc,id.desc" => newest_first = true,
                    ("order", _) if value == "id.desc" => highest_first = true,
                    ("order", _) => assert_eq!(value, "id.asc"),
                    ("id", ("gt", v)) => {
                        let v: i64 = v.parse().unwrap();
                        filters.push(Box::new(move |r| r.id > v));
                    }
                    ("id", ("lte", v)) => {
                        let v: i64 = v.parse().unwrap();
                        filters.push(Box::new(move |r| r.id <= v));
                    }
                    ("created_at", (op, v)) => {
                        let t = parse_timestamp(v).unwrap();
                        let gte = op == "gte";
                        filters.push(Box::new(move |r| {
                            if gte {
                                r.created_at >= t
                            } else {
                                r.created_at < t
                            }
                        }));
                    }
                    ("event_type", ("eq", v)) => {
                        let v = v.to_owned();
                        filters.push(Box::new(move |r| r.event_type.as_str() == v));
                    }
                    ("event_type", ("not", v)) => {
                        let names: Vec<String> = v
                            .trim_start_matches("in.(")
                            .trim_end_matches(')')
                            .split(',')
                            .map(str::to_owned)
                            .collect();
                        filters.push(Box::new(move |r| {
                            !names.iter().any(|n| n == r.event_type.as_str())
                        }));
                    }
                    other => panic!("unexpected parameter {other:?}"),
                }
            }
            let mut matching: Vec<&EventRow> = self
                .rows
                .iter()
                .filter(|r| filters.iter().all(|f| f(r)))
                .collect();
            matching.sort_by_key(|r| r.id);
            if newest_first {
                matching.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
            }
            if highest_first {
                matching.reverse();
            }
            let total = matching.len();
            let page: Vec<&EventRow> = matching
                .into_iter()
                .take(limit.min(self.cap.unwrap_or(usize::MAX)))
                .collect();
            let json = request
                .headers
                .iter()
                .any(|(k, v)| *k == "Accept" && v == "application/json");
            let body = if json {
                let rows: Vec<Value> = page
                    .iter()
                    .map(|r| {
                        let mut obj = serde_json::Map::new();
                        for col in &select {
                            obj.insert(col.alias().to_owned(), json_value(r, *col));
                        }
                        Value::Object(obj)
                    })
                    .collect();
                serde_json::to_string(&rows).unwrap()
            } else if page.is_empty() {
                "\n".to_owned()
            } else {
                let mut out: Vec<String> = vec![select
                    .iter()
                    .map(|c| c.alias())
                    .collect::<Vec<_>>()
                    .join(",")];
                for r in &page {
                    let fields: Vec<String> = select
                        .iter()
                        .map(|c| record_field(wire_text(r, *c)))
                        .collect();
                    out.push(fields.join(","));
                }
                out.join("\n")
            };
            let range = format!("0-{}/{total}", page.len().saturating_sub(1));
            (200, vec![("Content-Range".into(), range)], body)
        }
    }

    /// A column's value as PostgreSQL's text output gives it (`None`: null).
    fn wire_text(r: &EventRow, col: Col) -> Option<String> {
        let b = |v: Option<bool>| v.map(|b| if b { "t" } else { "f" }.to_owned());
        let d = &r.details;
        match col {
            Col::Id => Some(r.id.to_string()),
            Col::Type => Some(r.event_type.as_str().to_owned()),
            Col::Success => b(r.success),
            Col::CacheHit => b(r.cache_hit),
            Col::Time => r.processing_time_ms.map(|v| {
                if v.is_nan() {
                    "NaN".to_owned()
                } else {
                    format!("{v:?}")
                }
            }),
            Col::CacheKey => r.cache_key.as_deref().map(str::to_owned),
            Col::Endpoint => d.endpoint.as_deref().map(str::to_owned),
            Col::ErrorType => d.error_type.as_deref().map(str::to_owned),
            Col::ErrorMessage => d.error_message.as_deref().map(str::to_owned),
            Col::Prefix => d.cache_key_prefix.as_deref().map(str::to_owned),
            Col::State => d.state.as_deref().map(str::to_owned),
            Col::Failures => d.failure_count.as_deref().map(str::to_owned),
            Col::Successes => d.success_count.as_deref().map(str::to_owned),
            Col::Canary => d.canary.map(|c| c.to_string()),
            Col::Details => Some(details_to_json(d)),
            Col::CreatedAt => Some(format_postgres(r.created_at)),
        }
    }

    fn json_value(r: &EventRow, col: Col) -> Value {
        let text = wire_text(r, col);
        match (col, text) {
            (_, None) => Value::Null,
            (Col::Id, _) => Value::from(r.id),
            (Col::Success, _) => Value::from(r.success),
            (Col::CacheHit, _) => Value::from(r.cache_hit),
            (Col::Time, Some(t)) if t == "NaN" => Value::from(t),
            (Col::Time, _) => Value::from(r.processing_time_ms),
            (Col::Canary | Col::Details, Some(t)) => serde_json::from_str(&t).unwrap(),
            (_, Some(t)) => Value::from(t),
        }
    }

    /// A value as `record_out` writes it.
    fn record_field(text: Option<String>) -> String {
        match text {
            None => String::new(),
            Some(t)
                if t.is_empty()
                    || t.chars().any(|c| {
                        c.is_whitespace() || matches!(c, '"' | '\\' | ',' | '(' | ')')
                    }) =>
            {
                format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\"\""))
            }
            Some(t) => t,
        }
    }

    /// Runs a read against the fake into `store`.
    fn run(
        fake: &mut Fake,
        plan: ReadPlan,
        store: &mut EventStore,
    ) -> (Result<Progress, SupabaseError>, PagedRead, Vec<Progress>) {
        let mut read = PagedRead::new(&config(), plan);
        let mut seen = Vec::new();
        let mut batch = store.batch();
        let mut last = Ok(Progress::default());
        while let Some(request) = read.next_request() {
            let (status, headers, body) = fake.answer(&request);
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            last = read.on_response(status, &headers, body.as_bytes(), &mut batch);
            match &last {
                Ok(p) => seen.push(p.clone()),
                Err(_) => break,
            }
            assert!(seen.len() < 10_000, "the read does not end");
        }
        drop(batch);
        (last, read, seen)
    }

    fn metrics_json(store: &EventStore, window: Option<Window>) -> String {
        serde_json::to_string(&compute(store, window)).unwrap()
    }

    /// Three hours of the demo (every event type, incidents, messy rows), ids in time order.
    fn demo_sample() -> Vec<EventRow<'static>> {
        let config = DemoConfig {
            duration: 3 * MICROS_PER_HOUR,
            ..DemoConfig::with_events(8_000)
        };
        demo_rows(&config).collect()
    }

    /// [`demo_sample`] plus rows of an unknown type and with text that needs quoting.
    fn sample_rows() -> Vec<EventRow<'static>> {
        let mut rows = demo_sample();
        let at = rows[100].created_at;
        let mut odd = rows[100].clone();
        odd.id = rows.last().unwrap().id + 1;
        odd.event_type = EventType::Other;
        rows.push(odd);
        let mut quoted = rows[101].clone();
        quoted.id = rows.last().unwrap().id + 1;
        quoted.created_at = at + 1;
        quoted.event_type = EventType::RequestCompleted;
        quoted.success = Some(false);
        quoted.details.endpoint = Some(Cow::Borrowed("/a \"b\" \\c, (d)"));
        quoted.details.error_message = Some(Cow::Borrowed(""));
        rows.push(quoted);
        rows
    }

    /// The rows of `[from, to)` loaded directly, as a file reader would, with the newest
    /// circuit-breaker transition before `from`.
    fn direct_store(rows: &[EventRow<'static>], from: Micros, to: Micros) -> EventStore {
        let prior = rows
            .iter()
            .filter(|r| r.event_type == EventType::CircuitBreakerStateChange && r.created_at < from)
            .max_by_key(|r| (r.created_at, r.id));
        let mut store = EventStore::new();
        let mut batch = store.batch();
        if let Some(r) = prior {
            batch.push(r);
        }
        for r in rows
            .iter()
            .filter(|r| r.created_at >= from && r.created_at < to)
        {
            if r.event_type == EventType::Other {
                batch.note_unknown_type(r.event_type.as_str());
            }
            batch.push(r);
        }
        drop(batch);
        store
    }

    #[test]
    fn paged_reads_equal_the_rows_whatever_the_server_cap() {
        let rows = sample_rows();
        let (first, last) = (
            rows[0].created_at,
            rows.iter().map(|r| r.created_at).max().unwrap(),
        );
        let window = Window::new(first + 600_000_000, last - 600_000_000).unwrap();
        let direct = direct_store(&rows, window.from, window.to);
        let want = metrics_json(&direct, Some(window));
        // (page size, server cap, format)
        let cases = [
            (1000, None, WireFormat::Csv),
            (1000, Some(1000), WireFormat::Csv),
            (1000, Some(300), WireFormat::Csv),
            (250, Some(1000), WireFormat::Json),
            (2500, Some(1000), WireFormat::Json),
            (5, Some(3), WireFormat::Csv),
        ];
        for (page_size, cap, format) in cases {
            let mut fake = Fake::new(rows.clone());
            fake.cap = cap;
            let plan = ReadPlan {
                page_size,
                format,
                ..ReadPlan::window(Some(window.from), Some(window.to))
            };
            let mut store = EventStore::new();
            let (result, read, seen) = run(&mut fake, plan, &mut store);
            let progress = result.unwrap();
            let case = format!("page {page_size}, cap {cap:?}, {format:?}");
            assert!(progress.done, "{case}");
            assert_eq!(store.len(), direct.len(), "{case}");
            assert_eq!(progress.estimate, Some(progress.rows), "{case}");
            assert_eq!(metrics_json(&store, Some(window)), want, "{case}");
            assert_eq!(store.load_notes(), direct.load_notes(), "{case}");
            assert_eq!(read.newest_id(), direct.max_id(), "{case}");
            assert!(read.warnings().is_empty(), "{case}");
            // Pages of the server's size, plus at most one empty page per stream to settle a
            // short page whose meaning was not yet known.
            let page = page_size.min(cap.unwrap_or(usize::MAX));
            let bound = 1 + direct.len() / page + 2 * STREAMS.len();
            assert!(
                seen.len() <= bound,
                "{case}: {} requests > {bound}",
                seen.len()
            );
            assert!(seen.windows(2).all(|w| w[0].rows <= w[1].rows), "{case}");
        }
    }

    #[test]
    fn the_breaker_state_before_the_window_carries_over() {
        let breaker = |id, at, state: &'static str| EventRow {
            id,
            event_type: EventType::CircuitBreakerStateChange,
            success: None,
            cache_hit: None,
            processing_time_ms: None,
            cache_key: None,
            details: Details {
                state: Some(Cow::Borrowed(state)),
                failure_count: Some(Cow::Borrowed("5")),
                ..Details::default()
            },
            created_at: at,
        };
        let mut rows = vec![breaker(1, 10, "half_open"), breaker(2, 20, "open")];
        rows.extend(demo_sample().into_iter().take(300).map(|mut r| {
            r.id += 10;
            r
        }));
        let from = rows[2].created_at;
        let mut store = EventStore::new();
        let (result, _, seen) = run(
            &mut Fake::new(rows.clone()),
            ReadPlan::window(Some(from), None),
            &mut store,
        );
        assert_eq!(result.unwrap().rows, 300);
        assert!(seen.len() >= 3);
        let window = Window::new(from, i64::MAX);
        let m = compute(&store, window);
        assert_eq!(m.circuit_breaker.current_state, "open");
        assert_eq!(m.window.events, 300);
        assert_eq!(
            metrics_json(&store, window),
            metrics_json(&direct_store(&rows, from, i64::MAX), window)
        );
        // The window moves on: the state is still known.
        store.retain_from(from + 1);
        assert_eq!(
            compute(&store, Window::new(from + 1, i64::MAX))
                .circuit_breaker
                .current_state,
            "open"
        );
    }

    /// A full read of two hours, then a refresh after `new_minutes` more with the window moved
    /// 30 minutes on; `combined`: whether the refresh should take the one-stream path.
    fn check_refresh(events_per_day: usize, new_minutes: i64, combined: bool) {
        let config = DemoConfig {
            duration: 4 * MICROS_PER_HOUR,
            ..DemoConfig::with_events(events_per_day)
        };
        let rows: Vec<EventRow<'static>> = demo_rows(&config).collect();
        let start = rows[0].created_at;
        let (hour, minute) = (MICROS_PER_HOUR, MICROS_PER_HOUR / 60);
        let until = |t: Micros| rows.iter().filter(|r| r.created_at < t).cloned().collect();
        let mut fake = Fake::new(until(start + 2 * hour));
        let mut store = EventStore::new();
        let (result, read, _) = run(&mut fake, ReadPlan::window(Some(start), None), &mut store);
        result.unwrap();
        assert_eq!(read.newest_id(), store.max_id());
        fake.rows = until(start + 2 * hour + new_minutes * minute);
        let from = start + hour / 2;
        let before = fake.seen;
        let plan = ReadPlan::refresh(Some(from), None, store.max_id());
        let (result, read, _) = run(&mut fake, plan, &mut store);
        let progress = result.unwrap();
        let case = format!("{events_per_day}/day, {new_minutes} min");
        assert_eq!(read.combined, combined, "{case}");
        // Counted exactly by the probe.
        assert_eq!(progress.estimate, Some(progress.rows), "{case}");
        store.retain_from(from);
        let direct = direct_store(&fake.rows, from, i64::MAX);
        assert_eq!(store.ids(), direct.ids(), "{case}");
        let window = Window::whole(&direct);
        assert_eq!(
            metrics_json(&store, window),
            metrics_json(&direct, window),
            "{case}"
        );
        let requests = fake.seen - before;
        if combined {
            // The probe and one page.
            assert_eq!(requests, 2, "{case}");
        } else {
            // The probe and a page or two per stream.
            let pages = progress.rows as u32 / 1000;
            assert!(
                requests <= 1 + pages + 2 * STREAMS.len() as u32,
                "{case}: {requests}"
            );
        }
        // Nothing new: one request, no warning.
        let plan = ReadPlan::refresh(Some(from), None, store.max_id());
        let (result, read, seen) = run(&mut fake, plan, &mut store);
        assert_eq!(result.unwrap().rows, 0, "{case}");
        assert_eq!(seen.len(), 1, "{case}");
        assert!(read.warnings().is_empty(), "{case}");
    }

    #[test]
    fn refresh_appends_new_rows_and_the_window_moves_on() {
        check_refresh(8_000, 30, true);
        check_refresh(8_000, 1, true);
        check_refresh(100_000, 60, false);
    }

    #[test]
    fn an_empty_read_warns_that_rls_may_hide_rows() {
        let mut store = EventStore::new();
        let (result, read, seen) = run(
            &mut Fake::new(Vec::new()),
            ReadPlan::window(None, None),
            &mut store,
        );
        assert!(result.unwrap().done);
        assert_eq!(seen.len(), 1);
        assert_eq!(
            read.warnings()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["no rows in the window for the role \"anon\": either observability_events has none there, or Row Level Security hides them from this role (sql/001_observability_events.sql lets only signed-in users read: sign in as a user of the project)"]
        );
    }

    #[test]
    fn failures_are_retried_with_backoff_and_then_reported() {
        let rows = sample_rows();
        let direct = direct_store(&rows, i64::MIN, i64::MAX);
        // Every third request fails twice, then succeeds.
        let mut fake = Fake::new(rows.clone());
        fake.fail_every = 3;
        fake.fail_first = 2;
        let mut store = EventStore::new();
        let (result, _, seen) = run(&mut fake, ReadPlan::window(None, None), &mut store);
        assert!(result.unwrap().done);
        assert_eq!(store.len(), direct.len());
        let delays: Vec<u64> = seen
            .iter()
            .filter_map(|p| p.retry.as_ref().map(|r| r.delay_ms))
            .take(2)
            .collect();
        assert_eq!(delays, [500, 1000]);
        // Failing for good: the error says so, and the store is as it was.
        let mut fake = Fake::new(rows);
        fake.fail_every = 3;
        fake.fail_first = 99;
        let mut store = EventStore::new();
        store.extend([sample_rows()[0].clone()]);
        let (result, _, _) = run(&mut fake, ReadPlan::window(None, None), &mut store);
        assert_eq!(
            result.unwrap_err().to_string(),
            "the server answered 503 4 times in a row (upstream): Supabase is unavailable; try again in a minute"
        );
        assert_eq!(store.len(), 1);
        // No answer at all, four times.
        let mut read = PagedRead::new(&config(), ReadPlan::window(None, None));
        let mut store = EventStore::new();
        let mut batch = store.batch();
        let mut outcomes = Vec::new();
        while let Some(request) = read.next_request() {
            outcomes.push(request.delay_ms);
            if let Err(e) = read.on_transport_error("connection refused", &mut batch) {
                outcomes.push(0);
                assert_eq!(e.to_string(), "could not reach https://abc.supabase.co/rest/v1/observability_events (connection refused): check the project URL and the network connection; in a browser a blocked request (CORS, an ad blocker, offline) fails the same way");
            }
        }
        assert_eq!(outcomes, [0, 500, 1000, 2000, 0]);
    }

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

    #[test]
    fn malformed_rows_name_the_row_and_column() {
        let cases = [
            (WireFormat::Csv, "i,s,a\n1,maybe,\"2025-10-16 18:35:00+00\"", "row 1: column s: expected t or f, got \"maybe\""),
            (WireFormat::Csv, "i,a\n1,\"2025-13-16 18:35:00+00\"", "row 1: \"2025-13-16 18:35:00+00\" is not a calendar date and time"),
            (WireFormat::Csv, "i,a\n1", "CSV row 1: 1 fields, but the header names 2"),
            (WireFormat::Csv, "i,a\n,\"2025-10-16 18:35:00+00\"", "a row without id"),
            (WireFormat::Json, "[{\"i\":1,\"s\":tr", "not the expected JSON array (EOF while parsing a value at line 1 column 14)"),
            (WireFormat::Json, "{\"i\":1}", "not the expected JSON array (invalid type: map, expected a sequence at line 1 column 0)"),
            (WireFormat::Json, "[{\"i\":1,\"p\":\"fast\",\"a\":\"2025-10-16T18:35:00Z\"}]", "row 1: column p: not a number: \"fast\""),
        ];
        for (format, body, expected) in cases {
            let got = decode_page(format, body, &mut |w| {
                event_row(Some(EventType::RequestCompleted), w).map(|_| ())
            });
            assert_eq!(got, Err(expected.to_owned()), "{body}");
        }
    }
}
