//! P50 / P95 / P99 latency per bucket, with the warning and critical P50 rules of the rule
//! table as lines, the P50 and P95 latency alert periods shaded by level, and the
//! circuit breaker's state as a band under the chart.

use canary_core::alerts::{Alert, Level, MetricId, Rule};
use canary_core::series::{Series, SeriesPoint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    alert_shades, draw_error, draw_legend, draw_mesh, draw_runs, draw_shades, draw_thresholds,
    min_width, render_svg_with, rule_thresholds, segments, ChartError, LegendItem, Mark, Threshold,
    TimeAxis, AXIS, FONT_PX,
};
use canary_core::analysis::BreakerSpan;

/// The size the page draws the chart at (it scales with the container through `viewBox`).
pub const SIZE: (u32, u32) = (1200, 400);
/// The alert metrics shaded on this chart.
pub const METRICS: [MetricId; 2] = [MetricId::P50Latency, MetricId::P95Latency];

pub const P50: RGBColor = RGBColor(0x1f, 0x6f, 0xd1);
pub const P95: RGBColor = RGBColor(0x8a, 0x4f, 0xd8);
pub const P99: RGBColor = RGBColor(0xc0, 0x3c, 0x8f);
/// Breaker band: closed.
pub const CLOSED: RGBColor = RGBColor(0x2d, 0xa4, 0x4e);
/// Breaker band: half open.
pub const HALF_OPEN: RGBColor = RGBColor(0xe0, 0x9b, 0x12);
/// Breaker band: open.
pub const OPEN: RGBColor = RGBColor(0xc9, 0x1d, 0x2a);
/// Breaker band: a state the data names that is none of the three.
pub const UNKNOWN: RGBColor = RGBColor(0x9a, 0xa3, 0xb2);

/// The P50 rules drawn as lines. The emergency line would squash the everyday latencies into
/// the bottom of the axis; its periods are shaded like the others.
const LINE_LEVELS: [Level; 2] = [Level::Warning, Level::Critical];

/// The chart's threshold lines: the P50 rules of `rules` at [`LINE_LEVELS`].
pub fn thresholds(rules: &[Rule]) -> Vec<Threshold> {
    rule_thresholds(rules, MetricId::P50Latency, &LINE_LEVELS, " P50")
}

/// Height of the breaker band (pixels, with its gap above).
const BAND_PX: u32 = 30;
/// Left of the plot (margin + y label area); the legend and the band line up with it.
const PLOT_LEFT: u32 = 70;
/// Right margin: room for half a tick label at the axis' end.
const PLOT_RIGHT: u32 = 24;

/// The top of the y axis: high enough for the thresholds and every P95 point, but not for a
/// handful of per-minute P99 outliers (one 30 s timeout among 60 requests is that minute's P99),
/// which would flatten everything else into the axis. P99 points above it are clipped.
pub fn y_axis_top(series: &Series, thresholds: &[Threshold]) -> f64 {
    let highest_line = thresholds.iter().map(|t| t.value).fold(0.0, f64::max);
    let p95_max = series
        .points
        .iter()
        .filter_map(|p| p.p95_ms)
        .filter(|v| v.is_finite())
        .fold(highest_line, f64::max);
    p95_max * 1.15
}

/// The band colour of a breaker state.
pub fn breaker_colour(state: &str) -> RGBColor {
    match state {
        "closed" => CLOSED,
        "half_open" => HALF_OPEN,
        "open" => OPEN,
        _ => UNKNOWN,
    }
}

/// The breaker band's stretches in x units: closed ones as they are, then every other state in
/// time order at least `min` wide, each starting no earlier than the previous one ends (and
/// moved left to fit before `end`), so that an open minute followed by a half-open one in a
/// day-long chart shows both.
pub fn band_layout(spans: &[(f64, f64, &str)], min: f64, end: f64) -> Vec<(f64, f64, String)> {
    let mut out: Vec<(f64, f64, String)> = spans
        .iter()
        .filter(|s| s.2 == "closed")
        .map(|&(from, to, state)| (from, to, state.to_owned()))
        .collect();
    let mut previous_end = f64::NEG_INFINITY;
    for &(from, to, state) in spans.iter().filter(|s| s.2 != "closed") {
        let from = from.min(end - min).max(previous_end);
        let to = to.max(from + min).min(end.max(from));
        out.push((from, to, state.to_owned()));
        previous_end = to;
    }
    out
}

