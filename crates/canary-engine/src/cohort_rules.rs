//! Canary against control as alert rules: the cohort half of the rule table.
//!
//! The guide's absolute rules are computed over all requests, so at 10 % canary traffic a
//! canary-only regression barely moves them. The cohort rules compare the canary cohort
//! (`details.canary = true`) with the control cohort (`false`) over the same minutes, and call a
//! difference only when it is both larger than a margin that matters for a phase change (the
//! guide's Phase 2 criteria: P50 and P95 no more than 10 % slower, error rate no more than 0.5
//! points higher) and statistically significant, so that a huge N does not turn 1 ms into an
//! alert and a tiny N does not decide the verdict. `docs/metrics.md#alerts` describes the rules
//! for users; this module documents how they are computed.
//!
//! # Evaluation
//!
//! - Samples are taken at every whole UTC minute `t` of the window, as for the absolute rules, but
//!   each sample covers the trailing [`CohortRules::window_minutes`] (30 by default): `(t − 30
//!   min, t]`. Five minutes hold a few dozen canary requests at 10 % traffic, too few for a rank
//!   test to tell a 10 % shift from noise; 30 minutes hold ten times as many and still show a
//!   regression within the hour.
//! - A sample is NoData for a rule when either cohort has fewer than
//!   [`CohortRules::min_samples_per_side`] latency samples (latency), requests (error rate) or
//!   writes (mem0) in its span.
//! - Latency: the value is the canary's P50 (P95) over control's in the span; it breaches when
//!   the ratio is above `1 + margin` *and* the one-sided Mann–Whitney test says the canary is
//!   slower at `p < alpha`.
//! - Error rate: the value is canary's rate minus control's, in points; it breaches when above
//!   the margin *and* Fisher's exact test (one-sided, canary higher) gives `p < alpha`. Fisher's
//!   test is exact at every size, which matters for the handful of canary failures of a quiet
//!   half hour where a z-test's normal approximation is poor, and summing the hypergeometric
//!   terms outwards from the mode keeps it cheap for large counts.
//! - mem0 writes that carry `details.canary`: canary write failure rate minus control's, as
//!   for the error rate.
//! - Durations, firing and resolving are those of the absolute rules: a level with a duration of
//!   D minutes fires at the sample that ends D + 1 consecutive breaching samples, and resolves
//!   at the first sample that does not breach (NoData included).
//!
//! # False alarms
//!
//! The design rate is at most 5 % of days with any cohort alert when canary and control are the
//! same. A day holds 48 disjoint 30-minute spans, but a span that slides every minute gets
//! several times more chances than disjoint ones (the scan statistic; at 10 % traffic
//! generated days showed about five times as many significant spans as disjoint spans would
//! give), so each test family has a few hundred chances a day. With two families on requests
//! (latency, error rate) and a third on tagged mem0 writes, `alpha = 1e-5` (one-sided) keeps the
//! expected number of significant spans a day near 3 × 250 × 10⁻⁵ ≈ 0.8 %, before the margins
//! and durations remove more. A 1.8× slowdown or a 3-point error increase at 10 % traffic has
//! p-values many orders of magnitude below that within minutes, so little power is lost. The
//! tests in this module measure the rate on generated days.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alerts::{
    fire_and_resolve, Alert, Evaluation, Level, MetricId, RuleState, RuleStatus, Status,
};
use crate::cohort::{self, CohortComparison};
use crate::event::{from_datetime, to_datetime, EventType, Micros, MICROS_PER_MINUTE};
use crate::metrics::{rate_pct, Groups, Window};
use crate::percentile::{percentile_cont_sorted, percentiles_cont};
use crate::store::EventStore;
use stdx::sort::{sort_by, sort_by_key, sort_f64};

/// What a cohort rule compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortMetric {
    /// Canary P50 over control P50.
    P50Latency,
    /// Canary P95 over control P95.
    P95Latency,
    /// Canary error rate minus control's, in points.
    ErrorRate,
    /// Canary mem0 write failure rate minus control's, in points.
    Mem0WriteSuccess,
}

impl CohortMetric {
    /// The metric's id in outputs (`canary_p50_latency`, ...).
    pub fn id(self) -> MetricId {
        match self {
            CohortMetric::P50Latency => MetricId::CanaryP50Latency,
            CohortMetric::P95Latency => MetricId::CanaryP95Latency,
            CohortMetric::ErrorRate => MetricId::CanaryErrorRate,
            CohortMetric::Mem0WriteSuccess => MetricId::CanaryMem0WriteSuccess,
        }
    }

    fn is_latency(self) -> bool {
        matches!(self, CohortMetric::P50Latency | CohortMetric::P95Latency)
    }
}

/// One level of one cohort rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CohortRule {
    pub metric: CohortMetric,
    pub level: Level,
    /// How much worse the canary may be: for latency a fraction (0.10 = 10 % slower, so the
    /// ratio limit is 1.10), for rates percentage points. Breaching is strict (`>`).
    pub margin: f64,
    /// Minutes the breach must last; `None` fires on the first breaching sample.
    pub duration_minutes: Option<u32>,
}

impl CohortRule {
    /// The limit the sample's value is compared with: `1 + margin` for latency ratios, the
    /// margin for point differences.
    pub fn limit(&self) -> f64 {
        if self.metric.is_latency() {
            1.0 + self.margin
        } else {
            self.margin
        }
    }

    /// `Canary P50 latency vs control > 10 % slower for 5 min`.
    pub fn describe(&self) -> String {
        let condition = match self.metric {
            CohortMetric::P50Latency | CohortMetric::P95Latency => {
                format!("> {} % slower", number(self.margin * 100.0))
            }
            CohortMetric::ErrorRate | CohortMetric::Mem0WriteSuccess => {
                format!("> {} points higher", number(self.margin))
            }
        };
        let duration = self
            .duration_minutes
            .map_or(String::new(), |d| format!(" for {d} min"));
        format!("{} {condition}{duration}", self.metric.id().label())
    }
}

/// A number as people write it: `10`, `0.5`, `12.5` (rounded to 4 decimals: `0.1 × 100` is
/// 10.000000000000002 in f64).
fn number(v: f64) -> String {
    let rounded = (v * 10_000.0).round() / 10_000.0;
    format!("{rounded}")
}

/// The cohort rule table: the rules and how their samples are taken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CohortRules {
    /// The trailing span of every sample, in minutes.
    pub window_minutes: u32,
    /// Fewer latency samples (requests, writes) than this in either cohort is NoData.
    pub min_samples_per_side: u64,
    /// One-sided significance level of each sample's test.
    pub alpha: f64,
    pub rules: Vec<CohortRule>,
}

/// The guide's Phase 2 latency margin: P50 and P95 at most 10 % slower than the reference. The
/// one source of the cohort rules' warning level and of the phase criteria against the previous
/// phase (`canary_core::phases`), so a canary that would fail the phase change warns while it runs.
pub const PHASE_SLOWDOWN_MARGIN: f64 = 0.10;

