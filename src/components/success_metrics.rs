//! The guide's success-metrics table: Metric | Target | Alert threshold | Measured | Status. On a
//! narrow screen each row stacks into a block of labelled lines (the style sheet reads each
//! cell's `data-label`), so the measured value and the status are never off-screen.

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
    view! {
        <section class="panel" data-testid="success-metrics">
            <h2>"Success metrics"</h2>
            <div class="table-scroll" role="region" aria-label="Success metrics" tabindex="0">
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
                    // Every row again when the metrics change: a keyed `<For>` would keep the
                    // rows of unchanged metric ids, and with them the values of the first window.
                    {move || {
                        success_rows(&metrics.get())
                            .into_iter()
                            .map(|row| {
                                view! {
                                    <tr data-metric=row.id>
                                        <th scope="row">{row.metric}</th>
                                        <td data-label="Target">{row.target}</td>
                                        <td data-label="Alert threshold">{row.alert_threshold}</td>
                                        <td class="num measured" data-label="Measured">{row.measured}</td>
                                        <td class="status-cell" data-label="Status">
                                            <span class=status_class(row.status)>{row.status.label()}</span>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            </div>
        </section>
    }
}
