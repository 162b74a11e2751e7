//! Canary and control cohorts side by side, with the Mann-Whitney test of latency.

use canary_core::cohort::{
    CohortComparison, CohortMetrics, LatencyVerdict, ALPHA, MIN_SAMPLES_PER_SIDE,
};
use canary_core::summary::{format_ms, format_pct, format_percentile_ms};
use leptos::prelude::*;
use std::sync::Arc;

use canary_core::analysis::Analysis;

use super::exact_read_note::ReadRowsButton;
use canary_core::cohort_rules::{CohortAlert, CohortCall, CohortEvaluation};
use canary_core::text::{alert_worst, p_text, points_text, ratio_text};

/// The status class of the cohort rules' call.
fn call_class(call: CohortCall) -> &'static str {
    match call {
        CohortCall::NotWorse => "status status-ok",
        CohortCall::CanaryWorse => "status status-bad",
        CohortCall::NoCohortTags | CohortCall::NotEnoughData => "status status-none",
    }
}

/// What the cohort rules see over their last span, in a sentence.
fn rules_sentence(c: &CohortEvaluation) -> String {
    let Some(now) = &c.now else {
        return String::new();
    };
    let ratio = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), ratio_text);
    format!(
        "Last {} min: canary P50 {}, P95 {} (one-sided Mann–Whitney p {}); error rate {} (Fisher p {}). A rule fires when the canary is worse by more than its margin and p < {}, for its duration.",
        c.window_minutes,
        ratio(now.p50_ratio),
        ratio(now.p95_ratio),
        p_value(now.latency_p_value),
        now.error_test
            .difference_points
            .map_or_else(|| "—".to_owned(), points_text),
        p_value(now.error_test.p_value),
        p_text(c.alpha)
    )
}

