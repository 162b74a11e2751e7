//! How the core's values read, written once for every front-end: an alert's value and threshold
//! with their unit, a rule's condition in words, durations and the escalation protocol's words.
//! The page, the CLI and the reports print these strings and never format the same value
//! themselves, so a unit or a word cannot differ between them.

use crate::alerts::{
    Alert, Level, MetricId, Rule, MIN_SAMPLE_EVENTS, SAMPLE_SPAN, STAMPEDE_CRITICAL_MISSES,
};
use crate::event::{from_datetime, Micros, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND};
use crate::metrics::Window;
use crate::phases::Verdict;
use crate::redis::EVICTED_KEYS_THRESHOLD;
use crate::summary::{format_ms, format_pct, format_percentile_ms};

/// A number as Rust prints it: `500`, `99.5`, `4035` (thresholds and counts as they are held).
pub fn number(v: f64) -> String {
    format!("{v}")
}

/// A value of `metric` with its unit: `621.8 ms`, `13.95 %`, `40 misses in 15 min`,
/// `3 failures`; `no data` for none (or a value that is not finite).
pub fn metric_value(metric: MetricId, v: Option<f64>) -> String {
    match metric {
        MetricId::P50Latency | MetricId::P95Latency => format_ms(v),
        MetricId::ErrorRate
        | MetricId::CacheHitRate
        | MetricId::Mem0WriteSuccess
        | MetricId::RedisMemory => format_pct(v),
        MetricId::CanaryP50Latency | MetricId::CanaryP95Latency => finite(v, ratio_text),
        MetricId::CanaryErrorRate | MetricId::CanaryMem0WriteSuccess => finite(v, points_text),
        MetricId::CacheStampede | MetricId::CircuitBreaker => match v {
            Some(v) if v.is_finite() => {
                let unit = if metric == MetricId::CacheStampede {
                    "misses in 15 min"
                } else {
                    "failures"
                };
                format!("{} {unit}", number(v))
            }
            _ => "no data".to_owned(),
        },
    }
}

/// [`metric_value`], with a latency percentile known within `relative_error` (from the
/// rollups' histograms) worded with its bound: `≈ 512 ms (±1 %)`.
pub fn metric_value_within(
    metric: MetricId,
    v: Option<f64>,
    relative_error: Option<f64>,
) -> String {
    match metric {
        MetricId::P50Latency | MetricId::P95Latency => format_percentile_ms(v, relative_error),
        _ => metric_value(metric, v),
    }
}

/// `text(v)` for a finite value, `no data` otherwise.
fn finite(v: Option<f64>, text: fn(f64) -> String) -> String {
    match v {
        Some(v) if v.is_finite() => text(v),
        _ => "no data".to_owned(),
    }
}

/// A canary/control latency ratio (the cohort rules' latency value): `1.82 × control`.
pub fn ratio_text(v: f64) -> String {
    format!("{v:.2} × control")
}

/// A difference of rates in points (the cohort rules' rate value): `+2.50 points`.
pub fn points_text(v: f64) -> String {
    format!("{v:+.2} points")
}

/// A p-value for people: three decimals down to 0.001 (`0.739`), then two significant digits
/// (`2.1e-7`); also for the significance level (`1e-5`).
pub fn p_text(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}").replace(".0e", "e")
    }
}

/// Whether `a` is the Redis evictions alert: it shares the `redis_memory` metric with the memory
/// alerts but counts evicted keys, and it is the only one with threshold
/// [`EVICTED_KEYS_THRESHOLD`] (no memory share is 0 %).
pub fn is_eviction_alert(a: &Alert) -> bool {
    a.metric == MetricId::RedisMemory && a.threshold == Some(EVICTED_KEYS_THRESHOLD as f64)
}

/// A value of the alert's metric with its unit (see [`metric_value`]); the evictions alert
/// counts keys: `4035 evicted keys`.
pub fn alert_value_of(a: &Alert, v: f64) -> String {
    if is_eviction_alert(a) {
        if v.is_finite() {
            format!("{} evicted keys", number(v))
        } else {
            "no data".to_owned()
        }
    } else {
        metric_value(a.metric, Some(v))
    }
}

/// The worst value the alert saw, with its unit.
pub fn alert_worst(a: &Alert) -> String {
    alert_value_of(a, a.worst_value)
}

/// [`alert_worst`], a latency percentile's worst value known within `relative_error` worded
/// with its bound.
pub fn alert_worst_within(a: &Alert, relative_error: Option<f64>) -> String {
    if is_eviction_alert(a) {
        alert_worst(a)
    } else {
        metric_value_within(a.metric, Some(a.worst_value), relative_error)
    }
}

