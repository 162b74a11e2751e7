//! A mergeable, log-bucketed latency histogram with a guaranteed relative error
//! (docs/metrics.md#rollups-and-the-latency-histogram).
//!
//! The buckets are those of a DDSketch / OpenTelemetry exponential histogram with
//! γ = 2^(1/64): every octave `[2^e, 2^(e+1))` is cut into 64 buckets at the `f64` nearest to
//! `2^(e + j/64)`. A value's bucket key comes from its IEEE 754 bits alone (exponent field and a
//! comparison of the mantissa with [`MANTISSA_BOUNDS`]), so PostgreSQL computes the very same key
//! (`canary_private.latency_bucket` in `sql/004_rollups.sql`) without any logarithm that could
//! round differently on the two sides.
//!
//! Keys are ordered like the values: positive values get `KEY_OFFSET + 64·(E − 1023) + j`
//! (E the biased exponent field, j the bucket in the octave), negative values the same key of
//! their magnitude negated, and zero (with the subnormals, below 2.2·10⁻³⁰⁸) the key 0.
//!
//! A bucket `[L, U)` is represented by `2LU / (L + U)`, which is within
//! `(U − L)/(U + L) = (γ − 1)/(γ + 1) ≈ 0.54 %` of every value in it ([`RELATIVE_ERROR`]). A
//! percentile is PostgreSQL's `percentile_cont` interpolation between the representatives of
//! the two order statistics it needs (the exact minimum and maximum for the first and last
//! ranks, and representatives clamped into them), so it is within that relative error of
//! `percentile_cont` over the same values whenever the two order statistics have the same sign.

/// Buckets per octave (γ = 2^(1/64)).
pub const BUCKETS_PER_OCTAVE: i32 = 64;

/// Added to the bucket index of a positive value so that every positive key is positive.
pub const KEY_OFFSET: i32 = 100_000;

/// The largest relative error of a bucket's representative against any value in the bucket:
/// `(γ − 1)/(γ + 1)` for γ = 2^(1/64), computed from the rounded bounds.
pub const RELATIVE_ERROR: f64 = 0.005_415_159_415_902_63;

/// The relative error promised wherever a bounded number is shown (`"relative_error": 0.01`,
/// "≈ 512 ms (±1 %)"): [`RELATIVE_ERROR`] rounded up to a round figure.
pub const RELATIVE_ERROR_BOUND: f64 = 0.01;

/// The lower bounds of the 64 buckets of an octave as the 52 mantissa bits of the `f64` nearest
/// to `2^(j/64)`, j = 0…63 (correctly rounded). A value with mantissa bits `m` is in bucket
/// `j` = the number of bounds `<= m`, minus one. `sql/004_rollups.sql` holds the same list.
pub const MANTISSA_BOUNDS: [u64; 64] = [
    0,
    49040984604769,
    98615990519156,
    148730832853960,
    199391390042383,
    250603604529570,
    302373483469649,
    354707099430368,
    407610591105403,
    461090164034421,
    515152091330986,
    569802714418390,
    625048443773496,
    680895759678685,
    737351212981985,
    794421425865483,
    852113092622101,
    910432980440831,
    969387930200523,
    1028984857272311,
    1089230752330786,
    1150132682173994,
    1211697790552365,
    1273933299006672,
    1336846507715111,
    1400444796349607,
    1464735624941442,
    1529726534756314,
    1595425149178921,
    1661839174607176,
    1728976401356165,
    1796844704571941,
    1865452045155277,
    1934806470695471,
    2004916116414324,
    2075789206120393,
    2147434053173639,
    2219859061460578,
    2293072726380051,
    2367083635839725,
    2441900471263451,
    2517532008609590,
    2593987119400421,
    2671274771762768,
    2749404031479952,
    2828384063055205,
    2908224130786653,
    2988933599854015,
    3070521937417133,
    3152998713726459,
    3236373603245639,
    3320656385786322,
    3405856947655324,
    3491985282814283,
    3579051494051945,
    3667065794169212,
    3756038507177095,
    3845980069507717,
    3936901031238495,
    4028812057329654,
    4121723928875226,
    4215647544367655,
    4310593920976192,
    4406574195839192,
];

const MANTISSA_MASK: u64 = (1 << 52) - 1;
const EXPONENT_BIAS: i32 = 1023;
/// The smallest and largest key of a positive normal value.
const MIN_POSITIVE_KEY: i32 = KEY_OFFSET + BUCKETS_PER_OCTAVE * (1 - EXPONENT_BIAS);
const MAX_POSITIVE_KEY: i32 = KEY_OFFSET + BUCKETS_PER_OCTAVE * (2046 - EXPONENT_BIAS) + 63;

