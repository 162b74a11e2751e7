//! Metrics, alert samples and the cohort comparison from per-minute rollups
//! (docs/metrics.md#rollups-and-the-latency-histogram), for windows whose rows are too many to
//! read: what `sql/004_rollups.sql` keeps and its RPCs return, turned into the same [`Metrics`],
//! [`Evaluation`] and [`CohortComparison`] the exact engine gives.
//!
//! Counts, rates, minimum, maximum and slow writes are exact (sums of exact counters); means
//! are a sum of per-minute sums over the count, equal to `AVG` up to the rounding of a different
//! summation order; percentiles come from the latency [`Histogram`]s and are within
//! [`RELATIVE_ERROR_BOUND`] of `percentile_cont`. The error breakdowns, the stampedes and the
//! breaker come from exact small reads ([`ExactParts`]): the database groups the failures, and
//! the breaker transitions and the misses of stampeding keys are rows computed by the exact
//! engine.
//!
//! An alert whose percentile's error band straddles its threshold is *uncertain*
//! ([`RollupEvaluation::uncertain`]): it is neither reported as firing nor silently dropped.

use serde::Serialize;

use crate::alerts::{
    self, evaluate_rule, Alert, Comparator, Evaluation, Rule, RuleStatus, Sample, Status,
    WindowedMetric, MIN_SAMPLE_EVENTS,
};
use crate::cohort::{rank_test_from_counts, verdict, CohortComparison, CohortMetrics};
use crate::event::{to_datetime, EventType, Micros, MICROS_PER_MINUTE};
use crate::histogram::{error_band, Histogram, RELATIVE_ERROR, RELATIVE_ERROR_BOUND};
use crate::metrics::{
    self, rate_pct, Cache, CachePrefix, EndpointLatency, ErrorGroup, ErrorRate, Errors, Latency,
    Mem0, Mem0Failure, Metrics, Window, WindowInfo,
};
use crate::store::EventStore;
use stdx::sort::sort_by;

/// The exact counters of one rollup row (columns of `canary_rollup_minute`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counters {
    /// Rows.
    pub events: u64,
    /// `success = true`.
    pub successes: u64,
    /// `success = false`.
    pub failures: u64,
    /// `cache_hit = true`.
    pub hits: u64,
    /// `cache_hit = false`.
    pub misses: u64,
    /// Rows with a finite `processing_time_ms` (the values of the sums, extremes and histogram).
    pub times: u64,
    /// Rows whose `processing_time_ms` is null.
    pub null_times: u64,
    /// Rows whose `processing_time_ms` is NaN or infinite.
    pub nonfinite_times: u64,
    /// Rows with a negative finite `processing_time_ms`.
    pub negative_times: u64,
    /// Rows with `processing_time_ms > 5000`.
    pub slow: u64,
    /// Sum of the finite times.
    pub time_sum: f64,
    /// Smallest and largest finite time.
    pub time_min: Option<f64>,
    pub time_max: Option<f64>,
    /// Misses (`cache_hit = false`) with a finite time, and the sum of those times.
    pub miss_times: u64,
    pub miss_time_sum: f64,
}

impl Counters {
    /// Adds `other` (associative and commutative but for the rounding of the sums).
    pub fn merge(&mut self, other: &Counters) {
        self.events += other.events;
        self.successes += other.successes;
        self.failures += other.failures;
        self.hits += other.hits;
        self.misses += other.misses;
        self.times += other.times;
        self.null_times += other.null_times;
        self.nonfinite_times += other.nonfinite_times;
        self.negative_times += other.negative_times;
        self.slow += other.slow;
        self.time_sum += other.time_sum;
        self.time_min = min_opt(self.time_min, other.time_min);
        self.time_max = max_opt(self.time_max, other.time_max);
        self.miss_times += other.miss_times;
        self.miss_time_sum += other.miss_time_sum;
    }

    fn mean(&self) -> Option<f64> {
        (self.times > 0 && self.time_sum.is_finite()).then(|| self.time_sum / self.times as f64)
    }