/// Whether a lower value of `metric` is the bad side (its rules breach below their threshold).
fn lower_is_bad(metric: MetricId) -> bool {
    matches!(metric, MetricId::CacheHitRate | MetricId::Mem0WriteSuccess)
}

/// The circuit breaker's condition for `level`: a warning from the first transition away from
/// `closed`, critical while `open`.
fn breaker_condition(level: Level) -> &'static str {
    match level {
        Level::Warning => "left closed",
        _ => "open",
    }
}

/// The threshold an alert crossed, with its unit: `> 500.0 ms`, `< 95.00 %`,
/// `> 0 evicted keys`, `open`; `—` where there is none.
pub fn alert_threshold(a: &Alert) -> String {
    match (a.metric, a.threshold) {
        (MetricId::CircuitBreaker, _) => breaker_condition(a.level).to_owned(),
        (metric, Some(t)) => format!(
            "{} {}",
            if lower_is_bad(metric) { "<" } else { ">" },
            alert_value_of(a, t)
        ),
        (_, None) => "—".to_owned(),
    }
}

/// The alert's condition in words, without the metric's name: `> 400 ms for 5 min`. Windowed
/// alerts take their rule's wording from `rules` ([`Rule::condition`]); the state rules (the
/// breaker, the stampede, Redis) are worded here.
pub fn alert_condition(a: &Alert, rules: &[Rule]) -> String {
    if let Some(rule) = rules
        .iter()
        .find(|r| r.metric.id() == a.metric && r.level == a.level)
    {
        return rule.condition();
    }
    match a.metric {
        MetricId::CircuitBreaker => breaker_condition(a.level).to_owned(),
        MetricId::CacheStampede => format!(
            "> {} misses on one key in 15 min",
            number(a.threshold.unwrap_or(STAMPEDE_CRITICAL_MISSES as f64))
        ),
        MetricId::RedisMemory if is_eviction_alert(a) => {
            format!("> {} evicted keys", EVICTED_KEYS_THRESHOLD)
        }
        MetricId::RedisMemory => match a.threshold {
            Some(t) => format!("> {} % of maxmemory", number(t)),
            None => "memory of maxmemory".to_owned(),
        },
        _ => alert_threshold(a),
    }
}

/// A span of time for people: `45 s`, `12 min`, `3 h`, `3 h 5 min`, `2 d 4 h` (whole units,
/// rounded down; a negative span is `0 s`).
pub fn format_duration(micros: Micros) -> String {
    let micros = micros.max(0);
    if micros < MICROS_PER_MINUTE {
        return format!("{} s", micros / MICROS_PER_SECOND);
    }
    let minutes = micros / MICROS_PER_MINUTE;
    if micros < MICROS_PER_HOUR {
        return format!("{minutes} min");
    }
    let hours = minutes / 60;
    if hours < 48 {
        return match minutes % 60 {
            0 => format!("{hours} h"),
            m => format!("{hours} h {m} min"),
        };
    }
    format!("{} d {} h", hours / 24, hours % 24)
}

/// Why a window with events has no verdict at its end (`end`: its last instant, written as the
/// front-end writes times): too few events in the trailing span for any rule to judge.
pub fn too_few_at_end(end: &str) -> String {
    format!(
        "fewer than {MIN_SAMPLE_EVENTS} events in the {} before {end}, too few for any rule to judge (is the export still running?)",
        format_duration(SAMPLE_SPAN)
    )
}

/// How long an alert lasted, or has lasted so far at the end of `window` while still firing;
/// `just now` for a snapshot (Redis INFO) taken at or after the window's end.
pub fn alert_duration(a: &Alert, window: Option<Window>) -> String {
    let since = from_datetime(a.since);
    match a.until {
        Some(until) => format_duration(from_datetime(until) - since),
        None => match window {
            Some(w) if w.to > since => format!("{} so far", format_duration(w.to - since)),
            _ => "just now".to_owned(),
        },
    }
}

/// The guide's level words with their marks: `🟡 warning`, `🔴 critical`, `🚨 emergency`.
pub fn level_text(level: Level) -> &'static str {
    match level {
        Level::Warning => "🟡 warning",
        Level::Critical => "🔴 critical",
        Level::Emergency => "🚨 emergency",
    }
}

/// The short word of a scheduled check's data verdict: `OK`, `issues`, `no data`, `not due`.
pub fn verdict_word(v: &Verdict) -> &'static str {
    match v {
        Verdict::Ok => "OK",
        Verdict::Issues(_) => "issues",
        Verdict::NoData => "no data",
        Verdict::NotDue => "not due",
    }
}

