//! P50 / P95 / P99 latency per bucket, with the guide's 400 ms (warning) and 500 ms (critical)
//! P50 thresholds as horizontal lines.

use canary_core::event::{Micros, MICROS_PER_HOUR};
use canary_core::series::{Series, SeriesPoint};
use canary_core::time::to_datetime;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{segments, ChartError};

/// The size the page draws the chart at (it scales with the container through `viewBox`).
pub const SIZE: (u32, u32) = (960, 320);
/// P50 warning threshold (ms).
pub const WARNING_MS: f64 = 400.0;
/// P50 critical threshold (ms).
pub const CRITICAL_MS: f64 = 500.0;

const P50: RGBColor = RGBColor(0x1f, 0x6f, 0xd1);
const P95: RGBColor = RGBColor(0x8a, 0x4f, 0xd8);
const P99: RGBColor = RGBColor(0xc0, 0x3c, 0x8f);
const WARNING: RGBColor = RGBColor(0xd9, 0x8e, 0x04);
const CRITICAL: RGBColor = RGBColor(0xd1, 0x24, 0x2f);
const AXIS: RGBColor = RGBColor(0x6b, 0x72, 0x80);

/// One plotted percentile: its legend name, colour and unbroken runs of points.
struct Line {
    name: &'static str,
    colour: RGBColor,
    runs: Vec<Vec<(f64, f64)>>,
}

/// The top of the y axis: high enough for the thresholds and every P95 point, but not for a
/// handful of per-minute P99 outliers (one 30 s timeout among 60 requests is that minute's P99),
/// which would flatten everything else into the axis. P99 points above it are clipped.
pub fn y_axis_top(series: &Series) -> f64 {
    let p95_max = series
        .points
        .iter()
        .filter_map(|p| p.p95_ms)
        .filter(|v| v.is_finite())
        .fold(CRITICAL_MS, f64::max);
    p95_max * 1.15
}

/// Draws the chart of `series` onto `root`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &Series,
) -> Result<(), ChartError> {
    let draw_error = |e: DrawingAreaErrorKind<DB::ErrorType>| ChartError::Draw(e.to_string());
    let start: Micros = series.points.first().map_or(0, |p| p.start);
    let hours = |t: Micros| (t - start) as f64 / MICROS_PER_HOUR as f64;
    let x_max = series
        .points
        .last()
        .map_or(1.0, |p| hours(p.start + series.bucket))
        .max(1e-6);
    let y_max = y_axis_top(series);
    let line = |name, colour, pick: fn(&SeriesPoint) -> Option<f64>| Line {
        name,
        colour,
        runs: segments(
            series
                .points
                .iter()
                .map(|p| (hours(p.start), pick(p).map(|v| v.min(y_max)))),
        ),
    };
    let lines = [
        line("P50", P50, |p| p.p50_ms),
        line("P95", P95, |p| p.p95_ms),
        line("P99 (clipped at the top)", P99, |p| p.p99_ms),
    ];
    if lines.iter().all(|l| l.runs.is_empty()) {
        return Err(ChartError::NoData);
    }
    let lowest = lines
        .iter()
        .flat_map(|l| l.runs.iter().flatten().map(|&(_, y)| y))
        .fold(0.0, f64::min);

    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..x_max, lowest..y_max)
        .map_err(draw_error)?;
    let label_time = |x: &f64| {
        let t = start + (x * MICROS_PER_HOUR as f64).round() as Micros;
        to_datetime(t).format("%H:%M").to_string()
    };
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(6)
        .x_label_formatter(&label_time)
        .y_label_formatter(&|y| format!("{y:.0} ms"))
        .label_style(("sans-serif", 12).into_font().color(&AXIS))
        .axis_style(AXIS)
        .light_line_style(AXIS.mix(0.12))
        .bold_line_style(AXIS.mix(0.25))
        .draw()
        .map_err(draw_error)?;

    for (name, colour, value) in [
        ("400 ms warning", WARNING, WARNING_MS),
        ("500 ms critical", CRITICAL, CRITICAL_MS),
    ] {
        chart
            .draw_series(LineSeries::new(
                [(0.0, value), (x_max, value)],
                colour.stroke_width(1),
            ))
            .map_err(draw_error)?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
    }
    for Line { name, colour, runs } in lines {
        for (i, run) in runs.into_iter().enumerate() {
            let drawn = chart
                .draw_series(LineSeries::new(run, colour.stroke_width(1)))
                .map_err(draw_error)?;
            if i == 0 {
                drawn.label(name).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            }
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 12).into_font().color(&AXIS))
        .background_style(WHITE.mix(0.85))
        .border_style(AXIS.mix(0.4))
        .draw()
        .map_err(draw_error)?;
    root.present().map_err(draw_error)
}

/// The chart as an SVG document of `size` pixels.
pub fn render_svg(series: &Series, size: (u32, u32)) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root, series)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use canary_core::event::MICROS_PER_MINUTE;

    fn point(i: i64, p50: Option<f64>) -> SeriesPoint {
        SeriesPoint {
            start: i * MICROS_PER_MINUTE,
            requests: u64::from(p50.is_some()),
            p50_ms: p50,
            p95_ms: p50.map(|v| v * 2.0),
            p99_ms: p50.map(|v| v * 3.0),
            failures: 0,
            error_rate_pct: None,
            cache_accesses: 0,
            cache_hits: 0,
            cache_hit_rate_pct: None,
            mem0_writes: 0,
            mem0_successes: 0,
            mem0_success_rate_pct: None,
        }
    }

    fn check(points: Vec<SeriesPoint>, expected: Result<usize, ChartError>) {
        let series = Series {
            bucket: MICROS_PER_MINUTE,
            points,
        };
        // Polylines in the P50 colour: one per unbroken run, plus the legend's mark.
        let got = render_svg(&series, SIZE).map(|svg| {
            svg.split("<polyline")
                .filter(|el| {
                    el.split('>')
                        .next()
                        .unwrap_or("")
                        .contains("stroke=\"#1F6FD1\"")
                })
                .count()
        });
        assert_eq!(got, expected);
    }

    #[test]
    fn y_axis_fits_p95_and_the_thresholds_not_p99_outliers() {
        let mut spike = point(1, Some(200.0));
        spike.p99_ms = Some(30_000.0);
        let series = Series {
            bucket: MICROS_PER_MINUTE,
            points: vec![point(0, Some(100.0)), spike],
        };
        assert_eq!(y_axis_top(&series), 500.0 * 1.15);
        let series = Series {
            bucket: MICROS_PER_MINUTE,
            points: vec![point(0, Some(1000.0))],
        };
        assert_eq!(y_axis_top(&series), 2000.0 * 1.15);
    }

    #[test]
    fn latency_chart_table() {
        check(vec![], Err(ChartError::NoData));
        check(
            vec![point(0, None), point(1, None)],
            Err(ChartError::NoData),
        );
        check(vec![point(0, Some(100.0)), point(1, Some(120.0))], Ok(2));
        // A gap splits the line in two.
        check(
            vec![
                point(0, Some(100.0)),
                point(1, None),
                point(2, Some(90.0)),
                point(3, Some(95.0)),
            ],
            Ok(3),
        );
    }
}
