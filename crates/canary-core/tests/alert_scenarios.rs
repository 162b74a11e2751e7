//! Scenario tests of the alert engine (docs/metrics.md#alerts) on realistic data: the demo generator's ordinary
//! traffic with configured incidents, evaluated over the whole data set exactly as the page and
//! the CLI do it (`alerts::evaluate(&store, Window::whole(&store), &default_rules())`).
//!
//! Each scenario asserts the exact set of (metric, level) pairs that fired, which of them still
//! fire at the end of the window (`until` is `None`), both statuses, and that every alert starts
//! during an incident or its aftermath: nothing fires by chance.
//!
//! Traffic: the incident scenarios run at 4× the default day's rates (260 requests and 60 mem0
//! writes a minute), so that a 5-minute sample holds ~1,800 requests and ~400 writes. At the
//! default 65 requests a minute the baseline noise (0.35 % failed requests, 0.4 % failed writes)
//! crosses the 1 % error and 99 % mem0 warning lines by chance a few times a day, mostly in the
//! quiet hours (see [`calm_day_fires_nothing_above_warning`]). At 4×, in the evening hours the
//! scenarios cover (18:35–21:35 UTC), no scenario fired anything by chance over 60 seeds tried,
//! so an incident's alerts are its own.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::time::Instant;

use canary_core::alerts::{
    default_rules, evaluate, sample, Alert, Evaluation, Level, MetricId, Sample, Status,
};
use canary_core::demo::{self, generate, DemoConfig, Incident};
use canary_core::event::{MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND};
use canary_core::metrics::{compute, Window};
use canary_core::time::from_datetime;
use canary_core::{EventStore, Micros};

use Level::{Critical, Emergency, Warning};
use MetricId::{
    CacheHitRate, CacheStampede, CircuitBreaker, ErrorRate, Mem0WriteSuccess, P50Latency,
    P95Latency,
};

const S: Micros = MICROS_PER_SECOND;
const M: Micros = MICROS_PER_MINUTE;
const H: Micros = MICROS_PER_HOUR;

/// Where the incident of a scenario starts: an hour of calm first, so every rule has samples
/// (and a chance to misfire) before it.
const AT: Micros = H;

/// How long after an incident's span its alerts may still start: the longest duration (10 min,
/// i.e. 11 samples) plus the 5-minute trailing window of a sample.
const AFTERMATH: Micros = 15 * M;

/// Seeds every scenario runs with: the alerts must not depend on the noise.
const SEEDS: [u64; 5] = [1, 2, 3, 42, demo::DEFAULT_SEED];

/// A scenario's data set: three hours of the default day's traffic × 4 (see the module docs)
/// from `seed`, with `incidents`.
fn busy(seed: u64, incidents: Vec<Incident>) -> DemoConfig {
    let calm = DemoConfig::calm(seed);
    DemoConfig {
        duration: 3 * H,
        requests_per_minute: calm.requests_per_minute * 4.0,
        mem0_writes_per_minute: calm.mem0_writes_per_minute * 4.0,
        incidents,
        ..calm
    }
}

/// What the engine must say about a scenario.
struct Expected {
    /// Every (metric, level) pair that fired, and nothing else.
    fired: &'static [(MetricId, Level)],
    /// The pairs still firing at the end of the window (`until` is `None`); every other alert
    /// resolved (`until` is `Some`).
    firing_at_end: &'static [(MetricId, Level)],
    /// Alerts that start outside every incident and its aftermath: threshold crossings by chance.
    noise: usize,
    status_in_window: Status,
    status_now: Status,
}

/// A scenario's data and what the engine made of it, for checks of its own.
struct Run {
    config: DemoConfig,
    store: EventStore,
    evaluation: Evaluation,
}

impl Run {
    /// Absolute time of an offset from the data set's start.
    fn at(&self, offset: Micros) -> Micros {
        self.config.start + offset
    }

