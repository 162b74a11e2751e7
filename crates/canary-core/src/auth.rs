//! A sans-IO client of Supabase Auth (GoTrue, `/auth/v1`): it builds the requests a sign-in
//! needs and reads their answers into a [`Session`] or an [`AuthError`] that says what to do.
//! The page (`src/api/`) and the CLI send them with their own transports.
//!
//! Flows: email + password (`/token?grant_type=password`), a one-time code by email (`/otp`, then
//! `/verify` with the typed code, or the emailed link, which lands back on the page: see
//! [`read_landing`]), OAuth with PKCE (`/authorize` with an S256 challenge, back with `?code=`,
//! exchanged at `/token?grant_type=pkce`), refresh (`/token?grant_type=refresh_token`: the
//! refresh token is single-use and rotates) and sign-out (`/logout`). Answer shapes follow
//! Supabase Auth's OpenAPI description (`AccessTokenResponseSchema`, `ErrorSchema` with the
//! `error_code` newer servers add).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::supabase::SupabaseConfig;

/// The HTTP method of an [`AuthRequest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One request to Supabase Auth. Headers and body carry the key, a password or a token:
/// `Debug` shows only the method and URL.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// JSON, for a `POST`.
    pub body: Option<String>,
}

impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &"<redacted>")
            .field("body", &self.body.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Who is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    /// The user's id (`auth.users.id`).
    pub id: String,
    /// The email address, if the user has one (anonymous sign-ins have none).
    pub email: Option<String>,
    /// An anonymous sign-in: never a member of a team.
    pub is_anonymous: bool,
}

impl SessionUser {
    /// How the page names the user: the email, else "an anonymous user".
    pub fn name(&self) -> &str {
        match &self.email {
            Some(email) if !email.is_empty() => email,
            _ => "an anonymous user",
        }
    }
}

/// A signed-in session. The tokens are private to it: `Debug` redacts them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The JWT sent as `Authorization: Bearer` to the REST API.
    pub access_token: String,
    /// Single-use: exchanged for the next session, after which it is spent.
    pub refresh_token: String,
    /// When the access token expires, Unix seconds.
    pub expires_at: i64,
    /// How long the access token was issued for, seconds.
    pub lifetime: i64,
    pub user: SessionUser,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish()
    }
}

impl Session {
    /// When to refresh, Unix seconds: a quarter of the lifetime before expiry, at most a minute
    /// and at least a second before it, so a refresh is done while the old token still works.
    pub fn refresh_at(&self) -> i64 {
        let margin = (self.lifetime / 4).clamp(1, 60);
        self.expires_at - margin
    }

