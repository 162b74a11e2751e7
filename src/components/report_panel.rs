//! The daily status email and the phase sign-off as Markdown, from the same core functions the
//! CLI uses: a rendered preview, "Copy Markdown" and "Download .md". The sign-off form's draft is
//! saved as it is typed and survives reloads until it is cleared on purpose.

use std::sync::Arc;

use canary_core::alerts::{Alert, MetricId, Rule};
use canary_core::phases::PhaseDefinition;
use canary_core::report::{
    daily_email, default_period, phase_signoff, ManualChecks, Override, ReportData,
    DEFAULT_ROLLOUT_NAME, ITEM_CRITICAL_INCIDENTS, ITEM_MONITORING_CHECKS, ITEM_SUCCESS_CRITERIA,
};
use canary_core::time::{format_rfc3339, parse_timestamp};
use leptos::prelude::*;

use crate::effect::effect;

use super::show_if::ShowIf;
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::data::Dataset;
use crate::storage::{self, keys, Area};
use canary_core::markdown;

/// What a person types into the report forms; saved as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportDraft {
    pub name: String,
    pub dashboard_url: String,
    pub approved_by: String,
    pub notes: String,
    pub next_phase_start: String,
    pub manual: ManualChecks,
    pub overrides: Vec<Override>,
}

impl ReportDraft {
    fn load() -> ReportDraft {
        storage::load(Area::Local, keys::SIGNOFF_DRAFT).unwrap_or_else(|| ReportDraft {
            name: DEFAULT_ROLLOUT_NAME.to_owned(),
            ..ReportDraft::default()
        })
    }
}

/// Which report is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Email,
    Signoff,
}

/// The sign-off items a person may override, with their labels.
fn override_items(phase: &PhaseDefinition) -> Vec<(String, String)> {
    let mut items = vec![
        (
            ITEM_MONITORING_CHECKS.to_owned(),
            "All monitoring checks completed".to_owned(),
        ),
        (
            ITEM_SUCCESS_CRITERIA.to_owned(),
            "All success criteria met".to_owned(),
        ),
        (
            ITEM_CRITICAL_INCIDENTS.to_owned(),
            "No critical incidents".to_owned(),
        ),
    ];
    items.extend(
        phase
            .criteria
            .iter()
            .map(|c| (c.id.clone(), c.criterion.clone())),
    );
    items
}

/// The Markdown of the chosen report, or why it cannot be made.
fn render(
    tab: Tab,
    dataset: &Dataset,
    phases: &[PhaseDefinition],
    phase_number: u8,
    redis_alerts: &[Alert],
    draft: &ReportDraft,
    rules: &[Rule],
) -> Result<String, String> {
    let now = clock::now();
    let store = &dataset.store;
    let period = match tab {
        Tab::Email => default_period(store),
        Tab::Signoff => None,
    };
    let mut data = ReportData::compute(store, phases.to_vec(), phase_number, period, now, rules)
        .ok_or_else(|| format!("There is no phase {phase_number} to report on."))?;
    let name = if draft.name.trim().is_empty() {
        DEFAULT_ROLLOUT_NAME
    } else {
        draft.name.trim()
    };
    match tab {
        Tab::Email => {
            data.evaluation.add_alerts(redis_alerts.iter().cloned());
            let url = Some(draft.dashboard_url.trim()).filter(|u| !u.is_empty());
            Ok(daily_email(&data.email_input(
                name,
                data.default_date(),
                url,
            )))
        }
        Tab::Signoff => {
            let next_phase_start = match draft.next_phase_start.trim() {
                "" => None,
                text => Some(parse_timestamp(text).map_err(|e| format!("Next phase start: {e}"))?),
            };
            let base = data.signoff_input(name);
            let input = canary_core::report::SignoffInput {
                manual: draft.manual,
                overrides: &draft.overrides,
                approved_by: Some(draft.approved_by.trim()).filter(|a| !a.is_empty()),
                notes: Some(draft.notes.trim()).filter(|n| !n.is_empty()),
                next_phase_start: next_phase_start.or(base.next_phase_start),
                ..base
            };
            phase_signoff(&input).map_err(|e| {
                let mut text = e.to_string();
                if let Some(first) = text.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                format!("{text}.")
            })
        }
    }
}

