//! The numbers a chart draws, as a table and in words: what a screen reader reads instead of the
//! picture, and what anyone who wants the exact values opens under the chart ("Show data").
//! Built from the same series the chart draws, so the table always matches the lines.

use canary_core::alerts::Comparator;
use canary_core::event::Micros;
use canary_core::series::{Series, SeriesPoint};
use canary_core::summary::{format_pct, format_percentile_ms};
use canary_core::time::{format_minute, format_utc, to_datetime};

use super::Threshold;

/// How a line's values are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `98.76 %`.
    Percent,
    /// `412.3 ms`.
    Millis,
}

impl Unit {
    /// `v` written in this unit ("no data" for a bucket without events); a latency (every one
    /// drawn is a percentile) known within `bound` (from the rollups) with it.
    pub fn format(self, v: Option<f64>, bound: Option<f64>) -> String {
        match self {
            Unit::Percent => format_pct(v),
            Unit::Millis => format_percentile_ms(v, bound),
        }
    }
}

/// One plotted line: its name in the legend, its unit and its value in a bucket.
#[derive(Clone, Copy, Debug)]
pub struct Line {
    pub name: &'static str,
    pub unit: Unit,
    /// The bucket's value (`None`: no events in it).
    pub value: fn(&SeriesPoint) -> Option<f64>,
}

/// What a chart plots, for its table: the lines, the thresholds drawn and which line they judge.
#[derive(Clone, Copy, Debug)]
pub struct TableSpec<'a> {
    /// What the chart shows, e.g. "Error rate" (the start of the label's sentences).
    pub title: &'static str,
    pub lines: &'a [Line],
    /// The threshold lines drawn (from the rule table), each judged against `lines[judged]`.
    pub thresholds: &'a [Threshold],
    pub judged: usize,
    /// Which side of the thresholds is bad (the rules' direction); also what "worst" means for
    /// every line.
    pub worse: Comparator,
}

/// A chart's data: one row per bucket and a sentence with the latest and the worst values. The
/// values are kept as numbers and written only when the table is shown: a day has 1,440
/// buckets per chart, and most range switches never open a table.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartData {
    /// What the chart shows, e.g. "Error rate".
    pub title: &'static str,
    /// Column headings: the bucket, each line, the threshold crossed.
    pub columns: Vec<&'static str>,
    units: Vec<Unit>,
    /// The series' `percentile_relative_error`: the latencies' bound, if any.
    bound: Option<f64>,
    starts: Vec<Micros>,
    /// Row-major: `units.len()` values per bucket.
    values: Vec<Option<f64>>,
    /// The thresholds' labels ("1 % warning"), as the rule table gives them.
    threshold_labels: Vec<String>,
    /// Per bucket, the worst threshold the judged line's value is beyond (an index into
    /// `threshold_labels`).
    crossed: Vec<Option<usize>>,
    /// "above" or "below".
    side: &'static str,
    /// The table's caption: what it holds and the thresholds.
    pub caption: String,
    /// The latest values and the worst ones, in words (added to the chart's label).
    pub summary: String,
}

impl ChartData {
    /// The number of rows (buckets).
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The rows as text: the bucket's start (`2025-10-17 07:51`), then each line's value and
    /// the threshold crossed ("above 1 % warning", or "none").
    pub fn rows(&self) -> impl Iterator<Item = (String, Vec<String>)> + '_ {
        let n = self.units.len().max(1);
        self.starts
            .iter()
            .zip(self.values.chunks(n))
            .zip(&self.crossed)
            .map(move |((&start, values), crossed)| {
                let mut cells: Vec<String> = self
                    .units
                    .iter()
                    .zip(values)
                    .map(|(unit, &v)| unit.format(v, self.bound))
                    .collect();
                cells.push(match crossed.and_then(|i| self.threshold_labels.get(i)) {
                    Some(label) => format!("{} {label}", self.side),
                    None => "none".to_owned(),
                });
                (format_utc(to_datetime(start), "%Y-%m-%d %H:%M"), cells)
            })
    }
}

