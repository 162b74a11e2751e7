//! Canary and control cohorts side by side, with the Mann-Whitney test of latency.

use canary_core::cohort::CohortComparison;
use leptos::prelude::*;
use std::sync::Arc;

/// Canary and control cohorts side by side, with the Mann-Whitney test of latency.
#[component]
pub fn CanaryVsControl(
    /// The cohorts of the window.
    #[prop(into)]
    comparison: Signal<Option<Arc<CohortComparison>>>,
) -> impl IntoView {
    let _ = comparison;
    view! { <section class="panel" data-testid="canary-vs-control"><h2>"CanaryVsControl"</h2></section> }
}
