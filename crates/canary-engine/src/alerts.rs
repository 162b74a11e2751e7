//! The alert engine (docs/metrics.md#alerts), evaluated the one way every implementation must agree on:
//!
//! - Samples are taken at every whole UTC minute `t` inside the window; a windowed rule's value
//!   at `t` is computed over the window's events in the trailing five minutes `(t − 5 min, t]`.
//!   A sample with fewer than 20 relevant events is NoData.
//! - A level breaches when its value crosses the threshold strictly (`>` or `<`).
//! - A level with a duration of D minutes fires at the first sample that ends a run of D + 1
//!   consecutive breaching samples (NoData breaks the run); a level without one fires on its first
//!   breaching sample. A firing alert resolves at the first sample that is not breaching (NoData
//!   included).
//! - State rules are not windowed: the circuit breaker warns from a transition away from `closed`
//!   until it is closed again and is critical while `open`; a cache stampede is critical while a
//!   key has more than 20 misses in the trailing 15 minutes.
//!
//! Samples are built from one pass over the window into per-minute buckets (only the minutes
//! that have events: the cost follows the rows, never the span of time they cover); each sample
//! then reads the buckets of its five minutes, so 24 h of a million events evaluates without
//! rescanning.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{from_datetime, to_datetime};
use crate::event::{EventType, Micros, MICROS_PER_MINUTE};
use crate::metrics::{rate_pct, Groups, Window, STAMPEDE_SPAN};
use crate::percentile::percentiles_cont;
use crate::store::EventStore;
use stdx::decimal::parse_f64;

/// How bad a firing alert is, in escalation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Warning,
    Critical,
    Emergency,
}

/// The metric a rule watches; its `as_str` is the id used in every output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricId {
    P50Latency,
    P95Latency,
    ErrorRate,
    CacheHitRate,
    CacheStampede,
    Mem0WriteSuccess,
    CircuitBreaker,
    RedisMemory,
    /// Canary P50 latency as a multiple of control's (the cohort rules, `cohort_rules.rs`).
    CanaryP50Latency,
    /// Canary P95 latency as a multiple of control's.
    CanaryP95Latency,
    /// Canary error rate minus control's, in percentage points.
    CanaryErrorRate,
    /// Control mem0 write success minus the canary's, in percentage points.
    CanaryMem0WriteSuccess,
}

/// One alert that fired: since when, until when (`None` while still firing at the end of the
/// evaluated window), and the worst value seen while it fired.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    pub metric: MetricId,
    pub level: Level,
    /// The rule's threshold; `None` for state rules (circuit breaker), which have none.
    pub threshold: Option<f64>,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub worst_value: f64,
}

impl Level {
    /// `warning`, `critical`, `emergency`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Critical => "critical",
            Level::Emergency => "emergency",
        }
    }
}

impl MetricId {
    /// The id used in every output (`p50_latency`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricId::P50Latency => "p50_latency",
            MetricId::P95Latency => "p95_latency",
            MetricId::ErrorRate => "error_rate",
            MetricId::CacheHitRate => "cache_hit_rate",
            MetricId::CacheStampede => "cache_stampede",
            MetricId::Mem0WriteSuccess => "mem0_write_success",
            MetricId::CircuitBreaker => "circuit_breaker",
            MetricId::RedisMemory => "redis_memory",
            MetricId::CanaryP50Latency => "canary_p50_latency",
            MetricId::CanaryP95Latency => "canary_p95_latency",
            MetricId::CanaryErrorRate => "canary_error_rate",
            MetricId::CanaryMem0WriteSuccess => "canary_mem0_write_success",
        }
    }

    /// How the metric is named for people.
    pub fn label(self) -> &'static str {
        match self {
            MetricId::P50Latency => "P50 latency",
            MetricId::P95Latency => "P95 latency",
            MetricId::ErrorRate => "Error rate",
            MetricId::CacheHitRate => "Cache hit rate",
            MetricId::CacheStampede => "Cache stampede",
            MetricId::Mem0WriteSuccess => "mem0 write success",
            MetricId::CircuitBreaker => "Circuit breaker",
            MetricId::RedisMemory => "Redis memory",
            MetricId::CanaryP50Latency => "Canary P50 latency vs control",
            MetricId::CanaryP95Latency => "Canary P95 latency vs control",
            MetricId::CanaryErrorRate => "Canary error rate vs control",
            MetricId::CanaryMem0WriteSuccess => "Canary mem0 write failures vs control",
        }
    }

    /// Whether the metric compares the canary cohort with control (a cohort rule's metric).
    pub fn is_cohort(self) -> bool {
        matches!(
            self,
            MetricId::CanaryP50Latency
                | MetricId::CanaryP95Latency
                | MetricId::CanaryErrorRate
                | MetricId::CanaryMem0WriteSuccess
        )
    }

    /// The unit of the metric's values.
    pub fn unit(self) -> &'static str {
        match self {
            MetricId::P50Latency | MetricId::P95Latency => "ms",
            MetricId::ErrorRate
            | MetricId::CacheHitRate
            | MetricId::Mem0WriteSuccess
            | MetricId::RedisMemory => "%",
            MetricId::CacheStampede => "misses",
            MetricId::CircuitBreaker => "failures",
            MetricId::CanaryP50Latency | MetricId::CanaryP95Latency => "× control",
            MetricId::CanaryErrorRate | MetricId::CanaryMem0WriteSuccess => "points",
        }
    }
}

/// Which side of the threshold breaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// Breaches when the value is strictly greater.
    Above,
    /// Breaches when the value is strictly smaller.
    Below,
}

impl Comparator {
    fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparator::Above => value > threshold,
            Comparator::Below => value < threshold,
        }
    }

    /// The worse of two values for this direction.
    fn worse(self, a: f64, b: f64) -> f64 {
        match self {
            Comparator::Above => a.max(b),
            Comparator::Below => a.min(b),
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Comparator::Above => ">",
            Comparator::Below => "<",
        }
    }
}

