//! The readable (non-JSON) report: the success-metrics table first, then each section.

use std::fmt::Write;

use canary_core::alerts::{Alert, Evaluation, RuleState};
use canary_core::cohort::{CohortComparison, CohortMetrics};
use canary_core::cohort_rules::{CohortAlert, CohortCall, CohortEvaluation};
use canary_core::metrics::{Metrics, Window};
use canary_core::phases::{CriterionResult, CriterionStatus, PhaseDefinition};
use canary_core::redis::RedisHealth;
use canary_core::summary::{format_ms, format_pct, success_rows};
use canary_core::text::{alert_threshold, alert_worst};
use canary_core::text::{p_text, points_text, ratio_text};
use canary_core::time::{format_minute, format_rfc3339, from_datetime};

/// Renders rows as a plain-text table with a header and aligned columns; numbers right-aligned.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>], right: &[bool]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &[String]| {
        let mut text = String::from("  ");
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if right.get(i).copied().unwrap_or(false) {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            }
            text.push_str("  ");
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(
        out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    line(
        out,
        &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
    );
    for row in rows {
        line(out, row);
    }
}

fn or_null(text: &Option<String>) -> String {
    text.clone().unwrap_or_else(|| "(null)".to_owned())
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    format_rfc3339(from_datetime(t))
}

/// One line per alert: `critical  p50_latency (threshold > 500.0 ms)  since …  until …  worst
/// 612.3 ms`; the threshold and the worst value with their unit in the core's words.
fn alert_line(a: &Alert) -> String {
    let threshold = a.threshold.map_or(String::new(), |_| {
        format!(" (threshold {})", alert_threshold(a))
    });
    let until = a.until.map_or_else(
        || "still firing".to_owned(),
        |u| format!("until {}", time(u)),
    );
    format!(
        "{:<9}  {}{threshold}  since {}  {until}  worst {}",
        a.level.as_str(),
        a.metric.as_str(),
        time(a.since),
        alert_worst(a)
    )
}

/// The verdict now, with what is firing: the one line `canary-report check` prints.
pub fn verdict_line(e: &Evaluation) -> String {
    let firing: Vec<String> = e
        .alerts
        .iter()
        .filter(|a| a.until.is_none())
        .map(|a| format!("{} {}", a.metric.as_str(), a.level.as_str()))
        .collect();
    if firing.is_empty() {
        format!("{}: no alert firing", e.status_now.label())
    } else {
        format!("{}: {}", e.status_now.label(), firing.join(", "))
    }
}

/// `check`'s line for a window without events: no verdict, and why.
pub fn no_data_line(m: &Metrics) -> String {
    match (m.window.from, m.window.to) {
        (Some(from), Some(to)) => format!(
            "No Data: no events from {} to {} (exclusive); no verdict",
            time(from),
            time(to)
        ),
        _ => "No Data: the input holds no events; no verdict".to_owned(),
    }
}

/// `check`'s line for a window with events but none a rule can judge at its end: too few (or
/// none) in the trailing span before it, as when an export stopped. No verdict, and why.
pub fn stale_line(m: &Metrics) -> String {
    // The window's end is exclusive: its last instant is the one judged.
    let end = m
        .window
        .to
        .map(|to| time(to - chrono::TimeDelta::microseconds(1)))
        .unwrap_or_default();
    format!(
        "No Data: {}; no verdict",
        canary_core::text::too_few_at_end(&end)
    )
}

/// What the readable report shows.
pub struct Report<'a> {
    pub source: &'a str,
    pub metrics: &'a Metrics,
    pub evaluation: &'a Evaluation,
    pub criteria: &'a [CriterionResult],
    pub phase: Option<(&'a PhaseDefinition, Window)>,
    pub cohorts: Option<&'a CohortComparison>,
    pub cohort_rules: &'a CohortEvaluation,
    pub redis: Option<&'a RedisHealth>,
}

