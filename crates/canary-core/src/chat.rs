//! The daily status as a chat message: a Slack Block Kit payload (which Mattermost and Discord's
//! Slack-compatible endpoints also take) and a Microsoft Teams message with an Adaptive Card.
//!
//! Both carry the same [`ChatSummary`]: the report's subject, the status, the key numbers of the
//! period, the alerts that fired (worst first), the most frequent errors and the dashboard link.
//! Text from the data or from people (the rollout name, error types and messages, the breaker's
//! state) is escaped for each format:
//!
//! - Slack: every piece of data goes into `plain_text` objects (no mrkdwn: `*bold*`, `_`, `~`,
//!   `` ` `` stay characters), and `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;` everywhere, as
//!   Slack's "escaping text" rules ask, so `<!channel>` or `<https://…|link>` cannot mention
//!   anyone or make a link. The top-level `text` (the notification and what Slack-compatible
//!   servers without Block Kit show) is sent with `"mrkdwn": false`.
//! - Teams: Adaptive Card text blocks render a Markdown subset, so each Markdown character gets a
//!   backslash; Adaptive Cards never render HTML, so `<`, `>`, `&` stay as they are.
//!
//! Control characters (newlines included) become spaces in data, and long texts are cut to the
//! formats' limits (Slack: 150 characters in a header, 3,000 in a text, 2,000 in a field).

use serde_json::{json, Value};

use crate::alerts::{Alert, Status};
use crate::phases::Measure;
use crate::report::{email_subject, status_text, EmailInput};
use crate::text::{alert_threshold, alert_worst, level_text};
use crate::time::format_utc;

/// Alerts listed in a message; the rest are counted.
const MAX_ALERTS: usize = 5;
/// Error kinds listed in a message.
const MAX_ERRORS: usize = 3;
/// Longest error text taken from the data, in characters.
const MAX_DATA_CHARS: usize = 200;

/// What a chat message says.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatSummary {
    /// The report's subject, plain text (`[CANARY] Day 1/3 - mem0-redis Phase 1 Status`).
    pub title: String,
    /// The status of the period (the worst level that fired).
    pub status: Status,
    /// Key numbers: label and value, formatted.
    pub numbers: Vec<(String, String)>,
    /// The alerts that fired, worst level first, as plain text lines.
    pub alerts: Vec<String>,
    /// How many alerts fired in all.
    pub alert_count: usize,
    /// The most frequent errors, as plain text lines.
    pub errors: Vec<String>,
    /// The dashboard link, only an `http(s)` URL.
    pub dashboard_url: Option<String>,
}

