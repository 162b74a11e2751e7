//! The part every chart panel shares: the panel with its heading and the bucket width, the drawn
//! chart with its alert periods listed in words, its numbers as a table behind "Show data", or
//! its empty / error state.

use std::sync::Arc;

use canary_core::alerts::Level;
use leptos::prelude::*;

use crate::charts::{bucket_label, ChartError, DrawnChart};
use canary_core::analysis::Analysis;

/// A chart panel: its heading with the series' bucket width, the chart's SVG (labelled with
/// what it shows and its latest and worst values), the alert periods under it and a "Show data"
/// button (a disclosure) with the plotted series as a table; "no data" and drawing errors get
/// their own message instead of a blank panel.
#[component]
pub fn ChartPanel(
    /// The window's analysis (the heading reads its bucket width).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
    /// The panel's `data-testid`.
    testid: &'static str,
    /// The heading, before the bucket width.
    heading: &'static str,
    /// The drawn chart with the numbers it draws, or why there is none.
    #[prop(into)]
    svg: Signal<Result<DrawnChart, ChartError>>,
    /// The shaded alert periods, in words, with their levels.
    #[prop(into)]
    periods: Signal<Vec<(Level, String)>>,
    /// CSS class of the chart's container.
    class: &'static str,
    /// What the chart shows, for screen readers (its values are added from the data).
    aria_label: String,
    /// Name of the periods list, for screen readers.
    periods_label: &'static str,
    /// Shown when no alert period falls in the window.
    no_periods: &'static str,
    /// Shown when the window has nothing to chart.
    no_data: &'static str,
) -> impl IntoView {
    // The table is built only while it is open: a day is 1,440 rows per chart.
    let open = RwSignal::new(false);
    let table = move || {
        svg.with(|chart| {
            let data = &chart.as_ref().ok()?.data;
            let head = data
                .columns
                .iter()
                .map(|c| view! { <th scope="col">{*c}</th> })
                .collect_view();
            let rows = data
                .rows()
                .map(|(time, cells)| {
                    view! {
                        <tr>
                            <th scope="row">{time}</th>
                            {cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}
                        </tr>
                    }
                })
                .collect_view();
            Some(view! {
                <div class="table-scroll chart-table" role="region" aria-label=format!("{} data", data.title) tabindex="0">
                    <table class="data-table compact">
                        <caption>{data.caption.clone()}</caption>
                        <thead><tr>{head}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })
        })
    };
    let figure = move || {
        svg.with(|chart| match chart {
            Ok(chart) => {
                let label = format!("{aria_label}. {}", chart.data.summary);
                let rows = chart.data.len();
                let title = chart.data.title;
                view! {
                    // On a phone the wide chart keeps legible text and scrolls sideways, so its
                    // container is a named, focusable region.
                    <div class=class role="region" aria-label=format!("{title} chart") tabindex="0">
                        <div role="img" aria-label=label inner_html=chart.svg.clone()></div>
                    </div>
                    <ul class="chart-periods" aria-label=periods_label>
                        {move || {
                            let list = periods.get();
                            if list.is_empty() {
                                view! { <li class="none">{no_periods}</li> }.into_any()
                            } else {
                                list.into_iter()
                                    .map(|(level, text)| {
                                        view! { <li class=format!("level-{}", level.as_str())>{text}</li> }
                                    })
                                    .collect_view()
                                    .into_any()
                            }
                        }}
                    </ul>
                    <button
                        type="button"
                        class="show-data"
                        aria-expanded=move || open.get().to_string()
                        on:click=move |_| open.update(|o| *o = !*o)
                    >
                        {move || if open.get() { "Hide data" } else { "Show data" }}
                        <span class="visually-hidden">{format!(" of the {title} chart")}</span>
                        <span class="rows">{format!(" ({rows} rows)")}</span>
                    </button>
                    {move || open.get().then(table)}
                }
                .into_any()
            }
            Err(ChartError::NoData) => view! { <p class="empty-note">{no_data}</p> }.into_any(),
            Err(e) => view! { <p class="chart-error" role="alert">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <section class="panel data-panel" data-testid=testid>
            <h2>
                {heading}
                " "
                <span class="chart-bucket">{move || bucket_label(analysis.get().series.bucket)}</span>
            </h2>
            {figure}
        </section>
    }
}
