//! The page: header, data loading, and the dashboard once data is there.

use leptos::prelude::*;

use crate::components::dashboard::Dashboard;
use crate::data::{load, DataSource};

/// The whole Canary Console page.
#[component]
pub fn App() -> impl IntoView {
    let (source, _set_source) = signal(DataSource::Demo);
    let analysis = LocalResource::new(move || load(source.get()));

    view! {
        <header class="app-header">
            <h1>"Canary Console"</h1>
            <p class="source">{move || source.get().label()}</p>
        </header>
        <main class="app-main">
            <Transition fallback=|| {
                view! { <p class="loading" data-testid="loading">"Loading events and computing metrics…"</p> }
            }>
                <ErrorBoundary fallback=|errors| {
                    view! {
                        <div class="load-error" role="alert" data-testid="load-error">
                            <h2>"The data could not be shown"</h2>
                            <ul>
                                {move || {
                                    errors
                                        .get()
                                        .into_iter()
                                        .map(|(_, e)| view! { <li>{e.to_string()}</li> })
                                        .collect_view()
                                }}
                            </ul>
                        </div>
                    }
                }>
                    {move || {
                        analysis
                            .get()
                            .map(|result| result.map(|a| view! { <Dashboard analysis=a /> }))
                    }}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}
