//! Error rate per bucket with the 1 %, 2 % and 5 % lines and alert periods shaded.

use canary_core::alerts::Alert;
use canary_core::series::Series;
use leptos::prelude::*;
use std::sync::Arc;

/// Error rate per bucket with the 1 %, 2 % and 5 % lines and alert periods shaded.
#[component]
pub fn ErrorChart(
    /// The window's per-bucket series.
    #[prop(into)]
    series: Signal<Arc<Series>>,
    /// Alerts of the window (error-rate ones are shaded).
    #[prop(into)]
    alerts: Signal<Vec<Alert>>,
) -> impl IntoView {
    let _ = series;
    let _ = alerts;
    view! { <section class="panel" data-testid="error-chart"><h2>"ErrorChart"</h2></section> }
}
