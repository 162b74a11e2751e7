//! The latency histogram and the rollup path against the exact engine
//! (docs/metrics.md#rollups-and-the-latency-histogram): quantiles within the bound of
//! `percentile_cont` on many distributions (property-tested), merging associative and equal to
//! building from all values, and metrics, alerts and cohorts from rollups agreeing with the
//! exact engine on the same rows (alerts: except where the result says uncertain).

use std::borrow::Cow;
use std::collections::BTreeSet;

use canary_core::alerts::{default_rules, evaluate, Alert};
use canary_core::cohort;
use canary_core::demo::{generate, DemoConfig, Incident};
use canary_core::event::{from_datetime, MICROS_PER_HOUR, MICROS_PER_MINUTE};
use canary_core::histogram::{Histogram, RELATIVE_ERROR, RELATIVE_ERROR_BOUND};
use canary_core::metrics::{compute, Window};
use canary_core::percentile::percentile_cont;
use canary_core::rollup::{
    compare_cohorts, evaluate_from_rollups, metrics_from_rollups, rollup_rows, ExactParts,
};
use canary_core::EventStore;
use proptest::prelude::*;
use stdx::rand::SplitMix64;

/// The shapes of latency the bound must hold on.
#[derive(Clone, Copy, Debug)]
enum Shape {
    Uniform,
    LogNormal,
    Bimodal,
    HeavyTail,
    Constant,
    Negative,
    Mixed,
}

fn normal(r: &mut SplitMix64) -> f64 {
    let (u, v) = (r.next_f64().max(1e-300), r.next_f64());
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

fn values(shape: Shape, n: usize, seed: u64) -> Vec<f64> {
    let mut r = SplitMix64::new(seed);
    (0..n)
        .map(|_| match shape {
            Shape::Uniform => r.next_f64() * 2000.0,
            Shape::LogNormal => (5.5 + 0.8 * normal(&mut r)).exp(),
            Shape::Bimodal => {
                if r.next_f64() < 0.8 {
                    40.0 + 5.0 * normal(&mut r)
                } else {
                    900.0 + 100.0 * normal(&mut r)
                }
            }
            Shape::HeavyTail => 10.0 / r.next_f64().max(1e-12).powf(1.0 / 1.2),
            Shape::Constant => 512.0,
            Shape::Negative => -(r.next_f64() * 300.0) - 0.001,
            Shape::Mixed => r.next_f64() * 200.0 - 20.0,
        })
        .collect()
}

const PS: [f64; 10] = [0.0, 0.01, 0.1, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];

/// Asserts the histogram's percentiles of `xs` against `percentile_cont`: within
/// [`RELATIVE_ERROR`] of the true value where both order statistics it interpolates have one
/// sign, else within that share of the larger magnitude of the two.
fn check_quantiles(xs: &[f64]) {
    let h = Histogram::from_values(xs.iter().copied());
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    for p in PS {
        let exact = percentile_cont(&mut sorted.clone(), p).unwrap();
        let estimate = h.percentile_cont(p, min, max).unwrap();
        let hpos = p * (sorted.len() - 1) as f64;
        let (lo, hi) = (sorted[hpos.floor() as usize], sorted[hpos.ceil() as usize]);
        let scale = if lo.signum() == hi.signum() {
            exact.abs()
        } else {
            lo.abs().max(hi.abs())
        };
        let allowed = RELATIVE_ERROR * scale + 1e-12 * scale.max(1.0);
        assert!(
            (estimate - exact).abs() <= allowed,
            "p{p}: estimate {estimate} exact {exact} (n {}, allowed {allowed})",
            xs.len()
        );
        const { assert!(RELATIVE_ERROR <= RELATIVE_ERROR_BOUND) };
    }
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Uniform),
        Just(Shape::LogNormal),
        Just(Shape::Bimodal),
        Just(Shape::HeavyTail),
        Just(Shape::Constant),
        Just(Shape::Negative),
        Just(Shape::Mixed),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn quantiles_are_within_the_bound(shape in shape(), n in 1usize..3000, seed in any::<u64>()) {
        check_quantiles(&values(shape, n, seed));
    }

    #[test]
    fn quantiles_of_tiny_samples(xs in proptest::collection::vec(-1e6f64..1e6, 1..6)) {
        check_quantiles(&xs);
    }

    #[test]
    fn merge_is_associative_and_equals_building_from_all(
        shape in shape(), n in 0usize..2000, seed in any::<u64>(), cut1 in 0.0f64..1.0, cut2 in 0.0f64..1.0
    ) {
        let xs = values(shape, n, seed);
        let (a, b) = ((cut1.min(cut2) * n as f64) as usize, (cut1.max(cut2) * n as f64) as usize);
        let part = |r: std::ops::Range<usize>| Histogram::from_values(xs[r].iter().copied());
        let (x, y, z) = (part(0..a), part(a..b), part(b..n));
        let mut left = x.clone();
        left.merge(&y);
        left.merge(&z);
        let mut yz = y.clone();
        yz.merge(&z);
        let mut right = x.clone();
        right.merge(&yz);
        let mut commuted = z.clone();
        commuted.merge(&x);
        commuted.merge(&y);
        let all = Histogram::from_values(xs.iter().copied());
        prop_assert_eq!(&left, &all);
        prop_assert_eq!(&right, &all);
        prop_assert_eq!(&commuted, &all);
        // Adding one at a time gives the same buckets.
        let mut one_by_one = Histogram::new();
        for &v in &xs { one_by_one.add(v); }
        prop_assert_eq!(&one_by_one, &all);
    }
}