/// The guide's Phase 2 error-rate margin: at most 0.5 percentage points above the reference.
/// Shared like [`PHASE_SLOWDOWN_MARGIN`].
pub const PHASE_ERROR_RATE_MARGIN_POINTS: f64 = 0.5;

/// The default cohort rules. Warning at the guide's Phase 2 margins ([`PHASE_SLOWDOWN_MARGIN`],
/// [`PHASE_ERROR_RATE_MARGIN_POINTS`]; mem0 write failures at the error rate's);
/// critical and emergency at the margins where the absolute rules escalate by as much (P50
/// warning 400 → critical 500 ms is 25 %, → emergency 1000 ms is 2.5×; error rate 1 → 2 → 5 %).
pub fn default_cohort_rules() -> CohortRules {
    use CohortMetric::*;
    use Level::{Critical, Emergency, Warning};
    let rule = |metric, level, margin, duration_minutes| CohortRule {
        metric,
        level,
        margin,
        duration_minutes,
    };
    CohortRules {
        window_minutes: 30,
        min_samples_per_side: cohort::MIN_SAMPLES_PER_SIDE,
        alpha: 1e-5,
        rules: vec![
            rule(P50Latency, Warning, PHASE_SLOWDOWN_MARGIN, Some(5)),
            rule(P50Latency, Critical, 0.25, Some(10)),
            rule(P50Latency, Emergency, 1.50, Some(5)),
            rule(P95Latency, Warning, PHASE_SLOWDOWN_MARGIN, Some(5)),
            rule(P95Latency, Critical, 0.25, Some(10)),
            rule(ErrorRate, Warning, PHASE_ERROR_RATE_MARGIN_POINTS, Some(5)),
            rule(ErrorRate, Critical, 2.0, Some(5)),
            rule(ErrorRate, Emergency, 5.0, None),
            rule(
                Mem0WriteSuccess,
                Warning,
                PHASE_ERROR_RATE_MARGIN_POINTS,
                Some(10),
            ),
            rule(Mem0WriteSuccess, Critical, 4.0, Some(5)),
            rule(Mem0WriteSuccess, Emergency, 9.0, None),
        ],
    }
}

/// Fisher's exact test of two proportions, one-sided: is the canary's rate higher?
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProportionTest {
    /// Failures and trials of the canary cohort.
    pub canary_failures: u64,
    pub canary_total: u64,
    /// Failures and trials of the control cohort.
    pub control_failures: u64,
    pub control_total: u64,
    /// `failures / total × 100`, `None` without trials.
    pub canary_rate_pct: Option<f64>,
    pub control_rate_pct: Option<f64>,
    /// Canary's rate minus control's, in percentage points.
    pub difference_points: Option<f64>,
    /// `P(X ≥ canary_failures)` for X hypergeometric with the table's margins: SciPy's
    /// `fisher_exact([[cf, cn − cf], [kf, kn − kf]], alternative="greater")`. `None` without
    /// trials on either side.
    pub p_value: Option<f64>,
}

/// [`ProportionTest`] of `canary_failures` of `canary_total` against the control's.
pub fn proportion_test(
    canary_failures: u64,
    canary_total: u64,
    control_failures: u64,
    control_total: u64,
) -> ProportionTest {
    let canary_rate_pct = rate_pct(canary_failures, canary_total);
    let control_rate_pct = rate_pct(control_failures, control_total);
    let both = canary_total > 0 && control_total > 0;
    ProportionTest {
        canary_failures,
        canary_total,
        control_failures,
        control_total,
        canary_rate_pct,
        control_rate_pct,
        difference_points: canary_rate_pct.zip(control_rate_pct).map(|(a, b)| a - b),
        p_value: both.then(|| {
            fisher_greater(
                canary_failures,
                canary_total,
                control_failures,
                control_total,
            )
        }),
    }
}

/// One-sided Fisher exact p-value `P(X ≥ f1)`, X ~ Hypergeometric(population n1 + n2, K = f1 +
/// f2 failures, n1 drawn). The terms are walked outwards from the mode, each relative to it
/// (`P(x + 1) / P(x) = (K − x)(n1 − x) / ((x + 1)(n2 − K + x + 1))`), so no factorial or
/// gamma function is needed and nothing overflows; terms below 10⁻¹⁸ of the running total no
/// longer change the sum and end the walk.
fn fisher_greater(f1: u64, n1: u64, f2: u64, n2: u64) -> f64 {
    let (k, n) = (f1 + f2, n1 + n2);
    let lo = k.saturating_sub(n2);
    let hi = k.min(n1);
    let ratio_up = |x: u64| -> f64 {
        // P(x + 1) / P(x)
        ((k - x) as f64 * (n1 - x) as f64) / ((x + 1) as f64 * (n2 + x + 1 - k) as f64)
    };
    let mode = (((k + 1) as u128 * (n1 + 1) as u128) / (n + 2) as u128) as u64;
    let mode = mode.clamp(lo, hi);
    let mut total = 1.0;
    let mut tail = if f1 <= mode { 1.0 } else { 0.0 };
    let mut term = 1.0;
    let mut x = mode;
    while x < hi {
        term *= ratio_up(x);
        x += 1;
        total += term;
        if x >= f1 {
            tail += term;
        }
        if term < total * 1e-18 {
            break;
        }
    }
    let mut term = 1.0;
    let mut x = mode;
    while x > lo {
        term /= ratio_up(x - 1);
        x -= 1;
        total += term;
        if x >= f1 {
            tail += term;
        }
        if term < total * 1e-18 && x < f1 {
            break;
        }
    }
    (tail / total).min(1.0)
}

/// Canary against control over one span: the numbers and every test a rule reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortTests {
    /// Both cohorts' request metrics, the Mann–Whitney test and the Hodges–Lehmann shift with
    /// its 95 % interval.
    #[serde(flatten)]
    pub comparison: CohortComparison,
    /// Canary P50 / control P50 (`None` without samples or with a control P50 ≤ 0).
    pub p50_ratio: Option<f64>,
    /// Canary P95 / control P95.
    pub p95_ratio: Option<f64>,
    /// One-sided Mann–Whitney p-value for "canary slower".
    pub latency_p_value: Option<f64>,
    /// Request failures, canary against control.
    pub error_test: ProportionTest,
    /// mem0 write failures (writes not `success = true`), canary against control.
    pub mem0_test: ProportionTest,
}

