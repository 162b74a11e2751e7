//! Team membership, asked before a read: with `sql/002_team_access.sql` only team members read
//! the events, and Row Level Security answers everyone else with no rows, which alone cannot be
//! told from an empty window. The migration's `canary_team_membership()` says who the token is
//! and whether it is a member, so a non-member, an anonymous sign-in or the anon key alone gets
//! "not a member of this team" instead of an empty dashboard.
//!
//! Sans-IO like [`PagedRead`](super::PagedRead): [`membership_request`] out, the answer into
//! [`read_membership`].

use serde_json::Value;

use super::errors::classify;
use super::keys::json_from_bytes;
use super::{Request, SupabaseConfig, SupabaseError};

/// The migration that adds the membership check.
pub const TEAM_MIGRATION: &str = "sql/002_team_access.sql";

/// What the project said about the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Membership {
    /// A member, with the role (`viewer` or `approver`).
    Member { email: Option<String>, role: String },
    /// The project has no membership check (it ran only the first migration), or the answer
    /// could not be had (busy, down, not PostgREST): the read goes on and reports for itself.
    Unknown,
}

/// `GET <project>/rest/v1/rpc/canary_team_membership` (a stable function: PostgREST accepts
/// `GET`), with the read's headers.
pub fn membership_request(config: &SupabaseConfig) -> Request {
    Request {
        url: format!(
            "{}/rest/v1/rpc/canary_team_membership",
            config.project_url()
        ),
        headers: config.auth_headers(),
        delay_ms: 0,
        body: None,
    }
}

/// Reads the answer: a member, [`SupabaseError::NotMember`], the errors a read would give for
/// the same key or token (expired, wrong key), or [`Membership::Unknown`].
pub fn read_membership(
    config: &SupabaseConfig,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Membership, SupabaseError> {
    if (200..300).contains(&status) {
        let Some(Value::Object(answer)) = json_from_bytes(body) else {
            return Ok(Membership::Unknown);
        };
        let text = |key: &str| {
            answer
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let email = text("email");
        return match text("role") {
            Some(role) => Ok(Membership::Member { email, role }),
            None if answer.get("anonymous").and_then(Value::as_bool) == Some(true) => {
                Err(SupabaseError::NotMember {
                    who: "you are signed in anonymously, and anonymous sign-ins never are"
                        .to_owned(),
                })
            }
            None => Err(SupabaseError::NotMember {
                who: match email {
                    Some(email) => format!("{email} is signed in but is not listed"),
                    None => "the signed-in user is not listed".to_owned(),
                },
            }),
        };
    }
    if status == 429 || status >= 500 {
        return Ok(Membership::Unknown);
    }
    match classify(
        status,
        content_type,
        body,
        config.role(),
        &config.table_url(),
    ) {
        // No execute privilege on the function: the anon key alone.
        SupabaseError::PermissionDenied { .. } if config.access_token().is_none() => {
            Err(SupabaseError::NotMember {
                who: "no one is signed in (the anon key alone reads nothing)".to_owned(),
            })
        }
        // Missing function (PGRST202, 404) or anything the read itself will report better.
        SupabaseError::NotFound { .. }
        | SupabaseError::Http { .. }
        | SupabaseError::PermissionDenied { .. } => Ok(Membership::Unknown),
        error => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANON: &str =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiIsImV4cCI6NDEwMjQ0NDgwMH0.sig";
    const USER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTc2NzIyNTYwMH0.sig";

    fn check(token: Option<&str>, status: u16, body: &str, expected: Result<Membership, &str>) {
        let mut config = SupabaseConfig::new("https://abc.supabase.co", ANON).unwrap();
        if let Some(token) = token {
            config = config.with_access_token(token).unwrap();
        }
        let got = read_membership(&config, status, Some("application/json"), body.as_bytes());
        match (&got, &expected) {
            (Ok(g), Ok(e)) => assert_eq!(g, e, "{body}"),
            (Err(g), Err(e)) => assert!(g.to_string().starts_with(e), "{body}:\n  got {g}"),
            _ => panic!("{body}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn membership_table() {
        let user = Some(USER);
        check(
            user,
            200,
            r#"{"email":"jane@example.com","anonymous":false,"role":"viewer"}"#,
            Ok(Membership::Member {
                email: Some("jane@example.com".into()),
                role: "viewer".into(),
            }),
        );
        check(
            user,
            200,
            r#"{"email":"out@example.com","anonymous":false,"role":null}"#,
            Err("not a member of this team: out@example.com is signed in but is not listed"),
        );
        check(
            user,
            200,
            r#"{"email":null,"anonymous":true,"role":null}"#,
            Err("not a member of this team: you are signed in anonymously"),
        );
        check(
            None,
            401,
            r#"{"code":"42501","message":"permission denied for function canary_team_membership"}"#,
            Err(
                "not a member of this team: no one is signed in (the anon key alone reads nothing)",
            ),
        );
        check(
            user,
            401,
            r#"{"code":"PGRST301","message":"JWT expired"}"#,
            Err("the token has expired"),
        );
        // A project without the team migration, or answers the read reports better.
        check(
            user,
            404,
            r#"{"code":"PGRST202","message":"Could not find the function public.canary_team_membership without parameters in the schema cache"}"#,
            Ok(Membership::Unknown),
        );
        check(user, 503, "", Ok(Membership::Unknown));
        check(user, 429, "", Ok(Membership::Unknown));
        check(user, 200, "<html>", Ok(Membership::Unknown));
        check(user, 200, "[1", Ok(Membership::Unknown));
    }

    #[test]
    fn the_request_carries_the_read_headers() {
        let config = SupabaseConfig::new("https://abc.supabase.co", ANON)
            .unwrap()
            .with_access_token(USER)
            .unwrap();
        let r = membership_request(&config);
        assert_eq!(
            r.url,
            "https://abc.supabase.co/rest/v1/rpc/canary_team_membership"
        );
        assert_eq!(r.headers, config.auth_headers());
    }
}
