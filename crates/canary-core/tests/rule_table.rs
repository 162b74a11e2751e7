//! The alert rule table is the one source of every threshold, duration and level shown: change a
//! rule and the alerts, their words, the rule states, the success-metrics table and the email
//! all follow it.

use canary_core::alerts::{default_rules, Level, MetricId, Rule, WindowedMetric};
use canary_core::analysis::analyse_window;
use canary_core::demo::PHASE1_START;
use canary_core::event::{MICROS_PER_MINUTE, MICROS_PER_SECOND};
use canary_core::metrics::Window;
use canary_core::phases::default_phases;
use canary_core::report::{daily_email, ReportData};
use canary_core::summary::success_rows_with;
use canary_core::text::{alert_condition, alert_threshold};
use canary_core::{Details, EventRow, EventStore, EventType, Micros};

const M: Micros = MICROS_PER_MINUTE;

/// Half an hour of requests, one every 5 s, all taking 480 ms: above 450 ms, below 500 ms.
fn slow_store() -> EventStore {
    let mut store = EventStore::new();
    store.extend((0..360).map(|i| EventRow {
        id: i,
        event_type: EventType::RequestCompleted,
        success: Some(true),
        cache_hit: None,
        processing_time_ms: Some(480.0),
        cache_key: None,
        details: Details::default(),
        created_at: PHASE1_START + i * 5 * MICROS_PER_SECOND,
    }));
    store
}

/// The default rules with P50's critical level at `> 450 ms for 7 min` instead of 500/10.
fn stricter_rules() -> Vec<Rule> {
    let mut rules = default_rules();
    let p50_critical = rules
        .iter_mut()
        .find(|r| r.metric == WindowedMetric::P50Latency && r.level == Level::Critical)
        .expect("a critical P50 rule");
    p50_critical.threshold = 450.0;
    p50_critical.duration_minutes = Some(7);
    rules
}

#[test]
fn a_rule_change_changes_every_place_that_shows_it() {
    let store = slow_store();
    let window = Window::new(PHASE1_START, PHASE1_START + 30 * M);
    let now = PHASE1_START + 30 * M;
    let critical_p50 = |rules: &[Rule]| {
        let analysis = analyse_window(&store, window, now, None, rules);
        let alerts: Vec<_> = analysis
            .evaluation
            .alerts
            .iter()
            .filter(|a| a.metric == MetricId::P50Latency && a.level == Level::Critical)
            .cloned()
            .collect();
        (analysis, alerts)
    };

    // With the guide's rules 480 ms is a warning, not critical.
    let (_, none) = critical_p50(&default_rules());
    assert!(none.is_empty(), "{none:?}");

    let rules = stricter_rules();
    let (analysis, alerts) = critical_p50(&rules);
    let [alert] = alerts.as_slice() else {
        panic!("one critical P50 alert expected: {alerts:?}");
    };
    // It fires after 7 + 1 breaching samples, at the stricter threshold.
    assert_eq!(alert.threshold, Some(450.0));
    assert_eq!(alert_threshold(alert), "> 450.0 ms");
    assert_eq!(
        alert_condition(alert, &analysis.rules),
        "> 450 ms for 7 min"
    );
    let state = analysis
        .evaluation
        .rules
        .iter()
        .find(|r| r.metric == MetricId::P50Latency && r.level == Level::Critical)
        .expect("the rule's state");
    assert_eq!(state.rule, "P50 latency > 450 ms for 7 min");

    // The success-metrics table's alert threshold.
    let rows = success_rows_with(&analysis.metrics, &rules);
    let p50 = rows
        .iter()
        .find(|r| r.id == "p50_latency")
        .expect("P50 row");
    assert_eq!(p50.alert_threshold, "> 450 ms for 7 min");

    // The email: the alert's row and the verdict follow the rule.
    let data = ReportData::compute(&store, default_phases(), 1, window, now, &rules)
        .expect("phase 1 exists");
    let email = daily_email(&data.email_input("svc", data.default_date(), None));
    let row = email
        .lines()
        .find(|l| l.contains("🔴 critical") && l.contains("(`p50_latency`)"))
        .unwrap_or_else(|| panic!("no critical P50 row in:\n{email}"));
    assert!(row.contains("> 450.0 ms"), "{row}");
    assert!(
        email.contains("(escalation protocol: Red Alert)"),
        "the critical level drives the next steps:\n{email}"
    );
}
