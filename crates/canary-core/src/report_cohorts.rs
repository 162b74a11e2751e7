//! The cohort rules (`cohort_rules`, docs/metrics.md#alerts) over per-minute rollups, for the
//! reports of windows too large to read row by row.
//!
//! Each sample covers the trailing [`CohortRules::window_minutes`] as on the rows, from the
//! per-minute rows of `canary_rollup_minutes` split by cohort:
//! - error rate and mem0 write failures: the counts are exact, and so are the point differences
//!   and Fisher's test: these rules fire exactly as on the rows;
//! - latency: each cohort's P50 and P95 come from its histogram (within the bound), so the ratio
//!   is known within a band; the Mann–Whitney test counts each histogram bucket as one group of
//!   tied values (`rollup::compare_cohorts`), which makes it approximate. A latency rule is run on
//!   both edges of the band: an alert that fires on the favourable edge is reported, one that
//!   fires only on the unfavourable edge is uncertain ([`RollupCohorts::uncertain`]).
//!
//! The evidence behind an alert (endpoints, error types over its span) needs the rows: from
//! rollups it is empty and the reports say so.

use crate::alerts::{Alert, RuleStatus};
use crate::cohort::p_canary_slower;
use crate::cohort_rules::{
    call_of, evaluate_cohort_rule, proportion_test, CohortAlert, CohortEvaluation, CohortMetric,
    CohortRules, CohortSample, CohortTests, Evidence,
};
use crate::event::{from_datetime, to_datetime, EventType, Micros, MICROS_PER_MINUTE};
use crate::histogram::{error_band, RELATIVE_ERROR};
use crate::metrics::{rate_pct, Window};
use crate::rollup::{compare_cohorts, RollupRow};

/// The cohort rules over rollups: the evaluation of the alerts certain within the bound, and
/// the alerts that fire only for some values within it.
#[derive(Clone, Debug, PartialEq)]
pub struct RollupCohorts {
    pub evaluation: CohortEvaluation,
    pub uncertain: Vec<Alert>,
}

/// Whether `f1/n1 − f2/n2`, in points, is strictly above `margin` (on integers, as the rows'
/// rules decide it).
fn points_above(f1: u64, n1: u64, f2: u64, n2: u64, margin: f64) -> bool {
    let lhs = 100 * (f1 as i128 * n2 as i128 - f2 as i128 * n1 as i128);
    lhs as f64 > margin * (n1 as u128 * n2 as u128) as f64
}

/// The band of a latency ratio whose two percentiles are each within [`RELATIVE_ERROR`]; the
/// ratio itself where the band has no meaning (a control percentile whose band reaches 0).
fn ratio_band(canary: Option<f64>, control: Option<f64>) -> Option<(f64, f64, f64)> {
    let (c, k) = (canary?, control?);
    if k <= 0.0 {
        return None;
    }
    let point = c / k;
    let (c_lo, c_hi) = error_band(c, RELATIVE_ERROR);
    let (k_lo, k_hi) = error_band(k, RELATIVE_ERROR);
    if k_lo <= 0.0 {
        return Some((point, point, point));
    }
    Some((
        point,
        (c_lo / k_hi).min(c_hi / k_hi),
        (c_hi / k_lo).max(c_lo / k_lo),
    ))
}

/// mem0 writes and write failures (not `success = true`) of a cohort in `rows`.
fn writes(rows: &[RollupRow], canary: bool) -> (u64, u64) {
    rows.iter()
        .filter(|r| r.event_type == EventType::Mem0Write && r.cohort == Some(canary))
        .fold((0, 0), |(n, f), r| {
            (
                n + r.counters.events,
                f + r.counters.events - r.counters.successes,
            )
        })
}

/// The tests over the rows of one span (per-minute rows of both cohorts).
fn tests(rows: &[RollupRow], span: Window) -> CohortTests {
    let comparison = compare_cohorts(rows, span);
    let (c, k) = (&comparison.canary, &comparison.control);
    let ratio = |a: Option<f64>, b: Option<f64>| ratio_band(a, b).map(|r| r.0);
    let ((cw, cf), (kw, kf)) = (writes(rows, true), writes(rows, false));
    CohortTests {
        p50_ratio: ratio(c.p50_ms, k.p50_ms),
        p95_ratio: ratio(c.p95_ms, k.p95_ms),
        latency_p_value: p_canary_slower(&comparison.latency_test),
        error_test: proportion_test(c.failures, c.requests, k.failures, k.requests),
        mem0_test: proportion_test(cf, cw, kf, kw),
        comparison,
    }
}

