//! Canary and control cohorts side by side, with the Mann-Whitney test of latency.

use canary_core::cohort::{
    CohortComparison, CohortMetrics, LatencyVerdict, ALPHA, MIN_SAMPLES_PER_SIDE,
};
use canary_core::summary::{format_ms, format_pct};
use leptos::prelude::*;
use std::sync::Arc;

use canary_core::analysis::Analysis;

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

fn cohort_rows(a: &CohortMetrics, b: &CohortMetrics) -> impl IntoView {
    let count = |n: u64| n.to_string();
    view! {
        {row("Requests", count(a.requests), count(b.requests), canary_share(a.requests, b.requests))}
        {row("Latency samples", count(a.latency_samples), count(b.latency_samples), String::new())}
        {row("P50", format_ms(a.p50_ms), format_ms(b.p50_ms), delta_ms(a.p50_ms, b.p50_ms))}
        {row("P95", format_ms(a.p95_ms), format_ms(b.p95_ms), delta_ms(a.p95_ms, b.p95_ms))}
        {row("P99", format_ms(a.p99_ms), format_ms(b.p99_ms), delta_ms(a.p99_ms, b.p99_ms))}
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
            "The canary is significantly faster than control (p < {ALPHA}), by about {} (Hodges–Lehmann).",
            format_ms(t.hodges_lehmann_ms.map(f64::abs))
        ),
        LatencyVerdict::CanarySlower => format!(
            "The canary is significantly slower than control (p < {ALPHA}), by about {} (Hodges–Lehmann).",
            format_ms(t.hodges_lehmann_ms)
        ),
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
                        " None of the {} requests in this window carries details.canary, so canary and control cannot be told apart. The backend must log details.canary = true on the canary path and false elsewhere.",
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
        view! {
            <p class="verdict-line">
                "Latency verdict: "
                <span class=verdict_class(c.verdict) data-testid="cohort-verdict">{c.verdict.label()}</span>
            </p>
            <p class="verdict-sentence">{verdict_sentence(&c)}</p>
            <div class="table-scroll">
                <table class="cohort-table">
                    <thead>
                        <tr>
                            <th scope="col">"Metric"</th>
                            <th scope="col" class="num">"Canary"</th>
                            <th scope="col" class="num">"Control"</th>
                            <th scope="col" class="num">"Canary − control"</th>
                        </tr>
                    </thead>
                    <tbody>{cohort_rows(&c.canary, &c.control)}</tbody>
                </table>
            </div>
            <p class="panel-note">
                {format!(
                    "{} requests without details.canary are in neither cohort.",
                    c.untagged_requests
                )}
            </p>
            <h3>"Mann–Whitney U test (two-sided)"</h3>
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
    }
}
