//! mem0 write success rate per bucket (successful over all `mem0_write` events, in %) with the
//! guide's 99 % warning, 95 % critical and 90 % emergency lines and the mem0 alert periods
//! shaded.

use canary_core::alerts::{Alert, Level, MetricId};
use canary_core::series::Series;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChartError, DrawnChart, RateChart, Threshold, Worse};

/// The size the page draws the chart at (it scales with the container through `viewBox`).
pub const SIZE: (u32, u32) = (420, 280);
/// The line's colour.
pub const LINE: RGBColor = RGBColor(0x6e, 0x40, 0xc9);
/// The guide's mem0 write-success thresholds.
pub const THRESHOLDS: [Threshold; 3] = [
    Threshold {
        value: 99.0,
        label: "99 % warning",
        level: Level::Warning,
    },
    Threshold {
        value: 95.0,
        label: "95 % critical",
        level: Level::Critical,
    },
    Threshold {
        value: 90.0,
        label: "90 % emergency",
        level: Level::Emergency,
    },
];

/// What this chart draws.
pub const CHART: RateChart = RateChart {
    name: "Write success",
    colour: LINE,
    value: |p| p.mem0_success_rate_pct,
    worse: Worse::Below,
    thresholds: &THRESHOLDS,
    metric: MetricId::Mem0WriteSuccess,
    extra_levels: &[],
};

/// Draws the chart of `series`, with the mem0 write-success `alerts` shaded, onto `root`.
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
            mem0_writes: u64::from(rate.is_some()) * 20,
            mem0_success_rate_pct: rate,
            ..empty_point(i)
        }
    }

    /// Polylines of the rate (2+ points) and shaded rectangles per level (warning, critical,
    /// emergency; the legend adds one of each).
    #[derive(Debug, PartialEq)]
    struct Drawn {
        runs: usize,
        shaded: [usize; 3],
    }

    fn check(points: Vec<SeriesPoint>, alerts: Vec<Alert>, expected: Result<Drawn, ChartError>) {
        let got = render_svg(&series(points), &alerts, SIZE).map(|drawn| {
            let svg = drawn.svg;
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
    fn mem0_success_chart_table() {
        check(vec![], vec![], Err(ChartError::NoData));
        check(
            vec![point(0, None), point(1, None), point(2, None)],
            vec![],
            Err(ChartError::NoData),
        );
        // A minute without writes is a gap: three runs around two gaps.
        check(
            vec![
                point(0, Some(100.0)),
                point(1, Some(100.0)),
                point(2, None),
                point(3, Some(93.0)),
                point(4, Some(100.0)),
                point(5, None),
                point(6, Some(100.0)),
                point(7, Some(100.0)),
            ],
            vec![],
            Ok(Drawn {
                runs: 3,
                shaded: [1, 1, 1],
            }),
        );
        check(
            (0..20)
                .map(|i| point(i, Some(if i < 10 { 100.0 } else { 60.0 })))
                .collect(),
            vec![
                alert(MetricId::Mem0WriteSuccess, Level::Emergency, 10, Some(17)),
                alert(MetricId::Mem0WriteSuccess, Level::Critical, 13, Some(17)),
                alert(MetricId::Mem0WriteSuccess, Level::Warning, 16, Some(19)),
            ],
            Ok(Drawn {
                runs: 1,
                shaded: [2, 2, 2],
            }),
        );
    }
}
