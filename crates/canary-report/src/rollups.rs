//! `metrics` and `check` over a window read from the database's rollups (a Supabase window of
//! more than `net::supabase::EXACT_ROWS_LIMIT` rows, without `--exact`): the core turns the
//! rollups into the same metrics, alerts and cohort comparison as the rows give, with the
//! percentiles bounded (docs/metrics.md#rollups-and-the-latency-histogram). Every bounded number
//! says so: `"exact": false, "relative_error": 0.01` in JSON, "≈ 512 ms (±1 %)" in text, and an
//! alert whose percentile's band straddles its threshold is listed as uncertain.

use std::io::Write;

use canary_core::alerts::{default_rules, Alert, Status, VerdictNow};
use canary_core::cohort::CohortComparison;
use canary_core::cohort_rules::CohortEvaluation;
use canary_core::histogram::RELATIVE_ERROR_BOUND;
use canary_core::metrics::Metrics;
use canary_core::phases::{self, evaluate_criteria, CriterionResult};
use canary_core::rollup::{compare_cohorts, metrics_from_rollups, RollupEvaluation};
use canary_core::rollup_analysis::evaluate_rollups;
use canary_core::summary::{format_bounded_ms, format_ms, format_pct};
use canary_core::supabase::rollups::RollupWindow;
use canary_core::text::{alert_threshold, alert_worst};
use canary_core::time::format_rfc3339;
use canary_core::Micros;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::CliError;
use crate::flags::MetricsArgs;
use crate::human;

/// Everything computed from the rollups of one window.
struct RollupRun {
    metrics: Metrics,
    evaluation: RollupEvaluation,
    cohorts: CohortComparison,
    cohort_rules: CohortEvaluation,
    criteria: Vec<CriterionResult>,
}

/// The alerts of the window: the absolute rules' and the cohort rules', each certain within the
/// bounds or uncertain.
fn evaluate(r: &RollupWindow) -> (RollupEvaluation, CohortEvaluation) {
    evaluate_rollups(r, &default_rules())
}

fn analyse(a: &MetricsArgs, r: &RollupWindow, now: Micros) -> RollupRun {
    let metrics = metrics_from_rollups(&r.totals, &r.exact, r.window);
    let (evaluation, cohort_rules) = evaluate(r);
    let cohorts = compare_cohorts(&r.totals, r.window);
    // The phase's criteria judged on the window's numbers (the rollups hold no rows to find a
    // phase start in: it is --phase-start, else the window's start).
    let criteria = phases::default_phases()
        .into_iter()
        .find(|p| p.number == a.phase)
        .and_then(|mut def| {
            def.start = a.phase_start.or(Some(r.window.from));
            let window = def.window()?;
            Some(evaluate_criteria(
                &def,
                &metrics,
                &evaluation.evaluation.alerts,
                window,
                now,
                None,
            ))
        })
        .unwrap_or_default();
    RollupRun {
        metrics,
        evaluation,
        cohorts,
        cohort_rules,
        criteria,
    }
}

/// `"exact": false, "relative_error": 0.01`, added to every object that holds percentiles.
fn mark_bounded(object: &mut Value) {
    if let Value::Object(map) = object {
        map.insert("exact".into(), Value::Bool(false));
        map.insert("relative_error".into(), json!(RELATIVE_ERROR_BOUND));
    }
}

#[derive(Serialize)]
struct RollupJson<'a> {
    #[serde(flatten)]
    metrics: &'a Metrics,
    alerts: &'a [Alert],
    /// Alerts that fire for some values within the percentiles' bounds and not for others.
    uncertain_alerts: &'a [Alert],
    criteria: &'a [CriterionResult],
    cohorts: CohortsJson<'a>,
    /// Where the numbers come from.
    source: &'static str,
}

#[derive(Serialize)]
struct CohortsJson<'a> {
    /// Both cohorts over the window; the rank test on binned counts.
    whole_window: &'a CohortComparison,
    approximate: bool,
    /// The rule behind the call: the worst cohort rule firing at the window's end.
    deciding_rule: Option<&'a str>,
    /// The cohort rules over the per-minute rollups (`canary_core::report_cohorts`).
    #[serde(flatten)]
    rules: &'a CohortEvaluation,
}

/// `canary-report metrics` from the rollups.
pub fn metrics_command(a: &MetricsArgs, r: &RollupWindow, now: Micros) -> Result<(), CliError> {
    let run = analyse(a, r, now);
    let mut out = std::io::stdout().lock();
    if a.json {
        let mut value = serde_json::to_value(RollupJson {
            metrics: &run.metrics,
            alerts: &run.evaluation.evaluation.alerts,
            uncertain_alerts: &run.evaluation.uncertain,
            criteria: &run.criteria,
            cohorts: CohortsJson {
                whole_window: &run.cohorts,
                approximate: true,
                deciding_rule: run.cohort_rules.deciding_alert().map(|a| a.rule.as_str()),
                rules: &run.cohort_rules,
            },
            source: "rollups",
        })
        .map_err(std::io::Error::from)?;
        mark_bounded(&mut value["latency"]);
        if let Some(rows) = value["latency_by_endpoint"].as_array_mut() {
            rows.iter_mut().for_each(mark_bounded);
        }
        mark_bounded(&mut value["cohorts"]["whole_window"]["canary"]);
        mark_bounded(&mut value["cohorts"]["whole_window"]["control"]);
        serde_json::to_writer_pretty(&mut out, &value).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        out.write_all(text_report(&run).as_bytes())?;
    }
    Ok(())
}

