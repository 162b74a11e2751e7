//! The verdict now: status word, firing alerts and the escalation instruction.

use canary_core::alerts::{Alert, Status};
use leptos::prelude::*;

/// The verdict now: status word, firing alerts and the escalation instruction.
#[component]
pub fn StatusBanner(
    /// The status now (highest level firing).
    #[prop(into)]
    status: Signal<Status>,
    /// Alerts firing at the end of the window.
    #[prop(into)]
    firing: Signal<Vec<Alert>>,
    /// The worst status reached anywhere in the window.
    #[prop(into)]
    status_in_window: Signal<Status>,
) -> impl IntoView {
    let _ = status;
    let _ = firing;
    let _ = status_in_window;
    view! { <section class="panel" data-testid="status-banner"><h2>"StatusBanner"</h2></section> }
}
