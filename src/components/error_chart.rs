//! Error rate per bucket with the 1 %, 2 % and 5 % lines and alert periods shaded.

use std::sync::Arc;

use canary_core::alerts::MetricId;
use leptos::prelude::*;

use super::chart_figure::ChartFigure;
use crate::charts::{bucket_label, describe_periods, error_rate};
use canary_core::analysis::Analysis;

/// Error rate per bucket with the 1 %, 2 % and 5 % lines and alert periods shaded; the shaded
/// periods are also listed in words under the chart.
#[component]
pub fn ErrorChart(
    /// The window's analysis (its series and alerts are drawn).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
) -> impl IntoView {
    let svg = Memo::new(move |_| {
        let a = analysis.get();
        error_rate::render_svg(&a.series, &a.evaluation.alerts, error_rate::SIZE)
    });
    let periods = Memo::new(move |_| {
        describe_periods(&analysis.get().evaluation.alerts, &[MetricId::ErrorRate])
    });
    view! {
        <section class="panel data-panel" data-testid="error-chart">
            <h2>
                "Error rate "
                <span class="chart-bucket">{move || bucket_label(analysis.get().series.bucket)}</span>
            </h2>
            <ChartFigure
                svg=svg
                periods=periods
                class="chart"
                aria_label="Error rate per bucket with the 1 % warning, 2 % critical and 5 % emergency lines and error-rate alert periods shaded by level"
                periods_label="Error-rate alert periods"
                no_periods="No error-rate alerts in this window."
                no_data="No requests in this window."
            />
        </section>
    }
}
