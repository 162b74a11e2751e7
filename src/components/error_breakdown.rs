//! Failures by error type and message with occurrences and last seen.

use canary_core::metrics::{ErrorGroup, Errors};
use leptos::prelude::*;

/// Failures by error type and message with occurrences and last seen.
#[component]
pub fn ErrorBreakdown(
    /// Request and failure counts of the window.
    #[prop(into)]
    errors: Signal<Errors>,
    /// Failures grouped by type and message.
    #[prop(into)]
    groups: Signal<Vec<ErrorGroup>>,
) -> impl IntoView {
    let _ = errors;
    let _ = groups;
    view! { <section class="panel" data-testid="error-breakdown"><h2>"ErrorBreakdown"</h2></section> }
}
