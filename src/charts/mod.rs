//! Chart drawing: one module per chart (the latency chart, the rate chart drawn for three
//! rates), each generic over the plotters backend, plus the pieces they share (time axis, alert
//! shading, threshold lines from the rule table, the legend strip) and a helper that renders to
//! an SVG string for the DOM. Pure code: no leptos, testable natively.

pub mod data;
pub mod latency;
pub mod rate;

use std::ops::Range;

use canary_core::alerts::{Alert, Level, MetricId, Rule};
use canary_core::event::{Micros, MICROS_PER_HOUR, MICROS_PER_MINUTE};
use canary_core::series::Series;
use canary_core::time::{format_utc, from_datetime, to_datetime};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Why a chart could not be drawn.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("No data to chart in this window.")]
    NoData,
    #[error("The chart could not be drawn: {0}")]
    Draw(String),
}

/// A drawn chart: the SVG document and the numbers it draws, for its data table and label.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawnChart {
    pub svg: String,
    pub data: data::ChartData,
}

/// Axis lines, tick labels and legend text.
pub const AXIS: RGBColor = RGBColor(0x5b, 0x64, 0x75);
/// Warning: amber (threshold line and alert shading).
pub const WARNING: RGBColor = RGBColor(0xd9, 0x8e, 0x04);
/// Critical: red.
pub const CRITICAL: RGBColor = RGBColor(0xd1, 0x24, 0x2f);
/// Emergency: dark red.
pub const EMERGENCY: RGBColor = RGBColor(0x7a, 0x0b, 0x16);
/// Opacity of an alert period's shading: the lines stay readable through it.
pub const SHADE_OPACITY: f64 = 0.2;
/// The narrowest an alert period or a breaker state is drawn (pixels), so that a one-minute
/// event in a 24-hour chart is still seen.
pub const MIN_MARK_PX: f64 = 3.0;
/// Font size asked of plotters for tick labels and the legend. Its SVG backend writes
/// `font-size` as this over 1.24, so the text shows at about 13 pixels of the drawing.
pub const FONT_PX: u32 = 16;
/// What the SVG backend divides font sizes by (see [`FONT_PX`]); text measured at the asked
/// size is this much wider than drawn.
const SVG_FONT_SCALE: f64 = 1.24;

/// The colour of an alert level (threshold line, shading).
pub fn level_colour(level: Level) -> RGBColor {
    match level {
        Level::Warning => WARNING,
        Level::Critical => CRITICAL,
        Level::Emergency => EMERGENCY,
    }
}

