//! The page: header with the source, time range and refresh controls; data loading; the
//! dashboard once data is there. The view's state (never a key) lives in the page's URL.

use std::ops::ControlFlow;
use std::sync::Arc;

use leptos::prelude::*;

use crate::components::show_if::ShowIf;

use crate::api::{ExactRead, ReadProgress};
use crate::components::account_status::AccountStatus;
use crate::components::dashboard::Dashboard;
use crate::components::fast_estimate::FastEstimate;
use crate::components::source_picker::SourcePicker;
use crate::components::toolbar::Toolbar;
use crate::data::{load, progress_text, DataSource, Dataset, ReadSpan, SupabaseKeys};
use crate::session;
use crate::state::ConsoleState;
use crate::storage::{self, keys, Area};
use canary_core::analysis::RangeChoice;
use canary_core::metrics::Metrics;

/// A read's progress bar: "N rows of about M" while Supabase pages, a plain bar otherwise; above
/// it the rollups' first numbers of the window, when they came.
fn loading_status(
    progress: Option<ReadProgress>,
    estimate: Option<Arc<Metrics>>,
    what: &'static str,
) -> impl IntoView {
    let (value, max, text) = match progress {
        Some(p) => (
            Some(p.rows as f64),
            p.estimate.map(|e| e.max(p.rows).max(1) as f64),
            format!(" {what}: {}…", progress_text(&p)),
        ),
        None => (
            None,
            None,
            " Loading events and computing metrics…".to_owned(),
        ),
    };
    view! {
        {estimate.map(|m| view! { <FastEstimate metrics=Signal::stored(m) /> })}
        <div class="loading" data-testid="loading" role="status">
            <progress value=value max=max></progress>
            {text}
        </div>
    }
}

