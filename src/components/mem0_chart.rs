//! mem0 write success per bucket with the 99 %, 95 % and 90 % lines and alert periods shaded.

use std::sync::Arc;

use canary_core::alerts::MetricId;
use leptos::prelude::*;

use super::chart_figure::ChartFigure;
use crate::charts::{bucket_label, describe_periods, mem0_success};
use canary_core::analysis::Analysis;

/// mem0 write success per bucket with the 99 %, 95 % and 90 % lines and alert periods shaded; the shaded
/// periods are also listed in words under the chart.
#[component]
pub fn Mem0Chart(
    /// The window's analysis (its series and alerts are drawn).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
) -> impl IntoView {
    let svg = Memo::new(move |_| {
        let a = analysis.get();
        mem0_success::render_svg(&a.series, &a.evaluation.alerts, mem0_success::SIZE)
    });
    let periods = Memo::new(move |_| {
        describe_periods(
            &analysis.get().evaluation.alerts,
            &[MetricId::Mem0WriteSuccess],
        )
    });
    view! {
        <section class="panel data-panel" data-testid="mem0-chart">
            <h2>
                "mem0 write success "
                <span class="chart-bucket">{move || bucket_label(analysis.get().series.bucket)}</span>
            </h2>
            <ChartFigure
                svg=svg
                periods=periods
                class="chart"
                aria_label="mem0 write success rate per bucket with the 99 % warning, 95 % critical and 90 % emergency lines and mem0 alert periods shaded by level"
                periods_label="mem0 write-success alert periods"
                no_periods="No mem0 write-success alerts in this window."
                no_data="No mem0 writes in this window."
            />
        </section>
    }
}