    fn miss_mean(&self) -> Option<f64> {
        (self.miss_times > 0 && self.miss_time_sum.is_finite())
            .then(|| self.miss_time_sum / self.miss_times as f64)
    }
}

fn min_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// One row of a rollup RPC: the counters and latency histogram of one group of events.
#[derive(Clone, Debug, PartialEq)]
pub struct RollupRow {
    /// What the row covers: for `canary_rollup_minutes` the end `k` of the minute
    /// `(k − 1 min, k]`; for `canary_rollup_totals` the window's start.
    pub at: Micros,
    pub event_type: EventType,
    /// The `event_type` text when it is not one the metrics know (kept for the notes).
    pub other_type: Option<String>,
    /// `details->>'endpoint'` of requests, `details->>'cache_key_prefix'` of cache lookups.
    pub label: Option<String>,
    /// `details.canary` where it is a JSON boolean.
    pub cohort: Option<bool>,
    pub counters: Counters,
    /// Latencies of `request_completed` rows (empty for other types).
    pub latency: Histogram,
}

/// The parts of a window's metrics that rollups cannot give and small exact reads can.
#[derive(Debug, Default)]
pub struct ExactParts {
    /// Request failures by type and message (`canary_window_groups`), in any order.
    pub errors_by_type: Vec<ErrorGroup>,
    /// mem0 failures by type, in any order.
    pub mem0_failures_by_type: Vec<Mem0Failure>,
    /// The error rate of the window's newest 1000 requests.
    pub last_1000_requests: ErrorRate,
    /// Breaker transitions (the newest before the window and those in it) and the misses of the
    /// keys that stampede (`canary_exact_rows`): the exact engine runs on them.
    pub rows: EventStore,
}

/// How precise the percentiles of a result are: `exact: false` with the bound for numbers
/// from histograms (`"exact": false, "relative_error": 0.01` in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Precision {
    pub exact: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_error: Option<f64>,
}

impl Precision {
    /// Numbers computed from the rows themselves.
    pub const EXACT: Precision = Precision {
        exact: true,
        relative_error: None,
    };
    /// Percentiles from the histograms.
    pub const BOUNDED: Precision = Precision {
        exact: false,
        relative_error: Some(RELATIVE_ERROR_BOUND),
    };
}

/// The P50, P95 and P99 of a histogram with its exact extremes.
fn p50_95_99(h: &Histogram, c: &Counters) -> [Option<f64>; 3] {
    let (Some(min), Some(max)) = (c.time_min, c.time_max) else {
        return [None; 3];
    };
    [0.5, 0.95, 0.99].map(|p| h.percentile_cont(p, min, max))
}

/// Rows merged per key, in first-seen order.
fn merge_by<K: PartialEq + Clone>(
    rows: &[&RollupRow],
    key: impl Fn(&RollupRow) -> K,
) -> Vec<(K, Counters, Histogram)> {
    let mut out: Vec<(K, Counters, Histogram)> = Vec::new();
    for row in rows {
        let k = key(row);
        match out.iter_mut().find(|(x, _, _)| *x == k) {
            Some((_, c, h)) => {
                c.merge(&row.counters);
                h.merge(&row.latency);
            }
            None => out.push((k, row.counters.clone(), row.latency.clone())),
        }
    }
    out
}

fn merged(rows: &[&RollupRow]) -> (Counters, Histogram) {
    merge_by(rows, |_| ())
        .pop()
        .map(|(_, c, h)| (c, h))
        .unwrap_or_default()
}

/// Nulls last, then ascending: the tie order of every grouped list (as `metrics` orders them).
fn by_count_then_key(a: (u64, &Option<String>), b: (u64, &Option<String>)) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then_with(|| match (a.1, b.1) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    })
}

