//! Error rate per bucket (failed / all `request_completed`, in %) with the guide's 1 % warning,
//! 2 % critical and 5 % emergency lines and the error-rate alert periods shaded.

use canary_core::alerts::{Alert, Level, MetricId};
use canary_core::series::Series;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChartError, DrawnChart, RateChart, Threshold, Worse};

/// The size the page draws the chart at (it scales with the container through `viewBox`).
pub const SIZE: (u32, u32) = (420, 280);
/// The line's colour.
pub const LINE: RGBColor = RGBColor(0x1f, 0x6f, 0xd1);
/// The guide's error-rate thresholds.
pub const THRESHOLDS: [Threshold; 3] = [
    Threshold {
        value: 1.0,
        label: "1 % warning",
        level: Level::Warning,
    },
    Threshold {
        value: 2.0,
        label: "2 % critical",
        level: Level::Critical,
    },
    Threshold {
        value: 5.0,
        label: "5 % emergency",
        level: Level::Emergency,
    },
];

/// What this chart draws.
pub const CHART: RateChart = RateChart {
    name: "Error rate",
    colour: LINE,
    value: |p| p.error_rate_pct,
    worse: Worse::Above,
    thresholds: &THRESHOLDS,
    metric: MetricId::ErrorRate,
    extra_levels: &[],
};

/// Draws the chart of `series`, with the error-rate `alerts` shaded, onto `root`.
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
    use crate::charts::{CRITICAL, EMERGENCY, WARNING};
    use canary_core::series::SeriesPoint;

    fn point(i: i64, rate: Option<f64>) -> SeriesPoint {
        SeriesPoint {
            requests: u64::from(rate.is_some()) * 100,
            error_rate_pct: rate,
            ..empty_point(i)
        }
    }

    /// What a drawing shows: polylines of the rate (2+ points), shaded rectangles per level
    /// (warning, critical, emergency; the legend adds one of each threshold's level).
    #[derive(Debug, PartialEq)]
    struct Drawn {
        runs: usize,
        shaded: [usize; 3],
    }

    fn check(points: Vec<SeriesPoint>, alerts: Vec<Alert>, expected: Result<Drawn, ChartError>) {
        let got = render_svg(&series(points), &alerts, SIZE).map(|drawn| {
            let svg = drawn.svg;
            // Every threshold line is drawn (dashed: many short polylines in its colour).
            for c in [WARNING, CRITICAL, EMERGENCY] {
                assert!(lines(&svg, c, 2) >= 10, "threshold line in {}", hex(c));
            }
            Drawn {
                runs: lines(&svg, LINE, 2),
                shaded: [WARNING, CRITICAL, EMERGENCY].map(|c| shaded_rects(&svg, c)),
            }
        });
        assert_eq!(got, expected);
    }

    #[test]
    fn error_rate_chart_table() {
        check(vec![], vec![], Err(ChartError::NoData));
        // Buckets without requests are gaps, not 0 %: no line at all.
        check(
            vec![point(0, None), point(1, None)],
            vec![],
            Err(ChartError::NoData),
        );
        check(
            vec![
                point(0, Some(0.0)),
                point(1, Some(1.5)),
                point(2, Some(0.5)),
            ],
            vec![],
            Ok(Drawn {
                runs: 1,
                shaded: [1, 1, 1],
            }),
        );
        // A gap splits the line; a lone bucket is a dot, not a line.
        check(
            vec![
                point(0, Some(0.0)),
                point(1, Some(1.0)),
                point(2, None),
                point(3, Some(3.0)),
                point(4, Some(2.0)),
                point(5, None),
                point(6, Some(1.0)),
            ],
            vec![],
            Ok(Drawn {
                runs: 2,
                shaded: [1, 1, 1],
            }),
        );
        // Alerts in range are shaded in their level's colour; other metrics' and out-of-range
        // ones are not.
        check(
            (0..30)
                .map(|i| point(i, Some(f64::from(i as i32) / 3.0)))
                .collect(),
            vec![
                alert(MetricId::ErrorRate, Level::Warning, 5, Some(20)),
                alert(MetricId::ErrorRate, Level::Emergency, 12, None),
                alert(MetricId::ErrorRate, Level::Critical, 40, Some(50)),
                alert(MetricId::CacheHitRate, Level::Critical, 5, Some(20)),
            ],
            Ok(Drawn {
                runs: 1,
                shaded: [2, 1, 2],
            }),
        );
    }

    #[test]
    fn the_axis_keeps_the_thresholds_and_clips_spikes() {
        let calm = series(vec![point(0, Some(0.0)), point(1, Some(0.4))]);
        assert_eq!(CHART.y_range(&calm), (0.0..6.0, false));
        let spike = series(vec![point(0, Some(0.0)), point(1, Some(100.0))]);
        assert_eq!(CHART.y_range(&spike), (0.0..15.0, true));
        let svg = render_svg(&spike, &[], SIZE).unwrap().svg;
        assert!(svg.contains("Error rate (clipped at the edge)"));
    }
}