/// Samples at every whole minute of `window`: `[point, low, high]`, the latency ratios at their
/// estimate and at either edge of their band (the rates are exact and the same in all three).
fn samples(sorted: &[RollupRow], window: Window, rules: &CohortRules) -> [Vec<CohortSample>; 3] {
    let span = i64::from(rules.window_minutes.max(1)) * MICROS_PER_MINUTE;
    let enough = |n: u64| n >= rules.min_samples_per_side.max(1);
    let margin = |f: fn(CohortMetric) -> bool| {
        rules
            .rules
            .iter()
            .filter(|r| f(r.metric))
            .map(|r| r.margin)
            .fold(f64::INFINITY, f64::min)
    };
    let (error_margin, mem0_margin) = (
        margin(|m| m == CohortMetric::ErrorRate),
        margin(|m| m == CohortMetric::Mem0WriteSuccess),
    );
    let first = window.from.div_euclid(MICROS_PER_MINUTE)
        + i64::from(window.from.rem_euclid(MICROS_PER_MINUTE) != 0);
    let last = window.to.div_euclid(MICROS_PER_MINUTE)
        + i64::from(window.to.rem_euclid(MICROS_PER_MINUTE) != 0)
        - 1;
    let (mut lo, mut hi) = (0usize, 0usize);
    let mut out: [Vec<CohortSample>; 3] = Default::default();
    for k in first..=last {
        let at = k * MICROS_PER_MINUTE;
        while hi < sorted.len() && sorted[hi].at <= at {
            hi += 1;
        }
        while lo < hi && sorted[lo].at <= at - span {
            lo += 1;
        }
        let rows = &sorted[lo..hi];
        let mut s = CohortSample {
            at,
            p50_ratio: None,
            p95_ratio: None,
            latency_significant: false,
            error_points: None,
            error_significant: false,
            mem0_points: None,
            mem0_significant: false,
        };
        let t = tests(
            rows,
            Window {
                from: at - span,
                to: at,
            },
        );
        let (c, ctl) = (&t.comparison.canary, &t.comparison.control);
        let latency = enough(c.latency_samples) && enough(ctl.latency_samples);
        let bands = [
            ratio_band(c.p50_ms, ctl.p50_ms).filter(|_| latency),
            ratio_band(c.p95_ms, ctl.p95_ms).filter(|_| latency),
        ];
        s.latency_significant = latency && t.latency_p_value.is_some_and(|p| p < rules.alpha);
        let e = &t.error_test;
        if enough(e.canary_total) && enough(e.control_total) {
            s.error_points = rate_pct(e.canary_failures, e.canary_total)
                .zip(rate_pct(e.control_failures, e.control_total))
                .map(|(a, b)| a - b);
            s.error_significant = points_above(
                e.canary_failures,
                e.canary_total,
                e.control_failures,
                e.control_total,
                error_margin,
            ) && e.p_value.is_some_and(|p| p < rules.alpha);
        }
        let w = &t.mem0_test;
        if enough(w.canary_total) && enough(w.control_total) {
            s.mem0_points = rate_pct(w.canary_failures, w.canary_total)
                .zip(rate_pct(w.control_failures, w.control_total))
                .map(|(a, b)| a - b);
            s.mem0_significant = points_above(
                w.canary_failures,
                w.canary_total,
                w.control_failures,
                w.control_total,
                mem0_margin,
            ) && w.p_value.is_some_and(|p| p < rules.alpha);
        }
        let pick = |band: Option<(f64, f64, f64)>, i: usize| band.map(|b| [b.0, b.1, b.2][i]);
        for (i, samples) in out.iter_mut().enumerate() {
            samples.push(CohortSample {
                p50_ratio: pick(bands[0], i),
                p95_ratio: pick(bands[1], i),
                ..s
            });
        }
    }
    out
}

/// The value of `metric` in a sample.
fn value_of(s: &CohortSample, metric: CohortMetric) -> Option<f64> {
    match metric {
        CohortMetric::P50Latency => s.p50_ratio,
        CohortMetric::P95Latency => s.p95_ratio,
        CohortMetric::ErrorRate => s.error_points,
        CohortMetric::Mem0WriteSuccess => s.mem0_points,
    }
}

