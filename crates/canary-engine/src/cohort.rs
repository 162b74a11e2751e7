//! Canary against control (docs/metrics.md#metrics): the request metrics of both cohorts over the same window,
//! side by side, and a rank-based test of their latency difference.
//!
//! A request belongs to the canary cohort when its `details.canary` is `true`, to the control
//! cohort when it is `false`; requests without a boolean there are counted as untagged and left
//! out of both. Each cohort's numbers are computed exactly as [`crate::metrics`] computes them
//! for all requests (counts, `percentile_cont`, a running mean in row order, rates over the
//! request count), so a window where every request is tagged canary gives the same numbers here
//! as there.
//!
//! The test is the two-sided Mann–Whitney U test in its normal approximation, with the tie
//! correction of the variance and a continuity correction of 0.5 towards the mean: the same
//! numbers as SciPy's `mannwhitneyu(canary, control, method="asymptotic",
//! use_continuity=True)`. Its effect sizes are the rank-biserial correlation and the
//! Hodges–Lehmann shift (the median of all canary − control differences, computed exactly).
//! The normal tail comes from W. J. Cody's rational Chebyshev approximation of `erfc`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::to_datetime;
use crate::event::EventType;
use crate::metrics::{rate_pct, Window};
use crate::percentile::{kth_smallest, mean, percentile_cont_sorted};
use crate::store::EventStore;
use stdx::rand::SplitMix64;
use stdx::sort::sort_f64;

/// Below this many latency samples in either cohort the comparison makes no call
/// ([`LatencyVerdict::NotEnoughData`]); the numbers are still computed and shown. The normal
/// approximation of U is customarily trusted from about 20 per side; 50 also keeps one slow
/// minute of a quiet canary from deciding the verdict.
pub const MIN_SAMPLES_PER_SIDE: u64 = 50;

/// Significance level of the two-sided test: a difference is called when `p < ALPHA`.
pub const ALPHA: f64 = 0.05;

/// The request metrics of one cohort, named and computed as in [`crate::metrics`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortMetrics {
    /// `request_completed` rows of the cohort in the window.
    pub requests: u64,
    /// Requests with a usable `processing_time_ms`: the latency samples (and the test's n).
    pub latency_samples: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub mean_ms: Option<f64>,
    /// Requests with `success = false`.
    pub failures: u64,
    pub error_rate_pct: Option<f64>,
}

/// The Mann–Whitney U test of canary against control latency, and its effect sizes.
///
/// Every value is `None` when either cohort has no latency sample (never NaN). Signs: positive
/// means the canary is slower (`z`, `rank_biserial`, `hodges_lehmann_ms`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MannWhitney {
    /// Latency samples of the canary cohort (n₁).
    pub n_canary: u64,
    /// Latency samples of the control cohort (n₂).
    pub n_control: u64,
    /// U of the canary sample: the number of (canary, control) pairs where the canary request
    /// was slower, ties counting one half. SciPy's `statistic` for `mannwhitneyu(canary, control)`.
    pub u_canary: Option<f64>,
    /// U of the control sample, `n₁·n₂ − u_canary`.
    pub u_control: Option<f64>,
    /// Standard deviation of U under the null hypothesis, with the tie correction.
    pub sd_u: Option<f64>,
    /// `(U − n₁n₂/2 ∓ 0.5) / sd_u`, the continuity correction taken towards zero (0 where the
    /// difference is within it, or where every sample is tied and `sd_u` is 0).
    pub z: Option<f64>,
    /// Two-sided p-value of the normal approximation, in [0, 1].
    pub p_value: Option<f64>,
    /// Rank-biserial correlation `(u_canary − u_control) / (n₁n₂)`, in [−1, 1]: +1 when every
    /// canary request was slower than every control request, −1 when every one was faster.
    pub rank_biserial: Option<f64>,
    /// Hodges–Lehmann estimate of the shift: the median of all n₁·n₂ differences
    /// `canary − control`, in milliseconds (exact, not sampled).
    pub hodges_lehmann_ms: Option<f64>,
    /// Lower end of the shift's 95 % confidence interval (see [`hodges_lehmann_interval`]);
    /// `None` when the samples are too small for one.
    pub hodges_lehmann_low_ms: Option<f64>,
    /// Upper end of the shift's 95 % confidence interval.
    pub hodges_lehmann_high_ms: Option<f64>,
}

/// What the latency test says, at [`ALPHA`] with at least [`MIN_SAMPLES_PER_SIDE`] per cohort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyVerdict {
    /// Significantly faster than control (`p < ALPHA`, canary ranks lower).
    CanaryFaster,
    /// Significantly slower than control (`p < ALPHA`, canary ranks higher).
    CanarySlower,
    /// Enough data, no significant difference.
    NoSignificantDifference,
    /// Fewer than [`MIN_SAMPLES_PER_SIDE`] latency samples in a cohort: no call is made.
    NotEnoughData,
}

impl LatencyVerdict {
    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            LatencyVerdict::CanaryFaster => "Canary faster",
            LatencyVerdict::CanarySlower => "Canary slower",
            LatencyVerdict::NoSignificantDifference => "No significant difference",
            LatencyVerdict::NotEnoughData => "Not enough data",
        }
    }
}

/// Canary and control side by side over one window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortComparison {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Requests with `details.canary = true`.
    pub canary: CohortMetrics,
    /// Requests with `details.canary = false`.
    pub control: CohortMetrics,
    /// Requests without a boolean `details.canary`: in neither cohort.
    pub untagged_requests: u64,
    pub latency_test: MannWhitney,
    pub verdict: LatencyVerdict,
}

/// One cohort's rows, gathered in row (time) order.
#[derive(Default)]
struct Cohort {
    requests: u64,
    failures: u64,
    times: Vec<f64>,
}

impl Cohort {
    /// The metrics, leaving `times` sorted ascending for the test.
    fn finish(&mut self) -> CohortMetrics {
        // AVG sums in row order (metrics.rs does the same), so take the mean before sorting.
        let mean_ms = mean(self.times.iter().copied());
        sort_f64(&mut self.times);
        // Read off the sorted values: selecting (as metrics.rs does on unsorted ones) would
        // reorder them, and the rank test and the Hodges–Lehmann selection need them sorted.
        let [p50_ms, p95_ms, p99_ms] =
            [0.5, 0.95, 0.99].map(|p| percentile_cont_sorted(&self.times, p));
        CohortMetrics {
            requests: self.requests,
            latency_samples: self.times.len() as u64,
            p50_ms,
            p95_ms,
            p99_ms,
            mean_ms,
            failures: self.failures,
            error_rate_pct: rate_pct(self.failures, self.requests),
        }
    }
}