/// The notes of messy data the counters saw (the same words as the exact engine's).
fn notes(rows: &[RollupRow]) -> Vec<String> {
    let mut notes = Vec::new();
    for (kind, metric) in [
        (EventType::RequestCompleted, "latency"),
        (EventType::CacheAccess, "average miss time"),
        (EventType::Mem0Write, "write times"),
    ] {
        let of: Vec<&RollupRow> = rows.iter().filter(|r| r.event_type == kind).collect();
        let (c, _) = merged(&of);
        let name = kind.as_str();
        if c.null_times > 0 {
            notes.push(format!(
                "{} {name} rows without processing_time_ms skipped from {metric}",
                c.null_times
            ));
        }
        if c.nonfinite_times > 0 {
            notes.push(format!(
                "{} {name} rows with a NaN or infinite processing_time_ms skipped from {metric}",
                c.nonfinite_times
            ));
        }
        if c.negative_times > 0 {
            notes.push(format!(
                "{} {name} rows with a negative processing_time_ms (kept, as SQL keeps them)",
                c.negative_times
            ));
        }
        if matches!(kind, EventType::RequestCompleted | EventType::Mem0Write) {
            let unknown = c.events - c.successes - c.failures;
            if unknown > 0 {
                notes.push(format!(
                    "{unknown} {name} rows without success: counted in totals, neither success nor failure"
                ));
            }
        }
        if kind == EventType::CacheAccess {
            let unknown = c.events - c.hits - c.misses;
            if unknown > 0 {
                notes.push(format!(
                    "{unknown} cache_access rows without cache_hit: counted as accesses, not as hits"
                ));
            }
        }
    }
    let mut unknown: Vec<(String, u64)> = Vec::new();
    for r in rows {
        if let Some(name) = &r.other_type {
            match unknown.iter_mut().find(|(n, _)| n == name) {
                Some((_, n)) => *n += r.counters.events,
                None => unknown.push((name.clone(), r.counters.events)),
            }
        }
    }
    unknown.sort();
    if let Some(note) = metrics::unknown_types_note(&unknown) {
        notes.push(note);
    }
    notes.push(format!(
        "percentiles from the latency histograms of the rollups: within {} % of percentile_cont",
        RELATIVE_ERROR_BOUND * 100.0
    ));
    notes
}

/// Every metric of `window` from the rows of `canary_rollup_totals` over it and the exact parts.
/// Counts and rates equal the exact engine's; percentiles are within [`RELATIVE_ERROR_BOUND`].
pub fn metrics_from_rollups(rows: &[RollupRow], exact: &ExactParts, window: Window) -> Metrics {
    let of = |kind: EventType| -> Vec<&RollupRow> {
        rows.iter().filter(|r| r.event_type == kind).collect()
    };
    let requests = of(EventType::RequestCompleted);
    let (req, req_hist) = merged(&requests);
    let [p50_ms, p95_ms, p99_ms] = p50_95_99(&req_hist, &req);
    let latency = Latency {
        requests: req.events,
        p50_ms,
        p95_ms,
        p99_ms,
        mean_ms: req.mean(),
    };
    let mut latency_by_endpoint: Vec<EndpointLatency> = merge_by(&requests, |r| r.label.clone())
        .into_iter()
        .map(|(endpoint, c, h)| {
            let [p50_ms, p95_ms, p99_ms] = p50_95_99(&h, &c);
            EndpointLatency {
                endpoint,
                requests: c.events,
                p50_ms,
                p95_ms,
                p99_ms,
            }
        })
        .collect();
    sort_by(&mut latency_by_endpoint, |a, b| {
        by_count_then_key((a.requests, &a.endpoint), (b.requests, &b.endpoint))
    });

    let errors = Errors {
        requests: req.events,
        failures: req.failures,
        error_rate_pct: rate_pct(req.failures, req.events),
        last_1000_requests: exact.last_1000_requests.clone(),
    };
    let mut errors_by_type = exact.errors_by_type.clone();
    sort_by(&mut errors_by_type, |a, b| {
        by_count_then_key(
            (a.occurrences, &a.error_type),
            (b.occurrences, &b.error_type),
        )
        .then_with(|| by_count_then_key((0, &a.error_message), (0, &b.error_message)))
    });

    let lookups = of(EventType::CacheAccess);
    let (cache_all, _) = merged(&lookups);
    let cache = Cache {
        accesses: cache_all.events,
        hits: cache_all.hits,
        hit_rate_pct: rate_pct(cache_all.hits, cache_all.events),
    };
    let mut cache_by_prefix: Vec<CachePrefix> = merge_by(&lookups, |r| r.label.clone())
        .into_iter()
        .map(|(resource_type, c, _)| CachePrefix {
            resource_type,
            accesses: c.events,
            hit_rate_pct: rate_pct(c.hits, c.events),
            avg_miss_time_ms: c.miss_mean(),
        })
        .collect();
    sort_by(&mut cache_by_prefix, |a, b| {
        by_count_then_key(
            (a.accesses, &a.resource_type),
            (b.accesses, &b.resource_type),
        )
    });

    let (writes, _) = merged(&of(EventType::Mem0Write));
    let mem0 = Mem0 {
        total_writes: writes.events,
        success_rate_pct: rate_pct(writes.successes, writes.events),
        avg_write_time_ms: writes.mean(),
        max_write_time_ms: writes.time_max,
        slow_writes_over_5s: writes.slow,
    };
    let mut mem0_failures_by_type = exact.mem0_failures_by_type.clone();
    sort_by(&mut mem0_failures_by_type, |a, b| {
        by_count_then_key((a.failures, &a.error_type), (b.failures, &b.error_type))
    });

    // Stampedes and the breaker: the exact engine over the exact rows.
    let small = metrics::compute(&exact.rows, Some(window));
    let events = rows.iter().map(|r| r.counters.events).sum();
    Metrics {
        window: WindowInfo {
            from: Some(to_datetime(window.from)),
            to: Some(to_datetime(window.to)),
            events,
            percentile_relative_error: Some(RELATIVE_ERROR_BOUND),
            notes: notes(rows),
        },
        latency,
        latency_by_endpoint,
        errors,
        errors_by_type,
        cache,
        cache_by_prefix,
        cache_stampedes: small.cache_stampedes,
        mem0,
        mem0_failures_by_type,
        circuit_breaker: small.circuit_breaker,
    }
}

