//! The guide's success-metrics table: Metric | Target | Alert threshold | Measured | Status.

use std::sync::Arc;

use canary_core::metrics::Metrics;
use canary_core::summary::{success_rows, TargetStatus};
use leptos::prelude::*;

fn status_class(status: TargetStatus) -> &'static str {
    match status {
        TargetStatus::Met => "status status-ok",
        TargetStatus::Missed => "status status-bad",
        TargetStatus::NoData => "status status-none",
    }
}

/// The success-metrics table of the window.
#[component]
pub fn SuccessMetrics(
    /// The window's metrics.
    #[prop(into)]
    metrics: Signal<Arc<Metrics>>,
) -> impl IntoView {
    let rows = move || success_rows(&metrics.get());
    view! {
        <section class="panel" data-testid="success-metrics">
            <h2>"Success metrics"</h2>
            <table class="metrics-table">
                <thead>
                    <tr>
                        <th scope="col">"Metric"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"Alert threshold"</th>
                        <th scope="col" class="num">"Measured"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=rows key=|row| row.id let:row>
                        <tr data-metric=row.id>
                            <th scope="row">{row.metric}</th>
                            <td>{row.target}</td>
                            <td>{row.alert_threshold}</td>
                            <td class="num">{row.measured.clone()}</td>
                            <td>
                                <span class=status_class(row.status)>{row.status.label()}</span>
                            </td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </section>
    }
}
