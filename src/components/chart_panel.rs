//! The part every chart panel shares: the panel with its heading and the bucket width, the drawn
//! chart with its alert periods listed in words, or its empty / error state.

use std::sync::Arc;

use canary_core::alerts::Level;
use leptos::prelude::*;

use crate::charts::{bucket_label, ChartError};
use canary_core::analysis::Analysis;

/// A chart panel: its heading with the series' bucket width, the chart's SVG and the alert
/// periods under it; "no data" and drawing errors get their own message instead of a blank
/// panel.
#[component]
pub fn ChartPanel(
    /// The window's analysis (the heading reads its bucket width).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
    /// The panel's `data-testid`.
    testid: &'static str,
    /// The heading, before the bucket width.
    heading: &'static str,
    /// The drawn chart, or why there is none.
    #[prop(into)]
    svg: Signal<Result<String, ChartError>>,
    /// The shaded alert periods, in words, with their levels.
    #[prop(into)]
    periods: Signal<Vec<(Level, String)>>,
    /// CSS class of the chart's container.
    class: &'static str,
    /// What the chart shows, for screen readers.
    aria_label: String,
    /// Name of the periods list, for screen readers.
    periods_label: &'static str,
    /// Shown when no alert period falls in the window.
    no_periods: &'static str,
    /// Shown when the window has nothing to chart.
    no_data: &'static str,
) -> impl IntoView {
    let figure = move || match svg.get() {
        Ok(svg) => view! {
            <div class=class role="img" aria-label=aria_label.clone() inner_html=svg></div>
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
        }
        .into_any(),
        Err(ChartError::NoData) => view! { <p class="empty-note">{no_data}</p> }.into_any(),
        Err(e) => view! { <p class="chart-error" role="alert">{e.to_string()}</p> }.into_any(),
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