/// The alerts of a window from rollups.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RollupEvaluation {
    /// Alerts that fire whatever the percentiles' true values within their bounds are (the
    /// rate rules and the state rules are exact), with the statuses they give.
    pub evaluation: Evaluation,
    /// Alerts that would fire for some values within the bounds and not for others: the
    /// percentile's error band straddles the threshold. Shown as uncertain, never as firing.
    pub uncertain: Vec<Alert>,
}

/// One sample's value with the band its true value lies in (equal ends when exact).
#[derive(Clone, Copy, Debug, PartialEq)]
struct BandSample {
    at: Micros,
    value: Option<(f64, f64, f64)>,
}

/// Samples of the windowed metrics from per-minute rows (`canary_rollup_minutes`: `at` is the
/// end of the minute `(at − 1 min, at]`), at every whole minute of the window, each over the
/// trailing five minutes as the exact engine samples them.
fn band_samples(minutes: &[RollupRow], window: Window) -> Vec<(WindowedMetric, Vec<BandSample>)> {
    let first = window.from.div_euclid(MICROS_PER_MINUTE)
        + i64::from(window.from.rem_euclid(MICROS_PER_MINUTE) != 0);
    let last = (window.to.div_euclid(MICROS_PER_MINUTE)
        + i64::from(window.to.rem_euclid(MICROS_PER_MINUTE) != 0))
        - 1;
    // Per minute index: request counters and histogram, cache and mem0 counters.
    let mut sorted: Vec<&RollupRow> = minutes.iter().collect();
    sorted.sort_by_key(|r| r.at);
    let metrics = [
        WindowedMetric::P50Latency,
        WindowedMetric::P95Latency,
        WindowedMetric::ErrorRate,
        WindowedMetric::CacheHitRate,
        WindowedMetric::Mem0WriteSuccess,
    ];
    let mut out: Vec<(WindowedMetric, Vec<BandSample>)> =
        metrics.iter().map(|&m| (m, Vec::new())).collect();
    let (mut lo, mut hi) = (0usize, 0usize);
    for k in first..=last {
        let at = k * MICROS_PER_MINUTE;
        while hi < sorted.len() && sorted[hi].at <= at {
            hi += 1;
        }
        while lo < hi && sorted[lo].at <= at - 5 * MICROS_PER_MINUTE {
            lo += 1;
        }
        let span = &sorted[lo..hi];
        let pick = |kind: EventType| -> Vec<&RollupRow> {
            span.iter()
                .copied()
                .filter(|r| r.event_type == kind)
                .collect()
        };
        let (req, hist) = merged(&pick(EventType::RequestCompleted));
        let (cache, _) = merged(&pick(EventType::CacheAccess));
        let (mem0, _) = merged(&pick(EventType::Mem0Write));
        let band = |p: f64| -> Option<(f64, f64, f64)> {
            if hist.count() < MIN_SAMPLE_EVENTS {
                return None;
            }
            let v = hist.percentile_cont(p, req.time_min?, req.time_max?)?;
            let (low, high) = error_band(v, RELATIVE_ERROR);
            Some((v, low, high))
        };
        let exact = |v: Option<f64>| v.map(|v| (v, v, v));
        let enough = |n: u64| n >= MIN_SAMPLE_EVENTS;
        let values = [
            band(0.5),
            band(0.95),
            exact(rate_pct(req.failures, req.events).filter(|_| enough(req.events))),
            exact(rate_pct(cache.hits, cache.events).filter(|_| enough(cache.events))),
            exact(rate_pct(mem0.successes, mem0.events).filter(|_| enough(mem0.events))),
        ];
        for ((_, samples), value) in out.iter_mut().zip(values) {
            samples.push(BandSample { at, value });
        }
    }
    out
}

