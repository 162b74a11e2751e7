//! PostgreSQL's ordered-set aggregates, bit for bit.
//!
//! `percentile_cont(p)` (src/backend/utils/adt/orderedsetaggs.c): over the N non-null values in
//! ascending order, `first_row = floor(p * (N - 1))`, `second_row = ceil(p * (N - 1))`; equal rows
//! give `x[first_row]`, otherwise `x[lo] + (p * (N - 1) - first_row) * (x[hi] - x[lo])` in f64,
//! evaluated in that order (`float8_lerp`). `percentile_disc(p)` is the first value whose
//! cumulative share `(i + 1) / N` reaches `p` (row `max(ceil(p * N), 1)`, one-based).
//!
//! Both take the values unsorted and pick the needed order statistics by selection: three
//! percentiles of N values cost O(N), not O(N log N).

use std::cmp::Ordering;

/// Sorts for selection: the caller guarantees no NaN (the store keeps NaN out of the metrics).
fn cmp(a: &f64, b: &f64) -> Ordering {
    a.partial_cmp(b).unwrap_or(Ordering::Equal)
}

/// The `k`-th smallest of `values[from..]`, leaving `values[from..]` partitioned around it.
/// Returns the index of the selected element.
fn select(values: &mut [f64], from: usize, k: usize) -> f64 {
    let tail = &mut values[from..];
    let (_, v, _) = tail.select_nth_unstable_by(k - from, cmp);
    *v
}

/// The `k`-th smallest (0-based) of `values` (no NaN), which are reordered. Shares the one
/// selection instance with the percentiles (every comparator gets its own copy in the bundle).
pub(crate) fn kth_smallest(values: &mut [f64], k: usize) -> f64 {
    select(values, 0, k)
}

/// The smallest value of `values[from..]`.
fn min_from(values: &[f64], from: usize) -> f64 {
    values[from..].iter().copied().fold(f64::INFINITY, f64::min)
}

/// `percentile_cont` for each of `ps` (each in [0, 1], ascending), or `None` for every p when
/// `values` is empty. `values` is reordered. Panics only on p outside [0, 1] or unsorted `ps`,
/// which are programming errors.
pub fn percentiles_cont(values: &mut [f64], ps: &[f64]) -> Vec<Option<f64>> {
    let n = values.len();
    if n == 0 {
        return vec![None; ps.len()];
    }
    debug_assert!(ps.windows(2).all(|w| w[0] <= w[1]), "ps must be ascending");
    debug_assert!(
        values.iter().all(|v| !v.is_nan()),
        "NaN must be filtered out"
    );
    let mut out = Vec::with_capacity(ps.len());
    // Every selection below partitions the slice, so later (larger) ranks only look right of the
    // previous one.
    let mut settled = 0usize;
    for &p in ps {
        let (h, lo, hi) = cont_rows(p, n);
        let x_lo = select(values, settled, lo);
        settled = lo;
        let value = if hi == lo {
            x_lo
        } else {
            // The partition put everything >= x[lo] right of `lo`: x[hi] = x[lo + 1] is its min.
            let x_hi = min_from(values, lo + 1);
            lerp(h, x_lo, x_hi)
        };
        out.push(Some(value));
    }
    out
}

/// `percentile_cont(p)` of one p.
pub fn percentile_cont(values: &mut [f64], p: f64) -> Option<f64> {
    percentiles_cont(values, &[p])[0]
}

/// `percentile_cont(p)` of values already in ascending order (no NaN), read off by index: the
/// same order statistics and interpolation as [`percentiles_cont`], without moving anything.
/// Callers that need the values sorted afterwards (the cohort tests) must use this, because
/// selection reorders even a sorted slice.
pub fn percentile_cont_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let (h, lo, hi) = cont_rows(p, sorted.len());
    Some(if lo == hi {
        sorted[lo]
    } else {
        lerp(h, sorted[lo], sorted[hi])
    })
}

/// The rows `percentile_cont(p)` reads of `n > 0` ordered values: `h = p · (n − 1)` and its
/// floor and ceiling (`first_row`, `second_row` in orderedsetaggs.c).
fn cont_rows(p: f64, n: usize) -> (f64, usize, usize) {
    assert!((0.0..=1.0).contains(&p), "percentile {p} outside [0, 1]");
    let h = p * (n - 1) as f64;
    (h, h.floor() as usize, h.ceil() as usize)
}

