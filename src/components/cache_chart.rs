//! Cache hit rate per bucket with the 95 % and 90 % lines and alert periods shaded.

use std::sync::Arc;

use canary_core::alerts::MetricId;
use leptos::prelude::*;

use super::chart_figure::ChartFigure;
use crate::charts::{bucket_label, cache_hit_rate, describe_periods};
use canary_core::analysis::Analysis;

/// Cache hit rate per bucket with the 95 % and 90 % lines and alert periods shaded; the shaded
/// periods are also listed in words under the chart.
#[component]
pub fn CacheChart(
    /// The window's analysis (its series and alerts are drawn).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
) -> impl IntoView {
    let svg = Memo::new(move |_| {
        let a = analysis.get();
        cache_hit_rate::render_svg(&a.series, &a.evaluation.alerts, cache_hit_rate::SIZE)
    });
    let periods = Memo::new(move |_| {
        describe_periods(&analysis.get().evaluation.alerts, &[MetricId::CacheHitRate])
    });
    view! {
        <section class="panel data-panel" data-testid="cache-chart">
            <h2>
                "Cache hit rate "
                <span class="chart-bucket">{move || bucket_label(analysis.get().series.bucket)}</span>
            </h2>
            <ChartFigure
                svg=svg
                periods=periods
                class="chart"
                aria_label="Cache hit rate per bucket with the 95 % warning and 90 % critical lines and cache hit-rate alert periods shaded by level"
                periods_label="Cache hit-rate alert periods"
                no_periods="No cache hit-rate alerts in this window."
                no_data="No cache accesses in this window."
            />
        </section>
    }
}