/// Control characters (and U+2028/U+2029) as spaces, trimmed, cut to `max` characters.
fn flat(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let trimmed = flat.trim();
    if trimmed.chars().count() <= max {
        trimmed.to_owned()
    } else {
        let cut: String = trimmed.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// `2025-10-17 01:49:00 UTC`, as the email writes alert times.
fn format_second(t: chrono::DateTime<chrono::Utc>) -> String {
    format_utc(t, "%Y-%m-%d %H:%M:%S UTC")
}

fn alert_line(a: &Alert) -> String {
    let until = a
        .until
        .map_or_else(|| "still firing".to_owned(), format_second);
    format!(
        "{} {} {}: {} to {}, worst {}",
        level_text(a.level),
        a.metric.label(),
        alert_threshold(a),
        format_second(a.since),
        until,
        alert_worst(a)
    )
}

/// An `http(s)` URL without spaces or controls, else `None`: nothing else becomes a link.
fn link(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let scheme_ok = (lower.starts_with("https://") && url.len() > 8)
        || (lower.starts_with("http://") && url.len() > 7);
    let clean = url
        .chars()
        .all(|c| !c.is_control() && !c.is_whitespace() && !matches!(c, '<' | '>' | '|' | '"'));
    (scheme_ok && clean && url.len() <= 3000).then(|| url.to_owned())
}

impl ChatSummary {
    /// The summary of the daily status email's values.
    pub fn of_email(input: &EmailInput<'_>) -> ChatSummary {
        let m = input.metrics;
        let mut numbers: Vec<(String, String)> = [
            Measure::P50LatencyMs,
            Measure::P95LatencyMs,
            Measure::P99LatencyMs,
            Measure::ErrorRatePct,
            Measure::CacheHitRatePct,
            Measure::Mem0WriteSuccessPct,
        ]
        .into_iter()
        .map(|measure| (measure.label().to_owned(), measure.format(measure.of(m))))
        .collect();
        let breaker = if m.window.events == 0 {
            "no data".to_owned()
        } else {
            let n = m.circuit_breaker.transitions.len();
            let state = flat(&m.circuit_breaker.current_state, 40);
            match n {
                0 => state,
                1 => format!("{state} (1 transition)"),
                n => format!("{state} ({n} transitions)"),
            }
        };
        numbers.push(("Circuit breaker".to_owned(), breaker));
        let mut alerts: Vec<&Alert> = input.alerts.iter().collect();
        // Worst level first, then in time order.
        alerts.sort_by(|a, b| b.level.cmp(&a.level).then(a.since.cmp(&b.since)));
        let errors = m
            .errors_by_type
            .iter()
            .take(MAX_ERRORS)
            .map(|e| {
                format!(
                    "{} × {}: {}",
                    e.occurrences,
                    flat(e.error_type.as_deref().unwrap_or("(null)"), 60),
                    flat(
                        e.error_message.as_deref().unwrap_or("(null)"),
                        MAX_DATA_CHARS
                    )
                )
            })
            .collect();
        ChatSummary {
            title: flat(&email_subject(input), 150),
            status: Status::of_levels(input.alerts.iter().map(|a| a.level)),
            numbers,
            alerts: alerts
                .iter()
                .take(MAX_ALERTS)
                .map(|a| alert_line(a))
                .collect(),
            alert_count: input.alerts.len(),
            errors,
            dashboard_url: input.dashboard_url.and_then(link),
        }
    }

    /// The alerts as lines, with a count of those left out.
    fn alert_lines(&self) -> Vec<String> {
        let mut lines = self.alerts.clone();
        if self.alert_count > self.alerts.len() {
            lines.push(format!(
                "… and {} more",
                self.alert_count - self.alerts.len()
            ));
        }
        if lines.is_empty() {
            lines.push("None: no alert fired in the period.".to_owned());
        }
        lines
    }
}

// ---------------------------------------------------------------------------------------------
// Slack

/// Slack's three control characters as entities (its documented escaping).
pub fn escape_slack(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` escaped for Slack and cut so the escaped text has at most `max` characters (never
/// inside an entity; `…` where cut).
fn escaped_within(text: &str, max: usize) -> String {
    let escaped = escape_slack(text);
    if escaped.chars().count() <= max {
        return escaped;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let piece = escape_slack(c.encode_utf8(&mut [0; 4]));
        let len = piece.chars().count();
        if used + len + 1 > max {
            break;
        }
        out.push_str(&piece);
        used += len;
    }
    out.push('…');
    out
}

/// A `plain_text` object of `text` (flattened, escaped, at most `max` characters).
fn plain(text: &str, max: usize) -> Value {
    json!({ "type": "plain_text", "text": escaped_within(&flat(text, usize::MAX), max), "emoji": true })
}

/// A `plain_text` object with one line per entry of `lines` (each flattened and escaped), cut
/// to `max` characters in all.
fn plain_lines(lines: &[String], max: usize) -> Value {
    let mut text = String::new();
    for line in lines {
        let line = escape_slack(&flat(line, usize::MAX));
        let used = text.chars().count();
        if used + line.chars().count() + 1 > max {
            if used + 2 <= max {
                text.push_str("\n…");
            }
            break;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&line);
    }
    json!({ "type": "plain_text", "text": text, "emoji": true })
}

/// Fixed text of this module as mrkdwn (never data).
fn mrkdwn(text: &str) -> Value {
    json!({ "type": "mrkdwn", "text": text })
}

/// The Slack Block Kit message (`POST` it to an incoming webhook URL as JSON).
pub fn slack_payload(s: &ChatSummary) -> Value {
    let status = status_text(s.status);
    let mut blocks = vec![
        json!({ "type": "header", "text": plain(&s.title, 150) }),
        json!({ "type": "section", "text": plain(&format!("Status: {status}"), 3000) }),
        json!({
            "type": "section",
            "fields": s.numbers.iter().take(10)
                .map(|(label, value)| plain(&format!("{label}: {value}"), 2000))
                .collect::<Vec<_>>(),
        }),
        json!({ "type": "section", "text": mrkdwn("*Alerts in the period*") }),
        json!({ "type": "section", "text": plain_lines(&s.alert_lines(), 3000) }),
    ];
    if !s.errors.is_empty() {
        blocks.push(json!({ "type": "section", "text": mrkdwn("*Top errors*") }));
        blocks.push(json!({ "type": "section", "text": plain_lines(&s.errors, 3000) }));
    }
    if let Some(url) = &s.dashboard_url {
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": { "type": "plain_text", "text": "Open the dashboard" },
                "url": url,
            }],
        }));
    }
    let mut fallback = format!("{} — {status}", s.title);
    if let Some(url) = &s.dashboard_url {
        fallback.push_str(" — ");
        fallback.push_str(url);
    }
    json!({
        "text": escape_slack(&fallback),
        "mrkdwn": false,
        "blocks": blocks,
    })
}

// ---------------------------------------------------------------------------------------------
// Microsoft Teams

/// A backslash before every character that Adaptive Card Markdown could read as formatting.
pub fn escape_teams(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*'
                | '_'
                | '~'
                | '`'
                | '['
                | ']'
                | '('
                | ')'
                | '#'
                | '>'
                | '-'
                | '+'
                | '!'
                | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn text_block(text: &str) -> Value {
    json!({ "type": "TextBlock", "text": escape_teams(text), "wrap": true })
}

/// Adaptive Card colour of a status.
fn teams_colour(status: Status) -> &'static str {
    match status {
        Status::OnTrack => "Good",
        Status::IssuesDetected => "Warning",
        Status::RollbackRequired => "Attention",
    }
}

/// The Teams message: an Adaptive Card 1.4 in a `message` (what Teams' Workflows webhooks and
/// the older incoming webhooks accept).
pub fn teams_payload(s: &ChatSummary) -> Value {
    let mut body = vec![
        json!({ "type": "TextBlock", "text": escape_teams(&s.title), "weight": "Bolder",
                "size": "Medium", "wrap": true }),
        json!({ "type": "TextBlock", "text": escape_teams(status_text(s.status)),
                "weight": "Bolder", "color": teams_colour(s.status), "wrap": true }),
        json!({
            "type": "FactSet",
            "facts": s.numbers.iter()
                .map(|(label, value)| json!({ "title": escape_teams(label), "value": escape_teams(value) }))
                .collect::<Vec<_>>(),
        }),
        json!({ "type": "TextBlock", "text": "Alerts in the period", "weight": "Bolder",
                "wrap": true, "separator": true }),
    ];
    body.extend(s.alert_lines().iter().map(|l| text_block(l)));
    if !s.errors.is_empty() {
        body.push(
            json!({ "type": "TextBlock", "text": "Top errors", "weight": "Bolder",
                          "wrap": true, "separator": true }),
        );
        body.extend(s.errors.iter().map(|l| text_block(l)));
    }
    let actions: Vec<Value> = s
        .dashboard_url
        .iter()
        .map(|url| json!({ "type": "Action.OpenUrl", "title": "Open the dashboard", "url": url }))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": actions,
            },
        }],
    })
}

