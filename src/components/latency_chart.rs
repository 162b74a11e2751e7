//! The latency chart panel: P50 / P95 / P99 per bucket with the warning and critical lines, the
//! latency alert periods shaded and the circuit breaker's state as a band under the chart.

use std::sync::Arc;

use leptos::prelude::*;

use super::chart_figure::ChartFigure;
use crate::charts::{bucket_label, describe_periods, latency};
use canary_core::analysis::Analysis;

/// P50/P95/P99 latency over the window, drawn as SVG, with the latency alerts shaded and the
/// breaker band; the shaded periods are also listed in words under the chart.
#[component]
pub fn LatencyChart(
    /// The window's analysis (its series and alerts are drawn).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
) -> impl IntoView {
    let svg = Memo::new(move |_| {
        let a = analysis.get();
        latency::render_svg(
            &a.series,
            &a.evaluation.alerts,
            &a.breaker_timeline,
            latency::SIZE,
        )
    });
    let periods =
        Memo::new(move |_| describe_periods(&analysis.get().evaluation.alerts, &latency::METRICS));
    view! {
        <section class="panel data-panel" data-testid="latency-chart">
            <h2>
                "Latency "
                <span class="chart-bucket">{move || bucket_label(analysis.get().series.bucket)}</span>
            </h2>
            <ChartFigure
                svg=svg
                periods=periods
                class="chart chart-wide"
                aria_label="P50, P95 and P99 latency per bucket with the 400 ms warning and 500 ms critical lines, latency alert periods shaded by level, and the circuit breaker's state as a band under the chart"
                periods_label="Latency alert periods"
                no_periods="No latency alerts in this window."
                no_data="No requests with a latency in this window."
            />
        </section>
    }
}
