//! Picks the data: the embedded demo, a CSV/JSON export file (chosen or dropped), or Supabase.

use std::sync::Arc;

use leptos::prelude::*;

use super::show_if::ShowIf;
use super::sign_in_form::SignInForm;
use crate::effect::effect;
use crate::session::AuthView;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::data::{DataSource, SupabaseKeys};
use crate::storage::{self, keys, Area};

/// Which form is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Demo,
    File,
    Supabase,
}

/// Reads a chosen or dropped file as text and hands it on as a source.
fn read_file(file: web_sys::File, on_pick: Callback<DataSource>, error: RwSignal<Option<String>>) {
    let name = file.name();
    spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(text) => match text.as_string() {
                Some(text) => {
                    error.set(None);
                    on_pick.run(DataSource::File {
                        name,
                        text: Arc::from(text),
                    });
                }
                None => error.set(Some(format!("{name} is not a text file."))),
            },
            Err(e) => error.set(Some(format!("{name} could not be read: {e:?}"))),
        }
    });
}

/// The data-source picker.
#[component]
pub fn SourcePicker(
    /// The current source.
    #[prop(into)]
    source: Signal<DataSource>,
    /// Called with the source the user picked.
    on_pick: Callback<DataSource>,
    /// A project the page's link named with no key kept for it: the form opens with its URL
    /// and nothing else filled in.
    link_project: Option<String>,
    /// The sign-in state shared with the header.
    auth: RwSignal<AuthView>,
) -> impl IntoView {
    let mode = RwSignal::new(match source.get_untracked() {
        _ if link_project.is_some() => Mode::Supabase,
        DataSource::Demo | DataSource::ScaledDemo { .. } => Mode::Demo,
        DataSource::File { .. } => Mode::File,
        DataSource::Supabase { .. } => Mode::Supabase,
    });
    let file_error = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(false);
    let supabase_url = RwSignal::new(link_project.unwrap_or_else(|| {
        storage::load::<String>(Area::Local, keys::SUPABASE_URL).unwrap_or_default()
    }));
    let supabase_key = RwSignal::new(String::new());
    let supabase_token = RwSignal::new(String::new());
    // Ticked when this project's keys were remembered before, so connecting again keeps them.
    let remember = RwSignal::new(false);
    effect(move || {
        let url = supabase_url.get();
        let kept = keys::supabase_keys(url.trim().trim_end_matches('/'));
        remember.set(storage::load::<SupabaseKeys>(Area::Local, &kept).is_some());
    });
    let supabase_error = RwSignal::new(None::<String>);

    let connect_with = move |url: String, key: String, token: Option<String>| {
        // Checked before anything is stored or sent: a service_role key is refused here.
        match crate::api::check_supabase_settings(&url, &key, token.as_deref()) {
            Ok(project) => {
                supabase_error.set(None);
                let _ = storage::save(Area::Local, keys::SUPABASE_URL, &project);
                // Kept under this exact project URL, in this tab (sessionStorage, gone when it
                // closes) unless the user asks to remember it on this device; never in the
                // page's URL.
                let saved = SupabaseKeys { key, token };
                let kept = keys::supabase_keys(&project);
                let _ = storage::save(Area::Session, &kept, &saved);
                if remember.get() {
                    let _ = storage::save(Area::Local, &kept, &saved);
                } else {
                    storage::remove(Area::Local, &kept);
                }
                on_pick.run(DataSource::Supabase {
                    url: project,
                    keys: saved,
                });
            }
            Err(e) => supabase_error.set(Some(e)),
        }
    };
    let connect = move || {
        let url = supabase_url.get().trim().trim_end_matches('/').to_owned();
        let key = supabase_key.get().trim().to_owned();
        let token = Some(supabase_token.get().trim().to_owned()).filter(|t| !t.is_empty());
        connect_with(url, key, token);
    };
    let on_signed_in = Callback::new(move |(project, key): (String, String)| {
        connect_with(project, key, None);
    });

    view! {
        <div class="source-picker" data-testid="source-picker">
            <label>
                "Data "
                <select
                    data-testid="source-select"
                    on:change=move |ev| {
                        match event_target_value(&ev).as_str() {
                            "demo" => {
                                mode.set(Mode::Demo);
                                on_pick.run(DataSource::Demo);
                            }
                            "file" => mode.set(Mode::File),
                            _ => mode.set(Mode::Supabase),
                        }
                    }
                >
                    <option value="demo" selected=move || mode.get() == Mode::Demo>"Demo data"</option>
                    <option value="file" selected=move || mode.get() == Mode::File>"CSV / JSON export…"</option>
                    <option value="supabase" selected=move || mode.get() == Mode::Supabase>"Supabase…"</option>
                </select>
            </label>
            <ShowIf when=move || mode.get() == Mode::File>
                <div
                    class="drop-zone"
                    class:dragging=move || dragging.get()
                    data-testid="file-drop"
                    on:dragover=move |ev: web_sys::DragEvent| {
                        ev.prevent_default();
                        dragging.set(true);
                    }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=move |ev: web_sys::DragEvent| {
                        ev.prevent_default();
                        dragging.set(false);
                        let file = ev.data_transfer().and_then(|dt| dt.files()).and_then(|f| f.get(0));
                        match file {
                            Some(file) => read_file(file, on_pick, file_error),
                            None => file_error.set(Some("Drop one CSV or JSON file.".into())),
                        }
                    }
                >
                    <label>
                        "Export file (CSV from psql \\copy or Supabase, or PostgREST JSON): "
                        <input
                            type="file"
                            accept=".csv,.json,text/csv,application/json"
                            data-testid="file-input"
                            on:change=move |ev| {
                                let input = ev
                                    .target()
                                    .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
                                if let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) {
                                    read_file(file, on_pick, file_error);
                                }
                            }
                        />
                    </label>
                    " or drop it here."
                    {move || file_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </div>
            </ShowIf>
            <ShowIf when=move || mode.get() == Mode::Supabase>
                <form
                    class="supabase-form"
                    data-testid="supabase-form"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        connect();
                    }
                >
                    <label>
                        "Project URL "
                        <input
                            type="url"
                            placeholder="https://<project>.supabase.co"
                            data-testid="supabase-url"
                            prop:value=move || supabase_url.get()
                            on:input=move |ev| supabase_url.set(event_target_value(&ev))
                        />
                    </label>
                    <label>
                        " Anon key "
                        <input
                            type="password"
                            autocomplete="off"
                            placeholder="anon or sb_publishable_… key"
                            data-testid="supabase-key"
                            prop:value=move || supabase_key.get()
                            on:input=move |ev| supabase_key.set(event_target_value(&ev))
                        />
                    </label>
                    <details class="advanced">
                        <summary>"Advanced: paste an access token"</summary>
                        <label title="A signed-in user's JWT, e.g. from a script; signing in below does this for you">
                            " Access token "
                            <input
                                type="password"
                                autocomplete="off"
                                placeholder="a signed-in user's JWT"
                                data-testid="supabase-token"
                                prop:value=move || supabase_token.get()
                                on:input=move |ev| supabase_token.set(event_target_value(&ev))
                            />
                        </label>
                    </details>
                    <label>
                        <input
                            type="checkbox"
                            data-testid="supabase-remember"
                            prop:checked=move || remember.get()
                            on:change=move |ev| remember.set(event_target_checked(&ev))
                        />
                        " Remember on this device"
                    </label>
                    <button type="submit">"Connect"</button>
                    {move || supabase_error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="supabase-error">{e}</p> })}
                </form>
                <SignInForm
                    url=supabase_url
                    key=supabase_key
                    remember=remember
                    auth=auth
                    on_signed_in=on_signed_in
                />
            </ShowIf>
        </div>
    }
}