/// A windowed alert rule: one level of one metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub metric: WindowedMetric,
    pub level: Level,
    pub comparator: Comparator,
    pub threshold: f64,
    /// Minutes the breach must last; `None` fires on the first breaching sample.
    pub duration_minutes: Option<u32>,
}

impl Rule {
    /// `P50 latency > 500 ms for 10 min`.
    pub fn describe(&self) -> String {
        format!("{} {}", self.metric.id().label(), self.condition())
    }

    /// The rule without its metric's name: `> 500 ms for 10 min`, `> 5 %`.
    pub fn condition(&self) -> String {
        let unit = if self.metric.id().unit() == "%" {
            " %"
        } else {
            " ms"
        };
        let duration = self
            .duration_minutes
            .map_or(String::new(), |d| format!(" for {d} min"));
        format!(
            "{} {}{unit}{duration}",
            self.comparator.symbol(),
            self.threshold
        )
    }
}

/// The metrics a windowed rule can watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowedMetric {
    P50Latency,
    P95Latency,
    ErrorRate,
    CacheHitRate,
    Mem0WriteSuccess,
}

impl WindowedMetric {
    /// The metric's id in outputs.
    pub fn id(self) -> MetricId {
        match self {
            WindowedMetric::P50Latency => MetricId::P50Latency,
            WindowedMetric::P95Latency => MetricId::P95Latency,
            WindowedMetric::ErrorRate => MetricId::ErrorRate,
            WindowedMetric::CacheHitRate => MetricId::CacheHitRate,
            WindowedMetric::Mem0WriteSuccess => MetricId::Mem0WriteSuccess,
        }
    }
}

/// The windowed rules of the guide's alert thresholds (docs/metrics.md#alerts).
pub fn default_rules() -> Vec<Rule> {
    use Comparator::{Above, Below};
    use Level::{Critical, Emergency, Warning};
    use WindowedMetric::*;
    let rule = |metric, level, comparator, threshold, duration_minutes| Rule {
        metric,
        level,
        comparator,
        threshold,
        duration_minutes,
    };
    vec![
        rule(P50Latency, Warning, Above, 400.0, Some(5)),
        rule(P50Latency, Critical, Above, 500.0, Some(10)),
        rule(P50Latency, Emergency, Above, 1000.0, Some(5)),
        rule(P95Latency, Critical, Above, 1500.0, Some(10)),
        rule(ErrorRate, Warning, Above, 1.0, Some(5)),
        rule(ErrorRate, Critical, Above, 2.0, Some(5)),
        rule(ErrorRate, Emergency, Above, 5.0, None),
        rule(CacheHitRate, Warning, Below, 95.0, Some(10)),
        rule(CacheHitRate, Critical, Below, 90.0, Some(5)),
        rule(Mem0WriteSuccess, Warning, Below, 99.0, Some(10)),
        rule(Mem0WriteSuccess, Critical, Below, 95.0, Some(5)),
        rule(Mem0WriteSuccess, Emergency, Below, 90.0, None),
    ]
}

/// Length of the trailing window of a sample.
pub const SAMPLE_SPAN: Micros = 5 * MICROS_PER_MINUTE;
/// A sample with fewer relevant events than this is NoData.
pub const MIN_SAMPLE_EVENTS: u64 = 20;
/// More misses than this on one key in the trailing 15 minutes is a critical stampede.
pub const STAMPEDE_CRITICAL_MISSES: u64 = 20;
/// The breaker counts as recovered once closed this long after having been open.
pub const BREAKER_RECOVERY: Micros = 15 * MICROS_PER_MINUTE;

/// One sample of one windowed metric: `None` is NoData.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub at: Micros,
    pub value: Option<f64>,
}

/// The state of a rule at the end of the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleState {
    Normal,
    Pending,
    Firing,
    NoData,
}

/// A rule and its state now (at the window's last sample).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleStatus {
    pub metric: MetricId,
    pub level: Level,
    /// The rule in words, e.g. `P50 latency > 500 ms for 10 min`.
    pub rule: String,
    pub state: RuleState,
    /// The metric's value at the last sample (`None`: NoData).
    pub value_now: Option<f64>,
}

/// The guide's three status words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    OnTrack,
    IssuesDetected,
    RollbackRequired,
}

impl Status {
    /// The status of the worst level among `levels`: emergency → Rollback Required; warning or
    /// critical → Issues Detected; none → On Track.
    pub fn of_levels(levels: impl IntoIterator<Item = Level>) -> Status {
        match levels.into_iter().max() {
            None => Status::OnTrack,
            Some(Level::Warning | Level::Critical) => Status::IssuesDetected,
            Some(Level::Emergency) => Status::RollbackRequired,
        }
    }

    /// `On Track`, `Issues Detected`, `Rollback Required`.
    pub fn label(self) -> &'static str {
        match self {
            Status::OnTrack => "On Track",
            Status::IssuesDetected => "Issues Detected",
            Status::RollbackRequired => "Rollback Required",
        }
    }
}

/// The verdict at the end of a window, or why there is none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictNow {
    /// The window holds no events.
    NoEvents,
    /// Events, but too few in the trailing span before the window's end for any rule to judge
    /// (an export that stopped, a window that ends after the data): "On Track" would be a
    /// verdict from silence.
    TooFewAtEnd,
    /// The highest level firing at the end of the window.
    Status(Status),
}

/// Everything the engine says about one window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Alerts that fired in the window, oldest first.
    pub alerts: Vec<Alert>,
    /// Every windowed rule and its state at the end of the window.
    pub rules: Vec<RuleStatus>,
    /// The highest level firing at the end of the window.
    pub status_now: Status,
    /// The worst level that fired at any time in the window (the daily report's status).
    pub status_in_window: Status,
    /// When the breaker had been closed for 15 minutes after its last open, if it has.
    pub breaker_recovered_at: Option<DateTime<Utc>>,
}