/// Which chat format a webhook URL takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatFormat {
    Slack,
    Teams,
}

/// The format of a webhook given as `slack:URL`, `teams:URL` or a bare URL (Teams for
/// Microsoft's webhook hosts, Slack-compatible otherwise), and the URL itself.
pub fn webhook_target(spec: &str) -> (ChatFormat, &str) {
    if let Some(url) = spec.strip_prefix("teams:") {
        return (ChatFormat::Teams, url);
    }
    if let Some(url) = spec.strip_prefix("slack:") {
        return (ChatFormat::Slack, url);
    }
    let host = spec
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let teams = [
        ".webhook.office.com",
        ".logic.azure.com",
        ".powerplatform.com",
        ".powerautomate.com",
    ]
    .iter()
    .any(|suffix| host.ends_with(suffix));
    if teams {
        (ChatFormat::Teams, spec)
    } else {
        (ChatFormat::Slack, spec)
    }
}

/// The payload of `summary` for `format`.
pub fn payload(format: ChatFormat, summary: &ChatSummary) -> Value {
    match format {
        ChatFormat::Slack => slack_payload(summary),
        ChatFormat::Teams => teams_payload(summary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a \"quote\" \\ back\nslash <!channel> <@U123> *bold* _it_ ~del~ `code` [x](javascript:y) # h & <b>";

    fn summary(text: &str) -> ChatSummary {
        ChatSummary {
            title: flat(&format!("[CANARY] Day 1/3 - {text} Phase 1 Status"), 150),
            status: Status::IssuesDetected,
            numbers: vec![("Circuit breaker".into(), flat(text, 40))],
            alerts: vec![],
            alert_count: 0,
            errors: vec![format!("3 × t: {}", flat(text, MAX_DATA_CHARS))],
            dashboard_url: link("https://example.org/console/"),
        }
    }

    /// Every string value in `v`.
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(o) => o.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }

    fn check(input: &str, forbidden_in_slack: &[&str], forbidden_in_teams: &[&str]) {
        let s = summary(input);
        let mut texts = Vec::new();
        strings(&slack_payload(&s), &mut texts);
        for t in &texts {
            for f in forbidden_in_slack {
                assert!(!t.contains(f), "slack text {t:?} contains {f:?}");
            }
            assert!(!t.contains('\n') || !t.contains("<!"), "{t:?}");
        }
        let mut texts = Vec::new();
        strings(&teams_payload(&s), &mut texts);
        for t in &texts {
            for f in forbidden_in_teams {
                assert!(!t.contains(f), "teams text {t:?} contains {f:?}");
            }
        }
    }

    #[test]
    fn data_cannot_format_mention_or_link() {
        check(
            HOSTILE,
            &["<!channel>", "<@U123>", "<b>", "\nslash"],
            &[" *bold*", " _it_", "[x](", "\nslash"],
        );
        check("", &["<"], &[]);
        check("plain", &["<"], &[]);
    }

    #[test]
    fn limits_hold_after_escaping() {
        let title = "<".repeat(400);
        let s = ChatSummary {
            title: title.clone(),
            errors: vec!["&".repeat(1000); 5],
            ..summary("x")
        };
        let payload = slack_payload(&s);
        let header = payload["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!((146..=150).contains(&header.chars().count()), "{header}");
        assert!(header.starts_with("&lt;&lt;") && header.ends_with("&lt;…"));
        for block in payload["blocks"].as_array().unwrap() {
            if let Some(text) = block["text"]["text"].as_str() {
                assert!(text.chars().count() <= 3000, "{}", text.len());
            }
        }
        assert_eq!(escaped_within("a<b", 10), "a&lt;b");
        assert_eq!(escaped_within("a<b", 5), "a…");
        let lines = plain_lines(&["a\nb".to_owned(), "c".to_owned()], 100);
        assert_eq!(lines["text"], "a b\nc");
    }

    #[test]
    fn escaping_tables() {
        assert_eq!(
            escape_slack("<!channel> & >"),
            "&lt;!channel&gt; &amp; &gt;"
        );
        assert_eq!(escape_teams("*a* [b](c) \\"), "\\*a\\* \\[b\\]\\(c\\) \\\\");
        assert_eq!(flat("a\nb\t\u{2028}c", 10), "a b  c");
        assert_eq!(flat("abcdef", 4), "abc…");
    }

    #[test]
    fn only_web_links() {
        assert_eq!(link("javascript:alert(1)"), None);
        assert_eq!(link("https://"), None);
        assert_eq!(link("https://a.b/<x>"), None);
        assert_eq!(link(" https://a.b/x "), Some("https://a.b/x".into()));
    }

    #[test]
    fn webhook_formats() {
        let cases = [
            (
                "https://hooks.slack.com/services/T/B/X",
                ChatFormat::Slack,
                "https://hooks.slack.com/services/T/B/X",
            ),
            (
                "https://contoso.webhook.office.com/webhookb2/x",
                ChatFormat::Teams,
                "https://contoso.webhook.office.com/webhookb2/x",
            ),
            (
                "https://prod-1.westus.logic.azure.com:443/workflows/x",
                ChatFormat::Teams,
                "https://prod-1.westus.logic.azure.com:443/workflows/x",
            ),
            (
                "teams:http://127.0.0.1:9/x",
                ChatFormat::Teams,
                "http://127.0.0.1:9/x",
            ),
            (
                "slack:http://127.0.0.1:9/x",
                ChatFormat::Slack,
                "http://127.0.0.1:9/x",
            ),
            (
                "https://evil.example/?.webhook.office.com",
                ChatFormat::Slack,
                "https://evil.example/?.webhook.office.com",
            ),
        ];
        for (spec, format, url) in cases {
            assert_eq!(webhook_target(spec), (format, url), "{spec}");
        }
    }
}