/// The rollup path's exact parts as the database's small reads give them, taken from the
/// exact engine (for error groups) and the store itself (for breaker and stampede rows).
fn exact_parts(store: &EventStore, window: Window) -> ExactParts {
    let m = compute(store, Some(window));
    ExactParts {
        errors_by_type: m.errors_by_type.clone(),
        mem0_failures_by_type: m.mem0_failures_by_type.clone(),
        last_1000_requests: m.errors.last_1000_requests.clone(),
        rows: store.clone(),
    }
}

fn within(estimate: Option<f64>, exact: Option<f64>, what: &str) {
    match (estimate, exact) {
        (Some(e), Some(x)) => assert!(
            (e - x).abs() <= RELATIVE_ERROR * x.abs() + 1e-9,
            "{what}: {e} against {x}"
        ),
        (e, x) => assert_eq!(e, x, "{what}"),
    }
}

fn close(estimate: Option<f64>, exact: Option<f64>, what: &str) {
    match (estimate, exact) {
        (Some(e), Some(x)) => assert!(
            (e - x).abs() <= 1e-9 * x.abs().max(1.0),
            "{what}: {e} against {x}"
        ),
        (e, x) => assert_eq!(e, x, "{what}"),
    }
}

fn busy_day(seed: u64, incidents: Vec<Incident>) -> EventStore {
    let calm = DemoConfig::calm(seed);
    generate(&DemoConfig {
        duration: 3 * MICROS_PER_HOUR,
        requests_per_minute: calm.requests_per_minute * 4.0,
        mem0_writes_per_minute: calm.mem0_writes_per_minute * 4.0,
        incidents,
        ..calm
    })
}

/// Incidents an hour into the day (offsets from its start).
fn incidents() -> Vec<Incident> {
    let at = MICROS_PER_HOUR;
    vec![
        Incident::Latency {
            at,
            minutes: 20,
            factor: 2.2,
        },
        Incident::ErrorBurst {
            at: at + 40 * MICROS_PER_MINUTE,
            minutes: 12,
            failure_rate: 0.04,
        },
        Incident::Stampede {
            at: at + 70 * MICROS_PER_MINUTE,
            key: Cow::Borrowed("user:42:profile"),
            misses: 40,
            seconds: 300,
        },
    ]
}