impl Evaluation {
    /// Whether any rule had data at the end of the window: when none had (too few events in
    /// the trailing span, as when the data stopped arriving), "On Track" would be a verdict
    /// from silence.
    pub fn any_rule_has_data_now(&self) -> bool {
        self.rules.iter().any(|r| r.state != RuleState::NoData)
    }

    /// What can be said of the window's end, given how many events the window holds: its
    /// status, or why there is none. A firing alert is always a verdict; "On Track" needs a
    /// rule that had data to judge (no rules at all, as with an empty rule table, judge as
    /// before).
    pub fn verdict_now(&self, events_in_window: u64) -> VerdictNow {
        if events_in_window == 0 {
            VerdictNow::NoEvents
        } else if self.status_now == Status::OnTrack
            && !self.rules.is_empty()
            && !self.any_rule_has_data_now()
        {
            VerdictNow::TooFewAtEnd
        } else {
            VerdictNow::Status(self.status_now)
        }
    }

    /// Adds alerts from outside the event data (Redis INFO) and updates both statuses.
    pub fn add_alerts(&mut self, more: impl IntoIterator<Item = Alert>) {
        self.alerts.extend(more);
        stdx::sort::sort_by_key(&mut self.alerts, |a| (a.since, a.metric, a.level));
        self.status_now = Status::of_levels(
            self.alerts
                .iter()
                .filter(|a| a.until.is_none())
                .map(|a| a.level),
        );
        self.status_in_window = Status::of_levels(self.alerts.iter().map(|a| a.level));
    }
}

/// The counts of one minute that has events: the events with `(minute − 1) min < created_at ≤
/// minute min`, so the buckets of five consecutive minutes are exactly one sample's
/// `(t − 5 min, t]`.
struct Bucket {
    minute: i64,
    /// Start of this minute's latencies in [`Buckets::latencies`] (time order keeps them
    /// contiguous).
    latency_start: usize,
    requests: u64,
    failures: u64,
    cache_accesses: u64,
    cache_hits: u64,
    writes: u64,
    write_successes: u64,
}

/// Per-minute counts of the minutes that have events, in time order: sparse, so memory follows
/// the rows, never the time span they cover (two rows years apart are two buckets).
struct Buckets {
    list: Vec<Bucket>,
    latencies: Vec<f64>,
}

fn minute_ceil(t: Micros) -> i64 {
    t.div_euclid(MICROS_PER_MINUTE) + i64::from(t.rem_euclid(MICROS_PER_MINUTE) != 0)
}

impl Buckets {
    fn build(store: &EventStore, window: Window) -> Buckets {
        let mut b = Buckets {
            list: Vec::new(),
            latencies: Vec::new(),
        };
        for row in store.rows_in(window.from, window.to) {
            let minute = minute_ceil(store.created_at[row]);
            if b.list.last().is_none_or(|last| last.minute != minute) {
                b.list.push(Bucket {
                    minute,
                    latency_start: b.latencies.len(),
                    requests: 0,
                    failures: 0,
                    cache_accesses: 0,
                    cache_hits: 0,
                    writes: 0,
                    write_successes: 0,
                });
            }
            let Some(bucket) = b.list.last_mut() else {
                continue;
            };
            match store.kind(row) {
                EventType::RequestCompleted => {
                    bucket.requests += 1;
                    if store.success(row) == Some(false) {
                        bucket.failures += 1;
                    }
                    let t = store.processing_time_ms[row];
                    if !t.is_nan() {
                        b.latencies.push(t);
                    }
                }
                EventType::CacheAccess => {
                    bucket.cache_accesses += 1;
                    if store.cache_hit(row) == Some(true) {
                        bucket.cache_hits += 1;
                    }
                }
                EventType::Mem0Write => {
                    bucket.writes += 1;
                    if store.success(row) == Some(true) {
                        bucket.write_successes += 1;
                    }
                }
                _ => {}
            }
        }
        b
    }

    fn sum(&self, r: std::ops::Range<usize>, field: impl Fn(&Bucket) -> u64) -> u64 {
        self.list[r].iter().map(field).sum()
    }

    fn latency_slice(&self, r: std::ops::Range<usize>) -> &[f64] {
        if r.is_empty() {
            return &[];
        }
        let end = self
            .list
            .get(r.end)
            .map_or(self.latencies.len(), |b| b.latency_start);
        &self.latencies[self.list[r.start].latency_start..end]
    }
}

/// Samples of every windowed metric, in time order. A sample is taken at every whole minute
/// whose trailing five minutes hold an event of the window, at the first minute after each such
/// stretch (NoData: it ends runs and resolves alerts, as every empty minute after it would) and at
/// the window's last whole minute; the minutes left out are NoData and would change nothing. So
/// a window of years with a few rows costs a few samples, not one per minute.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSamples {
    pub p50_latency: Vec<Sample>,
    pub p95_latency: Vec<Sample>,
    pub error_rate: Vec<Sample>,
    pub cache_hit_rate: Vec<Sample>,
    pub mem0_write_success: Vec<Sample>,
}

impl MetricSamples {
    /// The samples of one metric.
    pub fn of(&self, metric: WindowedMetric) -> &[Sample] {
        match metric {
            WindowedMetric::P50Latency => &self.p50_latency,
            WindowedMetric::P95Latency => &self.p95_latency,
            WindowedMetric::ErrorRate => &self.error_rate,
            WindowedMetric::CacheHitRate => &self.cache_hit_rate,
            WindowedMetric::Mem0WriteSuccess => &self.mem0_write_success,
        }
    }

    fn push_no_data(&mut self, at: Micros) {
        let s = Sample { at, value: None };
        self.p50_latency.push(s);
        self.p95_latency.push(s);
        self.error_rate.push(s);
        self.cache_hit_rate.push(s);
        self.mem0_write_success.push(s);
    }
}

fn enough(n: u64) -> bool {
    n >= MIN_SAMPLE_EVENTS
}

