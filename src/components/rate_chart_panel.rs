//! A rate chart panel: the error rate, cache hit rate or mem0 write success per bucket, with the
//! lines of its metric's rules and its alert periods shaded and listed in words.

use std::sync::Arc;

use canary_core::alerts::Rule;
use leptos::prelude::*;

use super::chart_panel::ChartPanel;
use crate::charts::rate::{self, RateChart};
use crate::charts::{describe_periods, thresholds_in_words};
use canary_core::analysis::Analysis;

/// What one rate chart panel shows, and its words.
#[derive(Debug)]
pub struct RatePanel {
    /// The panel's `data-testid`.
    pub testid: &'static str,
    /// The heading, before the bucket width.
    pub heading: &'static str,
    pub chart: RateChart,
    /// What is charted, for screen readers.
    pub charted: &'static str,
    /// The alerts' name in the screen readers' description.
    pub alerts: &'static str,
    /// Name of the periods list, for screen readers.
    pub periods_label: &'static str,
    /// Shown when no alert period falls in the window.
    pub no_periods: &'static str,
    /// Shown when the window has nothing to chart.
    pub no_data: &'static str,
}

/// The error rate of `request_completed` events.
pub const ERROR_RATE: RatePanel = RatePanel {
    testid: "error-chart",
    heading: "Error rate",
    chart: rate::ERROR_RATE,
    charted: "Error rate",
    alerts: "error-rate",
    periods_label: "Error-rate alert periods",
    no_periods: "No error-rate alerts in this window.",
    no_data: "No requests in this window.",
};

/// The cache hit rate of `cache_access` events.
pub const CACHE_HIT_RATE: RatePanel = RatePanel {
    testid: "cache-chart",
    heading: "Cache hit rate",
    chart: rate::CACHE_HIT_RATE,
    charted: "Cache hit rate",
    alerts: "cache hit-rate",
    periods_label: "Cache hit-rate alert periods",
    no_periods: "No cache hit-rate alerts in this window.",
    no_data: "No cache accesses in this window.",
};

/// The success rate of `mem0_write` events.
pub const MEM0_SUCCESS: RatePanel = RatePanel {
    testid: "mem0-chart",
    heading: "mem0 write success",
    chart: rate::MEM0_SUCCESS,
    charted: "mem0 write success rate",
    alerts: "mem0",
    periods_label: "mem0 write-success alert periods",
    no_periods: "No mem0 write-success alerts in this window.",
    no_data: "No mem0 writes in this window.",
};

impl RatePanel {
    /// What the chart shows, for screen readers, with its lines from `rules`.
    pub fn aria_label(&self, rules: &[Rule]) -> String {
        format!(
            "{} per bucket with {} and {} alert periods shaded by level",
            self.charted,
            thresholds_in_words(&self.chart.thresholds(rules)),
            self.alerts
        )
    }
}

