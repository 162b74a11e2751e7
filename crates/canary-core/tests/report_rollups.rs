//! The email and the sign-off from rollups (`ReportData::from_rollups`): golden files of both
//! for the demo day read as the database's rollups would give it, the same counts as the
//! reports from the rows, and a table of percentiles around a criterion's limit (exact values
//! decide; estimates whose bound straddles the limit are uncertain, never flipped).
//!
//! After an intended change of the reports, rewrite the golden files and review the diff:
//!
//!     UPDATE_EXPECT=1 cargo test -p canary-core --test report_rollups

use std::borrow::Cow;

use canary_core::alerts::{default_rules, Level, WindowedMetric};
use canary_core::cohort_rules::{default_cohort_rules, evaluate_cohorts, CohortCall};
use canary_core::demo::{generate, DemoConfig, PHASE1_START};
use canary_core::event::MICROS_PER_HOUR;
use canary_core::metrics::{compute, Window};
use canary_core::phases::{default_phases, judge_value, CriterionStatus, ValueCall};
use canary_core::report::{
    daily_email, default_period, phase_signoff, ReportData, DEFAULT_ROLLOUT_NAME,
};
use canary_core::report_cohorts::evaluate_cohorts_from_rollups;
use canary_core::report_rollups::RollupInputs;
use canary_core::rollup::{rollup_rows, whole_minutes, ExactParts};
use canary_core::supabase::rollups::RollupWindow;
use canary_core::{Details, EventRow, EventStore, EventType, Micros};

const H: Micros = MICROS_PER_HOUR;

/// The rollups of `window` as `sql/004_rollups.sql`'s RPCs give them for the rows of `store`
/// (the core's reference computation, which the database's rollups are tested against).
fn rollups(store: &EventStore, window: Window) -> RollupWindow {
    let window = whole_minutes(window);
    let m = compute(store, Some(window));
    RollupWindow {
        window,
        totals: rollup_rows(store, window, false),
        minutes: rollup_rows(store, window, true),
        exact: ExactParts {
            errors_by_type: m.errors_by_type.clone(),
            mem0_failures_by_type: m.mem0_failures_by_type.clone(),
            last_1000_requests: m.errors.last_1000_requests.clone(),
            rows: store.clone(),
        },
    }
}

/// The report's values from the rollups of `store`: phase 1 starting at `start`, judged at
/// `now`, the email's period `period`.
fn from_rollups(
    store: &EventStore,
    start: Micros,
    now: Micros,
    period: Option<Window>,
) -> ReportData {
    let mut phases = default_phases();
    phases[0].start = Some(start);
    let seen = Window::new(start, now.min(start + phases[0].duration)).unwrap();
    let period = period.map(|p| rollups(store, p));
    let phase = rollups(store, seen);
    let rows = store.len() as u64;
    ReportData::from_rollups(
        phases,
        1,
        RollupInputs {
            period: period.as_ref(),
            phase: Some(&phase),
            previous: None,
            rows,
            exact_rows_limit: 1_000,
        },
        now,
        &default_rules(),
    )
    .unwrap()
}

fn check_golden(name: &str, actual: &str) {
    expect_test::expect_file![format!("golden/{name}")].assert_eq(actual);
}

#[test]
fn demo_reports_from_rollups() {
    let store = generate(&DemoConfig::default());
    let (first, _) = store.time_span().unwrap();
    let now = first + 24 * H;
    // The period in whole minutes, the only windows rollups answer.
    let period = default_period(&store).map(whole_minutes);
    let data = from_rollups(&store, first, now, period);
    let email = daily_email(&data.email_input(
        DEFAULT_ROLLOUT_NAME,
        data.default_date(),
        Some("https://example.github.io/canary-console/"),
    ));
    check_golden("email-rollups.md", &email);
    let signoff = phase_signoff(&data.signoff_input(DEFAULT_ROLLOUT_NAME)).unwrap();
    check_golden("signoff-rollups.md", &signoff);

    // Both say at their top that the percentiles are approximate, and why.
    let notice = "> **Percentiles are approximate (±1 %).**";
    assert!(email.lines().nth(2).unwrap().starts_with(notice), "{email}");
    assert!(
        signoff.lines().nth(2).unwrap().starts_with(notice),
        "{signoff}"
    );
    assert!(email.contains(
        "## Canary against control\n\n**Canary not worse than control**\n\nFrom the rollups:"
    ));

    // The counts are the rows' own: the period line equals the exact email's.
    let mut phases = default_phases();
    phases[0].start = Some(first);
    let exact = ReportData::compute(&store, phases, 1, period, now, &default_rules()).unwrap();
    let exact_email =
        daily_email(&exact.email_input(DEFAULT_ROLLOUT_NAME, exact.default_date(), None));
    let period_line = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("- **Period:**"))
            .unwrap()
            .to_owned()
    };
    assert_eq!(period_line(&email), period_line(&exact_email));
    // Every percentile in the email carries its bound; no latency is shown as exact.
    for line in email.lines().filter(|l| l.starts_with("| P")) {
        assert!(line.contains("(±1 %)"), "{line}");
    }
}