/// Runs a rule over one edge of the bands (`favourable`: the edge least likely to breach).
fn edge_samples(rule: &Rule, samples: &[BandSample], favourable: bool) -> Vec<Sample> {
    let low_edge = matches!(
        (rule.comparator, favourable),
        (Comparator::Above, true) | (Comparator::Below, false)
    );
    samples
        .iter()
        .map(|s| Sample {
            at: s.at,
            value: s
                .value
                .map(|(_, low, high)| if low_edge { low } else { high }),
        })
        .collect()
}

/// The worst estimate in `[since, until)` of the samples, for an alert's worst value.
fn worst_estimate(rule: &Rule, samples: &[BandSample], alert: &Alert) -> f64 {
    let since = crate::event::from_datetime(alert.since);
    let until = alert.until.map(crate::event::from_datetime);
    samples
        .iter()
        .filter(|s| s.at >= since && until.is_none_or(|u| s.at < u))
        .filter_map(|s| s.value.map(|v| v.0))
        .fold(alert.worst_value, |w, v| match rule.comparator {
            Comparator::Above if v > w => v,
            Comparator::Below if v < w => v,
            _ => w,
        })
}

/// Evaluates `rules` over per-minute rollup rows and the state rules (breaker, stampede) over
/// the exact rows. An alert is reported when it fires for every value within the percentile
/// bounds, and as uncertain when it fires only for some.
pub fn evaluate_from_rollups(
    minutes: &[RollupRow],
    exact: &ExactParts,
    window: Window,
    rules: &[Rule],
) -> RollupEvaluation {
    let samples = band_samples(minutes, window);
    let mut certain_alerts = Vec::new();
    let mut uncertain = Vec::new();
    let mut statuses = Vec::with_capacity(rules.len());
    for rule in rules {
        let Some((_, s)) = samples.iter().find(|(m, _)| *m == rule.metric) else {
            continue;
        };
        let (certain, state) = evaluate_rule(rule, &edge_samples(rule, s, true));
        let (possible, _) = evaluate_rule(rule, &edge_samples(rule, s, false));
        for mut alert in possible {
            let sure = certain
                .iter()
                .any(|c| c.since == alert.since && c.until == alert.until);
            alert.worst_value = worst_estimate(rule, s, &alert);
            if sure {
                certain_alerts.push(alert);
            } else {
                uncertain.push(alert);
            }
        }
        // An alert that fires on the favourable edge also fires on the other, except where a
        // run of the unfavourable edge joined it to an earlier firing: keep it as certain.
        for alert in certain {
            let known = certain_alerts.iter().chain(uncertain.iter()).any(|a| {
                a.metric == alert.metric && a.level == alert.level && a.since == alert.since
            });
            if !known {
                certain_alerts.push(alert);
            }
        }
        statuses.push(RuleStatus {
            metric: rule.metric.id(),
            level: rule.level,
            rule: rule.describe(),
            state,
            value_now: s.last().and_then(|x| x.value.map(|v| v.0)),
        });
    }
    let state_rules = alerts::evaluate(&exact.rows, Some(window), &[]);
    let mut evaluation = Evaluation {
        alerts: Vec::new(),
        rules: statuses,
        status_now: Status::OnTrack,
        status_in_window: Status::OnTrack,
        breaker_recovered_at: state_rules.breaker_recovered_at,
    };
    certain_alerts.extend(state_rules.alerts);
    evaluation.add_alerts(certain_alerts);
    stdx::sort::sort_by_key(&mut uncertain, |a| (a.since, a.metric, a.level));
    RollupEvaluation {
        evaluation,
        uncertain,
    }
}