    /// Whether the access token has expired at `now` (Unix seconds).
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// Why a sign-in, refresh or sign-out failed, each with what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("wrong email or password: check both (the password is case-sensitive), or sign in with a one-time code instead")]
    WrongPassword,
    #[error("this email address is not confirmed yet: open the confirmation email Supabase sent (check spam), then sign in again")]
    EmailNotConfirmed,
    #[error("Supabase Auth is rate limiting sign-ins ({detail}): wait a minute before asking for another code or trying again")]
    RateLimited { detail: String },
    #[error("the code is wrong or has expired ({detail}): type the newest code from the email, or ask for a new one")]
    CodeRejected { detail: String },
    #[error("the session ended ({detail}): the refresh token was already used or revoked (signed out elsewhere?); sign in again")]
    SessionEnded { detail: String },
    #[error("this project does not let new users sign up ({detail}): ask a team admin to invite your email address, then sign in")]
    SignupsClosed { detail: String },
    #[error("the OAuth sign-in could not be completed ({detail}): start it again from this page (the link works once, in the tab that started it)")]
    OAuthFailed { detail: String },
    #[error("the sign-in link is invalid or has expired ({detail}): a link works once and for a limited time; ask for a new code on this page and use the newest email")]
    LinkRejected { detail: String },
    #[error("Supabase Auth refused the project's key ({detail}): check the project URL and the anon or publishable key")]
    KeyRefused { detail: String },
    #[error("could not reach Supabase Auth at {url} ({detail}): check the network connection and the project URL")]
    Network { url: String, detail: String },
    #[error("Supabase Auth answered {status}: {detail}")]
    Http { status: u16, detail: String },
    #[error("the answer of Supabase Auth is not what was expected ({detail}): check that the URL is the project URL (https://<project-ref>.supabase.co)")]
    Malformed { detail: String },
    #[error("{what} is empty: fill it in")]
    Missing { what: &'static str },
}

/// The `apikey` header of every Auth request (Supabase's gateway requires it).
fn api_key_header(config: &SupabaseConfig) -> Vec<(&'static str, String)> {
    let mut headers: Vec<(&'static str, String)> = config
        .auth_headers()
        .into_iter()
        .filter(|(name, _)| *name == "apikey")
        .collect();
    headers.push(("Content-Type", "application/json".to_owned()));
    headers
}

fn post(config: &SupabaseConfig, path: &str, body: Value) -> AuthRequest {
    AuthRequest {
        method: Method::Post,
        url: format!("{}/auth/v1/{path}", config.project_url()),
        headers: api_key_header(config),
        body: Some(body.to_string()),
    }
}

fn required<'a>(value: &'a str, what: &'static str) -> Result<&'a str, AuthError> {
    let value = value.trim();
    if value.is_empty() {
        Err(AuthError::Missing { what })
    } else {
        Ok(value)
    }
}

/// Email + password.
pub fn password_grant(
    config: &SupabaseConfig,
    email: &str,
    password: &str,
) -> Result<AuthRequest, AuthError> {
    let email = required(email, "the email address")?;
    if password.is_empty() {
        return Err(AuthError::Missing {
            what: "the password",
        });
    }
    Ok(post(
        config,
        "token?grant_type=password",
        serde_json::json!({ "email": email, "password": password }),
    ))
}

/// Asks Supabase Auth to email a one-time code (and magic link) to an existing user: the
/// console never creates accounts (`create_user: false`). With the PKCE `challenge` the link
/// lands back on `redirect_to` with `?code=`, exchanged by [`pkce_grant`] like an OAuth sign-in,
/// so no token ever travels in the address bar.
pub fn send_email_code(
    config: &SupabaseConfig,
    email: &str,
    redirect_to: &str,
    challenge: &str,
) -> Result<AuthRequest, AuthError> {
    let email = required(email, "the email address")?;
    let mut request = post(
        config,
        "otp",
        serde_json::json!({
            "email": email,
            "create_user": false,
            "code_challenge": challenge,
            "code_challenge_method": "s256",
        }),
    );
    request.url = format!(
        "{}?redirect_to={}",
        request.url,
        stdx::url::encode_component(redirect_to)
    );
    Ok(request)
}

/// Exchanges the emailed code for a session.
pub fn verify_email_code(
    config: &SupabaseConfig,
    email: &str,
    code: &str,
) -> Result<AuthRequest, AuthError> {
    let email = required(email, "the email address")?;
    let code = required(code, "the code")?;
    Ok(post(
        config,
        "verify",
        serde_json::json!({ "type": "email", "email": email, "token": code }),
    ))
}

/// Exchanges a (single-use) refresh token for the next session.
pub fn refresh_grant(config: &SupabaseConfig, refresh_token: &str) -> AuthRequest {
    post(
        config,
        "token?grant_type=refresh_token",
        serde_json::json!({ "refresh_token": refresh_token }),
    )
}

/// Exchanges the `?code=` of an OAuth (or magic link) redirect, with the verifier its challenge
/// was made from.
pub fn pkce_grant(
    config: &SupabaseConfig,
    auth_code: &str,
    verifier: &str,
) -> Result<AuthRequest, AuthError> {
    let auth_code = required(auth_code, "the sign-in code")?;
    Ok(post(
        config,
        "token?grant_type=pkce",
        serde_json::json!({ "auth_code": auth_code, "code_verifier": verifier }),
    ))
}

/// Ends the session on the server (its refresh tokens stop working).
pub fn sign_out(config: &SupabaseConfig, access_token: &str) -> AuthRequest {
    let mut request = post(config, "logout?scope=local", Value::Null);
    request.body = None;
    request
        .headers
        .push(("Authorization", format!("Bearer {access_token}")));
    request
}

/// Where to send the browser to sign in with an OAuth provider (e.g. `github`): Supabase Auth
/// sends it on to the provider and back to `redirect_to` with `?code=`.
pub fn authorize_url(
    config: &SupabaseConfig,
    provider: &str,
    redirect_to: &str,
    challenge: &str,
) -> String {
    format!(
        "{}/auth/v1/authorize?provider={}&redirect_to={}&code_challenge={}&code_challenge_method=s256",
        config.project_url(),
        stdx::url::encode_component(provider),
        stdx::url::encode_component(redirect_to),
        stdx::url::encode_component(challenge)
    )
}

/// A PKCE code verifier from 32 random bytes (RFC 7636: 43 characters of base64url).
pub fn pkce_verifier(random: &[u8; 32]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
}

/// The S256 challenge of a verifier: base64url(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// What the address bar holds when Supabase Auth sends the browser back to the page.
#[derive(Debug, PartialEq, Eq)]
pub enum Landing {
    /// `?code=`: an OAuth sign-in or an emailed link asked for with a PKCE challenge; exchanged
    /// by [`pkce_grant`] with the verifier kept when it started.
    Code(String),
    /// The implicit flow's `#access_token=…&refresh_token=…` (an emailed link asked for without
    /// a challenge, e.g. by another client of the project): the refresh token is exchanged at
    /// once by [`refresh_grant`], which also says who signed in.
    RefreshToken(String),
    /// Supabase Auth or the provider sent an error back instead.
    Failed(AuthError),
}

/// The query parameters a landing uses; the page takes them (and a landing's fragment) off the
/// address bar, since a code or token in it must not be bookmarked or shared.
pub const LANDING_PARAMS: [&str; 4] = ["code", "error", "error_code", "error_description"];

/// Reads a landing from the page's decoded query and fragment parameters (name, value), or
/// `None` when the page was opened some other way.
pub fn read_landing(query: &[(String, String)], fragment: &[(String, String)]) -> Option<Landing> {
    let get = |params: &[(String, String)], name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    for params in [query, fragment] {
        if get(params, "error").is_some() || get(params, "error_code").is_some() {
            let code = get(params, "error_code").unwrap_or_default();
            let detail = get(params, "error_description")
                .filter(|d| !d.is_empty())
                .or_else(|| get(params, "error"))
                .unwrap_or_else(|| code.clone());
            let detail: String = detail
                .chars()
                .filter(|&c| !c.is_control() && !crate::report::is_invisible_format(c))
                .take(200)
                .collect();
            return Some(Landing::Failed(match code.as_str() {
                "otp_expired" => AuthError::LinkRejected { detail },
                "signup_disabled" | "user_not_found" => AuthError::SignupsClosed { detail },
                _ => AuthError::OAuthFailed { detail },
            }));
        }
    }
    if let Some(code) = get(query, "code") {
        return Some(match code.is_empty() {
            true => Landing::Failed(AuthError::OAuthFailed {
                detail: "the address has an empty code".to_owned(),
            }),
            false => Landing::Code(code),
        });
    }
    get(fragment, "access_token")?;
    Some(
        match get(fragment, "refresh_token").filter(|t| !t.is_empty()) {
            Some(token) => Landing::RefreshToken(token),
            None => Landing::Failed(AuthError::Malformed {
                detail: "the sign-in link brought an access token without a refresh token"
                    .to_owned(),
            }),
        },
    )
}

/// Reads the answer to a sign-in, code check, PKCE exchange or refresh. `now` is Unix seconds
/// (the expiry is `now + expires_in`, or the answer's `expires_at`).
pub fn read_session(status: u16, body: &[u8], now: i64) -> Result<Session, AuthError> {
    if !(200..300).contains(&status) {
        return Err(classify(status, body));
    }
    let value: Value = std::str::from_utf8(body)
        .ok()
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| AuthError::Malformed {
            detail: format!("HTTP {status} without a JSON body"),
        })?;
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let missing = |what: &str| AuthError::Malformed {
        detail: format!("no {what} in the answer"),
    };
    let access_token = text(&value, "access_token").ok_or_else(|| missing("access_token"))?;
    let refresh_token = text(&value, "refresh_token").ok_or_else(|| missing("refresh_token"))?;
    let expires_in = value.get("expires_in").and_then(Value::as_i64);
    let expires_at = value
        .get("expires_at")
        .and_then(Value::as_i64)
        .or_else(|| expires_in.map(|s| now + s))
        .ok_or_else(|| missing("expires_in"))?;
    let user = value.get("user").ok_or_else(|| missing("user"))?;
    Ok(Session {
        access_token,
        refresh_token,
        expires_at,
        lifetime: expires_in.unwrap_or(expires_at - now).max(1),
        user: SessionUser {
            id: text(user, "id").ok_or_else(|| missing("user id"))?,
            email: text(user, "email").filter(|e| !e.is_empty()),
            is_anonymous: user
                .get("is_anonymous")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
    })
}

/// Reads an answer without a session (`/otp`: 200 `{}`, `/logout`: 204).
pub fn read_done(status: u16, body: &[u8]) -> Result<(), AuthError> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(classify(status, body))
    }
}

