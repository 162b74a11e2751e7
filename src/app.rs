//! The page: header with the source, time range and refresh controls; data loading; the
//! dashboard once data is there. The view's state (never a key) lives in the page's URL.

use leptos::prelude::*;

use crate::analysis::RangeChoice;
use crate::components::dashboard::Dashboard;
use crate::components::source_picker::SourcePicker;
use crate::components::toolbar::Toolbar;
use crate::data::{load, DataSource};
use crate::state::ConsoleState;

/// The whole Canary Console page.
#[component]
pub fn App() -> impl IntoView {
    let state = ConsoleState::from_page();
    provide_context(state);
    let source = state.source;
    // A refresh bumps this counter, which re-runs the load.
    let reload = RwSignal::new(0u32);
    let dataset = LocalResource::new(move || {
        reload.track();
        load(source.get())
    });
    state.sync_url();
    state.start_auto_refresh(reload);

    view! {
        <header class="app-header">
            <h1>"Canary Console"</h1>
            <p class="source" data-testid="source-label">{move || source.get().label()}</p>
            <SourcePicker
                source=source
                on_pick=Callback::new(move |s: DataSource| source.set(s))
            />
            <Toolbar
                range=state.range
                on_range=Callback::new(move |r: RangeChoice| state.range.set(r))
                auto_refresh=state.auto_refresh
                on_auto_refresh=Callback::new(move |m: u32| state.set_auto_refresh(m))
                live=Signal::derive(move || source.get().is_live())
                on_refresh=Callback::new(move |()| reload.update(|n| *n += 1))
            />
        </header>
        <main class="app-main">
            <Transition fallback=|| {
                view! {
                    <div class="loading" data-testid="loading" role="status">
                        <progress></progress>
                        " Loading events and computing metrics…"
                    </div>
                }
            }>
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
                            <p>"The previous data is not shown; pick the demo or another file to go on."</p>
                        </div>
                    }
                }>
                    {move || {
                        dataset
                            .get()
                            .map(|result| result.map(|d| view! { <Dashboard dataset=d /> }))
                    }}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}
