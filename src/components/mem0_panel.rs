//! mem0 write success, average and max write time, slow writes, failures by type.

use std::sync::Arc;

use canary_core::metrics::Metrics;
use canary_core::summary::{format_ms, format_pct};
use leptos::prelude::*;

use super::show_if::ShowIf;

use super::error_breakdown::{breakable, time_view};

/// The status class of a write success rate against the guide's 99 % target and 95 % critical
/// line.
fn success_class(rate: Option<f64>) -> &'static str {
    match rate {
        None => "status status-none",
        Some(r) if r < 95.0 => "status status-bad",
        Some(r) if r <= 99.0 => "status status-warn",
        Some(_) => "status status-ok",
    }
}

/// Writes, success rate, average and maximum write time and slow writes (over 5 s), then the
/// failed writes by error type with their average time and last failure.
#[component]
pub fn Mem0Panel(
    /// The window's metrics (only this panel's part is read).
    #[prop(into)]
    metrics: Signal<Arc<Metrics>>,
) -> impl IntoView {
    // Its parts, read through the one metrics signal every data panel shares.
    let mem0 = move || metrics.get().mem0.clone();
    let failures = move || metrics.get().mem0_failures_by_type.clone();
    view! {
        <section class="panel data-panel" data-testid="mem0-panel">
            <h2>"mem0 writes"</h2>
            <ShowIf
                when=move || { mem0().total_writes > 0 }
                fallback=|| view! { <p class="empty-note">"No mem0 writes in this window."</p> }
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
                            <div>
                                <dt>"Writes"</dt>
                                <dd class="num">{m.total_writes}</dd>
                            </div>
                            <div>
                                <dt>"Success rate"</dt>
                                <dd class="num">
                                    <span class=success_class(m.success_rate_pct)>{format_pct(m.success_rate_pct)}</span>
                                </dd>
                            </div>
                            <div>
                                <dt>"Avg write time"</dt>
                                <dd class="num">{format_ms(m.avg_write_time_ms)}</dd>
                            </div>
                            <div>
                                <dt>"Max write time"</dt>
                                <dd class="num">{format_ms(m.max_write_time_ms)}</dd>
                            </div>
                            <div>
                                <dt>"Slow writes (> 5 s)"</dt>
                                <dd class="num">
                                    <span class=slow_class>{m.slow_writes_over_5s}</span>
                                </dd>
                            </div>
                        </dl>
                    }
                }}
                <h3>"Failures by type"</h3>
                <ShowIf
                    when=move || !failures().is_empty()
                    fallback=|| view! { <p class="empty-note">"No failed writes in this window."</p> }
                >
                    <div class="table-scroll" role="region" aria-label="mem0 failures by type" tabindex="0">
                        <table class="data-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Error type"</th>
                                    <th scope="col" class="num">"Failures"</th>
                                    <th scope="col" class="num">"Avg time"</th>
                                    <th scope="col" class="num">"Last failure (UTC)"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {move || {
                                    failures()
                                        .into_iter()
                                        .map(|f| {
                                            let no_type = f.error_type.is_none();
                                            let error_type = f.error_type.unwrap_or_else(|| "(no type)".to_owned());
                                            view! {
                                                <tr>
                                                    <th scope="row" class="key" class:missing=no_type>
                                                        {breakable(&error_type)}
                                                    </th>
                                                    <td class="num">{f.failures}</td>
                                                    <td class="num">{format_ms(f.avg_time_ms)}</td>
                                                    <td class="num">
                                                        {time_view(f.last_failure, false)}
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()
                                }}
                            </tbody>
                        </table>
                    </div>
                </ShowIf>
            </ShowIf>
        </section>
    }
}
