//! Every alert of the window with level, since, until and worst value, and each rule's state now.

use canary_core::alerts::{Alert, RuleStatus};
use canary_core::metrics::Window;
use leptos::prelude::*;

/// Every alert of the window with level, since, until and worst value, and each rule's state now.
#[component]
pub fn AlertsTimeline(
    /// Alerts that fired in the window, oldest first.
    #[prop(into)]
    alerts: Signal<Vec<Alert>>,
    /// Every rule and its state now.
    #[prop(into)]
    rules: Signal<Vec<RuleStatus>>,
    /// The window shown.
    #[prop(into)]
    window: Signal<Option<Window>>,
) -> impl IntoView {
    let _ = alerts;
    let _ = rules;
    let _ = window;
    view! { <section class="panel" data-testid="alerts-timeline"><h2>"AlertsTimeline"</h2></section> }
}
