//! The analysis of a window read from the database's rollups (`supabase::rollups`) rather than
//! from its rows: the same [`Analysis`] the panels draw, built by the rollup functions of the
//! engine (`rollup::metrics_from_rollups`, `evaluate_from_rollups`, `compare_cohorts`) and the
//! cohort rules over the per-cohort minutes ([`crate::report_cohorts`]), with the charts' series
//! from the per-minute rows and the phase's criteria judged on the window's numbers. Counts and rates are exact; every percentile is within
//! [`RELATIVE_ERROR_BOUND`](crate::histogram::RELATIVE_ERROR_BOUND) and carries that bound
//! (`Metrics::window.percentile_relative_error`, `Series::percentile_relative_error`).
//!
//! What the rollups cannot give is left out, never filled with a guess: the evidence behind a
//! cohort alert (endpoints and error types over its span), the comparison with the previous
//! phase (its window is not read) and the hourly checks' verdicts; the page says so where each
//! would be.

use std::sync::Arc;

use crate::alerts::Rule;
use crate::analysis::{add_redis_info, breaker_timeline, Analysis};
use crate::cohort_rules::{default_cohort_rules, CohortEvaluation};
use crate::event::{EventType, Micros, MICROS_PER_MINUTE};
use crate::histogram::{Histogram, RELATIVE_ERROR_BOUND};
use crate::metrics::{rate_pct, Window};
use crate::phases::{
    elapsed, evaluate_criteria, next_check, remaining, PhaseAssessment, PhaseDefinition,
};
use crate::report_cohorts::evaluate_cohorts_from_rollups;
use crate::rollup::{
    compare_cohorts, evaluate_from_rollups, metrics_from_rollups, minute_ceil, minute_floor,
    Counters, RollupEvaluation, RollupRow,
};
use crate::series::{bucket_width, Series, SeriesPoint};
use crate::supabase::rollups::RollupWindow;

/// The series of `window` from per-minute rollup rows (`at`: the end of the minute
/// `(at − 1 min, at]`, drawn as the bucket of the minute that starts at `at − 1 min`), with
/// [`bucket_width`]'s buckets: counts and rates exact per bucket, percentiles from the merged
/// histograms of the bucket's minutes, within the bound the series carries.
pub fn series_from_rollups(minutes: &[RollupRow], window: Window) -> Series {
    let bucket = bucket_width(window.len()).max(MICROS_PER_MINUTE);
    let first = window.from.div_euclid(bucket) * bucket;
    let count = (window.to - first + bucket - 1).div_euclid(bucket).max(0) as usize;
    // Per bucket: the requests' counters and histogram, the cache's and mem0's counters.
    let mut requests: Vec<(Counters, Histogram)> = vec![Default::default(); count];
    let mut cache: Vec<Counters> = vec![Counters::default(); count];
    let mut mem0: Vec<Counters> = vec![Counters::default(); count];
    for row in minutes {
        let start = row.at - MICROS_PER_MINUTE;
        if start < window.from || start >= window.to {
            continue;
        }
        let i = ((start - first) / bucket) as usize;
        match row.event_type {
            EventType::RequestCompleted => {
                requests[i].0.merge(&row.counters);
                requests[i].1.merge(&row.latency);
            }
            EventType::CacheAccess => cache[i].merge(&row.counters),
            EventType::Mem0Write => mem0[i].merge(&row.counters),
            _ => {}
        }
    }
    let points = (0..count)
        .map(|i| {
            let (req, hist) = &requests[i];
            let percentile = |p: f64| hist.percentile_cont(p, req.time_min?, req.time_max?);
            let (c, m) = (&cache[i], &mem0[i]);
            SeriesPoint {
                requests: req.events,
                p50_ms: percentile(0.5),
                p95_ms: percentile(0.95),
                p99_ms: percentile(0.99),
                failures: req.failures,
                error_rate_pct: rate_pct(req.failures, req.events),
                cache_accesses: c.events,
                cache_hits: c.hits,
                cache_hit_rate_pct: rate_pct(c.hits, c.events),
                mem0_writes: m.events,
                mem0_successes: m.successes,
                mem0_success_rate_pct: rate_pct(m.successes, m.events),
                ..SeriesPoint::empty(first + i as Micros * bucket)
            }
        })
        .collect();
    Series {
        bucket,
        points,
        percentile_relative_error: Some(RELATIVE_ERROR_BOUND),
    }
}

