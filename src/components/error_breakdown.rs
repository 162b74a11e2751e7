//! Failures by error type and message with occurrences and last seen.

use std::sync::Arc;

use canary_core::alerts::{MetricId, Rule};
use canary_core::metrics::{Metrics, LAST_REQUESTS};
use canary_core::report::neutralise_invisible;
use canary_core::summary::format_pct;
use leptos::prelude::*;

use super::data_panel::DataPanel;
use super::data_table::DataTable;
use super::panel_helpers::{key_cell, time_view, RateStatus};
use super::stat::Stat;

/// Requests, failures and error rate of the window and of its last 1000 requests, then the
/// failures grouped by type and message (most frequent first) with occurrences and last seen.
#[component]
pub fn ErrorBreakdown(
    /// The window's metrics (only this panel's part is read).
    #[prop(into)]
    metrics: Signal<Arc<Metrics>>,
    /// The rule table the alerts are evaluated with (its error-rate rules colour the rates).
    rules: Arc<[Rule]>,
) -> impl IntoView {
    // Its parts (request and failure counts, failures grouped by type and message), read
    // through the one metrics signal every data panel shares.
    let errors = move || metrics.get().errors.clone();
    let groups = move || metrics.get().errors_by_type.clone();
    let status = RateStatus::of(&rules, MetricId::ErrorRate);
    view! {
        <DataPanel
            testid="error-breakdown"
            heading="Errors"
            has_data=Signal::derive(move || errors().requests > 0)
            empty_note="No requests in this window."
        >
            {move || {
                let e = errors();
                let last = e.last_1000_requests.clone();
                let last_name = if last.requests < LAST_REQUESTS as u64 {
                    format!("Last {} requests (all)", last.requests)
                } else {
                    format!("Last {LAST_REQUESTS} requests")
                };
                view! {
                    <dl class="stat-list">
                        <Stat name="Requests">{e.requests}</Stat>
                        <Stat name="Failures">{e.failures}</Stat>
                        <Stat name="Error rate">
                            <span class=status.class(e.error_rate_pct)>{format_pct(e.error_rate_pct)}</span>
                        </Stat>
                        <Stat name=last_name>
                            <span class=status.class(last.error_rate_pct)>{format_pct(last.error_rate_pct)}</span>
                            <span class="sub">{format!(" {} failed", last.failures)}</span>
                        </Stat>
                    </dl>
                }
            }}
            <h3>"By type and message"</h3>
            <DataTable
                columns=&[("Type", false), ("Message", false), ("Occurrences", true), ("Last seen (UTC)", true)]
                has_rows=Signal::derive(move || !groups().is_empty())
                empty_note="No failed requests in this window."
                label="Errors by type and message"
            >
                {move || {
                    groups()
                        .into_iter()
                        .map(|g| {
                            let no_message = g.error_message.is_none();
                            view! {
                                <tr>
                                    {key_cell(g.error_type, "(no type)")}
                                    <td class="message" class:missing=no_message>
                                        {g
                                            .error_message
                                            .map_or_else(|| "(no message)".to_owned(), |m| neutralise_invisible(&m))}
                                    </td>
                                    <td class="num">{g.occurrences}</td>
                                    <td class="num">{time_view(g.last_seen, false)}</td>
                                </tr>
                            }
                        })
                        .collect_view()
                }}
            </DataTable>
        </DataPanel>
    }
}
