//! This phase against the previous one: P50, P95 and error rate.

use std::sync::Arc;

use canary_core::phases::{ComparisonRow, CriterionStatus, PhaseAssessment};
use canary_core::summary::{format_ms, format_pct};
use leptos::prelude::*;

/// The badge of a comparison row.
fn status_badge(s: CriterionStatus) -> (&'static str, &'static str) {
    match s {
        CriterionStatus::Pass => ("status status-ok", "pass"),
        CriterionStatus::Fail => ("status status-bad", "fail"),
        CriterionStatus::Pending => ("status status-none", "pending"),
        CriterionStatus::NoData => ("status status-none", "no data"),
    }
}

/// The previous value, this phase's and the change, as shown: latencies in ms with the change
/// in ms and percent, the error rate in percent with the change in points.
pub fn row_texts(r: &ComparisonRow) -> [String; 3] {
    let is_rate = r.id == "error_rate";
    let value = |v| if is_rate { format_pct(v) } else { format_ms(v) };
    let change = match (r.delta, r.ratio) {
        (Some(d), _) if !d.is_finite() => "—".to_owned(),
        (Some(d), _) if is_rate => format!("{d:+.2} points"),
        (Some(d), Some(ratio)) if ratio.is_finite() => {
            format!("{d:+.1} ms ({:+.1} %)", (ratio - 1.0) * 100.0)
        }
        (Some(d), _) => format!("{d:+.1} ms"),
        (None, _) => "—".to_owned(),
    };
    [value(r.previous), value(r.current), change]
}

/// This phase against the previous one: P50, P95 and error rate.
#[component]
pub fn PhaseComparisonPanel(
    /// The phase's assessment, with the comparison when there is a previous phase with data.
    #[prop(into)]
    assessment: Signal<Option<Arc<PhaseAssessment>>>,
    /// The phase being watched.
    #[prop(into)]
    phase: Signal<u8>,
) -> impl IntoView {
    let body = move || {
        let n = phase.get();
        let Some(c) = assessment.get().and_then(|p| p.comparison.clone()) else {
            let text = if n <= 1 {
                "Phase 1 is the first phase: there is no earlier phase to compare it with. Pick Phase 2 or 3 to see it against the phase before it (P50 and P95 at most 10 % slower, error rate at most 0.5 points higher).".to_owned()
            } else {
                format!(
                    "No data for Phase {} in the span just before Phase {n} started, so there is no baseline to compare with. Load data that covers both phases, or check the phases' start times.",
                    n - 1
                )
            };
            return view! { <p class="empty-state" data-testid="comparison-empty">{text}</p> }
                .into_any();
        };
        let rows = [c.p50_latency, c.p95_latency, c.error_rate]
            .into_iter()
            .map(|r| {
                let [previous, current, change] = row_texts(&r);
                let (class, word) = status_badge(r.status);
                view! {
                    <tr data-metric=r.id>
                        <th scope="row">{r.metric}</th>
                        <td class="num">{previous}</td>
                        <td class="num">{current}</td>
                        <td class="num">{change}</td>
                        <td>{r.rule.clone()}</td>
                        <td><span class=class>{word}</span></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-scroll" role="region" aria-label="Phase comparison" tabindex="0">
                <table class="comparison-table">
                    <thead>
                        <tr>
                            <th scope="col">"Metric"</th>
                            <th scope="col" class="num">{format!("Phase {}", n.saturating_sub(1))}</th>
                            <th scope="col" class="num">{format!("Phase {n}")}</th>
                            <th scope="col" class="num">"Change"</th>
                            <th scope="col">"Limit"</th>
                            <th scope="col">"Result"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p class="panel-note">
                {format!("Phase {n} so far, against the span of the same length just before it started.")}
            </p>
        }
        .into_any()
    };
    view! {
        <section class="panel phase-comparison" data-testid="phase-comparison">
            <h2>
                {move || match phase.get() {
                    n if n > 1 => format!("Phase {n} vs Phase {}", n - 1),
                    _ => "Phase vs previous phase".to_owned(),
                }}
            </h2>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(id: &'static str, prev: Option<f64>, cur: Option<f64>, expected: [&str; 3]) {
        let delta = prev.zip(cur).map(|(p, c)| c - p);
        let ratio = match (prev, cur) {
            (Some(p), Some(c)) if p > 0.0 && id != "error_rate" => Some(c / p),
            _ => None,
        };
        let r = ComparisonRow {
            id,
            metric: "",
            rule: String::new(),
            previous: prev,
            current: cur,
            delta,
            ratio,
            display: String::new(),
            status: CriterionStatus::Pass,
        };
        assert_eq!(row_texts(&r), expected.map(str::to_owned));
    }

    #[test]
    fn comparison_texts() {
        check(
            "p50_latency",
            Some(200.0),
            Some(220.0),
            ["200.0 ms", "220.0 ms", "+20.0 ms (+10.0 %)"],
        );
        check(
            "p95_latency",
            Some(0.0),
            Some(5.0),
            ["0.0 ms", "5.0 ms", "+5.0 ms"],
        );
        check(
            "error_rate",
            Some(0.5),
            Some(0.25),
            ["0.50 %", "0.25 %", "-0.25 points"],
        );
        check("p50_latency", None, Some(5.0), ["no data", "5.0 ms", "—"]);
    }
}