/// Compares the canary and control cohorts of the requests in `window`.
pub fn compare(store: &EventStore, window: Window) -> CohortComparison {
    let mut canary = Cohort::default();
    let mut control = Cohort::default();
    let mut untagged_requests = 0u64;
    for row in store.rows_in(window.from, window.to) {
        if store.kind(row) != EventType::RequestCompleted {
            continue;
        }
        let cohort = match store.canary(row) {
            Some(true) => &mut canary,
            Some(false) => &mut control,
            None => {
                untagged_requests += 1;
                continue;
            }
        };
        cohort.requests += 1;
        if store.success(row) == Some(false) {
            cohort.failures += 1;
        }
        // The store holds NaN for null, NaN or infinite values: metrics.rs skips those too.
        let t = store.processing_time_ms[row];
        if !t.is_nan() {
            cohort.times.push(t);
        }
    }
    let canary_metrics = canary.finish();
    let control_metrics = control.finish();
    let latency_test = mann_whitney_sorted(&canary.times, &control.times);
    CohortComparison {
        from: to_datetime(window.from),
        to: to_datetime(window.to),
        canary: canary_metrics,
        control: control_metrics,
        untagged_requests,
        verdict: verdict(&latency_test),
        latency_test,
    }
}

/// The verdict of a test: no call below [`MIN_SAMPLES_PER_SIDE`] per side, otherwise a
/// direction when `p < ALPHA`.
pub fn verdict(test: &MannWhitney) -> LatencyVerdict {
    if test.n_canary < MIN_SAMPLES_PER_SIDE || test.n_control < MIN_SAMPLES_PER_SIDE {
        return LatencyVerdict::NotEnoughData;
    }
    match (test.p_value, test.z) {
        (Some(p), Some(z)) if p < ALPHA && z > 0.0 => LatencyVerdict::CanarySlower,
        (Some(p), Some(z)) if p < ALPHA && z < 0.0 => LatencyVerdict::CanaryFaster,
        _ => LatencyVerdict::NoSignificantDifference,
    }
}

/// Sorted copy without NaN (NaN has no rank).
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sort_f64(&mut v);
    v
}

fn is_ascending(v: &[f64]) -> bool {
    v.windows(2).all(|w| w[0] <= w[1])
}

/// The Mann–Whitney U test of two samples in any order (NaN values are ignored).
pub fn mann_whitney(canary: &[f64], control: &[f64]) -> MannWhitney {
    mann_whitney_sorted(&sorted(canary), &sorted(control))
}

/// [`mann_whitney`] of two ascending, NaN-free samples.
pub(crate) fn mann_whitney_sorted(x: &[f64], y: &[f64]) -> MannWhitney {
    let test = rank_test_sorted(x, y);
    let (Some(sd_u), false) = (test.sd_u, x.is_empty() || y.is_empty()) else {
        return test;
    };
    let interval = hodges_lehmann_interval_sorted(x, y, sd_u);
    MannWhitney {
        hodges_lehmann_ms: hodges_lehmann_sorted(x, y),
        hodges_lehmann_low_ms: interval.map(|(low, _)| low),
        hodges_lehmann_high_ms: interval.map(|(_, high)| high),
        ..test
    }
}

/// The rank test alone (U, z, p, rank-biserial) of two ascending, NaN-free samples, without
/// the Hodges–Lehmann selections: what the cohort rules need at every sample.
pub(crate) fn rank_test_sorted(x: &[f64], y: &[f64]) -> MannWhitney {
    debug_assert!(is_ascending(x) && is_ascending(y), "samples must be sorted");
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return rank_test_from_counts(n1 as u64, n2 as u64, 0, 0);
    }

    // One merge over both sorted samples, a group of equal values at a time. U and the tie term
    // are integers (U in halves), kept exact in u128 so large windows lose nothing to rounding.
    let mut two_u: u128 = 0;
    let mut tie_term: u128 = 0;
    let (mut i, mut j) = (0usize, 0usize);
    while i < n1 || j < n2 {
        let v = match (x.get(i), y.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => unreachable!("loop condition"),
        };
        let (i0, j0) = (i, j);
        // `==` (not total order) so that −0.0 and 0.0 tie, as they do in SQL and SciPy.
        while i < n1 && x[i] == v {
            i += 1;
        }
        while j < n2 && y[j] == v {
            j += 1;
        }
        let (a, b) = ((i - i0) as u128, (j - j0) as u128);
        // Each canary value here beats the j0 control values below it and ties with b.
        two_u += a * (2 * j0 as u128 + b);
        let t = a + b;
        tie_term += t * t * t - t;
    }

    rank_test_from_counts(n1 as u64, n2 as u64, two_u, tie_term)
}

/// The rank test from its sufficient statistics: the sample sizes, twice the canary's U and the
/// tie term `Σ(t³ − t)` over the groups of equal values. Shared by the test on values and the
/// one on binned counts (`rollup::compare_cohorts`, where a bucket is a group of ties).
pub(crate) fn rank_test_from_counts(n1: u64, n2: u64, two_u: u128, tie_term: u128) -> MannWhitney {
    let none = MannWhitney {
        n_canary: n1,
        n_control: n2,
        u_canary: None,
        u_control: None,
        sd_u: None,
        z: None,
        p_value: None,
        rank_biserial: None,
        hodges_lehmann_ms: None,
        hodges_lehmann_low_ms: None,
        hodges_lehmann_high_ms: None,
    };
    if n1 == 0 || n2 == 0 {
        return none;
    }
    let n1n2 = (n1 as u128) * (n2 as u128);
    let n = (n1 + n2) as u128;
    // Var(U) = n₁n₂/12 · ((n + 1) − Σ(t³ − t) / (n(n − 1))) = n₁n₂ · ((n+1)n(n−1) − Σ) / (12n(n−1)).
    let var_numerator = (n + 1) * n * (n - 1) - tie_term;
    let var_u = n1n2 as f64 * var_numerator as f64 / (12 * n * (n - 1)) as f64;
    let sd_u = var_u.sqrt();

    // 2(U − n₁n₂/2), exact; the continuity correction moves |U − μ| half a unit towards 0.
    let two_diff = two_u as i128 - n1n2 as i128;
    let corrected = (two_diff.unsigned_abs().saturating_sub(1)) as f64 / 2.0;
    let z = if sd_u > 0.0 {
        (two_diff.signum() as f64) * corrected / sd_u
    } else {
        // Every sample tied: the ranks carry no information (and U is exactly its mean).
        0.0
    };
    let p_value = erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0);

    MannWhitney {
        u_canary: Some(two_u as f64 / 2.0),
        u_control: Some((2 * n1n2 - two_u) as f64 / 2.0),
        sd_u: Some(sd_u),
        z: Some(z),
        p_value: Some(p_value),
        rank_biserial: Some(two_diff as f64 / n1n2 as f64),
        ..none
    }
}