/// One cohort's request metrics from its merged rollups.
fn cohort_metrics(c: &Counters, h: &Histogram) -> CohortMetrics {
    let [p50_ms, p95_ms, p99_ms] = p50_95_99(h, c);
    CohortMetrics {
        requests: c.events,
        latency_samples: c.times,
        p50_ms,
        p95_ms,
        p99_ms,
        mean_ms: c.mean(),
        failures: c.failures,
        error_rate_pct: rate_pct(c.failures, c.events),
    }
}

/// Canary against control from binned counts: the cohorts' metrics (percentiles within the
/// bound) and the Mann–Whitney test with each histogram bucket as one group of ties, which
/// makes it approximate (values in one bucket differ by at most 1.1 %); no Hodges–Lehmann
/// shift, which needs the values. `rows` are `canary_rollup_totals` rows of the window.
pub fn compare_cohorts(rows: &[RollupRow], window: Window) -> CohortComparison {
    let requests: Vec<&RollupRow> = rows
        .iter()
        .filter(|r| r.event_type == EventType::RequestCompleted)
        .collect();
    let pick = |cohort: Option<bool>| -> (Counters, Histogram) {
        let of: Vec<&RollupRow> = requests
            .iter()
            .copied()
            .filter(|r| r.cohort == cohort)
            .collect();
        merged(&of)
    };
    let (canary_c, canary_h) = pick(Some(true));
    let (control_c, control_h) = pick(Some(false));
    let (untagged, _) = pick(None);
    let latency_test = binned_rank_test(&canary_h, &control_h);
    CohortComparison {
        from: to_datetime(window.from),
        to: to_datetime(window.to),
        canary: cohort_metrics(&canary_c, &canary_h),
        control: cohort_metrics(&control_c, &control_h),
        untagged_requests: untagged.events,
        verdict: verdict(&latency_test),
        latency_test,
    }
}

/// The rank test over two histograms, a bucket being a group of tied values.
fn binned_rank_test(canary: &Histogram, control: &Histogram) -> crate::cohort::MannWhitney {
    let (x, y) = (canary.buckets(), control.buckets());
    let (mut i, mut j) = (0usize, 0usize);
    let mut below_control: u128 = 0;
    let mut two_u: u128 = 0;
    let mut tie_term: u128 = 0;
    while i < x.len() || j < y.len() {
        let key = match (x.get(i), y.get(j)) {
            (Some(a), Some(b)) => a.0.min(b.0),
            (Some(a), None) => a.0,
            (None, Some(b)) => b.0,
            (None, None) => break,
        };
        let a = match x.get(i) {
            Some(&(k, n)) if k == key => {
                i += 1;
                n as u128
            }
            _ => 0,
        };
        let b = match y.get(j) {
            Some(&(k, n)) if k == key => {
                j += 1;
                n as u128
            }
            _ => 0,
        };
        two_u += a * (2 * below_control + b);
        below_control += b;
        let t = a + b;
        tie_term += t * t * t - t;
    }
    rank_test_from_counts(canary.count(), control.count(), two_u, tie_term)
}

