//! mem0 write success, average and max write time, slow writes, failures by type.

use canary_core::metrics::{Mem0, Mem0Failure};
use leptos::prelude::*;

/// mem0 write success, average and max write time, slow writes, failures by type.
#[component]
pub fn Mem0Panel(
    /// mem0 write numbers of the window.
    #[prop(into)]
    mem0: Signal<Mem0>,
    /// Failed writes by error type.
    #[prop(into)]
    failures: Signal<Vec<Mem0Failure>>,
) -> impl IntoView {
    let _ = mem0;
    let _ = failures;
    view! { <section class="panel" data-testid="mem0-panel"><h2>"Mem0Panel"</h2></section> }
}
