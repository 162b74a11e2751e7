//! Hit rate by resource type, average miss time, and cache stampedes.

use canary_core::metrics::{Cache, CachePrefix, CacheStampede};
use leptos::prelude::*;

/// Hit rate by resource type, average miss time, and cache stampedes.
#[component]
pub fn CachePanel(
    /// Overall cache counts.
    #[prop(into)]
    cache: Signal<Cache>,
    /// Cache numbers by resource type.
    #[prop(into)]
    prefixes: Signal<Vec<CachePrefix>>,
    /// Keys with more than 10 misses in 15 minutes.
    #[prop(into)]
    stampedes: Signal<Vec<CacheStampede>>,
) -> impl IntoView {
    let _ = cache;
    let _ = prefixes;
    let _ = stampedes;
    view! { <section class="panel" data-testid="cache-panel"><h2>"CachePanel"</h2></section> }
}