/// The ratio of two latencies, `None` where it has no meaning.
fn ratio(canary: Option<f64>, control: Option<f64>) -> Option<f64> {
    match (canary, control) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

/// Every cohort test over `window`.
pub fn test_cohorts(store: &EventStore, window: Window) -> CohortTests {
    let comparison = cohort::compare(store, window);
    let (mut writes, mut write_failures) = ([0u64; 2], [0u64; 2]);
    for row in store.rows_in(window.from, window.to) {
        if store.kind(row) != EventType::Mem0Write {
            continue;
        }
        if let Some(canary) = store.canary(row) {
            let side = usize::from(!canary);
            writes[side] += 1;
            if store.success(row) != Some(true) {
                write_failures[side] += 1;
            }
        }
    }
    let (c, k) = (&comparison.canary, &comparison.control);
    CohortTests {
        p50_ratio: ratio(c.p50_ms, k.p50_ms),
        p95_ratio: ratio(c.p95_ms, k.p95_ms),
        latency_p_value: cohort::p_canary_slower(&comparison.latency_test),
        error_test: proportion_test(c.failures, c.requests, k.failures, k.requests),
        mem0_test: proportion_test(write_failures[0], writes[0], write_failures[1], writes[1]),
        comparison,
    }
}

/// Per-minute counts of one cohort; bucket `j` holds `(j − 1) min < created_at ≤ j min` of the
/// window, as the absolute rules' buckets.
#[derive(Default)]
struct CohortBuckets {
    requests: Vec<u64>,
    failures: Vec<u64>,
    writes: Vec<u64>,
    write_failures: Vec<u64>,
    /// End offset of each bucket's latencies in `latencies`.
    latency_end: Vec<usize>,
    latencies: Vec<f64>,
}

impl CohortBuckets {
    fn new(n: usize) -> Self {
        CohortBuckets {
            requests: vec![0; n],
            failures: vec![0; n],
            writes: vec![0; n],
            write_failures: vec![0; n],
            latency_end: vec![0; n],
            latencies: Vec::new(),
        }
    }

    fn latency_slice(&self, r: std::ops::Range<usize>) -> &[f64] {
        if r.is_empty() {
            return &[];
        }
        let start = if r.start == 0 {
            0
        } else {
            self.latency_end[r.start - 1]
        };
        &self.latencies[start..self.latency_end[r.end - 1]]
    }
}

fn minute_ceil(t: Micros) -> i64 {
    t.div_euclid(MICROS_PER_MINUTE) + i64::from(t.rem_euclid(MICROS_PER_MINUTE) != 0)
}

/// One sample of the cohort rules at minute `at`: each metric's value (`None`: NoData) and
/// whether its test is significant. The tests run only where a value exceeds the smallest
/// limit of its rules (nothing can breach otherwise), which keeps a quiet day cheap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CohortSample {
    pub at: Micros,
    pub p50_ratio: Option<f64>,
    pub p95_ratio: Option<f64>,
    pub latency_significant: bool,
    pub error_points: Option<f64>,
    pub error_significant: bool,
    pub mem0_points: Option<f64>,
    pub mem0_significant: bool,
}

impl CohortSample {
    /// The value of `metric` and whether its test is significant.
    fn of(&self, metric: CohortMetric) -> (Option<f64>, bool) {
        match metric {
            CohortMetric::P50Latency => (self.p50_ratio, self.latency_significant),
            CohortMetric::P95Latency => (self.p95_ratio, self.latency_significant),
            CohortMetric::ErrorRate => (self.error_points, self.error_significant),
            CohortMetric::Mem0WriteSuccess => (self.mem0_points, self.mem0_significant),
        }
    }
}

/// Whether `canary_failures / canary_total − control_failures / control_total`, in points, is
/// strictly above `margin`, decided on integers so a difference exactly on the margin is not
/// above it: `100 (f₁n₂ − f₂n₁) > margin · n₁n₂`.
fn points_above(f1: u64, n1: u64, f2: u64, n2: u64, margin: f64) -> bool {
    let lhs = 100 * (f1 as i128 * n2 as i128 - f2 as i128 * n1 as i128);
    lhs as f64 > margin * (n1 as u128 * n2 as u128) as f64
}

/// Samples at every whole UTC minute of the window, each over the trailing `window_minutes`.
pub fn sample_cohorts(
    store: &EventStore,
    window: Window,
    rules: &CohortRules,
) -> Vec<CohortSample> {
    let first = minute_ceil(window.from);
    let last = minute_ceil(window.to - 1);
    let n = (last - first + 1).max(0) as usize;
    let mut sides = [CohortBuckets::new(n), CohortBuckets::new(n)];
    let mut filled = 0usize;
    for row in store.rows_in(window.from, window.to) {
        let kind = store.kind(row);
        if !matches!(kind, EventType::RequestCompleted | EventType::Mem0Write) {
            continue;
        }
        let Some(canary) = store.canary(row) else {
            continue;
        };
        let j = (minute_ceil(store.created_at[row]) - first) as usize;
        while filled < j {
            for s in &mut sides {
                s.latency_end[filled] = s.latencies.len();
            }
            filled += 1;
        }
        let side = &mut sides[usize::from(!canary)];
        if kind == EventType::RequestCompleted {
            side.requests[j] += 1;
            if store.success(row) == Some(false) {
                side.failures[j] += 1;
            }
            let t = store.processing_time_ms[row];
            if !t.is_nan() {
                side.latencies.push(t);
            }
        } else {
            side.writes[j] += 1;
            if store.success(row) != Some(true) {
                side.write_failures[j] += 1;
            }
        }
    }
    while filled < n {
        for s in &mut sides {
            s.latency_end[filled] = s.latencies.len();
        }
        filled += 1;
    }

    let min_limit = |f: fn(CohortMetric) -> bool| {
        rules
            .rules
            .iter()
            .filter(|r| f(r.metric))
            .map(|r| r.margin)
            .fold(f64::INFINITY, f64::min)
    };
    let latency_margin = min_limit(CohortMetric::is_latency);
    let error_margin = min_limit(|m| m == CohortMetric::ErrorRate);
    let mem0_margin = min_limit(|m| m == CohortMetric::Mem0WriteSuccess);
    let span = i64::from(rules.window_minutes.max(1));
    let enough = |n: u64| n >= rules.min_samples_per_side.max(1);
    let sum = |v: &[u64], r: std::ops::Range<usize>| -> u64 { v[r].iter().sum() };

    let first_k = minute_ceil(window.from);
    let last_k = minute_ceil(window.to) - 1;
    let mut out = Vec::with_capacity((last_k - first_k + 1).max(0) as usize);
    let (mut canary_times, mut control_times) = (Vec::new(), Vec::new());
    for k in first_k..=last_k {
        let hi = (k - first + 1).clamp(0, n as i64) as usize;
        let lo = (k - first - span + 1).clamp(0, n as i64) as usize;
        let r = lo..hi;
        let [c, ctl] = &sides;
        let mut s = CohortSample {
            at: k * MICROS_PER_MINUTE,
            p50_ratio: None,
            p95_ratio: None,
            latency_significant: false,
            error_points: None,
            error_significant: false,
            mem0_points: None,
            mem0_significant: false,
        };

        canary_times.clear();
        canary_times.extend_from_slice(c.latency_slice(r.clone()));
        control_times.clear();
        control_times.extend_from_slice(ctl.latency_slice(r.clone()));
        if enough(canary_times.len() as u64) && enough(control_times.len() as u64) {
            let pc = percentiles_cont(&mut canary_times, &[0.5, 0.95]);
            let pk = percentiles_cont(&mut control_times, &[0.5, 0.95]);
            s.p50_ratio = ratio(pc[0], pk[0]);
            s.p95_ratio = ratio(pc[1], pk[1]);
            let limit = 1.0 + latency_margin;
            if s.p50_ratio.is_some_and(|v| v > limit) || s.p95_ratio.is_some_and(|v| v > limit) {
                sort_f64(&mut canary_times);
                sort_f64(&mut control_times);
                let test = cohort::rank_test_sorted(&canary_times, &control_times);
                s.latency_significant =
                    cohort::p_canary_slower(&test).is_some_and(|p| p < rules.alpha);
            }
        }

        let (cn, cf) = (sum(&c.requests, r.clone()), sum(&c.failures, r.clone()));
        let (kn, kf) = (sum(&ctl.requests, r.clone()), sum(&ctl.failures, r.clone()));
        if enough(cn) && enough(kn) {
            s.error_points = rate_pct(cf, cn).zip(rate_pct(kf, kn)).map(|(a, b)| a - b);
            if points_above(cf, cn, kf, kn, error_margin) {
                s.error_significant = fisher_greater(cf, cn, kf, kn) < rules.alpha;
            }
        }
        let (cn, cf) = (sum(&c.writes, r.clone()), sum(&c.write_failures, r.clone()));
        let (kn, kf) = (sum(&ctl.writes, r.clone()), sum(&ctl.write_failures, r));
        if enough(cn) && enough(kn) {
            s.mem0_points = rate_pct(cf, cn).zip(rate_pct(kf, kn)).map(|(a, b)| a - b);
            if points_above(cf, cn, kf, kn, mem0_margin) {
                s.mem0_significant = fisher_greater(cf, cn, kf, kn) < rules.alpha;
            }
        }
        out.push(s);
    }
    out
}