/// Splits `(x, Option<y>)` points into runs without gaps, so a missing bucket breaks the line
/// instead of being drawn as 0.
pub fn segments(points: impl IntoIterator<Item = (f64, Option<f64>)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (x, y) in points {
        match y {
            Some(y) if y.is_finite() => current.push((x, y)),
            _ => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The x axis of a series: hours since the whole UTC hour before its first bucket, so that the
/// axis' round numbers fall on whole hours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    origin: Micros,
    /// The first bucket's start.
    pub start: Micros,
    /// The last bucket's end.
    pub end: Micros,
}

impl TimeAxis {
    /// The axis of `series`; `None` when it has no buckets.
    pub fn of(series: &Series) -> Option<TimeAxis> {
        let start = series.points.first()?.start;
        let end = series.points.last()?.start + series.bucket.max(1);
        Some(TimeAxis {
            origin: start.div_euclid(MICROS_PER_HOUR) * MICROS_PER_HOUR,
            start,
            end,
        })
    }

    /// The x of a time.
    pub fn x(&self, t: Micros) -> f64 {
        (t - self.origin) as f64 / MICROS_PER_HOUR as f64
    }

    /// The x range of the whole series.
    pub fn range(&self) -> Range<f64> {
        self.x(self.start)..self.x(self.end)
    }

    /// The tick label at `x`: `HH:MM` (UTC), with the date for windows over 36 hours.
    pub fn label(&self, x: f64) -> String {
        let t = self.origin + (x * MICROS_PER_HOUR as f64).round() as Micros;
        let format = if self.end - self.start > 36 * MICROS_PER_HOUR {
            "%m-%d %H:%M"
        } else {
            "%H:%M"
        };
        format_utc(to_datetime(t), format)
    }

    /// Tick positions: at most `max` of them, on whole multiples of a clock-friendly step (5 min,
    /// 1 h, 6 h, ...) counted from UTC midnight.
    pub fn ticks(&self, max: usize) -> Vec<f64> {
        const M: Micros = MICROS_PER_MINUTE;
        const H: Micros = MICROS_PER_HOUR;
        const STEPS: [Micros; 16] = [
            M,
            2 * M,
            5 * M,
            10 * M,
            15 * M,
            30 * M,
            H,
            2 * H,
            3 * H,
            4 * H,
            6 * H,
            12 * H,
            24 * H,
            48 * H,
            7 * 24 * H,
            28 * 24 * H,
        ];
        let span = self.end - self.start;
        let step = STEPS
            .into_iter()
            .find(|&s| span / s < max.max(1) as Micros)
            .unwrap_or(STEPS[STEPS.len() - 1]);
        let first = (self.start + step - 1).div_euclid(step) * step;
        (0..)
            .map(|i| first + i * step)
            .take_while(|&t| t <= self.end)
            .map(|t| self.x(t))
            .collect()
    }

    /// The x coordinate of a chart: the series' range with [`TimeAxis::ticks`].
    pub fn coord(&self, max_ticks: usize) -> TimeCoord {
        TimeCoord {
            linear: self.range().into(),
            ticks: self.ticks(max_ticks),
        }
    }
}

/// A linear x coordinate in hours whose tick marks and grid lines are given (plotters would
/// put them at round numbers of hours, such as 18:35 + 5 h).
pub struct TimeCoord {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for TimeCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Grid lines at the ticks only: no light lines in between.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

/// How a series' bucket width is said in a chart's heading: "per minute", "per 5 min", ...
pub fn bucket_label(bucket: Micros) -> String {
    match bucket {
        b if b == MICROS_PER_MINUTE => "per minute".to_owned(),
        b if b == MICROS_PER_HOUR => "per hour".to_owned(),
        b if b % MICROS_PER_HOUR == 0 => format!("per {} h", b / MICROS_PER_HOUR),
        b if b % MICROS_PER_MINUTE == 0 => format!("per {} min", b / MICROS_PER_MINUTE),
        b => format!("per {} s", b / 1_000_000),
    }
}

/// One shaded alert period, in x units of a [`TimeAxis`].
#[derive(Clone, Debug, PartialEq)]
pub struct Shade {
    pub from: f64,
    pub to: f64,
    pub level: Level,
}

/// The periods of the `alerts` about one of `metrics`, clipped to the axis (an alert still
/// firing runs to the axis' end), lower levels first so that worse ones are drawn on top.
pub fn alert_shades(alerts: &[Alert], metrics: &[MetricId], axis: &TimeAxis) -> Vec<Shade> {
    let mut shades: Vec<Shade> = alerts
        .iter()
        .filter(|a| metrics.contains(&a.metric))
        .filter_map(|a| {
            let from = from_datetime(a.since).max(axis.start);
            let to = a.until.map_or(axis.end, from_datetime).min(axis.end);
            (to > from).then(|| Shade {
                from: axis.x(from),
                to: axis.x(to),
                level: a.level,
            })
        })
        .collect();
    stdx::sort::sort_by_key(&mut shades, |s| s.level);
    shades
}

/// `[from, to)` widened to at least `min` (kept inside `range`).
fn widen(from: f64, to: f64, min: f64, range: &Range<f64>) -> (f64, f64) {
    if to - from >= min {
        return (from, to);
    }
    let to = (from + min).min(range.end);
    (to - min, to)
}

/// The narrowest mark in x units for a plot of `range` drawn `px` pixels wide.
fn min_width(range: &Range<f64>, px: u32) -> f64 {
    (range.end - range.start) * MIN_MARK_PX / f64::from(px.max(1))
}

/// The x-y chart every time chart draws on.
pub type TimeChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<TimeCoord, RangedCoordf64>>;

/// Maps a plotters drawing error to a [`ChartError`].
pub fn draw_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// Shades each alert period over the plot's full height, translucent in its level's colour.
pub fn draw_shades<DB: DrawingBackend>(
    chart: &mut TimeChart<'_, DB>,
    shades: &[Shade],
) -> Result<(), ChartError> {
    let (x, y) = (chart.x_range(), chart.y_range());
    let min = min_width(&x, chart.plotting_area().dim_in_pixel().0);
    chart
        .draw_series(shades.iter().map(|s| {
            let (from, to) = widen(s.from.max(x.start), s.to.min(x.end), min, &x);
            Rectangle::new(
                [(from, y.end), (to, y.start)],
                level_colour(s.level).mix(SHADE_OPACITY).filled(),
            )
        }))
        .map_err(draw_error)?;
    Ok(())
}

/// A horizontal threshold line.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    pub value: f64,
    /// Legend text, e.g. "1 % warning".
    pub label: String,
    pub level: Level,
}

/// The lines of `metric`'s rules in `rules` at `levels`, in the table's order, each labelled
/// with its value, unit, `qualifier` (the series it applies to, when a chart has several) and
/// level: "1 % warning", "400 ms P50 warning".
pub fn rule_thresholds(
    rules: &[Rule],
    metric: MetricId,
    levels: &[Level],
    qualifier: &str,
) -> Vec<Threshold> {
    rules
        .iter()
        .filter(|r| r.metric.id() == metric && levels.contains(&r.level))
        .map(|r| Threshold {
            value: r.threshold,
            label: format!(
                "{} {}{qualifier} {}",
                r.threshold,
                metric.unit(),
                r.level.as_str()
            ),
            level: r.level,
        })
        .collect()
}

/// The lines of a chart in words, for screen readers: "the 1 % warning, 2 % critical and 5 %
/// emergency lines" (or "no threshold lines").
pub fn thresholds_in_words(thresholds: &[Threshold]) -> String {
    match thresholds {
        [] => "no threshold lines".to_owned(),
        [one] => format!("the {} line", one.label),
        [first @ .., last] => {
            let first: Vec<&str> = first.iter().map(|t| t.label.as_str()).collect();
            format!("the {} and {} lines", first.join(", "), last.label)
        }
    }
}

/// Draws each threshold as a dashed line in its level's colour across the plot.
pub fn draw_thresholds<DB: DrawingBackend>(
    chart: &mut TimeChart<'_, DB>,
    thresholds: &[Threshold],
) -> Result<(), ChartError> {
    let x = chart.x_range();
    for t in thresholds {
        chart
            .draw_series(DashedLineSeries::new(
                [(x.start, t.value), (x.end, t.value)],
                7,
                4,
                level_colour(t.level).stroke_width(2),
            ))
            .map_err(draw_error)?;
    }
    Ok(())
}

/// Draws a data line `width` pixels wide at `opacity`: one polyline per unbroken run, a dot for
/// a run of one bucket (which a line would not show).
pub fn draw_runs<DB: DrawingBackend>(
    chart: &mut TimeChart<'_, DB>,
    runs: Vec<Vec<(f64, f64)>>,
    colour: RGBColor,
    width: u32,
    opacity: f64,
) -> Result<(), ChartError> {
    let colour = colour.mix(opacity);
    for run in runs {
        if let [single] = run[..] {
            chart
                .draw_series(std::iter::once(Circle::new(single, 2, colour.filled())))
                .map_err(draw_error)?;
        } else {
            chart
                .draw_series(LineSeries::new(run, colour.stroke_width(width)))
                .map_err(draw_error)?;
        }
    }
    Ok(())
}

/// Grid, axes and tick labels of a time chart built on `area` (x ticks from
/// [`TimeAxis::coord`]); `y_label` formats the y ticks.
///
/// Drawn from plotters elements rather than its `configure_mesh`: that mesh measures every tick
/// label through the page (a layout of the dashboard per label on each redraw), and its code
/// is larger in the bundle (the README has the figures). The look is the same: grid lines at
/// the ticks, axis lines with 5-pixel tick marks, labels 10 pixels out.
pub fn draw_mesh<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &mut TimeChart<'_, DB>,
    axis: &TimeAxis,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<(), ChartError> {
    const TICK_PX: i32 = 5;
    let (x, y) = (chart.x_range(), chart.y_range());
    let x_ticks = chart.as_coord_spec().x_spec().ticks.clone();
    let y_ticks = round_ticks(&y, 6);
    // A tick mark's length in axis units.
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let tick_x = (x.end - x.start) * f64::from(TICK_PX) / f64::from(w.max(1));
    let tick_y = (y.end - y.start) * f64::from(TICK_PX) / f64::from(h.max(1));
    let (grid, solid): (ShapeStyle, ShapeStyle) = (AXIS.mix(0.2).into(), AXIS.into());
    let mut lines: Vec<PathElement<(f64, f64)>> = Vec::new();
    let mut line = |from, to, style| lines.push(PathElement::new([from, to], style));
    for &t in &x_ticks {
        line((t, y.start), (t, y.end), grid);
        line((t, y.start - tick_y), (t, y.start), solid);
    }
    for &v in &y_ticks {
        line((x.start, v), (x.end, v), grid);
        line((x.start - tick_x, v), (x.start, v), solid);
    }
    line((x.start, y.start), (x.start, y.end), solid);
    line((x.start, y.start), (x.end, y.start), solid);
    chart.draw_series(lines).map_err(draw_error)?;

    let font = (FontFamily::SansSerif, FONT_PX).into_font().color(&AXIS);
    let below = font.pos(Pos::new(HPos::Center, VPos::Top));
    let left = font.pos(Pos::new(HPos::Right, VPos::Center));
    let base = area.get_base_pixel();
    // Labels 10 pixels out from the axis, in pixels of the area the chart was built on.
    let label = |at: (f64, f64), text: &str, style: &TextStyle, (dx, dy): (i32, i32)| {
        let (px, py) = chart.backend_coord(&at);
        area.draw_text(text, style, (px - base.0 + dx, py - base.1 + dy))
            .map_err(draw_error)
    };
    for &t in &x_ticks {
        label((t, y.start), &axis.label(t), &below, (0, 2 * TICK_PX))?;
    }
    for &v in &y_ticks {
        label((x.start, v), &y_label(&v), &left, (-2 * TICK_PX, 0))?;
    }
    Ok(())
}

/// Up to `max` round values in `range` for the y axis: the multiples of the smallest step of
/// the 1-2-5 series (…, 0.5, 1, 2, 5, 10, …) that gives no more than `max`. The values are
/// computed as `k × m × 10^p` (or `k × m / 10^-p`), so they are the doubles nearest the round
/// decimals (`0.3`, not `0.30000000000000004`). plotters' own key points do the same through
/// `powf` and `ln`, whose code the bundle would then carry.
pub fn round_ticks(range: &Range<f64>, max: usize) -> Vec<f64> {
    let span = range.end - range.start;
    if !(span > 0.0 && span.is_finite()) || max == 0 {
        return Vec::new();
    }
    let pow10 = |p: i32| (0..p.unsigned_abs()).fold(1.0, |v, _| v * 10.0);
    // `+ 0.0` turns the -0 of a multiple counted from a negative bound into 0.
    let value = |k: f64, (m, p): (u8, i32)| {
        let m = f64::from(m);
        if p >= 0 {
            k * m * pow10(p) + 0.0
        } else {
            k * m / pow10(p) + 0.0
        }
    };
    // The multiples of `step` in the range, as (first, last) multipliers; a little slack, so
    // that a bound that is itself a multiple counts despite rounding (0.3 / 0.1 < 3).
    let multiples = |step| {
        let size = value(1.0, step);
        (
            (range.start / size - 1e-9).ceil(),
            (range.end / size + 1e-9).floor(),
        )
    };
    // Start from the power of ten above the span (at most one multiple in the range), then step
    // down the series while the next step still fits.
    let mut p = 0;
    while pow10(p) <= span && p < 400 {
        p += 1;
    }
    while p > -400 && value(1.0, (1, p - 1)) > span {
        p -= 1;
    }
    let mut step = (1u8, p);
    loop {
        let smaller = match step {
            (1, p) => (5, p - 1),
            (5, p) => (2, p),
            (_, p) => (1, p),
        };
        let (first, last) = multiples(smaller);
        if last - first + 1.0 > max as f64 {
            break;
        }
        step = smaller;
    }
    let (first, last) = multiples(step);
    let mut k = first;
    let mut ticks = Vec::new();
    while k <= last {
        ticks.push(value(k, step));
        k += 1.0;
    }
    ticks
}

/// A percentage tick label: `95 %`, `97.5 %`.
pub fn pct_label(y: &f64) -> String {
    if (y - y.round()).abs() < 1e-9 {
        format!("{y:.0} %")
    } else {
        format!("{y:.1} %")
    }
}

/// What a legend entry shows before its text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    /// A data line.
    Line(RGBColor),
    /// A threshold line over the shading of its level.
    Threshold(Level),
    /// Only the shading of a level (a level without a line on this chart).
    Shade(Level),
    /// A solid block (a state of the breaker band).
    Block(RGBColor),
    /// Text only.
    Text,
}

/// One legend entry.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendItem {
    pub mark: Mark,
    pub label: String,
    /// Starts a new row (a group of its own, like the breaker's states).
    pub new_row: bool,
}

