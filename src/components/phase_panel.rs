//! The phase: traffic, configuration flags, start, elapsed, target end, next check; definitions editable.

use canary_core::phases::{PhaseAssessment, PhaseDefinition};
use canary_core::Micros;
use leptos::prelude::*;
use std::sync::Arc;

/// The phase: traffic, configuration flags, start, elapsed, target end, next check; definitions editable.
#[component]
pub fn PhasePanel(
    /// All phase definitions (editable).
    #[prop(into)]
    phases: Signal<Vec<PhaseDefinition>>,
    /// The phase being watched.
    #[prop(into)]
    selected: Signal<u8>,
    /// The selected phase assessed as of now.
    #[prop(into)]
    assessment: Signal<Option<Arc<PhaseAssessment>>>,
    /// The current time.
    #[prop(into)]
    now: Signal<Micros>,
    /// Called with the edited definitions.
    on_phases_change: Callback<Vec<PhaseDefinition>>,
    /// Called when another phase is picked.
    on_select: Callback<u8>,
) -> impl IntoView {
    let _ = phases;
    let _ = selected;
    let _ = assessment;
    let _ = now;
    let _ = on_phases_change;
    let _ = on_select;
    view! { <section class="panel" data-testid="phase-panel"><h2>"PhasePanel"</h2></section> }
}
