//! The guide's "Success Metrics Summary" table, filled from [`Metrics`], and the number
//! formatting every front-end shares (so the page, the CLI and the reports print the same text).

use serde::Serialize;

use crate::alerts::{default_rules, Level, Rule, WindowedMetric};
use crate::metrics::Metrics;

/// Whether a measured value meets its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    Met,
    Missed,
    NoData,
}

impl TargetStatus {
    /// The word shown in the table.
    pub fn label(self) -> &'static str {
        match self {
            TargetStatus::Met => "Within target",
            TargetStatus::Missed => "Off target",
            TargetStatus::NoData => "No data",
        }
    }
}

/// One row: Metric | Target | Alert threshold | Measured | Status.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SuccessRow {
    /// The metric's id in alerts and criteria (`p50_latency`, `error_rate`, ...).
    pub id: &'static str,
    pub metric: &'static str,
    pub target: &'static str,
    /// The critical alert rule of the metric in words (`> 500 ms for 10 min`), from the rule
    /// table the rows were made with.
    pub alert_threshold: String,
    /// Display text of the measured value; "no data" where there is none.
    pub measured: String,
    pub status: TargetStatus,
}

/// A latency in milliseconds, one decimal: `412.3 ms`.
pub fn format_ms(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.1} ms"),
        _ => "no data".to_owned(),
    }
}

/// A latency known within `relative_error` (a percentile from the rollups' histograms), with
/// its bound: `≈ 512 ms (±1 %)`; `format_ms`'s words when there is none.
pub fn format_bounded_ms(v: Option<f64>, relative_error: f64) -> String {
    match v {
        Some(v) if v.is_finite() => format!("≈ {v:.0} ms (±{} %)", relative_error * 100.0),
        _ => format_ms(None),
    }
}

/// A percentile as known: with its bound (`format_bounded_ms`) when it comes from the rollups'
/// histograms (`relative_error` given), else `format_ms`.
pub fn format_percentile_ms(v: Option<f64>, relative_error: Option<f64>) -> String {
    match relative_error {
        Some(e) => format_bounded_ms(v, e),
        None => format_ms(v),
    }
}

/// A percentage, two decimals: `98.76 %`.
pub fn format_pct(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.2} %"),
        _ => "no data".to_owned(),
    }
}

fn below(v: Option<f64>, limit: f64) -> TargetStatus {
    match v {
        Some(v) if v < limit => TargetStatus::Met,
        Some(_) => TargetStatus::Missed,
        None => TargetStatus::NoData,
    }
}

fn above(v: Option<f64>, limit: f64) -> TargetStatus {
    match v {
        Some(v) if v > limit => TargetStatus::Met,
        Some(_) => TargetStatus::Missed,
        None => TargetStatus::NoData,
    }
}

/// The guide's Phase 1 success-metrics rows, measured over the metrics' window, with the alert
/// thresholds of the default rule table ([`default_rules`]).
pub fn success_rows(m: &Metrics) -> Vec<SuccessRow> {
    success_rows_with(m, &default_rules())
}

/// The critical rule of `metric` in `rules`, in words without the metric's name; `—` when the
/// table has none.
fn critical_rule(rules: &[Rule], metric: WindowedMetric) -> String {
    rules
        .iter()
        .find(|r| r.metric == metric && r.level == Level::Critical)
        .map_or_else(|| "—".to_owned(), Rule::condition)
}

