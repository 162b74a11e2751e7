//! `<Show>` without its generics.

use leptos::either::Either;
use leptos::prelude::*;

/// Shows `children` while `when` is true, else `fallback`: leptos' `<Show>`, but one copy of its
/// code for every use instead of one per condition and children type.
#[component(transparent)]
pub fn ShowIf(
    /// What is shown while `when` is true.
    children: ChildrenFn,
    /// Whether to show `children` (memoised: they are built again only when it changes).
    #[prop(into)]
    when: Signal<bool>,
    /// What is shown otherwise (nothing by default).
    #[prop(optional, into)]
    fallback: ViewFn,
) -> impl IntoView {
    let memoized_when = ArcMemo::new(move |_| when.get());
    move || match memoized_when.get() {
        true => Either::Left(children()),
        false => Either::Right(fallback.run()),
    }
}