/// The whole human report of one window: the verdict and alerts first, then the numbers.
pub fn metrics_report(r: &Report<'_>) -> String {
    let (m, e, source) = (r.metrics, r.evaluation, r.source);
    let mut out = String::new();
    let _ = writeln!(out, "Canary Console metrics: {source}");
    match (m.window.from, m.window.to) {
        (Some(from), Some(to)) => {
            let _ = writeln!(
                out,
                "Window: {} to {} (exclusive), {} events",
                time(from),
                time(to),
                m.window.events
            );
        }
        _ => {
            let _ = writeln!(out, "Window: no events in the input");
        }
    }
    for note in &m.window.notes {
        let _ = writeln!(out, "Note: {note}");
    }

    let _ = writeln!(out, "\nVerdict now: {}", verdict_line(e));
    let _ = writeln!(out, "Worst in the window: {}", e.status_in_window.label());
    if e.alerts.is_empty() {
        let _ = writeln!(out, "Alerts: none fired in the window");
    } else {
        let _ = writeln!(out, "Alerts ({}):", e.alerts.len());
        for a in &e.alerts {
            let _ = writeln!(out, "  {}", alert_line(a));
        }
    }
    let pending: Vec<&str> = e
        .rules
        .iter()
        .filter(|r| r.state == RuleState::Pending)
        .map(|r| r.rule.as_str())
        .collect();
    if !pending.is_empty() {
        let _ = writeln!(
            out,
            "Pending (breaching, not yet long enough): {}",
            pending.join("; ")
        );
    }
    if let Some(t) = e.breaker_recovered_at {
        let _ = writeln!(
            out,
            "Circuit breaker recovered (closed 15 min after opening) at {}",
            time(t)
        );
    }

    let _ = writeln!(out, "\nSuccess metrics");
    let rows: Vec<Vec<String>> = success_rows(m)
        .into_iter()
        .map(|r| {
            vec![
                r.metric.to_owned(),
                r.target.to_owned(),
                r.alert_threshold,
                r.measured,
                r.status.label().to_owned(),
            ]
        })
        .collect();
    table(
        &mut out,
        &["Metric", "Target", "Alert threshold", "Measured", "Status"],
        &rows,
        &[false, false, false, true, false],
    );

    if let Some((def, window)) = r.phase {
        criteria_section(&mut out, def, window, r.criteria);
    }
    cohort_rules_section(&mut out, r.cohort_rules);
    // Without cohort tags the line above has said so: no table of two empty cohorts.
    if let Some(c) = r.cohorts.filter(|_| r.cohort_rules.tagged) {
        cohort_section(&mut out, c);
    }

    let l = &m.latency;
    let _ = writeln!(
        out,
        "\nLatency: {} requests, P50 {}, P95 {}, P99 {}, mean {}",
        l.requests,
        format_ms(l.p50_ms),
        format_ms(l.p95_ms),
        format_ms(l.p99_ms),
        format_ms(l.mean_ms)
    );
    let rows: Vec<Vec<String>> = m
        .latency_by_endpoint
        .iter()
        .map(|e| {
            vec![
                or_null(&e.endpoint),
                e.requests.to_string(),
                format_ms(e.p50_ms),
                format_ms(e.p95_ms),
                format_ms(e.p99_ms),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            &mut out,
            &["Endpoint", "Requests", "P50", "P95", "P99"],
            &rows,
            &[false, true, true, true, true],
        );
    }

    let e = &m.errors;
    let last = &e.last_1000_requests;
    let _ = writeln!(
        out,
        "\nErrors: {} of {} requests failed ({}); last {} requests: {} ({})",
        e.failures,
        e.requests,
        format_pct(e.error_rate_pct),
        last.requests,
        last.failures,
        format_pct(last.error_rate_pct)
    );
    let rows: Vec<Vec<String>> = m
        .errors_by_type
        .iter()
        .map(|g| {
            vec![
                or_null(&g.error_type),
                or_null(&g.error_message),
                g.occurrences.to_string(),
                time(g.last_seen),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            &mut out,
            &["Error type", "Message", "Occurrences", "Last seen"],
            &rows,
            &[false, false, true, false],
        );
    }

    let c = &m.cache;
    let _ = writeln!(
        out,
        "\nCache: {} hits of {} accesses ({})",
        c.hits,
        c.accesses,
        format_pct(c.hit_rate_pct)
    );
    let rows: Vec<Vec<String>> = m
        .cache_by_prefix
        .iter()
        .map(|p| {
            vec![
                or_null(&p.resource_type),
                p.accesses.to_string(),
                format_pct(p.hit_rate_pct),
                format_ms(p.avg_miss_time_ms),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            &mut out,
            &["Resource type", "Accesses", "Hit rate", "Avg miss time"],
            &rows,
            &[false, true, true, true],
        );
    }
    if m.cache_stampedes.is_empty() {
        let _ = writeln!(
            out,
            "Cache stampedes: none (no key missed more than 10 times in 15 minutes)"
        );
    } else {
        let _ = writeln!(out, "Cache stampedes:");
        let rows: Vec<Vec<String>> = m
            .cache_stampedes
            .iter()
            .map(|s| {
                vec![
                    or_null(&s.cache_key),
                    s.concurrent_misses.to_string(),
                    time(s.first_miss),
                    time(s.last_miss),
                    format!("{:.1} s", s.duration_sec),
                ]
            })
            .collect();
        table(
            &mut out,
            &["Cache key", "Misses", "First miss", "Last miss", "Duration"],
            &rows,
            &[false, true, false, false, true],
        );
    }

    let w = &m.mem0;
    let _ = writeln!(
        out,
        "\nmem0 writes: {} ({} succeeded), avg {}, max {}, {} slower than 5 s",
        w.total_writes,
        format_pct(w.success_rate_pct),
        format_ms(w.avg_write_time_ms),
        format_ms(w.max_write_time_ms),
        w.slow_writes_over_5s
    );
    let rows: Vec<Vec<String>> = m
        .mem0_failures_by_type
        .iter()
        .map(|f| {
            vec![
                or_null(&f.error_type),
                f.failures.to_string(),
                format_ms(f.avg_time_ms),
                time(f.last_failure),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            &mut out,
            &["Error type", "Failures", "Avg time", "Last failure"],
            &rows,
            &[false, true, true, false],
        );
    }

    if let Some(redis) = r.redis {
        redis_section(&mut out, redis);
    }

    let b = &m.circuit_breaker;
    let _ = writeln!(out, "\nCircuit breaker: {}", b.current_state);
    let count = |c: Option<i64>| c.map_or_else(|| "-".to_owned(), |c| c.to_string());
    let rows: Vec<Vec<String>> = b
        .transitions
        .iter()
        .map(|t| {
            vec![
                or_null(&t.state),
                count(t.failure_count),
                count(t.success_count),
                time(t.at),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            &mut out,
            &["State", "Failures", "Successes", "At"],
            &rows,
            &[false, true, true, false],
        );
    }
    out
}

fn criteria_section(
    out: &mut String,
    def: &PhaseDefinition,
    window: Window,
    criteria: &[CriterionResult],
) {
    let _ = writeln!(
        out,
        "\nPhase {} success criteria ({} traffic, {} to {})",
        def.number,
        format_pct(Some(def.traffic_pct)).replace(".00", ""),
        format_minute(window.from),
        format_minute(window.to)
    );
    let rows: Vec<Vec<String>> = criteria
        .iter()
        .map(|c| {
            vec![
                c.criterion.clone(),
                c.target.clone(),
                c.measured.display.clone(),
                status_word(c.status).to_owned(),
            ]
        })
        .collect();
    table(
        out,
        &["Criterion", "Target", "Measured", "Status"],
        &rows,
        &[false, false, true, false],
    );
}

fn status_word(s: CriterionStatus) -> &'static str {
    match s {
        CriterionStatus::Pass => "pass",
        CriterionStatus::Fail => "FAIL",
        CriterionStatus::Pending => "pending",
        CriterionStatus::NoData => "no data",
    }
}

fn cohort_section(out: &mut String, c: &CohortComparison) {
    let _ = writeln!(out, "\nCanary vs control (requests tagged details.canary)");
    let row = |name: &str, m: &CohortMetrics| {
        vec![
            name.to_owned(),
            m.requests.to_string(),
            format_ms(m.p50_ms),
            format_ms(m.p95_ms),
            format_ms(m.p99_ms),
            format_pct(m.error_rate_pct),
        ]
    };
    table(
        out,
        &["Cohort", "Requests", "P50", "P95", "P99", "Error rate"],
        &[row("canary", &c.canary), row("control", &c.control)],
        &[false, true, true, true, true, true],
    );
    let t = &c.latency_test;
    let number = |v: Option<f64>, digits: usize| {
        v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.digits$}"))
    };
    let _ = writeln!(
        out,
        "  Mann-Whitney U: z {}, p {}, shift (Hodges-Lehmann, canary - control) {}: {}",
        number(t.z, 2),
        t.p_value
            .map_or_else(|| "n/a".to_owned(), |p| format!("{p:.3e}")),
        format_ms(t.hodges_lehmann_ms),
        c.verdict.label()
    );
    if c.untagged_requests > 0 {
        let _ = writeln!(
            out,
            "  {} requests carry no canary tag and are in neither cohort",
            c.untagged_requests
        );
    }
}

/// The cohort rules' call: said once, with the rule behind it and its evidence.
fn cohort_rules_section(out: &mut String, c: &CohortEvaluation) {
    let _ = writeln!(out, "\nCanary against control: {}", c.call.label());
    if c.call == CohortCall::NoCohortTags {
        return;
    }
    if let Some(now) = &c.now {
        let ratio = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), ratio_text);
        let p = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), p_text);
        let _ = writeln!(
            out,
            "  Last {} min: P50 {}, P95 {} (Mann-Whitney p {}), error rate {} (Fisher p {}); \
             a rule needs p < {}",
            c.window_minutes,
            ratio(now.p50_ratio),
            ratio(now.p95_ratio),
            p(now.latency_p_value),
            now.error_test
                .difference_points
                .map_or_else(|| "n/a".to_owned(), points_text),
            p(now.error_test.p_value),
            p_text(c.alpha)
        );
    }
    for a in &c.alerts {
        for line in explain_lines(a) {
            let _ = writeln!(out, "  {line}");
        }
    }
}