/// The legend's entries.
fn legend(thresholds: &[Threshold], breaker: bool) -> Vec<LegendItem> {
    let mut items = vec![
        LegendItem::new(Mark::Line(P50), "P50"),
        LegendItem::new(Mark::Line(P95), "P95"),
        LegendItem::new(Mark::Line(P99), "P99 (clipped at the top)"),
    ];
    items.extend(
        thresholds
            .iter()
            .map(|t| LegendItem::new(Mark::Threshold(t.level), t.label.clone())),
    );
    items.push(LegendItem::new(Mark::Shade(Level::Emergency), "emergency"));
    items.push(LegendItem::new(
        Mark::Text,
        "shaded: P50 / P95 alert firing",
    ));
    if breaker {
        items.push(
            LegendItem::new(Mark::Text, "Circuit breaker (band under the chart):").on_new_row(),
        );
        items.push(LegendItem::new(Mark::Block(CLOSED), "closed"));
        items.push(LegendItem::new(Mark::Block(HALF_OPEN), "half-open"));
        items.push(LegendItem::new(Mark::Block(OPEN), "open"));
    }
    items
}

/// Draws the chart of `series` onto `root`: lines, the thresholds of `rules`, the latency
/// `alerts` shaded and the `breaker` band (nothing when empty) under the plot.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &Series,
    alerts: &[Alert],
    breaker: &[BreakerSpan],
    rules: &[Rule],
) -> Result<(), ChartError> {
    let axis = TimeAxis::of(series).ok_or(ChartError::NoData)?;
    let thresholds = thresholds(rules);
    let y_max = y_axis_top(series, &thresholds);
    let line = |colour, pick: fn(&SeriesPoint) -> Option<f64>| {
        let runs = segments(
            series
                .points
                .iter()
                .map(|p| (axis.x(p.start), pick(p).map(|v| v.min(y_max)))),
        );
        (colour, runs)
    };
    let lines = [
        line(P50, |p| p.p50_ms),
        line(P95, |p| p.p95_ms),
        line(P99, |p| p.p99_ms),
    ];
    if lines.iter().all(|(_, runs)| runs.is_empty()) {
        return Err(ChartError::NoData);
    }
    let lowest = lines
        .iter()
        .flat_map(|(_, runs)| runs.iter().flatten().map(|&(_, y)| y))
        .fold(0.0, f64::min);

    let rest = draw_legend(
        root,
        &legend(&thresholds, !breaker.is_empty()),
        PLOT_LEFT as i32,
    )?;
    let (upper, band) = if breaker.is_empty() {
        (rest, None)
    } else {
        let height = rest.dim_in_pixel().1;
        let (upper, band) = rest.split_vertically(height.saturating_sub(BAND_PX));
        (upper, Some(band))
    };
    let mut chart = ChartBuilder::on(&upper)
        .margin(10)
        .margin_top(4)
        .margin_right(PLOT_RIGHT)
        .x_label_area_size(26)
        .y_label_area_size(PLOT_LEFT - 10)
        .build_cartesian_2d(axis.coord(14), lowest..y_max)
        .map_err(draw_error)?;
    draw_mesh(&upper, &mut chart, &axis, &|y| format!("{y:.0} ms"))?;
    draw_shades(&mut chart, &alert_shades(alerts, &METRICS, &axis))?;
    // P99 under P95 under P50, so the headline line stays on top; the tails thin, P99 faint.
    for ((colour, runs), (width, opacity)) in
        lines.into_iter().zip([(2, 1.0), (1, 1.0), (1, 0.55)]).rev()
    {
        draw_runs(&mut chart, runs, colour, width, opacity)?;
    }
    draw_thresholds(&mut chart, &thresholds)?;

    if let Some(band) = band {
        let mut strip = ChartBuilder::on(&band)
            .margin_left(10)
            .margin_right(PLOT_RIGHT)
            .margin_top(8)
            .margin_bottom(4)
            .y_label_area_size(PLOT_LEFT - 10)
            .build_cartesian_2d(axis.coord(14), 0.0..1.0)
            .map_err(draw_error)?;
        let x = strip.x_range();
        let min = min_width(&x, strip.plotting_area().dim_in_pixel().0);
        let spans: Vec<(f64, f64, &str)> = breaker
            .iter()
            .map(|s| {
                (
                    axis.x(s.from).max(x.start),
                    axis.x(s.to).min(x.end),
                    s.state.as_str(),
                )
            })
            .filter(|s| s.1 > s.0)
            .collect();
        strip
            .draw_series(
                band_layout(&spans, min, x.end)
                    .into_iter()
                    .map(|(from, to, state)| {
                        Rectangle::new([(from, 1.0), (to, 0.0)], breaker_colour(&state).filled())
                    }),
            )
            .map_err(draw_error)?;
        let label = (FontFamily::SansSerif, FONT_PX)
            .into_font()
            .color(&AXIS)
            .pos(Pos::new(HPos::Right, VPos::Center));
        let (_, h) = band.dim_in_pixel();
        band.draw_text(
            "Breaker",
            &label,
            (PLOT_LEFT as i32 - 6, (h as i32 + 4) / 2),
        )
        .map_err(draw_error)?;
    }
    root.present().map_err(draw_error)
}