/// Whether a sample breaches a rule: above the limit and significant. The point differences
/// are compared with the margin as the sample computed them; [`points_above`] decided the
/// significance test's gate on integers, so a value exactly on the margin never breaches.
fn breaches(rule: &CohortRule, value: f64, significant: bool) -> bool {
    significant && value > rule.limit()
}

/// Runs one cohort rule over its samples: the alerts it fired and its state at the last one.
pub fn evaluate_cohort_rule(
    rule: &CohortRule,
    samples: &[CohortSample],
) -> (Vec<Alert>, RuleState) {
    let (periods, state) = fire_and_resolve(
        samples.iter().map(|s| {
            let (value, significant) = s.of(rule.metric);
            (
                s.at,
                value.filter(|&v| breaches(rule, v, significant)),
                value.is_some(),
            )
        }),
        rule.duration_minutes,
        f64::max,
    );
    let alerts = periods
        .into_iter()
        .map(|p| Alert {
            metric: rule.metric.id(),
            level: rule.level,
            threshold: Some(rule.limit()),
            since: to_datetime(p.since),
            until: p.until.map(to_datetime),
            worst_value: p.worst,
        })
        .collect();
    (alerts, state)
}

/// The call of the cohort rules at the end of the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortCall {
    /// No request in the window carries a boolean `details.canary`: the absolute rules decide
    /// alone.
    NoCohortTags,
    /// Tagged, but too few samples in a cohort for any rule.
    NotEnoughData,
    /// No cohort rule firing.
    NotWorse,
    /// At least one cohort rule firing.
    CanaryWorse,
}

impl CohortCall {
    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            CohortCall::NoCohortTags => "No cohort tags: the absolute rules decide alone",
            CohortCall::NotEnoughData => "Not enough canary or control data to compare",
            CohortCall::NotWorse => "Canary not worse than control",
            CohortCall::CanaryWorse => "Canary worse than control",
        }
    }
}

/// A cohort alert with the rule that fired it and the evidence behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortAlert {
    #[serde(flatten)]
    pub alert: Alert,
    /// The rule in words, e.g. `Canary P50 latency vs control > 10 % slower for 5 min`.
    pub rule: String,
    /// Which endpoints and error types carry the difference over the alert's span.
    pub evidence: Evidence,
}

/// Everything the cohort rules say about one window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortEvaluation {
    pub call: CohortCall,
    /// Whether any request or mem0 write of the window carries a boolean `details.canary`.
    pub tagged: bool,
    pub window_minutes: u32,
    pub min_samples_per_side: u64,
    pub alpha: f64,
    /// Both cohorts and every test over the trailing span that ends the window (what the rules
    /// see now); `None` for an empty window.
    pub now: Option<CohortTests>,
    /// Every cohort rule and its state at the end of the window.
    pub rules: Vec<RuleStatus>,
    /// Alerts that fired in the window, oldest first, each with its evidence.
    pub alerts: Vec<CohortAlert>,
    /// The highest level firing at the end of the window.
    pub status_now: Status,
    /// The worst level that fired at any time in the window.
    pub status_in_window: Status,
}

impl CohortEvaluation {
    /// The rule that fired the worst alert still firing (the one the call rests on).
    pub fn deciding_alert(&self) -> Option<&CohortAlert> {
        self.alerts
            .iter()
            .filter(|a| a.alert.until.is_none())
            .max_by_key(|a| a.alert.level)
    }

    /// Adds the cohort alerts and rule states to the absolute rules' evaluation, so its
    /// statuses (the banner, `check`, the email) are the worst of both.
    pub fn add_to(&self, evaluation: &mut Evaluation) {
        evaluation.add_alerts(self.alerts.iter().map(|a| a.alert.clone()));
        evaluation.rules.extend(self.rules.iter().cloned());
    }
}

/// The statuses of cohort `alerts` now and anywhere in the window, and the call they and the
/// rules' `states` make: canary worse while an alert fires, not enough data when no rule had
/// any, else not worse.
pub fn call_of(alerts: &[CohortAlert], states: &[RuleStatus]) -> (Status, Status, CohortCall) {
    let status_now = Status::of_levels(
        alerts
            .iter()
            .filter(|a| a.alert.until.is_none())
            .map(|a| a.alert.level),
    );
    let status_in_window = Status::of_levels(alerts.iter().map(|a| a.alert.level));
    let call = if status_now != Status::OnTrack {
        CohortCall::CanaryWorse
    } else if states.iter().all(|s| s.state == RuleState::NoData) {
        CohortCall::NotEnoughData
    } else {
        CohortCall::NotWorse
    };
    (status_now, status_in_window, call)
}

