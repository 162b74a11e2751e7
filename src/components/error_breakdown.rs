//! Failures by error type and message with occurrences and last seen.

use std::sync::Arc;

use canary_core::metrics::{Metrics, LAST_REQUESTS};
use canary_core::summary::format_pct;
use canary_core::time::{format_rfc3339, format_utc, from_datetime};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::show_if::ShowIf;

/// Splits an identifier or key where a line may break: after `:`, `/`, `_`, `.` or `-`, and
/// between a lower-case letter or digit and an upper-case letter (`Mem0|Timeout|Error`).
pub fn break_points(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut previous: Option<char> = None;
    for (i, c) in text.char_indices() {
        let split_before = match previous {
            Some(':' | '/' | '_' | '.' | '-') => true,
            Some(p) => (p.is_lowercase() || p.is_ascii_digit()) && c.is_uppercase(),
            None => false,
        };
        if split_before && i > start {
            pieces.push(&text[start..i]);
            start = i;
        }
        previous = Some(c);
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// `text` with a `<wbr>` at each of its [`break_points`], so long keys and error types wrap
/// between words in a narrow panel, never inside one (the text itself is unchanged). Shared by
/// the data panels.
pub fn breakable(text: &str) -> impl IntoView {
    break_points(text)
        .into_iter()
        .map(|piece| view! { {piece.to_owned()}<wbr /> })
        .collect_view()
}

/// A UTC time in little width: `HH:MM` (`HH:MM:SS` with `seconds`) over its date, with the
/// full time as the title and RFC 3339 as `datetime`. Shared by the data panels.
pub fn time_view(t: DateTime<Utc>, seconds: bool) -> impl IntoView {
    let clock = format_utc(t, if seconds { "%H:%M:%S" } else { "%H:%M" });
    view! {
        <time
            class="stamp"
            datetime=format_rfc3339(from_datetime(t))
            title=format_utc(t, "%Y-%m-%d %H:%M:%S UTC")
        >
            <span class="clock">{clock}</span>
            " "
            <span class="day">{format_utc(t, "%Y-%m-%d")}</span>
        </time>
    }
}

/// The status class of an error rate against the guide's 1 % target and 2 % critical line.
fn rate_class(rate: Option<f64>) -> &'static str {
    match rate {
        None => "status status-none",
        Some(r) if r > 2.0 => "status status-bad",
        Some(r) if r >= 1.0 => "status status-warn",
        Some(_) => "status status-ok",
    }
}

/// Requests, failures and error rate of the window and of its last 1000 requests, then the
/// failures grouped by type and message (most frequent first) with occurrences and last seen.
#[component]
pub fn ErrorBreakdown(
    /// The window's metrics (only this panel's part is read).
    #[prop(into)]
    metrics: Signal<Arc<Metrics>>,
) -> impl IntoView {
    // Its parts (request and failure counts, failures grouped by type and message), read
    // through the one metrics signal every data panel shares.
    let errors = move || metrics.get().errors.clone();
    let groups = move || metrics.get().errors_by_type.clone();
    view! {
        <section class="panel data-panel" data-testid="error-breakdown">
            <h2>"Errors"</h2>
            <ShowIf
                when=move || { errors().requests > 0 }
                fallback=|| view! { <p class="empty-note">"No requests in this window."</p> }
            >
                {move || {
                    let e = errors();
                    let last = e.last_1000_requests.clone();
                    view! {
                        <dl class="stat-list">
                            <div>
                                <dt>"Requests"</dt>
                                <dd class="num">{e.requests}</dd>
                            </div>
                            <div>
                                <dt>"Failures"</dt>
                                <dd class="num">{e.failures}</dd>
                            </div>
                            <div>
                                <dt>"Error rate"</dt>
                                <dd class="num">
                                    <span class=rate_class(e.error_rate_pct)>{format_pct(e.error_rate_pct)}</span>
                                </dd>
                            </div>
                            <div>
                                <dt>
                                    {if last.requests < LAST_REQUESTS as u64 {
                                        format!("Last {} requests (all)", last.requests)
                                    } else {
                                        format!("Last {LAST_REQUESTS} requests")
                                    }}
                                </dt>
                                <dd class="num">
                                    <span class=rate_class(last.error_rate_pct)>{format_pct(last.error_rate_pct)}</span>
                                    <span class="sub">{format!(" {} failed", last.failures)}</span>
                                </dd>
                            </div>
                        </dl>
                    }
                }}
                <h3>"By type and message"</h3>
                <ShowIf
                    when=move || !groups().is_empty()
                    fallback=|| view! { <p class="empty-note">"No failed requests in this window."</p> }
                >
                    <div class="table-scroll" role="region" aria-label="Errors by type and message" tabindex="0">
                        <table class="data-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Type"</th>
                                    <th scope="col">"Message"</th>
                                    <th scope="col" class="num">"Occurrences"</th>
                                    <th scope="col" class="num">"Last seen (UTC)"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {move || {
                                    groups()
                                        .into_iter()
                                        .map(|g| {
                                            let (no_type, no_message) =
                                                (g.error_type.is_none(), g.error_message.is_none());
                                            let error_type = g.error_type.unwrap_or_else(|| "(no type)".to_owned());
                                            view! {
                                                <tr>
                                                    <th scope="row" class="key" class:missing=no_type>
                                                        {breakable(&error_type)}
                                                    </th>
                                                    <td class="message" class:missing=no_message>
                                                        {g.error_message.unwrap_or_else(|| "(no message)".to_owned())}
                                                    </td>
                                                    <td class="num">{g.occurrences}</td>
                                                    <td class="num">
                                                        {time_view(g.last_seen, false)}
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()
                                }}
                            </tbody>
                        </table>
                    </div>
                </ShowIf>
            </ShowIf>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn break_points_table() {
        let check = |text: &str, want: &[&str]| assert_eq!(break_points(text), want, "{text}");
        check("", &[]);
        check("closed", &["closed"]);
        check("Mem0TimeoutError", &["Mem0", "Timeout", "Error"]);
        check(
            "clinic:12:availability",
            &["clinic:", "12:", "availability"],
        );
        check(
            "/api/messages/webhook",
            &["/", "api/", "messages/", "webhook"],
        );
        check("mem0_context", &["mem0_", "context"]);
        // Runs of capitals stay together; non-ASCII text is split on char boundaries.
        check("HTTPError", &["HTTPError"]);
        check("ÉtéÀ:x", &["Été", "À:", "x"]);
    }

    #[test]
    fn rate_classes_follow_the_guide() {
        assert_eq!(rate_class(None), "status status-none");
        assert_eq!(rate_class(Some(0.44)), "status status-ok");
        assert_eq!(rate_class(Some(1.0)), "status status-warn");
        assert_eq!(rate_class(Some(2.0)), "status status-warn");
        assert_eq!(rate_class(Some(2.1)), "status status-bad");
    }
}
