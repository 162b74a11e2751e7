//! The panels of one analysed data set.

use std::sync::Arc;

use canary_core::time::format_minute;
use leptos::prelude::*;

use super::latency_chart::LatencyChart;
use super::success_metrics::SuccessMetrics;
use crate::data::Analysis;

/// Every panel of the console for one analysed window.
#[component]
pub fn Dashboard(
    /// The loaded data set and its numbers.
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
) -> impl IntoView {
    let metrics = Signal::derive(move || analysis.get().metrics.clone());
    let series = Signal::derive(move || analysis.get().series.clone());
    let window_text = move || {
        let a = analysis.get();
        format!(
            "{} to {} · {} events",
            format_minute(a.window.from),
            format_minute(a.window.to),
            a.metrics.window.events
        )
    };
    let notes = move || analysis.get().metrics.window.notes.clone();

    view! {
        <section class="window-info" data-testid="window-info">
            <p class="window">{window_text}</p>
            <Show when=move || !notes().is_empty()>
                <details class="data-notes">
                    <summary>{move || format!("{} data-quality notes", notes().len())}</summary>
                    <ul>{move || notes().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                </details>
            </Show>
        </section>
        <SuccessMetrics metrics=metrics />
        <LatencyChart series=series />
    }
}