/// The cohort rules over the per-minute rollup rows of `window` (`canary_rollup_minutes`).
pub fn evaluate_cohorts_from_rollups(
    minutes: &[RollupRow],
    window: Window,
    rules: &CohortRules,
) -> RollupCohorts {
    let tagged = minutes.iter().any(|r| {
        r.cohort.is_some()
            && matches!(
                r.event_type,
                EventType::RequestCompleted | EventType::Mem0Write
            )
    });
    let mut sorted: Vec<RollupRow> = minutes.to_vec();
    sorted.sort_by_key(|r| r.at);
    if !tagged {
        return RollupCohorts {
            evaluation: CohortEvaluation::without_tags(rules),
            uncertain: Vec::new(),
        };
    }
    let [point, low, high] = samples(&sorted, window, rules);
    let mut alerts: Vec<CohortAlert> = Vec::new();
    let mut uncertain = Vec::new();
    let mut states = Vec::with_capacity(rules.rules.len());
    for rule in &rules.rules {
        // Every cohort rule breaches above its limit: the low edge is the favourable one.
        let (certain, state) = evaluate_cohort_rule(rule, &low);
        let (possible, _) = evaluate_cohort_rule(rule, &high);
        // A latency alert's worst value is the worst estimate in its span (the band's high
        // edge would overstate it).
        let worst = |a: &Alert| -> f64 {
            let since = from_datetime(a.since);
            let until = a.until.map(from_datetime);
            let w = point
                .iter()
                .filter(|s| s.at >= since && until.is_none_or(|u| s.at < u))
                .filter_map(|s| value_of(s, rule.metric))
                .fold(f64::NEG_INFINITY, f64::max);
            if w.is_finite() {
                w
            } else {
                a.worst_value
            }
        };
        let mut found: Vec<(Alert, bool)> = Vec::new();
        for alert in possible {
            let sure = certain
                .iter()
                .any(|c| c.since == alert.since && c.until == alert.until);
            found.push((alert, sure));
        }
        // An alert of the favourable edge also fires on the other, except where a run of the
        // unfavourable edge joined it to an earlier one: keep it as certain.
        for alert in certain {
            let known = found.iter().any(|(a, _)| {
                a.metric == alert.metric && a.level == alert.level && a.since == alert.since
            });
            if !known {
                found.push((alert, true));
            }
        }
        for (mut alert, sure) in found {
            if matches!(
                rule.metric,
                CohortMetric::P50Latency | CohortMetric::P95Latency
            ) {
                alert.worst_value = worst(&alert);
            }
            if sure {
                let evidence = Evidence {
                    from: alert.since,
                    to: alert.until.unwrap_or_else(|| to_datetime(window.to)),
                    endpoints: Vec::new(),
                    error_types: Vec::new(),
                };
                alerts.push(CohortAlert {
                    alert,
                    rule: rule.describe(),
                    evidence,
                });
            } else {
                uncertain.push(alert);
            }
        }
        states.push(RuleStatus {
            metric: rule.metric.id(),
            level: rule.level,
            rule: rule.describe(),
            state,
            value_now: point.last().and_then(|s| value_of(s, rule.metric)),
        });
    }
    stdx::sort::sort_by_key(&mut alerts, |a| {
        (a.alert.since, a.alert.metric, a.alert.level)
    });
    stdx::sort::sort_by_key(&mut uncertain, |a| (a.since, a.metric, a.level));
    let (status_now, status_in_window, call) = call_of(&alerts, &states);
    // What the rules see at the window's end, as on the rows: the trailing span of the last
    // sample and the minute after it, `(last − span, end]`.
    let end: Micros = window.to;
    let last_minute =
        (end.div_euclid(MICROS_PER_MINUTE) + i64::from(end.rem_euclid(MICROS_PER_MINUTE) != 0) - 1)
            * MICROS_PER_MINUTE;
    let span_from =
        (last_minute - i64::from(rules.window_minutes) * MICROS_PER_MINUTE).max(window.from);
    let now = Window::new(span_from, end).map(|w| {
        let rows: Vec<RollupRow> = sorted
            .iter()
            .filter(|r| r.at > w.from && r.at <= w.to)
            .cloned()
            .collect();
        tests(&rows, w)
    });
    RollupCohorts {
        evaluation: CohortEvaluation {
            call,
            tagged: true,
            window_minutes: rules.window_minutes,
            min_samples_per_side: rules.min_samples_per_side,
            alpha: rules.alpha,
            now,
            rules: states,
            alerts,
            status_now,
            status_in_window,
        },
        uncertain,
    }
}
