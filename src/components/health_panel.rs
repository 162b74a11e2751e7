//! Fetches a backend's /health URL and shows its JSON, or exactly why it could not.

use leptos::prelude::*;

/// Fetches a backend's /health URL and shows its JSON, or exactly why it could not.
#[component]
pub fn HealthPanel(
    /// The health URL.
    #[prop(into)]
    url: Signal<String>,
    /// Called with a new URL.
    on_url: Callback<String>,
) -> impl IntoView {
    let _ = url;
    let _ = on_url;
    view! { <section class="panel" data-testid="health-panel"><h2>"HealthPanel"</h2></section> }
}