    /// The alerts of one metric and level.
    fn alerts(&self, metric: MetricId, level: Level) -> Vec<&Alert> {
        let alerts = self.evaluation.alerts.iter();
        alerts
            .filter(|a| a.metric == metric && a.level == level)
            .collect()
    }
}

/// The alerts of an evaluation, one per line, in minutes from `start`, for failure messages.
fn describe(evaluation: &Evaluation, start: Micros) -> String {
    let minutes = |t| (from_datetime(t) - start) as f64 / M as f64;
    let lines: Vec<String> = evaluation
        .alerts
        .iter()
        .map(|a| {
            let until = a
                .until
                .map_or("-".to_owned(), |u| format!("{:.2}", minutes(u)));
            format!(
                "  {} {} from {:.2} to {until} min, worst {}",
                a.metric.as_str(),
                a.level.as_str(),
                minutes(a.since),
                a.worst_value
            )
        })
        .collect();
    lines.join("\n")
}

/// The (metric, level) pairs of some alerts.
fn pairs<'a>(alerts: impl Iterator<Item = &'a Alert>) -> BTreeSet<(MetricId, Level)> {
    alerts.map(|a| (a.metric, a.level)).collect()
}

fn pairs_of(pairs: &[(MetricId, Level)]) -> BTreeSet<(MetricId, Level)> {
    pairs.iter().copied().collect()
}

/// Generates `config`'s data, evaluates the default rules over all of it and asserts `expected`.
fn check(name: &str, config: DemoConfig, expected: &Expected) -> Run {
    let started = Instant::now();
    let store = generate(&config);
    let evaluation = evaluate(&store, Window::whole(&store), &default_rules());
    eprintln!(
        "{name}, seed {}: {} rows, generated and evaluated in {:?}",
        config.seed,
        store.len(),
        started.elapsed()
    );
    let context = format!(
        "{name}, seed {}:\n{}",
        config.seed,
        describe(&evaluation, config.start)
    );

    let fired = pairs(evaluation.alerts.iter());
    assert_eq!(fired, pairs_of(expected.fired), "fired: {context}");
    let open = pairs(evaluation.alerts.iter().filter(|a| a.until.is_none()));
    let expected_open = pairs_of(expected.firing_at_end);
    assert_eq!(open, expected_open, "firing at the end: {context}");

    // Alerts belong to an incident when they start inside it or its aftermath.
    let spans: Vec<Window> = config
        .incidents
        .iter()
        .map(|i| i.window(config.start))
        .collect();
    let noise = evaluation
        .alerts
        .iter()
        .filter(|a| {
            let since = from_datetime(a.since);
            !spans
                .iter()
                .any(|w| w.from <= since && since < w.to + AFTERMATH)
        })
        .count();
    assert_eq!(noise, expected.noise, "alerts outside incidents: {context}");

    assert_eq!(
        evaluation.status_in_window, expected.status_in_window,
        "{context}"
    );
    assert_eq!(evaluation.status_now, expected.status_now, "{context}");
    Run {
        config,
        store,
        evaluation,
    }
}

/// The values of the samples whose trailing window lies inside `[from, to)` (offsets).
fn samples_within(run: &Run, samples: &[Sample], from: Micros, to: Micros) -> Vec<f64> {
    samples
        .iter()
        .filter(|s| s.at - 5 * M >= run.at(from) && s.at < run.at(to))
        .filter_map(|s| s.value)
        .collect()
}

