//! A panel the rollups cannot fill: what it needs, in words, and a button that reads the
//! window's rows instead (as the toolbar's "Exact numbers only" does).

use leptos::prelude::*;

use crate::state::ConsoleState;

/// What a panel would show, why the rollups cannot give it, and "Read every row" to get it.
#[component]
pub fn ExactReadNote(
    /// The panel's `data-testid` (the one it has with the rows).
    testid: &'static str,
    /// The panel's heading.
    heading: &'static str,
    /// Why the rollups cannot give it, in a sentence.
    why: &'static str,
) -> impl IntoView {
    view! {
        <section class="panel exact-read-note" data-testid=testid data-from="rollups">
            <h2>{heading}</h2>
            <p class="empty-note">{why}</p>
            <ReadRowsButton />
        </section>
    }
}

/// "Read every row": ticks "Exact numbers only" and reads the window again, row by row.
#[component]
pub fn ReadRowsButton() -> impl IntoView {
    let state = ConsoleState::expect_context();
    view! {
        <button
            type="button"
            data-testid="read-rows"
            on:click=move |_| {
                state.exact_only.set(true);
                // A full read of the same source (not a refresh of what is shown).
                state.source.update(|_| {});
            }
        >
            "Read every row (exact, slow on a long window)"
        </button>
    }
}