/// The success-metrics rows with the alert thresholds of `rules`.
pub fn success_rows_with(m: &Metrics, rules: &[Rule]) -> Vec<SuccessRow> {
    let threshold = |metric| critical_rule(rules, metric);
    // Percentiles from the rollups carry their bound: `≈ 512 ms (±1 %)`.
    let format_ms = |v: Option<f64>| format_percentile_ms(v, m.window.percentile_relative_error);
    let breaker = &m.circuit_breaker;
    let breaker_closed = breaker.current_state == "closed" && breaker.transitions.is_empty();
    vec![
        SuccessRow {
            id: "p50_latency",
            metric: "P50 Latency",
            target: "< 400 ms",
            alert_threshold: threshold(WindowedMetric::P50Latency),
            measured: format_ms(m.latency.p50_ms),
            status: below(m.latency.p50_ms, 400.0),
        },
        SuccessRow {
            id: "p95_latency",
            metric: "P95 Latency",
            target: "< 1000 ms",
            alert_threshold: threshold(WindowedMetric::P95Latency),
            measured: format_ms(m.latency.p95_ms),
            status: below(m.latency.p95_ms, 1000.0),
        },
        SuccessRow {
            id: "error_rate",
            metric: "Error Rate",
            target: "< 1 %",
            alert_threshold: threshold(WindowedMetric::ErrorRate),
            measured: format_pct(m.errors.error_rate_pct),
            status: below(m.errors.error_rate_pct, 1.0),
        },
        SuccessRow {
            id: "cache_hit_rate",
            metric: "Cache Hit Rate",
            target: "> 95 %",
            alert_threshold: threshold(WindowedMetric::CacheHitRate),
            measured: format_pct(m.cache.hit_rate_pct),
            status: above(m.cache.hit_rate_pct, 95.0),
        },
        SuccessRow {
            id: "mem0_write_success",
            metric: "mem0 Success",
            target: "> 99 %",
            alert_threshold: threshold(WindowedMetric::Mem0WriteSuccess),
            measured: format_pct(m.mem0.success_rate_pct),
            status: above(m.mem0.success_rate_pct, 99.0),
        },
        SuccessRow {
            id: "circuit_breaker",
            metric: "Circuit Breaker",
            target: "Closed",
            alert_threshold: "Opens".to_owned(),
            measured: if breaker.transitions.is_empty() {
                breaker.current_state.clone()
            } else {
                format!(
                    "{} ({} transitions)",
                    breaker.current_state,
                    breaker.transitions.len()
                )
            },
            status: if breaker_closed {
                TargetStatus::Met
            } else {
                TargetStatus::Missed
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_ms_table() {
        for (v, e, want) in [
            (Some(512.3), 0.01, "≈ 512 ms (±1 %)"),
            (Some(0.4), 0.01, "≈ 0 ms (±1 %)"),
            (None, 0.01, "no data"),
            (Some(f64::NAN), 0.01, "no data"),
        ] {
            assert_eq!(format_bounded_ms(v, e), want);
            assert_eq!(format_percentile_ms(v, Some(e)), want);
        }
        assert_eq!(format_percentile_ms(Some(512.34), None), "512.3 ms");
        assert_eq!(format_percentile_ms(None, None), "no data");
    }
    use crate::metrics::compute;
    use crate::store::EventStore;

    fn check(v: Option<f64>, ms: &str, pct: &str) {
        assert_eq!(format_ms(v), ms);
        assert_eq!(format_pct(v), pct);
    }

    #[test]
    fn formatting_table() {
        check(None, "no data", "no data");
        check(Some(f64::NAN), "no data", "no data");
        check(Some(0.0), "0.0 ms", "0.00 %");
        check(Some(412.34), "412.3 ms", "412.34 %");
        check(Some(-1.25), "-1.2 ms", "-1.25 %");
    }

    #[test]
    fn thresholds_are_strict() {
        assert_eq!(below(Some(400.0), 400.0), TargetStatus::Missed);
        assert_eq!(below(Some(399.999), 400.0), TargetStatus::Met);
        assert_eq!(above(Some(95.0), 95.0), TargetStatus::Missed);
        assert_eq!(above(None, 95.0), TargetStatus::NoData);
    }

    #[test]
    fn empty_store_gives_no_data_rows_and_a_closed_breaker() {
        let m = compute(&EventStore::new(), None);
        let rows = success_rows(&m);
        assert_eq!(rows.len(), 6);
        assert!(rows[..5].iter().all(|r| r.status == TargetStatus::NoData));
        assert_eq!(rows[5].measured, "closed");
        assert_eq!(rows[5].status, TargetStatus::Met);
    }
}
