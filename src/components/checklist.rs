//! The validation checklist: scheduled checks filled from the data, ticked and annotated by a person, persisted and exportable.

use canary_core::phases::ChecklistItem;
use leptos::prelude::*;

/// The validation checklist: scheduled checks filled from the data, ticked and annotated by a person, persisted and exportable.
#[component]
pub fn Checklist(
    /// The scheduled checks with their data verdicts.
    #[prop(into)]
    items: Signal<Vec<ChecklistItem>>,
    /// The phase the checks belong to.
    #[prop(into)]
    phase: Signal<u8>,
) -> impl IntoView {
    let _ = items;
    let _ = phase;
    view! { <section class="panel" data-testid="checklist"><h2>"Checklist"</h2></section> }
}
