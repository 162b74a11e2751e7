//! The circuit breaker's current state and its transition history.

use std::sync::Arc;

use leptos::prelude::*;

use canary_core::analysis::Analysis;

use super::data_table::DataTable;

use super::panel_helpers::time_view;

/// A breaker state for people (`half_open` → "half-open") and its status class: closed is
/// good, half-open a warning, open critical; anything else the data names is shown as it is.
pub fn state_view(state: Option<&str>) -> (String, &'static str) {
    match state {
        Some("closed") => ("closed".to_owned(), "status status-ok"),
        Some("half_open") => ("half-open".to_owned(), "status status-warn"),
        Some("open") => ("open".to_owned(), "status status-bad"),
        Some(other) => (other.to_owned(), "status status-none"),
        None => ("(no state)".to_owned(), "status status-none"),
    }
}

/// A failure or success count from `details` (null when the row did not say).
fn count(v: Option<i64>) -> String {
    v.map_or_else(|| "no data".to_owned(), |n| n.to_string())
}

/// The breaker's state at the window's end (coloured), when it recovered (closed for 15
/// minutes after its last open), and its transitions in the window, newest first.
#[component]
pub fn BreakerPanel(
    /// The window's analysis (only this panel's part is read).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
) -> impl IntoView {
    // The state at the window's end and the transitions in it, and when it had been closed 15
    // minutes after its last open, read through the one analysis signal.
    let breaker = move || analysis.get().metrics.circuit_breaker.clone();
    let recovered_at = move || analysis.get().evaluation.breaker_recovered_at;
    view! {
        <section class="panel data-panel" data-testid="breaker-panel">
            <h2>"Circuit breaker"</h2>
            <dl class="stat-list">
                <div>
                    <dt>"State now"</dt>
                    <dd data-testid="breaker-state">
                        {move || {
                            let (text, class) = state_view(Some(&breaker().current_state));
                            view! { <span class=class>{text}</span> }
                        }}
                    </dd>
                </div>
                <div>
                    <dt>"Transitions"</dt>
                    <dd class="num">{move || breaker().transitions.len()}</dd>
                </div>
                {move || {
                    recovered_at()
                        .map(|t| {
                            view! {
                                <div>
                                    <dt>"Recovered at (UTC)"</dt>
                                    <dd>{time_view(t, true)}</dd>
                                </div>
                            }
                        })
                }}
            </dl>
            <h3>"Transitions, newest first"</h3>
            <DataTable
                columns=&[("State", false), ("Failures", true), ("Successes", true), ("At (UTC)", true)]
                has_rows=Signal::derive(move || !breaker().transitions.is_empty())
                empty_note="No state changes in this window."
                testid="breaker-transitions"
            >
                {move || {
                    breaker()
                        .transitions
                        .into_iter()
                        .map(|t| {
                            let (text, class) = state_view(t.state.as_deref());
                            view! {
                                <tr>
                                    <td>
                                        <span class=class>{text}</span>
                                    </td>
                                    <td class="num">{count(t.failure_count)}</td>
                                    <td class="num">{count(t.success_count)}</td>
                                    <td class="num">{time_view(t.at, true)}</td>
                                </tr>
                            }
                        })
                        .collect_view()
                }}
            </DataTable>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_view_table() {
        let check = |state: Option<&str>, text: &str, class: &str| {
            assert_eq!(state_view(state), (text.to_owned(), class), "{state:?}");
        };
        check(Some("closed"), "closed", "status status-ok");
        check(Some("half_open"), "half-open", "status status-warn");
        check(Some("open"), "open", "status status-bad");
        check(Some("tripped"), "tripped", "status status-none");
        check(None, "(no state)", "status status-none");
    }
}