fn min_max(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

/// An 18-minute latency incident: warning and critical on P50, never emergency.
///
/// The factor is 3×, not 2.5×: the demo's P50 over a 5-minute sample is ~205–250 ms (its
/// noise and the diurnal load slope), so 2.5× lands at ~510–630 ms, too close to the 500 ms
/// critical line: over 30 seeds at a quiet hour a 2.5× incident missed the critical level for
/// some seeds, and P95's 1500 ms line was crossed for some seeds only. 3× puts every plateau
/// sample at ~580–760 ms (clearly above 500, clearly below 1000) and P95 above 1500 ms, so
/// P95's critical level fires as well: a slowdown of every request moves every percentile.
#[test]
fn latency_incident_is_warning_and_critical_not_emergency() {
    let incident = Incident::Latency {
        at: AT,
        minutes: 18,
        factor: 3.0,
    };
    let expected = Expected {
        fired: &[
            (P50Latency, Warning),
            (P50Latency, Critical),
            (P95Latency, Critical),
        ],
        firing_at_end: &[],
        noise: 0,
        status_in_window: Status::IssuesDetected,
        status_now: Status::OnTrack,
    };
    // More seeds than elsewhere: this is the scenario closest to a threshold.
    for seed in [1, 2, 3, 4, 5, 42, 7777, demo::DEFAULT_SEED] {
        let run = check("latency 3x", busy(seed, vec![incident.clone()]), &expected);
        // The plateau (inside the 1-minute ramps) keeps clear of both lines.
        let samples = sample(&run.store, Window::whole(&run.store).unwrap());
        let plateau = samples_within(&run, &samples.p50_latency, AT + M, AT + 17 * M);
        let (low, high) = min_max(&plateau);
        assert!(plateau.len() >= 10, "seed {seed}: {plateau:?}");
        assert!(low > 550.0 && high < 850.0, "seed {seed}: {plateau:?}");
        let p95 = samples_within(&run, &samples.p95_latency, AT + M, AT + 17 * M);
        assert!(min_max(&p95).0 > 1500.0, "seed {seed}: {p95:?}");
    }
}

/// A brief spike is not an incident: the 5-minute duration of the lowest latency level filters
/// it, even when the samples it touches breach.
#[test]
fn latency_blip_fires_nothing() {
    let nothing = Expected {
        fired: &[],
        firing_at_end: &[],
        noise: 0,
        status_in_window: Status::OnTrack,
        status_now: Status::OnTrack,
    };
    // (name, minutes of the incident with its 1-minute ramps, whether P50 samples breach 400 ms)
    let cases = [
        // The ramps meet: 6× only at its middle, 3.5× on average.
        ("6x blip, 2 minutes end to end", 2, false),
        // Two minutes at the full 6× between the ramps: up to 4 samples above 400 ms (even
        // 500 ms), fewer than the 6 a 5-minute duration needs.
        ("6x blip, 2 minutes at the peak", 4, true),
    ];
    for (name, minutes, breaches) in cases {
        for seed in SEEDS {
            let incident = Incident::Latency {
                at: AT,
                minutes,
                factor: 6.0,
            };
            let run = check(name, busy(seed, vec![incident]), &nothing);
            let samples = sample(&run.store, Window::whole(&run.store).unwrap());
            let above = samples
                .p50_latency
                .iter()
                .filter(|s| s.value.is_some_and(|v| v > 400.0))
                .count();
            assert_eq!(above > 0, breaches, "{name}, seed {seed}: {above} samples");
            assert!(above < 6, "{name}, seed {seed}: {above} samples");
        }
    }
}

/// A 9 % error burst for 20 minutes: every error level, emergency first (it has no duration).
/// While the burst is still going at the end of the data, all three are still firing.
#[test]
fn error_burst_is_an_emergency() {
    let burst = |at| Incident::ErrorBurst {
        at,
        minutes: 20,
        failure_rate: 0.09,
    };
    const ALL: &[(MetricId, Level)] = &[
        (ErrorRate, Warning),
        (ErrorRate, Critical),
        (ErrorRate, Emergency),
    ];
    // (name, offset of the burst, expected)
    let cases = [
        (
            "error burst",
            AT,
            Expected {
                fired: ALL,
                firing_at_end: &[],
                noise: 0,
                status_in_window: Status::RollbackRequired,
                status_now: Status::OnTrack,
            },
        ),
        (
            "error burst still going at the end",
            3 * H - 12 * M,
            Expected {
                fired: ALL,
                firing_at_end: ALL,
                noise: 0,
                status_in_window: Status::RollbackRequired,
                status_now: Status::RollbackRequired,
            },
        ),
    ];
    for (name, at, expected) in cases {
        for seed in SEEDS {
            let run = check(name, busy(seed, vec![burst(at)]), &expected);
            let emergency = &run.alerts(ErrorRate, Emergency)[0];
            let warning = &run.alerts(ErrorRate, Warning)[0];
            // No duration: the emergency comes minutes before the warning's 5-minute run ends.
            assert!(emergency.since < warning.since, "{name}, seed {seed}");
            assert!(
                (8.0..=12.5).contains(&emergency.worst_value),
                "{name}, seed {seed}: {}",
                emergency.worst_value
            );
        }
    }
}

/// 6.5 % of mem0 writes fail at 1,000 writes a minute for 15 minutes: success ~93.5 %, below
/// 95 % (critical) and 99 % (warning: its 10-minute duration fits in the incident) but clear of
/// the 90 % emergency line.
#[test]
fn mem0_failures_are_critical_not_emergency() {
    let incident = Incident::Mem0Failures {
        at: AT,
        minutes: 15,
        failure_rate: 0.065,
        writes_per_minute: 1000.0,
    };
    let expected = Expected {
        fired: &[(Mem0WriteSuccess, Warning), (Mem0WriteSuccess, Critical)],
        firing_at_end: &[],
        noise: 0,
        status_in_window: Status::IssuesDetected,
        status_now: Status::OnTrack,
    };
    for seed in SEEDS {
        let run = check(
            "mem0 failures",
            busy(seed, vec![incident.clone()]),
            &expected,
        );
        let critical = &run.alerts(Mem0WriteSuccess, Critical)[0];
        assert!(
            (91.5..=94.5).contains(&critical.worst_value),
            "seed {seed}: {}",
            critical.worst_value
        );
        // Critical needs 6 breaching samples, the first of which comes a minute or two in.
        let since = from_datetime(critical.since) - run.at(AT);
        assert!((6 * M..=8 * M).contains(&since), "seed {seed}: {since}");
    }
}

/// mem0 degrades for 10 minutes, the breaker opens for a minute, half-opens for 40 s and
/// closes: the breaker warns from open to closed, is critical while open, and counts as
/// recovered 15 minutes after closing. The failing writes before and while it is open take mem0
/// success through every level (down to ~45 %).
#[test]
fn breaker_cycle_warns_is_critical_and_recovers() {
    let (opens_after, open_for, half_open_for) = (10 * M, 60 * S, 40 * S);
    let incident = Incident::BreakerCycle {
        at: AT,
        opens_after,
        open_for,
        half_open_for,
    };
    let expected = Expected {
        fired: &[
            (CircuitBreaker, Warning),
            (CircuitBreaker, Critical),
            (Mem0WriteSuccess, Warning),
            (Mem0WriteSuccess, Critical),
            (Mem0WriteSuccess, Emergency),
        ],
        firing_at_end: &[],
        noise: 0,
        status_in_window: Status::RollbackRequired,
        status_now: Status::OnTrack,
    };
    let open = AT + opens_after;
    let half_open = open + open_for;
    let closed = half_open + half_open_for;
    for seed in SEEDS {
        let run = check(
            "breaker cycle",
            busy(seed, vec![incident.clone()]),
            &expected,
        );
        let span = |a: &Alert| (from_datetime(a.since), a.until.map(from_datetime));
        // The state alerts follow the transitions to the microsecond.
        assert_eq!(
            span(run.alerts(CircuitBreaker, Warning)[0]),
            (run.at(open), Some(run.at(closed))),
            "seed {seed}"
        );
        assert_eq!(
            span(run.alerts(CircuitBreaker, Critical)[0]),
            (run.at(open), Some(run.at(half_open))),
            "seed {seed}"
        );
        assert_eq!(
            run.evaluation.breaker_recovered_at.map(from_datetime),
            Some(run.at(closed + 15 * M)),
            "seed {seed}"
        );
        // The worst value is the failure count that tripped it: the writes of the last 45 s.
        let tripped = run.alerts(CircuitBreaker, Critical)[0].worst_value;
        assert!(tripped >= 20.0, "seed {seed}: {tripped}");
    }
}

/// 40 misses on one key in 90 s: a critical stampede (more than 20 in 15 minutes), listed by
/// the metrics with all 40. The key is outside the generator's key space (clinics 1–48), so no
/// ordinary miss adds to it; 40 extra misses in ~1,800 lookups a sample leave the hit rate
/// above 95 %.
#[test]
fn stampede_is_critical() {
    const KEY: &str = "clinic:999:availability";
    let incident = Incident::Stampede {
        at: AT,
        key: Cow::Borrowed(KEY),
        misses: 40,
        seconds: 90,
    };
    let expected = Expected {
        fired: &[(CacheStampede, Critical)],
        firing_at_end: &[],
        noise: 0,
        status_in_window: Status::IssuesDetected,
        status_now: Status::OnTrack,
    };
    for seed in SEEDS {
        let run = check("stampede", busy(seed, vec![incident.clone()]), &expected);
        let alert = run.alerts(CacheStampede, Critical)[0];
        assert_eq!(alert.worst_value, 40.0, "seed {seed}");
        let since = from_datetime(alert.since) - run.at(AT);
        assert!((0..90 * S).contains(&since), "seed {seed}: {since}");
        let stampedes = compute(&run.store, Window::whole(&run.store)).cache_stampedes;
        assert_eq!(stampedes.len(), 1, "seed {seed}: {stampedes:?}");
        assert_eq!(stampedes[0].cache_key.as_deref(), Some(KEY));
        assert_eq!(stampedes[0].concurrent_misses, 40, "seed {seed}");
        assert!(
            stampedes[0].duration_sec < 90.0,
            "seed {seed}: {stampedes:?}"
        );
    }
}

/// A calm day (24 h, no incident) fires nothing above warning. The warnings are the baseline
/// noise crossing a line where samples hold few events, mostly in the quieter hours: at the
/// default traffic a sample holds ~150–500 requests and ~75–250 writes, so 0.35 % failed
/// requests can reach 2 of 150 (above 1 %) and 0.4 % failed writes 1 of 75 (below 99 %), for
/// just long enough to reach the 5- or 10-minute duration. At 4× traffic they are rare (one mem0
/// warning in the eight days tried). Pinned here per seed with the generator's output.
#[test]
fn calm_day_fires_nothing_above_warning() {
    const NONE: &[(MetricId, Level)] = &[];
    const ERRORS: &[(MetricId, Level)] = &[(ErrorRate, Warning)];
    const MEM0: &[(MetricId, Level)] = &[(Mem0WriteSuccess, Warning)];
    const ERRORS_AND_MEM0: &[(MetricId, Level)] =
        &[(ErrorRate, Warning), (Mem0WriteSuccess, Warning)];
    // (traffic × the default, seed, pairs that fired, how many alerts)
    let cases = [
        (1.0, 1, ERRORS, 1),
        (1.0, 2, ERRORS_AND_MEM0, 4),
        (1.0, 3, ERRORS, 2),
        (1.0, 4, ERRORS_AND_MEM0, 5),
        (4.0, 1, NONE, 0),
        (4.0, 12, MEM0, 1),
    ];
    for (traffic, seed, fired, alerts) in cases {
        let calm = DemoConfig::calm(seed);
        let config = DemoConfig {
            requests_per_minute: calm.requests_per_minute * traffic,
            mem0_writes_per_minute: calm.mem0_writes_per_minute * traffic,
            ..calm
        };
        let status = if alerts == 0 {
            Status::OnTrack
        } else {
            Status::IssuesDetected
        };
        let expected = Expected {
            fired,
            firing_at_end: &[],
            noise: alerts,
            status_in_window: status,
            status_now: Status::OnTrack,
        };
        let run = check(
            &format!("calm day at {traffic}x traffic"),
            config,
            &expected,
        );
        for alert in &run.evaluation.alerts {
            let lasted = from_datetime(alert.until.unwrap()) - from_datetime(alert.since);
            assert!(lasted <= 10 * M, "seed {seed}: {alert:?}");
        }
    }
}

/// The default demo day (the embedded data set): exactly what its four incidents are designed
/// to produce, plus one error-rate warning by chance at 12:57 into the day (1.4 % over a
/// quiet-hour sample, 11 minutes before the error burst).
///
/// - latency incident (2.7×, 7:04–7:22): P50 warning and critical. Not P95: its samples run at
///   ~1,550–1,900 ms over the plateau, but one dips to ~1,460 ms, so the run above 1,500 ms is
///   10 samples, one short of the 11 its 10-minute duration needs.
/// - cache stampede inside a cache miss surge (10:10–10:25): stampede critical; hit rate
///   critical (< 90 % for 5 min, down to ~77 %) and warning (< 95 % for 10 min).
/// - error burst (9 %, 13:08–13:28): error rate warning, critical, emergency.
/// - breaker cycle (16:20–16:27): breaker warning and critical; mem0 success warning, critical
///   and emergency; recovered 15 minutes after it closed.
#[test]
fn default_day_fires_what_its_incidents_are_designed_to() {
    let expected = Expected {
        fired: &[
            (P50Latency, Warning),
            (P50Latency, Critical),
            (CacheStampede, Critical),
            (CacheHitRate, Warning),
            (CacheHitRate, Critical),
            (ErrorRate, Warning),
            (ErrorRate, Critical),
            (ErrorRate, Emergency),
            (CircuitBreaker, Warning),
            (CircuitBreaker, Critical),
            (Mem0WriteSuccess, Warning),
            (Mem0WriteSuccess, Critical),
            (Mem0WriteSuccess, Emergency),
        ],
        firing_at_end: &[],
        noise: 1,
        status_in_window: Status::RollbackRequired,
        status_now: Status::OnTrack,
    };
    let run = check("default day", DemoConfig::default(), &expected);

    // Which incident each alert starts in (or its aftermath), by name.
    let attributed: BTreeSet<(&str, MetricId, Level)> = run
        .evaluation
        .alerts
        .iter()
        .flat_map(|a| {
            let since = from_datetime(a.since);
            run.config.incidents.iter().filter_map(move |i| {
                let w = i.window(run.config.start);
                (w.from <= since && since < w.to + AFTERMATH).then_some((
                    i.name(),
                    a.metric,
                    a.level,
                ))
            })
        })
        .collect();
    let designed: BTreeSet<(&str, MetricId, Level)> = [
        ("latency incident", P50Latency, Warning),
        ("latency incident", P50Latency, Critical),
        ("cache miss surge", CacheStampede, Critical),
        ("cache miss surge", CacheHitRate, Warning),
        ("cache miss surge", CacheHitRate, Critical),
        ("cache stampede", CacheStampede, Critical),
        ("cache stampede", CacheHitRate, Warning),
        ("cache stampede", CacheHitRate, Critical),
        ("error burst", ErrorRate, Warning),
        ("error burst", ErrorRate, Critical),
        ("error burst", ErrorRate, Emergency),
        ("circuit breaker cycle", CircuitBreaker, Warning),
        ("circuit breaker cycle", CircuitBreaker, Critical),
        ("circuit breaker cycle", Mem0WriteSuccess, Warning),
        ("circuit breaker cycle", Mem0WriteSuccess, Critical),
        ("circuit breaker cycle", Mem0WriteSuccess, Emergency),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        attributed,
        designed,
        "{}",
        describe(&run.evaluation, run.config.start)
    );

    // The chance warning, pinned: where it is, and that it is a warning only.
    let noise: Vec<_> = run
        .alerts(ErrorRate, Warning)
        .into_iter()
        .map(|a| (from_datetime(a.since) - run.config.start) / M)
        .collect();
    assert_eq!(noise[0], 12 * 60 + 57, "{noise:?}");

    assert_eq!(
        run.evaluation.breaker_recovered_at.map(from_datetime),
        Some(run.at(demo::BREAKER_CLOSED_AT + 15 * M))
    );
}
