//! Signing the CLI in to Supabase Auth, for cron: the requests and answers are the core's
//! sans-IO [`canary_core::auth`]; this module picks the method from the environment, sends them
//! with the blocking client, and keeps a refresh-token file rotated.
//!
//! - `SUPABASE_EMAIL` + `SUPABASE_PASSWORD`: a password sign-in on every run.
//! - `SUPABASE_REFRESH_TOKEN_FILE`: a file holding a refresh token. Each run exchanges it for a
//!   session and writes the new (single-use, rotated) token back atomically before reading any
//!   data, so an interrupted run never leaves a spent token in the file. With the email and
//!   password also set and no file yet, the first run signs in with the password and creates it.
//!
//! Never a secret key: the project key is the anon or publishable one, refused otherwise.

use std::path::{Path, PathBuf};

use canary_core::auth::{self, AuthRequest, Method, Session};
use canary_core::supabase::SupabaseConfig;

use crate::atomic_file::write_private;

pub const EMAIL_VAR: &str = "SUPABASE_EMAIL";
pub const PASSWORD_VAR: &str = "SUPABASE_PASSWORD";
pub const REFRESH_FILE_VAR: &str = "SUPABASE_REFRESH_TOKEN_FILE";

/// How this run signs in, from the environment.
#[derive(Debug, PartialEq, Eq)]
pub enum SignIn {
    /// No sign-in variables: the key alone (or `SUPABASE_ACCESS_TOKEN`).
    None,
    Password {
        email: String,
        password: String,
    },
    RefreshFile {
        path: PathBuf,
        /// For the first run, when the file does not exist yet.
        password: Option<(String, String)>,
    },
}

impl SignIn {
    /// Reads `SUPABASE_EMAIL`, `SUPABASE_PASSWORD` and `SUPABASE_REFRESH_TOKEN_FILE` through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<SignIn, String> {
        let password = match (var(EMAIL_VAR), var(PASSWORD_VAR)) {
            (Some(email), Some(password)) => Some((email, password)),
            (Some(_), None) => {
                return Err(format!(
                "{EMAIL_VAR} is set but {PASSWORD_VAR} is not: set both to sign in with a password"
            ))
            }
            (None, Some(_)) => {
                return Err(format!(
                "{PASSWORD_VAR} is set but {EMAIL_VAR} is not: set both to sign in with a password"
            ))
            }
            (None, None) => None,
        };
        Ok(match (var(REFRESH_FILE_VAR), password) {
            (Some(path), password) => SignIn::RefreshFile {
                path: PathBuf::from(path),
                password,
            },
            (None, Some((email, password))) => SignIn::Password { email, password },
            (None, None) => SignIn::None,
        })
    }
}

/// A request to Supabase Auth through `agent`: the status and body, or a transport failure.
fn send(agent: &ureq::Agent, request: &AuthRequest) -> Result<(u16, Vec<u8>), String> {
    let mut response = match request.method {
        Method::Get => {
            let mut r = agent.get(&request.url);
            for (name, value) in &request.headers {
                r = r.header(*name, value);
            }
            r.call()
        }
        Method::Post => {
            let mut r = agent.post(&request.url);
            for (name, value) in &request.headers {
                r = r.header(*name, value);
            }
            r.send(request.body.as_deref().unwrap_or("").as_bytes())
        }
    }
    .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    Ok((status, body))
}

fn session(agent: &ureq::Agent, request: &AuthRequest, now: i64) -> Result<Session, String> {
    let (status, body) =
        send(agent, request).map_err(|e| auth::network_error(request, &e).to_string())?;
    auth::read_session(status, &body, now).map_err(|e| e.to_string())
}