/// The two-sided normal quantile of a 95 % interval, `Φ⁻¹(0.975)`.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// One-sided p-value of the test for "the canary is slower": SciPy's
/// `mannwhitneyu(canary, control, alternative="greater", method="asymptotic")`, i.e.
/// `P(Z ≥ (U − n₁n₂/2 − 0.5) / sd_u)`. `None` without samples; 1 when every sample is tied
/// (the ranks carry no evidence either way).
pub fn p_canary_slower(test: &MannWhitney) -> Option<f64> {
    let (u, sd) = (test.u_canary?, test.sd_u?);
    if sd <= 0.0 {
        return Some(1.0);
    }
    let mean = test.n_canary as f64 * test.n_control as f64 / 2.0;
    let z = (u - mean - 0.5) / sd;
    Some((0.5 * erfc(z / std::f64::consts::SQRT_2)).min(1.0))
}

/// The rank of the lower end of the Mann–Whitney-based 95 % interval of the shift
/// (Hollander & Wolfe's `C_α`, normal approximation with the tie-corrected `sd_u`): the
/// interval runs from the `k`-th smallest to the `k`-th largest of the n₁·n₂ differences,
/// `k = ⌊n₁n₂/2 − Z_95 · sd_u⌋`. `None` when `k < 1`: too few samples for a 95 % interval.
pub fn interval_rank(n1: u64, n2: u64, sd_u: f64) -> Option<u64> {
    let k = (n1 as f64 * n2 as f64 / 2.0 - Z_95 * sd_u).floor();
    (k >= 1.0).then_some(k as u64)
}

/// The Hodges–Lehmann shift's 95 % confidence interval of two samples in any order (NaN values
/// are ignored): the `k`-th smallest and `k`-th largest `canary[i] − control[j]`, with `k` from
/// [`interval_rank`].
pub fn hodges_lehmann_interval(canary: &[f64], control: &[f64]) -> Option<(f64, f64)> {
    let test = mann_whitney(canary, control);
    Some((test.hodges_lehmann_low_ms?, test.hodges_lehmann_high_ms?))
}

/// The interval of two ascending, NaN-free, non-empty samples, given `sd_u`.
fn hodges_lehmann_interval_sorted(x: &[f64], y: &[f64], sd_u: f64) -> Option<(f64, f64)> {
    let total = x.len() as u64 * y.len() as u64;
    let k = interval_rank(x.len() as u64, y.len() as u64, sd_u)?;
    // 0-based ranks of the k-th smallest and the k-th largest.
    let (low_rank, high_rank) = (k - 1, total - k);
    let (low, high) = if x.len() <= y.len() {
        let m = DifferenceMatrix::new(x, y);
        (
            m.kth(low_rank, PIVOT_SAMPLE),
            m.kth(high_rank, PIVOT_SAMPLE),
        )
    } else {
        // Rows must be the shorter sample: the differences of the swapped pair are the negated
        // ones, so the k-th smallest here is minus the k-th largest there.
        let m = DifferenceMatrix::new(y, x);
        (
            -m.kth(high_rank, PIVOT_SAMPLE),
            -m.kth(low_rank, PIVOT_SAMPLE),
        )
    };
    Some((low + 0.0, high + 0.0))
}

/// The Hodges–Lehmann shift of two samples in any order (NaN values are ignored): the median of
/// all `canary[i] − control[j]`, `None` when either is empty.
pub fn hodges_lehmann(canary: &[f64], control: &[f64]) -> Option<f64> {
    hodges_lehmann_sorted(&sorted(canary), &sorted(control))
}

/// [`hodges_lehmann`] of two ascending, NaN-free samples.
fn hodges_lehmann_sorted(x: &[f64], y: &[f64]) -> Option<f64> {
    debug_assert!(is_ascending(x) && is_ascending(y), "samples must be sorted");
    if x.is_empty() || y.is_empty() {
        return None;
    }
    // The selection keeps per-row state, so let the rows be the shorter sample. The differences
    // of the swapped pair are exactly the negated ones (IEEE subtraction is sign-symmetric), and
    // so is their median.
    let median = if x.len() <= y.len() {
        median_difference(x, y)
    } else {
        -median_difference(y, x)
    };
    // `+ 0.0` turns a −0.0 (from the negation) into 0.0, which would print as "-0.0 ms".
    Some(median + 0.0)
}

/// The median of `x[i] − y[j]` over all pairs of two non-empty ascending samples.
fn median_difference(x: &[f64], y: &[f64]) -> f64 {
    let total = x.len() as u64 * y.len() as u64;
    let matrix = DifferenceMatrix::new(x, y);
    let upper = matrix.kth(total / 2, PIVOT_SAMPLE);
    if total % 2 == 1 {
        upper
    } else {
        let lower = matrix.previous(upper, total / 2);
        // The mean of the two middle differences, as numpy's median. `(a + b) / 2` (rather than
        // `a + (b − a)/2`) is symmetric under negation, which the swap above relies on.
        (lower + upper) / 2.0
    }
}

/// How many active differences a round of [`DifferenceMatrix::kth`] samples to place its two
/// pivots. The pivots bracket the wanted rank by about ±2 standard deviations of the sample
/// rank, so a round keeps about 4/√8192 ≈ 4.4 % of the candidates: a 1.6 × 10¹⁰ matrix (the
/// demo's 24 hours at a million events) is down to a direct selection after about four rounds.
const PIVOT_SAMPLE: usize = 8192;

/// The differences `x[i] − y[j]` of two ascending samples, as an n₁ × n₂ matrix
/// `M[i][c] = x[i] − y[n₂ − 1 − c]` whose rows and columns are ascending (rounding is monotone,
/// so this holds for the computed f64 values too). Never formed: an element is computed when it
/// is looked at.
struct DifferenceMatrix<'a> {
    x: &'a [f64],
    y: &'a [f64],
}

impl<'a> DifferenceMatrix<'a> {
    fn new(x: &'a [f64], y: &'a [f64]) -> Self {
        debug_assert!(!x.is_empty() && !y.is_empty());
        DifferenceMatrix { x, y }
    }

    fn at(&self, i: usize, c: usize) -> f64 {
        self.x[i] - self.y[self.y.len() - 1 - c]
    }

