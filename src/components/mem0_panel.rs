//! mem0 write success, average and max write time, slow writes, failures by type.

use std::sync::Arc;

use canary_core::alerts::{MetricId, Rule};
use canary_core::metrics::{Metrics, SLOW_WRITE_MS};
use canary_core::summary::{format_ms, format_pct};
use leptos::prelude::*;

use super::data_panel::DataPanel;
use super::data_table::DataTable;
use super::panel_helpers::{key_cell, time_view, RateStatus};
use super::stat::Stat;

/// Writes, success rate, average and maximum write time and slow writes, then the failed
/// writes by error type with their average time and last failure.
#[component]
pub fn Mem0Panel(
    /// The window's metrics (only this panel's part is read).
    #[prop(into)]
    metrics: Signal<Arc<Metrics>>,
    /// The rule table the alerts are evaluated with (its write-success rules colour the rate).
    rules: Arc<[Rule]>,
) -> impl IntoView {
    // Its parts, read through the one metrics signal every data panel shares.
    let mem0 = move || metrics.get().mem0.clone();
    let failures = move || metrics.get().mem0_failures_by_type.clone();
    let status = RateStatus::of(&rules, MetricId::Mem0WriteSuccess);
    view! {
        <DataPanel
            testid="mem0-panel"
            heading="mem0 writes"
            has_data=Signal::derive(move || mem0().total_writes > 0)
            empty_note="No mem0 writes in this window."
        >
            {move || {
                let m = mem0();
                let slow_class = if m.slow_writes_over_5s > 0 {
                    "status status-warn"
                } else {
                    "status status-ok"
                };
                view! {
                    <dl class="stat-list">
                        <Stat name="Writes">{m.total_writes}</Stat>
                        <Stat name="Success rate">
                            <span class=status.class(m.success_rate_pct)>{format_pct(m.success_rate_pct)}</span>
                        </Stat>
                        <Stat name="Avg write time">{format_ms(m.avg_write_time_ms)}</Stat>
                        <Stat name="Max write time">{format_ms(m.max_write_time_ms)}</Stat>
                        <Stat name=format!("Slow writes (> {} s)", SLOW_WRITE_MS / 1000.0)>
                            <span class=slow_class>{m.slow_writes_over_5s}</span>
                        </Stat>
                    </dl>
                }
            }}
            <h3>"Failures by type"</h3>
            <DataTable
                columns=&[("Error type", false), ("Failures", true), ("Avg time", true), ("Last failure (UTC)", true)]
                has_rows=Signal::derive(move || !failures().is_empty())
                empty_note="No failed writes in this window."
            >
                {move || {
                    failures()
                        .into_iter()
                        .map(|f| {
                            view! {
                                <tr>
                                    {key_cell(f.error_type, "(no type)")}
                                    <td class="num">{f.failures}</td>
                                    <td class="num">{format_ms(f.avg_time_ms)}</td>
                                    <td class="num">{time_view(f.last_failure, false)}</td>
                                </tr>
                            }
                        })
                        .collect_view()
                }}
            </DataTable>
        </DataPanel>
    }
}
