//! `--webhook URL`: posts a chat payload (JSON) with a blocking HTTPS client (ureq with rustls,
//! the client of the Supabase transport). One POST, no retry: a webhook that timed out may
//! still have posted, and a second POST would post twice.

use std::time::Duration;

/// A webhook that gives no answer within this long has failed.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Longest part of an error answer quoted in the message.
const QUOTED_CHARS: usize = 200;

/// POSTs `body` as `application/json` to `url`; `Err` is one line saying what went wrong.
pub fn post_json(url: &str, body: &str) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .user_agent(concat!("canary-report/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent
        .post(url)
        .header("Content-Type", "application/json; charset=utf-8")
        .send(body)
        .map_err(|e| format!("could not post to the webhook: {e}"))?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    let quoted: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(QUOTED_CHARS)
        .collect();
    let quoted = quoted.trim();
    Err(if quoted.is_empty() {
        format!("the webhook answered {status}")
    } else {
        format!("the webhook answered {status}: {quoted}")
    })
}
