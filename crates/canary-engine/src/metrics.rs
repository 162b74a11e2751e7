//! Every metric of docs/metrics.md#metrics over a window `[from, to)`, each equal to the guide's SQL on the same
//! rows: counts as `COUNT`, rates as `COUNT(..)::float / COUNT(*) * 100`, means as `AVG` (a plain
//! sum in row order over the count), percentiles as `percentile_cont`.
//! A rate, mean or percentile over zero rows is `None` (SQL null), never 0 or NaN.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::to_datetime;
use crate::event::{EventType, Micros, MICROS_PER_MINUTE};
use crate::percentile::percentiles_cont;
use crate::store::{EventStore, Sym, NULL_SYM};
use stdx::sort::sort_by;

/// Misses on one key inside one span of this length are a stampede candidate.
pub const STAMPEDE_SPAN: Micros = 15 * MICROS_PER_MINUTE;
/// More misses than this in one span is a stampede (the guide's `HAVING COUNT(*) > 10`).
pub const STAMPEDE_MIN_MISSES: u64 = 10;
/// Writes slower than this are "slow" (`processing_time_ms > 5000`).
pub const SLOW_WRITE_MS: f64 = 5000.0;
/// The error rate is also reported over the newest this many requests.
pub const LAST_REQUESTS: usize = 1000;

/// A half-open time window `[from, to)`, in microseconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    pub from: Micros,
    pub to: Micros,
}

impl Window {
    /// A window, or `None` when `to` is not after `from`.
    pub fn new(from: Micros, to: Micros) -> Option<Window> {
        (to > from).then_some(Window { from, to })
    }

    /// The window that holds every row of the store (`to` is one microsecond after the last).
    pub fn whole(store: &EventStore) -> Option<Window> {
        let (first, last) = store.time_span()?;
        Some(Window {
            from: first,
            to: last + 1,
        })
    }

    /// Length in microseconds.
    pub fn len(&self) -> Micros {
        self.to - self.from
    }

    /// Never true for a window built by [`Window::new`]; here for clippy's `len` convention.
    pub fn is_empty(&self) -> bool {
        self.to <= self.from
    }
}

/// `x::float / n * 100`, `None` over zero rows.
pub fn rate_pct(x: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| x as f64 / n as f64 * 100.0)
}