/// `n` requests of `ms` each, one a second from `PHASE1_START`.
fn requests(ms: &[f64]) -> EventStore {
    let rows: Vec<EventRow> = ms
        .iter()
        .enumerate()
        .map(|(i, &t)| EventRow {
            id: i as i64 + 1,
            created_at: PHASE1_START + i as i64 * 1_000_000,
            event_type: EventType::RequestCompleted,
            processing_time_ms: Some(t),
            success: Some(true),
            cache_hit: None,
            cache_key: None,
            details: Details {
                endpoint: Some(Cow::Borrowed("/api/chat")),
                ..Details::default()
            },
        })
        .collect();
    let mut store = EventStore::new();
    store.extend(rows);
    store
}

/// The P50 criterion and the email's P50 row of a phase whose requests take `ms`, judged after
/// the phase is over: (status, uncertain, the email's result cell).
fn check(ms: &[f64], expected: (CriterionStatus, bool, &str)) {
    let store = requests(ms);
    let start = PHASE1_START;
    let now = start + 24 * H;
    let data = from_rollups(&store, start, now, Some(Window::new(start, now).unwrap()));
    let p50 = data
        .criteria()
        .iter()
        .find(|c| c.id == "p50_latency")
        .unwrap();
    let email = daily_email(&data.email_input("r", data.default_date(), None));
    let row = email
        .lines()
        .find(|l| l.starts_with("| P50 Latency |"))
        .unwrap();
    let result = row.trim_end_matches(" |").rsplit(" | ").next().unwrap();
    assert_eq!(
        (p50.status, p50.uncertain, result),
        expected,
        "{ms:?}: {p50:?}\n{row}"
    );
}

#[test]
fn a_percentile_near_its_limit_is_uncertain() {
    use CriterionStatus::*;
    // No requests: no data, not uncertain.
    check(&[], (NoData, false, "➖ no data"));
    // One sample, far below and far above the 500 ms limit.
    check(&[120.0], (Pass, false, "✅ pass"));
    check(&[900.0], (Fail, false, "❌ fail"));
    // Exactly on the limit, and just inside the bound on either side: the bound straddles it.
    check(&[500.0], (Pending, true, "❔ uncertain"));
    check(&[497.0], (Pending, true, "❔ uncertain"));
    check(&[503.0], (Pending, true, "❔ uncertain"));
    // Ties: many equal values well clear of the limit decide.
    check(&[450.0; 50], (Pass, false, "✅ pass"));
    check(&[560.0; 50], (Fail, false, "❌ fail"));
}

fn check_call(v: f64, limit: f64, below: bool, error: Option<f64>, expected: ValueCall) {
    assert_eq!(
        judge_value(v, limit, below, error),
        expected,
        "{v} against {limit} (below: {below}, error {error:?})"
    );
}