impl TableSpec<'_> {
    /// The index of the worst threshold `v` is beyond (strictly, as the alert rules compare),
    /// if any.
    fn crossed_index(&self, v: Option<f64>) -> Option<usize> {
        let v = v.filter(|v| v.is_finite())?;
        self.thresholds
            .iter()
            .enumerate()
            .filter(|(_, t)| match self.worse {
                Comparator::Above => v > t.value,
                Comparator::Below => v < t.value,
            })
            .max_by_key(|(_, t)| t.level)
            .map(|(i, _)| i)
    }

    /// The worst threshold `v` is beyond, if any.
    fn crossed(&self, v: Option<f64>) -> Option<&Threshold> {
        self.thresholds.get(self.crossed_index(v)?)
    }

    fn side(&self) -> &'static str {
        match self.worse {
            Comparator::Above => "above",
            Comparator::Below => "below",
        }
    }

    /// The table and the summary of `series`.
    pub fn data(&self, series: &Series) -> ChartData {
        let mut columns = vec!["Bucket start (UTC)"];
        columns.extend(self.lines.iter().map(|l| l.name));
        columns.push("Threshold crossed");
        let mut values = Vec::with_capacity(series.points.len() * self.lines.len());
        let mut crossed = Vec::with_capacity(series.points.len());
        for p in &series.points {
            values.extend(self.lines.iter().map(|l| (l.value)(p)));
            let judged = self.lines.get(self.judged).and_then(|l| (l.value)(p));
            crossed.push(self.crossed_index(judged));
        }
        let threshold_labels: Vec<String> =
            self.thresholds.iter().map(|t| t.label.clone()).collect();
        let thresholds = threshold_labels.join(", ");
        let span = match (series.points.first(), series.points.last()) {
            (Some(first), Some(last)) => format!(
                ", {} buckets from {} to {}",
                series.points.len(),
                format_minute(first.start),
                format_minute(last.start)
            ),
            _ => String::new(),
        };
        let judged_name = self.lines.get(self.judged).map_or("", |l| l.name);
        ChartData {
            title: self.title,
            columns,
            units: self.lines.iter().map(|l| l.unit).collect(),
            bound: series.percentile_relative_error,
            starts: series.points.iter().map(|p| p.start).collect(),
            values,
            threshold_labels,
            crossed,
            side: self.side(),
            caption: format!(
                "{}{span}. Thresholds ({judged_name}): {thresholds}.",
                self.title
            ),
            summary: self.summary(series),
        }
    }

    /// "Latest, 2025-10-17 18:34 UTC: error rate 0.52 %. Highest: error rate 13.95 % at
    /// 2025-10-17 07:51 UTC, above 5 % emergency." Each line's latest value is its last bucket
    /// with data; the worst is the first bucket with the worst value.
    pub fn summary(&self, series: &Series) -> String {
        let value = |l: &Line, p: &SeriesPoint| (l.value)(p).filter(|v| v.is_finite());
        let bound = series.percentile_relative_error;
        let latest_at = series
            .points
            .iter()
            .rev()
            .find(|p| self.lines.iter().any(|l| value(l, p).is_some()));
        let Some(latest_at) = latest_at else {
            return format!("{}: no data in this window.", self.title);
        };
        // A line without data in the latest bucket says when its own latest value was.
        let latest: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                let found = series
                    .points
                    .iter()
                    .rev()
                    .find_map(|p| value(l, p).map(|v| (p.start, v)));
                match found {
                    Some((at, v)) if at == latest_at.start => {
                        format!("{} {}", l.name, l.unit.format(Some(v), bound))
                    }
                    Some((at, v)) => format!(
                        "{} {} at {}",
                        l.name,
                        l.unit.format(Some(v), bound),
                        format_minute(at)
                    ),
                    None => format!("{} no data", l.name),
                }
            })
            .collect();
        let worst: Vec<String> = self
            .lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let (at, v) = series
                    .points
                    .iter()
                    .filter_map(|p| value(l, p).map(|v| (p.start, v)))
                    .reduce(|best, next| {
                        let better = match self.worse {
                            Comparator::Above => next.1 > best.1,
                            Comparator::Below => next.1 < best.1,
                        };
                        if better {
                            next
                        } else {
                            best
                        }
                    })?;
                let crossed = if i == self.judged {
                    self.crossed(Some(v))
                        .map(|t| format!(", {} {}", self.side(), t.label))
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                Some(format!(
                    "{} {} at {}{crossed}",
                    l.name,
                    l.unit.format(Some(v), bound),
                    format_minute(at)
                ))
            })
            .collect();
        let worst_word = match self.worse {
            Comparator::Above => "Highest",
            Comparator::Below => "Lowest",
        };
        format!(
            "{}. Latest, {}: {}. {worst_word}: {}.",
            self.title,
            format_minute(latest_at.start),
            latest.join(", "),
            worst.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{empty_point, series};
    use canary_core::alerts::Level;

    const RATE: [Line; 1] = [Line {
        name: "Error rate",
        unit: Unit::Percent,
        value: |p| p.error_rate_pct,
    }];
    const HIT_RATE: [Line; 1] = [Line {
        name: "Hit rate",
        unit: Unit::Percent,
        value: |p| p.cache_hit_rate_pct,
    }];
    const P50_P99: [Line; 2] = [
        Line {
            name: "P50",
            unit: Unit::Millis,
            value: |p| p.p50_ms,
        },
        Line {
            name: "P99",
            unit: Unit::Millis,
            value: |p| p.p99_ms,
        },
    ];

    fn line(value: f64, label: &str, level: Level) -> Threshold {
        Threshold {
            value,
            label: label.to_owned(),
            level,
        }
    }

    /// A table spec of `lines` against `thresholds`, judging the first line.
    fn spec<'a>(
        title: &'static str,
        lines: &'a [Line],
        thresholds: &'a [Threshold],
        worse: Comparator,
    ) -> TableSpec<'a> {
        TableSpec {
            title,
            lines,
            thresholds,
            judged: 0,
            worse,
        }
    }

    /// The error rate's lines: 1 % warning, 5 % emergency.
    fn error_lines() -> Vec<Threshold> {
        vec![
            line(1.0, "1 % warning", Level::Warning),
            line(5.0, "5 % emergency", Level::Emergency),
        ]
    }

    fn errors(values: &[Option<f64>]) -> Series {
        series(
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| SeriesPoint {
                    error_rate_pct: v,
                    ..empty_point(i as i64)
                })
                .collect(),
        )
    }

    /// The rows' cells after the time and the summary of `spec` over `s`.
    fn check(spec: &TableSpec<'_>, s: &Series, rows: &[&[&str]], summary: &str) {
        let data = spec.data(s);
        let got: Vec<Vec<String>> = data.rows().map(|(_, cells)| cells).collect();
        let want: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(got, want);
        assert_eq!(data.len(), rows.len());
        assert_eq!(data.summary, summary);
        assert_eq!(data.columns.len(), spec.lines.len() + 2);
    }

    #[test]
    fn empty_and_all_missing_series_say_no_data() {
        check(
            &spec("Error rate", &RATE, &error_lines(), Comparator::Above),
            &errors(&[]),
            &[],
            "Error rate: no data in this window.",
        );
        check(
            &spec("Error rate", &RATE, &error_lines(), Comparator::Above),
            &errors(&[None, Some(f64::NAN)]),
            &[&["no data", "none"], &["no data", "none"]],
            "Error rate: no data in this window.",
        );
    }

    #[test]
    fn one_bucket_is_latest_and_worst() {
        check(
            &spec("Error rate", &RATE, &error_lines(), Comparator::Above),
            &errors(&[Some(0.5)]),
            &[&["0.50 %", "none"]],
            "Error rate. Latest, 1970-01-01 00:00 UTC: Error rate 0.50 %. \
             Highest: Error rate 0.50 % at 1970-01-01 00:00 UTC.",
        );
    }

    #[test]
    fn thresholds_are_strict_and_the_worst_level_is_named() {
        check(
            &spec("Error rate", &RATE, &error_lines(), Comparator::Above),
            &errors(&[Some(1.0), Some(1.5), Some(5.0), Some(7.25), None]),
            &[
                &["1.00 %", "none"],
                &["1.50 %", "above 1 % warning"],
                &["5.00 %", "above 1 % warning"],
                &["7.25 %", "above 5 % emergency"],
                &["no data", "none"],
            ],
            // The latest is the last bucket with data, not the empty last one.
            "Error rate. Latest, 1970-01-01 00:03 UTC: Error rate 7.25 %. \
             Highest: Error rate 7.25 % at 1970-01-01 00:03 UTC, above 5 % emergency.",
        );
    }

    #[test]
    fn ties_keep_the_first_worst_bucket() {
        check(
            &spec("Error rate", &RATE, &error_lines(), Comparator::Above),
            &errors(&[Some(2.0), Some(0.0), Some(2.0)]),
            &[
                &["2.00 %", "above 1 % warning"],
                &["0.00 %", "none"],
                &["2.00 %", "above 1 % warning"],
            ],
            "Error rate. Latest, 1970-01-01 00:02 UTC: Error rate 2.00 %. \
             Highest: Error rate 2.00 % at 1970-01-01 00:00 UTC, above 1 % warning.",
        );
    }

    #[test]
    fn lower_is_worse_for_hit_rates() {
        let s = series(
            [Some(99.0), Some(95.0), Some(94.5)]
                .into_iter()
                .enumerate()
                .map(|(i, v)| SeriesPoint {
                    cache_hit_rate_pct: v,
                    ..empty_point(i as i64)
                })
                .collect(),
        );
        check(
            &spec(
                "Cache hit rate",
                &HIT_RATE,
                &[line(95.0, "95 % warning", Level::Warning)],
                Comparator::Below,
            ),
            &s,
            &[
                &["99.00 %", "none"],
                &["95.00 %", "none"],
                &["94.50 %", "below 95 % warning"],
            ],
            "Cache hit rate. Latest, 1970-01-01 00:02 UTC: Hit rate 94.50 %. \
             Lowest: Hit rate 94.50 % at 1970-01-01 00:02 UTC, below 95 % warning.",
        );
    }

    #[test]
    fn several_lines_each_with_its_latest_and_worst() {
        let point = |i: i64, p50: Option<f64>, p99: Option<f64>| SeriesPoint {
            p50_ms: p50,
            p99_ms: p99,
            ..empty_point(i)
        };
        let s = series(vec![
            point(0, Some(410.0), Some(900.0)),
            point(1, Some(120.0), Some(3000.5)),
            point(2, None, Some(800.0)),
        ]);
        check(
            &spec(
                "Latency",
                &P50_P99,
                &[line(400.0, "400 ms P50 warning", Level::Warning)],
                Comparator::Above,
            ),
            &s,
            &[
                &["410.0 ms", "900.0 ms", "above 400 ms P50 warning"],
                &["120.0 ms", "3000.5 ms", "none"],
                &["no data", "800.0 ms", "none"],
            ],
            "Latency. Latest, 1970-01-01 00:02 UTC: P50 120.0 ms at 1970-01-01 00:01 UTC, \
             P99 800.0 ms. \
             Highest: P50 410.0 ms at 1970-01-01 00:00 UTC, above 400 ms P50 warning; \
             P99 3000.5 ms at 1970-01-01 00:01 UTC.",
        );
    }

    #[test]
    fn caption_names_the_span_and_the_thresholds() {
        let data = spec("Error rate", &RATE, &error_lines(), Comparator::Above)
            .data(&errors(&[Some(0.1), Some(0.2)]));
        assert_eq!(
            data.caption,
            "Error rate, 2 buckets from 1970-01-01 00:00 UTC to 1970-01-01 00:01 UTC. \
             Thresholds (Error rate): 1 % warning, 5 % emergency."
        );
        assert_eq!(
            data.columns,
            ["Bucket start (UTC)", "Error rate", "Threshold crossed"]
        );
        let times: Vec<String> = data.rows().map(|(t, _)| t).collect();
        assert_eq!(times, ["1970-01-01 00:00", "1970-01-01 00:01"]);
    }
}