impl LegendItem {
    /// An entry.
    pub fn new(mark: Mark, label: impl Into<String>) -> LegendItem {
        LegendItem {
            mark,
            label: label.into(),
            new_row: false,
        }
    }

    /// The entry, starting a new row of the legend.
    pub fn on_new_row(self) -> LegendItem {
        LegendItem {
            new_row: true,
            ..self
        }
    }
}

const LEGEND_ROW_PX: i32 = 20;
const SWATCH_PX: i32 = 18;

/// Advance widths of the printable ASCII characters (space to `~`) in Helvetica, the metrics
/// sans-serif faces share closely (thousandths of an em, from Adobe's AFM file).
const SANS_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// The width in drawing pixels of `text` in the charts' label font, from font metrics rather
/// than the page: plotters' browser backend measures text by adding a span to the document
/// and reading its size, which makes the browser lay out the whole dashboard once per legend
/// entry on every redraw, a cost every range switch would pay. Other characters count as
/// 0.6 em.
pub fn label_width_px(text: &str) -> i32 {
    let em: u32 = text
        .chars()
        .map(|c| match c {
            ' '..='~' => u32::from(SANS_WIDTHS[c as usize - ' ' as usize]),
            _ => 600,
        })
        .sum();
    (f64::from(em) / 1000.0 * f64::from(FONT_PX) / SVG_FONT_SCALE).ceil() as i32
}