/// The whole Canary Console page.
#[component]
pub fn App() -> impl IntoView {
    // Back from an OAuth or emailed-link sign-in: the code or token leaves the address bar first.
    let landing = session::take_landing();
    let state = ConsoleState::from_page();
    provide_context(state);
    // The team's records outlive the dashboard, which is made again for every load of the data.
    crate::team::TeamState::provide();
    let source = state.source;
    let auth = state.auth;
    // The project shown and its key: whose session the header shows and keeps fresh.
    let project = Signal::derive(move || match source.get() {
        DataSource::Supabase { url, keys } => Some((url, keys.key)),
        _ => None,
    });
    session::listen(auth);
    session::keep_fresh(project, auth);
    if let Some(landing) = landing {
        leptos::task::spawn_local(async move {
            match session::finish_landing(landing, auth).await {
                Ok((url, key)) => {
                    let keys = SupabaseKeys { key, token: None };
                    let _ = storage::save(Area::Session, &keys::supabase_keys(&url), &keys);
                    source.set(DataSource::Supabase { url, keys });
                }
                Err(e) => {
                    auth.update(|a| a.notice = Some(format!("Signing in did not finish: {e}")))
                }
            }
        });
    }
    let signed_in = Signal::derive(move || {
        auth.track();
        let (url, _) = project.get()?;
        session::stored(&url).map(|(s, _)| s.user.name().to_owned())
    });
    // A refresh bumps this counter, which re-runs the load.
    let reload = RwSignal::new(0u32);
    // What a live source reads for the range picked (re-read only when that changes).
    let span = Memo::new(move |_| {
        let number = state.phase_number.get();
        state.phases.with(|phases| {
            ReadSpan::for_range(
                state.range.get(),
                phases.iter().find(|p| p.number == number),
            )
        })
    });
    // The data set shown and the refresh count it was loaded at: a later count with the same
    // source and span is a refresh of it (incremental for Supabase); anything else reads anew.
    let shown = StoredValue::new(None::<(u32, Arc<Dataset>)>);
    // Each load's number: the progress of a load that another has replaced is not shown, and
    // that read stops.
    let latest = StoredValue::new(0u64);
    let dataset = LocalResource::new(move || {
        let tick = reload.get();
        let source = source.get();
        // Only a live source depends on the range: the demo or a file is never re-read for it.
        let span = source.is_live().then(|| span.get());
        let previous = shown
            .get_value()
            .filter(|(at, _)| *at != tick)
            .map(|(_, d)| d);
        let this = latest.get_value() + 1;
        latest.set_value(this);
        let on_progress = move |p: ReadProgress| {
            if latest.get_value() != this {
                return ControlFlow::Break(());
            }
            state.progress.set(Some(p));
            ControlFlow::Continue(())
        };
        let on_estimate = move |m: Metrics| {
            if latest.get_value() == this {
                state.estimate.set(Some(Arc::new(m)));
            }
        };
        let exact = if state.exact_only.get_untracked() {
            ExactRead::Always
        } else {
            ExactRead::UpTo(state.exact_rows_limit.get_value())
        };
        async move {
            let result = load(source, span, previous, exact, on_estimate, on_progress).await;
            if latest.get_value() == this {
                state.progress.set(None);
                state.estimate.set(None);
                if let Ok(d) = &result {
                    shown.set_value(Some((tick, d.clone())));
                }
            }
            result
        }
    });
    // While data is shown and a Supabase read runs (another project, a refresh), a bar above
    // it says so; the first load shows it in the Transition's fallback instead.
    let replacing = move || {
        (state.progress.get().is_some() || state.estimate.with(Option::is_some))
            && dataset.with(|d| d.is_some())
    };
    state.sync_url();
    state.start_auto_refresh(reload);

    view! {
        <header class="app-header">
            <h1>"Canary Console"</h1>
            <p class="source" data-testid="source-label">{move || source.get().label()}</p>
            <SourcePicker
                source=source
                on_pick=Callback::new(move |s: DataSource| source.set(s))
                link_project=state.link_project.get_value()
                auth=auth
            />
            <AccountStatus
                user=signed_in
                notice=Signal::derive(move || auth.with(|a| a.notice.clone()))
                on_sign_out=Callback::new(move |()| {
                    let Some((url, key)) = project.get_untracked() else { return };
                    leptos::task::spawn_local(async move {
                        if let Ok(config) = crate::api::supabase_config(&url, &key, None, crate::clock::now()) {
                            if let Err(e) = session::sign_out(&config, auth).await {
                                auth.update(|a| a.notice = Some(format!("Signed out here; the server could not be told ({e})")));
                            }
                        }
                        // A full read again (not an incremental refresh of what is shown): the
                        // rows on screen must go with the session.
                        source.update(|_| {});
                    });
                })
            />
            <Toolbar
                range=state.range
                on_range=Callback::new(move |r: RangeChoice| state.range.set(r))
                auto_refresh=state.auto_refresh
                on_auto_refresh=Callback::new(move |m: u32| state.set_auto_refresh(m))
                live=Signal::derive(move || source.get().is_live())
                on_refresh=Callback::new(move |()| reload.update(|n| *n += 1))
                exact_only=state.exact_only
                on_exact_only=Callback::new(move |on: bool| state.exact_only.set(on))
            />
        </header>
        <main class="app-main">
            <ShowIf when=replacing>
                {move || loading_status(state.progress.get(), state.estimate.get(), "Reading Supabase")}
            </ShowIf>
            // The fallback is a closure, so its text follows the progress of the first load.
            <Transition fallback=move || move || loading_status(state.progress.get(), state.estimate.get(), "Loading events")>
                <ErrorBoundary fallback=|errors| {
                    view! {
                        <div class="load-error" role="alert" data-testid="load-error">
                            <h2>"The data could not be loaded"</h2>
                            <ul>
                                {move || {
                                    errors
                                        .get()
                                        .into_iter()
                                        .map(|(_, e)| view! { <li>{e.to_string()}</li> })
                                        .collect_view()
                                }}
                            </ul>
                            <p>"The previous data is not shown; fix the settings above, or pick the demo or another file to go on."</p>
                        </div>
                    }
                }>
                    {move || {
                        dataset
                            .get()
                            .map(|result| {
                                result
                                    .map(|d| {
                                        // Said above the numbers, so an empty read is never
                                        // mistaken for a quiet system.
                                        let warnings = (!d.warnings.is_empty()).then(|| {
                                            let items = d
                                                .warnings
                                                .iter()
                                                .map(|w| view! { <li>{w.clone()}</li> })
                                                .collect_view();
                                            view! {
                                                <div class="data-warning status-warn" role="status" data-testid="data-warning">
                                                    <strong>"Check this data"</strong>
                                                    <ul>{items}</ul>
                                                </div>
                                            }
                                        });
                                        view! {
                                            {warnings}
                                            <Dashboard dataset=d />
                                        }
                                    })
                            })
                    }}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}