/// Saves `text` as a file the browser downloads.
fn download(file_name: &str, text: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/markdown;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// The report view: email and sign-off, preview, copy and download.
#[component]
pub fn ReportPanel(
    /// The loaded data set.
    #[prop(into)]
    dataset: Signal<Arc<Dataset>>,
    /// The phase definitions.
    #[prop(into)]
    phases: Signal<Vec<PhaseDefinition>>,
    /// The phase reported on.
    #[prop(into)]
    phase_number: Signal<u8>,
    /// Alerts from the pasted Redis INFO, which the email lists with the rest.
    #[prop(into)]
    redis_alerts: Signal<Vec<Alert>>,
    /// The rule table the page evaluates: the reports judge with the same rules.
    rules: Arc<[Rule]>,
) -> impl IntoView {
    let tab = RwSignal::new(Tab::Email);
    let draft = RwSignal::new(ReportDraft::load());
    let status = RwSignal::new(None::<String>);
    // Saved as typed, so a reload or a crash loses nothing.
    effect(move || {
        if let Err(e) = storage::save(Area::Local, keys::SIGNOFF_DRAFT, &draft.get()) {
            status.set(Some(format!("The draft could not be saved: {e}")));
        }
    });
    let markdown_text = Memo::new(move |_| {
        render(
            tab.get(),
            &dataset.get(),
            &phases.get(),
            phase_number.get(),
            &redis_alerts.get(),
            &draft.get(),
            &rules,
        )
    });
    let file_name = move || match tab.get() {
        Tab::Email => format!("canary-status-phase-{}.md", phase_number.get()),
        Tab::Signoff => format!("canary-phase-{}-signoff.md", phase_number.get()),
    };
    let copy = move |_| {
        let Ok(text) = markdown_text.get_untracked() else {
            return;
        };
        match web_sys::window().map(|w| w.navigator().clipboard()) {
            Some(clipboard) => {
                let promise = clipboard.write_text(&text);
                leptos::task::spawn_local(async move {
                    match wasm_bindgen_futures::JsFuture::from(promise).await {
                        Ok(_) => status.set(Some("Copied the Markdown to the clipboard.".into())),
                        Err(_) => status.set(Some(
                            "The browser refused clipboard access; use Download .md instead."
                                .into(),
                        )),
                    }
                });
            }
            None => status.set(Some("No clipboard here; use Download .md instead.".into())),
        }
    };
    let save_file = move |_| {
        if let Ok(text) = markdown_text.get_untracked() {
            match download(&file_name(), &text) {
                Ok(()) => status.set(Some(format!("Downloaded {}.", file_name()))),
                Err(e) => status.set(Some(format!("The download failed: {e}"))),
            }
        }
    };
    let text_field = move |label: &'static str,
                           testid: &'static str,
                           get: fn(&ReportDraft) -> &String,
                           set: fn(&mut ReportDraft, String)| {
        view! {
            <label class="report-field">
                <span>{label}</span>
                <input
                    type="text"
                    data-testid=testid
                    prop:value=move || get(&draft.get()).clone()
                    on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))
                />
            </label>
        }
    };
    let manual_box = move |label: &'static str,
                           get: fn(&ManualChecks) -> bool,
                           set: fn(&mut ManualChecks, bool)| {
        view! {
            <label class="report-check">
                <input
                    type="checkbox"
                    prop:checked=move || get(&draft.get().manual)
                    on:change=move |ev| draft.update(|d| set(&mut d.manual, event_target_checked(&ev)))
                />
                {label}
            </label>
        }
    };
    let items = Signal::derive(move || {
        let number = phase_number.get();
        phases
            .get()
            .iter()
            .find(|p| p.number == number)
            .map(override_items)
            .unwrap_or_default()
    });

    view! {
        <section class="panel report-panel" data-testid="report-panel">
            <h2>"Reports"</h2>
            <div class="tabs" role="tablist">
                <button
                    type="button"
                    role="tab"
                    data-testid="report-tab-email"
                    aria-selected=move || (tab.get() == Tab::Email).to_string()
                    on:click=move |_| tab.set(Tab::Email)
                >
                    "Daily status email"
                </button>
                <button
                    type="button"
                    role="tab"
                    data-testid="report-tab-signoff"
                    aria-selected=move || (tab.get() == Tab::Signoff).to_string()
                    on:click=move |_| tab.set(Tab::Signoff)
                >
                    "Phase sign-off"
                </button>
            </div>
            <div class="report-form">
                {text_field("Rollout name", "report-name", |d| &d.name, |d, v| d.name = v)}
                <ShowIf when=move || tab.get() == Tab::Email>
                    {text_field("Dashboard link", "report-dashboard-url", |d| &d.dashboard_url, |d, v| d.dashboard_url = v)}
                </ShowIf>
                <ShowIf when=move || tab.get() == Tab::Signoff>
                    {text_field("Approved by", "signoff-approved-by", |d| &d.approved_by, |d, v| d.approved_by = v)}
                    {text_field("Next phase start (UTC, RFC 3339; empty: when this phase ends)", "signoff-next-start", |d| &d.next_phase_start, |d, v| d.next_phase_start = v)}
                    <label class="report-field">
                        <span>"Notes"</span>
                        <textarea
                            rows="3"
                            data-testid="signoff-notes"
                            prop:value=move || draft.get().notes
                            on:input=move |ev| draft.update(|d| d.notes = event_target_value(&ev))
                        ></textarea>
                    </label>
                    <fieldset class="report-checks">
                        <legend>"Confirmed by a person"</legend>
                        {manual_box("Post-phase review completed", |m| m.post_phase_review, |m, v| m.post_phase_review = v)}
                        {manual_box("Runbooks validated (at least one test invocation)", |m| m.runbooks_validated, |m, v| m.runbooks_validated = v)}
                        {manual_box("Technical Lead approval obtained", |m| m.technical_lead_approval, |m, v| m.technical_lead_approval = v)}
                    </fieldset>
                    <fieldset class="report-overrides">
                        <legend>"Overrides (each needs a reason)"</legend>
                        {move || {
                            draft
                                .get()
                                .overrides
                                .iter()
                                .enumerate()
                                .map(|(i, o)| {
                                    let label = items
                                        .get()
                                        .into_iter()
                                        .find(|(id, _)| *id == o.item)
                                        .map_or_else(|| o.item.clone(), |(_, l)| l);
                                    view! {
                                        <div class="override-row">
                                            <span class="override-item">{label}</span>
                                            <label>
                                                <input
                                                    type="checkbox"
                                                    prop:checked=o.ticked
                                                    on:change=move |ev| draft.update(|d| d.overrides[i].ticked = event_target_checked(&ev))
                                                />
                                                " ticked"
                                            </label>
                                            <input
                                                type="text"
                                                placeholder="Reason (required)"
                                                aria-label="Reason for the override"
                                                prop:value=o.reason.clone()
                                                on:input=move |ev| draft.update(|d| d.overrides[i].reason = event_target_value(&ev))
                                            />
                                            <button type="button" on:click=move |_| draft.update(|d| { d.overrides.remove(i); })>"Remove"</button>
                                        </div>
                                    }
                                })
                                .collect_view()
                        }}
                        <label>
                            "Override "
                            <select
                                data-testid="override-add"
                                on:change=move |ev| {
                                    let item = event_target_value(&ev);
                                    if !item.is_empty() {
                                        draft.update(|d| {
                                            if !d.overrides.iter().any(|o| o.item == item) {
                                                d.overrides.push(Override { item, ticked: true, reason: String::new() });
                                            }
                                        });
                                    }
                                }
                            >
                                <option value="" selected=true>"Choose an item…"</option>
                                {move || items.get().into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                            </select>
                        </label>
                    </fieldset>
                    <button
                        type="button"
                        data-testid="signoff-clear"
                        on:click=move |_| {
                            draft.set(ReportDraft { name: draft.get_untracked().name, ..ReportDraft::default() });
                            status.set(Some("The sign-off draft was cleared.".into()));
                        }
                    >
                        "Clear draft"
                    </button>
                </ShowIf>
            </div>
            <div class="report-actions">
                <button type="button" data-testid="report-copy" disabled=move || markdown_text.get().is_err() on:click=copy>
                    "Copy Markdown"
                </button>
                <button type="button" data-testid="report-download" disabled=move || markdown_text.get().is_err() on:click=save_file>
                    "Download .md"
                </button>
                {move || status.get().map(|s| view! { <span class="report-status" role="status">{s}</span> })}
            </div>
            {move || match markdown_text.get() {
                Ok(text) => view! {
                    <div class="report-preview" data-testid="report-preview" inner_html=markdown::to_html(&text)></div>
                    <details class="report-source">
                        <summary>"Markdown source"</summary>
                        <pre data-testid="report-markdown">{text}</pre>
                    </details>
                }
                .into_any(),
                Err(e) => view! { <p class="field-error" role="alert" data-testid="report-error">{e}</p> }.into_any(),
            }}
            <p class="report-hint">
                {move || format!(
                    "Same text as `canary-report {}` on the same data. Reports are made at {}.",
                    if tab.get() == Tab::Email { "email" } else { "signoff" },
                    format_rfc3339(clock::now()),
                )}
            </p>
        </section>
    }
}

/// The Redis alerts among `alerts` (the email lists them; the data cannot produce them).
pub fn redis_alerts(alerts: &[Alert]) -> Vec<Alert> {
    alerts
        .iter()
        .filter(|a| a.metric == MetricId::RedisMemory)
        .cloned()
        .collect()
}
