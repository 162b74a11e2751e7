//! This phase against the previous one: P50, P95 and error rate.

use canary_core::phases::PhaseComparison;
use leptos::prelude::*;

/// This phase against the previous one: P50, P95 and error rate.
#[component]
pub fn PhaseComparisonPanel(
    /// The comparison, when there is a previous phase with data.
    #[prop(into)]
    comparison: Signal<Option<PhaseComparison>>,
    /// The phase being watched.
    #[prop(into)]
    phase: Signal<u8>,
) -> impl IntoView {
    let _ = comparison;
    let _ = phase;
    view! { <section class="panel" data-testid="phase-comparison"><h2>"PhaseComparisonPanel"</h2></section> }
}
