//! The circuit breaker's current state and its transition history.

use canary_core::metrics::CircuitBreaker;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// The circuit breaker's current state and its transition history.
#[component]
pub fn BreakerPanel(
    /// State at the window's end and transitions in it.
    #[prop(into)]
    breaker: Signal<CircuitBreaker>,
    /// When it had been closed 15 minutes after its last open.
    #[prop(into)]
    recovered_at: Signal<Option<DateTime<Utc>>>,
) -> impl IntoView {
    let _ = breaker;
    let _ = recovered_at;
    view! { <section class="panel" data-testid="breaker-panel"><h2>"BreakerPanel"</h2></section> }
}