    /// Per row, the number of elements below `pivot` (`strict`) or up to it, into `counts`;
    /// returns their sum. One sweep: rows grow with `i`, so the count can only shrink and the
    /// column pointer only moves left.
    fn count(&self, pivot: f64, strict: bool, counts: &mut [usize]) -> u64 {
        let mut c = self.y.len();
        let mut total = 0u64;
        for (i, slot) in counts.iter_mut().enumerate() {
            while c > 0
                && (if strict {
                    self.at(i, c - 1) >= pivot
                } else {
                    self.at(i, c - 1) > pivot
                })
            {
                c -= 1;
            }
            *slot = c;
            total += c as u64;
        }
        total
    }

    /// The `k`-th smallest (0-based) element.
    ///
    /// Each row keeps an active column range `[lo, hi)` that may still hold the answer. A round
    /// draws `sample` active elements at random (a fixed seed: the answer is exact whatever is
    /// drawn, and the work repeatable), takes two of them that bracket the wanted rank among the
    /// active ones as pivots (Floyd & Rivest's selection, 1975, on Monahan's 1984
    /// Hodges–Lehmann matrix), counts the elements below the lower and up to the upper pivot in
    /// every row with one sweep each, and drops everything outside the bracket, or on the wrong
    /// side of it when the rank fell outside. A round that drops nothing (every active element
    /// inside the bracket, as with heavy ties) takes the weighted median of the rows' middle
    /// elements as pivot instead (Johnson & Mizoguchi, 1978), which drops at least a quarter.
    /// Rounds cost O(n₁ + n₂ + sample · log n₁); once no more than n₁ + n₂ candidates are left
    /// they are selected directly.
    fn kth(&self, k: u64, sample: usize) -> f64 {
        let (n1, n2) = (self.x.len(), self.y.len());
        debug_assert!(k < n1 as u64 * n2 as u64);
        let mut lo = vec![0usize; n1];
        let mut hi = vec![n2; n1];
        let mut below_lower = vec![0usize; n1];
        let mut up_to_upper = vec![0usize; n1];
        let mut rng = SplitMix64::new(0x853C_49E6_748F_EA9B);
        let small = (n1 + n2) as u64 + 64;

        loop {
            let below: u64 = lo.iter().map(|&l| l as u64).sum();
            let active: u64 = lo.iter().zip(&hi).map(|(&l, &h)| (h - l) as u64).sum();
            debug_assert!(below <= k && k < below + active);
            if active <= small {
                let mut rest: Vec<f64> = (0..n1)
                    .flat_map(|i| (lo[i]..hi[i]).map(move |c| (i, c)))
                    .map(|(i, c)| self.at(i, c))
                    .collect();
                return kth_smallest(&mut rest, (k - below) as usize);
            }

            let (lower, upper) = self.bracket(&lo, &hi, k - below, active, sample, &mut rng);
            let less = self.count(lower, true, &mut below_lower);
            if k < less {
                // The answer is below the lower pivot: drop everything from it up.
                shrink_from_above(&mut lo, &mut hi, &below_lower);
                continue;
            }
            let up_to = self.count(upper, false, &mut up_to_upper);
            if k >= up_to {
                // The answer is above the upper pivot: drop everything up to it.
                shrink_from_below(&mut lo, &mut hi, &up_to_upper);
                continue;
            }
            if lower == upper {
                // Every element in the bracket equals the pivot, and the rank falls among them.
                return lower;
            }
            let kept = up_to - less;
            if kept < active {
                shrink_from_above(&mut lo, &mut hi, &up_to_upper);
                shrink_from_below(&mut lo, &mut hi, &below_lower);
                continue;
            }

            // The bracket held every candidate: a Johnson–Mizoguchi round always makes progress.
            let pivot = self.weighted_median_of_middles(&lo, &hi, active);
            let less = self.count(pivot, true, &mut below_lower);
            if k < less {
                shrink_from_above(&mut lo, &mut hi, &below_lower);
                continue;
            }
            let up_to = self.count(pivot, false, &mut up_to_upper);
            if k < up_to {
                return pivot;
            }
            shrink_from_below(&mut lo, &mut hi, &up_to_upper);
        }
    }

    /// Two active elements that bracket the `rank`-th smallest of the `active` ones, from a
    /// sample of `sample` of them drawn with replacement.
    fn bracket(
        &self,
        lo: &[usize],
        hi: &[usize],
        rank: u64,
        active: u64,
        sample: usize,
        rng: &mut SplitMix64,
    ) -> (f64, f64) {
        // Cumulative active widths: the row of the r-th active element is a binary search away.
        let mut ends = Vec::with_capacity(lo.len());
        let mut rows = Vec::with_capacity(lo.len());
        let mut end = 0u64;
        for (i, (&l, &h)) in lo.iter().zip(hi).enumerate() {
            if h > l {
                end += (h - l) as u64;
                ends.push(end);
                rows.push(i);
            }
        }
        let mut drawn: Vec<f64> = (0..sample)
            .map(|_| {
                let r = rng.next_u64() % active;
                let slot = ends.partition_point(|&e| e <= r);
                let start = if slot == 0 { 0 } else { ends[slot - 1] };
                let i = rows[slot];
                self.at(i, lo[i] + (r - start) as usize)
            })
            .collect();
        sort_f64(&mut drawn);
        let s = sample as f64;
        let at_rank = rank as f64 / active as f64 * s;
        let spread = 2.0 * s.sqrt() + 1.0;
        let last = (sample - 1) as f64;
        let lower = (at_rank - spread).floor().clamp(0.0, last) as usize;
        let upper = (at_rank + spread).ceil().clamp(0.0, last) as usize;
        (drawn[lower], drawn[upper])
    }

    /// The weighted median of the active rows' middle elements, each weighted by its row's
    /// active width: at least a quarter of the active elements lie on either side of it.
    fn weighted_median_of_middles(&self, lo: &[usize], hi: &[usize], active: u64) -> f64 {
        let mut middles: Vec<(f64, u64)> = (0..lo.len())
            .filter(|&i| lo[i] < hi[i])
            .map(|i| {
                let middle = self.at(i, lo[i] + (hi[i] - lo[i]) / 2);
                (middle, (hi[i] - lo[i]) as u64)
            })
            .collect();
        // The shared sort: this runs only in the rare rounds the sampled pivots miss.
        stdx::sort::sort_by(&mut middles, |a, b| a.0.total_cmp(&b.0));
        let half = active.div_ceil(2);
        let mut cumulative = 0u64;
        middles
            .iter()
            .find(|(_, w)| {
                cumulative += w;
                cumulative >= half
            })
            .map_or(middles[middles.len() - 1].0, |m| m.0)
    }

