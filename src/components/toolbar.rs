//! The time range, auto-refresh and refresh controls.

use canary_core::time::{format_rfc3339, parse_timestamp};
use leptos::prelude::*;

use super::show_if::ShowIf;

use crate::state::AUTO_REFRESH_MINUTES;
use canary_core::analysis::RangeChoice;

/// Time range picker (presets and a custom UTC range), auto-refresh interval and a refresh button.
#[component]
pub fn Toolbar(
    /// The chosen range.
    #[prop(into)]
    range: Signal<RangeChoice>,
    /// Called with a new range.
    on_range: Callback<RangeChoice>,
    /// Auto-refresh interval in minutes (0: off).
    #[prop(into)]
    auto_refresh: Signal<u32>,
    /// Called with a new interval.
    on_auto_refresh: Callback<u32>,
    /// Whether the source is live (refreshing only makes sense then).
    #[prop(into)]
    live: Signal<bool>,
    /// Called when the user asks for a refresh now.
    on_refresh: Callback<()>,
    /// Whether a live source's reads skip the rollups' first numbers (exact numbers only).
    #[prop(into)]
    exact_only: Signal<bool>,
    /// Called when the user changes that.
    on_exact_only: Callback<bool>,
) -> impl IntoView {
    let custom_from = RwSignal::new(String::new());
    let custom_to = RwSignal::new(String::new());
    let custom_error = RwSignal::new(None::<String>);
    let is_custom = move || matches!(range.get(), RangeChoice::Custom { .. });
    let apply_custom = move || {
        let parse =
            |label: &str, text: String| parse_timestamp(&text).map_err(|e| format!("{label}: {e}"));
        let result = parse("From", custom_from.get()).and_then(|from| {
            parse("To", custom_to.get()).and_then(|to| {
                if to > from {
                    Ok(RangeChoice::Custom { from, to })
                } else {
                    Err("To must be after From.".to_owned())
                }
            })
        });
        match result {
            Ok(choice) => {
                custom_error.set(None);
                on_range.run(choice);
            }
            Err(e) => custom_error.set(Some(e)),
        }
    };
    view! {
        <div class="toolbar" data-testid="toolbar">
            <label>
                "Time range "
                <select
                    data-testid="range-select"
                    on:change=move |ev| {
                        let code = event_target_value(&ev);
                        if code == "custom" {
                            if let RangeChoice::Custom { .. } = range.get_untracked() {
                                return;
                            }
                            custom_error.set(Some("Enter From and To (UTC, RFC 3339), then Apply.".into()));
                            if custom_from.get_untracked().is_empty() {
                                custom_from.set("2025-10-17T07:00:00Z".into());
                                custom_to.set("2025-10-17T09:00:00Z".into());
                            }
                        } else if let Some(choice) = RangeChoice::from_code(&code) {
                            custom_error.set(None);
                            on_range.run(choice);
                        }
                    }
                >
                    {RangeChoice::PRESETS
                        .into_iter()
                        .map(|(choice, label)| {
                            view! {
                                <option value=choice.code() selected=move || range.get() == choice>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                    <option value="custom" selected=is_custom>"Custom…"</option>
                </select>
            </label>
            <ShowIf when=move || is_custom() || custom_error.get().is_some()>
                <span class="custom-range">
                    <label>
                        "From "
                        <input
                            type="text"
                            size="22"
                            prop:value=move || match range.get() {
                                RangeChoice::Custom { from, .. } => format_rfc3339(from),
                                _ => custom_from.get(),
                            }
                            on:input=move |ev| custom_from.set(event_target_value(&ev))
                        />
                    </label>
                    <label>
                        " To "
                        <input
                            type="text"
                            size="22"
                            prop:value=move || match range.get() {
                                RangeChoice::Custom { to, .. } => format_rfc3339(to),
                                _ => custom_to.get(),
                            }
                            on:input=move |ev| custom_to.set(event_target_value(&ev))
                        />
                    </label>
                    <button type="button" on:click=move |_| apply_custom()>"Apply"</button>
                    {move || custom_error.get().map(|e| view! { <span class="field-error" role="alert">{e}</span> })}
                </span>
            </ShowIf>
            <label title="Only for a live source (Supabase)">
                "Auto-refresh "
                <select
                    data-testid="auto-refresh"
                    disabled=move || !live.get()
                    on:change=move |ev| {
                        if let Ok(m) = event_target_value(&ev).parse::<u32>() {
                            on_auto_refresh.run(m);
                        }
                    }
                >
                    {AUTO_REFRESH_MINUTES
                        .into_iter()
                        .map(|m| {
                            let label = if m == 0 { "off".to_owned() } else { format!("every {m} min") };
                            view! { <option value=m.to_string() selected=move || auto_refresh.get() == m>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <button type="button" disabled=move || !live.get() on:click=move |_| on_refresh.run(())>
                "Refresh"
            </button>
            <label title="For a Supabase source: wait for the exact read, without the first numbers from the rollups">
                <input
                    type="checkbox"
                    data-testid="exact-only"
                    prop:checked=move || exact_only.get()
                    on:change=move |ev| on_exact_only.run(event_target_checked(&ev))
                />
                " Exact numbers only"
            </label>
        </div>
    }
}
