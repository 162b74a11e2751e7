//! What several panels show the same way: long identifiers that wrap between words, times in
//! little width, and a rate's status colour against its metric's rules.

use canary_core::alerts::{Comparator, Level, MetricId, Rule};
use canary_core::report::neutralise_invisible;
use canary_core::time::{format_rfc3339, format_utc, from_datetime};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

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

/// The pieces [`breakable`] shows of a text from the data: its invisible format characters
/// neutralised (`neutralise_invisible`), then split at its [`break_points`].
pub fn shown_pieces(text: &str) -> Vec<String> {
    let shown = neutralise_invisible(text);
    break_points(&shown)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// `text` with a `<wbr>` at each of its [`break_points`], so long keys and error types wrap
/// between words in a narrow panel, never inside one (otherwise the text is unchanged but for
/// invisible format characters, which show as U+FFFD).
pub fn breakable(text: &str) -> impl IntoView {
    shown_pieces(text)
        .into_iter()
        .map(|piece| view! { {piece}<wbr /> })
        .collect_view()
}

/// The row heading of a table keyed by an identifier (an error type, a resource type, an
/// endpoint): the key, breakable, or `missing` in the panel's "missing" style when the data has
/// none.
pub fn key_cell(key: Option<String>, missing: &'static str) -> impl IntoView {
    let is_missing = key.is_none();
    let text = key.unwrap_or_else(|| missing.to_owned());
    view! {
        <th scope="row" class="key" class:missing=is_missing>
            {breakable(&text)}
        </th>
    }
}

/// A UTC time in little width: `HH:MM` (`HH:MM:SS` with `seconds`) over its date, with the
/// full time as the title and RFC 3339 as `datetime`.
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

/// The status colours of a rate from its metric's warning and critical rules: bad once past the
/// critical threshold (strictly, as the alert fires), a warning from the warning threshold on
/// (the guide's target is to stay clear of it), good otherwise; no colour without a value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateStatus {
    warning: Option<(Comparator, f64)>,
    critical: Option<(Comparator, f64)>,
}

impl RateStatus {
    /// The colours of `metric` under `rules`.
    pub fn of(rules: &[Rule], metric: MetricId) -> RateStatus {
        let rule = |level| {
            rules
                .iter()
                .find(|r| r.metric.id() == metric && r.level == level)
                .map(|r| (r.comparator, r.threshold))
        };
        RateStatus {
            warning: rule(Level::Warning),
            critical: rule(Level::Critical),
        }
    }

    /// The status class of `rate`.
    pub fn class(self, rate: Option<f64>) -> &'static str {
        let Some(rate) = rate else {
            return "status status-none";
        };
        let past = |rule: Option<(Comparator, f64)>, or_on: bool| {
            rule.is_some_and(|(comparator, threshold)| {
                let beyond = match comparator {
                    Comparator::Above => rate > threshold,
                    Comparator::Below => rate < threshold,
                };
                beyond || (or_on && rate == threshold)
            })
        };
        if past(self.critical, false) {
            "status status-bad"
        } else if past(self.warning, true) {
            "status status-warn"
        } else {
            "status status-ok"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canary_core::alerts::default_rules;

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
    fn shown_pieces_neutralise_invisible_characters() {
        let check = |text: &str, want: &[&str]| assert_eq!(shown_pieces(text), want, "{text:?}");
        check("", &[]);
        check("mem0_context", &["mem0_", "context"]);
        // A right-to-left override cannot turn a key around, a zero-width space cannot hide in
        // one: both show as U+FFFD.
        check("key:a\u{202E}exe.txt", &["key:", "a\u{FFFD}exe.", "txt"]);
        check("Mem0\u{200B}Error", &["Mem0\u{FFFD}Error"]);
    }

    #[test]
    fn rate_classes_follow_the_rules() {
        let rules = default_rules();
        let check = |metric, rate, want: &str| {
            assert_eq!(
                RateStatus::of(&rules, metric).class(rate),
                want,
                "{metric:?} {rate:?}"
            );
        };
        use MetricId::{CacheHitRate, ErrorRate, Mem0WriteSuccess, RedisMemory};
        for metric in [ErrorRate, CacheHitRate, Mem0WriteSuccess] {
            check(metric, None, "status status-none");
        }
        // Error rate: warning from 1 %, critical above 2 %.
        check(ErrorRate, Some(0.44), "status status-ok");
        check(ErrorRate, Some(1.0), "status status-warn");
        check(ErrorRate, Some(2.0), "status status-warn");
        check(ErrorRate, Some(2.1), "status status-bad");
        // Hit rate: warning from 95 % down, critical below 90 %.
        check(CacheHitRate, Some(95.01), "status status-ok");
        check(CacheHitRate, Some(95.0), "status status-warn");
        check(CacheHitRate, Some(90.0), "status status-warn");
        check(CacheHitRate, Some(89.99), "status status-bad");
        // mem0 write success: warning from 99 % down, critical below 95 %.
        check(Mem0WriteSuccess, Some(100.0), "status status-ok");
        check(Mem0WriteSuccess, Some(99.0), "status status-warn");
        check(Mem0WriteSuccess, Some(94.9), "status status-bad");
        // A metric without windowed rules is never coloured as bad.
        check(RedisMemory, Some(99.0), "status status-ok");
    }
}