/// Samples at the whole UTC minutes `t` with `from <= t < to` that can matter (see
/// [`MetricSamples`]), each over `(t − 5 min, t]`.
pub fn sample(store: &EventStore, window: Window) -> MetricSamples {
    let buckets = Buckets::build(store, window);
    let first_k = minute_ceil(window.from);
    let last_k = minute_ceil(window.to) - 1;
    let mut out = MetricSamples {
        p50_latency: Vec::new(),
        p95_latency: Vec::new(),
        error_rate: Vec::new(),
        cache_hit_rate: Vec::new(),
        mem0_write_success: Vec::new(),
    };
    let mut scratch: Vec<f64> = Vec::new();
    // The next minute not sampled yet, and the bucket range of the sample being built.
    let mut next = first_k;
    let (mut lo, mut hi) = (0usize, 0usize);
    let mut sampled_any = false;
    for i in 0..buckets.list.len() {
        let minute = buckets.list[i].minute;
        let from = minute.max(next);
        let to = (minute + 4).min(last_k);
        if from > to {
            continue;
        }
        if from > next && sampled_any {
            // The stretch before ended: one NoData sample at its first empty minute.
            out.push_no_data(next * MICROS_PER_MINUTE);
        }
        for k in from..=to {
            while hi < buckets.list.len() && buckets.list[hi].minute <= k {
                hi += 1;
            }
            while lo < hi && buckets.list[lo].minute <= k - 5 {
                lo += 1;
            }
            push_sample(
                &mut out,
                &buckets,
                lo..hi,
                k * MICROS_PER_MINUTE,
                &mut scratch,
            );
        }
        next = to + 1;
        sampled_any = true;
    }
    if next <= last_k {
        if sampled_any {
            out.push_no_data(next * MICROS_PER_MINUTE);
        }
        if !sampled_any || next < last_k {
            out.push_no_data(last_k * MICROS_PER_MINUTE);
        }
    }
    out
}

/// The sample at `at` over the buckets `r` (its trailing five minutes).
fn push_sample(
    out: &mut MetricSamples,
    buckets: &Buckets,
    r: std::ops::Range<usize>,
    at: Micros,
    scratch: &mut Vec<f64>,
) {
    scratch.clear();
    scratch.extend_from_slice(buckets.latency_slice(r.clone()));
    let [p50, p95] = if enough(scratch.len() as u64) {
        let p = percentiles_cont(scratch, &[0.5, 0.95]);
        [p[0], p[1]]
    } else {
        [None, None]
    };
    out.p50_latency.push(Sample { at, value: p50 });
    out.p95_latency.push(Sample { at, value: p95 });
    let requests = buckets.sum(r.clone(), |b| b.requests);
    let failures = buckets.sum(r.clone(), |b| b.failures);
    out.error_rate.push(Sample {
        at,
        value: rate_pct(failures, requests).filter(|_| enough(requests)),
    });
    let accesses = buckets.sum(r.clone(), |b| b.cache_accesses);
    let hits = buckets.sum(r.clone(), |b| b.cache_hits);
    out.cache_hit_rate.push(Sample {
        at,
        value: rate_pct(hits, accesses).filter(|_| enough(accesses)),
    });
    let writes = buckets.sum(r.clone(), |b| b.writes);
    let successes = buckets.sum(r, |b| b.write_successes);
    out.mem0_write_success.push(Sample {
        at,
        value: rate_pct(successes, writes).filter(|_| enough(writes)),
    });
}

/// Runs one rule over its samples: the alerts it fired and its state at the last sample.
pub fn evaluate_rule(rule: &Rule, samples: &[Sample]) -> (Vec<Alert>, RuleState) {
    let (periods, state) = fire_and_resolve(
        samples.iter().map(|s| {
            let breaching = s
                .value
                .filter(|&v| rule.comparator.breaches(v, rule.threshold));
            (s.at, breaching, s.value.is_some())
        }),
        rule.duration_minutes,
        |a, b| rule.comparator.worse(a, b),
    );
    let alerts = periods
        .into_iter()
        .map(|p| Alert {
            metric: rule.metric.id(),
            level: rule.level,
            threshold: Some(rule.threshold),
            since: to_datetime(p.since),
            until: p.until.map(to_datetime),
            worst_value: p.worst,
        })
        .collect();
    (alerts, state)
}

/// One firing of a level: from the sample that completed its run to the first sample that did
/// not breach (`None` while it still fires at the last sample), and the worst value meanwhile.
pub(crate) struct FiringPeriod {
    pub since: Micros,
    pub until: Option<Micros>,
    pub worst: f64,
}

/// The pending/firing/resolved state machine every windowed level runs (the guide's and the
/// cohort rules alike; `docs/metrics.md#alerts`). Each sample is `(at, breaching value, has
/// data)`: a breaching value extends the run and fires once the run spans `duration_minutes`
/// (D + 1 samples; without a duration, the first breach fires); anything else ends the run and
/// resolves a firing level. `worse` picks the worse of two values. Returns the firings and the
/// state at the last sample.
pub(crate) fn fire_and_resolve(
    samples: impl IntoIterator<Item = (Micros, Option<f64>, bool)>,
    duration_minutes: Option<u32>,
    worse: impl Fn(f64, f64) -> f64,
) -> (Vec<FiringPeriod>, RuleState) {
    let needed = duration_minutes.map_or(1, |d| d as usize + 1);
    let mut periods = Vec::new();
    let mut run = 0usize;
    let mut firing: Option<(Micros, f64)> = None;
    let mut last_has_data = None;
    for (at, breaching, has_data) in samples {
        last_has_data = Some(has_data);
        match breaching {
            Some(v) => {
                run += 1;
                firing = match firing {
                    Some((since, worst)) => Some((since, worse(worst, v))),
                    None if run >= needed => Some((at, v)),
                    None => None,
                };
            }
            None => {
                run = 0;
                if let Some((since, worst)) = firing.take() {
                    periods.push(FiringPeriod {
                        since,
                        until: Some(at),
                        worst,
                    });
                }
            }
        }
    }
    let state = match (firing, last_has_data) {
        (Some(_), _) => RuleState::Firing,
        (None, None | Some(false)) => RuleState::NoData,
        (None, Some(true)) if run > 0 => RuleState::Pending,
        (None, Some(true)) => RuleState::Normal,
    };
    if let Some((since, worst)) = firing {
        periods.push(FiringPeriod {
            since,
            until: None,
            worst,
        });
    }
    (periods, state)
}