#[test]
fn judge_value_table() {
    use ValueCall::*;
    // Exact values: strict thresholds, never uncertain.
    check_call(499.9, 500.0, true, None, Holds);
    check_call(500.0, 500.0, true, None, Misses);
    check_call(95.0, 95.0, false, None, Misses);
    check_call(95.01, 95.0, false, None, Holds);
    // Estimates within 1 %: the band around the value decides, or cannot.
    check_call(480.0, 500.0, true, Some(0.01), Holds);
    check_call(496.0, 500.0, true, Some(0.01), Uncertain);
    check_call(500.0, 500.0, true, Some(0.01), Uncertain);
    check_call(505.0, 500.0, true, Some(0.01), Uncertain);
    check_call(520.0, 500.0, true, Some(0.01), Misses);
    // Zero and negative estimates (a zero bucket, clock skew) keep their sign's band.
    check_call(0.0, 500.0, true, Some(0.01), Holds);
    check_call(-3.0, 0.0, true, Some(0.01), Holds);
    // NaN meets no limit.
    check_call(f64::NAN, 500.0, true, Some(0.01), Misses);
    check_call(f64::NAN, 500.0, true, None, Misses);
}

#[test]
fn an_uncertain_alert_leaves_the_sign_off_undecided() {
    // An hour of requests whose P95 sits on the critical threshold: the alert is uncertain, so
    // the "no critical incidents" item is uncertain rather than failed or passed.
    let rules = default_rules();
    let p95 = rules
        .iter()
        .find(|r| r.metric == WindowedMetric::P95Latency && r.level == Level::Critical)
        .map(|r| r.threshold)
        .unwrap();
    let mut ms: Vec<f64> = Vec::new();
    for i in 0..3600 {
        // 94 % fast, 6 % at the threshold: the P95 is the threshold itself.
        ms.push(if i % 50 < 47 { 100.0 } else { p95 });
    }
    let store = requests(&ms);
    let start = PHASE1_START;
    let now = start + 24 * H;
    let data = from_rollups(&store, start, now, None);
    let x = data.approximation.as_ref().unwrap();
    assert!(x
        .phase_uncertain_alerts
        .iter()
        .any(|a| a.metric.as_str() == "p95_latency"));
    assert!(data
        .phase_alerts
        .iter()
        .all(|a| a.metric.as_str() != "p95_latency"));
    let signoff = phase_signoff(&data.signoff_input("r")).unwrap();
    let line = signoff
        .lines()
        .find(|l| l.contains("No critical incidents"))
        .unwrap();
    assert!(line.starts_with("- [ ] "), "{line}");
    assert!(line.contains("uncertain"), "{line}");
}

#[test]
fn untagged_rollups_say_no_cohort_tags() {
    // Requests without `details.canary`: as from the rows, the absolute rules decide alone; the
    // reports do not claim the cohort rules were skipped for want of rows.
    let store = requests(&[120.0, 130.0]);
    let start = PHASE1_START;
    let now = start + 24 * H;
    let data = from_rollups(&store, start, now, Some(Window::new(start, now).unwrap()));
    let email = daily_email(&data.email_input("r", data.default_date(), None));
    assert!(email.contains(
        "## Canary against control\n\n**No cohort tags: the absolute rules decide alone**\n"
    ));
    assert!(!email.contains("From the rollups:"));
    let canary = data
        .criteria()
        .iter()
        .find(|c| c.id == "canary_not_worse")
        .unwrap();
    assert_eq!(canary.status, CriterionStatus::NoData);
    assert_eq!(
        canary.measured.display,
        "no cohort tags (no boolean details.canary)"
    );
}

/// A cohort scenario: two hours of requests (two a second, 30 % canary when tagged), the canary
/// changed in the second hour.
#[derive(Clone, Copy, Debug)]
struct Scenario {
    tagged: bool,
    /// Canary latency multiplier in the second hour.
    slower: f64,
    /// Canary error probability in the second hour (control's stays 0.5 %).
    canary_errors: f64,
}

fn scenario_store(s: Scenario) -> EventStore {
    let mut r = stdx::rand::SplitMix64::new(7);
    let rows: Vec<EventRow> = (0..2 * 3600 * 2)
        .map(|i: i64| {
            let at = PHASE1_START + i * 500_000;
            let second_hour = i >= 3600 * 2;
            let canary = s.tagged.then(|| r.next_f64() < 0.3);
            let mut ms = 100.0 + 300.0 * r.next_f64();
            let mut error = 0.005;
            if canary == Some(true) && second_hour {
                ms *= s.slower;
                error = s.canary_errors;
            }
            EventRow {
                id: i + 1,
                created_at: at,
                event_type: EventType::RequestCompleted,
                processing_time_ms: Some(ms),
                success: Some(r.next_f64() >= error),
                cache_hit: None,
                cache_key: None,
                details: Details {
                    endpoint: Some(Cow::Borrowed("/api/chat")),
                    canary,
                    ..Details::default()
                },
            }
        })
        .collect();
    let mut store = EventStore::new();
    store.extend(rows);
    store
}

