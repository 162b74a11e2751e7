//! The table skeleton the data panels share: a scrolling `table.data-table` with its column
//! headings, or a note while there is no row.

use leptos::prelude::*;

use super::show_if::ShowIf;

/// A column heading of a [`DataTable`]: its text, and whether the column holds numbers
/// (right-aligned).
pub type Column = (&'static str, bool);

/// A panel's table: `columns` as headings and `children` as the body's rows while `has_rows`,
/// else `empty_note`.
#[component]
pub fn DataTable(
    /// The column headings.
    columns: &'static [Column],
    /// Whether there is any row to show.
    #[prop(into)]
    has_rows: Signal<bool>,
    /// Shown instead of the table when there is no row.
    empty_note: &'static str,
    /// The table's `data-testid` (none by default).
    #[prop(optional)]
    testid: Option<&'static str>,
    /// The rows (`tr` elements).
    children: ChildrenFn,
) -> impl IntoView {
    view! {
        <ShowIf when=has_rows fallback=move || view! { <p class="empty-note">{empty_note}</p> }>
            <div class="table-scroll">
                <table class="data-table" data-testid=testid>
                    <thead>
                        <tr>
                            {columns
                                .iter()
                                .map(|&(title, numeric)| {
                                    view! { <th scope="col" class:num=numeric>{title}</th> }
                                })
                                .collect_view()}
                        </tr>
                    </thead>
                    <tbody>{children()}</tbody>
                </table>
            </div>
        </ShowIf>
    }
}
