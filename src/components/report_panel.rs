//! The daily status email and the phase sign-off as Markdown, from the same core functions the
//! CLI uses: a rendered preview, "Copy Markdown", "Copy for email" (the rendered report as
//! text/html with the Markdown as text/plain, so a mail client pastes tables), "Download .md",
//! and the Grafana dashboard of the same panels and thresholds. The sign-off form's draft is
//! saved as it is typed and survives reloads until it is cleared on purpose.
//!
//! With the team's records (Supabase data, `sql/005_team_records.sql`) the sign-off is signed
//! as the signed-in member with a decision and submitted by approvers (viewers see the form
//! read-only); the draft goes only once the server has confirmed the record, and a sign-off
//! someone else made while the form was open is shown before anything is sent. The history
//! lists every record with its Markdown as recorded.

use std::sync::Arc;

use canary_core::alerts::{Alert, MetricId, Rule};
use canary_core::email_html::{body_markdown, email_fragment};
use canary_core::grafana::{dashboard_title, retitle};
use canary_core::phases::{CriterionResult, PhaseDefinition};
use canary_core::report::{
    daily_email, default_period, phase_signoff, ManualChecks, Override, ReportData,
    DEFAULT_ROLLOUT_NAME, ITEM_CRITICAL_INCIDENTS, ITEM_MONITORING_CHECKS, ITEM_SUCCESS_CRITERIA,
};
use canary_core::team::{newest_id, Decision, NewSignoff};
use canary_core::time::{format_rfc3339, parse_timestamp};
use leptos::prelude::*;

use crate::effect::effect;

use super::show_if::ShowIf;
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::data::Dataset;
use crate::storage::{self, keys, Area};
use crate::team::TeamState;
use canary_core::markdown;

/// The Grafana dashboard of the page's rule table (`canary_core::alerts::default_rules`, the
/// table the dashboard hands every panel), made by `build.rs` with the core's own function.
const GRAFANA_DASHBOARD: &str = include_str!(concat!(env!("OUT_DIR"), "/grafana-dashboard.json"));

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
    /// With the team's records: the decision to record, and the record it corrects.
    #[serde(default)]
    pub decision: Option<Decision>,
    #[serde(default)]
    pub supersedes: Option<i64>,
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

impl Tab {
    /// The tabs in their order on the page.
    const ALL: [Tab; 2] = [Tab::Email, Tab::Signoff];

    /// The tab a key moves to from `self` (the WAI-ARIA tabs pattern: arrows wrap around, Home
    /// and End go to the first and the last), or `None` for any other key.
    fn after_key(self, key: &str) -> Option<Tab> {
        let at = Tab::ALL.iter().position(|&t| t == self).unwrap_or(0);
        let n = Tab::ALL.len();
        let to = match key {
            "ArrowRight" => (at + 1) % n,
            "ArrowLeft" => (at + n - 1) % n,
            "Home" => 0,
            "End" => n - 1,
            _ => return None,
        };
        Some(Tab::ALL[to])
    }

    /// The tab element's id (the tab panel is labelled by the selected one).
    fn id(self) -> &'static str {
        match self {
            Tab::Email => "report-tab-email",
            Tab::Signoff => "report-tab-signoff",
        }
    }

    /// What the page's print mode is called while this report alone is printed (the print
    /// stylesheet hides everything else).
    fn print_mode(self) -> &'static str {
        match self {
            Tab::Email => "email",
            Tab::Signoff => "signoff",
        }
    }
}

/// Prints the `tab` report alone: marks the page (`data-print` on the root element, which the
/// print stylesheet reads), then opens the browser's print dialog once the report is rendered.
/// The mark goes when printing ends (`afterprint`).
fn print_report(tab: Tab) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(root) = window.document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-print", tab.print_mode());
    }
    // After the switch of tab has re-rendered the preview.
    set_timeout(
        move || {
            if let Some(window) = web_sys::window() {
                let _ = window.print();
            }
        },
        std::time::Duration::from_millis(0),
    );
}

/// Removes the print mode [`print_report`] set.
fn end_print_mode() {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.remove_attribute("data-print");
    }
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

/// Who signs a recorded sign-off: the signed-in member's email, from the project.
#[derive(Clone, Debug, PartialEq)]
struct Signer {
    email: String,
}