/// Signs in as `how` says; returns the session's access token (`None` for [`SignIn::None`]).
pub fn sign_in(
    agent: &ureq::Agent,
    config: &SupabaseConfig,
    how: &SignIn,
    now: i64,
) -> Result<Option<String>, String> {
    match how {
        SignIn::None => Ok(None),
        SignIn::Password { email, password } => {
            let request =
                auth::password_grant(config, email, password).map_err(|e| e.to_string())?;
            let s = session(agent, &request, now).map_err(|e| {
                format!("signing in as {email}: {e} (here: {EMAIL_VAR}, {PASSWORD_VAR})")
            })?;
            Ok(Some(s.access_token))
        }
        SignIn::RefreshFile { path, password } => {
            let shown = path.display();
            let token = match std::fs::read_to_string(path) {
                Ok(text) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(format!("{REFRESH_FILE_VAR}: cannot read {shown}: {e}")),
            };
            let s = match (token, password) {
                (Some(token), _) => {
                    let request = auth::refresh_grant(config, &token);
                    session(agent, &request, now).map_err(|e| {
                        format!("{REFRESH_FILE_VAR} {shown}: {e} (here: sign in again: set {EMAIL_VAR} and {PASSWORD_VAR} once and delete the file, and the next run writes a new one)")
                    })?
                }
                (None, Some((email, password))) => {
                    let request = auth::password_grant(config, email, password).map_err(|e| e.to_string())?;
                    session(agent, &request, now).map_err(|e| format!("signing in as {email}: {e} (here: {EMAIL_VAR}, {PASSWORD_VAR})"))?
                }
                (None, None) => {
                    return Err(format!(
                        "{REFRESH_FILE_VAR}: {shown} holds no refresh token: run once with {EMAIL_VAR} and {PASSWORD_VAR} set to create it"
                    ))
                }
            };
            write_token(path, &s.refresh_token).map_err(|e| {
                format!("{REFRESH_FILE_VAR}: could not write the new refresh token to {shown} ({e}); the old one is spent, so sign in again with {EMAIL_VAR} and {PASSWORD_VAR}")
            })?;
            Ok(Some(s.access_token))
        }
    }
}

/// Replaces the token file whole (owner-readable only): a reader, or a crash, sees the old
/// token or the new one, never half of one.
fn write_token(path: &Path, token: &str) -> std::io::Result<()> {
    write_private(path, format!("{token}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(vars: &[(&str, &str)], expected: Result<SignIn, &str>) {
        let got = SignIn::from_vars(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        });
        match (&got, &expected) {
            (Ok(g), Ok(e)) => assert_eq!(g, e),
            (Err(g), Err(e)) => assert!(g.starts_with(e), "{g}"),
            _ => panic!("{vars:?}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn sign_in_method_table() {
        check(&[], Ok(SignIn::None));
        check(
            &[(EMAIL_VAR, "a@b.c"), (PASSWORD_VAR, "pw")],
            Ok(SignIn::Password {
                email: "a@b.c".into(),
                password: "pw".into(),
            }),
        );
        check(
            &[(EMAIL_VAR, "a@b.c")],
            Err("SUPABASE_EMAIL is set but SUPABASE_PASSWORD is not"),
        );
        check(
            &[(PASSWORD_VAR, "pw")],
            Err("SUPABASE_PASSWORD is set but SUPABASE_EMAIL is not"),
        );
        check(
            &[(REFRESH_FILE_VAR, "/x/token")],
            Ok(SignIn::RefreshFile {
                path: "/x/token".into(),
                password: None,
            }),
        );
        check(
            &[
                (REFRESH_FILE_VAR, "t"),
                (EMAIL_VAR, "a@b.c"),
                (PASSWORD_VAR, "pw"),
            ],
            Ok(SignIn::RefreshFile {
                path: "t".into(),
                password: Some(("a@b.c".into(), "pw".into())),
            }),
        );
    }

    #[test]
    fn the_token_file_is_replaced_whole_and_private() {
        let dir = std::env::temp_dir().join(format!("canary-sign-in-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("refresh-token");
        std::fs::write(&path, "old\n").unwrap();
        write_token(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