/// The start of the minute that holds `t` (rollup windows are whole minutes).
pub fn minute_floor(t: Micros) -> Micros {
    t.div_euclid(MICROS_PER_MINUTE) * MICROS_PER_MINUTE
}

/// The end of the minute that holds `t`, or `t` itself on a whole minute.
pub fn minute_ceil(t: Micros) -> Micros {
    minute_floor(t)
        + if t.rem_euclid(MICROS_PER_MINUTE) != 0 {
            MICROS_PER_MINUTE
        } else {
            0
        }
}

/// `window` widened to whole minutes, the only windows rollups can answer.
pub fn whole_minutes(window: Window) -> Window {
    Window {
        from: minute_floor(window.from),
        to: minute_ceil(window.to),
    }
}

/// The rollup rows of the store's rows in `window`, as `sql/004_rollups.sql` computes them:
/// `per_minute` gives the rows of `canary_rollup_minutes` (one per minute `(k − 1 min, k]`,
/// event type and cohort, labels merged), otherwise those of `canary_rollup_totals` (one per
/// event type, label and cohort over the whole window). The reference the database's rollups
/// are tested against, and what the tests of this module feed the functions above.
pub fn rollup_rows(store: &EventStore, window: Window, per_minute: bool) -> Vec<RollupRow> {
    let mut out: Vec<RollupRow> = Vec::new();
    for row in store.rows_in(window.from, window.to) {
        let kind = store.kind(row);
        if kind == EventType::Other {
            continue;
        }
        let at = if per_minute {
            minute_ceil(store.created_at[row])
        } else {
            window.from
        };
        let label = match kind {
            EventType::RequestCompleted | EventType::CacheAccess if !per_minute => {
                store.label_text(row).map(str::to_owned)
            }
            _ => None,
        };
        let cohort = store.canary(row);
        // Rows come in time order, so a minute's groups are the last ones.
        let found = out
            .iter()
            .rev()
            .take_while(|r| r.at == at)
            .position(|r| r.event_type == kind && r.cohort == cohort && r.label == label)
            .map(|back| out.len() - 1 - back);
        let i = match found {
            Some(i) => i,
            None => {
                out.push(RollupRow {
                    at,
                    event_type: kind,
                    other_type: None,
                    label,
                    cohort,
                    counters: Counters::default(),
                    latency: Histogram::new(),
                });
                out.len() - 1
            }
        };
        let r = &mut out[i];
        let c = &mut r.counters;
        c.events += 1;
        match store.success(row) {
            Some(true) => c.successes += 1,
            Some(false) => c.failures += 1,
            None => {}
        }
        let hit = store.cache_hit(row);
        match hit {
            Some(true) => c.hits += 1,
            Some(false) => c.misses += 1,
            None => {}
        }
        let t = store.processing_time_ms[row];
        if t.is_nan() {
            if store.processing_time_non_finite(row) {
                c.nonfinite_times += 1;
            } else {
                c.null_times += 1;
            }
            continue;
        }
        c.times += 1;
        if t < 0.0 {
            c.negative_times += 1;
        }
        if t > metrics::SLOW_WRITE_MS {
            c.slow += 1;
        }
        c.time_sum += t;
        c.time_min = min_opt(c.time_min, Some(t));
        c.time_max = max_opt(c.time_max, Some(t));
        if hit == Some(false) {
            c.miss_times += 1;
            c.miss_time_sum += t;
        }
        if kind == EventType::RequestCompleted {
            r.latency.add(t);
        }
    }
    out
}

/// The error rate of `requests` with `failures` (the last-1000 figure of a database answer).
pub fn rate_of(requests: u64, failures: u64) -> ErrorRate {
    ErrorRate {
        requests,
        failures,
        error_rate_pct: rate_pct(failures, requests),
    }
}