/// The bucket key of `v` (module docs); `None` for NaN and ±infinity, which no metric uses.
pub fn bucket_key(v: f64) -> Option<i32> {
    let bits = v.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    if exponent == 0x7ff {
        return None;
    }
    if exponent == 0 {
        return Some(0);
    }
    let mantissa = bits & MANTISSA_MASK;
    let j = MANTISSA_BOUNDS.partition_point(|&b| b <= mantissa) as i32 - 1;
    let key = KEY_OFFSET + BUCKETS_PER_OCTAVE * (exponent - EXPONENT_BIAS) + j;
    Some(if v < 0.0 { -key } else { key })
}

/// Whether `key` is a key [`bucket_key`] can give.
pub fn is_valid_key(key: i32) -> bool {
    key == 0 || (MIN_POSITIVE_KEY..=MAX_POSITIVE_KEY).contains(&key.checked_abs().unwrap_or(0))
}

/// The magnitude range `[L, U)` of a bucket (`(0, 0)` for the zero bucket). `U` is infinite for
/// the last bucket below `f64::MAX`'s octave end.
fn magnitude_bounds(key: i32) -> (f64, f64) {
    if key == 0 {
        return (0.0, 0.0);
    }
    let index = key.abs() - KEY_OFFSET;
    let exponent = index.div_euclid(BUCKETS_PER_OCTAVE) + EXPONENT_BIAS;
    let j = index.rem_euclid(BUCKETS_PER_OCTAVE) as usize;
    let lower = f64::from_bits(((exponent as u64) << 52) | MANTISSA_BOUNDS[j]);
    let upper = if j + 1 < MANTISSA_BOUNDS.len() {
        f64::from_bits(((exponent as u64) << 52) | MANTISSA_BOUNDS[j + 1])
    } else {
        f64::from_bits(((exponent as u64 + 1) << 52) & !(1 << 63))
    };
    (lower, upper)
}

/// The value that stands for every value of a bucket: `2LU/(L + U)` of its magnitude range,
/// with the bucket's sign.
pub fn representative(key: i32) -> f64 {
    let (lower, upper) = magnitude_bounds(key);
    let r = if key == 0 {
        0.0
    } else if upper.is_infinite() {
        lower
    } else {
        // 2LU/(L+U) as L·(2U/(L+U)): no overflow near f64::MAX.
        lower * (2.0 * (upper / (lower + upper)))
    };
    if key < 0 {
        -r
    } else {
        r
    }
}

/// Why bucket lists from outside (a database answer) cannot form a histogram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistogramError {
    /// The key and count lists differ in length.
    LengthMismatch { keys: usize, counts: usize },
    /// A key no value can have.
    InvalidKey(i32),
}

impl std::error::Error for HistogramError {}

impl std::fmt::Display for HistogramError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HistogramError::LengthMismatch { keys, counts } => write!(
                f,
                "the latency histogram has {keys} bucket keys but {counts} counts"
            ),
            HistogramError::InvalidKey(key) => {
                write!(
                    f,
                    "the latency histogram has a bucket key {key} that no value maps to"
                )
            }
        }
    }
}

