//! Per-bucket time series of the headline metrics, for charts. Buckets are aligned to whole UTC
//! minutes (or coarser multiples for long windows) and cover the window without gaps: a bucket
//! with no events is present, with counts 0 and rates `None`.

use serde::Serialize;

use crate::event::{EventType, Micros, MICROS_PER_HOUR, MICROS_PER_MINUTE};
use crate::metrics::{p50_95_99, rate_pct, Window};
use crate::store::EventStore;

/// One bucket `[start, start + width)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeriesPoint {
    pub start: Micros,
    pub requests: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub failures: u64,
    pub error_rate_pct: Option<f64>,
    pub cache_accesses: u64,
    pub cache_hits: u64,
    pub cache_hit_rate_pct: Option<f64>,
    pub mem0_writes: u64,
    pub mem0_successes: u64,
    pub mem0_success_rate_pct: Option<f64>,
}

impl SeriesPoint {
    /// A bucket starting at `start` with nothing in it.
    pub fn empty(start: Micros) -> SeriesPoint {
        SeriesPoint {
            start,
            requests: 0,
            p50_ms: None,
            p95_ms: None,
            p99_ms: None,
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
}

/// A window's buckets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    /// Bucket width in microseconds.
    pub bucket: Micros,
    pub points: Vec<SeriesPoint>,
    /// `None` when the percentiles are the rows' own; the bound they are within when they come
    /// from the rollups' histograms (as `WindowInfo::percentile_relative_error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentile_relative_error: Option<f64>,
}

/// The most buckets [`compute_with`] builds for any bucket width asked for: a per-minute series
/// of a year, not of a thousand years.
pub const MAX_BUCKETS: i64 = 1_000_000;

/// The most buckets a series has, whatever the window's length: the chart's points, and the
/// memory a window of centuries with two rows in it would otherwise cost.
pub const MAX_POINTS: i64 = 2_200;

/// The bucket width for a window: one minute up to 36 hours, then coarser (5 and 15 minutes,
/// hours, 6 hours, days, then whole multiples of a day) so a chart keeps at most [`MAX_POINTS`]
/// points.
pub fn bucket_width(window_len: Micros) -> Micros {
    const STEPS: [Micros; 6] = [
        MICROS_PER_MINUTE,
        5 * MICROS_PER_MINUTE,
        15 * MICROS_PER_MINUTE,
        MICROS_PER_HOUR,
        6 * MICROS_PER_HOUR,
        24 * MICROS_PER_HOUR,
    ];
    let day = STEPS[STEPS.len() - 1];
    STEPS
        .into_iter()
        .find(|&w| window_len / w <= MAX_POINTS)
        .unwrap_or_else(|| (window_len / MAX_POINTS).div_euclid(day).saturating_add(1) * day)
}

/// The series of `window` with [`bucket_width`]'s buckets.
pub fn compute(store: &EventStore, window: Window) -> Series {
    compute_with(store, window, bucket_width(window.len()))
}

/// The series of `window` with buckets of `bucket` microseconds (at least one, and at least
/// wide enough that the window has no more than [`MAX_BUCKETS`] of them).
pub fn compute_with(store: &EventStore, window: Window, bucket: Micros) -> Series {
    let bucket = bucket
        .max(1)
        .max(window.len().div_euclid(MAX_BUCKETS).saturating_add(1));
    let first = window.from.div_euclid(bucket) * bucket;
    let count = (window.to - first + bucket - 1).div_euclid(bucket).max(0) as usize;
    let mut points: Vec<SeriesPoint> = (0..count)
        .map(|i| SeriesPoint::empty(first + i as Micros * bucket))
        .collect();
    // Rows are in time order, so each bucket's latencies arrive together: one reused buffer.
    let mut times: Vec<f64> = Vec::new();
    let mut current = usize::MAX;
    let flush = |points: &mut [SeriesPoint], i: usize, times: &mut Vec<f64>| {
        if let Some(p) = points.get_mut(i) {
            [p.p50_ms, p.p95_ms, p.p99_ms] = p50_95_99(times);
        }
        times.clear();
    };
    for row in store.rows_in(window.from, window.to) {
        let i = ((store.created_at[row] - first) / bucket) as usize;
        if i != current {
            flush(&mut points, current, &mut times);
            current = i;
        }
        let p = &mut points[i];
        match store.kind(row) {
            EventType::RequestCompleted => {
                p.requests += 1;
                if store.success(row) == Some(false) {
                    p.failures += 1;
                }
                let t = store.processing_time_ms[row];
                if !t.is_nan() {
                    times.push(t);
                }
            }
            EventType::CacheAccess => {
                p.cache_accesses += 1;
                if store.cache_hit(row) == Some(true) {
                    p.cache_hits += 1;
                }
            }
            EventType::Mem0Write => {
                p.mem0_writes += 1;
                if store.success(row) == Some(true) {
                    p.mem0_successes += 1;
                }
            }
            _ => {}
        }
    }
    flush(&mut points, current, &mut times);
    for p in &mut points {
        p.error_rate_pct = rate_pct(p.failures, p.requests);
        p.cache_hit_rate_pct = rate_pct(p.cache_hits, p.cache_accesses);
        p.mem0_success_rate_pct = rate_pct(p.mem0_successes, p.mem0_writes);
    }
    Series {
        bucket,
        points,
        percentile_relative_error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Details, EventRow};
    use crate::metrics::compute as metrics;

    fn request(id: i64, at: Micros, ms: Option<f64>, ok: bool) -> EventRow<'static> {
        EventRow {
            id,
            event_type: EventType::RequestCompleted,
            success: Some(ok),
            cache_hit: None,
            processing_time_ms: ms,
            cache_key: None,
            details: Details::default(),
            created_at: at,
        }
    }

