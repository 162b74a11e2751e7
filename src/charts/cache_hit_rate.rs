//! Cache hit rate per bucket (hits over `cache_access` events, in %) with the guide's 95 %
//! warning and 90 % critical lines and the cache-hit-rate alert periods shaded.

use canary_core::alerts::{Alert, Level, MetricId};
use canary_core::series::Series;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChartError, DrawnChart, RateChart, Threshold, Worse};

/// The size the page draws the chart at (it scales with the container through `viewBox`).
pub const SIZE: (u32, u32) = (420, 280);
/// The line's colour.
pub const LINE: RGBColor = RGBColor(0x0f, 0x7b, 0x8a);
/// The guide's cache hit-rate thresholds.
pub const THRESHOLDS: [Threshold; 2] = [
    Threshold {
        value: 95.0,
        label: "95 % warning",
        level: Level::Warning,
    },
    Threshold {
        value: 90.0,
        label: "90 % critical",
        level: Level::Critical,
    },
];

/// What this chart draws.
pub const CHART: RateChart = RateChart {
    name: "Hit rate",
    colour: LINE,
    value: |p| p.cache_hit_rate_pct,
    worse: Worse::Below,
    thresholds: &THRESHOLDS,
    metric: MetricId::CacheHitRate,
    extra_levels: &[],
};

/// Draws the chart of `series`, with the cache-hit-rate `alerts` shaded, onto `root`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &Series,
    alerts: &[Alert],
) -> Result<(), ChartError> {
    CHART.draw(root, series, alerts)
}

/// The chart as an SVG document of `size` pixels, with its data.
pub fn render_svg(
    series: &Series,
    alerts: &[Alert],
    size: (u32, u32),
) -> Result<DrawnChart, ChartError> {
    CHART.render(series, alerts, size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::*;
    use crate::charts::{CRITICAL, WARNING};
    use canary_core::series::SeriesPoint;

    fn point(i: i64, rate: Option<f64>) -> SeriesPoint {
        SeriesPoint {
            cache_accesses: u64::from(rate.is_some()) * 100,
            cache_hit_rate_pct: rate,
            ..empty_point(i)
        }
    }

    /// Polylines of the rate (2+ points) and shaded rectangles per level (warning, critical;
    /// the legend adds one of each).
    #[derive(Debug, PartialEq)]
    struct Drawn {
        runs: usize,
        shaded: [usize; 2],
    }

    fn check(points: Vec<SeriesPoint>, alerts: Vec<Alert>, expected: Result<Drawn, ChartError>) {
        let got = render_svg(&series(points), &alerts, SIZE).map(|drawn| {
            let svg = drawn.svg;
            for c in [WARNING, CRITICAL] {
                assert!(lines(&svg, c, 2) >= 10, "threshold line in {}", hex(c));
            }
            Drawn {
                runs: lines(&svg, LINE, 2),
                shaded: [WARNING, CRITICAL].map(|c| shaded_rects(&svg, c)),
            }
        });
        assert_eq!(got, expected);
    }

    #[test]
    fn cache_hit_rate_chart_table() {
        check(vec![], vec![], Err(ChartError::NoData));
        check(vec![point(0, None)], vec![], Err(ChartError::NoData));
        check(
            vec![point(0, Some(97.0)), point(1, Some(99.0))],
            vec![],
            Ok(Drawn {
                runs: 1,
                shaded: [1, 1],
            }),
        );
        // A bucket without accesses is a gap, not 0 %.
        check(
            vec![
                point(0, Some(97.0)),
                point(1, Some(99.0)),
                point(2, None),
                point(3, Some(96.0)),
                point(4, Some(91.0)),
            ],
            vec![alert(MetricId::CacheHitRate, Level::Critical, 3, None)],
            Ok(Drawn {
                runs: 2,
                shaded: [1, 2],
            }),
        );
        // An alert that ended before the series began is not shaded.
        check(
            (10..20).map(|i| point(i, Some(94.0))).collect(),
            vec![
                alert(MetricId::CacheHitRate, Level::Warning, 0, Some(5)),
                alert(MetricId::CacheHitRate, Level::Warning, 12, Some(15)),
                alert(MetricId::Mem0WriteSuccess, Level::Critical, 12, Some(15)),
            ],
            Ok(Drawn {
                runs: 1,
                shaded: [2, 1],
            }),
        );
    }

    #[test]
    fn the_axis_keeps_the_thresholds_and_clips_dips() {
        let calm = series(vec![point(0, Some(100.0)), point(1, Some(97.0))]);
        assert_eq!(CHART.y_range(&calm).0.start, 88.0);
        let dip = series(vec![point(0, Some(100.0)), point(1, Some(56.0))]);
        let (range, clipped) = CHART.y_range(&dip);
        assert_eq!((range.start, clipped), (70.0, true));
    }
}