/// The legend's entries placed left to right, wrapping: `(x, row)` of each, and the rows used.
fn legend_layout(width: i32, items: &[LegendItem], left: i32) -> (Vec<(i32, i32)>, i32) {
    let width = width - 10;
    let (mut x, mut row) = (left, 0);
    let mut places = Vec::with_capacity(items.len());
    for item in items {
        let text = label_width_px(&item.label);
        let swatch = if item.mark == Mark::Text {
            0
        } else {
            SWATCH_PX + 5
        };
        let w = swatch + text;
        if x > left && (item.new_row || x + w > width) {
            x = left;
            row += 1;
        }
        places.push((x, row));
        x += w + 16;
    }
    (places, row + 1)
}

/// Splits `root` into a legend strip (drawn) and the rest (returned). The legend starts at
/// `left` pixels, so that it lines up with the plot.
pub fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    left: i32,
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    let (places, rows) = legend_layout(root.dim_in_pixel().0 as i32, items, left);
    let (strip, rest) = root.split_vertically(rows * LEGEND_ROW_PX + 6);
    let text_style = (FontFamily::SansSerif, FONT_PX)
        .into_font()
        .color(&AXIS)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (item, &(x, row)) in items.iter().zip(&places) {
        let y = 4 + row * LEGEND_ROW_PX + LEGEND_ROW_PX / 2;
        let (top, bottom) = (y - 6, y + 6);
        match item.mark {
            Mark::Line(c) => strip
                .draw(&PathElement::new(
                    [(x, y), (x + SWATCH_PX, y)],
                    c.stroke_width(3),
                ))
                .map_err(draw_error)?,
            Mark::Threshold(level) | Mark::Shade(level) => {
                let c = level_colour(level);
                strip
                    .draw(&Rectangle::new(
                        [(x, top), (x + SWATCH_PX, bottom)],
                        c.mix(SHADE_OPACITY).filled(),
                    ))
                    .map_err(draw_error)?;
                if matches!(item.mark, Mark::Threshold(_)) {
                    strip
                        .draw(&PathElement::new(
                            [(x, y), (x + SWATCH_PX, y)],
                            c.stroke_width(2),
                        ))
                        .map_err(draw_error)?;
                }
            }
            Mark::Block(c) => strip
                .draw(&Rectangle::new(
                    [(x, top + 2), (x + SWATCH_PX, bottom - 2)],
                    c.filled(),
                ))
                .map_err(draw_error)?,
            Mark::Text => {}
        }
        let text_x = if item.mark == Mark::Text {
            x
        } else {
            x + SWATCH_PX + 5
        };
        strip
            .draw_text(&item.label, &text_style, (text_x, y))
            .map_err(draw_error)?;
    }
    Ok(rest)
}

