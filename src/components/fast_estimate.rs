//! The first numbers of a Supabase window, from the database's rollups, shown while the exact
//! read of its rows runs: the success metrics with every percentile worded with its bound.

use std::sync::Arc;

use canary_core::metrics::Metrics;
use canary_core::time::format_minute;
use leptos::prelude::*;

use super::success_metrics::SuccessMetrics;

/// The rollups' success metrics of the window being read, until the exact ones replace them.
#[component]
pub fn FastEstimate(
    /// The window's metrics from the rollups.
    #[prop(into)]
    metrics: Signal<Arc<Metrics>>,
) -> impl IntoView {
    let span = move || {
        metrics.with(|m| {
            let w = &m.window;
            match (w.from, w.to) {
                (Some(from), Some(to)) => format!(
                    "{} to {} UTC (whole minutes) · {} events",
                    format_minute(from.timestamp_micros()),
                    format_minute(to.timestamp_micros()),
                    w.events
                ),
                _ => format!("{} events", w.events),
            }
        })
    };
    view! {
        <section class="panel fast-estimate" data-testid="fast-estimate" aria-live="polite">
            <h2>"First numbers, from the rollups"</h2>
            <p>
                {span}
                ". Counts and rates are exact; percentiles marked ≈ are within the bound shown. \
                 The exact numbers replace these when every row has been read."
            </p>
            <SuccessMetrics metrics=metrics />
        </section>
    }
}
