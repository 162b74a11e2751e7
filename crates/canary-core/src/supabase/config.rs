//! The project URL and the keys of a read, checked once, and the headers they make.

use super::keys::{ApiKey, KeyKind};
use super::{SupabaseError, TABLE};
use crate::time::format_rfc3339;

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
        let mut headers = vec![("apikey", self.key.secret().to_owned())];
        let bearer = match (&self.access_token, self.key.kind()) {
            (Some(token), _) => Some(token.secret()),
            (None, KeyKind::Jwt) => Some(self.key.secret()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supabase::test_support::jwt;
    use crate::supabase::{PagedRead, ReadPlan};

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
}