/// PostgreSQL's `float8_lerp` between the values of the rows around `h`, evaluated in its order.
fn lerp(h: f64, x_lo: f64, x_hi: f64) -> f64 {
    x_lo + (h - h.floor()) * (x_hi - x_lo)
}

/// `percentile_disc(p)`: the first value whose cumulative distribution reaches `p`.
pub fn percentile_disc(values: &mut [f64], p: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    assert!((0.0..=1.0).contains(&p), "percentile {p} outside [0, 1]");
    // orderedsetaggs.c: rownum = (int64) ceil(percentile * rowcount); 0 becomes the first row.
    let rownum = ((p * n as f64).ceil() as usize).clamp(1, n);
    Some(select(values, 0, rownum - 1))
}

/// PostgreSQL's `AVG(float8)`: a plain running sum divided by the count (`float8_accum` then
/// `float8_avg`), in row order. `None` over no values.
pub fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .into_iter()
        .fold((0.0f64, 0u64), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: sort, then the formula exactly as docs/metrics.md#metrics writes it.
    fn reference_cont(values: &[f64], p: f64) -> Option<f64> {
        let mut v = values.to_vec();
        v.sort_by(cmp);
        percentile_cont_sorted(&v, p)
    }

    fn check(values: &[f64], expected: [Option<f64>; 3]) {
        let mut v = values.to_vec();
        let got = percentiles_cont(&mut v, &[0.5, 0.95, 0.99]);
        for (i, p) in [0.5, 0.95, 0.99].into_iter().enumerate() {
            assert_eq!(
                got[i].map(f64::to_bits),
                expected[i].map(f64::to_bits),
                "p{p} of {values:?}: got {:?}, want {:?}",
                got[i],
                expected[i]
            );
            assert_eq!(
                reference_cont(values, p).map(f64::to_bits),
                expected[i].map(f64::to_bits),
                "sorted p{p} of {values:?}"
            );
        }
    }

    #[test]
    fn percentile_cont_table() {
        check(&[], [None, None, None]);
        check(&[7.0], [Some(7.0); 3]);
        check(&[1.0, 2.0], [Some(1.5), Some(1.95), Some(1.99)]);
        check(&[3.0, 1.0, 2.0], [Some(2.0), Some(2.9), Some(2.98)]);
        // Ties: interpolation between equal neighbours gives the value itself.
        check(&[5.0, 5.0, 5.0, 5.0], [Some(5.0); 3]);
        check(&[-10.0, 0.0, 10.0], [Some(0.0), Some(9.0), Some(9.8)]);
        // Values PostgreSQL 15 printed for `percentile_cont` over 1..=100.
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        check(&hundred, [Some(50.5), Some(95.05), Some(99.01)]);
    }

    #[test]
    fn percentile_cont_matches_reference_on_awkward_data() {
        // Deterministic pseudo-random data with many ties and a wide range.
        let mut rng = stdx::rand::SplitMix64::new(0x9E37_79B9_7F4A_7C15);
        for n in [1usize, 2, 3, 4, 10, 101, 1000, 4097] {
            let values: Vec<f64> = (0..n)
                .map(|_| (rng.below(5000) as f64) / 7.0 - 100.0)
                .collect();
            for p in [0.0, 0.01, 0.5, 0.95, 0.99, 1.0] {
                let mut v = values.clone();
                assert_eq!(
                    percentile_cont(&mut v, p),
                    reference_cont(&values, p),
                    "n={n} p={p}"
                );
            }
        }
    }

    #[test]
    fn percentile_disc_table() {
        let cases: [(&[f64], f64, Option<f64>); 6] = [
            (&[], 0.5, None),
            (&[4.0], 0.0, Some(4.0)),
            (&[4.0], 1.0, Some(4.0)),
            (&[1.0, 2.0, 3.0, 4.0], 0.5, Some(2.0)),
            (&[1.0, 2.0, 3.0, 4.0], 0.51, Some(3.0)),
            (&[4.0, 3.0, 2.0, 1.0], 0.0, Some(1.0)),
        ];
        for (values, p, expected) in cases {
            let mut v = values.to_vec();
            assert_eq!(percentile_disc(&mut v, p), expected, "{values:?} p={p}");
        }
    }

    #[test]
    fn mean_is_sum_over_count() {
        assert_eq!(mean([]), None);
        assert_eq!(mean([2.5]), Some(2.5));
        assert_eq!(mean([1.0, 2.0, 4.0]), Some(7.0 / 3.0));
        assert_eq!(mean([-1.0, 1.0]), Some(0.0));
    }
}