/// (metric, level, since, until) of an alert.
fn key(a: &canary_core::alerts::Alert) -> String {
    format!(
        "{} {} {} {:?}",
        a.metric.as_str(),
        a.level.as_str(),
        a.since,
        a.until
    )
}

/// The cohort rules from the rollups of a scenario against the rules on its rows: the call, and
/// the alerts, each either the same or uncertain (never a certain alert the rows do not have).
fn check_cohorts(s: Scenario, call: CohortCall, alerts: &[&str]) {
    let store = scenario_store(s);
    let window = Window::new(PHASE1_START, PHASE1_START + 2 * H).unwrap();
    let rules = default_cohort_rules();
    let exact = evaluate_cohorts(&store, Some(window), &rules);
    let approx = evaluate_cohorts_from_rollups(&rollup_rows(&store, window, true), window, &rules);
    assert_eq!(exact.call, call, "{s:?}: rows");
    assert_eq!(approx.evaluation.call, call, "{s:?}: rollups");
    let rows: Vec<String> = exact.alerts.iter().map(|a| key(&a.alert)).collect();
    let certain: Vec<String> = approx
        .evaluation
        .alerts
        .iter()
        .map(|a| key(&a.alert))
        .collect();
    // A certain alert from the rollups fires where the rows' alert of its rule fires: it may
    // start later (its favourable edge crosses later), never earlier, and ends as it ends.
    for a in approx.evaluation.alerts.iter().map(|a| &a.alert) {
        assert!(
            exact
                .alerts
                .iter()
                .map(|e| &e.alert)
                .any(|e| e.metric == a.metric
                    && e.level == a.level
                    && e.since <= a.since
                    && e.until == a.until),
            "{s:?}: {} from the rollups only; rows: {rows:?}",
            key(a)
        );
    }
    // Every alert of the rows is certain or uncertain from the rollups.
    for e in exact.alerts.iter().map(|e| &e.alert) {
        let same_rule = |a: &canary_core::alerts::Alert| a.metric == e.metric && a.level == e.level;
        assert!(
            approx.evaluation.alerts.iter().any(|a| same_rule(&a.alert))
                || approx.uncertain.iter().any(same_rule),
            "{s:?}: {} missing from the rollups",
            key(e)
        );
    }
    let metrics: Vec<&str> = approx
        .evaluation
        .alerts
        .iter()
        .map(|a| a.alert.metric.as_str())
        .collect();
    for m in alerts {
        assert!(metrics.contains(m), "{s:?}: no {m} alert in {certain:?}");
    }
    // The error-rate rules read exact counts: their alerts are the rows' own.
    let errors = |keys: &[String]| -> Vec<String> {
        keys.iter()
            .filter(|k| k.starts_with("canary_error_rate"))
            .cloned()
            .collect()
    };
    assert_eq!(errors(&certain), errors(&rows), "{s:?}");
}

#[test]
fn cohort_rules_from_rollups_agree_with_the_rows() {
    let same = Scenario {
        tagged: true,
        slower: 1.0,
        canary_errors: 0.005,
    };
    check_cohorts(same, CohortCall::NotWorse, &[]);
    check_cohorts(
        Scenario {
            tagged: false,
            ..same
        },
        CohortCall::NoCohortTags,
        &[],
    );
    check_cohorts(
        Scenario {
            canary_errors: 0.10,
            ..same
        },
        CohortCall::CanaryWorse,
        &["canary_error_rate"],
    );
    check_cohorts(
        Scenario {
            slower: 1.8,
            ..same
        },
        CohortCall::CanaryWorse,
        &["canary_p50_latency", "canary_p95_latency"],
    );
    // No rows at all: no tags.
    let window = Window::new(PHASE1_START, PHASE1_START + H).unwrap();
    let none = evaluate_cohorts_from_rollups(&[], window, &default_cohort_rules());
    assert_eq!(none.evaluation.call, CohortCall::NoCohortTags);
}