/// Draws with `draw` onto an SVG document of `size` pixels and returns its text.
pub fn render_svg_with(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)?;
    }
    Ok(svg)
}

/// For people: the alert periods of `metrics` in `alerts`, oldest first, e.g. "critical
/// 2025-10-17 07:50–08:07 UTC (worst 13.95 %)" or "warning since 2025-10-17 07:32 UTC, still
/// firing (worst 1.45 %)". With several metrics each line starts with the metric's name; a
/// percentile known within `bound` (from the rollups) is worded with it.
pub fn describe_periods(
    alerts: &[Alert],
    metrics: &[MetricId],
    bound: Option<f64>,
) -> Vec<(Level, String)> {
    let mut list: Vec<&Alert> = alerts
        .iter()
        .filter(|a| metrics.contains(&a.metric))
        .collect();
    stdx::sort::sort_by_key(&mut list, |a| (a.since, a.level));
    list.into_iter()
        .map(|a| {
            let since = format_utc(a.since, "%Y-%m-%d %H:%M");
            let period = match a.until {
                None => format!("since {since} UTC, still firing"),
                Some(u) if u.date_naive() == a.since.date_naive() => {
                    format!("{since}–{} UTC", format_utc(u, "%H:%M"))
                }
                Some(u) => format!("{since}–{} UTC", format_utc(u, "%Y-%m-%d %H:%M")),
            };
            let worst = canary_core::text::alert_worst_within(a, bound);
            let who = if metrics.len() > 1 {
                format!("{} ", a.metric.label())
            } else {
                String::new()
            };
            (
                a.level,
                format!("{who}{} {period} (worst {worst})", a.level.as_str()),
            )
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Reading the SVG the charts produce, for the chart modules' tests.
    use super::*;
    use canary_core::event::MICROS_PER_MINUTE;
    use canary_core::series::SeriesPoint;
    use chrono::{DateTime, Utc};

    /// A bucket at minute `i` with nothing in it.
    pub fn empty_point(i: i64) -> SeriesPoint {
        SeriesPoint::empty(i * MICROS_PER_MINUTE)
    }

    /// A one-minute series.
    pub fn series(points: Vec<SeriesPoint>) -> Series {
        Series {
            bucket: MICROS_PER_MINUTE,
            points,
            percentile_relative_error: None,
        }
    }

    /// The time of minute `m`.
    pub fn minute(m: i64) -> DateTime<Utc> {
        to_datetime(m * MICROS_PER_MINUTE)
    }

    /// An alert of `metric` from minute `since` to minute `until` (`None`: still firing).
    pub fn alert(metric: MetricId, level: Level, since: i64, until: Option<i64>) -> Alert {
        Alert {
            metric,
            level,
            threshold: Some(1.0),
            since: minute(since),
            until: until.map(minute),
            worst_value: 3.0,
        }
    }

    /// The SVG colour plotters writes for `c`.
    pub fn hex(c: RGBColor) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    /// The opening tags of the SVG's elements named `tag`.
    pub fn elements<'a>(svg: &'a str, tag: &str) -> Vec<&'a str> {
        svg.split(&format!("<{tag} "))
            .skip(1)
            .map(|el| el.split('>').next().unwrap_or(""))
            .collect()
    }

    /// Translucent filled rectangles in colour `c` (the alert shading and its legend swatch).
    pub fn shaded_rects(svg: &str, c: RGBColor) -> usize {
        let fill = format!("fill=\"{}\"", hex(c));
        elements(svg, "rect")
            .into_iter()
            .filter(|r| r.contains(&fill) && !r.contains("opacity=\"1\""))
            .count()
    }

    /// Polylines in colour `c` (data and threshold lines, not the legend's three-pixel marks)
    /// with at least `min_points` points.
    pub fn lines(svg: &str, c: RGBColor, min_points: usize) -> usize {
        let stroke = format!("stroke=\"{}\"", hex(c));
        elements(svg, "polyline")
            .into_iter()
            .filter(|p| p.contains(&stroke) && !p.contains("stroke-width=\"3\""))
            .filter(|p| {
                p.split("points=\"").nth(1).map_or(0, |pts| {
                    pts.split('"').next().unwrap_or("").split(' ').count()
                }) >= min_points
            })
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use canary_core::alerts::default_rules;
    use canary_core::series::SeriesPoint;

    fn check(points: &[(f64, Option<f64>)], expected: &[&[(f64, f64)]]) {
        let got = segments(points.iter().copied());
        let want: Vec<Vec<(f64, f64)>> = expected.iter().map(|s| s.to_vec()).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn round_ticks_of_the_charts_ranges() {
        let check = |range: Range<f64>, max: usize, expected: &[f64]| {
            assert_eq!(round_ticks(&range, max), expected, "{range:?} {max}");
        };
        // Error rate, latency, hit rate, a narrow and a fractional range.
        check(0.0..15.0, 6, &[0.0, 5.0, 10.0, 15.0]);
        check(0.0..3200.0, 6, &[0.0, 1000.0, 2000.0, 3000.0]);
        check(93.0..100.2, 6, &[94.0, 96.0, 98.0, 100.0]);
        check(97.9..100.06, 6, &[98.0, 98.5, 99.0, 99.5, 100.0]);
        check(0.31..0.39, 6, &[0.32, 0.34, 0.36, 0.38]);
        check(0.0..0.3, 6, &[0.0, 0.1, 0.2, 0.3]);
        check(-7.0..7.0, 6, &[-5.0, 0.0, 5.0]);
        // One step and one tick; a range on a tick; bad ranges give none.
        check(0.0..1.0, 1, &[0.0]);
        check(0.0..1.0, 2, &[0.0, 1.0]);
        check(2.0..2.0, 6, &[]);
        check(3.0..1.0, 6, &[]);
        check(f64::NAN..1.0, 6, &[]);
        check(0.0..f64::INFINITY, 6, &[]);
        check(0.0..1.0, 0, &[]);
    }

    /// `(x, y, anchor, text)` of each `<text>` of the SVG.
    fn texts(svg: &str) -> Vec<(i32, i32, String, String)> {
        let attr = |el: &str, name: &str| {
            el.split(&format!(" {name}=\""))
                .nth(1)
                .and_then(|v| v.split('"').next())
                .unwrap_or("")
                .to_owned()
        };
        svg.split("<text ")
            .skip(1)
            .map(|el| {
                let (tag, rest) = el.split_once('>').unwrap_or((el, ""));
                let text = rest.split('<').next().unwrap_or("").trim().to_owned();
                let tag = format!(" {tag}");
                let n = |name| attr(&tag, name).parse().unwrap_or(i32::MIN);
                (n("x"), n("y"), attr(&tag, "text-anchor"), text)
            })
            .collect()
    }

    #[test]
    fn the_mesh_labels_every_grid_line_beside_the_axes() {
        // Three hours from midnight: a tick per hour on x, round percentages on y.
        let points = (0..180)
            .map(|i| SeriesPoint {
                requests: 100,
                error_rate_pct: Some(0.5),
                ..empty_point(i)
            })
            .collect();
        let svg = rate::ERROR_RATE
            .render_svg(&series(points), &[], &default_rules(), rate::SIZE)
            .unwrap()
            .svg;
        let grid = |c: usize| -> Vec<i32> {
            // (x of vertical, y of horizontal) grid lines: points "x1,y1 x2,y2 ".
            elements(&svg, "polyline")
                .into_iter()
                .filter(|p| p.contains("opacity=\"0.2\""))
                .filter_map(|p| {
                    let pts = p.split("points=\"").nth(1)?.split('"').next()?;
                    let v: Vec<Vec<i32>> = pts
                        .split_whitespace()
                        .map(|xy| xy.split(',').map(|n| n.parse().unwrap()).collect())
                        .collect();
                    (v[0][c] == v[1][c]).then_some(v[0][c])
                })
                .collect()
        };
        let (verticals, horizontals) = (grid(0), grid(1));
        let texts = texts(&svg);
        let x_labels: Vec<(i32, &str)> = texts
            .iter()
            .filter(|t| t.2 == "middle")
            .map(|t| (t.0, t.3.as_str()))
            .collect();
        let at: Vec<(i32, &str)> = verticals
            .iter()
            .copied()
            .zip(["00:00", "01:00", "02:00", "03:00"])
            .collect();
        assert_eq!(x_labels, at);
        let bottom = horizontals.iter().max().copied().unwrap();
        assert!(texts
            .iter()
            .filter(|t| t.2 == "middle")
            .all(|t| t.1 == bottom + 10));
        let y_labels: Vec<(i32, &str)> = texts
            .iter()
            .filter(|t| t.2 == "end")
            .map(|t| (t.1, t.3.as_str()))
            .collect();
        assert_eq!(y_labels.len(), horizontals.len());
        assert!(y_labels.iter().zip(&horizontals).all(|(l, &y)| l.0 == y));
        assert_eq!(y_labels.first().map(|l| l.1), Some("0 %"));
    }

    #[test]
    fn label_widths_from_font_metrics() {
        let check = |text: &str, want: i32| assert_eq!(label_width_px(text), want, "{text:?}");
        check("", 0);
        // 556/1000 em at 16/1.24 px: 7.17 → 8.
        check("0", 8);
        check("00", 15);
        // Narrow and wide letters differ, as drawn.
        check("iiii", 12);
        check("WWWW", 49);
        // Outside ASCII: 0.6 em each.
        check("µ", 8);
        assert!(label_width_px("Error rate") < label_width_px("Error rate (%)"));
    }

    #[test]
    fn legend_wraps_at_the_width_and_on_new_rows() {
        let item = |label: &str| LegendItem::new(Mark::Line(AXIS), label);
        let items = [item("P50"), item("P95"), item("P99").on_new_row()];
        // Each entry is 23 px of swatch, the text and 16 px of gap.
        let wide = legend_layout(1000, &items, 50);
        assert_eq!(wide.1, 2, "{wide:?}");
        assert_eq!(wide.0[0], (50, 0));
        assert_eq!(wide.0[2], (50, 1));
        let first = 23 + label_width_px("P50") + 16;
        assert_eq!(wide.0[1], (50 + first, 0));
        // Too narrow for two on a row: one per row.
        let narrow = legend_layout(50 + first + 20, &items, 50);
        assert_eq!(narrow.0, vec![(50, 0), (50, 1), (50, 2)]);
        assert_eq!(narrow.1, 3);
    }

    #[test]
    fn segments_table() {
        check(&[], &[]);
        check(&[(0.0, None)], &[]);
        check(&[(0.0, Some(1.0))], &[&[(0.0, 1.0)]]);
        check(
            &[
                (0.0, Some(1.0)),
                (1.0, None),
                (2.0, Some(2.0)),
                (3.0, Some(f64::NAN)),
                (4.0, Some(3.0)),
            ],
            &[&[(0.0, 1.0)], &[(2.0, 2.0)], &[(4.0, 3.0)]],
        );
    }

    #[test]
    fn alert_shades_table() {
        // Minutes 60..120: the axis starts at its whole hour, so x is in hours from minute 60.
        let axis = TimeAxis::of(&series((60..120).map(empty_point).collect())).unwrap();
        assert_eq!(axis.range(), 0.0..1.0);
        let check = |alerts: Vec<Alert>, expected: Vec<(f64, f64, Level)>| {
            let got: Vec<(f64, f64, Level)> = alert_shades(&alerts, &[MetricId::ErrorRate], &axis)
                .into_iter()
                .map(|s| (s.from, s.to, s.level))
                .collect();
            assert_eq!(got, expected, "{alerts:?}");
        };
        check(vec![], vec![]);
        // Inside, in range; another metric's alert is not shaded.
        check(
            vec![
                alert(MetricId::ErrorRate, Level::Critical, 66, Some(72)),
                alert(MetricId::CacheHitRate, Level::Critical, 66, Some(72)),
            ],
            vec![(0.1, 0.2, Level::Critical)],
        );
        // Clipped at both ends; still firing runs to the end; worse levels come last.
        check(
            vec![
                alert(MetricId::ErrorRate, Level::Emergency, 30, Some(63)),
                alert(MetricId::ErrorRate, Level::Warning, 114, None),
            ],
            vec![(0.9, 1.0, Level::Warning), (0.0, 0.05, Level::Emergency)],
        );
        // Entirely outside the axis: nothing.
        check(
            vec![
                alert(MetricId::ErrorRate, Level::Warning, 0, Some(30)),
                alert(MetricId::ErrorRate, Level::Warning, 130, None),
            ],
            vec![],
        );
    }

    #[test]
    fn widen_keeps_marks_visible_and_inside() {
        let check = |from, to, want| assert_eq!(widen(from, to, 0.125, &(0.0..1.0)), want);
        check(0.25, 0.5, (0.25, 0.5));
        check(0.25, 0.25, (0.25, 0.375));
        check(0.9375, 1.0, (0.875, 1.0));
    }

    #[test]
    fn labels_table() {
        assert_eq!(bucket_label(MICROS_PER_MINUTE), "per minute");
        assert_eq!(bucket_label(5 * MICROS_PER_MINUTE), "per 5 min");
        assert_eq!(bucket_label(MICROS_PER_HOUR), "per hour");
        assert_eq!(bucket_label(6 * MICROS_PER_HOUR), "per 6 h");
        assert_eq!(pct_label(&95.0), "95 %");
        assert_eq!(pct_label(&97.5), "97.5 %");
        let axis = TimeAxis::of(&series((60..120).map(empty_point).collect())).unwrap();
        assert_eq!(axis.label(0.5), "01:30");
    }

    #[test]
    fn ticks_table() {
        let check = |from: i64, to: i64, max: usize, want: &[&str]| {
            let axis = TimeAxis::of(&series((from..to).map(empty_point).collect())).unwrap();
            let got: Vec<String> = axis.ticks(max).iter().map(|&x| axis.label(x)).collect();
            assert_eq!(got, want, "minutes {from}..{to}, at most {max}");
        };
        // The demo day (18:35 to 18:35 the next day): 4-hour or 2-hour steps from midnight.
        let (from, to) = (18 * 60 + 35, 42 * 60 + 35);
        check(
            from,
            to,
            7,
            &["20:00", "00:00", "04:00", "08:00", "12:00", "16:00"],
        );
        check(
            from,
            to,
            14,
            &[
                "20:00", "22:00", "00:00", "02:00", "04:00", "06:00", "08:00", "10:00", "12:00",
                "14:00", "16:00", "18:00",
            ],
        );
        // An hour: 10-minute steps; both ends can be ticks.
        check(
            60,
            120,
            7,
            &[
                "01:00", "01:10", "01:20", "01:30", "01:40", "01:50", "02:00",
            ],
        );
        // Longer than 36 hours: dates in the labels.
        check(
            0,
            3 * 24 * 60,
            4,
            &["01-01 00:00", "01-02 00:00", "01-03 00:00", "01-04 00:00"],
        );
    }

    #[test]
    fn describe_periods_table() {
        let alerts = vec![
            alert(MetricId::ErrorRate, Level::Critical, 66, Some(72)),
            alert(MetricId::ErrorRate, Level::Warning, 60, None),
            alert(MetricId::CacheHitRate, Level::Warning, 1, Some(2)),
        ];
        let text = |alerts: &[Alert], metrics: &[MetricId]| -> Vec<String> {
            describe_periods(alerts, metrics, None)
                .into_iter()
                .map(|(level, text)| format!("{}: {text}", level.as_str()))
                .collect()
        };
        assert_eq!(
            text(&alerts, &[MetricId::ErrorRate]),
            [
                "warning: warning since 1970-01-01 01:00 UTC, still firing (worst 3.00 %)",
                "critical: critical 1970-01-01 01:06–01:12 UTC (worst 3.00 %)",
            ]
        );
        assert_eq!(
            text(&alerts, &[MetricId::P50Latency, MetricId::P95Latency]),
            Vec::<String>::new()
        );
        let two_days = vec![Alert {
            until: Some(minute(60 * 25)),
            ..alert(MetricId::P95Latency, Level::Critical, 60, None)
        }];
        assert_eq!(
            text(&two_days, &[MetricId::P50Latency, MetricId::P95Latency]),
            ["critical: P95 latency critical 1970-01-01 01:00–1970-01-02 01:00 UTC (worst 3.0 ms)"]
        );
        // From the rollups: the percentile with its bound, the rate as it is.
        assert_eq!(
            describe_periods(&two_days, &[MetricId::P95Latency], Some(0.01))[0].1,
            "critical 1970-01-01 01:00–1970-01-02 01:00 UTC (worst ≈ 3 ms (±1 %))"
        );
        assert_eq!(
            describe_periods(&alerts, &[MetricId::ErrorRate], Some(0.01))[0].1,
            "warning since 1970-01-01 01:00 UTC, still firing (worst 3.00 %)"
        );
    }
}
