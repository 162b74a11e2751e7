//! The skeleton the data panels share: a `section.panel` with its test id and heading, its body
//! while the window has data for it, a note saying what is missing otherwise.

use leptos::prelude::*;

use super::show_if::ShowIf;

/// A data panel: heading, then `children` while `has_data`, else `empty_note`; `after` follows
/// either way.
#[component]
pub fn DataPanel(
    /// The panel's `data-testid`.
    testid: &'static str,
    /// The panel's heading.
    heading: &'static str,
    /// Whether the window has anything for the panel's body.
    #[prop(into)]
    has_data: Signal<bool>,
    /// Shown instead of the body when the window has nothing for it.
    empty_note: &'static str,
    /// The body: stat list and tables.
    children: ChildrenFn,
    /// Shown after the body whether or not there is data (nothing by default).
    #[prop(optional, into)]
    after: ViewFn,
) -> impl IntoView {
    view! {
        <section class="panel data-panel" data-testid=testid>
            <h2>{heading}</h2>
            <ShowIf
                when=has_data
                fallback=move || view! { <p class="empty-note">{empty_note}</p> }
            >
                {children()}
            </ShowIf>
            {after.run()}
        </section>
    }
}