/// One step of the guide's escalation protocol: what the worst level firing asks people to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Escalation {
    /// The worst level; `None`: nothing fires.
    pub level: Option<Level>,
    /// The mark shown with it (`🟡`, `🔴`, `🚨`; `✅` when nothing fires).
    pub mark: &'static str,
    /// The protocol's name for the step: `Yellow Alert`, `Red Alert`, `Emergency`.
    pub name: &'static str,
    /// What the step means: `metrics approach their thresholds`.
    pub meaning: &'static str,
    /// What to do, as an imperative: `Increase the monitoring frequency`, `Roll back now`.
    pub action: &'static str,
    /// What to do along with it, if anything: `start incident response`.
    pub also: Option<&'static str>,
}

impl Escalation {
    /// The step for the worst level firing.
    pub fn of(level: Option<Level>) -> Escalation {
        let (mark, name, meaning, action, also) = match level {
            None => (
                "✅",
                "All clear",
                "all metrics within thresholds",
                "Continue the scheduled checks",
                None,
            ),
            Some(Level::Warning) => (
                "🟡",
                "Yellow Alert",
                "metrics approach their thresholds",
                "Increase the monitoring frequency",
                None,
            ),
            Some(Level::Critical) => (
                "🔴",
                "Red Alert",
                "metrics exceed their thresholds",
                "Prepare the rollback and notify the team",
                None,
            ),
            Some(Level::Emergency) => (
                "🚨",
                "Emergency",
                "critical failure",
                "Roll back now",
                Some("start incident response"),
            ),
        };
        Escalation {
            level,
            mark,
            name,
            meaning,
            action,
            also,
        }
    }

    /// The action with what goes along with it: `Roll back now and start incident response`.
    pub fn instruction(&self) -> String {
        match self.also {
            Some(also) => format!("{} and {also}", self.action),
            None => self.action.to_owned(),
        }
    }

