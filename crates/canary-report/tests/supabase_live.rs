//! Opt-in smoke test against a REAL Supabase project (the local tests use a stand-in for
//! Supabase Auth). It needs a project that ran `sql/001_observability_events.sql` and
//! `sql/002_team_access.sql`, and a user who is a team member:
//!
//! ```text
//! SUPABASE_URL=https://<ref>.supabase.co SUPABASE_ANON_KEY=… \
//! SUPABASE_TEST_EMAIL=member@example.com SUPABASE_TEST_PASSWORD=… \
//!   cargo test -p canary-report --test supabase_live -- --include-ignored
//! ```
//!
//! It signs in with the password, asks the membership question, reads the last hour through the
//! CLI (signing in itself from the same variables), refreshes the session once (the refresh token
//! rotates; the spent one is then refused) and signs out. It is `#[ignore]`d; without the
//! variables it prints what to set and checks nothing.

use std::process::Command;

use canary_core::auth;
use canary_core::supabase::team::{membership_request, read_membership, Membership};
use canary_core::supabase::SupabaseConfig;

struct Live {
    url: String,
    key: String,
    email: String,
    password: String,
}

fn live() -> Option<Live> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (
        var("SUPABASE_URL"),
        var("SUPABASE_ANON_KEY"),
        var("SUPABASE_TEST_EMAIL"),
        var("SUPABASE_TEST_PASSWORD"),
    ) {
        (Some(url), Some(key), Some(email), Some(password)) => Some(Live {
            url,
            key,
            email,
            password,
        }),
        _ => {
            eprintln!("supabase_live: set SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_TEST_EMAIL and SUPABASE_TEST_PASSWORD to run this smoke test against a real project; nothing was checked");
            None
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn post(agent: &ureq::Agent, request: &auth::AuthRequest) -> (u16, Vec<u8>) {
    let mut r = agent.post(&request.url);
    for (name, value) in &request.headers {
        r = r.header(*name, value);
    }
    let mut response = r
        .send(request.body.as_deref().unwrap_or("").as_bytes())
        .expect("Supabase Auth answers");
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_vec().expect("body"))
}

#[test]
#[ignore = "opt-in: needs a real Supabase project (see the file's doc)"]
fn a_member_signs_in_reads_refreshes_and_signs_out() {
    let Some(live) = live() else {
        return;
    };
    let config = SupabaseConfig::new(&live.url, &live.key).expect("URL and anon key");
    let agent = agent();
    let (status, body) = post(
        &agent,
        &auth::password_grant(&config, &live.email, &live.password).unwrap(),
    );
    let session = auth::read_session(status, &body, now()).expect("password sign-in");
    assert_eq!(session.user.email.as_deref(), Some(live.email.as_str()));

    let signed_in = config
        .clone()
        .with_access_token(&session.access_token)
        .expect("a user token");
    let request = membership_request(&signed_in);
    let mut get = agent.get(&request.url);
    for (name, value) in &request.headers {
        get = get.header(*name, value);
    }
    let mut response = get.call().expect("PostgREST answers");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_vec().expect("body");
    let membership = read_membership(&signed_in, status, Some("application/json"), &body)
        .expect("the test user is a team member");
    assert!(
        matches!(membership, Membership::Member { .. }),
        "{membership:?}: did the project run sql/002_team_access.sql?"
    );

    let to = now();
    let out = Command::new(env!("CARGO_BIN_EXE_canary-report"))
        .args(["metrics", "--supabase-url", &live.url, "--json"])
        .args(["--from", &chrono_like(to - 3600)])
        .args(["--to", &chrono_like(to)])
        .env("SUPABASE_ANON_KEY", &live.key)
        .env("SUPABASE_EMAIL", &live.email)
        .env("SUPABASE_PASSWORD", &live.password)
        .env_remove("SUPABASE_ACCESS_TOKEN")
        .env_remove("SUPABASE_REFRESH_TOKEN_FILE")
        .output()
        .expect("canary-report runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (status, body) = post(
        &agent,
        &auth::refresh_grant(&config, &session.refresh_token),
    );
    let next = auth::read_session(status, &body, now()).expect("refresh");
    assert_ne!(
        next.refresh_token, session.refresh_token,
        "the refresh token rotates"
    );
    let (status, _) = post(&agent, &auth::sign_out(&config, &next.access_token));
    assert!((200..300).contains(&status), "logout answered {status}");
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds.
fn chrono_like(seconds: i64) -> String {
    canary_core::time::format_rfc3339(seconds * 1_000_000)
}
