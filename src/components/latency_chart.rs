//! The latency chart panel: P50 / P95 / P99 per bucket with the warning and critical lines, the
//! latency alert periods shaded and the circuit breaker's state as a band under the chart.

use std::sync::Arc;

use canary_core::alerts::Rule;
use leptos::prelude::*;

use super::chart_panel::ChartPanel;
use crate::charts::{describe_periods, latency, thresholds_in_words};
use canary_core::analysis::Analysis;

/// What the latency chart shows, for screen readers, with its lines from `rules`.
pub fn aria_label(rules: &[Rule]) -> String {
    format!(
        "P50, P95 and P99 latency per bucket with {}, latency alert periods shaded by level, and the circuit breaker's state as a band under the chart",
        thresholds_in_words(&latency::thresholds(rules))
    )
}

/// P50/P95/P99 latency over the window, drawn as SVG, with the latency alerts shaded and the
/// breaker band; the shaded periods are also listed in words under the chart.
#[component]
pub fn LatencyChart(
    /// The window's analysis (its series and alerts are drawn).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
    /// The rule table the alerts were evaluated with (its P50 thresholds are drawn).
    rules: Arc<[Rule]>,
) -> impl IntoView {
    let aria_label = aria_label(&rules);
    let svg = Memo::new(move |_| {
        let a = analysis.get();
        latency::render_svg(
            &a.series,
            &a.evaluation.alerts,
            &a.breaker_timeline,
            &rules,
            latency::SIZE,
        )
    });
    let periods = Memo::new(move |_| {
        let a = analysis.get();
        let bound = a.metrics.window.percentile_relative_error;
        describe_periods(&a.evaluation.alerts, &latency::METRICS, bound)
    });
    view! {
        <ChartPanel
            analysis=analysis
            testid="latency-chart"
            heading="Latency"
            svg=svg
            periods=periods
            class="chart chart-wide"
            aria_label=aria_label
            periods_label="Latency alert periods"
            no_periods="No latency alerts in this window."
            no_data="No requests with a latency in this window."
        />
    }
}