    /// The instruction in one sentence: `Red Alert: metrics exceed their thresholds. Prepare the
    /// rollback and notify the team.`
    pub fn sentence(&self) -> String {
        format!("{}: {}. {}.", self.name, self.meaning, self.instruction())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::default_rules;
    use crate::event::to_datetime;

    const M: Micros = MICROS_PER_MINUTE;

    fn alert(metric: MetricId, level: Level, threshold: Option<f64>, worst: f64) -> Alert {
        Alert {
            metric,
            level,
            threshold,
            since: to_datetime(10 * M),
            until: Some(to_datetime(25 * M)),
            worst_value: worst,
        }
    }

    fn check(a: Alert, threshold: &str, condition: &str, worst: &str) {
        assert_eq!(alert_threshold(&a), threshold, "{a:?}");
        assert_eq!(alert_condition(&a, &default_rules()), condition, "{a:?}");
        assert_eq!(alert_worst(&a), worst, "{a:?}");
    }

    #[test]
    fn cohort_numbers_read_as_people_write_them() {
        for (p, want) in [
            (1.0, "1.000"),
            (0.7391, "0.739"),
            (0.001, "0.001"),
            (0.000_999, "1e-3"),
            (2.08e-7, "2.1e-7"),
            (1e-5, "1e-5"),
            (0.0, "0e0"),
        ] {
            assert_eq!(p_text(p), want, "{p}");
        }
        assert_eq!(ratio_text(1.8034), "1.80 × control");
        assert_eq!(points_text(-0.46), "-0.46 points");
        assert_eq!(metric_value(MetricId::CanaryP95Latency, None), "no data");
        assert_eq!(
            metric_value(MetricId::CanaryErrorRate, Some(f64::NAN)),
            "no data"
        );
    }

    #[test]
    fn alert_text_table() {
        use Level::*;
        use MetricId::*;
        check(
            alert(P50Latency, Warning, Some(400.0), 412.34),
            "> 400.0 ms",
            "> 400 ms for 5 min",
            "412.3 ms",
        );
        check(
            alert(ErrorRate, Emergency, Some(5.0), 13.949),
            "> 5.00 %",
            "> 5 %",
            "13.95 %",
        );
        check(
            alert(CacheHitRate, Critical, Some(90.0), 80.0),
            "< 90.00 %",
            "< 90 % for 5 min",
            "80.00 %",
        );
        // Cohort alerts: a ratio to control, a difference in points.
        check(
            alert(CanaryP50Latency, Critical, Some(1.25), 1.8034),
            "> 1.25 × control",
            "> 1.25 × control",
            "1.80 × control",
        );
        check(
            alert(CanaryErrorRate, Warning, Some(0.5), 2.7),
            "> +0.50 points",
            "> +0.50 points",
            "+2.70 points",
        );
        check(
            alert(CircuitBreaker, Warning, None, 3.0),
            "left closed",
            "left closed",
            "3 failures",
        );
        check(
            alert(CircuitBreaker, Critical, None, 0.0),
            "open",
            "open",
            "0 failures",
        );
        check(
            alert(CacheStampede, Critical, Some(20.0), 40.0),
            "> 20 misses in 15 min",
            "> 20 misses on one key in 15 min",
            "40 misses in 15 min",
        );
        check(
            alert(RedisMemory, Critical, Some(80.0), 85.0),
            "> 80.00 %",
            "> 80 % of maxmemory",
            "85.00 %",
        );
        // The evictions alert counts keys, in every output.
        check(
            alert(RedisMemory, Emergency, Some(0.0), 4035.0),
            "> 0 evicted keys",
            "> 0 evicted keys",
            "4035 evicted keys",
        );
        // A value that is not a number is never shown as one.
        check(
            alert(P95Latency, Critical, Some(1500.0), f64::NAN),
            "> 1500.0 ms",
            "> 1500 ms for 10 min",
            "no data",
        );
        check(
            alert(RedisMemory, Emergency, Some(0.0), f64::INFINITY),
            "> 0 evicted keys",
            "> 0 evicted keys",
            "no data",
        );
        assert_eq!(metric_value(CacheStampede, None), "no data");
        assert_eq!(metric_value(ErrorRate, Some(0.0)), "0.00 %");
    }

    #[test]
    fn bounded_values_table() {
        use Level::*;
        use MetricId::*;
        // (alert, the bound, its worst value as shown)
        for (a, bound, want) in [
            (
                alert(P95Latency, Critical, Some(1500.0), 1512.4),
                Some(0.01),
                "≈ 1512 ms (±1 %)",
            ),
            (
                alert(P50Latency, Warning, Some(400.0), 400.0),
                Some(0.01),
                "≈ 400 ms (±1 %)",
            ),
            (
                alert(P50Latency, Warning, Some(400.0), 412.34),
                None,
                "412.3 ms",
            ),
            (
                alert(P95Latency, Critical, Some(1500.0), f64::NAN),
                Some(0.01),
                "no data",
            ),
            // Rates and counts are exact: no bound on them.
            (
                alert(ErrorRate, Emergency, Some(5.0), 13.949),
                Some(0.01),
                "13.95 %",
            ),
            (
                alert(RedisMemory, Emergency, Some(0.0), 4035.0),
                Some(0.01),
                "4035 evicted keys",
            ),
        ] {
            assert_eq!(alert_worst_within(&a, bound), want, "{a:?}");
        }
        assert_eq!(metric_value_within(P50Latency, None, Some(0.01)), "no data");
        assert_eq!(
            metric_value_within(CacheHitRate, Some(96.0), Some(0.01)),
            "96.00 %"
        );
    }

    #[test]
    fn durations() {
        const S: Micros = MICROS_PER_SECOND;
        for (micros, text) in [
            (-5, "0 s"),
            (0, "0 s"),
            (59 * S, "59 s"),
            (M, "1 min"),
            (59 * M + 59 * S, "59 min"),
            (60 * M, "1 h"),
            (3 * 60 * M + 5 * M, "3 h 5 min"),
            (312 * M, "5 h 12 min"),
            (48 * 60 * M - 1, "47 h 59 min"),
            (48 * 60 * M, "2 d 0 h"),
            (52 * 60 * M + 30 * M, "2 d 4 h"),
        ] {
            assert_eq!(format_duration(micros), text, "{micros}");
        }
        let mut a = alert(MetricId::ErrorRate, Level::Warning, Some(1.0), 2.0);
        assert_eq!(alert_duration(&a, None), "15 min");
        a.until = None;
        assert_eq!(alert_duration(&a, Window::new(0, 70 * M)), "1 h so far");
        assert_eq!(alert_duration(&a, Window::new(0, 10 * M)), "just now");
        assert_eq!(alert_duration(&a, None), "just now");
    }

    #[test]
    fn escalation_words() {
        assert_eq!(
            Escalation::of(None).sentence(),
            "All clear: all metrics within thresholds. Continue the scheduled checks."
        );
        assert_eq!(
            Escalation::of(Some(Level::Warning)).sentence(),
            "Yellow Alert: metrics approach their thresholds. Increase the monitoring frequency."
        );
        assert_eq!(
            Escalation::of(Some(Level::Critical)).sentence(),
            "Red Alert: metrics exceed their thresholds. Prepare the rollback and notify the team."
        );
        assert_eq!(
            Escalation::of(Some(Level::Emergency)).sentence(),
            "Emergency: critical failure. Roll back now and start incident response."
        );
    }
}
