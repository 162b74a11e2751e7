//! One figure of a panel's stat list.

use leptos::prelude::*;

/// A name and its value in a `dl.stat-list`; the value is set as a number (right-aligned,
/// tabular figures).
#[component]
pub fn Stat(
    /// What the figure is.
    #[prop(into)]
    name: String,
    /// The figure.
    children: Children,
) -> impl IntoView {
    view! {
        <div>
            <dt>{name}</dt>
            <dd class="num">{children()}</dd>
        </div>
    }
}