/// Breaker alerts from its transitions: warning from a transition away from `closed` until it is
/// closed again, critical while `open`; the state before the window carries in. Worst value: the
/// highest `failure_count` reported while the alert lasted.
fn breaker_alerts(store: &EventStore, window: Window) -> (Vec<Alert>, Option<DateTime<Utc>>) {
    let rows = store.rows_in(window.from, window.to);
    let transitions = store.breaker_in(&(0..rows.end));
    let mut alerts = Vec::new();
    let mut warning: Option<(Micros, f64)> = None;
    let mut critical: Option<(Micros, f64)> = None;
    let mut last_open_closed_at: Option<Micros> = None;
    let mut was_open = false;
    for b in transitions {
        let row = b.row as usize;
        let at = store.created_at[row];
        let state = store.text(store.label[row]).unwrap_or("closed");
        let failures = store
            .text(b.failure_count)
            .and_then(|t| parse_f64(t.trim()))
            .filter(|v| v.is_finite())
            .unwrap_or(0.0);
        let keep = |alert: &mut Option<(Micros, f64)>| {
            if let Some((_, worst)) = alert {
                *worst = worst.max(failures);
            }
        };
        let end = |alert: &mut Option<(Micros, f64)>, level: Level, alerts: &mut Vec<Alert>| {
            if let Some((since, worst)) = alert.take() {
                alerts.push(Alert {
                    metric: MetricId::CircuitBreaker,
                    level,
                    threshold: None,
                    since: to_datetime(since),
                    until: Some(to_datetime(at)),
                    worst_value: worst,
                });
            }
        };
        if state == "closed" {
            end(&mut warning, Level::Warning, &mut alerts);
            end(&mut critical, Level::Critical, &mut alerts);
            if was_open {
                last_open_closed_at = Some(at);
            }
            was_open = false;
        } else {
            if warning.is_none() {
                warning = Some((at, failures));
            }
            keep(&mut warning);
            if state == "open" {
                was_open = true;
                last_open_closed_at = None;
                if critical.is_none() {
                    critical = Some((at, failures));
                }
                keep(&mut critical);
            } else {
                end(&mut critical, Level::Critical, &mut alerts);
            }
        }
    }
    for (alert, level) in [(warning, Level::Warning), (critical, Level::Critical)] {
        if let Some((since, worst)) = alert {
            alerts.push(Alert {
                metric: MetricId::CircuitBreaker,
                level,
                threshold: None,
                since: to_datetime(since),
                until: None,
                worst_value: worst,
            });
        }
    }
    // Only transitions inside the window matter for its alerts; earlier ones that ended before
    // the window are not part of it.
    alerts.retain(|a| a.until.is_none_or(|u| from_datetime(u) > window.from));
    let recovered = last_open_closed_at
        .map(|closed| closed + BREAKER_RECOVERY)
        .filter(|&t| t < window.to)
        .map(to_datetime);
    (alerts, recovered)
}

/// Stampede alerts: critical while a key has more than 20 misses in the trailing 15 minutes
/// `(t − 15 min, t]`. Worst value: the most misses seen in one span.
fn stampede_alerts(store: &EventStore, window: Window) -> Vec<Alert> {
    let mut by_key: Groups<Vec<Micros>> = Groups::new(store);
    for row in store.rows_in(window.from, window.to) {
        if store.kind(row) == EventType::CacheMiss {
            by_key.get(store.cache_key[row]).push(store.created_at[row]);
        }
    }
    let mut alerts = Vec::new();
    for (_, times) in &by_key.items {
        // Sweep: each miss enters the trailing window at its time and leaves 15 min later.
        let mut leave = 0usize;
        let mut active: Option<(Micros, u64)> = None;
        for (enter, &t) in times.iter().enumerate() {
            // Misses that left before t (at t − 15 min or earlier) end or shrink the run first.
            while times[leave] + STAMPEDE_SPAN <= t {
                let left_at = times[leave] + STAMPEDE_SPAN;
                leave += 1;
                let count = (enter - leave) as u64;
                if count <= STAMPEDE_CRITICAL_MISSES {
                    if let Some((since, worst)) = active.take() {
                        alerts.push(stampede_alert(since, worst, Some(left_at)));
                    }
                }
            }
            let count = (enter + 1 - leave) as u64;
            if count > STAMPEDE_CRITICAL_MISSES {
                active = match active {
                    Some((since, worst)) => Some((since, worst.max(count))),
                    None => Some((t, count)),
                };
            }
        }
        if let Some((since, worst)) = active {
            // It ends when enough of the last misses have left the trailing window.
            let n = times.len();
            let ends = times[n - STAMPEDE_CRITICAL_MISSES as usize - 1] + STAMPEDE_SPAN;
            alerts.push(stampede_alert(
                since,
                worst,
                (ends < window.to).then_some(ends),
            ));
        }
    }
    alerts
}

fn stampede_alert(since: Micros, worst: u64, until: Option<Micros>) -> Alert {
    Alert {
        metric: MetricId::CacheStampede,
        level: Level::Critical,
        threshold: Some(STAMPEDE_CRITICAL_MISSES as f64),
        since: to_datetime(since),
        until: until.map(to_datetime),
        worst_value: worst as f64,
    }
}