/// The typed error of a failed answer: by `error_code` where the server sends one, else by
/// the message (older servers), else by status.
fn classify(status: u16, body: &[u8]) -> AuthError {
    let value: Option<Value> = std::str::from_utf8(body)
        .ok()
        .and_then(|text| serde_json::from_str(text).ok());
    let field = |key: &str| {
        value
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let code = field("error_code").or_else(|| field("error"));
    let detail = field("msg")
        .or_else(|| field("error_description"))
        .or_else(|| field("message"))
        .unwrap_or_else(|| {
            if body.trim_ascii_start().starts_with(b"<") {
                "a web page (HTML) came back".to_owned()
            } else {
                String::from_utf8_lossy(body).chars().take(200).collect()
            }
        });
    let lower = detail.to_ascii_lowercase();
    match code.as_deref().unwrap_or("") {
        "invalid_credentials" => AuthError::WrongPassword,
        "email_not_confirmed" => AuthError::EmailNotConfirmed,
        c if c.starts_with("over_") => AuthError::RateLimited { detail },
        "otp_expired" => AuthError::CodeRejected { detail },
        "refresh_token_not_found"
        | "refresh_token_already_used"
        | "session_not_found"
        | "session_expired" => AuthError::SessionEnded { detail },
        "signup_disabled" | "otp_disabled" | "user_not_found" => {
            AuthError::SignupsClosed { detail }
        }
        "bad_code_verifier" | "flow_state_not_found" | "flow_state_expired" => {
            AuthError::OAuthFailed { detail }
        }
        _ if status == 429 => AuthError::RateLimited { detail },
        _ if lower.contains("invalid login credentials") => AuthError::WrongPassword,
        _ if lower.contains("email not confirmed") => AuthError::EmailNotConfirmed,
        _ if lower.contains("refresh token") => AuthError::SessionEnded { detail },
        _ if lower.contains("signups not allowed") => AuthError::SignupsClosed { detail },
        _ if lower.contains("token has expired or is invalid") => {
            AuthError::CodeRejected { detail }
        }
        _ if status == 401 && (lower.contains("api key") || lower.contains("apikey")) => {
            AuthError::KeyRefused { detail }
        }
        _ => AuthError::Http { status, detail },
    }
}

/// A failure without an HTTP answer (unreachable, CORS, offline), for the request sent.
pub fn network_error(request: &AuthRequest, detail: &str) -> AuthError {
    AuthError::Network {
        url: request
            .url
            .split('?')
            .next()
            .unwrap_or(&request.url)
            .to_owned(),
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANON: &str =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiIsImV4cCI6NDEwMjQ0NDgwMH0.sig";

    fn config() -> SupabaseConfig {
        SupabaseConfig::new("https://abc.supabase.co", ANON).unwrap()
    }

    #[test]
    fn pkce_matches_rfc_7636() {
        // RFC 7636 appendix B.
        let random = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = pkce_verifier(&random);
        assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            pkce_challenge(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn requests_carry_the_key_and_hide_secrets_in_debug() {
        let r = password_grant(&config(), " jane@example.com ", "hunter2").unwrap();
        assert_eq!(r.method, Method::Post);
        assert_eq!(
            r.url,
            "https://abc.supabase.co/auth/v1/token?grant_type=password"
        );
        assert!(r.headers.contains(&("apikey", ANON.to_owned())));
        assert!(!r.headers.iter().any(|(k, _)| *k == "Authorization"));
        let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"email": "jane@example.com", "password": "hunter2"})
        );
        let debug = format!("{r:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains(ANON),
            "{debug}"
        );
        assert_eq!(
            password_grant(&config(), "", "x").unwrap_err(),
            AuthError::Missing {
                what: "the email address"
            }
        );
        let out = sign_out(&config(), "tok");
        assert!(out
            .headers
            .contains(&("Authorization", "Bearer tok".into())));
        assert_eq!(out.body, None);
        let otp = send_email_code(
            &config(),
            "a@b.c",
            "https://o.github.io/canary-console/",
            "ch-_",
        )
        .unwrap();
        assert_eq!(
            otp.url,
            "https://abc.supabase.co/auth/v1/otp?redirect_to=https%3A%2F%2Fo.github.io%2Fcanary-console%2F"
        );
        let body: Value = serde_json::from_str(otp.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"email": "a@b.c", "create_user": false, "code_challenge": "ch-_", "code_challenge_method": "s256"})
        );
        assert_eq!(
            authorize_url(&config(), "github", "https://o.github.io/canary-console/", "ch-_"),
            "https://abc.supabase.co/auth/v1/authorize?provider=github&redirect_to=https%3A%2F%2Fo.github.io%2Fcanary-console%2F&code_challenge=ch-_&code_challenge_method=s256"
        );
    }

    #[test]
    fn sessions_are_read_and_refreshed_before_expiry() {
        let body = br#"{"access_token":"a.b.c","token_type":"bearer","expires_in":3600,"expires_at":1700003600,"refresh_token":"r1","user":{"id":"u1","email":"jane@example.com","is_anonymous":false}}"#;
        let s = read_session(200, body, 1_700_000_000).unwrap();
        assert_eq!(s.expires_at, 1_700_003_600);
        assert_eq!(s.refresh_at(), 1_700_003_540);
        assert_eq!(s.user.name(), "jane@example.com");
        assert!(!format!("{s:?}").contains("r1"));
        // Without expires_at; a short lifetime refreshes a quarter before its end.
        let body = br#"{"access_token":"a","expires_in":20,"refresh_token":"r","user":{"id":"u","email":""}}"#;
        let s = read_session(200, body, 100).unwrap();
        assert_eq!((s.expires_at, s.refresh_at()), (120, 115));
        assert_eq!(s.user.name(), "an anonymous user");
        assert!(!s.is_expired(119) && s.is_expired(120));
        assert!(matches!(
            read_session(200, b"{}", 0),
            Err(AuthError::Malformed { .. })
        ));
        assert!(matches!(
            read_session(200, b"<html>", 0),
            Err(AuthError::Malformed { .. })
        ));
    }

    fn landing(query: &[(&str, &str)], fragment: &[(&str, &str)], expected: Option<&str>) {
        let owned = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let got = read_landing(&owned(query), &owned(fragment)).map(|l| match l {
            Landing::Code(c) => format!("code {c}"),
            Landing::RefreshToken(t) => format!("refresh {t}"),
            Landing::Failed(e) => format!("failed: {e}"),
        });
        match (got.as_deref(), expected) {
            (Some(got), Some(want)) => assert!(
                got.starts_with(want),
                "{query:?} {fragment:?}:\n  got {got}"
            ),
            (got, want) => assert_eq!(got, want, "{query:?} {fragment:?}"),
        }
    }

    #[test]
    fn landings_are_read_from_the_query_and_the_fragment() {
        // Opened some other way.
        landing(&[], &[], None);
        landing(&[("range", "24h"), ("source", "supabase")], &[], None);
        landing(&[], &[("panel", "alerts")], None);
        // PKCE: OAuth, or an emailed link asked for with a challenge.
        landing(
            &[("code", " 8f1e "), ("range", "24h")],
            &[],
            Some("code 8f1e"),
        );
        landing(
            &[("code", "")],
            &[],
            Some(
                "failed: the OAuth sign-in could not be completed (the address has an empty code)",
            ),
        );
        // The implicit flow's tokens in the fragment.
        landing(
            &[],
            &[
                ("access_token", "a.b.c"),
                ("expires_in", "3600"),
                ("refresh_token", "r1"),
                ("token_type", "bearer"),
                ("type", "magiclink"),
            ],
            Some("refresh r1"),
        );
        landing(&[], &[("access_token", "a.b.c")], Some("failed: the answer of Supabase Auth is not what was expected (the sign-in link brought an access token without a refresh token)"));
        // Errors, in the query (PKCE) or the fragment (implicit), win over anything else.
        landing(
            &[("error", "access_denied"), ("error_code", "otp_expired"), ("error_description", "Email link is invalid or has expired")],
            &[],
            Some("failed: the sign-in link is invalid or has expired (Email link is invalid or has expired): a link works once"),
        );
        landing(
            &[("code", "x")],
            &[
                ("error", "access_denied"),
                ("error_code", "otp_expired"),
                ("error_description", ""),
            ],
            Some("failed: the sign-in link is invalid or has expired (access_denied)"),
        );
        landing(
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied the request\u{202e}"),
            ],
            &[],
            Some("failed: the OAuth sign-in could not be completed (The user denied the request)"),
        );
        landing(
            &[("error_code", "signup_disabled")],
            &[],
            Some("failed: this project does not let new users sign up (signup_disabled)"),
        );
    }

    fn check(status: u16, body: &str, expected: &str) {
        let got = read_session(status, body.as_bytes(), 0)
            .unwrap_err()
            .to_string();
        assert!(got.starts_with(expected), "{status} {body}:\n  got {got}");
    }

    #[test]
    fn every_failure_says_what_to_do() {
        check(
            400,
            r#"{"code":400,"error_code":"invalid_credentials","msg":"Invalid login credentials"}"#,
            "wrong email or password",
        );
        check(
            400,
            r#"{"error":"invalid_grant","error_description":"Invalid login credentials"}"#,
            "wrong email or password",
        );
        check(
            400,
            r#"{"code":400,"error_code":"email_not_confirmed","msg":"Email not confirmed"}"#,
            "this email address is not confirmed yet",
        );
        check(
            429,
            r#"{"code":429,"error_code":"over_email_send_rate_limit","msg":"email rate limit exceeded"}"#,
            "Supabase Auth is rate limiting sign-ins (email rate limit exceeded): wait a minute",
        );
        check(429, "", "Supabase Auth is rate limiting");
        check(
            403,
            r#"{"code":403,"error_code":"otp_expired","msg":"Token has expired or is invalid"}"#,
            "the code is wrong or has expired",
        );
        check(400, r#"{"code":400,"error_code":"refresh_token_already_used","msg":"Invalid Refresh Token: Already Used"}"#,
            "the session ended (Invalid Refresh Token: Already Used): the refresh token was already used");
        check(
            400,
            r#"{"code":400,"error_code":"refresh_token_not_found","msg":"Invalid Refresh Token: Refresh Token Not Found"}"#,
            "the session ended",
        );
        check(
            422,
            r#"{"code":422,"error_code":"otp_disabled","msg":"Signups not allowed for otp"}"#,
            "this project does not let new users sign up",
        );
        check(
            422,
            r#"{"code":422,"msg":"Signups not allowed for this instance"}"#,
            "this project does not let new users sign up",
        );
        check(
            400,
            r#"{"code":400,"error_code":"bad_code_verifier","msg":"code challenge does not match previously saved code verifier"}"#,
            "the OAuth sign-in could not be completed",
        );
        check(
            401,
            r#"{"message":"Invalid API key","hint":"Double check your Supabase `anon` or `service_role` API key."}"#,
            "Supabase Auth refused the project's key (Invalid API key)",
        );
        check(
            401,
            r#"{"message":"No API key found in request"}"#,
            "Supabase Auth refused the project's key",
        );
        check(
            502,
            "<html>Bad gateway</html>",
            "Supabase Auth answered 502: a web page (HTML) came back",
        );
        assert_eq!(read_done(204, b""), Ok(()));
        let r = refresh_grant(&config(), "r1");
        assert_eq!(
            network_error(&r, "Failed to fetch").to_string(),
            "could not reach Supabase Auth at https://abc.supabase.co/auth/v1/token (Failed to fetch): check the network connection and the project URL"
        );
    }
}