    fn check(
        rows: Vec<EventRow<'static>>,
        window: Window,
        expected: &[(u64, Option<f64>, Option<f64>)],
    ) {
        let mut store = EventStore::new();
        store.extend(rows);
        let series = compute_with(&store, window, MICROS_PER_MINUTE);
        let got: Vec<_> = series
            .points
            .iter()
            .map(|p| (p.requests, p.p50_ms, p.error_rate_pct))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn series_table() {
        let m = MICROS_PER_MINUTE;
        // Empty window: buckets exist, nothing in them.
        check(
            vec![],
            Window { from: 0, to: 2 * m },
            &[(0, None, None), (0, None, None)],
        );
        // One sample; a gap minute; a null latency still counts as a request.
        check(
            vec![
                request(1, 10, Some(100.0), true),
                request(2, 2 * m + 5, None, false),
                request(3, 2 * m + 6, Some(300.0), true),
            ],
            Window { from: 0, to: 3 * m },
            &[
                (1, Some(100.0), Some(0.0)),
                (0, None, None),
                (2, Some(300.0), Some(50.0)),
            ],
        );
        // A window that starts mid-minute aligns its first bucket to the minute.
        check(
            vec![
                request(1, m + 1, Some(1.0), true),
                request(2, m + 30, Some(3.0), true),
            ],
            Window {
                from: m + 20,
                to: 2 * m,
            },
            &[(1, Some(3.0), Some(0.0))],
        );
    }

    #[test]
    fn one_bucket_equals_the_window_metrics() {
        let rows: Vec<_> = (0..50)
            .map(|i| request(i, i * 1000, Some((i * 37 % 11) as f64), i % 7 != 0))
            .collect();
        let mut store = EventStore::new();
        store.extend(rows);
        let window = Window {
            from: 0,
            to: MICROS_PER_MINUTE,
        };
        let s = compute_with(&store, window, MICROS_PER_MINUTE);
        let m = metrics(&store, Some(window));
        assert_eq!(s.points[0].p95_ms, m.latency.p95_ms);
        assert_eq!(s.points[0].error_rate_pct, m.errors.error_rate_pct);
    }

    #[test]
    fn bucket_width_grows_with_the_window() {
        assert_eq!(bucket_width(24 * MICROS_PER_HOUR), MICROS_PER_MINUTE);
        assert_eq!(bucket_width(48 * MICROS_PER_HOUR), 5 * MICROS_PER_MINUTE);
        assert_eq!(bucket_width(30 * 24 * MICROS_PER_HOUR), MICROS_PER_HOUR);
    }

    #[test]
    fn buckets_stay_few_whatever_the_span() {
        let mut store = EventStore::new();
        let far = 9_000 * 365 * 24 * MICROS_PER_HOUR;
        store.extend([
            request(1, 0, Some(10.0), true),
            request(2, far, Some(20.0), false),
        ]);
        let window = Window {
            from: 0,
            to: far + 1,
        };
        let s = compute(&store, window);
        assert!(s.points.len() as i64 <= MAX_POINTS, "{}", s.points.len());
        assert_eq!(s.points.iter().map(|p| p.requests).sum::<u64>(), 2);
        let s = compute_with(&store, window, MICROS_PER_MINUTE);
        assert!(s.points.len() as i64 <= MAX_BUCKETS, "{}", s.points.len());
        assert_eq!(s.points.iter().map(|p| p.failures).sum::<u64>(), 1);
    }
}