/// Every metric from rollups equals the exact engine's: counts, rates and extremes exactly,
/// means to the rounding of the sums, percentiles within the bound.
#[test]
fn metrics_from_rollups_agree_with_the_exact_engine() {
    for seed in [1u64, 7, 42] {
        let store = busy_day(seed, incidents());
        let window = Window::whole(&store).unwrap();
        let exact = compute(&store, Some(window));
        let parts = exact_parts(&store, window);
        let rows = rollup_rows(&store, window, false);
        let m = metrics_from_rollups(&rows, &parts, window);
        assert_eq!(m.window.events, exact.window.events);
        assert_eq!(m.latency.requests, exact.latency.requests);
        within(m.latency.p50_ms, exact.latency.p50_ms, "p50");
        within(m.latency.p95_ms, exact.latency.p95_ms, "p95");
        within(m.latency.p99_ms, exact.latency.p99_ms, "p99");
        close(m.latency.mean_ms, exact.latency.mean_ms, "mean");
        assert_eq!(m.errors, exact.errors);
        assert_eq!(m.errors_by_type, exact.errors_by_type);
        assert_eq!(m.cache.accesses, exact.cache.accesses);
        assert_eq!(m.cache, exact.cache);
        assert_eq!(m.cache_by_prefix.len(), exact.cache_by_prefix.len());
        for (a, b) in m.cache_by_prefix.iter().zip(&exact.cache_by_prefix) {
            assert_eq!(
                (&a.resource_type, a.accesses, a.hit_rate_pct),
                (&b.resource_type, b.accesses, b.hit_rate_pct)
            );
            close(a.avg_miss_time_ms, b.avg_miss_time_ms, "avg miss time");
        }
        assert_eq!(m.cache_stampedes, exact.cache_stampedes);
        assert!(!m.cache_stampedes.is_empty());
        assert_eq!(m.mem0.total_writes, exact.mem0.total_writes);
        assert_eq!(m.mem0.success_rate_pct, exact.mem0.success_rate_pct);
        assert_eq!(m.mem0.max_write_time_ms, exact.mem0.max_write_time_ms);
        assert_eq!(m.mem0.slow_writes_over_5s, exact.mem0.slow_writes_over_5s);
        close(
            m.mem0.avg_write_time_ms,
            exact.mem0.avg_write_time_ms,
            "mem0 mean",
        );
        assert_eq!(m.mem0_failures_by_type, exact.mem0_failures_by_type);
        assert_eq!(m.circuit_breaker, exact.circuit_breaker);
        assert_eq!(m.latency_by_endpoint.len(), exact.latency_by_endpoint.len());
        for (a, b) in m.latency_by_endpoint.iter().zip(&exact.latency_by_endpoint) {
            assert_eq!((&a.endpoint, a.requests), (&b.endpoint, b.requests));
            within(a.p50_ms, b.p50_ms, "endpoint p50");
            within(a.p95_ms, b.p95_ms, "endpoint p95");
            within(a.p99_ms, b.p99_ms, "endpoint p99");
        }
    }
}

fn key(a: &Alert) -> (String, String, i64, Option<i64>) {
    (
        a.metric.as_str().to_owned(),
        a.level.as_str().to_owned(),
        from_datetime(a.since),
        a.until.map(from_datetime),
    )
}

/// Alerts from per-minute rollups: every alert they report fired in the exact engine too, and
/// every exact alert is reported or said to be uncertain.
#[test]
fn alerts_from_rollups_agree_except_where_uncertain() {
    let mut uncertain_seen = 0;
    for seed in [1u64, 2, 3, 42] {
        let start = DemoConfig::calm(seed).start;
        let store = busy_day(seed, incidents());
        for window in [
            Window::whole(&store).unwrap(),
            // A window that starts and ends off the minute.
            Window::new(
                start + 30 * MICROS_PER_MINUTE + 17,
                start + 150 * MICROS_PER_MINUTE + 5,
            )
            .unwrap(),
        ] {
            let exact = evaluate(&store, Some(window), &default_rules());
            let parts = exact_parts(&store, window);
            let minutes = rollup_rows(&store, window, true);
            let approx = evaluate_from_rollups(&minutes, &parts, window, &default_rules());
            let exact_keys: BTreeSet<_> = exact.alerts.iter().map(key).collect();
            let certain: BTreeSet<_> = approx.evaluation.alerts.iter().map(key).collect();
            let uncertain: BTreeSet<_> = approx.uncertain.iter().map(key).collect();
            for k in &certain {
                assert!(
                    exact_keys.contains(k),
                    "seed {seed}: {k:?} reported, not in the exact alerts {exact_keys:?}"
                );
            }
            for k in &exact_keys {
                let near = uncertain.iter().any(|u| u.0 == k.0 && u.1 == k.1);
                assert!(
                    certain.contains(k) || near,
                    "seed {seed}: exact {k:?} neither reported nor uncertain"
                );
            }
            assert!(!exact_keys.is_empty());
            uncertain_seen += uncertain.len();
            // The statuses follow the certain alerts; with nothing uncertain they are the exact ones.
            if uncertain.is_empty() {
                assert_eq!(approx.evaluation.status_in_window, exact.status_in_window);
                assert_eq!(approx.evaluation.status_now, exact.status_now);
            }
        }
    }
    eprintln!("uncertain alerts over the scenarios: {uncertain_seen}");
}