/// The chart as an SVG document of `size` pixels.
pub fn render_svg(
    series: &Series,
    alerts: &[Alert],
    breaker: &[BreakerSpan],
    rules: &[Rule],
    size: (u32, u32),
) -> Result<String, ChartError> {
    render_svg_with(size, |root| draw(root, series, alerts, breaker, rules))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::*;
    use crate::charts::{CRITICAL, EMERGENCY, WARNING};
    use canary_core::alerts::default_rules;
    use canary_core::event::MICROS_PER_MINUTE;

    fn point(i: i64, p50: Option<f64>) -> SeriesPoint {
        SeriesPoint {
            requests: u64::from(p50.is_some()),
            p50_ms: p50,
            p95_ms: p50.map(|v| v * 2.0),
            p99_ms: p50.map(|v| v * 3.0),
            ..empty_point(i)
        }
    }

    fn span(from: i64, to: i64, state: &str) -> BreakerSpan {
        BreakerSpan {
            from: from * MICROS_PER_MINUTE,
            to: to * MICROS_PER_MINUTE,
            state: state.to_owned(),
        }
    }

    /// What a drawing shows: P50 polylines (one per unbroken run), shaded rectangles per level
    /// (warning, critical, emergency; the legend adds one of each) and breaker band blocks
    /// (closed, half open, open; the legend adds one of each when there is a band).
    #[derive(Debug, PartialEq)]
    struct Drawn {
        p50_runs: usize,
        shaded: [usize; 3],
        band: [usize; 3],
    }

    fn check(
        points: Vec<SeriesPoint>,
        alerts: Vec<Alert>,
        breaker: Vec<BreakerSpan>,
        expected: Result<Drawn, ChartError>,
    ) {
        let got =
            render_svg(&series(points), &alerts, &breaker, &default_rules(), SIZE).map(|svg| {
                // Both threshold lines are drawn (dashed: many short polylines).
                for c in [WARNING, CRITICAL] {
                    assert!(lines(&svg, c, 2) >= 20, "threshold line in {}", hex(c));
                }
                let solid = |c: RGBColor| {
                    let fill = format!("fill=\"{}\"", hex(c));
                    elements(&svg, "rect")
                        .into_iter()
                        .filter(|r| r.contains(&fill) && r.contains("opacity=\"1\""))
                        .count()
                };
                Drawn {
                    p50_runs: lines(&svg, P50, 2),
                    shaded: [WARNING, CRITICAL, EMERGENCY].map(|c| shaded_rects(&svg, c)),
                    band: [CLOSED, HALF_OPEN, OPEN].map(solid),
                }
            });
        assert_eq!(got, expected);
    }

    #[test]
    fn y_axis_fits_p95_and_the_thresholds_not_p99_outliers() {
        let mut spike = point(1, Some(200.0));
        spike.p99_ms = Some(30_000.0);
        let s = series(vec![point(0, Some(100.0)), spike]);
        let lines = thresholds(&default_rules());
        assert_eq!(y_axis_top(&s, &lines), 500.0 * 1.15);
        let s = series(vec![point(0, Some(1000.0))]);
        assert_eq!(y_axis_top(&s, &lines), 2000.0 * 1.15);
    }

    #[test]
    fn latency_chart_table() {
        let none = || Drawn {
            p50_runs: 0,
            shaded: [1, 1, 1],
            band: [0, 0, 0],
        };
        check(vec![], vec![], vec![], Err(ChartError::NoData));
        check(
            vec![point(0, None), point(1, None)],
            vec![],
            vec![],
            Err(ChartError::NoData),
        );
        check(
            vec![point(0, Some(100.0)), point(1, Some(120.0))],
            vec![],
            vec![],
            Ok(Drawn {
                p50_runs: 1,
                ..none()
            }),
        );
        // A gap splits the line in two.
        check(
            vec![
                point(0, Some(100.0)),
                point(1, None),
                point(2, Some(90.0)),
                point(3, Some(95.0)),
                point(4, None),
                point(5, Some(90.0)),
                point(6, Some(95.0)),
            ],
            vec![],
            vec![],
            Ok(Drawn {
                p50_runs: 2,
                ..none()
            }),
        );
        // P50 and P95 alerts are shaded by level; others (error rate) are not.
        check(
            (0..60).map(|i| point(i, Some(300.0))).collect(),
            vec![
                alert(MetricId::P50Latency, Level::Warning, 10, Some(20)),
                alert(MetricId::P50Latency, Level::Critical, 15, Some(20)),
                alert(MetricId::P50Latency, Level::Emergency, 17, Some(19)),
                alert(MetricId::P95Latency, Level::Critical, 40, None),
                alert(MetricId::ErrorRate, Level::Critical, 40, None),
            ],
            vec![],
            Ok(Drawn {
                p50_runs: 1,
                shaded: [2, 3, 2],
                band: [0, 0, 0],
            }),
        );
        // The breaker band: one block per stretch, plus the legend's three.
        check(
            (0..60).map(|i| point(i, Some(300.0))).collect(),
            vec![],
            vec![
                span(0, 30, "closed"),
                span(30, 31, "open"),
                span(31, 32, "half_open"),
                span(32, 60, "closed"),
            ],
            Ok(Drawn {
                p50_runs: 1,
                shaded: [1, 1, 1],
                band: [3, 2, 2],
            }),
        );
    }

    #[test]
    fn band_layout_keeps_short_states_visible() {
        let spans = [
            (0.0, 10.0, "closed"),
            (10.0, 10.1, "open"),
            (10.1, 10.2, "half_open"),
            (10.2, 24.0, "closed"),
        ];
        assert_eq!(
            band_layout(&spans, 0.5, 24.0),
            [
                (0.0, 10.0, "closed".to_owned()),
                (10.2, 24.0, "closed".to_owned()),
                (10.0, 10.5, "open".to_owned()),
                (10.5, 11.0, "half_open".to_owned()),
            ]
        );
        // At the very end (a breaker that just opened) it is moved left to stay visible.
        assert_eq!(
            band_layout(&[(23.9, 24.0, "open")], 0.5, 24.0),
            [(23.5, 24.0, "open".to_owned())]
        );
    }
}