    /// The (k − 1)-th smallest element, given the k-th (`kth`, k ≥ 1): the same value when it
    /// repeats below rank k, otherwise the largest element below it. Two sweeps, no selection.
    fn previous(&self, kth: f64, k: u64) -> f64 {
        let mut counts = vec![0usize; self.x.len()];
        if self.count(kth, true, &mut counts) < k {
            return kth;
        }
        counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .map(|(i, &c)| self.at(i, c - 1))
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// Drops, in every row, the columns from `bound` up (they lie above the answer).
fn shrink_from_above(lo: &mut [usize], hi: &mut [usize], bound: &[usize]) {
    for ((l, h), &b) in lo.iter_mut().zip(hi.iter_mut()).zip(bound) {
        *h = (*h).min(b);
        *l = (*l).min(*h);
    }
}

/// Drops, in every row, the columns below `bound` (they lie below the answer).
fn shrink_from_below(lo: &mut [usize], hi: &mut [usize], bound: &[usize]) {
    for ((l, h), &b) in lo.iter_mut().zip(hi.iter_mut()).zip(bound) {
        *l = (*l).max(b);
        *h = (*h).max(*l);
    }
}

/// The complementary error function `erfc(x) = 1 − erf(x)`, by W. J. Cody's rational Chebyshev
/// approximations ("Rational Chebyshev approximations for the error function", Math. Comp. 23,
/// 1969, pp. 631–638; the coefficients of his SPECFUN routine CALERF, netlib.org/specfun/erf).
/// Relative error near double precision (about 1e-15 here) on the whole line; 0 from x ≥ 26.543,
/// where the true value underflows.
///
/// Written here rather than taken from a crate because `canary-core` adds no dependencies, and
/// `std` has no `erfc`.
// The coefficients are kept digit for digit as Cody published them (more digits than an f64
// holds; the compiler rounds them), so they can be checked against the source.
#[allow(clippy::excessive_precision)]
pub fn erfc(x: f64) -> f64 {
    const A: [f64; 5] = [
        3.16112374387056560e00,
        1.13864154151050156e02,
        3.77485237685302021e02,
        3.20937758913846947e03,
        1.85777706184603153e-1,
    ];
    const B: [f64; 4] = [
        2.36012909523441209e01,
        2.44024637934444173e02,
        1.28261652607737228e03,
        2.84423683343917062e03,
    ];
    const C: [f64; 9] = [
        5.64188496988670089e-1,
        8.88314979438837594e00,
        6.61191906371416295e01,
        2.98635138197400131e02,
        8.81952221241769090e02,
        1.71204761263407058e03,
        2.05107837782607147e03,
        1.23033935479799725e03,
        2.15311535474403846e-8,
    ];
    const D: [f64; 8] = [
        1.57449261107098347e01,
        1.17693950891312499e02,
        5.37181101862009858e02,
        1.62138957456669019e03,
        3.29079923573345963e03,
        4.36261909014324716e03,
        3.43936767414372164e03,
        1.23033935480374942e03,
    ];
    const P: [f64; 6] = [
        3.05326634961232344e-1,
        3.60344899949804439e-1,
        1.25781726111229246e-1,
        1.60837851487422766e-2,
        6.58749161529837803e-4,
        1.63153871373020978e-2,
    ];
    const Q: [f64; 5] = [
        2.56852019228982242e00,
        1.87295284992346047e00,
        5.27905102951428412e-1,
        6.05183413124413191e-2,
        2.33520497626869185e-3,
    ];
    /// 1/√π.
    const SQRPI: f64 = 5.6418958354775628695e-1;
    const THRESH: f64 = 0.46875;
    const XBIG: f64 = 26.543;

    if x.is_nan() {
        return f64::NAN;
    }
    let y = x.abs();
    if y <= THRESH {
        // erf by a rational function of x² near 0; erfc = 1 − erf loses nothing here.
        let ysq = if y > 1.11e-16 { y * y } else { 0.0 };
        let mut num = A[4] * ysq;
        let mut den = ysq;
        for i in 0..3 {
            num = (num + A[i]) * ysq;
            den = (den + B[i]) * ysq;
        }
        return 1.0 - x * (num + A[3]) / (den + B[3]);
    }
    let tail = if y >= XBIG {
        0.0
    } else {
        let scaled = if y <= 4.0 {
            // exp(y²)·erfc(y) on [0.46875, 4].
            let mut num = C[8] * y;
            let mut den = y;
            for i in 0..7 {
                num = (num + C[i]) * y;
                den = (den + D[i]) * y;
            }
            (num + C[7]) / (den + D[7])
        } else {
            // Asymptotic form in 1/y² beyond 4.
            let ysq = 1.0 / (y * y);
            let mut num = P[5] * ysq;
            let mut den = ysq;
            for i in 0..4 {
                num = (num + P[i]) * ysq;
                den = (den + Q[i]) * ysq;
            }
            (SQRPI - ysq * (num + P[4]) / (den + Q[4])) / y
        };
        // exp(−y²) split as exp(−r²)·exp(−(y − r)(y + r)) with r = y rounded down to 1/16, so
        // the rounding error of y² is not magnified by the exponential.
        let r = (y * 16.0).trunc() / 16.0;
        (-r * r).exp() * (-(y - r) * (y + r)).exp() * scaled
    };
    if x < 0.0 {
        2.0 - tail
    } else {
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Details, EventRow, MICROS_PER_SECOND};
    use crate::metrics::compute;

    /// Relative closeness for reference values printed with 17 significant digits.
    fn close(got: f64, want: f64, rel: f64) -> bool {
        got == want || (got - want).abs() <= rel * want.abs().max(f64::MIN_POSITIVE)
    }

    #[test]
    fn erfc_matches_reference_values() {
        // Reference: Python 3.11.7 `math.erfc` (correctly rounded to within 1 ulp via the
        // platform libm), printed with repr.
        let cases: [(f64, f64); 13] = [
            (0.0, 1.0),
            (1e-20, 1.0),
            (0.1, 0.8875370839817152),
            (0.46875, 0.507386526782062),
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028513),
            (1.3859038243496777, 0.05000000000000004),
            (2.5, 0.0004069520174449589),
            (4.0, 1.541725790028002e-08),
            (4.5, 1.9661604415428873e-10),
            (10.0, 2.088487583762545e-45),
            (26.0, 5.663192408856143e-296),
            (-1.0, 1.842700792949715),
        ];
        for (x, want) in cases {
            assert!(
                close(erfc(x), want, 1e-14),
                "erfc({x}) = {:e}, want {want:e}",
                erfc(x)
            );
        }
        // Past Cody's XBIG the true value (5.2e-319 at 27) is subnormal: 0 is returned.
        assert_eq!(erfc(27.0), 0.0);
        assert!(erfc(f64::NAN).is_nan());
        assert_eq!(erfc(f64::INFINITY), 0.0);
        assert_eq!(erfc(f64::NEG_INFINITY), 2.0);
    }

    /// A compact view of a test for table checks: (U, z, p, rank-biserial, HL).
    type View = (f64, f64, f64, f64, f64);

    fn view(t: &MannWhitney) -> View {
        (
            t.u_canary.unwrap(),
            t.z.unwrap(),
            t.p_value.unwrap(),
            t.rank_biserial.unwrap(),
            t.hodges_lehmann_ms.unwrap(),
        )
    }

    fn check(canary: &[f64], control: &[f64], want: View) {
        let got = view(&mann_whitney(canary, control));
        let ok = close(got.0, want.0, 1e-15)
            && close(got.1, want.1, 1e-12)
            && close(got.2, want.2, 1e-12)
            && close(got.3, want.3, 1e-15)
            && close(got.4, want.4, 1e-15);
        assert!(ok, "{canary:?} vs {control:?}: got {got:?}, want {want:?}");
    }

    #[test]
    fn hand_checkable_cases() {
        // Identical samples: U = n₁n₂/2 = 4.5, within the continuity correction → z = 0, p = 1.
        check(
            &[1.0, 2.0, 3.0],
            &[3.0, 2.0, 1.0],
            (4.5, 0.0, 1.0, 0.0, 0.0),
        );
        // Ties everywhere: every value equal, so Var(U) = 0; no information, p = 1.
        check(&[7.0; 4], &[7.0; 5], (10.0, 0.0, 1.0, 0.0, 0.0));
        // Completely separated, canary faster: U = 0, r = −1. μ = 4.5, Var = 9/12·7 = 5.25,
        // z = −(4.5 − 0.5)/√5.25 = −1.7457431218879391, p = erfc(|z|/√2) = 0.0808556...
        // (SciPy 1.14.1 `mannwhitneyu([1,2,3],[4,5,6], method="asymptotic")` gives
        // statistic 0.0, pvalue 0.08085559837005224). HL: differences −5..−1, median −3.
        check(
            &[1.0, 2.0, 3.0],
            &[4.0, 5.0, 6.0],
            (0.0, -1.7457431218879391, 0.08085559837005224, -1.0, -3.0),
        );
        // And the other way round: U = 9, r = +1, HL = +3.
        check(
            &[4.0, 5.0, 6.0],
            &[1.0, 2.0, 3.0],
            (9.0, 1.7457431218879391, 0.08085559837005224, 1.0, 3.0),
        );
        // One tie across the cohorts counts one half: [1, 2] vs [2, 3] → U = 0.5.
        let t = mann_whitney(&[1.0, 2.0], &[2.0, 3.0]);
        assert_eq!(t.u_canary, Some(0.5));
        assert_eq!(t.u_control, Some(3.5));
        // −0.0 and 0.0 tie.
        assert_eq!(mann_whitney(&[-0.0], &[0.0]).u_canary, Some(0.5));
    }

    /// Deterministic integer-valued samples with many ties (reproduced in Python for the
    /// reference values below).
    fn reference_samples() -> (Vec<f64>, Vec<f64>) {
        let canary = (0..120u64)
            .map(|i| 200.0 + ((i * 7919) % 311) as f64)
            .collect();
        let control = (0..300u64)
            .map(|j| 210.0 + ((j * 104_729) % 331) as f64)
            .collect();
        (canary, control)
    }

    #[test]
    fn reference_case_matches_scipy() {
        // Reference: Python 3.11.7 with SciPy 1.14.1 and NumPy 2.1.3 (pip, pinned):
        //   c = [200 + (i*7919) % 311 for i in range(120)]
        //   k = [210 + (j*104729) % 331 for j in range(300)]
        //   r = scipy.stats.mannwhitneyu(c, k, method="asymptotic", use_continuity=True)
        //   -> statistic 15874.0, pvalue 0.05858380001082918
        //   s = sqrt(n1*n2/12 * ((n+1) - sum(t**3 - t)/(n*(n-1))))  (t: tie counts of c + k)
        //   z = sign(U - n1*n2/2) * (|U - n1*n2/2| - 0.5) / s = -1.891303812970712
        //       (SciPy standardises max(U1, U2); same magnitude, and 2*norm.sf(|z|) == pvalue)
        //   rank-biserial 2*U/(n1*n2) - 1 = -0.11811111111111106
        //   numpy.median(numpy.subtract.outer(c, k)) = -20.0
        let (canary, control) = reference_samples();
        check(
            &canary,
            &control,
            (
                15874.0,
                -1.891303812970712,
                0.05858380001082918,
                -0.11811111111111106,
                -20.0,
            ),
        );
        // 49 vs 50, completely separated: statistic 0.0, pvalue 1.037416185127664e-17,
        // z -8.569714828680006, HL numpy -50.5 (same tools).
        let low: Vec<f64> = (1..50).map(f64::from).collect();
        let high: Vec<f64> = (51..=100).map(f64::from).collect();
        check(
            &low,
            &high,
            (0.0, -8.569714828680006, 1.037416185127664e-17, -1.0, -50.5),
        );
    }

    #[test]
    fn one_sided_p_matches_scipy() {
        // SciPy 1.14.1 `mannwhitneyu(a, b, alternative="greater", method="asymptotic",
        // use_continuity=True).pvalue` on the same samples.
        let (canary, control) = reference_samples();
        let cases: [(&[f64], &[f64], f64); 4] = [
            (&canary, &control, 0.970767406534775),
            (&control, &canary, 0.02929190000541459),
            (&[4.0, 5.0, 6.0], &[1.0, 2.0, 3.0], 0.04042779918502612),
            (&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], 0.9854518341293739),
        ];
        for (a, b, want) in cases {
            let got = p_canary_slower(&mann_whitney(a, b)).unwrap();
            assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
        }
        // No samples: no p; every sample tied: no evidence either way.
        assert_eq!(p_canary_slower(&mann_whitney(&[], &[1.0])), None);
        assert_eq!(
            p_canary_slower(&mann_whitney(&[2.0; 9], &[2.0; 9])),
            Some(1.0)
        );
    }