/// The window the metrics cover, and what was skipped or doubtful in it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowInfo {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub events: u64,
    /// `Some(e)` when the percentiles are estimates within the relative error `e` (from the
    /// rollups' histograms, `rollup::metrics_from_rollups`); `None` when they are exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentile_relative_error: Option<f64>,
    /// Messy data in the window: each line says what was seen and what was done with it.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub requests: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub mean_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndpointLatency {
    pub endpoint: Option<String>,
    pub requests: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorRate {
    pub requests: u64,
    pub failures: u64,
    pub error_rate_pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Errors {
    pub requests: u64,
    pub failures: u64,
    pub error_rate_pct: Option<f64>,
    /// The same over the newest [`LAST_REQUESTS`] requests of the window.
    pub last_1000_requests: ErrorRate,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorGroup {
    pub error_type: Option<String>,
    pub error_message: Option<String>,
    pub occurrences: u64,
    pub last_seen: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cache {
    pub accesses: u64,
    pub hits: u64,
    pub hit_rate_pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CachePrefix {
    pub resource_type: Option<String>,
    pub accesses: u64,
    pub hit_rate_pct: Option<f64>,
    pub avg_miss_time_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CacheStampede {
    pub cache_key: Option<String>,
    /// The most misses inside one 15-minute span.
    pub concurrent_misses: u64,
    pub first_miss: DateTime<Utc>,
    pub last_miss: DateTime<Utc>,
    pub duration_sec: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mem0 {
    pub total_writes: u64,
    pub success_rate_pct: Option<f64>,
    pub avg_write_time_ms: Option<f64>,
    pub max_write_time_ms: Option<f64>,
    pub slow_writes_over_5s: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mem0Failure {
    pub error_type: Option<String>,
    pub failures: u64,
    pub avg_time_ms: Option<f64>,
    pub last_failure: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakerTransition {
    pub state: Option<String>,
    pub failure_count: Option<i64>,
    pub success_count: Option<i64>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CircuitBreaker {
    /// The latest transition's state before the window's end; `closed` where there is none.
    pub current_state: String,
    /// Transitions inside the window, newest first.
    pub transitions: Vec<BreakerTransition>,
}

/// Every metric of docs/metrics.md#metrics for one window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    pub window: WindowInfo,
    pub latency: Latency,
    pub latency_by_endpoint: Vec<EndpointLatency>,
    pub errors: Errors,
    pub errors_by_type: Vec<ErrorGroup>,
    pub cache: Cache,
    pub cache_by_prefix: Vec<CachePrefix>,
    pub cache_stampedes: Vec<CacheStampede>,
    pub mem0: Mem0,
    pub mem0_failures_by_type: Vec<Mem0Failure>,
    pub circuit_breaker: CircuitBreaker,
}

/// Running `AVG` of `float8` as PostgreSQL's `float8_accum` keeps it: the sum in row order, the
/// count, and the Youngs–Cramer sum of squared differences, whose overflow PostgreSQL also
/// reports ("value out of range: overflow") for finite inputs. The values here are finite
/// (non-finite ones are stored as absent).
#[derive(Clone, Copy, Default, Debug)]
struct Avg {
    sum: f64,
    n: u64,
    sxx: f64,
    overflowed: bool,
}

impl Avg {
    fn add(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        let before = self.n as f64;
        self.n += 1;
        self.sum += v;
        if before > 0.0 && !self.overflowed {
            let n = self.n as f64;
            let tmp = v * n - self.sum;
            self.sxx += tmp * tmp / (n * before);
            self.overflowed = self.sum.is_infinite() || self.sxx.is_infinite();
        }
    }
    /// The mean; `None` over no values and where PostgreSQL would have stopped with an
    /// overflow (see [`Quality::mean`]).
    fn get(self) -> Option<f64> {
        (self.n > 0 && !self.overflowed).then(|| self.sum / self.n as f64)
    }
}

/// Data-quality counters of one window, turned into [`WindowInfo::notes`].
#[derive(Default)]
struct Quality {
    null_time: [u64; 7],
    non_finite_time: [u64; 7],
    negative_time: [u64; 7],
    null_success: [u64; 7],
    null_cache_hit: u64,
    bad_breaker_count: u64,
    /// Means whose sum of finite values overflowed `double precision`.
    overflowed: Vec<&'static str>,
}

impl Quality {
    /// The mean of `avg`, named `what` in the note when its sum overflows: PostgreSQL's `avg`
    /// and `sum` raise "value out of range: overflow" there; a report cannot stop, so the mean
    /// is left empty and the note says why.
    fn mean(&mut self, avg: Avg, what: &'static str) -> Option<f64> {
        if avg.overflowed && !self.overflowed.contains(&what) {
            self.overflowed.push(what);
        }
        avg.get()
    }

    fn time(&mut self, kind: EventType, store: &EventStore, row: usize, v: f64) {
        let k = kind as usize;
        if v.is_nan() {
            if store.processing_time_non_finite(row) {
                self.non_finite_time[k] += 1;
            } else {
                self.null_time[k] += 1;
            }
        } else if v < 0.0 {
            self.negative_time[k] += 1;
        }
    }

    fn notes(&self, store: &EventStore) -> Vec<String> {
        let mut notes = Vec::new();
        let metric_of = |k: EventType| match k {
            EventType::RequestCompleted => "latency",
            EventType::CacheAccess => "average miss time",
            EventType::Mem0Write => "write times",
            _ => "no metric",
        };
        for kind in [
            EventType::RequestCompleted,
            EventType::CacheAccess,
            EventType::Mem0Write,
        ] {
            let k = kind as usize;
            let name = kind.as_str();
            if self.null_time[k] > 0 {
                notes.push(format!(
                    "{} {name} rows without processing_time_ms skipped from {}",
                    self.null_time[k],
                    metric_of(kind)
                ));
            }
            if self.non_finite_time[k] > 0 {
                notes.push(format!(
                    "{} {name} rows with a NaN or infinite processing_time_ms skipped from {}",
                    self.non_finite_time[k],
                    metric_of(kind)
                ));
            }
            if self.negative_time[k] > 0 {
                notes.push(format!(
                    "{} {name} rows with a negative processing_time_ms (kept, as SQL keeps them)",
                    self.negative_time[k]
                ));
            }
        }
        for kind in [EventType::RequestCompleted, EventType::Mem0Write] {
            let n = self.null_success[kind as usize];
            if n > 0 {
                notes.push(format!(
                    "{n} {} rows without success: counted in totals, neither success nor failure",
                    kind.as_str()
                ));
            }
        }
        if self.null_cache_hit > 0 {
            notes.push(format!(
                "{} cache_access rows without cache_hit: counted as accesses, not as hits",
                self.null_cache_hit
            ));
        }
        if self.bad_breaker_count > 0 {
            notes.push(format!(
                "{} circuit breaker counts are not whole numbers: shown as empty",
                self.bad_breaker_count
            ));
        }
        for what in &self.overflowed {
            notes.push(format!(
                "{what}: the running sums of AVG exceed the double precision range \
                 (PostgreSQL stops with \"value out of range: overflow\"): left empty"
            ));
        }
        let load = store.load_notes();
        if let Some(note) = unknown_types_note(&load.unknown_event_types) {
            notes.push(note);
        }
        if load.duplicate_ids > 0 {
            let examples: Vec<String> = load
                .duplicate_id_examples
                .iter()
                .map(i64::to_string)
                .collect();
            notes.push(format!(
                "{} rows repeat an id already read (id {}{}): each id counted once, \
                 as the table's primary key allows",
                load.duplicate_ids,
                examples.join(", "),
                if load.duplicate_ids > examples.len() as u64 {
                    ", …"
                } else {
                    ""
                }
            ));
        }
        if load.canary_not_boolean > 0 {
            notes.push(format!(
                "{} rows whose details.canary is not true or false: treated as untagged",
                load.canary_not_boolean
            ));
        }
        notes
    }
}

/// How many unknown event types a note names before "and N more".
pub const UNKNOWN_TYPES_SHOWN: usize = 3;

/// One line for the rows of unknown event types: the most frequent few by name, then how many
/// more types (and rows) there are. `None` when there are none.
pub fn unknown_types_note(types: &[(String, u64)]) -> Option<String> {
    if types.is_empty() {
        return None;
    }
    let rows: u64 = types.iter().map(|(_, n)| n).sum();
    let mut top: Vec<&(String, u64)> = types.iter().collect();
    // Most rows first; ties by name (the list is sorted by name, and the sort is stable).
    sort_by(&mut top, |a, b| b.1.cmp(&a.1));
    let shown: Vec<String> = top
        .iter()
        .take(UNKNOWN_TYPES_SHOWN)
        .map(|(name, n)| format!("{name:?} ({n})"))
        .collect();
    let more = types.len().saturating_sub(UNKNOWN_TYPES_SHOWN);
    let tail = if more > 0 {
        let more_rows: u64 = top.iter().skip(UNKNOWN_TYPES_SHOWN).map(|(_, n)| n).sum();
        format!(
            " and {more} more type{} ({more_rows} rows)",
            if more == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    Some(format!(
        "{rows} rows of unknown event types ignored: {}{tail}",
        shown.join(", ")
    ))
}

/// Groups rows by one interned key, in first-seen order.
pub(crate) struct Groups<T> {
    /// Per symbol (null last), its position in `items` plus one; 0 for none yet. Symbols are
    /// dense small integers, so a vector is a perfect hash: this lookup runs for most rows, and
    /// hashing was a large share of the metrics' time.
    index: Vec<u32>,
    pub(crate) items: Vec<(Sym, T)>,
}

impl<T: Default> Groups<T> {
    pub(crate) fn new(store: &EventStore) -> Self {
        Groups {
            index: vec![0; store.symbol_count() + 1],
            items: Vec::new(),
        }
    }
    pub(crate) fn get(&mut self, key: Sym) -> &mut T {
        let slot = if key == NULL_SYM {
            self.index.len() - 1
        } else {
            key as usize
        };
        if self.index[slot] == 0 {
            self.items.push((key, T::default()));
            self.index[slot] = self.items.len() as u32;
        }
        &mut self.items[self.index[slot] as usize - 1].1
    }
}

#[derive(Default)]
struct EndpointAcc {
    requests: u64,
    times: Vec<f64>,
}

#[derive(Default)]
struct PrefixAcc {
    accesses: u64,
    hits: u64,
    miss_time: Avg,
}

#[derive(Default)]
struct Mem0FailureAcc {
    failures: u64,
    time: Avg,
    last_failure: Micros,
}

fn text(store: &EventStore, sym: Sym) -> Option<String> {
    store.text(sym).map(str::to_owned)
}

/// Order of group rows: the count descending, then the key ascending with nulls last (SQL leaves
/// ties unordered; a fixed order keeps reports stable).
fn by_count_then_key<K: Ord>(a: (u64, &Option<K>), b: (u64, &Option<K>)) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then_with(|| match (a.1, b.1) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    })
}

fn parse_count(store: &EventStore, sym: Sym, quality: &mut Quality) -> Option<i64> {
    let text = store.text(sym)?;
    let parsed = text.trim().parse::<i64>().ok();
    if parsed.is_none() {
        quality.bad_breaker_count += 1;
    }
    parsed
}

/// Computes every metric (docs/metrics.md#metrics) over `window` (`None`: the store is empty, all counts 0).
pub fn compute(store: &EventStore, window: Option<Window>) -> Metrics {
    let rows = match window {
        Some(w) => store.rows_in(w.from, w.to),
        None => 0..0,
    };
    let mut quality = Quality::default();

    let mut latency_times = Vec::new();
    let mut latency_avg = Avg::default();
    let mut requests = 0u64;
    let mut failures = 0u64;
    let mut endpoints: Groups<EndpointAcc> = Groups::new(store);
    let mut cache = Cache {
        accesses: 0,
        hits: 0,
        hit_rate_pct: None,
    };
    let mut prefixes: Groups<PrefixAcc> = Groups::new(store);
    let mut misses_by_key: Groups<Vec<Micros>> = Groups::new(store);
    let mut writes = 0u64;
    let mut write_successes = 0u64;
    let mut write_time = Avg::default();
    let mut write_max: Option<f64> = None;
    let mut slow_writes = 0u64;
    // (error_type, error_message, created_at) of each failed request, grouped after the pass.
    let mut failed: Vec<(Sym, Sym, Micros)> = Vec::new();
    let mut mem0_failures: Groups<Mem0FailureAcc> = Groups::new(store);

    for row in rows.clone() {
        let kind = store.kind(row);
        let t = store.processing_time_ms[row];
        let at = store.created_at[row];
        match kind {
            EventType::RequestCompleted => {
                requests += 1;
                quality.time(kind, store, row, t);
                let endpoint = endpoints.get(store.label[row]);
                endpoint.requests += 1;
                if !t.is_nan() {
                    latency_times.push(t);
                    latency_avg.add(t);
                    endpoint.times.push(t);
                }
                match store.success(row) {
                    Some(false) => {
                        failures += 1;
                        let (ty, msg) = store
                            .error_of(row)
                            .map_or((NULL_SYM, NULL_SYM), |e| (e.error_type, e.error_message));
                        failed.push((ty, msg, at));
                    }
                    Some(true) => {}
                    None => quality.null_success[kind as usize] += 1,
                }
            }
            EventType::CacheAccess => {
                quality.time(kind, store, row, t);
                cache.accesses += 1;
                let prefix = prefixes.get(store.label[row]);
                prefix.accesses += 1;
                match store.cache_hit(row) {
                    Some(true) => {
                        cache.hits += 1;
                        prefix.hits += 1;
                    }
                    Some(false) => prefix.miss_time.add(t),
                    None => quality.null_cache_hit += 1,
                }
            }
            EventType::CacheMiss => misses_by_key.get(store.cache_key[row]).push(at),
            EventType::Mem0Write => {
                quality.time(kind, store, row, t);
                writes += 1;
                write_time.add(t);
                if !t.is_nan() {
                    write_max = Some(write_max.map_or(t, |m: f64| m.max(t)));
                    if t > SLOW_WRITE_MS {
                        slow_writes += 1;
                    }
                }
                match store.success(row) {
                    Some(true) => write_successes += 1,
                    Some(false) => {
                        let ty = store.error_of(row).map_or(NULL_SYM, |e| e.error_type);
                        let acc = mem0_failures.get(ty);
                        acc.failures += 1;
                        acc.time.add(t);
                        acc.last_failure = at;
                    }
                    None => quality.null_success[kind as usize] += 1,
                }
            }
            EventType::CircuitBreakerStateChange
            | EventType::FeatureFlagsLoaded
            | EventType::Other => {}
        }
    }
    cache.hit_rate_pct = rate_pct(cache.hits, cache.accesses);

    let [p50_ms, p95_ms, p99_ms] = p50_95_99(&mut latency_times);
    let latency = Latency {
        requests,
        p50_ms,
        p95_ms,
        p99_ms,
        mean_ms: quality.mean(latency_avg, "latency mean_ms"),
    };

    let mut latency_by_endpoint: Vec<EndpointLatency> = endpoints
        .items
        .into_iter()
        .map(|(sym, mut acc)| {
            let [p50_ms, p95_ms, p99_ms] = p50_95_99(&mut acc.times);
            EndpointLatency {
                endpoint: text(store, sym),
                requests: acc.requests,
                p50_ms,
                p95_ms,
                p99_ms,
            }
        })
        .collect();
    sort_by(&mut latency_by_endpoint, |a, b| {
        by_count_then_key((a.requests, &a.endpoint), (b.requests, &b.endpoint))
    });

    let errors = Errors {
        requests,
        failures,
        error_rate_pct: rate_pct(failures, requests),
        last_1000_requests: last_requests_error_rate(store, rows.clone(), LAST_REQUESTS),
    };

    // Equal (type, message) pairs side by side, each group still in row (time) order, so its
    // last row is the one seen last. A sort rather than a hash map: one fewer map instance in
    // the bundle, and failures are few next to the rows.
    sort_by(&mut failed, |a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut errors_by_type: Vec<ErrorGroup> = failed
        .chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
        .map(|group| {
            let (ty, msg, last_seen) = group[group.len() - 1];
            ErrorGroup {
                error_type: text(store, ty),
                error_message: text(store, msg),
                occurrences: group.len() as u64,
                last_seen: to_datetime(last_seen),
            }
        })
        .collect();
    sort_by(&mut errors_by_type, |a, b| {
        by_count_then_key(
            (a.occurrences, &a.error_type),
            (b.occurrences, &b.error_type),
        )
        .then_with(|| by_count_then_key((0, &a.error_message), (0, &b.error_message)))
    });

    let mut cache_by_prefix: Vec<CachePrefix> = prefixes
        .items
        .into_iter()
        .map(|(sym, acc)| CachePrefix {
            resource_type: text(store, sym),
            accesses: acc.accesses,
            hit_rate_pct: rate_pct(acc.hits, acc.accesses),
            avg_miss_time_ms: quality.mean(acc.miss_time, "cache avg_miss_time_ms"),
        })
        .collect();
    sort_by(&mut cache_by_prefix, |a, b| {
        by_count_then_key(
            (a.accesses, &a.resource_type),
            (b.accesses, &b.resource_type),
        )
    });

    let mut cache_stampedes: Vec<CacheStampede> = misses_by_key
        .items
        .iter()
        .filter_map(|(sym, times)| {
            let span = densest_span(times, STAMPEDE_SPAN)?;
            (span.count > STAMPEDE_MIN_MISSES).then(|| CacheStampede {
                cache_key: text(store, *sym),
                concurrent_misses: span.count,
                first_miss: to_datetime(span.first),
                last_miss: to_datetime(span.last),
                duration_sec: (span.last - span.first) as f64 / 1e6,
            })
        })
        .collect();
    sort_by(&mut cache_stampedes, |a, b| {
        b.concurrent_misses
            .cmp(&a.concurrent_misses)
            .then(a.first_miss.cmp(&b.first_miss))
    });

    let mem0 = Mem0 {
        total_writes: writes,
        success_rate_pct: rate_pct(write_successes, writes),
        avg_write_time_ms: quality.mean(write_time, "mem0 avg_write_time_ms"),
        max_write_time_ms: write_max,
        slow_writes_over_5s: slow_writes,
    };
    let mut mem0_failures_by_type: Vec<Mem0Failure> = mem0_failures
        .items
        .into_iter()
        .map(|(sym, acc)| Mem0Failure {
            error_type: text(store, sym),
            failures: acc.failures,
            avg_time_ms: quality.mean(acc.time, "mem0 failures avg_time_ms"),
            last_failure: to_datetime(acc.last_failure),
        })
        .collect();
    sort_by(&mut mem0_failures_by_type, |a, b| {
        by_count_then_key((a.failures, &a.error_type), (b.failures, &b.error_type))
    });

    let circuit_breaker = circuit_breaker(store, rows.clone(), &mut quality);

    Metrics {
        window: WindowInfo {
            from: window.map(|w| to_datetime(w.from)),
            to: window.map(|w| to_datetime(w.to)),
            events: rows.len() as u64,
            percentile_relative_error: None,
            notes: quality.notes(store),
        },
        latency,
        latency_by_endpoint,
        errors,
        errors_by_type,
        cache,
        cache_by_prefix,
        cache_stampedes,
        mem0,
        mem0_failures_by_type,
        circuit_breaker,
    }
}

/// P50, P95 and P99 of `values` (reordered).
pub fn p50_95_99(values: &mut [f64]) -> [Option<f64>; 3] {
    let p = percentiles_cont(values, &[0.5, 0.95, 0.99]);
    [p[0], p[1], p[2]]
}

/// Error rate over the newest `n` requests in `rows` (rows are in time order).
fn last_requests_error_rate(
    store: &EventStore,
    rows: std::ops::Range<usize>,
    n: usize,
) -> ErrorRate {
    let mut requests = 0u64;
    let mut failures = 0u64;
    for row in rows.rev() {
        if requests as usize == n {
            break;
        }
        if store.kind(row) == EventType::RequestCompleted {
            requests += 1;
            if store.success(row) == Some(false) {
                failures += 1;
            }
        }
    }
    ErrorRate {
        requests,
        failures,
        error_rate_pct: rate_pct(failures, requests),
    }
}

/// The span of at most `span` (exclusive) holding the most of `times` (ascending).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DenseSpan {
    pub count: u64,
    pub first: Micros,
    pub last: Micros,
}

/// The earliest densest run of `times` (ascending) whose first and last are less than `span`
/// apart; `None` for no times.
pub fn densest_span(times: &[Micros], span: Micros) -> Option<DenseSpan> {
    let mut best: Option<DenseSpan> = None;
    let mut end = 0;
    for (start, &first) in times.iter().enumerate() {
        end = end.max(start);
        while end + 1 < times.len() && times[end + 1] - first < span {
            end += 1;
        }
        let count = (end - start + 1) as u64;
        if best.is_none_or(|b| count > b.count) {
            best = Some(DenseSpan {
                count,
                first,
                last: times[end],
            });
        }
    }
    best
}

fn circuit_breaker(
    store: &EventStore,
    rows: std::ops::Range<usize>,
    quality: &mut Quality,
) -> CircuitBreaker {
    // The state carries over from before the window: the newest transition before its end.
    let current_state = store
        .breaker_in(&(0..rows.end))
        .last()
        .and_then(|b| store.text(store.label[b.row as usize]))
        .unwrap_or("closed")
        .to_owned();
    let transitions = store
        .breaker_in(&rows)
        .iter()
        .rev()
        .map(|b| {
            let row = b.row as usize;
            BreakerTransition {
                state: text(store, store.label[row]),
                failure_count: parse_count(store, b.failure_count, quality),
                success_count: parse_count(store, b.success_count, quality),
                at: to_datetime(store.created_at[row]),
            }
        })
        .collect();
    CircuitBreaker {
        current_state,
        transitions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Details, EventRow, MICROS_PER_SECOND};
    use std::borrow::Cow;

    /// A compact row: (type, success, cache_hit, ms, cache_key, label, second).
    type Spec = (
        EventType,
        Option<bool>,
        Option<bool>,
        Option<f64>,
        Option<&'static str>,
        Option<&'static str>,
        i64,
    );

    fn store_of(specs: &[Spec]) -> EventStore {
        let rows = specs.iter().enumerate().map(|(i, s)| {
            let (kind, success, cache_hit, ms, key, label, second) = *s;
            let label = label.map(Cow::Borrowed);
            let details = match kind {
                EventType::RequestCompleted => Details {
                    endpoint: label,
                    error_type: (success == Some(false)).then_some(Cow::Borrowed("Timeout")),
                    ..Details::default()
                },
                EventType::CacheAccess | EventType::CacheMiss => Details {
                    cache_key_prefix: label,
                    ..Details::default()
                },
                EventType::Mem0Write => Details {
                    error_type: label,
                    ..Details::default()
                },
                _ => Details {
                    state: label,
                    failure_count: Some(Cow::Borrowed("3")),
                    success_count: Some(Cow::Borrowed("x")),
                    ..Details::default()
                },
            };
            EventRow {
                id: i as i64 + 1,
                event_type: kind,
                success,
                cache_hit,
                processing_time_ms: ms,
                cache_key: key.map(Cow::Borrowed),
                details,
                created_at: second * MICROS_PER_SECOND,
            }
        });
        let mut store = EventStore::new();
        store.extend(rows);
        store
    }

    /// Computes over the whole input (or the given seconds) and compares the selected outputs.
    fn check<T: std::fmt::Debug + PartialEq>(
        specs: &[Spec],
        window: Option<(i64, i64)>,
        pick: impl Fn(&Metrics) -> T,
        expected: T,
    ) {
        let store = store_of(specs);
        let window = match window {
            Some((a, b)) => Window::new(a * MICROS_PER_SECOND, b * MICROS_PER_SECOND),
            None => Window::whole(&store),
        };
        let m = compute(&store, window);
        assert_eq!(pick(&m), expected, "{} rows", specs.len());
    }

    const REQ: EventType = EventType::RequestCompleted;
    const ACCESS: EventType = EventType::CacheAccess;
    const MISS: EventType = EventType::CacheMiss;
    const WRITE: EventType = EventType::Mem0Write;
    const BREAKER: EventType = EventType::CircuitBreakerStateChange;

    fn req(ms: Option<f64>, ok: bool, endpoint: &'static str, s: i64) -> Spec {
        (REQ, Some(ok), None, ms, None, Some(endpoint), s)
    }

    fn latency(m: &Metrics) -> (u64, Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
        let l = &m.latency;
        (l.requests, l.p50_ms, l.p95_ms, l.p99_ms, l.mean_ms)
    }

    #[test]
    fn latency_table() {
        check(&[], None, latency, (0, None, None, None, None));
        check(
            &[req(Some(120.0), true, "/a", 0)],
            None,
            latency,
            (1, Some(120.0), Some(120.0), Some(120.0), Some(120.0)),
        );
        // Ties, and a null latency that counts as a request but not as a sample.
        check(
            &[
                req(Some(5.0), true, "/a", 0),
                req(Some(5.0), true, "/a", 1),
                req(None, true, "/a", 2),
                req(Some(5.0), true, "/a", 3),
            ],
            None,
            latency,
            (4, Some(5.0), Some(5.0), Some(5.0), Some(5.0)),
        );
        // NaN is skipped; negative values are kept, as PostgreSQL keeps them.
        check(
            &[
                req(Some(f64::NAN), true, "/a", 0),
                req(Some(-10.0), true, "/a", 1),
                req(Some(10.0), true, "/a", 2),
            ],
            None,
            latency,
            (3, Some(0.0), Some(9.0), Some(9.8), Some(0.0)),
        );
        // The window is half-open: a row exactly at `to` is outside.
        check(
            &[
                req(Some(1.0), true, "/a", 0),
                req(Some(3.0), true, "/a", 10),
            ],
            Some((0, 10)),
            latency,
            (1, Some(1.0), Some(1.0), Some(1.0), Some(1.0)),
        );
    }

    #[test]
    fn notes_report_what_was_skipped() {
        check(
            &[
                req(Some(f64::NAN), true, "/a", 0),
                req(None, true, "/a", 1),
                req(None, true, "/a", 2),
                req(Some(-1.0), true, "/a", 3),
                (ACCESS, None, None, None, Some("k"), Some("p"), 4),
            ],
            None,
            |m| m.window.notes.clone(),
            vec![
                "2 request_completed rows without processing_time_ms skipped from latency"
                    .to_owned(),
                "1 request_completed rows with a NaN or infinite processing_time_ms skipped from latency"
                    .to_owned(),
                "1 request_completed rows with a negative processing_time_ms (kept, as SQL keeps them)"
                    .to_owned(),
                "1 cache_access rows without processing_time_ms skipped from average miss time"
                    .to_owned(),
                "1 cache_access rows without cache_hit: counted as accesses, not as hits".to_owned(),
            ],
        );
    }

    #[test]
    fn endpoints_sorted_by_requests_then_name_with_null_last() {
        check(
            &[
                req(Some(1.0), true, "/b", 0),
                req(Some(2.0), true, "/a", 1),
                (REQ, Some(true), None, Some(3.0), None, None, 2),
                req(Some(4.0), true, "/c", 3),
                req(Some(6.0), true, "/c", 4),
            ],
            None,
            |m| {
                m.latency_by_endpoint
                    .iter()
                    .map(|e| (e.endpoint.clone(), e.requests, e.p50_ms))
                    .collect::<Vec<_>>()
            },
            vec![
                (Some("/c".to_owned()), 2, Some(5.0)),
                (Some("/a".to_owned()), 1, Some(2.0)),
                (Some("/b".to_owned()), 1, Some(1.0)),
                (None, 1, Some(3.0)),
            ],
        );
    }

    #[test]
    fn error_rates_and_breakdown() {
        let mut specs: Vec<Spec> = (0..1100)
            .map(|i| req(Some(1.0), i < 100 || i % 100 != 0, "/a", i))
            .collect();
        specs.push((REQ, None, None, Some(1.0), None, Some("/a"), 2000));
        check(
            &specs,
            None,
            |m| {
                (
                    m.errors.requests,
                    m.errors.failures,
                    m.errors.error_rate_pct,
                    m.errors.last_1000_requests.clone(),
                    m.errors_by_type.len(),
                    m.errors_by_type[0].occurrences,
                    m.errors_by_type[0].last_seen,
                )
            },
            (
                1101,
                10,
                Some(10.0 / 1101.0 * 100.0),
                // The newest 1000: the null-success row and rows 101..=1099 (9 failures).
                ErrorRate {
                    requests: 1000,
                    failures: 9,
                    error_rate_pct: rate_pct(9, 1000),
                },
                1,
                10,
                to_datetime(1000 * MICROS_PER_SECOND),
            ),
        );
        check(
            &[],
            None,
            |m| m.errors.last_1000_requests.error_rate_pct,
            None,
        );
    }

    #[test]
    fn cache_rates_by_prefix() {
        check(
            &[
                (
                    ACCESS,
                    None,
                    Some(true),
                    Some(1.0),
                    Some("k1"),
                    Some("patient"),
                    0,
                ),
                (
                    ACCESS,
                    None,
                    Some(false),
                    Some(30.0),
                    Some("k1"),
                    Some("patient"),
                    1,
                ),
                (
                    ACCESS,
                    None,
                    Some(false),
                    None,
                    Some("k2"),
                    Some("patient"),
                    2,
                ),
                (
                    ACCESS,
                    None,
                    Some(true),
                    Some(2.0),
                    Some("k3"),
                    Some("clinic"),
                    3,
                ),
            ],
            None,
            |m| {
                (
                    m.cache.clone(),
                    m.cache_by_prefix
                        .iter()
                        .map(|p| (p.accesses, p.hit_rate_pct, p.avg_miss_time_ms))
                        .collect::<Vec<_>>(),
                )
            },
            (
                Cache {
                    accesses: 4,
                    hits: 2,
                    hit_rate_pct: Some(50.0),
                },
                vec![
                    (3, Some(1.0 / 3.0 * 100.0), Some(30.0)),
                    (1, Some(100.0), None),
                ],
            ),
        );
    }

    fn misses(key: &'static str, seconds: impl IntoIterator<Item = i64>) -> Vec<Spec> {
        seconds
            .into_iter()
            .map(|s| (MISS, None, Some(false), Some(1.0), Some(key), Some("p"), s))
            .collect()
    }

    fn stampedes(m: &Metrics) -> Vec<(Option<String>, u64, f64)> {
        m.cache_stampedes
            .iter()
            .map(|s| (s.cache_key.clone(), s.concurrent_misses, s.duration_sec))
            .collect()
    }

    #[test]
    fn stampede_table() {
        // Exactly 10 misses is not more than 10.
        check(&misses("a", 0..10), None, stampedes, vec![]);
        check(
            &misses("a", 0..11),
            None,
            stampedes,
            vec![(Some("a".into()), 11, 10.0)],
        );
        // 11 misses spread over exactly 15 minutes do not fit one span; 899 s apart they do.
        let spread: Vec<i64> = (0..11).map(|i| i * 90).collect();
        check(&misses("a", spread), None, stampedes, vec![]);
        let mut tight: Vec<i64> = (0..10).map(|i| i * 89).collect();
        tight.push(899);
        check(
            &misses("a", tight),
            None,
            stampedes,
            vec![(Some("a".into()), 11, 899.0)],
        );
        // The densest span counts, not the window's total: "a" has 17 misses in the window but
        // at most 9 inside any 15 minutes; "b" has 15 within 28 s.
        let mut specs = misses("a", (0..12).map(|i| i * 100));
        specs.extend(misses("b", (2000..2015).map(|i| i * 2)));
        specs.extend(misses("a", 5000..5005));
        specs.sort_by_key(|s| s.6);
        check(&specs, None, stampedes, vec![(Some("b".into()), 15, 28.0)]);
    }

    #[test]
    fn mem0_table() {
        check(
            &[
                (WRITE, Some(true), None, Some(5000.0), None, None, 0),
                (WRITE, Some(true), None, Some(5000.5), None, None, 1),
                (
                    WRITE,
                    Some(false),
                    None,
                    Some(100.0),
                    None,
                    Some("Mem0Timeout"),
                    2,
                ),
                (WRITE, Some(false), None, None, None, Some("Mem0Timeout"), 3),
                (WRITE, None, None, Some(-4.0), None, None, 4),
            ],
            None,
            |m| {
                (
                    m.mem0.clone(),
                    m.mem0_failures_by_type
                        .iter()
                        .map(|f| {
                            (
                                f.error_type.clone(),
                                f.failures,
                                f.avg_time_ms,
                                f.last_failure,
                            )
                        })
                        .collect::<Vec<_>>(),
                )
            },
            (
                Mem0 {
                    total_writes: 5,
                    success_rate_pct: Some(40.0),
                    avg_write_time_ms: Some((5000.0 + 5000.5 + 100.0 - 4.0) / 4.0),
                    max_write_time_ms: Some(5000.5),
                    slow_writes_over_5s: 1,
                },
                vec![(
                    Some("Mem0Timeout".to_owned()),
                    2,
                    Some(100.0),
                    to_datetime(3 * MICROS_PER_SECOND),
                )],
            ),
        );
        check(&[], None, |m| m.mem0.success_rate_pct, None);
    }

    #[test]
    fn breaker_state_carries_into_the_window() {
        let specs = [
            (BREAKER, None, None, None, None, Some("open"), 0),
            (BREAKER, None, None, None, None, Some("half_open"), 10),
            req(Some(1.0), true, "/a", 20),
        ];
        let state = |m: &Metrics| {
            (
                m.circuit_breaker.current_state.clone(),
                m.circuit_breaker
                    .transitions
                    .iter()
                    .map(|t| (t.state.clone(), t.failure_count, t.success_count))
                    .collect::<Vec<_>>(),
            )
        };
        check(&specs, Some((20, 30)), state, ("half_open".into(), vec![]));
        check(
            &specs,
            Some((5, 30)),
            state,
            (
                "half_open".into(),
                vec![(Some("half_open".into()), Some(3), None)],
            ),
        );
        check(
            &specs,
            Some((0, 5)),
            state,
            ("open".into(), vec![(Some("open".into()), Some(3), None)]),
        );
        check(&[], None, state, ("closed".into(), vec![]));
    }

    #[test]
    fn densest_span_table() {
        let m = MICROS_PER_MINUTE;
        assert_eq!(densest_span(&[], 15 * m), None);
        assert_eq!(
            densest_span(&[5], 15 * m),
            Some(DenseSpan {
                count: 1,
                first: 5,
                last: 5
            })
        );
        assert_eq!(
            densest_span(&[0, 15 * m, 15 * m, 16 * m], 15 * m),
            Some(DenseSpan {
                count: 3,
                first: 15 * m,
                last: 16 * m
            })
        );
    }

    #[test]
    fn overflowing_means_are_empty_and_noted() {
        // (latencies, mean expected, whether a note is expected)
        let cases: [(&[f64], Option<f64>, bool); 4] = [
            (&[1e308, 1e308], None, true),
            // The sum fits, but PostgreSQL's sum of squared differences does not.
            (&[1e200, -1e200], None, true),
            (&[1e150, 3e150], Some(2e150), false),
            (&[f64::MAX], Some(f64::MAX), false),
        ];
        for (values, mean, noted) in cases {
            let mut store = EventStore::new();
            store.extend(values.iter().enumerate().map(|(i, &v)| EventRow {
                id: i as i64,
                event_type: EventType::RequestCompleted,
                success: Some(true),
                cache_hit: None,
                processing_time_ms: Some(v),
                cache_key: None,
                details: Details::default(),
                created_at: i as i64,
            }));
            let m = compute(&store, Window::whole(&store));
            assert_eq!(m.latency.mean_ms, mean, "{values:?}");
            let note = m
                .window
                .notes
                .iter()
                .any(|n| n.contains("value out of range: overflow"));
            assert_eq!(note, noted, "{values:?}: {:?}", m.window.notes);
        }
    }

    #[test]
    fn unknown_types_are_summarised() {
        let check = |types: &[(&str, u64)], expected: Option<&str>| {
            let owned: Vec<(String, u64)> =
                types.iter().map(|(t, n)| (t.to_string(), *n)).collect();
            assert_eq!(unknown_types_note(&owned).as_deref(), expected);
        };
        check(&[], None);
        check(
            &[("x", 2)],
            Some("2 rows of unknown event types ignored: \"x\" (2)"),
        );
        check(
            &[("a", 1), ("b", 5), ("c", 5), ("d", 2), ("e", 1)],
            Some(
                "14 rows of unknown event types ignored: \"b\" (5), \"c\" (5), \"d\" (2) \
                 and 2 more types (2 rows)",
            ),
        );
    }
}