/// One cohort alert and the endpoints and error types behind it.
fn alert_evidence(a: &CohortAlert) -> impl IntoView {
    let worst = alert_worst(&a.alert);
    let state = if a.alert.until.is_none() {
        "firing"
    } else {
        "resolved"
    };
    let endpoints = a
        .evidence
        .endpoints
        .iter()
        .map(|e| {
            view! {
                <tr>
                    <th scope="row">{e.endpoint.clone().unwrap_or_else(|| "(null)".to_owned())}</th>
                    <td class="num">{format!("{} / {}", e.canary.requests, e.control.requests)}</td>
                    <td class="num">{format!("{} / {}", format_ms(e.canary.p50_ms), format_ms(e.control.p50_ms))}</td>
                    <td class="num">{format!("{} / {}", format_pct(e.canary.error_rate_pct), format_pct(e.control.error_rate_pct))}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let types = a
        .evidence
        .error_types
        .iter()
        .map(|t| {
            view! {
                <li>
                    {format!(
                        "{}: canary {} ({}), control {} ({})",
                        t.error_type.as_deref().unwrap_or("(null)"),
                        t.canary_failures,
                        format_pct(t.canary_rate_pct),
                        t.control_failures,
                        format_pct(t.control_rate_pct)
                    )}
                </li>
            }
        })
        .collect::<Vec<_>>();
    let has_endpoints = !endpoints.is_empty();
    let has_types = !types.is_empty();
    view! {
        <li data-testid="cohort-alert">
            <strong>{format!("{} {}", a.alert.level.as_str(), state)}</strong>
            {format!(": {}; worst {}", a.rule, worst)}
            {has_endpoints.then(|| view! {
                <div class="table-scroll">
                    <table class="cohort-table" data-testid="cohort-evidence">
                        <thead>
                            <tr>
                                <th scope="col">"Endpoint"</th>
                                <th scope="col" class="num">"Requests (canary / control)"</th>
                                <th scope="col" class="num">"P50"</th>
                                <th scope="col" class="num">"Error rate"</th>
                            </tr>
                        </thead>
                        <tbody>{endpoints}</tbody>
                    </table>
                </div>
            })}
            {has_types.then(|| view! { <ul class="evidence-types">{types}</ul> })}
        </li>
    }
}

/// The cohort rules' call, the rule behind it and the evidence of every cohort alert.
fn rules_view(c: &CohortEvaluation) -> impl IntoView {
    let alerts = c.alerts.iter().map(alert_evidence).collect::<Vec<_>>();
    view! {
        <p class="verdict-line">
            "Cohort rules: "
            <span class=call_class(c.call) data-testid="cohort-call">{c.call.label()}</span>
        </p>
        <p class="verdict-sentence">{rules_sentence(c)}</p>
        <ul class="cohort-alerts">{alerts}</ul>
    }
}

/// The status class of a verdict: a slower canary is the bad news.
fn verdict_class(v: LatencyVerdict) -> &'static str {
    match v {
        LatencyVerdict::CanaryFaster => "status status-ok",
        LatencyVerdict::NoSignificantDifference => "status status-ok",
        LatencyVerdict::CanarySlower => "status status-bad",
        LatencyVerdict::NotEnoughData => "status status-none",
    }
}

/// A signed difference in ms (`+12.3 ms`), `—` when either side has none.
fn delta_ms(canary: Option<f64>, control: Option<f64>) -> String {
    match (canary, control) {
        (Some(a), Some(b)) if (a - b).is_finite() => format!("{:+.1} ms", a - b),
        _ => "—".to_owned(),
    }
}

/// A signed difference in percentage points (`+0.25 points`), `—` when either side has none.
fn delta_points(canary: Option<f64>, control: Option<f64>) -> String {
    match (canary, control) {
        (Some(a), Some(b)) if (a - b).is_finite() => format!("{:+.2} points", a - b),
        _ => "—".to_owned(),
    }
}

/// The canary's share of the tagged requests (`canary 9.9 % of tagged`): it should be close to
/// the phase's `CANARY_SAMPLE_RATE`.
fn canary_share(canary: u64, control: u64) -> String {
    let tagged = canary + control;
    if tagged == 0 {
        return "—".to_owned();
    }
    format!(
        "canary {:.1} % of tagged",
        canary as f64 / tagged as f64 * 100.0
    )
}

/// A statistic with `digits` decimals, `—` for none.
fn stat(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "—".to_owned(),
    }
}

/// A p-value: `< 0.0001` when tiny, four decimals otherwise.
fn p_value(v: Option<f64>) -> String {
    match v {
        Some(p) if p.is_finite() && p < 0.0001 => "< 0.0001".to_owned(),
        other => stat(other, 4),
    }
}

/// One row of the side-by-side table.
fn row(label: &'static str, canary: String, control: String, diff: String) -> impl IntoView {
    view! {
        <tr>
            <th scope="row">{label}</th>
            <td class="num">{canary}</td>
            <td class="num">{control}</td>
            <td class="num">{diff}</td>
        </tr>
    }
}

/// The cohorts' rows; percentiles known within `bound` (from the rollups) carry it, and so do
/// their differences.
fn cohort_rows(a: &CohortMetrics, b: &CohortMetrics, bound: Option<f64>) -> impl IntoView {
    let count = |n: u64| n.to_string();
    let p = |v: Option<f64>| format_percentile_ms(v, bound);
    let d = |x: Option<f64>, y: Option<f64>| match (bound, delta_ms(x, y)) {
        (Some(_), text) if text != "—" => format!("≈ {text}"),
        (_, text) => text,
    };
    view! {
        {row("Requests", count(a.requests), count(b.requests), canary_share(a.requests, b.requests))}
        {row("Latency samples", count(a.latency_samples), count(b.latency_samples), String::new())}
        {row("P50", p(a.p50_ms), p(b.p50_ms), d(a.p50_ms, b.p50_ms))}
        {row("P95", p(a.p95_ms), p(b.p95_ms), d(a.p95_ms, b.p95_ms))}
        {row("P99", p(a.p99_ms), p(b.p99_ms), d(a.p99_ms, b.p99_ms))}
        {row("Mean", format_ms(a.mean_ms), format_ms(b.mean_ms), delta_ms(a.mean_ms, b.mean_ms))}
        {row("Failures", count(a.failures), count(b.failures), String::new())}
        {row(
            "Error rate",
            format_pct(a.error_rate_pct),
            format_pct(b.error_rate_pct),
            delta_points(a.error_rate_pct, b.error_rate_pct),
        )}
    }
}

/// What the verdict means, in a sentence.
fn verdict_sentence(c: &CohortComparison) -> String {
    let t = &c.latency_test;
    match c.verdict {
        LatencyVerdict::NotEnoughData => format!(
            "Not enough data for a call: the test needs at least {MIN_SAMPLES_PER_SIDE} latency samples per cohort (canary {}, control {}). The numbers are shown, but do not read a difference into them.",
            t.n_canary, t.n_control
        ),
        LatencyVerdict::NoSignificantDifference => format!(
            "No significant latency difference between canary and control (p ≥ {ALPHA})."
        ),
        LatencyVerdict::CanaryFaster => format!(
            "The canary is significantly faster than control (p < {ALPHA}){}.",
            shift_words(t.hodges_lehmann_ms.map(f64::abs))
        ),
        LatencyVerdict::CanarySlower => format!(
            "The canary is significantly slower than control (p < {ALPHA}){}.",
            shift_words(t.hodges_lehmann_ms)
        ),
    }
}

/// `, by about 12.3 ms (Hodges–Lehmann)`; nothing without a shift (binned counts give none).
fn shift_words(shift: Option<f64>) -> String {
    match shift {
        Some(v) if v.is_finite() => format!(", by about {} (Hodges–Lehmann)", format_ms(Some(v))),
        _ => String::new(),
    }
}

/// Canary and control cohorts side by side, with the Mann-Whitney test of latency.
#[component]
pub fn CanaryVsControl(
    /// The window's analysis (its cohorts are shown).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
) -> impl IntoView {
    let body = move || {
        let Some(c) = analysis.get().cohorts.clone() else {
            return view! {
                <p class="empty-state">"No time range: there are no requests to split into canary and control."</p>
            }
            .into_any();
        };
        if c.canary.requests == 0 && c.control.requests == 0 {
            return view! {
                <p class="empty-state" data-testid="cohorts-empty">
                    <span class="status status-none">"no cohorts"</span>
                    {format!(
                        " None of the {} requests in this window carries details.canary, so canary and control cannot be told apart and the absolute rules decide the verdict alone. The backend must log details.canary = true on the canary path and false elsewhere.",
                        c.untagged_requests
                    )}
                </p>
            }
            .into_any();
        }
        let t = c.latency_test.clone();
        let hl = match t.hodges_lehmann_ms {
            Some(v) if v.is_finite() => format!("{v:+.1} ms"),
            _ => "—".to_owned(),
        };
        let interval = match (t.hodges_lehmann_low_ms, t.hodges_lehmann_high_ms) {
            (Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() => {
                format!("{lo:+.1} to {hi:+.1} ms")
            }
            _ => "—".to_owned(),
        };
        let a = analysis.get();
        let bound = a.metrics.window.percentile_relative_error;
        let rules = if a.from_rollups() {
            view! {
                {rules_view(&a.cohort_rules)}
                <p class="verdict-sentence" data-testid="cohort-rules-from-rollups">
                    "From the rollups: the error and mem0 rules count exactly; the latency rules compare binned latencies within ±1 %, and an alert that bound leaves open is listed as uncertain with the others. The endpoints and error types behind an alert need the rows."
                </p>
                <ReadRowsButton />
            }
            .into_any()
        } else {
            rules_view(&a.cohort_rules).into_any()
        };
        view! {
            {rules}
            <p class="verdict-line">
                "Latency verdict: "
                <span class=verdict_class(c.verdict) data-testid="cohort-verdict">{c.verdict.label()}</span>
            </p>
            <p class="verdict-sentence">{verdict_sentence(&c)}</p>
            <div class="table-scroll" role="region" aria-label="Canary against control" tabindex="0">
                <table class="cohort-table">
                    <thead>
                        <tr>
                            <th scope="col">"Metric"</th>
                            <th scope="col" class="num">"Canary"</th>
                            <th scope="col" class="num">"Control"</th>
                            <th scope="col" class="num">"Canary − control"</th>
                        </tr>
                    </thead>
                    <tbody>{cohort_rows(&c.canary, &c.control, bound)}</tbody>
                </table>
            </div>
            <p class="panel-note">
                {format!(
                    "{} requests without details.canary are in neither cohort.",
                    c.untagged_requests
                )}
            </p>
            <h3>"Mann–Whitney U test (two-sided)"</h3>
            {bound.map(|_| view! {
                <p class="panel-note" data-testid="cohort-test-binned">
                    "From the rollups' histograms: each bucket (values within about 1 %) is a group of ties, so U, z and p are approximate, and the Hodges–Lehmann shift, which needs the values, is not computed."
                </p>
            })}
            <dl class="facts stats">
                <dt>"U (canary)"</dt>
                <dd class="num">{stat(t.u_canary, 1)}</dd>
                <dt>"z"</dt>
                <dd class="num">{stat(t.z, 3)}</dd>
                <dt>"p"</dt>
                <dd class="num">{p_value(t.p_value)}</dd>
                <dt>"Rank-biserial r"</dt>
                <dd class="num">{stat(t.rank_biserial, 3)}</dd>
                <dt>"Hodges–Lehmann shift"</dt>
                <dd class="num">{hl}</dd>
                <dt>"95 % interval of the shift"</dt>
                <dd class="num">{interval}</dd>
                <dt>"n (canary / control)"</dt>
                <dd class="num">{format!("{} / {}", t.n_canary, t.n_control)}</dd>
            </dl>
            <p class="panel-note">"Positive z, r and shift: the canary is slower."</p>
        }
        .into_any()
    };
    view! {
        <section class="panel canary-vs-control" data-testid="canary-vs-control">
            <h2>"Canary vs control"</h2>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_never_print_nan() {
        assert_eq!(stat(Some(f64::NAN), 2), "—");
        assert_eq!(stat(None, 2), "—");
        assert_eq!(p_value(Some(1e-9)), "< 0.0001");
        assert_eq!(p_value(Some(0.04321)), "0.0432");
        assert_eq!(delta_ms(Some(10.0), None), "—");
        assert_eq!(delta_ms(Some(10.0), Some(12.5)), "-2.5 ms");
        assert_eq!(delta_points(Some(1.0), Some(0.5)), "+0.50 points");
        assert_eq!(canary_share(0, 0), "—");
        assert_eq!(canary_share(1, 9), "canary 10.0 % of tagged");
        assert_eq!(shift_words(None), "");
        assert_eq!(shift_words(Some(f64::NAN)), "");
        assert_eq!(
            shift_words(Some(12.34)),
            ", by about 12.3 ms (Hodges–Lehmann)"
        );
    }
}
