//! Hit rate by resource type, average miss time, and cache stampedes.

use std::sync::Arc;

use canary_core::alerts::STAMPEDE_CRITICAL_MISSES;
use canary_core::metrics::{Metrics, STAMPEDE_MIN_MISSES};
use canary_core::summary::{format_ms, format_pct};
use leptos::prelude::*;

use super::show_if::ShowIf;

use super::error_breakdown::{breakable, time_view};

/// The status class of a hit rate against the guide's 95 % target and 90 % critical line.
fn hit_class(rate: Option<f64>) -> &'static str {
    match rate {
        None => "status status-none",
        Some(r) if r < 90.0 => "status status-bad",
        Some(r) if r <= 95.0 => "status status-warn",
        Some(_) => "status status-ok",
    }
}

/// The verdict on a stampede: its label and status class.
pub fn stampede_level(misses: u64) -> (&'static str, &'static str) {
    if misses > STAMPEDE_CRITICAL_MISSES {
        ("critical", "status status-bad")
    } else if misses > STAMPEDE_MIN_MISSES {
        ("detected", "status status-warn")
    } else {
        ("below threshold", "status status-none")
    }
}

/// Accesses, hits and hit rate; the same by resource type with the average miss time; and the
/// keys with a stampede (more than 10 misses in 15 minutes; more than 20 is critical).
#[component]
pub fn CachePanel(
    /// The window's metrics (only this panel's part is read).
    #[prop(into)]
    metrics: Signal<Arc<Metrics>>,
) -> impl IntoView {
    // Its parts (overall counts, by resource type, keys with more than 10 misses in 15
    // minutes), read through the one metrics signal every data panel shares.
    let cache = move || metrics.get().cache.clone();
    let prefixes = move || metrics.get().cache_by_prefix.clone();
    let stampedes = move || metrics.get().cache_stampedes.clone();
    view! {
        <section class="panel data-panel" data-testid="cache-panel">
            <h2>"Cache"</h2>
            <ShowIf
                when=move || { cache().accesses > 0 }
                fallback=|| view! { <p class="empty-note">"No cache accesses in this window."</p> }
            >
                {move || {
                    let c = cache();
                    view! {
                        <dl class="stat-list">
                            <div>
                                <dt>"Accesses"</dt>
                                <dd class="num">{c.accesses}</dd>
                            </div>
                            <div>
                                <dt>"Hits"</dt>
                                <dd class="num">{c.hits}</dd>
                            </div>
                            <div>
                                <dt>"Hit rate"</dt>
                                <dd class="num">
                                    <span class=hit_class(c.hit_rate_pct)>{format_pct(c.hit_rate_pct)}</span>
                                </dd>
                            </div>
                        </dl>
                    }
                }}
                <h3>"By resource type"</h3>
                <div class="table-scroll">
                    <table class="data-table">
                        <thead>
                            <tr>
                                <th scope="col">"Resource type"</th>
                                <th scope="col" class="num">"Accesses"</th>
                                <th scope="col" class="num">"Hit rate"</th>
                                <th scope="col" class="num">"Avg miss time"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {move || {
                                prefixes()
                                    .into_iter()
                                    .map(|p| {
                                        let no_type = p.resource_type.is_none();
                                        view! {
                                            <tr>
                                                <th scope="row" class="key" class:missing=no_type>
                                                    {breakable(&p.resource_type.unwrap_or_else(|| "(no type)".to_owned()))}
                                                </th>
                                                <td class="num">{p.accesses}</td>
                                                <td class="num">{format_pct(p.hit_rate_pct)}</td>
                                                <td class="num">
                                                    {if p.avg_miss_time_ms.is_some() {
                                                        format_ms(p.avg_miss_time_ms)
                                                    } else {
                                                        "no misses".to_owned()
                                                    }}
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
            <h3>"Stampedes"</h3>
            <ShowIf
                when=move || !stampedes().is_empty()
                fallback=|| {
                    view! {
                        <p class="empty-note">
                            "No stampede: no key had more than 10 misses within 15 minutes."
                        </p>
                    }
                }
            >
                <ul class="stampede-list" data-testid="stampedes">
                    {move || {
                        stampedes()
                            .into_iter()
                            .map(|s| {
                                let (label, class) = stampede_level(s.concurrent_misses);
                                let no_key = s.cache_key.is_none();
                                let key = s.cache_key.unwrap_or_else(|| "(no key)".to_owned());
                                view! {
                                    <li class="stampede" data-key=key.clone()>
                                        <p class="stampede-key">
                                            <code class:missing=no_key>{breakable(&key)}</code>
                                            " "
                                            <span class=class>{label}</span>
                                        </p>
                                        <dl class="stampede-facts">
                                            <div>
                                                <dt>"Misses in 15 min"</dt>
                                                <dd class="num" data-testid="stampede-misses">
                                                    {s.concurrent_misses}
                                                </dd>
                                            </div>
                                            <div>
                                                <dt>"First miss (UTC)"</dt>
                                                <dd>{time_view(s.first_miss, true)}</dd>
                                            </div>
                                            <div>
                                                <dt>"Last miss (UTC)"</dt>
                                                <dd>{time_view(s.last_miss, true)}</dd>
                                            </div>
                                            <div>
                                                <dt>"Duration"</dt>
                                                <dd class="num">{format!("{:.1} s", s.duration_sec)}</dd>
                                            </div>
                                        </dl>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </ShowIf>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stampede_levels_follow_the_runbook() {
        let check = |misses, label| assert_eq!(stampede_level(misses).0, label, "{misses}");
        check(10, "below threshold");
        check(11, "detected");
        check(20, "detected");
        check(21, "critical");
        check(40, "critical");
    }
}