/// Evaluates `rules` and the state rules over `window` (`None`: no data, nothing fires).
pub fn evaluate(store: &EventStore, window: Option<Window>, rules: &[Rule]) -> Evaluation {
    let Some(window) = window else {
        return Evaluation {
            alerts: Vec::new(),
            rules: rules
                .iter()
                .map(|r| RuleStatus {
                    metric: r.metric.id(),
                    level: r.level,
                    rule: r.describe(),
                    state: RuleState::NoData,
                    value_now: None,
                })
                .collect(),
            status_now: Status::OnTrack,
            status_in_window: Status::OnTrack,
            breaker_recovered_at: None,
        };
    };
    let samples = sample(store, window);
    let mut alerts = Vec::new();
    let mut statuses = Vec::with_capacity(rules.len());
    for rule in rules {
        let s = samples.of(rule.metric);
        let (fired, state) = evaluate_rule(rule, s);
        alerts.extend(fired);
        statuses.push(RuleStatus {
            metric: rule.metric.id(),
            level: rule.level,
            rule: rule.describe(),
            state,
            value_now: s.last().and_then(|x| x.value),
        });
    }
    let (breaker, breaker_recovered_at) = breaker_alerts(store, window);
    alerts.extend(breaker);
    alerts.extend(stampede_alerts(store, window));
    let mut evaluation = Evaluation {
        alerts: Vec::new(),
        rules: statuses,
        status_now: Status::OnTrack,
        status_in_window: Status::OnTrack,
        breaker_recovered_at,
    };
    evaluation.add_alerts(alerts);
    evaluation
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Details, EventRow, MICROS_PER_SECOND};
    use std::borrow::Cow;

    const M: Micros = MICROS_PER_MINUTE;

    fn rule(comparator: Comparator, threshold: f64, duration: Option<u32>) -> Rule {
        Rule {
            metric: WindowedMetric::P50Latency,
            level: Level::Warning,
            comparator,
            threshold,
            duration_minutes: duration,
        }
    }

    /// Samples one minute apart from minute 1; `None` is NoData.
    fn samples(values: &[Option<f64>]) -> Vec<Sample> {
        values
            .iter()
            .enumerate()
            .map(|(i, &value)| Sample {
                at: (i as Micros + 1) * M,
                value,
            })
            .collect()
    }

    /// (since minute, until minute, worst) of one alert.
    type Fired = (i64, Option<i64>, f64);

    /// The alerts a rule fires over samples, and its state at the end.
    fn check(rule: Rule, values: &[Option<f64>], expected: (&[Fired], RuleState)) {
        let (alerts, state) = evaluate_rule(&rule, &samples(values));
        let got: Vec<Fired> = alerts
            .iter()
            .map(|a| {
                (
                    from_datetime(a.since) / M,
                    a.until.map(|u| from_datetime(u) / M),
                    a.worst_value,
                )
            })
            .collect();
        assert_eq!((got.as_slice(), state), expected, "{values:?}");
    }

    const B: Option<f64> = Some(600.0); // breaching an `Above 500` rule
    const OK: Option<f64> = Some(100.0);
    const ND: Option<f64> = None;

    #[test]
    fn rule_table() {
        let above = |d| rule(Comparator::Above, 500.0, d);
        // No samples at all.
        check(above(Some(2)), &[], (&[], RuleState::NoData));
        // Exactly on the threshold does not breach.
        check(above(None), &[Some(500.0)], (&[], RuleState::Normal));
        check(
            above(None),
            &[Some(500.000001)],
            (&[(1, None, 500.000001)], RuleState::Firing),
        );
        // Duration 2 needs 3 consecutive breaching samples; one short stays pending.
        check(above(Some(2)), &[B, B], (&[], RuleState::Pending));
        check(
            above(Some(2)),
            &[B, B, B],
            (&[(3, None, 600.0)], RuleState::Firing),
        );
        // It resolves at the first non-breaching sample, keeping the worst value seen.
        check(
            above(Some(2)),
            &[B, B, B, Some(900.0), OK, OK],
            (&[(3, Some(5), 900.0)], RuleState::Normal),
        );
        // NoData breaks a run and resolves a firing alert.
        check(above(Some(2)), &[B, B, ND, B, B], (&[], RuleState::Pending));
        check(
            above(Some(1)),
            &[B, B, ND],
            (&[(2, Some(3), 600.0)], RuleState::NoData),
        );
        // Two separate incidents give two alerts.
        check(
            above(Some(1)),
            &[B, B, OK, B, B, B],
            (&[(2, Some(3), 600.0), (5, None, 600.0)], RuleState::Firing),
        );
        // Below rules: the worst value is the lowest.
        let below = rule(Comparator::Below, 95.0, Some(1));
        check(
            below,
            &[Some(94.0), Some(90.0), Some(95.0)],
            (&[(2, Some(3), 90.0)], RuleState::Normal),
        );
    }

    fn request(id: i64, at: Micros, ms: f64, ok: bool) -> EventRow<'static> {
        EventRow {
            id,
            event_type: EventType::RequestCompleted,
            success: Some(ok),
            cache_hit: None,
            processing_time_ms: Some(ms),
            cache_key: None,
            details: Details::default(),
            created_at: at,
        }
    }

    fn store(rows: Vec<EventRow<'static>>) -> EventStore {
        let mut s = EventStore::new();
        s.extend(rows);
        s
    }

    #[test]
    fn samples_cover_the_trailing_five_minutes_and_need_twenty_events() {
        // 20 requests exactly at minute 10, 19 at minute 20 (+ 1 at minute 15, 5 minutes before
        // the sample at 20, which is outside (t − 5 min, t]).
        let mut rows: Vec<_> = (0..20).map(|i| request(i, 10 * M, 100.0, i != 0)).collect();
        rows.push(request(100, 15 * M, 900.0, true));
        rows.extend((0..19).map(|i| request(200 + i, 20 * M, 200.0, true)));
        let s = sample(
            &store(rows),
            Window {
                from: 10 * M,
                to: 21 * M,
            },
        );
        let at = |v: &[Sample], minute: i64| v.iter().find(|s| s.at == minute * M).unwrap().value;
        assert_eq!(s.p50_latency.len(), 11);
        assert_eq!(at(&s.p50_latency, 10), Some(100.0));
        assert_eq!(at(&s.error_rate, 10), Some(5.0));
        assert_eq!(at(&s.p50_latency, 14), Some(100.0));
        // At 15 the window (10, 15] holds only the one request at 15: NoData.
        assert_eq!(at(&s.p50_latency, 15), None);
        assert_eq!(at(&s.p50_latency, 20), None);
        assert_eq!(at(&s.cache_hit_rate, 10), None);
    }

    #[test]
    fn empty_input_evaluates_to_no_data_and_on_track() {
        let e = evaluate(&EventStore::new(), None, &default_rules());
        assert!(e.alerts.is_empty());
        assert!(e.rules.iter().all(|r| r.state == RuleState::NoData));
        assert_eq!(e.status_now, Status::OnTrack);
    }

    fn breaker(
        id: i64,
        second: i64,
        state: &'static str,
        failures: &'static str,
    ) -> EventRow<'static> {
        EventRow {
            id,
            event_type: EventType::CircuitBreakerStateChange,
            success: None,
            cache_hit: None,
            processing_time_ms: None,
            cache_key: None,
            details: Details {
                state: Some(Cow::Borrowed(state)),
                failure_count: Some(Cow::Borrowed(failures)),
                ..Details::default()
            },
            created_at: second * MICROS_PER_SECOND,
        }
    }

    fn alert_summary(e: &Evaluation) -> Vec<(MetricId, Level, i64, Option<i64>, f64)> {
        e.alerts
            .iter()
            .map(|a| {
                (
                    a.metric,
                    a.level,
                    from_datetime(a.since) / MICROS_PER_SECOND,
                    a.until.map(|u| from_datetime(u) / MICROS_PER_SECOND),
                    a.worst_value,
                )
            })
            .collect()
    }

    #[test]
    fn breaker_cycle_warns_and_is_critical_while_open_then_recovers() {
        let s = store(vec![
            breaker(1, 100, "open", "5"),
            breaker(2, 160, "half_open", "5"),
            breaker(3, 200, "closed", "0"),
        ]);
        let window = Window {
            from: 0,
            to: 3600 * MICROS_PER_SECOND,
        };
        let e = evaluate(&s, Some(window), &[]);
        assert_eq!(
            alert_summary(&e),
            vec![
                (
                    MetricId::CircuitBreaker,
                    Level::Warning,
                    100,
                    Some(200),
                    5.0
                ),
                (
                    MetricId::CircuitBreaker,
                    Level::Critical,
                    100,
                    Some(160),
                    5.0
                ),
            ]
        );
        assert_eq!(
            e.breaker_recovered_at
                .map(|t| from_datetime(t) / MICROS_PER_SECOND),
            Some(1100)
        );
        assert_eq!(e.status_now, Status::OnTrack);
        assert_eq!(e.status_in_window, Status::IssuesDetected);
        // Still open at the end of a shorter window: both firing, not yet recovered.
        let e = evaluate(&s, Window::new(0, 150 * MICROS_PER_SECOND), &[]);
        assert_eq!(e.alerts.iter().filter(|a| a.until.is_none()).count(), 2);
        assert_eq!(e.breaker_recovered_at, None);
        assert_eq!(e.status_now, Status::IssuesDetected);
        // A closed → half_open change alone is a warning only.
        let s = store(vec![breaker(1, 10, "half_open", "1")]);
        let e = evaluate(&s, Window::new(0, 60 * MICROS_PER_SECOND), &[]);
        assert_eq!(
            alert_summary(&e),
            vec![(MetricId::CircuitBreaker, Level::Warning, 10, None, 1.0)]
        );
    }

    fn miss(id: i64, second: i64) -> EventRow<'static> {
        EventRow {
            id,
            event_type: EventType::CacheMiss,
            success: None,
            cache_hit: Some(false),
            processing_time_ms: Some(1.0),
            cache_key: Some(Cow::Borrowed("clinic:1")),
            details: Details::default(),
            created_at: second * MICROS_PER_SECOND,
        }
    }

    #[test]
    fn stampede_is_critical_above_twenty_misses_in_fifteen_minutes() {
        let window = Window {
            from: 0,
            to: 7200 * MICROS_PER_SECOND,
        };
        // Exactly 20 misses: detected elsewhere, but not critical.
        let e = evaluate(
            &store((0..20).map(|i| miss(i, i)).collect()),
            Some(window),
            &[],
        );
        assert!(e.alerts.is_empty());
        // 40 misses in 40 s: critical from the 21st until the 20th-from-last leaves (15 min after
        // the 20th miss, at second 19 + 900).
        let e = evaluate(
            &store((0..40).map(|i| miss(i, i)).collect()),
            Some(window),
            &[],
        );
        assert_eq!(
            alert_summary(&e),
            vec![(
                MetricId::CacheStampede,
                Level::Critical,
                20,
                Some(919),
                40.0
            )]
        );
        // 21 misses spread so that no 15-minute span holds more than 20.
        let spread: Vec<_> = (0..21).map(|i| miss(i, i * 45)).collect();
        assert!(evaluate(&store(spread), Some(window), &[])
            .alerts
            .is_empty());
    }

    #[test]
    fn statuses_follow_the_worst_level() {
        assert_eq!(Status::of_levels([]), Status::OnTrack);
        assert_eq!(Status::of_levels([Level::Warning]), Status::IssuesDetected);
        assert_eq!(
            Status::of_levels([Level::Critical, Level::Warning]),
            Status::IssuesDetected
        );
        assert_eq!(
            Status::of_levels([Level::Warning, Level::Emergency]),
            Status::RollbackRequired
        );
    }

    #[test]
    fn rules_read_as_the_guide_writes_them() {
        let text: Vec<String> = default_rules().iter().map(Rule::describe).collect();
        assert_eq!(text[1], "P50 latency > 500 ms for 10 min");
        assert_eq!(text[6], "Error rate > 5 %");
        assert_eq!(text[7], "Cache hit rate < 95 % for 10 min");
    }

    /// The samples every minute of the window would give, computed the plain way: the reference
    /// the sparse sampling must agree with on every rule.
    fn dense_samples(store: &EventStore, window: Window) -> Vec<Sample> {
        let mut out = Vec::new();
        for k in minute_ceil(window.from)..minute_ceil(window.to) {
            let at = k * M;
            let mut times: Vec<f64> = store
                .rows_in(window.from, window.to)
                .filter(|&r| store.created_at[r] > at - SAMPLE_SPAN && store.created_at[r] <= at)
                .filter(|&r| store.kind(r) == EventType::RequestCompleted)
                .map(|r| store.processing_time_ms[r])
                .filter(|t| !t.is_nan())
                .collect();
            let value = if enough(times.len() as u64) {
                percentiles_cont(&mut times, &[0.5])[0]
            } else {
                None
            };
            out.push(Sample { at, value });
        }
        out
    }

    #[test]
    fn sparse_samples_fire_exactly_as_every_minute_would() {
        // Bursts of requests with gaps of minutes to hours between them, latencies around the
        // thresholds; a small linear congruential stream keeps it deterministic.
        let mut x: u64 = 12345;
        let mut next = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        let mut rows = Vec::new();
        let mut t = 3 * M + 17;
        for id in 0..3000 {
            t += if next(40) == 0 {
                next(300) as i64 * M
            } else {
                next(20_000_000) as i64
            };
            rows.push(request(id, t, 300.0 + next(300) as f64, true));
        }
        let s = store(rows);
        let window = Window {
            from: 0,
            to: t + 37 * M,
        };
        let sparse = sample(&s, window);
        let dense = dense_samples(&s, window);
        assert!(sparse.p50_latency.len() < dense.len());
        for rule in [
            rule(Comparator::Above, 400.0, None),
            rule(Comparator::Above, 450.0, Some(2)),
            rule(Comparator::Above, 420.0, Some(5)),
            rule(Comparator::Below, 430.0, Some(3)),
        ] {
            assert_eq!(
                evaluate_rule(&rule, &sparse.p50_latency),
                evaluate_rule(&rule, &dense),
                "{rule:?}"
            );
        }
    }

    #[test]
    fn samples_follow_the_rows_not_the_span() {
        // 25 slow requests at minute 10 and 25 more about 9.5 years later.
        let far = 5_000_000 * M;
        let mut rows: Vec<_> = (0..25).map(|i| request(i, 10 * M, 900.0, true)).collect();
        rows.extend((0..25).map(|i| request(100 + i, far, 900.0, true)));
        let s = store(rows);
        let window = Window {
            from: 0,
            to: far + 60 * M,
        };
        let samples = sample(&s, window);
        // Minutes 10-14, NoData at 15; the far minute and four more, NoData after; the last.
        assert_eq!(samples.p50_latency.len(), 13);
        let (alerts, state) =
            evaluate_rule(&rule(Comparator::Above, 400.0, None), &samples.p50_latency);
        let times: Vec<_> = alerts
            .iter()
            .map(|a| (from_datetime(a.since), a.until.map(from_datetime)))
            .collect();
        assert_eq!(times, [(10 * M, Some(15 * M)), (far, Some(far + 5 * M))]);
        assert_eq!(state, RuleState::NoData);
        // PostgreSQL's whole timestamptz range as the window: still a handful of samples.
        let whole = Window {
            from: -210_866_803_200_000_000,
            to: 8_210_235_340_799_999_999,
        };
        assert_eq!(sample(&s, whole).p50_latency.len(), 13);
    }

    #[test]
    fn a_rule_has_data_now_only_with_enough_events_at_the_window_end() {
        // `n` requests in the minute before `at`, the window ending at `end`.
        let check = |n: i64, end: Micros, expected: bool| {
            let at = 100 * M;
            let rows = (0..n)
                .map(|i| request(i, at - M + i, 100.0, true))
                .collect();
            let e = evaluate(&store(rows), Window::new(0, end), &default_rules());
            assert_eq!(e.any_rule_has_data_now(), expected, "{n} events, end {end}");
        };
        check(0, 101 * M, false);
        check(1, 101 * M, false);
        check(MIN_SAMPLE_EVENTS as i64 - 1, 101 * M, false);
        check(MIN_SAMPLE_EVENTS as i64, 101 * M, true);
        // The same events, the window ending long after them.
        check(MIN_SAMPLE_EVENTS as i64, 200 * M, false);
    }

    #[test]
    fn the_verdict_now_needs_events_and_a_rule_with_data_unless_an_alert_fires() {
        // `n` requests in the minute before `at` taking `ms` each, the window ending at `end`.
        let check = |n: i64, ms: f64, end: Micros, expected: VerdictNow| {
            let at = 100 * M;
            let rows = (0..n).map(|i| request(i, at - M + i, ms, true)).collect();
            let e = evaluate(&store(rows), Window::new(0, end), &default_rules());
            assert_eq!(
                e.verdict_now(n as u64),
                expected,
                "{n} events of {ms} ms, end {end}"
            );
        };
        let min = MIN_SAMPLE_EVENTS as i64;
        check(0, 100.0, 101 * M, VerdictNow::NoEvents);
        check(1, 100.0, 101 * M, VerdictNow::TooFewAtEnd);
        check(min - 1, 100.0, 101 * M, VerdictNow::TooFewAtEnd);
        check(min, 100.0, 101 * M, VerdictNow::Status(Status::OnTrack));
        check(min, 100.0, 200 * M, VerdictNow::TooFewAtEnd);
        // No rules at all: nothing to wait for, the status stands.
        let rows = (0..min)
            .map(|i| request(i, 99 * M + i, 100.0, true))
            .collect();
        let e = evaluate(&store(rows), Window::new(0, 200 * M), &[]);
        assert_eq!(
            e.verdict_now(min as u64),
            VerdictNow::Status(Status::OnTrack)
        );
    }
}