/// The alerts of the window of `rollups`: the absolute `rules`' and the cohort rules' (the
/// guide's), each certain within the percentiles' bounds (in the evaluation) or uncertain, and
/// the cohort rules' own evaluation (their call and rules) for the canary panel and `--json`.
pub fn evaluate_rollups(
    rollups: &RollupWindow,
    rules: &[Rule],
) -> (RollupEvaluation, CohortEvaluation) {
    let mut evaluation =
        evaluate_from_rollups(&rollups.minutes, &rollups.exact, rollups.window, rules);
    let cohorts =
        evaluate_cohorts_from_rollups(&rollups.minutes, rollups.window, &default_cohort_rules());
    cohorts.evaluation.add_to(&mut evaluation.evaluation);
    evaluation.uncertain.extend(cohorts.uncertain);
    (evaluation, cohorts.evaluation)
}

/// Everything the panels show for the window of `rollups`, as of `now`, with the alerts of the
/// `redis-cli INFO` text `redis_info` (if given): metrics, series, alerts (certain ones in
/// `evaluation`, the ones a percentile's band leaves open in `uncertain`;
/// [`evaluate_rollups`]), the cohorts on binned counts and the breaker's timeline from the
/// exact rows.
pub fn analyse_rollups(
    rollups: &RollupWindow,
    now: Micros,
    redis_info: Option<&str>,
    rules: &[Rule],
) -> Analysis {
    let window = rollups.window;
    let metrics = metrics_from_rollups(&rollups.totals, &rollups.exact, window);
    let (from_rollups, cohort_rules) = evaluate_rollups(rollups, rules);
    let mut evaluation = from_rollups.evaluation;
    let redis = match redis_info {
        None => Ok(None),
        Some(text) => add_redis_info(&mut evaluation, text, now)
            .map(Some)
            .map_err(|e| e.to_string()),
    };
    let breaker = breaker_timeline(&rollups.exact.rows, window, &metrics);
    Analysis {
        window: Some(window),
        now,
        series: Arc::new(series_from_rollups(&rollups.minutes, window)),
        evaluation: Arc::new(evaluation),
        uncertain: from_rollups.uncertain,
        cohorts: Some(Arc::new(compare_cohorts(&rollups.totals, window))),
        cohort_rules: Arc::new(cohort_rules),
        metrics: Arc::new(metrics),
        redis,
        breaker_timeline: breaker,
        rules: rules.into(),
    }
}

/// Whether the rollups read cover the phase so far, `[from, min(now, to))`, and nothing else
/// (up to the whole minutes the rollups are read in): only then are the window's numbers the
/// phase's.
pub fn covers_phase(read: Window, phase: Window, now: Micros) -> bool {
    let seen_to = now.min(phase.to);
    read.from == minute_floor(phase.from)
        && read.to >= minute_floor(seen_to)
        && read.to <= minute_ceil(phase.to)
}