/// The Markdown of the chosen report, or why it cannot be made, with the sign-off's criteria
/// (for its record). With a `signer` (the team's records) the sign-off names the signed-in
/// member and the draft's decision rather than the typed approver.
#[allow(clippy::too_many_arguments)]
fn render(
    tab: Tab,
    dataset: &Dataset,
    phases: &[PhaseDefinition],
    phase_number: u8,
    redis_alerts: &[Alert],
    draft: &ReportDraft,
    rules: &[Rule],
    signer: Option<&Signer>,
) -> Result<(String, Vec<CriterionResult>), String> {
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
            Ok((
                daily_email(&data.email_input(name, data.default_date(), url)),
                Vec::new(),
            ))
        }
        Tab::Signoff => {
            let next_phase_start = match draft.next_phase_start.trim() {
                "" => None,
                text => Some(parse_timestamp(text).map_err(|e| format!("Next phase start: {e}"))?),
            };
            let base = data.signoff_input(name);
            let typed = Some(draft.approved_by.trim()).filter(|a| !a.is_empty());
            let input = canary_core::report::SignoffInput {
                manual: draft.manual,
                overrides: &draft.overrides,
                approved_by: signer.map_or(typed, |s| Some(s.email.as_str())),
                decision: signer.and(draft.decision),
                notes: Some(draft.notes.trim()).filter(|n| !n.is_empty()),
                next_phase_start: next_phase_start.or(base.next_phase_start),
                ..base
            };
            let markdown = phase_signoff(&input).map_err(|e| {
                let mut text = e.to_string();
                if let Some(first) = text.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                format!("{text}.")
            })?;
            Ok((markdown, data.criteria().to_vec()))
        }
    }
}

/// A Blob of `text` with MIME type `mime`.
fn blob(text: &str, mime: &str) -> Result<web_sys::Blob, String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|e| format!("{e:?}"))
}

/// Puts the report on the clipboard for a mail client: `html` as text/html (what rich editors
/// paste) and `plain` as text/plain (what plain-text editors paste).
fn copy_for_email(html: &str, plain: &str) -> Result<js_sys::Promise, String> {
    let items = js_sys::Object::new();
    for (mime, text) in [("text/html", html), ("text/plain", plain)] {
        js_sys::Reflect::set(&items, &mime.into(), blob(text, mime)?.as_ref())
            .map_err(|e| format!("{e:?}"))?;
    }
    let item = web_sys::ClipboardItem::new_with_record_from_str_to_blob_promise(&items)
        .map_err(|_| "this browser cannot copy formatted text".to_owned())?;
    let clipboard = web_sys::window()
        .map(|w| w.navigator().clipboard())
        .ok_or("no clipboard here")?;
    Ok(clipboard.write(&js_sys::Array::of1(&item)))
}

