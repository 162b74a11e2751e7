//! Hit rate by resource type, average miss time, and cache stampedes.

use std::sync::Arc;

use canary_core::alerts::{MetricId, Rule, STAMPEDE_CRITICAL_MISSES};
use canary_core::event::MICROS_PER_MINUTE;
use canary_core::metrics::{Metrics, STAMPEDE_MIN_MISSES, STAMPEDE_SPAN};
use canary_core::summary::{format_ms, format_pct};
use leptos::prelude::*;

use super::data_panel::DataPanel;
use super::data_table::DataTable;
use super::panel_helpers::{breakable, key_cell, time_view, RateStatus};
use super::show_if::ShowIf;
use super::stat::Stat;

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

/// What the panel says when no key had a stampede: "no key had more than 10 misses within 15
/// minutes", from the metric's own definition.
pub fn no_stampede_note() -> String {
    format!(
        "No stampede: no key had more than {STAMPEDE_MIN_MISSES} misses within {} minutes.",
        STAMPEDE_SPAN / MICROS_PER_MINUTE
    )
}

/// Accesses, hits and hit rate; the same by resource type with the average miss time; and the
/// keys with a stampede (see `docs/metrics.md`), critical past the stampede alert's count.
#[component]
pub fn CachePanel(
    /// The window's metrics (only this panel's part is read).
    #[prop(into)]
    metrics: Signal<Arc<Metrics>>,
    /// The rule table the alerts are evaluated with (its hit-rate rules colour the rate).
    rules: Arc<[Rule]>,
) -> impl IntoView {
    // Its parts (overall counts, by resource type, keys with a stampede), read through the one
    // metrics signal every data panel shares.
    let cache = move || metrics.get().cache.clone();
    let prefixes = move || metrics.get().cache_by_prefix.clone();
    let stampedes = move || metrics.get().cache_stampedes.clone();
    let status = RateStatus::of(&rules, MetricId::CacheHitRate);
    // The keys with a stampede, shown whether or not the window had cache accesses.
    let stampede_list = move || {
        view! {
            <h3>"Stampedes"</h3>
            <ShowIf
                when=move || !stampedes().is_empty()
                fallback=|| {
                    view! {
                        <p class="empty-note">
                            {no_stampede_note()}
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
        }
    };
    view! {
        <DataPanel
            testid="cache-panel"
            heading="Cache"
            has_data=Signal::derive(move || cache().accesses > 0)
            empty_note="No cache accesses in this window."
            after=stampede_list
        >
            {move || {
                let c = cache();
                view! {
                    <dl class="stat-list">
                        <Stat name="Accesses">{c.accesses}</Stat>
                        <Stat name="Hits">{c.hits}</Stat>
                        <Stat name="Hit rate">
                            <span class=status.class(c.hit_rate_pct)>{format_pct(c.hit_rate_pct)}</span>
                        </Stat>
                    </dl>
                }
            }}
            <h3>"By resource type"</h3>
            <DataTable
                columns=&[("Resource type", false), ("Accesses", true), ("Hit rate", true), ("Avg miss time", true)]
                has_rows=Signal::derive(move || !prefixes().is_empty())
                empty_note="No cache accesses in this window."
            >
                {move || {
                    prefixes()
                        .into_iter()
                        .map(|p| {
                            view! {
                                <tr>
                                    {key_cell(p.resource_type, "(no type)")}
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
            </DataTable>
        </DataPanel>
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
