//! The per-bucket percentage charts (error rate, cache hit rate, mem0 write success): one chart
//! drawn three ways. Each has its line, the lines of its metric's rules in the rule table the
//! page evaluates (so a changed rule moves the line, its legend and the alerts together) and its
//! alert periods shaded by level.

use std::ops::Range;

use canary_core::alerts::{Alert, Comparator, Level, MetricId, Rule};
use canary_core::series::{Series, SeriesPoint};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    alert_shades, draw_error, draw_legend, draw_mesh, draw_runs, draw_shades, draw_thresholds,
    pct_label, render_svg_with, rule_thresholds, segments, ChartError, LegendItem, Mark, Threshold,
    TimeAxis,
};

/// The size the page draws a rate chart at (it scales with the container through `viewBox`).
pub const SIZE: (u32, u32) = (420, 280);

/// Every alert level: a rate chart draws a line for each of its metric's rules.
const ALL_LEVELS: [Level; 3] = [Level::Warning, Level::Critical, Level::Emergency];

/// What differs between the rate charts.
#[derive(Clone, Copy, Debug)]
pub struct RateChart {
    /// The line's legend name.
    pub name: &'static str,
    pub colour: RGBColor,
    /// The bucket's value (`None`: no events, drawn as a gap).
    pub value: fn(&SeriesPoint) -> Option<f64>,
    /// Which side of the thresholds is bad (the rules' direction).
    pub worse: Comparator,
    /// The alert metric whose rules are drawn as lines and whose periods are shaded.
    pub metric: MetricId,
}

/// Failed over all `request_completed` events, in %.
pub const ERROR_RATE: RateChart = RateChart {
    name: "Error rate",
    colour: RGBColor(0x1f, 0x6f, 0xd1),
    value: |p| p.error_rate_pct,
    worse: Comparator::Above,
    metric: MetricId::ErrorRate,
};

/// Hits over `cache_access` events, in %.
pub const CACHE_HIT_RATE: RateChart = RateChart {
    name: "Hit rate",
    colour: RGBColor(0x0f, 0x7b, 0x8a),
    value: |p| p.cache_hit_rate_pct,
    worse: Comparator::Below,
    metric: MetricId::CacheHitRate,
};

/// Successful over all `mem0_write` events, in %.
pub const MEM0_SUCCESS: RateChart = RateChart {
    name: "Write success",
    colour: RGBColor(0x6e, 0x40, 0xc9),
    value: |p| p.mem0_success_rate_pct,
    worse: Comparator::Below,
    metric: MetricId::Mem0WriteSuccess,
};

/// The y range of a percentage chart: from the best value (0 or 100 %) past the worst
/// threshold with some room, extended to the data, but never further than three times the
/// distance from the best value to the worst threshold, so the threshold lines keep at least a
/// third of the height. Values beyond are clipped to the edge. Returns the range and whether any
/// value was clipped.
pub fn rate_range(
    values: &[f64],
    thresholds: &[Threshold],
    worse: Comparator,
) -> (Range<f64>, bool) {
    let values = values.iter().copied().filter(|v| v.is_finite());
    match worse {
        Comparator::Above => {
            let worst = thresholds.iter().map(|t| t.value).fold(1.0, f64::max);
            let limit = worst * 3.0;
            let data = values.fold(0.0, f64::max);
            let top = (data * 1.05).clamp(worst * 1.2, limit);
            (0.0..top, data > limit)
        }
        Comparator::Below => {
            let worst = thresholds.iter().map(|t| t.value).fold(99.0, f64::min);
            let limit = 100.0 - (100.0 - worst) * 3.0;
            let data = values.fold(100.0, f64::min);
            let bottom =
                (100.0 - (100.0 - data) * 1.05).clamp(limit, 100.0 - (100.0 - worst) * 1.2);
            let top = 100.0 + (100.0 - bottom) * 0.03;
            (bottom..top, data < limit)
        }
    }
}

impl RateChart {
    /// The lines of this chart's metric in `rules`, in the table's order.
    pub fn thresholds(&self, rules: &[Rule]) -> Vec<Threshold> {
        rule_thresholds(rules, self.metric, &ALL_LEVELS, "")
    }

    /// The chart's y range and whether values were clipped (see [`rate_range`]).
    pub fn y_range(&self, series: &Series, thresholds: &[Threshold]) -> (Range<f64>, bool) {
        let values: Vec<f64> = series.points.iter().filter_map(self.value).collect();
        rate_range(&values, thresholds, self.worse)
    }