/// Counts per bucket key, sorted by key (so by value), without empty buckets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    buckets: Vec<(i32, u64)>,
    total: u64,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram::default()
    }

    /// The histogram of the finite values of `values` (NaN and ±infinity are left out).
    pub fn from_values(values: impl IntoIterator<Item = f64>) -> Histogram {
        let mut keys: Vec<i32> = values.into_iter().filter_map(bucket_key).collect();
        keys.sort_unstable();
        let mut buckets: Vec<(i32, u64)> = Vec::new();
        for key in keys {
            match buckets.last_mut() {
                Some((k, n)) if *k == key => *n += 1,
                _ => buckets.push((key, 1)),
            }
        }
        let total = buckets.iter().map(|b| b.1).sum();
        Histogram { buckets, total }
    }

    /// A histogram from parallel key and count lists in any order (as a database aggregate
    /// gives them); repeated keys add up, zero counts are dropped.
    pub fn from_buckets(keys: &[i32], counts: &[u64]) -> Result<Histogram, HistogramError> {
        if keys.len() != counts.len() {
            return Err(HistogramError::LengthMismatch {
                keys: keys.len(),
                counts: counts.len(),
            });
        }
        let mut pairs: Vec<(i32, u64)> = Vec::with_capacity(keys.len());
        for (&key, &count) in keys.iter().zip(counts) {
            if !is_valid_key(key) {
                return Err(HistogramError::InvalidKey(key));
            }
            if count > 0 {
                pairs.push((key, count));
            }
        }
        pairs.sort_unstable_by_key(|p| p.0);
        let mut buckets: Vec<(i32, u64)> = Vec::with_capacity(pairs.len());
        for (key, count) in pairs {
            match buckets.last_mut() {
                Some((k, n)) if *k == key => *n += count,
                _ => buckets.push((key, count)),
            }
        }
        let total = buckets.iter().map(|b| b.1).sum();
        Ok(Histogram { buckets, total })
    }

    /// Adds one value; `false` (and nothing added) for NaN and ±infinity.
    pub fn add(&mut self, v: f64) -> bool {
        let Some(key) = bucket_key(v) else {
            return false;
        };
        match self.buckets.binary_search_by_key(&key, |b| b.0) {
            Ok(i) => self.buckets[i].1 += 1,
            Err(i) => self.buckets.insert(i, (key, 1)),
        }
        self.total += 1;
        true
    }

    /// Adds every count of `other` (a merge of sorted lists: associative and commutative).
    pub fn merge(&mut self, other: &Histogram) {
        if other.buckets.is_empty() {
            return;
        }
        if self.buckets.is_empty() {
            self.clone_from(other);
            return;
        }
        let mut merged = Vec::with_capacity(self.buckets.len() + other.buckets.len());
        let (mut i, mut j) = (0, 0);
        let (a, b) = (&self.buckets, &other.buckets);
        while i < a.len() || j < b.len() {
            match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) if x.0 == y.0 => {
                    merged.push((x.0, x.1 + y.1));
                    i += 1;
                    j += 1;
                }
                (Some(&x), Some(&y)) if x.0 < y.0 => {
                    merged.push(x);
                    i += 1;
                }
                (Some(_), Some(&y)) => {
                    merged.push(y);
                    j += 1;
                }
                (Some(&x), None) => {
                    merged.push(x);
                    i += 1;
                }
                (None, Some(&y)) => {
                    merged.push(y);
                    j += 1;
                }
                (None, None) => break,
            }
        }
        self.buckets = merged;
        self.total += other.total;
    }

    /// The number of values.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Whether no value was added.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// `(key, count)` pairs in key (value) order.
    pub fn buckets(&self) -> &[(i32, u64)] {
        &self.buckets
    }

    /// The estimate of the `rank`-th smallest value (0-based): the exact `min` and `max` at
    /// the ends, elsewhere the bucket's representative clamped into `[min, max]`.
    fn value_at_rank(&self, rank: u64, min: f64, max: f64) -> f64 {
        if rank == 0 {
            return min;
        }
        if rank + 1 >= self.total {
            return max;
        }
        let mut seen = 0u64;
        for &(key, count) in &self.buckets {
            seen += count;
            if rank < seen {
                return representative(key).clamp(min, max);
            }
        }
        max
    }

    /// PostgreSQL's `percentile_cont(p)` computed on the estimates of the order statistics it
    /// interpolates between, in the same order of `f64` operations; `min` and `max` are the
    /// exact extremes of the values (kept beside the histogram). `None` for no values, for `p`
    /// outside [0, 1] and for extremes that are not finite or not ordered.
    pub fn percentile_cont(&self, p: f64, min: f64, max: f64) -> Option<f64> {
        let extremes_ok = min.is_finite() && max.is_finite() && min <= max;
        if self.total == 0 || !(0.0..=1.0).contains(&p) || !extremes_ok {
            return None;
        }
        let h = p * (self.total - 1) as f64;
        let lo = h.floor();
        let hi = h.ceil();
        let x_lo = self.value_at_rank(lo as u64, min, max);
        if hi == lo {
            return Some(x_lo);
        }
        let x_hi = self.value_at_rank(hi as u64, min, max);
        Some(x_lo + (h - lo) * (x_hi - x_lo))
    }
}

