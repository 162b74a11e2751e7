//! The guide's troubleshooting steps beside each failing metric.

use canary_core::alerts::MetricId;
use leptos::prelude::*;

/// The guide's troubleshooting steps beside each failing metric.
#[component]
pub fn Runbook(
    /// Metrics failing now (firing alerts or failed criteria).
    #[prop(into)]
    failing: Signal<Vec<MetricId>>,
) -> impl IntoView {
    let _ = failing;
    view! { <section class="panel" data-testid="runbook"><h2>"Runbook"</h2></section> }
}