/// Whether any request or mem0 write in the window carries a boolean `details.canary`.
fn any_tagged(store: &EventStore, window: Window) -> bool {
    store.rows_in(window.from, window.to).any(|row| {
        matches!(
            store.kind(row),
            EventType::RequestCompleted | EventType::Mem0Write
        ) && store.canary(row).is_some()
    })
}

impl CohortEvaluation {
    /// The evaluation of data without cohort tags (or without data): every rule without data,
    /// nothing firing, the absolute rules deciding alone.
    pub fn without_tags(rules: &CohortRules) -> CohortEvaluation {
        CohortEvaluation {
            call: CohortCall::NoCohortTags,
            tagged: false,
            window_minutes: rules.window_minutes,
            min_samples_per_side: rules.min_samples_per_side,
            alpha: rules.alpha,
            now: None,
            rules: rules
                .rules
                .iter()
                .map(|r| RuleStatus {
                    metric: r.metric.id(),
                    level: r.level,
                    rule: r.describe(),
                    state: RuleState::NoData,
                    value_now: None,
                })
                .collect(),
            alerts: Vec::new(),
            status_now: Status::OnTrack,
            status_in_window: Status::OnTrack,
        }
    }
}

/// Evaluates the cohort rules over `window` (`None`: no data, nothing fires).
pub fn evaluate_cohorts(
    store: &EventStore,
    window: Option<Window>,
    rules: &CohortRules,
) -> CohortEvaluation {
    let Some(window) = window else {
        return CohortEvaluation::without_tags(rules);
    };
    if !any_tagged(store, window) {
        return CohortEvaluation::without_tags(rules);
    }
    let samples = sample_cohorts(store, window, rules);
    let mut alerts = Vec::new();
    let mut states = Vec::with_capacity(rules.rules.len());
    for rule in &rules.rules {
        let (fired, state) = evaluate_cohort_rule(rule, &samples);
        for alert in fired {
            let evidence = explain(store, alert_span(&alert, window, rules), rule.metric);
            alerts.push(CohortAlert {
                alert,
                rule: rule.describe(),
                evidence,
            });
        }
        states.push(RuleStatus {
            metric: rule.metric.id(),
            level: rule.level,
            rule: rule.describe(),
            state,
            value_now: samples.last().and_then(|s| s.of(rule.metric).0),
        });
    }
    sort_by_key(&mut alerts, |a| {
        (a.alert.since, a.alert.metric, a.alert.level)
    });
    let (status_now, status_in_window, call) = call_of(&alerts, &states);
    // What the rules see at the window's end: its last sample's trailing span.
    let last_minute = (minute_ceil(window.to) - 1) * MICROS_PER_MINUTE;
    let span_from =
        (last_minute - i64::from(rules.window_minutes) * MICROS_PER_MINUTE + 1).max(window.from);
    let now = Window::new(span_from, window.to).map(|w| test_cohorts(store, w));
    CohortEvaluation {
        call,
        tagged: true,
        window_minutes: rules.window_minutes,
        min_samples_per_side: rules.min_samples_per_side,
        alpha: rules.alpha,
        now,
        rules: states,
        alerts,
        status_now,
        status_in_window,
    }
}

/// The span whose requests an alert's samples saw: from one trailing span before it fired to
/// when it resolved (or the window's end), inside the window.
fn alert_span(alert: &Alert, window: Window, rules: &CohortRules) -> Window {
    let since = from_datetime(alert.since);
    let from = (since - i64::from(rules.window_minutes) * MICROS_PER_MINUTE).max(window.from);
    let to = alert
        .until
        .map_or(window.to, |u| (from_datetime(u) + 1).min(window.to));
    Window::new(from, to).unwrap_or(window)
}

/// How many endpoints and error types the evidence lists.
pub const EVIDENCE_ROWS: usize = 5;

/// One endpoint's requests in one cohort.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EndpointCohort {
    pub requests: u64,
    pub failures: u64,
    pub error_rate_pct: Option<f64>,
    pub p50_ms: Option<f64>,
}

/// One endpoint, canary against control, and how much of the difference it carries.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndpointEvidence {
    /// `details.endpoint` (`None`: SQL null).
    pub endpoint: Option<String>,
    pub canary: EndpointCohort,
    pub control: EndpointCohort,
    /// For error rules: canary failures beyond what control's rate on this endpoint predicts.
    /// For latency rules: canary requests × (canary P50 − control P50), in ms.
    pub excess: f64,
}

/// One error type, canary against control.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorTypeEvidence {
    /// `details.error_type` (`None`: SQL null).
    pub error_type: Option<String>,
    pub canary_failures: u64,
    pub control_failures: u64,
    /// Failures of this type per 100 requests (writes) of the cohort.
    pub canary_rate_pct: Option<f64>,
    pub control_rate_pct: Option<f64>,
    /// Canary failures of this type beyond what control's rate predicts.
    pub excess_failures: f64,
}

/// What carries a difference over a span: the canary's worst endpoints against control's, and
/// the error types the canary has more of.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// At most [`EVIDENCE_ROWS`] endpoints with a positive excess, largest first (empty for
    /// mem0 writes, which have no endpoint).
    pub endpoints: Vec<EndpointEvidence>,
    /// At most [`EVIDENCE_ROWS`] error types with a positive excess, largest first.
    pub error_types: Vec<ErrorTypeEvidence>,
}

#[derive(Default)]
struct EndpointAcc {
    requests: [u64; 2],
    failures: [u64; 2],
    times: [Vec<f64>; 2],
}