/// A cohort alert and the evidence behind it, for people: the rule, the worst value, then the
/// endpoints and error types that carry the difference.
pub fn explain_lines(a: &CohortAlert) -> Vec<String> {
    let until = a.alert.until.map_or_else(
        || "still firing".to_owned(),
        |u| format!("until {}", time(u)),
    );
    let mut lines = vec![format!(
        "{} {}: {} since {} {until}, worst {}",
        a.alert.metric.as_str(),
        a.alert.level.as_str(),
        a.rule,
        time(a.alert.since),
        alert_worst(&a.alert)
    )];
    for e in &a.evidence.endpoints {
        lines.push(format!(
            "  endpoint {}: canary {} requests, P50 {}, errors {}; control {} requests, P50 {}, \
             errors {}",
            e.endpoint.as_deref().unwrap_or("(null)"),
            e.canary.requests,
            format_ms(e.canary.p50_ms),
            format_pct(e.canary.error_rate_pct),
            e.control.requests,
            format_ms(e.control.p50_ms),
            format_pct(e.control.error_rate_pct),
        ));
    }
    for t in &a.evidence.error_types {
        lines.push(format!(
            "  error type {}: canary {} ({}), control {} ({})",
            t.error_type.as_deref().unwrap_or("(null)"),
            t.canary_failures,
            format_pct(t.canary_rate_pct),
            t.control_failures,
            format_pct(t.control_rate_pct),
        ));
    }
    lines
}

fn redis_section(out: &mut String, r: &RedisHealth) {
    let level = r.level.map_or("ok", |l| l.as_str());
    let _ = writeln!(
        out,
        "\nRedis: {level}; memory {} of maxmemory, evicted keys {}",
        format_pct(r.memory_pct),
        r.evicted_keys
            .map_or_else(|| "not given".to_owned(), |n| n.to_string())
    );
    for note in &r.notes {
        let _ = writeln!(out, "  {note}");
    }
}
