//! The daily status email and the phase sign-off as Markdown: preview, copy, download.

use std::sync::Arc;

use leptos::prelude::*;

use crate::analysis::Analysis;

/// Report view of the window.
#[component]
pub fn ReportPanel(
    /// The analysis the reports are written from.
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
) -> impl IntoView {
    let _ = analysis;
    view! { <section class="panel" data-testid="report-panel"><h2>"Reports"</h2></section> }
}