/// The range in which the true value of an estimate `v` lies, given that the estimate is
/// within `relative_error` of it: `|true − v| ≤ e·|true|` gives `|true| ≤ |v|/(1 − e)`.
pub fn error_band(v: f64, relative_error: f64) -> (f64, f64) {
    let half = relative_error * v.abs() / (1.0 - relative_error);
    (v - half, v + half)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_key(v: f64, expected: Option<i32>) {
        assert_eq!(bucket_key(v), expected, "bucket_key({v:e})");
    }

    #[test]
    fn keys_table() {
        check_key(0.0, Some(0));
        check_key(-0.0, Some(0));
        check_key(f64::MIN_POSITIVE / 2.0, Some(0));
        check_key(f64::NAN, None);
        check_key(f64::INFINITY, None);
        check_key(f64::NEG_INFINITY, None);
        check_key(1.0, Some(KEY_OFFSET));
        check_key(-1.0, Some(-KEY_OFFSET));
        check_key(2.0, Some(KEY_OFFSET + 64));
        check_key(0.5, Some(KEY_OFFSET - 64));
        check_key(f64::from_bits(2f64.to_bits() - 1), Some(KEY_OFFSET + 63));
        check_key(f64::MIN_POSITIVE, Some(MIN_POSITIVE_KEY));
        check_key(f64::MAX, Some(MAX_POSITIVE_KEY));
        // Exactly on a bound, and one ulp below it.
        let b1 = f64::from_bits(1f64.to_bits() | MANTISSA_BOUNDS[1]);
        check_key(b1, Some(KEY_OFFSET + 1));
        check_key(f64::from_bits(b1.to_bits() - 1), Some(KEY_OFFSET));
    }

    #[test]
    fn bounds_are_nearest_to_powers_of_two() {
        for (j, &m) in MANTISSA_BOUNDS.iter().enumerate() {
            let bound = f64::from_bits(1f64.to_bits() | m);
            let ideal = 2f64.powf(j as f64 / 64.0);
            assert!((bound - ideal).abs() <= 2.0 * f64::EPSILON, "bound {j}");
        }
        assert!(MANTISSA_BOUNDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn keys_are_monotone_and_representatives_are_within_the_error() {
        let mut v = -1e9f64;
        let mut last = i32::MIN;
        while v < 1e9 {
            let k = bucket_key(v).unwrap();
            assert!(k >= last, "{v}");
            last = k;
            let r = representative(k);
            if v != 0.0 && v.abs() > f64::MIN_POSITIVE {
                assert!(((r - v) / v).abs() <= RELATIVE_ERROR + 1e-15, "{v} {r}");
            }
            v = if v.abs() < 1e-6 {
                1e-6
            } else {
                v + v.abs() * 0.0037
            };
        }
        assert!(representative(MAX_POSITIVE_KEY).is_finite());
    }

    #[test]
    fn from_buckets_table() {
        let h = Histogram::from_buckets(&[KEY_OFFSET, 0, KEY_OFFSET], &[2, 1, 3]).unwrap();
        assert_eq!(h.buckets(), &[(0, 1), (KEY_OFFSET, 5)]);
        assert_eq!(h.count(), 6);
        assert_eq!(
            Histogram::from_buckets(&[1], &[]),
            Err(HistogramError::LengthMismatch { keys: 1, counts: 0 })
        );
        assert_eq!(
            Histogram::from_buckets(&[7], &[1]),
            Err(HistogramError::InvalidKey(7))
        );
        assert_eq!(
            Histogram::from_buckets(&[i32::MIN], &[1]),
            Err(HistogramError::InvalidKey(i32::MIN))
        );
    }

    #[test]
    fn percentile_table() {
        let empty = Histogram::new();
        assert_eq!(empty.percentile_cont(0.5, 0.0, 0.0), None);
        let one = Histogram::from_values([42.0]);
        assert_eq!(one.percentile_cont(0.5, 42.0, 42.0), Some(42.0));
        assert_eq!(one.percentile_cont(1.5, 42.0, 42.0), None);
        assert_eq!(one.percentile_cont(f64::NAN, 42.0, 42.0), None);
        let two = Histogram::from_values([10.0, 20.0]);
        // The ends are exact: percentile_cont(0.5) of {10, 20} is 15.
        assert_eq!(two.percentile_cont(0.5, 10.0, 20.0), Some(15.0));
        let ties = Histogram::from_values([5.0; 7]);
        assert_eq!(ties.percentile_cont(0.95, 5.0, 5.0), Some(5.0));
        let nan_skipped = Histogram::from_values([f64::NAN, 1.0, f64::INFINITY]);
        assert_eq!(nan_skipped.count(), 1);
    }
}