/// The readable report of a rollup run.
fn text_report(run: &RollupRun) -> String {
    let m = &run.metrics;
    let e = RELATIVE_ERROR_BOUND;
    let mut t = String::new();
    let window = match (m.window.from, m.window.to) {
        (Some(from), Some(to)) => format!(
            "{} to {}",
            format_rfc3339(from.timestamp_micros()),
            format_rfc3339(to.timestamp_micros())
        ),
        _ => "no window".to_owned(),
    };
    t += &format!(
        "{}\nWindow: {window} ({} events), from the rollups: counts and rates exact, percentiles within ±{} %\n\n",
        human::verdict_line(&run.evaluation.evaluation),
        m.window.events,
        e * 100.0
    );
    t += &format!(
        "Latency: {} requests, P50 {}, P95 {}, P99 {}, mean {}\n",
        m.latency.requests,
        format_bounded_ms(m.latency.p50_ms, e),
        format_bounded_ms(m.latency.p95_ms, e),
        format_bounded_ms(m.latency.p99_ms, e),
        format_ms(m.latency.mean_ms)
    );
    for ep in &m.latency_by_endpoint {
        t += &format!(
            "  {}: {} requests, P50 {}, P95 {}, P99 {}\n",
            ep.endpoint.as_deref().unwrap_or("(no endpoint)"),
            ep.requests,
            format_bounded_ms(ep.p50_ms, e),
            format_bounded_ms(ep.p95_ms, e),
            format_bounded_ms(ep.p99_ms, e)
        );
    }
    t += &format!(
        "Errors: {} of {} requests, {}\nCache: {} lookups, hit rate {}\nmem0: {} writes, success {}, mean {}, max {}, {} slower than 5 s\nCircuit breaker: {}\n",
        m.errors.failures,
        m.errors.requests,
        format_pct(m.errors.error_rate_pct),
        m.cache.accesses,
        format_pct(m.cache.hit_rate_pct),
        m.mem0.total_writes,
        format_pct(m.mem0.success_rate_pct),
        format_ms(m.mem0.avg_write_time_ms),
        format_ms(m.mem0.max_write_time_ms),
        m.mem0.slow_writes_over_5s,
        m.circuit_breaker.current_state
    );
    let c = &run.cohorts;
    t += &format!(
        "Canary against control (approximate: rank test on binned latencies): canary {} requests, P50 {}; control {} requests, P50 {}; {}\nCohort rules: {}\n",
        c.canary.requests,
        format_bounded_ms(c.canary.p50_ms, e),
        c.control.requests,
        format_bounded_ms(c.control.p50_ms, e),
        c.verdict.label(),
        run.cohort_rules.call.label()
    );
    t += "\nAlerts:\n";
    if run.evaluation.evaluation.alerts.is_empty() {
        t += "  none\n";
    }
    for a in &run.evaluation.evaluation.alerts {
        t += &format!("  {}\n", alert_line(a));
    }
    for a in &run.evaluation.uncertain {
        t += &format!(
            "  uncertain: {} (within ±{} % of the threshold)\n",
            alert_line(a),
            e * 100.0
        );
    }
    for note in &m.window.notes {
        t += &format!("Note: {note}\n");
    }
    t
}

fn alert_line(a: &Alert) -> String {
    let until = a.until.map_or("still firing".to_owned(), |u| {
        format!("until {}", format_rfc3339(u.timestamp_micros()))
    });
    format!(
        "{} {} (threshold {}, worst {}) since {}, {until}",
        a.metric.as_str(),
        a.level.as_str(),
        alert_threshold(a),
        alert_worst(a),
        format_rfc3339(a.since.timestamp_micros())
    )
}

/// `canary-report check` from the rollups: the verdict of the alerts certain within the bounds,
/// then each uncertain alert still open. Exit status as `check` on rows.
pub fn check_command(_a: &MetricsArgs, r: &RollupWindow, _now: Micros) -> u8 {
    let (evaluation, _) = evaluate(r);
    let events: u64 = r.totals.iter().map(|row| row.counters.events).sum();
    match evaluation.evaluation.verdict_now(events) {
        VerdictNow::NoEvents => {
            println!(
                "No Data: no events from {} to {} (exclusive); no verdict",
                format_rfc3339(r.window.from),
                format_rfc3339(r.window.to)
            );
            return crate::EXIT_NO_DATA;
        }
        VerdictNow::TooFewAtEnd => {
            // The window's end is exclusive: its last instant is the one judged.
            let end = format_rfc3339(r.window.to - 1);
            println!(
                "No Data: {}; no verdict",
                canary_core::text::too_few_at_end(&end)
            );
            return crate::EXIT_NO_DATA;
        }
        VerdictNow::Status(_) => {}
    }
    println!("{}", human::verdict_line(&evaluation.evaluation));
    for a in evaluation.uncertain.iter().filter(|a| a.until.is_none()) {
        println!(
            "  uncertain: {} {}: its percentile is within ±{} % of the threshold {} (read with --exact to decide)",
            a.metric.as_str(),
            a.level.as_str(),
            RELATIVE_ERROR_BOUND * 100.0,
            alert_threshold(a)
        );
    }
    match evaluation.evaluation.status_now {
        Status::OnTrack => 0,
        Status::IssuesDetected => 1,
        Status::RollbackRequired => 2,
    }
}