/// The phase picked, judged on the numbers of `analysis` (an [`analyse_rollups`] of `read`),
/// when the rollups read cover that phase so far ([`covers_phase`]); a phase without a start
/// starts at the window's. Its criteria are those of the rows but for "canary not worse than
/// control" (the cohort rules) and the comparison with the previous phase, which are left out;
/// the hourly checklist is empty (its verdicts need each hour's rows).
pub fn assess_phase_from_rollups(
    analysis: &Analysis,
    read: Window,
    phases: &[PhaseDefinition],
    number: u8,
    now: Micros,
) -> Option<Arc<PhaseAssessment>> {
    let mut definition = phases.iter().find(|p| p.number == number)?.clone();
    definition.start = definition.start.or(Some(read.from));
    let window = definition.window()?;
    if !covers_phase(read, window, now) {
        return None;
    }
    let criteria = evaluate_criteria(
        &definition,
        &analysis.metrics,
        &analysis.evaluation.alerts,
        window,
        now,
        None,
    );
    Some(Arc::new(PhaseAssessment {
        elapsed: elapsed(window.from, definition.duration, now),
        remaining: remaining(window.from, definition.duration, now),
        next_check: next_check(window.from, definition.duration, now),
        window,
        criteria,
        comparison: None,
        checklist: Vec::new(),
        definition,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::default_rules;
    use crate::analysis::analyse_window;
    use crate::demo::{generate, DemoConfig};
    use crate::event::MICROS_PER_HOUR;
    use crate::histogram::RELATIVE_ERROR;
    use crate::rollup::{rollup_rows, whole_minutes, ExactParts};
    use crate::series;
    use crate::EventStore;

    const M: Micros = MICROS_PER_MINUTE;

    /// A rollup read of `window` of `store`, as the database gives it: totals, minutes, and the
    /// exact parts as the exact engine computes them.
    fn read_of(store: &EventStore, window: Window) -> RollupWindow {
        let window = whole_minutes(window);
        let exact = crate::metrics::compute(store, Some(window));
        let breaker_rows = EventStore::new();
        RollupWindow {
            window,
            totals: rollup_rows(store, window, false),
            minutes: rollup_rows(store, window, true),
            exact: ExactParts {
                errors_by_type: exact.errors_by_type.clone(),
                mem0_failures_by_type: exact.mem0_failures_by_type.clone(),
                last_1000_requests: exact.errors.last_1000_requests.clone(),
                rows: breaker_rows,
            },
        }
    }

    /// Each bucket's counts equal the rows' series (the demo's times are not on whole minutes,
    /// so the minute `(k − 1, k]` holds the rows of `[k − 1, k)`), and each percentile is within
    /// the bound of the rows'.
    fn check_series(store: &EventStore, window: Window, expected_bucket: Micros) {
        let read = read_of(store, window);
        let got = series_from_rollups(&read.minutes, read.window);
        let want = series::compute(store, read.window);
        assert_eq!(got.bucket, expected_bucket);
        assert_eq!(got.bucket, want.bucket);
        assert_eq!(got.points.len(), want.points.len());
        assert_eq!(got.percentile_relative_error, Some(RELATIVE_ERROR_BOUND));
        for (g, w) in got.points.iter().zip(&want.points) {
            assert_eq!(g.start, w.start);
            assert_eq!(
                (g.requests, g.failures, g.cache_accesses, g.cache_hits),
                (w.requests, w.failures, w.cache_accesses, w.cache_hits),
                "bucket {}",
                g.start
            );
            assert_eq!(
                (g.mem0_writes, g.mem0_successes),
                (w.mem0_writes, w.mem0_successes)
            );
            assert_eq!(g.error_rate_pct, w.error_rate_pct);
            for (a, b) in [
                (g.p50_ms, w.p50_ms),
                (g.p95_ms, w.p95_ms),
                (g.p99_ms, w.p99_ms),
            ] {
                match (a, b) {
                    (Some(a), Some(b)) => assert!(
                        (a - b).abs() <= RELATIVE_ERROR * b.abs() + 1e-9,
                        "{a} against {b} at {}",
                        g.start
                    ),
                    (a, b) => assert_eq!(a, b),
                }
            }
        }
    }

    #[test]
    fn series_table() {
        let demo = generate(&DemoConfig::default());
        let (first, last) = demo.time_span().unwrap();
        let start = minute_floor(first);
        // One hour and the whole day: one-minute buckets; two weeks: 15-minute buckets.
        check_series(
            &demo,
            Window::new(start, start + MICROS_PER_HOUR).unwrap(),
            M,
        );
        check_series(&demo, Window::new(start, last + 1).unwrap(), M);
        check_series(
            &demo,
            Window::new(start, start + 14 * 24 * MICROS_PER_HOUR).unwrap(),
            15 * M,
        );
        // No rows: every bucket empty, no percentile, no NaN.
        let empty = series_from_rollups(&[], Window::new(0, 3 * M).unwrap());
        assert_eq!(empty.points.len(), 3);
        assert!(empty
            .points
            .iter()
            .all(|p| p.requests == 0 && p.p50_ms.is_none() && p.error_rate_pct.is_none()));
        // A minute outside the window is not drawn.
        let outside = read_of(&demo, Window::new(start, start + 10 * M).unwrap());
        let s = series_from_rollups(&outside.minutes, Window::new(start, start + 5 * M).unwrap());
        assert_eq!(s.points.len(), 5);
        let drawn: u64 = s.points.iter().map(|p| p.requests).sum();
        let rows = series::compute(&demo, Window::new(start, start + 5 * M).unwrap());
        assert_eq!(drawn, rows.points.iter().map(|p| p.requests).sum::<u64>());
    }

    #[test]
    fn the_analysis_has_the_rows_counts_and_bounded_percentiles() {
        let demo = generate(&DemoConfig::default());
        let (first, last) = demo.time_span().unwrap();
        let window = whole_minutes(Window::new(first, last + 1).unwrap());
        let rules = default_rules();
        let read = read_of(&demo, window);
        let a = analyse_rollups(&read, window.to, None, &rules);
        let exact = analyse_window(&demo, Some(window), window.to, None, &rules);
        assert!(a.from_rollups() && !exact.from_rollups());
        assert_eq!(a.window, Some(window));
        assert_eq!(a.metrics.window.events, exact.metrics.window.events);
        assert_eq!(a.metrics.errors.failures, exact.metrics.errors.failures);
        assert_eq!(
            a.metrics.cache.hit_rate_pct,
            exact.metrics.cache.hit_rate_pct
        );
        let (p95, want) = (
            a.metrics.latency.p95_ms.unwrap(),
            exact.metrics.latency.p95_ms.unwrap(),
        );
        assert!((p95 - want).abs() <= RELATIVE_ERROR * want, "{p95} {want}");
        let cohorts = a.cohorts.as_deref().unwrap();
        let exact_cohorts = exact.cohorts.as_deref().unwrap();
        assert_eq!(cohorts.canary.requests, exact_cohorts.canary.requests);
        // The cohort rules from the per-cohort minutes: the demo is tagged, and its cohorts
        // make the same call as on the rows.
        assert!(a.cohort_rules.tagged);
        assert_eq!(a.cohort_rules.call, exact.cohort_rules.call);
        // Every alert of the rows is certain or uncertain from the rollups, none is invented
        // (the alert engine's agreement is the rollup module's own test).
        for alert in a.evaluation.alerts.iter().chain(&a.uncertain) {
            assert!(
                exact
                    .evaluation
                    .alerts
                    .iter()
                    .any(|x| x.metric == alert.metric),
                "{alert:?}"
            );
        }
        // A Redis text adds its alerts, and a bad one says where.
        let redis = analyse_rollups(&read, window.to, Some("used_memory 1"), &rules);
        assert_eq!(
            redis.redis,
            Err("line 1: expected key:value, got \"used_memory 1\"".to_owned())
        );
    }

    #[test]
    fn an_empty_read_gives_no_numbers_and_no_nan() {
        let window = Window::new(0, 10 * M).unwrap();
        let read = read_of(&EventStore::new(), window);
        let a = analyse_rollups(&read, window.to, None, &default_rules());
        assert_eq!(a.metrics.window.events, 0);
        assert_eq!(a.metrics.latency.p50_ms, None);
        assert_eq!(a.metrics.errors.error_rate_pct, None);
        assert!(a.series.points.iter().all(|p| p.p95_ms.is_none()));
        assert!(a.evaluation.alerts.is_empty() && a.uncertain.is_empty());
        assert_eq!(a.breaker_timeline.len(), 1);
    }

    fn check_covers(read: (Micros, Micros), phase: (Micros, Micros), now: Micros, want: bool) {
        let read = Window::new(read.0, read.1).unwrap();
        let phase = Window::new(phase.0, phase.1).unwrap();
        assert_eq!(
            covers_phase(read, phase, now),
            want,
            "{read:?} {phase:?} {now}"
        );
    }

    #[test]
    fn covers_phase_table() {
        let h = MICROS_PER_HOUR;
        // The phase read whole (over), read up to its end while under way, read to now.
        check_covers((0, 48 * h), (0, 48 * h), 50 * h, true);
        check_covers((0, 48 * h), (0, 48 * h), 10 * h, true);
        check_covers((0, 10 * h), (0, 48 * h), 10 * h, true);
        // Exactly on a minute and just past one: the read is widened to whole minutes.
        check_covers((0, 10 * h + M), (0, 48 * h), 10 * h + 1, true);
        check_covers((0, 10 * h), (0, 48 * h), 10 * h + M, false);
        // Another window: the last 24 h of a phase that began earlier, or later than the phase.
        check_covers((h, 25 * h), (0, 48 * h), 25 * h, false);
        check_covers((0, 49 * h), (0, 48 * h), 50 * h, false);
        // A start inside a minute is read from that minute's start.
        check_covers((0, 48 * h), (30_000_000, 48 * h), 50 * h, true);
    }

    #[test]
    fn the_phase_is_judged_only_on_its_own_window() {
        let demo = generate(&DemoConfig::default());
        let (first, _) = demo.time_span().unwrap();
        let rules = default_rules();
        let mut phases = crate::phases::default_phases();
        phases[0].start = Some(minute_floor(first));
        let phase = phases[0].window().unwrap();
        let now = phase.from + 6 * MICROS_PER_HOUR;
        let seen = Window::new(phase.from, now).unwrap();
        let read = read_of(&demo, seen);
        let a = analyse_rollups(&read, now, None, &rules);
        let got = assess_phase_from_rollups(&a, read.window, &phases, 1, now).unwrap();
        assert_eq!(got.window, phase);
        assert!(got.comparison.is_none() && got.checklist.is_empty());
        let rows = crate::phases::assess(&demo, &phases, 1, now, &rules).unwrap();
        // The same criteria but the cohort one, each with the rows' status.
        assert_eq!(got.criteria.len() + 1, rows.criteria.len());
        for c in &got.criteria {
            let want = rows.criteria.iter().find(|r| r.id == c.id).unwrap();
            assert_eq!(c.status, want.status, "{}", c.id);
        }
        // A window that is not the phase's: no assessment rather than the wrong one.
        let other = read_of(&demo, Window::new(phase.from + M, now).unwrap());
        let b = analyse_rollups(&other, now, None, &rules);
        assert!(assess_phase_from_rollups(&b, other.window, &phases, 1, now).is_none());
        // An unknown phase number: none.
        assert!(assess_phase_from_rollups(&a, read.window, &phases, 9, now).is_none());
    }
}