    /// The legend's entries.
    pub fn legend(&self, thresholds: &[Threshold], clipped: bool) -> Vec<LegendItem> {
        let mut items = vec![LegendItem::new(
            Mark::Line(self.colour),
            if clipped {
                format!("{} (clipped at the edge)", self.name)
            } else {
                self.name.to_owned()
            },
        )];
        items.extend(
            thresholds
                .iter()
                .map(|t| LegendItem::new(Mark::Threshold(t.level), t.label.clone())),
        );
        items.push(LegendItem::new(Mark::Text, "shaded: alert firing"));
        items
    }

    /// Draws the chart of `series` with the `alerts` of its metric shaded and the lines of its
    /// `rules` onto `root`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        series: &Series,
        alerts: &[Alert],
        rules: &[Rule],
    ) -> Result<(), ChartError> {
        let axis = TimeAxis::of(series).ok_or(ChartError::NoData)?;
        let thresholds = self.thresholds(rules);
        let (y, clipped) = self.y_range(series, &thresholds);
        let runs = segments(series.points.iter().map(|p| {
            (
                axis.x(p.start),
                (self.value)(p).map(|v| v.clamp(y.start, y.end)),
            )
        }));
        if runs.is_empty() {
            return Err(ChartError::NoData);
        }
        let plot = draw_legend(root, &self.legend(&thresholds, clipped), 8)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(8)
            .margin_right(20)
            .x_label_area_size(26)
            .y_label_area_size(50)
            .build_cartesian_2d(axis.coord(5), y)
            .map_err(draw_error)?;
        draw_mesh(&plot, &mut chart, &axis, &pct_label)?;
        draw_shades(&mut chart, &alert_shades(alerts, &[self.metric], &axis))?;
        // A day of per-minute rates is dense: thin data, thresholds drawn over it.
        draw_runs(&mut chart, runs, self.colour, 1, 1.0)?;
        draw_thresholds(&mut chart, &thresholds)?;
        root.present().map_err(draw_error)
    }

    /// The chart as an SVG document of `size` pixels.
    pub fn render_svg(
        &self,
        series: &Series,
        alerts: &[Alert],
        rules: &[Rule],
        size: (u32, u32),
    ) -> Result<String, ChartError> {
        render_svg_with(size, |root| self.draw(root, series, alerts, rules))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::*;
    use crate::charts::{level_colour, test_support};
    use canary_core::alerts::default_rules;

    const CHARTS: [RateChart; 3] = [ERROR_RATE, CACHE_HIT_RATE, MEM0_SUCCESS];

    /// A bucket of `chart` at minute `i` with `rate` (`None`: no events).
    fn point(chart: &RateChart, i: i64, rate: Option<f64>) -> SeriesPoint {
        let mut p = empty_point(i);
        let n = u64::from(rate.is_some()) * 100;
        match chart.metric {
            MetricId::ErrorRate => (p.requests, p.error_rate_pct) = (n, rate),
            MetricId::CacheHitRate => (p.cache_accesses, p.cache_hit_rate_pct) = (n, rate),
            _ => (p.mem0_writes, p.mem0_success_rate_pct) = (n, rate),
        }
        p
    }

    /// A rate for `chart` that is `k` steps from its best value into the bad side.
    fn rate(chart: &RateChart, k: f64) -> Option<f64> {
        Some(match chart.worse {
            Comparator::Above => k,
            Comparator::Below => 100.0 - k,
        })
    }

    /// What a drawing shows: polylines of the rate (2+ points), and shaded rectangles per
    /// level (warning, critical, emergency; the legend adds none: shading is one text item).
    #[derive(Debug, PartialEq)]
    struct Drawn {
        runs: usize,
        shaded: [usize; 3],
    }

    /// Draws `chart` with `rates` (one per minute) and `alerts` (metric, level, since, until),
    /// checking that every rule of its metric is drawn as a line.
    fn check(
        chart: &RateChart,
        rates: &[Option<f64>],
        alerts: &[(MetricId, Level, i64, Option<i64>)],
        expected: Result<Drawn, ChartError>,
    ) {
        let rules = default_rules();
        let points = rates
            .iter()
            .zip(0..)
            .map(|(&r, i)| point(chart, i, r))
            .collect();
        let alerts: Vec<Alert> = alerts
            .iter()
            .map(|&(m, l, since, until)| test_support::alert(m, l, since, until))
            .collect();
        let got = chart
            .render_svg(&series(points), &alerts, &rules, SIZE)
            .map(|svg| {
                for t in chart.thresholds(&rules) {
                    let c = level_colour(t.level);
                    assert!(
                        lines(&svg, c, 2) >= 10,
                        "{}: line in {}",
                        chart.name,
                        hex(c)
                    );
                }
                Drawn {
                    runs: lines(&svg, chart.colour, 2),
                    shaded: ALL_LEVELS.map(|l| shaded_rects(&svg, level_colour(l))),
                }
            });
        assert_eq!(got, expected, "{}", chart.name);
    }

    #[test]
    fn rate_chart_table() {
        for chart in &CHARTS {
            // Each level with a rule has a legend swatch of its colour.
            let legend = chart
                .thresholds(&default_rules())
                .iter()
                .fold([0; 3], |mut n, t| {
                    n[t.level as usize] += 1;
                    n
                });
            let drawn = |runs, shaded: [usize; 3]| {
                Ok(Drawn {
                    runs,
                    shaded: [0, 1, 2].map(|i| legend[i] + shaded[i]),
                })
            };
            let calm = rate(chart, 0.5);
            check(chart, &[], &[], Err(ChartError::NoData));
            // Buckets without events are gaps, not 0 %: no line at all.
            check(chart, &[None, None], &[], Err(ChartError::NoData));
            check(chart, &[calm, calm, calm], &[], drawn(1, [0, 0, 0]));
            // A gap splits the line; a lone bucket is a dot, not a line.
            check(
                chart,
                &[calm, calm, None, calm, calm, None, calm],
                &[],
                drawn(2, [0, 0, 0]),
            );
            // Alerts of the chart's metric in range are shaded in their level's colour; other
            // metrics' and out-of-range ones are not.
            let other = if chart.metric == MetricId::ErrorRate {
                MetricId::CacheHitRate
            } else {
                MetricId::ErrorRate
            };
            check(
                chart,
                &(0..30)
                    .map(|i| rate(chart, f64::from(i) / 3.0))
                    .collect::<Vec<_>>(),
                &[
                    (chart.metric, Level::Warning, 5, Some(20)),
                    (chart.metric, Level::Emergency, 12, None),
                    (chart.metric, Level::Critical, 40, Some(50)),
                    (other, Level::Critical, 5, Some(20)),
                ],
                drawn(1, [1, 0, 1]),
            );
        }
    }

    #[test]
    fn rate_range_table() {
        let line = |value, level| Threshold {
            value,
            label: String::new(),
            level,
        };
        let err = [line(1.0, Level::Warning), line(5.0, Level::Emergency)];
        let hit = [line(95.0, Level::Warning), line(90.0, Level::Critical)];
        let check = |values: &[f64], t: &[Threshold], worse, want: (f64, f64, bool)| {
            let (r, clipped) = rate_range(values, t, worse);
            let round = |v: f64| (v * 1000.0).round() / 1000.0;
            assert_eq!((round(r.start), round(r.end), clipped), want, "{values:?}");
        };
        use Comparator::{Above, Below};
        // No data or calm data: the thresholds with room.
        check(&[], &err, Above, (0.0, 6.0, false));
        check(&[0.0, 0.5, f64::NAN], &err, Above, (0.0, 6.0, false));
        // Up to the data, then clipped at three times the worst threshold.
        check(&[10.0], &err, Above, (0.0, 10.5, false));
        check(&[40.0], &err, Above, (0.0, 15.0, true));
        check(&[], &hit, Below, (88.0, 100.36, false));
        check(&[99.0, 80.0], &hit, Below, (79.0, 100.63, false));
        check(&[0.0], &hit, Below, (70.0, 100.9, true));
        // No rule for the metric: the axis still has room.
        check(&[], &[], Above, (0.0, 1.2, false));
    }

    #[test]
    fn the_axis_keeps_the_thresholds_and_clips_what_lies_beyond() {
        let rules = default_rules();
        let range = |chart: &RateChart, rates: &[f64]| {
            let points = rates
                .iter()
                .zip(0..)
                .map(|(&r, i)| point(chart, i, Some(r)))
                .collect();
            chart.y_range(&series(points), &chart.thresholds(&rules))
        };
        assert_eq!(range(&ERROR_RATE, &[0.0, 0.4]), (0.0..6.0, false));
        assert_eq!(range(&ERROR_RATE, &[0.0, 100.0]), (0.0..15.0, true));
        assert_eq!(range(&CACHE_HIT_RATE, &[100.0, 97.0]).0.start, 88.0);
        let (dip, clipped) = range(&CACHE_HIT_RATE, &[100.0, 56.0]);
        assert_eq!((dip.start, clipped), (70.0, true));
        let spike = series(vec![
            point(&ERROR_RATE, 0, Some(0.0)),
            point(&ERROR_RATE, 1, Some(100.0)),
        ]);
        let svg = ERROR_RATE.render_svg(&spike, &[], &rules, SIZE).unwrap();
        assert!(svg.contains("Error rate (clipped at the edge)"));
    }
}
