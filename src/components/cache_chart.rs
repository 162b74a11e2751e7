//! Cache hit rate per bucket with the 95 % and 90 % lines and alert periods shaded.

use std::sync::Arc;

use canary_core::alerts::{Alert, MetricId};
use canary_core::series::Series;
use leptos::prelude::*;

use super::chart_figure::ChartFigure;
use crate::charts::{bucket_label, cache_hit_rate, describe_periods};

/// Cache hit rate per bucket with the 95 % and 90 % lines and alert periods shaded; the shaded
/// periods are also listed in words under the chart.
#[component]
pub fn CacheChart(
    /// The window's per-bucket series.
    #[prop(into)]
    series: Signal<Arc<Series>>,
    /// Alerts of the window (cache hit-rate ones are shaded).
    #[prop(into)]
    alerts: Signal<Vec<Alert>>,
) -> impl IntoView {
    let svg = Memo::new(move |_| {
        cache_hit_rate::render_svg(&series.get(), &alerts.get(), cache_hit_rate::SIZE)
    });
    let periods = Memo::new(move |_| describe_periods(&alerts.get(), &[MetricId::CacheHitRate]));
    view! {
        <section class="panel data-panel" data-testid="cache-chart">
            <h2>
                "Cache hit rate "
                <span class="chart-bucket">{move || bucket_label(series.get().bucket)}</span>
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