/// The evidence behind a cohort rule's call over `span`.
pub fn explain(store: &EventStore, span: Window, metric: CohortMetric) -> Evidence {
    let kind = if metric == CohortMetric::Mem0WriteSuccess {
        EventType::Mem0Write
    } else {
        EventType::RequestCompleted
    };
    let mut endpoints: Groups<EndpointAcc> = Groups::new(store);
    let mut error_types: Groups<[u64; 2]> = Groups::new(store);
    let mut totals = [0u64; 2];
    for row in store.rows_in(span.from, span.to) {
        if store.kind(row) != kind {
            continue;
        }
        let Some(canary) = store.canary(row) else {
            continue;
        };
        let side = usize::from(!canary);
        totals[side] += 1;
        let failed = if kind == EventType::Mem0Write {
            store.success(row) != Some(true)
        } else {
            store.success(row) == Some(false)
        };
        if failed {
            let sym = store
                .error_of(row)
                .map_or(crate::store::NULL_SYM, |e| e.error_type);
            error_types.get(sym)[side] += 1;
        }
        if kind == EventType::RequestCompleted {
            let acc = endpoints.get(store.label[row]);
            acc.requests[side] += 1;
            acc.failures[side] += u64::from(failed);
            let t = store.processing_time_ms[row];
            if !t.is_nan() {
                acc.times[side].push(t);
            }
        }
    }
    let control_rate = |failures: u64, total: u64| -> f64 {
        if total == 0 {
            0.0
        } else {
            failures as f64 / total as f64
        }
    };
    let mut endpoint_rows: Vec<EndpointEvidence> = endpoints
        .items
        .into_iter()
        .map(|(sym, mut acc)| {
            let side = |i: usize, acc: &mut EndpointAcc| {
                sort_f64(&mut acc.times[i]);
                EndpointCohort {
                    requests: acc.requests[i],
                    failures: acc.failures[i],
                    error_rate_pct: rate_pct(acc.failures[i], acc.requests[i]),
                    p50_ms: percentile_cont_sorted(&acc.times[i], 0.5),
                }
            };
            let canary = side(0, &mut acc);
            let control = side(1, &mut acc);
            let excess = if metric.is_latency() {
                match (canary.p50_ms, control.p50_ms) {
                    (Some(a), Some(b)) => canary.requests as f64 * (a - b),
                    _ => 0.0,
                }
            } else {
                canary.failures as f64
                    - canary.requests as f64 * control_rate(control.failures, control.requests)
            };
            EndpointEvidence {
                endpoint: store.text(sym).map(str::to_owned),
                canary,
                control,
                excess,
            }
        })
        .filter(|e| e.excess > 0.0)
        .collect();
    sort_by(&mut endpoint_rows, |a, b| b.excess.total_cmp(&a.excess));
    endpoint_rows.truncate(EVIDENCE_ROWS);

    let mut type_rows: Vec<ErrorTypeEvidence> = error_types
        .items
        .into_iter()
        .map(|(sym, [c, k])| ErrorTypeEvidence {
            error_type: store.text(sym).map(str::to_owned),
            canary_failures: c,
            control_failures: k,
            canary_rate_pct: rate_pct(c, totals[0]),
            control_rate_pct: rate_pct(k, totals[1]),
            excess_failures: c as f64 - totals[0] as f64 * control_rate(k, totals[1]),
        })
        .filter(|e| e.excess_failures > 0.0)
        .collect();
    sort_by(&mut type_rows, |a, b| {
        b.excess_failures.total_cmp(&a.excess_failures)
    });
    type_rows.truncate(EVIDENCE_ROWS);
    Evidence {
        from: to_datetime(span.from),
        to: to_datetime(span.to),
        endpoints: endpoint_rows,
        error_types: type_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Details, EventRow, MICROS_PER_SECOND};
    use std::borrow::Cow;
    use stdx::rand::SplitMix64;

    const MIN: Micros = MICROS_PER_MINUTE;

    #[test]
    fn fisher_matches_scipy() {
        // SciPy 1.14.1: fisher_exact([[f1, n1 - f1], [f2, n2 - f2]], alternative="greater").
        let cases: [(u64, u64, u64, u64, f64); 9] = [
            (3, 60, 5, 540, 0.03701005916967671),
            (0, 50, 0, 50, 1.0),
            (10, 100, 2, 900, 3.6499413575856494e-09),
            (500, 20000, 4000, 200000, 2.08487243340856e-06),
            (1, 1, 0, 1, 0.5),
            (15, 1000, 10, 9000, 1.127991787073137e-09),
            (7, 50, 1, 450, 4.966727668628438e-07),
            (0, 100, 5, 100, 1.0),
            (60, 3000, 300, 27000, 5.653806186294047e-05),
        ];
        for (f1, n1, f2, n2, want) in cases {
            let got = proportion_test(f1, n1, f2, n2).p_value.unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want,
                "({f1}/{n1} vs {f2}/{n2}): {got} vs {want}"
            );
        }
        // No trials on a side: no test, no NaN.
        let t = proportion_test(0, 0, 3, 100);
        assert_eq!(
            (t.p_value, t.canary_rate_pct, t.difference_points),
            (None, None, None)
        );
        assert_eq!(t.control_rate_pct, Some(3.0));
    }

    #[test]
    fn points_are_compared_exactly_on_the_margin() {
        // 2.5 % − 2.0 % is exactly 0.5 points: not above a 0.5 margin; one more failure is.
        assert!(!points_above(500, 20_000, 4_000, 200_000, 0.5));
        assert!(points_above(501, 20_000, 4_000, 200_000, 0.5));
        assert!(!points_above(0, 100, 0, 100, 0.0));
        assert!(!points_above(0, 100, 5, 100, 0.5));
    }

    #[test]
    fn rules_read_as_written() {
        let r = default_cohort_rules();
        let words: Vec<String> = r.rules.iter().map(CohortRule::describe).collect();
        assert_eq!(
            words[0],
            "Canary P50 latency vs control > 10 % slower for 5 min"
        );
        assert_eq!(
            words[5],
            "Canary error rate vs control > 0.5 points higher for 5 min"
        );
        assert_eq!(words[7], "Canary error rate vs control > 5 points higher");
        assert_eq!(r.rules[0].limit(), 1.1);
        assert_eq!(r.rules[5].limit(), 0.5);
    }

    /// The generated days' random numbers: stdx's generator with the draws the days need.
    struct Rng(SplitMix64);

    impl Rng {
        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            self.0.next_f64()
        }
        /// A right-skewed latency around `median` ms (a product of uniforms, so a long tail).
        fn latency(&mut self, median: f64) -> f64 {
            let a = 0.5 + self.unit();
            let b = 0.5 + self.unit();
            let c = 0.6 + 0.8 * self.unit();
            (median * a * b * c * 100.0).round() / 100.0
        }
    }

    fn request(id: i64, at: Micros, ms: f64, ok: bool, canary: Option<bool>) -> EventRow<'static> {
        EventRow {
            id,
            event_type: EventType::RequestCompleted,
            success: Some(ok),
            cache_hit: None,
            processing_time_ms: Some(ms),
            cache_key: None,
            details: Details {
                canary,
                endpoint: Some(Cow::Borrowed(if id % 3 == 0 {
                    "/api/chat"
                } else {
                    "/api/search"
                })),
                error_type: (!ok).then_some(Cow::Borrowed("TimeoutError")),
                ..Details::default()
            },
            created_at: at,
        }
    }

    fn write(id: i64, at: Micros, ok: bool, canary: bool) -> EventRow<'static> {
        EventRow {
            event_type: EventType::Mem0Write,
            processing_time_ms: None,
            details: Details {
                canary: Some(canary),
                error_type: (!ok).then_some(Cow::Borrowed("Mem0Unavailable")),
                ..Details::default()
            },
            ..request(id, at, 0.0, ok, Some(canary))
        }
    }

    /// One cohort's traffic per minute: requests, latencies cycling through `times`, and every
    /// `fail_every`-th request failing (`fail_of` failures per `fail_every` requests).
    #[derive(Clone, Copy)]
    struct Traffic {
        per_minute: u64,
        times: &'static [f64],
        /// Failures per minute.
        failures: u64,
    }

    /// `minutes` of traffic of both cohorts (and `untagged` untagged requests a minute).
    fn store_of(minutes: i64, canary: Traffic, control: Traffic, untagged: u64) -> EventStore {
        let mut rows = Vec::new();
        let mut id = 0i64;
        for m in 0..minutes {
            let mut push = |t: Traffic, tag: Option<bool>| {
                for i in 0..t.per_minute {
                    id += 1;
                    let at =
                        m * MIN + (i as i64 * 59 * MICROS_PER_SECOND) / t.per_minute as i64 + 1;
                    let ms = t.times[(i as usize) % t.times.len()];
                    rows.push(request(id, at, ms, i >= t.failures, tag));
                }
            };
            push(canary, Some(true));
            push(control, Some(false));
            push(
                Traffic {
                    per_minute: untagged,
                    times: &[100.0],
                    failures: 0,
                },
                None,
            );
        }
        let mut store = EventStore::new();
        store.extend(rows);
        store
    }

    /// The alerts (metric, level) firing at the end and the call.
    fn check(store: &EventStore, minutes: i64, expected: (&[(MetricId, Level)], CohortCall)) {
        let window = Window::new(0, minutes * MIN);
        let e = evaluate_cohorts(store, window, &default_cohort_rules());
        let mut firing: Vec<(MetricId, Level)> = e
            .alerts
            .iter()
            .filter(|a| a.alert.until.is_none())
            .map(|a| (a.alert.metric, a.alert.level))
            .collect();
        firing.sort();
        assert_eq!((firing.as_slice(), e.call), expected);
        let json = serde_json::to_string(&e).unwrap();
        assert!(!json.contains("NaN"), "{json}");
    }

    const CONTROL_TIMES: &[f64] = &[
        50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 110.0, 120.0, 130.0, 140.0, 150.0,
    ];
    /// Every control time × 1.1: P50 110 against 100, P95 165 against 150, exactly 1.1.
    const TIMES_X1_1: &[f64] = &[
        55.0, 66.0, 77.0, 88.0, 99.0, 110.0, 121.0, 132.0, 143.0, 154.0, 165.0,
    ];
    /// Every control time × 1.2.
    const TIMES_X1_2: &[f64] = &[
        60.0, 72.0, 84.0, 96.0, 108.0, 120.0, 132.0, 144.0, 156.0, 168.0, 180.0,
    ];
    /// Every control time × 2.
    const TIMES_X2: &[f64] = &[
        100.0, 120.0, 140.0, 160.0, 180.0, 200.0, 220.0, 240.0, 260.0, 280.0, 300.0,
    ];

    fn traffic(per_minute: u64, times: &'static [f64], failures: u64) -> Traffic {
        Traffic {
            per_minute,
            times,
            failures,
        }
    }

    #[test]
    fn latency_rules_on_constructed_cohorts() {
        use CohortCall::*;
        use Level::*;
        use MetricId::*;
        let control = traffic(99, CONTROL_TIMES, 0);
        // Exactly on the 10 % margin (P50 and P95 ratios exactly 1.1), with a significant
        // rank test: no call.
        let on_margin = store_of(60, traffic(99, TIMES_X1_1, 0), control, 0);
        check(&on_margin, 60, (&[], NotWorse));
        // 20 % slower: both latency warnings, not critical (25 %).
        let slower = store_of(60, traffic(99, TIMES_X1_2, 0), control, 0);
        check(
            &slower,
            60,
            (
                &[(CanaryP50Latency, Warning), (CanaryP95Latency, Warning)],
                CanaryWorse,
            ),
        );
        // Twice as slow: critical (25 %), not emergency (150 %).
        let twice = store_of(60, traffic(99, TIMES_X2, 0), control, 0);
        check(
            &twice,
            60,
            (
                &[
                    (CanaryP50Latency, Warning),
                    (CanaryP50Latency, Critical),
                    (CanaryP95Latency, Warning),
                    (CanaryP95Latency, Critical),
                ],
                CanaryWorse,
            ),
        );
        // Ties: every request of both cohorts takes 100 ms; then canary all 200 against all 100.
        let tied = store_of(60, traffic(60, &[100.0], 0), traffic(60, &[100.0], 0), 0);
        check(&tied, 60, (&[], NotWorse));
        let tied_slow = store_of(60, traffic(60, &[200.0], 0), traffic(60, &[100.0], 0), 0);
        check(
            &tied_slow,
            60,
            (
                &[
                    (CanaryP50Latency, Warning),
                    (CanaryP50Latency, Critical),
                    (CanaryP95Latency, Warning),
                    (CanaryP95Latency, Critical),
                ],
                CanaryWorse,
            ),
        );
        // Tiny N: one canary request a minute (30 per span, under 50 per side), three times as
        // slow and all failing: no call.
        let tiny = store_of(60, traffic(1, &[900.0], 1), control, 0);
        check(&tiny, 60, (&[], NotEnoughData));
        // Huge N, negligible difference: 1 ms slower on ~100 ms with 2,000 canary requests a
        // minute is highly significant but 1 %: no call.
        let plus_one: &'static [f64] = &[
            51.0, 61.0, 71.0, 81.0, 91.0, 101.0, 111.0, 121.0, 131.0, 141.0, 151.0,
        ];
        let huge = store_of(
            40,
            traffic(2_000, plus_one, 0),
            traffic(2_000, CONTROL_TIMES, 0),
            0,
        );
        check(&huge, 40, (&[], NotWorse));
        let e = evaluate_cohorts(&huge, Window::new(0, 40 * MIN), &default_cohort_rules());
        let now = e.now.unwrap();
        assert!(
            now.latency_p_value.unwrap() < 1e-6,
            "{:?}",
            now.latency_p_value
        );
        assert_eq!(now.p50_ratio, Some(101.0 / 100.0));
    }

    #[test]
    fn error_rules_on_constructed_cohorts() {
        use CohortCall::*;
        use Level::*;
        use MetricId::*;
        // Exactly 0.5 points higher (2.5 % of 1,000 a minute against 2.0 % of 10,000) at a size
        // where the test is significant: no call; 2.6 % against 2.0 %: a warning.
        let on_margin = store_of(
            35,
            traffic(1_000, &[100.0], 25),
            traffic(10_000, &[100.0], 200),
            0,
        );
        check(&on_margin, 35, (&[], NotWorse));
        let e = evaluate_cohorts(
            &on_margin,
            Window::new(0, 35 * MIN),
            &default_cohort_rules(),
        );
        let test = e.now.unwrap().error_test;
        assert!(test.p_value.unwrap() < 1e-6, "{test:?}");
        let above = store_of(
            35,
            traffic(1_000, &[100.0], 26),
            traffic(10_000, &[100.0], 200),
            0,
        );
        check(&above, 35, (&[(CanaryErrorRate, Warning)], CanaryWorse));
        // 3 % against 0 % at 10 % traffic: critical (> 2 points).
        let bad = store_of(60, traffic(100, &[100.0], 3), traffic(900, &[100.0], 0), 0);
        check(
            &bad,
            60,
            (
                &[(CanaryErrorRate, Warning), (CanaryErrorRate, Critical)],
                CanaryWorse,
            ),
        );
        // All untagged: the absolute rules decide alone.
        let untagged = store_of(60, traffic(0, &[1.0], 0), traffic(0, &[1.0], 0), 200);
        check(&untagged, 60, (&[], NoCohortTags));
        let e = evaluate_cohorts(&untagged, Window::new(0, 60 * MIN), &default_cohort_rules());
        assert!(e.rules.iter().all(|r| r.state == RuleState::NoData));
        assert_eq!(e.now, None);
        // An empty window.
        check(&EventStore::new(), 60, (&[], NoCohortTags));
    }

    #[test]
    fn mem0_writes_carrying_the_cohort_are_compared() {
        let mut rows = Vec::new();
        let mut id = 0;
        for m in 0..40i64 {
            for i in 0..100i64 {
                id += 1;
                let canary = i % 2 == 0;
                // Canary writes fail 7 in 50 (14 %), control's never: warning, critical
                // (> 4 points) and emergency (> 9 points).
                let ok = !(canary && i % 16 == 0);
                rows.push(write(id, m * MIN + i * 500_000 + 1, ok, canary));
            }
        }
        let mut store = EventStore::new();
        store.extend(rows);
        check(
            &store,
            40,
            (
                &[
                    (MetricId::CanaryMem0WriteSuccess, Level::Warning),
                    (MetricId::CanaryMem0WriteSuccess, Level::Critical),
                    (MetricId::CanaryMem0WriteSuccess, Level::Emergency),
                ],
                CohortCall::CanaryWorse,
            ),
        );
        let rules = default_cohort_rules();
        let samples = sample_cohorts(&store, Window::new(0, 40 * MIN).unwrap(), &rules);
        let last = samples.last().unwrap();
        assert!((last.mem0_points.unwrap() - 14.0).abs() < 1e-9, "{last:?}");
        assert!(last.mem0_significant);
        // Requests untagged (none here): the latency and error rules have no data.
        assert_eq!((last.p50_ratio, last.error_points), (None, None));
        let evidence = explain(
            &store,
            Window::new(0, 40 * MIN).unwrap(),
            CohortMetric::Mem0WriteSuccess,
        );
        assert_eq!(
            evidence.error_types[0].error_type.as_deref(),
            Some("Mem0Unavailable")
        );
        assert!(evidence.endpoints.is_empty());
    }

    #[test]
    fn evidence_names_the_endpoints_and_error_types_behind_a_call() {
        // Canary requests to /api/chat (every third id) fail; control's never do.
        let mut rows = Vec::new();
        for id in 0..3_000i64 {
            let canary = id % 10 < 3;
            let ok = !(canary && id % 3 == 0);
            rows.push(request(id, id * 1_000_000 + 1, 100.0, ok, Some(canary)));
        }
        let mut store = EventStore::new();
        store.extend(rows);
        let e = explain(
            &store,
            Window::new(0, 3_001 * 1_000_000).unwrap(),
            CohortMetric::ErrorRate,
        );
        assert_eq!(e.endpoints.len(), 1, "{e:?}");
        assert_eq!(e.endpoints[0].endpoint.as_deref(), Some("/api/chat"));
        assert_eq!(e.endpoints[0].control.failures, 0);
        assert_eq!(e.error_types[0].error_type.as_deref(), Some("TimeoutError"));
        assert_eq!(e.error_types[0].control_failures, 0);
    }

    /// `hours` of generated traffic: `requests_per_minute` requests, a share `canary_share` of them canary;
    /// latencies around 120 ms and a 1 % error rate in both cohorts, except the canary from
    /// `regression` (start and end minute) on, `slowdown` times slower and failing
    /// `extra_failure` more often.
    fn day(
        rng: &mut Rng,
        hours: i64,
        requests_per_minute: u64,
        canary_share: f64,
        regression: Option<(i64, i64, f64, f64)>,
    ) -> EventStore {
        let mut rows = Vec::new();
        let mut id = 0i64;
        for m in 0..hours * 60 {
            for i in 0..requests_per_minute {
                id += 1;
                let canary = rng.unit() < canary_share;
                let (slow, fail) = match regression {
                    Some((from, to, s, f)) if canary && (from..to).contains(&m) => (s, f),
                    _ => (1.0, 0.0),
                };
                let ms = rng.latency(120.0) * slow;
                let ok = rng.unit() >= 0.01 + fail;
                let at =
                    m * MIN + (i as i64 * 59 * MICROS_PER_SECOND) / requests_per_minute as i64 + 1;
                rows.push(request(id, at, ms, ok, Some(canary)));
            }
        }
        let mut store = EventStore::new();
        store.extend(rows);
        store
    }

    #[test]
    fn identical_cohorts_rarely_alarm_and_regressions_at_the_margins_are_caught() {
        // Design rate: at most 5 % of days with a cohort alert when both cohorts come from the
        // same distribution (see the module docs). Measured on generated days at 10 % canary
        // traffic, where noise is largest for the canary.
        let rules = default_cohort_rules();
        let days = 60;
        let mut rng = Rng(SplitMix64::new(0x9E37_79B9_7F4A_7C15));
        let mut alarmed = 0;
        for _ in 0..days {
            let store = day(&mut rng, 24, 40, 0.10, None);
            let e = evaluate_cohorts(&store, Window::whole(&store), &rules);
            if !e.alerts.is_empty() {
                alarmed += 1;
            }
        }
        // The measured rate, for the README's figure (`cargo test -- --nocapture`).
        eprintln!("cohort alerts on {alarmed} of {days} days with identical cohorts");
        let quiet_share = f64::from(days - alarmed) / f64::from(days);
        assert!(
            quiet_share >= 0.95,
            "{alarmed} of {days} identical days alarmed"
        );

        // Regressions of 3 hours past the guide's margins (25 % slower, 1.5 points more errors)
        // at 10 % canary traffic: caught every time, latency and error rate both. A 1.5-point
        // difference needs about a hundred canary requests a minute to be told from noise in
        // half an hour, so these hours have 1,000 requests a minute.
        let mut caught = [0; 2];
        let regressed = 10;
        for _ in 0..regressed {
            let store = day(&mut rng, 6, 1_000, 0.10, Some((90, 270, 1.25, 0.015)));
            let e = evaluate_cohorts(&store, Window::whole(&store), &rules);
            if e.alerts
                .iter()
                .any(|a| a.alert.metric == MetricId::CanaryP50Latency)
            {
                caught[0] += 1;
            }
            if e.alerts
                .iter()
                .any(|a| a.alert.metric == MetricId::CanaryErrorRate)
            {
                caught[1] += 1;
            }
        }
        assert_eq!(caught, [regressed, regressed]);
    }
}