/// Saves `text` as a file the browser downloads.
fn download(file_name: &str, text: &str, mime: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let blob = blob(text, mime)?;
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
    /// The rule table the page evaluates: the reports judge with it and the Grafana dashboard
    /// draws its thresholds from it.
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
    // The team's records (Supabase data that keeps them): the sign-off is submitted as the
    // signed-in member, the history shown, and the rollout name chooses the records.
    let team = use_context::<TeamState>();
    effect(move || {
        let name = draft.with(|d| d.name.trim().to_owned());
        let name = if name.is_empty() {
            DEFAULT_ROLLOUT_NAME.to_owned()
        } else {
            name
        };
        // Set only when it changes: setting it reads the records again.
        if let Some(team) = team.filter(|t| t.rollout.with_untracked(|r| *r != name)) {
            team.rollout.set(name);
        }
    });
    let records = move || team.and_then(|t| t.records.get());
    let shared = move || team.is_some_and(|t| t.shared());
    let approver = move || team.is_some_and(|t| t.is_approver());
    let signer = move || {
        records().map(|r| Signer {
            email: r.email.clone().unwrap_or_default(),
        })
    };
    let render_rules = rules.clone();
    let markdown_text = Memo::new(move |_| {
        render(
            tab.get(),
            &dataset.get(),
            &phases.get(),
            phase_number.get(),
            &redis_alerts.get(),
            &draft.get(),
            &render_rules,
            signer().as_ref(),
        )
        .map(|(text, _)| text)
    });
    // The newest sign-off of the phase this form has shown; a newer one at submit time was
    // made by someone else while the form was open, and the user is told before anything is
    // sent. `None` until the records have been read once.
    let acknowledged = StoredValue::new(None::<(String, u8, Option<i64>)>);
    effect(move || {
        if let (Some(team), Some(r)) = (team, records()) {
            let key = (team.rollout.get_untracked(), phase_number.get());
            if acknowledged.with_value(|a| {
                a.as_ref()
                    .is_none_or(|(ro, ph, _)| (ro, *ph) != (&key.0, key.1))
            }) {
                acknowledged.set_value(Some((key.0, key.1, newest_id(&r.signoffs, key.1))));
            }
        }
    });
    let warning = RwSignal::new(None::<String>);
    let submitting = RwSignal::new(false);
    let submit_rules = StoredValue::new(rules);
    let submit = move |_| {
        let d = draft.get_untracked();
        // The Markdown and the criteria of the record, rendered together, as of now.
        let rendered = untrack(|| {
            render(
                Tab::Signoff,
                &dataset.get(),
                &phases.get(),
                phase_number.get(),
                &[],
                &d,
                &submit_rules.get_value(),
                signer().as_ref(),
            )
        });
        let (Some(team), Ok((markdown, criteria))) = (team, rendered) else {
            return;
        };
        let Some(decision) = d.decision else {
            status.set(Some("Choose a decision before submitting.".into()));
            return;
        };
        let config = match team.config() {
            Some(Ok(config)) => config,
            Some(Err(e)) => {
                status.set(Some(format!("Not submitted: {e}. The draft is kept here.")));
                return;
            }
            None => return,
        };
        let rollout = team.rollout.get_untracked();
        let phase = phase_number.get_untracked();
        let all_phases = phases.get_untracked();
        submitting.set(true);
        status.set(Some("Submitting…".into()));
        leptos::task::spawn_local(async move {
            let outcome = async {
                let fresh = crate::api::records::signoffs(&config, &rollout).await?;
                let newest = newest_id(&fresh, phase);
                let seen = acknowledged
                    .get_value()
                    .filter(|(ro, ph, _)| *ro == rollout && *ph == phase)
                    .map(|(_, _, id)| id);
                if let Some(seen) = seen {
                    if newest != seen {
                        let others: Vec<String> = fresh
                            .iter()
                            .filter(|r| r.phase == phase && Some(r.id) > seen)
                            .map(|r| r.headline(&all_phases))
                            .collect();
                        acknowledged.set_value(Some((rollout.clone(), phase, newest)));
                        team.reload();
                        return Err(format!(
                            "Someone signed while this form was open: {}. Review it in the history below; press Submit again to record yours anyway.",
                            others.join("; ")
                        ));
                    }
                }
                let record = NewSignoff::new(
                    &rollout,
                    phase,
                    decision,
                    &criteria,
                    markdown,
                    Some(d.notes.as_str()),
                    d.supersedes,
                );
                crate::api::records::submit_signoff(&config, &record).await
            }
            .await;
            submitting.set(false);
            match outcome {
                Ok(stored) => {
                    acknowledged.set_value(Some((
                        stored.rollout.clone(),
                        stored.phase,
                        Some(stored.id),
                    )));
                    warning.set(None);
                    status.set(Some(format!(
                        "Recorded sign-off #{}: {}.",
                        stored.id,
                        stored.headline(&all_phases)
                    )));
                    // Only now, with the server's confirmation, does the draft go.
                    draft.update(|d| {
                        d.notes.clear();
                        d.decision = None;
                        d.supersedes = None;
                        d.overrides.clear();
                        d.manual = ManualChecks::default();
                    });
                    team.reload();
                }
                Err(e) if e.starts_with("Someone signed") => {
                    status.set(None);
                    warning.set(Some(e));
                }
                Err(e) => status.set(Some(format!("Not submitted: {e}"))),
            }
        });
    };
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
            match download(&file_name(), &text, "text/markdown;charset=utf-8") {
                Ok(()) => status.set(Some(format!("Downloaded {}.", file_name()))),
                Err(e) => status.set(Some(format!("The download failed: {e}"))),
            }
        }
    };
    let copy_email = move |_| {
        let Ok(text) = markdown_text.get_untracked() else {
            return;
        };
        let body = body_markdown(&text);
        match copy_for_email(&email_fragment(body), body) {
            Ok(promise) => leptos::task::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(promise).await {
                    Ok(_) => status.set(Some(
                        "Copied the report for email: paste it into the message body.".into(),
                    )),
                    Err(_) => status.set(Some(
                        "The browser refused clipboard access; use Download .md instead.".into(),
                    )),
                }
            }),
            Err(e) => status.set(Some(format!("Could not copy for email: {e}."))),
        }
    };
    let save_dashboard = move |_| {
        let name = draft.get_untracked().name;
        let json = retitle(GRAFANA_DASHBOARD, &dashboard_title(&name));
        let file = "canary-grafana-dashboard.json";
        match download(file, &json, "application/json") {
            Ok(()) => status.set(Some(format!(
                "Downloaded {file}: import it in Grafana (Dashboards → New → Import) and pick your PostgreSQL data source."
            ))),
            Err(e) => status.set(Some(format!("The download failed: {e}"))),
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
    let print_ended = window_event_listener(leptos::ev::afterprint, |_| end_print_mode());
    on_cleanup(move || print_ended.remove());
    let print = move |t: Tab| {
        tab.set(t);
        print_report(t);
    };
    // Tab buttons, for moving the focus with the arrow keys.
    let email_tab = NodeRef::<leptos::html::Button>::new();
    let signoff_tab = NodeRef::<leptos::html::Button>::new();
    let on_tab_key = move |ev: leptos::ev::KeyboardEvent| {
        if let Some(next) = tab.get_untracked().after_key(&ev.key()) {
            ev.prevent_default();
            tab.set(next);
            let button = match next {
                Tab::Email => email_tab.get_untracked(),
                Tab::Signoff => signoff_tab.get_untracked(),
            };
            if let Some(b) = button {
                let _ = b.focus();
            }
        }
    };
    let tab_index = move |t: Tab| if tab.get() == t { "0" } else { "-1" };
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
            <div class="tabs" role="tablist" aria-label="Report">
                <button
                    type="button"
                    role="tab"
                    id=Tab::Email.id()
                    node_ref=email_tab
                    data-testid="report-tab-email"
                    aria-controls="report-tabpanel"
                    aria-selected=move || (tab.get() == Tab::Email).to_string()
                    tabindex=move || tab_index(Tab::Email)
                    on:click=move |_| tab.set(Tab::Email)
                    on:keydown=on_tab_key
                >
                    "Daily status email"
                </button>
                <button
                    type="button"
                    role="tab"
                    id=Tab::Signoff.id()
                    node_ref=signoff_tab
                    data-testid="report-tab-signoff"
                    aria-controls="report-tabpanel"
                    aria-selected=move || (tab.get() == Tab::Signoff).to_string()
                    tabindex=move || tab_index(Tab::Signoff)
                    on:click=move |_| tab.set(Tab::Signoff)
                    on:keydown=on_tab_key
                >
                    "Phase sign-off"
                </button>
            </div>
            <div
                class="report-tabpanel"
                role="tabpanel"
                id="report-tabpanel"
                aria-labelledby=move || tab.get().id()
            >
            <div class="report-form">
                {text_field("Rollout name", "report-name", |d| &d.name, |d, v| d.name = v)}
                <ShowIf when=move || tab.get() == Tab::Email>
                    {text_field("Dashboard link", "report-dashboard-url", |d| &d.dashboard_url, |d, v| d.dashboard_url = v)}
                </ShowIf>
                <ShowIf when=move || tab.get() == Tab::Signoff>
                <fieldset class="signoff-fields" disabled=move || shared() && !approver()>
                    <ShowIf when=move || shared() fallback=move || text_field("Approved by", "signoff-approved-by", |d| &d.approved_by, |d, v| d.approved_by = v)>
                        <p class="signoff-signer" data-testid="signoff-signer">
                            {move || match (records().and_then(|r| r.email.clone()), approver()) {
                                (Some(email), true) => format!("Signing as {email} (approver): the sign-off is recorded for the team, with the time from the database."),
                                (Some(email), false) => format!("Signed in as {email}, a viewer: you can read the team's sign-offs but not submit one."),
                                (None, _) => "Not signed in as a team member: sign-offs can be read here, not submitted.".to_owned(),
                            }}
                        </p>
                        <label class="report-field">
                            <span>"Decision"</span>
                            <select
                                data-testid="signoff-decision"
                                prop:value=move || draft.get().decision.map_or("", Decision::as_str)
                                on:change=move |ev| draft.update(|d| d.decision = Decision::parse(&event_target_value(&ev)))
                            >
                                <option value="">"Choose…"</option>
                                {Decision::ALL.into_iter().map(|d| view! { <option value=d.as_str()>{d.label()}</option> }).collect_view()}
                            </select>
                        </label>
                        {move || draft.get().supersedes.map(|id| view! {
                            <p class="signoff-correcting">
                                {format!("Correcting sign-off #{id}. ")}
                                <button type="button" on:click=move |_| draft.update(|d| d.supersedes = None)>"Not a correction"</button>
                            </p>
                        })}
                    </ShowIf>
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
                    <ShowIf when=move || shared()>
                        <button
                            type="button"
                            data-testid="signoff-submit"
                            disabled=move || !approver() || submitting.get() || draft.get().decision.is_none() || markdown_text.get().is_err()
                            on:click=submit
                        >
                            "Submit sign-off"
                        </button>
                        {move || warning.get().map(|w| view! { <p class="field-error" role="alert" data-testid="signoff-warning">{w}</p> })}
                    </ShowIf>
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
                </fieldset>
                <ShowIf when=move || shared()>
                    {move || history(records(), &phases.get(), approver(), draft)}
                </ShowIf>
                </ShowIf>
            </div>
            <div class="report-actions">
                <button type="button" data-testid="report-copy" disabled=move || markdown_text.get().is_err() on:click=copy>
                    "Copy Markdown"
                </button>
                <button type="button" data-testid="report-copy-email" disabled=move || markdown_text.get().is_err() on:click=copy_email>
                    "Copy for email"
                </button>
                <button type="button" data-testid="report-download" disabled=move || markdown_text.get().is_err() on:click=save_file>
                    "Download .md"
                </button>
                <button type="button" data-testid="print-signoff" on:click=move |_| print(Tab::Signoff)>
                    "Print sign-off"
                </button>
                <button type="button" data-testid="print-email" on:click=move |_| print(Tab::Email)>
                    "Print daily status"
                </button>
                <button type="button" data-testid="grafana-download" on:click=save_dashboard>
                    "Grafana dashboard"
                </button>
                {move || status.get().map(|s| view! { <span class="report-status" role="status">{s}</span> })}
            </div>
            {move || match markdown_text.get() {
                Ok(text) => view! {
                    <div class="report-preview" data-testid="report-preview" role="region" aria-label="Report preview" tabindex="0" inner_html=markdown::to_html(&text)></div>
                    <details class="report-source">
                        <summary>"Markdown source"</summary>
                        <pre data-testid="report-markdown" role="region" aria-label="Markdown source" tabindex="0">{text}</pre>
                    </details>
                }
                .into_any(),
                Err(e) => view! { <p class="field-error" role="alert" data-testid="report-error">{e}</p> }.into_any(),
            }}
            </div>
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

/// The team's recorded sign-offs, newest first: who, when, the decision, and each record's
/// Markdown as recorded. An approver may correct one (a new record that supersedes it).
fn history(
    records: Option<Arc<crate::api::records::TeamRecords>>,
    phases: &[PhaseDefinition],
    approver: bool,
    draft: RwSignal<ReportDraft>,
) -> impl IntoView {
    let records = records.map(|r| r.signoffs.clone()).unwrap_or_default();
    let rows = records
        .iter()
        .rev()
        .map(|r| {
            let corrected_by = records
                .iter()
                .find(|o| o.supersedes == Some(r.id))
                .map(|o| format!(" (corrected by #{})", o.id));
            let id = r.id;
            let correct = (approver && corrected_by.is_none()).then(|| {
                view! {
                    <button type="button" on:click=move |_| draft.update(|d| d.supersedes = Some(id))>"Correct"</button>
                }
            });
            let hash = if r.hash_matches() {
                ""
            } else {
                " Its Markdown does not match its SHA-256: treat it as void."
            };
            view! {
                <li data-testid="signoff-record" data-id=r.id>
                    <span class="signoff-headline">{format!("#{} {}{}", r.id, r.headline(phases), corrected_by.unwrap_or_default())}</span>
                    {r.supersedes.map(|old| format!(", correcting #{old}"))}
                    {hash}
                    {correct}
                    <details>
                        <summary>"Markdown as recorded"</summary>
                        <pre role="region" aria-label=format!("Sign-off {} as recorded", r.id) tabindex="0">{r.markdown.clone()}</pre>
                    </details>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="signoff-history" data-testid="signoff-history" aria-label="Recorded sign-offs">
            <h3>"Recorded sign-offs"</h3>
            {if records.is_empty() {
                Some(view! { <p class="empty-state">"None recorded for this rollout yet."</p> })
            } else {
                None
            }}
            <ol>{rows}</ol>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_keys_follow_the_tabs_pattern() {
        let check = |from: Tab, key: &str, want: Option<Tab>| {
            assert_eq!(from.after_key(key), want, "{from:?} {key}");
        };
        check(Tab::Email, "ArrowRight", Some(Tab::Signoff));
        check(Tab::Signoff, "ArrowRight", Some(Tab::Email));
        check(Tab::Email, "ArrowLeft", Some(Tab::Signoff));
        check(Tab::Signoff, "ArrowLeft", Some(Tab::Email));
        check(Tab::Signoff, "Home", Some(Tab::Email));
        check(Tab::Email, "End", Some(Tab::Signoff));
        check(Tab::Email, "Home", Some(Tab::Email));
        check(Tab::Email, "Tab", None);
        check(Tab::Email, "ArrowDown", None);
        check(Tab::Email, "Enter", None);
        check(Tab::Email, "", None);
    }
}