/// One rate per bucket with its rules' lines and alert periods shaded; the shaded periods are
/// also listed in words under the chart.
#[component]
pub fn RateChartPanel(
    /// Which rate, and its words.
    panel: &'static RatePanel,
    /// The window's analysis (its series and alerts are drawn).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
    /// The rule table the alerts were evaluated with (its thresholds are drawn).
    rules: Arc<[Rule]>,
) -> impl IntoView {
    let aria_label = panel.aria_label(&rules);
    let svg = Memo::new(move |_| {
        let a = analysis.get();
        panel
            .chart
            .render_svg(&a.series, &a.evaluation.alerts, &rules, rate::SIZE)
    });
    let periods = Memo::new(move |_| {
        let a = analysis.get();
        describe_periods(&a.evaluation.alerts, &[panel.chart.metric], None)
    });
    view! {
        <ChartPanel
            analysis=analysis
            testid=panel.testid
            heading=panel.heading
            svg=svg
            periods=periods
            class="chart"
            aria_label=aria_label
            periods_label=panel.periods_label
            no_periods=panel.no_periods
            no_data=panel.no_data
        />
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{empty_point, hex, series};
    use crate::charts::{level_colour, WARNING};
    use crate::components::latency_chart;
    use crate::components::panel_helpers::RateStatus;
    use canary_core::alerts::{default_rules, Level, MetricId, WindowedMetric};
    use canary_core::series::Series;

    /// The descriptions are the ones the page has always had for the guide's rules.
    #[test]
    fn descriptions_of_the_default_rules() {
        let rules = default_rules();
        let check = |panel: &RatePanel, want: &str| assert_eq!(panel.aria_label(&rules), want);
        check(&ERROR_RATE, "Error rate per bucket with the 1 % warning, 2 % critical and 5 % emergency lines and error-rate alert periods shaded by level");
        check(&CACHE_HIT_RATE, "Cache hit rate per bucket with the 95 % warning and 90 % critical lines and cache hit-rate alert periods shaded by level");
        check(&MEM0_SUCCESS, "mem0 write success rate per bucket with the 99 % warning, 95 % critical and 90 % emergency lines and mem0 alert periods shaded by level");
        assert_eq!(
            latency_chart::aria_label(&rules),
            "P50, P95 and P99 latency per bucket with the 400 ms P50 warning and 500 ms P50 critical lines, latency alert periods shaded by level, and the circuit breaker's state as a band under the chart"
        );
        assert_eq!(ERROR_RATE.aria_label(&[]), "Error rate per bucket with no threshold lines and error-rate alert periods shaded by level");
    }

    /// The y of each two-pixel line drawn in `colour` (the legend's mark first, then the dashes
    /// of the threshold line).
    fn line_ys(svg: &str, colour: &str) -> Vec<String> {
        svg.split("<polyline ")
            .skip(1)
            .filter(|p| {
                p.contains(&format!("stroke=\"{colour}\"")) && p.contains("stroke-width=\"2\"")
            })
            .filter_map(|p| p.split("points=\"").nth(1)?.split([' ', '"']).next())
            .filter_map(|xy| Some(xy.split_once(',')?.1.to_owned()))
            .collect()
    }

    /// One rule changed in the table: the chart's line and legend, the panel's description and
    /// the stat colours all follow it, as they follow every rule the page evaluates.
    #[test]
    fn a_changed_rule_changes_the_chart_and_the_panels() {
        let guide = default_rules();
        let mut changed = default_rules();
        let warning = changed
            .iter_mut()
            .find(|r| r.metric == WindowedMetric::ErrorRate && r.level == Level::Warning)
            .unwrap();
        assert_eq!(warning.threshold, 1.0);
        warning.threshold = 1.5;

        let calm: Series = series(
            (0..30)
                .map(|i| canary_core::series::SeriesPoint {
                    requests: 100,
                    error_rate_pct: Some(0.5),
                    ..empty_point(i)
                })
                .collect(),
        );
        let draw = |rules: &[Rule]| {
            ERROR_RATE
                .chart
                .render_svg(&calm, &[], rules, rate::SIZE)
                .unwrap()
                .svg
        };
        let (before, after) = (draw(&guide), draw(&changed));
        // The legend names the rule's threshold.
        assert!(before.contains("1 % warning") && !before.contains("1.5 % warning"));
        assert!(after.contains("1.5 % warning") && !after.contains("1 % warning"));
        // The warning line moves up (a smaller y); the critical one stays.
        let warning_y = |svg: &str| -> f64 {
            let ys = line_ys(svg, &hex(WARNING));
            assert!(ys.len() >= 10, "{ys:?}");
            ys.last().unwrap().parse().unwrap()
        };
        assert!(warning_y(&after) < warning_y(&before));
        let critical = hex(level_colour(Level::Critical));
        assert_eq!(line_ys(&before, &critical), line_ys(&after, &critical));
        // The panel's description and the error panel's colours follow.
        assert!(ERROR_RATE
            .aria_label(&changed)
            .contains("the 1.5 % warning, 2 % critical"));
        assert_eq!(
            RateStatus::of(&guide, MetricId::ErrorRate).class(Some(1.2)),
            "status status-warn"
        );
        assert_eq!(
            RateStatus::of(&changed, MetricId::ErrorRate).class(Some(1.2)),
            "status status-ok"
        );
    }
}