    /// The interval by brute force: every difference sorted, the k-th from each end.
    fn brute_force_interval(x: &[f64], y: &[f64]) -> Option<(f64, f64)> {
        let mut d: Vec<f64> = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| a - b))
            .collect();
        d.sort_unstable_by(f64::total_cmp);
        let sd = mann_whitney(x, y).sd_u?;
        let k = interval_rank(x.len() as u64, y.len() as u64, sd)? as usize;
        Some((d[k - 1] + 0.0, d[d.len() - k] + 0.0))
    }

    #[test]
    fn hodges_lehmann_interval_matches_brute_force() {
        let mut rng = XorShift(0x1234_5678_9ABC_DEF1);
        for &(n1, n2) in &[
            (5, 5),
            (8, 3),
            (3, 8),
            (17, 16),
            (40, 3),
            (64, 65),
            (150, 90),
            (90, 150),
        ] {
            for ties in [true, false] {
                let x = rng.sample(n1, ties);
                let y = rng.sample(n2, ties);
                let want = brute_force_interval(&x, &y);
                assert!(want.is_some(), "n1={n1} n2={n2}");
                let got = hodges_lehmann_interval(&x, &y);
                assert_eq!(
                    got.map(|(a, b)| (a.to_bits(), b.to_bits())),
                    want.map(|(a, b)| (a.to_bits(), b.to_bits())),
                    "n1={n1} n2={n2} ties={ties}"
                );
                let (low, high) = got.unwrap();
                let hl = hodges_lehmann(&x, &y).unwrap();
                assert!(low <= hl && hl <= high, "{low} <= {hl} <= {high}");
            }
        }
        // Too few samples for a 95 % interval (k < 1), and none at all.
        assert_eq!(hodges_lehmann_interval(&[1.0, 2.0], &[3.0, 4.0]), None);
        assert_eq!(hodges_lehmann_interval(&[], &[3.0, 4.0]), None);
        // A pure shift: the interval holds it, and k follows Hollander & Wolfe's C_α
        // (n₁ = n₂ = 10 without ties: sd = √(100·21/12) = 13.2288; ⌊50 − 1.96·13.2288⌋ = 24).
        let control: Vec<f64> = (0..10).map(f64::from).collect();
        let canary: Vec<f64> = control.iter().map(|v| v + 100.0).collect();
        let sd = mann_whitney(&canary, &control).sd_u.unwrap();
        assert_eq!(interval_rank(10, 10, sd), Some(24));
        let (low, high) = hodges_lehmann_interval(&canary, &control).unwrap();
        assert!(low <= 100.0 && 100.0 <= high);
    }

    #[test]
    fn verdicts() {
        let fast: Vec<f64> = (1..=50).map(f64::from).collect();
        let slow: Vec<f64> = (51..=100).map(f64::from).collect();
        let of = |a: &[f64], b: &[f64]| verdict(&mann_whitney(a, b));
        assert_eq!(of(&fast, &slow), LatencyVerdict::CanaryFaster);
        assert_eq!(of(&slow, &fast), LatencyVerdict::CanarySlower);
        assert_eq!(of(&fast, &fast), LatencyVerdict::NoSignificantDifference);
        // 49 on one side: no call, but every number is there.
        let t = mann_whitney(&fast[..49], &slow);
        assert_eq!(verdict(&t), LatencyVerdict::NotEnoughData);
        assert_eq!(t.u_canary, Some(0.0));
        assert!(t.p_value.unwrap() < 1e-10);
        assert_eq!(t.rank_biserial, Some(-1.0));
        // The reference case is not significant at 0.05 (p ≈ 0.059).
        let (canary, control) = reference_samples();
        assert_eq!(
            of(&canary, &control),
            LatencyVerdict::NoSignificantDifference
        );
    }

    #[test]
    fn empty_cohorts_give_none_not_nan() {
        for (a, b) in [
            (&[][..], &[1.0][..]),
            (&[1.0][..], &[][..]),
            (&[][..], &[][..]),
        ] {
            let t = mann_whitney(a, b);
            assert_eq!(t.u_canary, None);
            assert_eq!(t.z, None);
            assert_eq!(t.p_value, None);
            assert_eq!(t.rank_biserial, None);
            assert_eq!(t.hodges_lehmann_ms, None);
            assert_eq!(verdict(&t), LatencyVerdict::NotEnoughData);
        }
        // NaN is not a sample.
        assert_eq!(mann_whitney(&[f64::NAN], &[1.0]).n_canary, 0);
    }

    fn brute_force_hl(x: &[f64], y: &[f64]) -> Option<f64> {
        let mut d: Vec<f64> = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| a - b))
            .collect();
        if d.is_empty() {
            return None;
        }
        d.sort_unstable_by(f64::total_cmp);
        let n = d.len();
        Some(
            if n % 2 == 1 {
                d[n / 2]
            } else {
                (d[n / 2 - 1] + d[n / 2]) / 2.0
            } + 0.0,
        )
    }

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        /// Values with many ties (integers) or none (fractions), some negative.
        fn sample(&mut self, n: usize, ties: bool) -> Vec<f64> {
            (0..n)
                .map(|_| {
                    let v = self.next();
                    if ties {
                        (v % 13) as f64 - 3.0
                    } else {
                        (v % 1_000_003) as f64 / 997.0 - 50.0
                    }
                })
                .collect()
        }
    }

    #[test]
    fn hodges_lehmann_small_table() {
        let cases: [(&[f64], &[f64], Option<f64>); 6] = [
            (&[], &[1.0], None),
            (&[5.0], &[2.0], Some(3.0)),
            // Differences 1, 2, 3, 4 (even count): (2 + 3)/2.
            (&[2.0, 3.0], &[1.0, -1.0], Some(2.5)),
            // Differences −1, 0, 1, 8, 9, 10: (1 + 8)/2.
            (&[1.0, 10.0], &[0.0, 1.0, 2.0], Some(4.5)),
            (&[1.0, 1.0, 1.0], &[1.0, 1.0], Some(0.0)),
            (&[-3.0, 4.5], &[0.5], Some(0.25)),
        ];
        for (x, y, want) in cases {
            assert_eq!(hodges_lehmann(x, y), want, "{x:?} vs {y:?}");
            assert_eq!(brute_force_hl(x, y), want, "brute force {x:?} vs {y:?}");
        }
    }

    #[test]
    fn hodges_lehmann_matches_brute_force() {
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        for &(n1, n2) in &[
            (1, 1),
            (1, 7),
            (7, 1),
            (2, 2),
            (3, 8),
            (17, 16),
            (40, 3),
            (64, 65),
            (150, 90),
            (301, 257),
        ] {
            for ties in [true, false] {
                let x = rng.sample(n1, ties);
                let y = rng.sample(n2, ties);
                let want = brute_force_hl(&x, &y);
                assert_eq!(
                    hodges_lehmann(&x, &y).map(f64::to_bits),
                    want.map(f64::to_bits),
                    "n1={n1} n2={n2} ties={ties}"
                );
            }
        }
    }

    #[test]
    fn kth_difference_matches_every_rank() {
        // Every rank, not only the median, on matrices big enough to take the pivot rounds.
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for ties in [true, false] {
            let mut x = rng.sample(60, ties);
            let mut y = rng.sample(45, ties);
            x.sort_unstable_by(f64::total_cmp);
            y.sort_unstable_by(f64::total_cmp);
            let mut all: Vec<f64> = x
                .iter()
                .flat_map(|a| y.iter().map(move |b| a - b))
                .collect();
            all.sort_unstable_by(f64::total_cmp);
            let matrix = DifferenceMatrix::new(&x, &y);
            for (k, want) in all.iter().enumerate() {
                // One drawn pivot (quickselect), a few, and the production sample.
                for sample in [1, 2, 16, PIVOT_SAMPLE] {
                    let got = matrix.kth(k as u64, sample);
                    assert_eq!(got, *want, "k={k} ties={ties} sample={sample}");
                }
                if k > 0 {
                    assert_eq!(
                        matrix.previous(*want, k as u64),
                        all[k - 1],
                        "previous of k={k}"
                    );
                }
            }
        }
    }

    #[test]
    fn hodges_lehmann_is_exact_on_large_cohorts() {
        // 20,000 × 3,000 = 60 million differences: the brute force would sort them all; the
        // selection never forms them. Shifted data: the estimate recovers the shift exactly.
        let mut rng = XorShift(7);
        let control: Vec<f64> = rng.sample(20_000, true);
        let canary: Vec<f64> = control.iter().step_by(7).map(|v| v + 25.0).collect();
        let hl = hodges_lehmann(&canary, &control).unwrap();
        assert_eq!(hl, 25.0);
        // And the brute-force median on a subsample agrees with the fast one on it.
        let (x, y) = (&canary[..400], &control[..500]);
        assert_eq!(hodges_lehmann(x, y), brute_force_hl(x, y));
    }

    fn request(id: i64, ms: Option<f64>, ok: bool, canary: Option<bool>) -> EventRow<'static> {
        EventRow {
            id,
            event_type: EventType::RequestCompleted,
            success: Some(ok),
            cache_hit: None,
            processing_time_ms: ms,
            cache_key: None,
            details: Details {
                canary,
                ..Details::default()
            },
            created_at: id * MICROS_PER_SECOND,
        }
    }

    #[test]
    fn compare_tests_the_same_samples_as_the_unsorted_reference() {
        // Regression: the cohort percentiles were selected in place after sorting, and
        // selection reorders even sorted values, so the U test merged unsorted samples (a wrong
        // U) and the Hodges–Lehmann selection never ended (a demo hour in the CLI hung).
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut canary, mut control) = (Vec::new(), Vec::new());
        let rows: Vec<EventRow<'static>> = (0..1_800i64)
            .map(|i| {
                let r = next();
                // Mostly 20–80 ms, with ties, and a few slow outliers up to 30 s.
                let ms = if r % 50 == 0 {
                    (r % 30_000) as f64
                } else {
                    20.0 + (r % 6_000) as f64 / 100.0
                };
                let is_canary = i % 10 == 0;
                if is_canary {
                    canary.push(ms);
                } else {
                    control.push(ms);
                }
                request(i, Some(ms), true, Some(is_canary))
            })
            .collect();
        let mut store = EventStore::new();
        store.extend(rows);
        let c = compare(&store, Window::new(0, 2_000 * MICROS_PER_SECOND).unwrap());
        assert_eq!(c.latency_test, mann_whitney(&canary, &control));
        assert_eq!(
            c.latency_test.hodges_lehmann_ms,
            brute_force_hl(&canary, &control)
        );
        let mut sorted = canary.clone();
        assert_eq!(
            [c.canary.p50_ms, c.canary.p95_ms, c.canary.p99_ms],
            crate::metrics::p50_95_99(&mut sorted)
        );
    }

    #[test]
    fn compare_splits_the_cohorts_like_metrics() {
        let mut store = EventStore::new();
        let mut rows = Vec::new();
        for i in 0..200i64 {
            let ms = Some(100.0 + (i * 37 % 101) as f64);
            rows.push(request(i, ms, i % 20 != 0, Some(i % 4 == 0)));
        }
        rows.push(request(200, None, false, Some(true)));
        rows.push(request(201, Some(f64::NAN), true, Some(false)));
        rows.push(request(202, Some(5.0), true, None));
        store.extend(rows);
        let window = Window::new(0, 300 * MICROS_PER_SECOND).unwrap();
        let c = compare(&store, window);
        assert_eq!(c.untagged_requests, 1);
        assert_eq!(
            (
                c.canary.requests,
                c.canary.latency_samples,
                c.canary.failures
            ),
            (51, 50, 11)
        );
        assert_eq!(
            (
                c.control.requests,
                c.control.latency_samples,
                c.control.failures
            ),
            (151, 150, 0)
        );
        assert_eq!(c.latency_test.n_canary, 50);
        assert_eq!(c.latency_test.n_control, 150);

        // The canary cohort alone, loaded into its own store, gives metrics.rs's numbers.
        let mut canary_only = EventStore::new();
        canary_only.extend(
            (0..200i64)
                .filter(|i| i % 4 == 0)
                .map(|i| request(i, Some(100.0 + (i * 37 % 101) as f64), i % 20 != 0, None))
                .chain([request(200, None, false, None)]),
        );
        let m = compute(&canary_only, Some(window));
        let expected = CohortMetrics {
            requests: m.latency.requests,
            latency_samples: 50,
            p50_ms: m.latency.p50_ms,
            p95_ms: m.latency.p95_ms,
            p99_ms: m.latency.p99_ms,
            mean_ms: m.latency.mean_ms,
            failures: m.errors.failures,
            error_rate_pct: m.errors.error_rate_pct,
        };
        assert_eq!(c.canary, expected);
    }

    #[test]
    fn compare_with_one_empty_cohort_serialises_nulls() {
        let mut store = EventStore::new();
        store.extend((0..10).map(|i| request(i, Some(10.0), true, Some(false))));
        let window = Window::new(0, 100 * MICROS_PER_SECOND).unwrap();
        let c = compare(&store, window);
        assert_eq!(c.canary.requests, 0);
        assert_eq!(c.canary.p50_ms, None);
        assert_eq!(c.canary.error_rate_pct, None);
        assert_eq!(c.latency_test.p_value, None);
        assert_eq!(c.verdict, LatencyVerdict::NotEnoughData);
        let json = serde_json::to_string(&c).unwrap();
        assert!(!json.contains("NaN"), "{json}");
        assert!(json.contains(r#""p50_ms":null"#), "{json}");
        assert!(json.contains(r#""verdict":"not_enough_data""#), "{json}");
        // An empty window: every count 0.
        let empty = compare(&store, Window::new(-100, -1).unwrap());
        assert_eq!(
            (
                empty.canary.requests,
                empty.control.requests,
                empty.untagged_requests
            ),
            (0, 0, 0)
        );
    }
}