/// A P50 held right at its threshold: the band straddles it, so the rollups say uncertain
/// instead of flipping between firing and not.
#[test]
fn a_percentile_on_the_threshold_is_uncertain() {
    use canary_core::event::{Details, EventRow};
    let start = 1_760_000_000 * 1_000_000i64 / MICROS_PER_MINUTE * MICROS_PER_MINUTE;
    let mut store = EventStore::new();
    let rows: Vec<EventRow<'static>> = (0..30 * 60)
        .map(|i| EventRow {
            id: i,
            event_type: canary_core::EventType::RequestCompleted,
            success: Some(true),
            cache_hit: None,
            // Alternating 499 and 501 ms: P50 is 500 exactly, just not above 500.
            processing_time_ms: Some(if i % 2 == 0 { 499.0 } else { 501.0 }),
            cache_key: None,
            details: Details::default(),
            created_at: start + i * 1_000_000,
        })
        .collect();
    store.extend(rows);
    let window = Window::whole(&store).unwrap();
    let minutes = rollup_rows(&store, window, true);
    let parts = exact_parts(&store, window);
    let approx = evaluate_from_rollups(&minutes, &parts, window, &default_rules());
    let exact = evaluate(&store, Some(window), &default_rules());
    // P50 > 400 ms (warning) fires either way; P50 > 500 ms (critical) cannot be told apart.
    let of = |alerts: &[Alert], level: &str| {
        alerts
            .iter()
            .filter(|a| a.metric.as_str() == "p50_latency" && a.level.as_str() == level)
            .count()
    };
    assert_eq!(of(&exact.alerts, "warning"), 1);
    assert_eq!(of(&exact.alerts, "critical"), 0);
    assert_eq!(of(&approx.evaluation.alerts, "warning"), 1);
    assert_eq!(of(&approx.evaluation.alerts, "critical"), 0);
    assert_eq!(
        of(&approx.uncertain, "critical"),
        1,
        "{:?}",
        approx.uncertain
    );
}

/// Canary against control from binned counts: the counts exact, the percentiles within the
/// bound, the test's direction and significance as the exact test's.
#[test]
fn cohorts_from_binned_counts_agree() {
    for seed in [1u64, 5] {
        let store = busy_day(seed, incidents());
        let window = Window::whole(&store).unwrap();
        let exact = cohort::compare(&store, window);
        let approx = compare_cohorts(&rollup_rows(&store, window, false), window);
        assert_eq!(approx.canary.requests, exact.canary.requests);
        assert_eq!(approx.control.requests, exact.control.requests);
        assert_eq!(approx.canary.failures, exact.canary.failures);
        assert_eq!(approx.untagged_requests, exact.untagged_requests);
        within(approx.canary.p50_ms, exact.canary.p50_ms, "canary p50");
        within(approx.control.p95_ms, exact.control.p95_ms, "control p95");
        assert_eq!(approx.latency_test.n_canary, exact.latency_test.n_canary);
        let (a, b) = (
            approx.latency_test.rank_biserial.unwrap(),
            exact.latency_test.rank_biserial.unwrap(),
        );
        assert!((a - b).abs() < 0.01, "rank-biserial {a} against {b}");
        assert_eq!(approx.verdict, exact.verdict);
    }
}

/// Percentiles from rollups carry their bound wherever they are worded: the success table (the
/// email and the page) and the phase criteria (the sign-off) say "≈ … ms (±1 %)"; exact
/// metrics say nothing of the kind and their JSON has no bound.
#[test]
fn bounded_percentiles_say_so_in_every_wording() {
    use canary_core::phases::{default_phases, evaluate_criteria};
    use canary_core::summary::success_rows;
    let store = busy_day(3, Vec::new());
    let window = Window::whole(&store).unwrap();
    let exact = compute(&store, Some(window));
    let m = metrics_from_rollups(
        &rollup_rows(&store, window, false),
        &exact_parts(&store, window),
        window,
    );
    assert_eq!(
        m.window.percentile_relative_error,
        Some(RELATIVE_ERROR_BOUND)
    );
    let rows = success_rows(&m);
    let p50 = rows.iter().find(|r| r.id == "p50_latency").unwrap();
    assert!(
        p50.measured.starts_with("≈ ") && p50.measured.ends_with(" ms (±1 %)"),
        "{}",
        p50.measured
    );
    let exact_rows = success_rows(&exact);
    let exact_p50 = exact_rows.iter().find(|r| r.id == "p50_latency").unwrap();
    assert!(!exact_p50.measured.contains('≈'), "{}", exact_p50.measured);
    let error = rows.iter().find(|r| r.id == "error_rate").unwrap();
    assert!(
        !error.measured.contains('≈'),
        "rates are exact: {}",
        error.measured
    );
    let mut phase = default_phases().remove(0);
    phase.start = Some(window.from);
    let criteria = evaluate_criteria(&phase, &m, &[], phase.window().unwrap(), window.to, None);
    let shown: Vec<String> = criteria.iter().map(|c| format!("{:?}", c)).collect();
    assert!(
        shown
            .iter()
            .any(|c| c.contains("≈ ") && c.contains("(±1 %)")),
        "{shown:?}"
    );
    let json = serde_json::to_string(&exact.window).unwrap();
    assert!(!json.contains("percentile_relative_error"), "{json}");
}
