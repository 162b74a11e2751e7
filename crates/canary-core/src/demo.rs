//! The embedded demo data set: 24 hours of a Phase 1 canary (10 % of traffic) as rows of
//! `observability_events`, generated from a [`DemoConfig`].
//!
//! The day is ordinary traffic (six endpoints with their own latency profiles, a diurnal shape,
//! ~0.35 % failures, ~97 % cache hits, ~15 mem0 writes a minute), a handful of messy rows
//! ([`MESSY_NULL_LATENCY_AT`] and friends), and the config's [`Incident`]s: shapes with
//! parameters (a latency rise, an error burst, a cache miss surge, a key stampede, mem0 write
//! failures, a circuit breaker cycle) placed at offsets from the start. The default day has the
//! four designed incidents of [`INCIDENTS`] (five shapes: its cache stampede sits inside a cache
//! miss surge), named by constants so tests and docs can point at them; [`DemoConfig::calm`] has
//! none, for scenarios that add their own.
//!
//! Determinism: the same [`DemoConfig`] gives bit-identical rows on every target, natively and in
//! WebAssembly. So the generator uses only IEEE-exact operations (`+ − × ÷`, `sqrt`, `floor`,
//! `round`, integer arithmetic) and its own PRNG: no `ln`/`exp`/`sin`/`powf`, whose libm results
//! differ across platforms. Skewed distributions are inverse CDFs interpolated linearly between
//! quantile knots; the day's shape is a piecewise-linear table. [`fingerprint`] hashes the rows
//! so any target can check it produces the pinned data.
//!
//! Pure: no clock, no I/O. Rows come out in time order with ids 1, 2, 3, …, so pushing them into
//! an [`EventStore`] needs no re-sort.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::event::{
    Details, EventRow, EventType, Micros, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND,
};
use crate::metrics::Window;
use crate::store::EventStore;
use stdx::rand::{mix, SplitMix64};

const S: Micros = MICROS_PER_SECOND;
const M: Micros = MICROS_PER_MINUTE;
const H: Micros = MICROS_PER_HOUR;
const DAY: Micros = 24 * H;

/// 2025-10-16 18:35:00 UTC: the guide's Phase 1 start.
pub const PHASE1_START: Micros = 1_760_639_700 * S;

/// The default seed: the Phase 1 start date, 2025-10-16.
pub const DEFAULT_SEED: u64 = 20251016;

/// The `feature_flags_loaded` payload: the guide's Phase 1 configuration.
pub const FEATURE_FLAGS_JSON: &str = r#"{"FAST_PATH_ENABLED":true,"CANARY_SAMPLE_RATE":0.1,"MEM0_READS_ENABLED":true,"MEM0_SHADOW_MODE":false}"#;

/// Offset of the `feature_flags_loaded` row, the first row of the data set.
pub const FLAGS_LOADED_AT: Micros = 175_522;

/// Share of tagged requests served by the canary path (`CANARY_SAMPLE_RATE`).
pub const CANARY_SHARE: f64 = 0.1;

/// Share of requests failing outside incidents (on every endpoint but `/health`).
pub const BASELINE_FAILURE_RATE: f64 = 0.0035;

/// Something that goes wrong in a demo data set. `at` is an offset from [`DemoConfig::start`];
/// an incident (or the part of one) past the configured duration does not happen. Several
/// incidents may overlap: latency factors and cache miss factors multiply, burst failure rates
/// add.
#[derive(Clone, Debug, PartialEq)]
pub enum Incident {
    /// Every endpoint but `/health` gets `factor` × slower for `minutes`, with 1-minute linear
    /// ramps at both ends (so the plateau is `minutes − 2` long). Failed requests keep their own
    /// latencies (a timeout takes its timeout).
    Latency {
        at: Micros,
        minutes: u32,
        factor: f64,
    },
    /// A Supabase outage: a further `failure_rate` of requests (every endpoint but `/health`)
    /// fail with `SupabaseAPIError` for `minutes`, with 1-minute ramps at both ends.
    ErrorBurst {
        at: Micros,
        minutes: u32,
        failure_rate: f64,
    },
    /// Redis under load: every cache prefix misses `factor` × as often for `minutes` (a step, no
    /// ramps).
    CacheMissSurge {
        at: Micros,
        minutes: u32,
        factor: f64,
    },
    /// A popular key expires and `misses` lookups of `key` miss on it, evenly spread over
    /// `seconds` from `at` with jitter, all inside the span (each a `cache_access` miss plus its
    /// `cache_miss` row). Its rows come from a separate random stream: adding one does not
    /// change the other rows.
    Stampede {
        at: Micros,
        key: Cow<'static, str>,
        misses: u32,
        seconds: u32,
    },
    /// mem0 fails a steady `failure_rate` of writes (`Mem0APIError`, rate limits, timeouts) for
    /// `minutes` (a step, no ramps), at a mean of `writes_per_minute` writes a minute instead of
    /// the configured rate (a busy hour: a rate check needs enough writes to be sharp).
    Mem0Failures {
        at: Micros,
        minutes: u32,
        failure_rate: f64,
        writes_per_minute: f64,
    },
    /// mem0 degrades and the circuit breaker cycles: write failures rise linearly from the
    /// baseline at `at` to 35 %, every write fails for the last 45 s before the breaker opens
    /// (`opens_after` after `at`; the consecutive failures that trip it); open for `open_for`,
    /// writes are skipped (`CircuitBreakerOpenError`); half-open for `half_open_for`, trial
    /// writes succeed; then closed. The three transitions are `circuit_breaker_state_change`
    /// rows whose counts come from the writes before them.
    BreakerCycle {
        at: Micros,
        opens_after: Micros,
        open_for: Micros,
        half_open_for: Micros,
    },
}

impl Incident {
    /// What happens, for people.
    pub fn name(&self) -> &'static str {
        match self {
            Incident::Latency { .. } => "latency incident",
            Incident::ErrorBurst { .. } => "error burst",
            Incident::CacheMissSurge { .. } => "cache miss surge",
            Incident::Stampede { .. } => "cache stampede",
            Incident::Mem0Failures { .. } => "mem0 write failures",
            Incident::BreakerCycle { .. } => "circuit breaker cycle",
        }
    }

    /// The offsets `[from, to)` the incident affects; for a breaker cycle, from the first
    /// degraded write to just after the closed transition.
    pub fn span(&self) -> (Micros, Micros) {
        match *self {
            Incident::Latency { at, minutes, .. }
            | Incident::ErrorBurst { at, minutes, .. }
            | Incident::CacheMissSurge { at, minutes, .. }
            | Incident::Mem0Failures { at, minutes, .. } => (at, at + Micros::from(minutes) * M),
            Incident::Stampede { at, seconds, .. } => (at, at + Micros::from(seconds) * S),
            Incident::BreakerCycle { at, .. } => {
                let times = self.breaker_times().unwrap_or_default();
                (at, times.closed + 1)
            }
        }
    }

    /// The incident as an absolute time window of a data set starting at `start`.
    pub fn window(&self, start: Micros) -> Window {
        let (from, to) = self.span();
        Window {
            from: start + from,
            to: start + to,
        }
    }

    /// The offsets of a breaker cycle's phases; `None` for other incidents.
    fn breaker_times(&self) -> Option<BreakerTimes> {
        let Incident::BreakerCycle {
            at,
            opens_after,
            open_for,
            half_open_for,
        } = *self
        else {
            return None;
        };
        let open = at + opens_after.max(0);
        let half_open = open + open_for.max(0);
        Some(BreakerTimes {
            degrade: at,
            // Never before the degradation starts, however short the lead-up.
            down: (open - MEM0_DOWN_BEFORE_OPEN).max(at),
            open,
            half_open,
            closed: half_open + half_open_for.max(0),
        })
    }
}

/// The phases of a breaker cycle as offsets: degrading from `degrade`, down from `down`, then
/// open, half-open and closed at the transitions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct BreakerTimes {
    degrade: Micros,
    down: Micros,
    open: Micros,
    half_open: Micros,
    closed: Micros,
}

// The default day's incidents, kept as constants so tests and docs can point at them.

/// Latencies of every endpoint but `/health` rise to [`LATENCY_INCIDENT_FACTOR`] × normal for
/// 18 minutes (1-minute ramps at both ends): P50 goes from ~220 ms to ~590 ms, P95 from ~600 to
/// ~1700 ms.
pub const LATENCY_INCIDENT: Incident = Incident::Latency {
    at: 7 * H + 4 * M,
    minutes: 18,
    factor: LATENCY_INCIDENT_FACTOR,
};
/// How much slower requests are at the latency incident's peak.
pub const LATENCY_INCIDENT_FACTOR: f64 = 2.7;

/// Redis under the stampede's load: for 15 minutes around the [`CACHE_STAMPEDE`] every prefix
/// misses [`STAMPEDE_MISS_FACTOR`] × as often; with the stampede's own misses the hit rate is
/// ~83 % over the 15 minutes, ~71 % at worst over a trailing 5 minutes.
pub const CACHE_MISS_SURGE: Incident = Incident::CacheMissSurge {
    at: 10 * H + 10 * M,
    minutes: 15,
    factor: STAMPEDE_MISS_FACTOR,
};
/// Miss rates are this many times higher during the [`CACHE_MISS_SURGE`].
pub const STAMPEDE_MISS_FACTOR: f64 = 3.5;

/// A popular key ([`STAMPEDE_KEY`]) expires and [`STAMPEDE_MISSES`] requests miss on it within
/// 90 s from [`STAMPEDE_BURST_AT`], inside the [`CACHE_MISS_SURGE`].
pub const CACHE_STAMPEDE: Incident = Incident::Stampede {
    at: STAMPEDE_BURST_AT,
    key: Cow::Borrowed(STAMPEDE_KEY),
    misses: STAMPEDE_MISSES as u32,
    seconds: 90,
};
/// The key of the stampede.
pub const STAMPEDE_KEY: &str = "clinic:12:availability";
/// Offset of the stampede's first miss; the last comes less than 90 s later.
pub const STAMPEDE_BURST_AT: Micros = 10 * H + 13 * M + 20 * S;
/// Misses on [`STAMPEDE_KEY`] in the burst (each a `cache_access` miss plus a `cache_miss`).
pub const STAMPEDE_MISSES: usize = 40;

/// A 20-minute Supabase outage: ~[`ERROR_BURST_RATE`] of requests fail with `SupabaseAPIError`
/// (60-second ramps at both ends).
pub const ERROR_BURST: Incident = Incident::ErrorBurst {
    at: 13 * H + 8 * M,
    minutes: 20,
    failure_rate: ERROR_BURST_RATE,
};
/// Share of requests failing at the error burst's peak.
pub const ERROR_BURST_RATE: f64 = 0.09;

/// mem0 degrades from 16:20 into the day: write failures rise, every write fails in the last
/// 45 s before [`BREAKER_OPEN_AT`]; open, writes are skipped (`CircuitBreakerOpenError`);
/// half-open from [`BREAKER_HALF_OPEN_AT`], trial writes succeed; closed at
/// [`BREAKER_CLOSED_AT`].
pub const CIRCUIT_BREAKER: Incident = Incident::BreakerCycle {
    at: BREAKER_DEGRADES_AT,
    opens_after: BREAKER_OPEN_AT - BREAKER_DEGRADES_AT,
    open_for: BREAKER_HALF_OPEN_AT - BREAKER_OPEN_AT,
    half_open_for: BREAKER_CLOSED_AT - BREAKER_HALF_OPEN_AT,
};
/// Offset where mem0 starts degrading before the breaker opens.
pub const BREAKER_DEGRADES_AT: Micros = 16 * H + 20 * M;
/// Offset of the breaker's closed → open transition.
pub const BREAKER_OPEN_AT: Micros = 16 * H + 26 * M + 12 * S + 418_207;
/// Offset of the open → half_open transition (the breaker's 60-second reset timeout).
pub const BREAKER_HALF_OPEN_AT: Micros = BREAKER_OPEN_AT + 60 * S + 1_503;
/// Offset of the half_open → closed transition.
pub const BREAKER_CLOSED_AT: Micros = BREAKER_HALF_OPEN_AT + 38 * S + 770_114;

/// The default day's incidents, in time order: four designed incidents, the cache stampede
/// being two shapes (the key's burst inside a surge of misses on every prefix).
pub const INCIDENTS: [Incident; 5] = [
    LATENCY_INCIDENT,
    CACHE_MISS_SURGE,
    CACHE_STAMPEDE,
    ERROR_BURST,
    CIRCUIT_BREAKER,
];

/// Offsets of the two `request_completed` rows with a null `processing_time_ms`.
pub const MESSY_NULL_LATENCY_AT: [Micros; 2] = [
    2 * H + 14 * M + 7 * S + 512_093,
    19 * H + 3 * M + 41 * S + 90_417,
];
/// Offset of the `request_completed` row whose `processing_time_ms` is NaN.
pub const MESSY_NAN_LATENCY_AT: Micros = 11 * H + 38 * M + 22 * S + 204_660;
/// Offset of the `cache_access` row with a null `cache_hit`.
pub const MESSY_NULL_CACHE_HIT_AT: Micros = 5 * H + 51 * M + 9 * S + 777_031;

/// What to generate. [`DemoConfig::default`] is the embedded data set (~211,000 rows): the
/// ordinary day from [`DEFAULT_SEED`] with the incidents of [`INCIDENTS`].
#[derive(Clone, Debug, PartialEq)]
pub struct DemoConfig {
    /// Seed of the pseudo-random stream: the same config gives the same rows on every target.
    pub seed: u64,
    /// Time of the first minute (the incidents' offsets count from here).
    pub start: Micros,
    /// Length of the data set.
    pub duration: Micros,
    /// Mean `request_completed` rows per minute over a day (the diurnal shape varies it ~3×).
    pub requests_per_minute: f64,
    /// Mean `cache_access` rows per request (misses add a `cache_miss` row each).
    pub cache_lookups_per_request: f64,
    /// Mean `mem0_write` rows per minute over a day.
    pub mem0_writes_per_minute: f64,
    /// What goes wrong, and when; empty for a calm day of ordinary noise.
    pub incidents: Vec<Incident>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: DEFAULT_SEED,
            start: PHASE1_START,
            duration: DAY,
            requests_per_minute: 65.0,
            cache_lookups_per_request: 1.0,
            mem0_writes_per_minute: 15.0,
            incidents: INCIDENTS.to_vec(),
        }
    }
}

impl DemoConfig {
    /// The default day without incidents: the same ordinary traffic, noise and messy rows, from
    /// `seed`. Add incidents to build a scenario:
    /// `DemoConfig { incidents: vec![…], ..DemoConfig::calm(7) }`.
    pub fn calm(seed: u64) -> DemoConfig {
        DemoConfig {
            seed,
            incidents: Vec::new(),
            ..DemoConfig::default()
        }
    }

    /// The default day with every rate scaled so it holds at least `events` rows (about 1 %
    /// more), for benchmarks: `DemoConfig::with_events(1_000_000)`.
    pub fn with_events(events: usize) -> DemoConfig {
        let base = DemoConfig::default();
        // The margin covers the random spread of the total (σ ≈ √n, 0.1 % at 1M).
        let scale = events as f64 * 1.01 / base.expected_events();
        DemoConfig {
            requests_per_minute: base.requests_per_minute * scale,
            mem0_writes_per_minute: base.mem0_writes_per_minute * scale,
            ..base
        }
    }

    /// The end of the data set (exclusive).
    pub fn end(&self) -> Micros {
        self.start + self.duration.max(0)
    }

    /// The mean number of rows the random streams give (the few scheduled rows aside).
    pub fn expected_events(&self) -> f64 {
        let norm = diurnal_norm();
        let plan = Plan::new(&self.incidents);
        let per_request = 1.0 + self.cache_lookups_per_request * (1.0 + mean_miss_rate());
        let mut total = 0.0;
        for slot in 0..slot_count(self.duration) {
            let (from, to) = slot_bounds(self, slot);
            let middle = from + (to - from) / 2;
            let weight = diurnal(middle, norm) * slot_fraction(from, to);
            total += match plan.mem0_writes_per_minute(middle - self.start) {
                None => {
                    weight * (self.requests_per_minute * per_request + self.mem0_writes_per_minute)
                }
                Some(writes) => {
                    weight * self.requests_per_minute * per_request
                        + writes * slot_fraction(from, to)
                }
            };
        }
        total
    }
}

/// Generates the data set into a new store.
pub fn generate(config: &DemoConfig) -> EventStore {
    let mut store = EventStore::new();
    let mut generator = Generator::new(config);
    // One buffer for every cache key: the store interns the text, so keys cost no allocation.
    let mut key = String::new();
    {
        let mut batch = store.batch();
        while let Some((id, event)) = generator.next_event() {
            let cache_key = event.ev.key().map(|k| {
                key.clear();
                k.write(&mut key, &generator.plan.keys);
                Cow::Borrowed(key.as_str())
            });
            batch.push(&to_row(id, &event, cache_key));
        }
    }
    store.shrink_to_fit();
    store
}

/// The same rows as [`generate`], one at a time with owned cache keys (for a CSV or JSON writer).
pub fn rows(config: &DemoConfig) -> Rows {
    Rows {
        generator: Generator::new(config),
    }
}

/// Iterator over the demo rows in id (and time) order; see [`rows`].
pub struct Rows {
    generator: Generator,
}

impl Iterator for Rows {
    type Item = EventRow<'static>;

    fn next(&mut self) -> Option<EventRow<'static>> {
        let (id, event) = self.generator.next_event()?;
        let cache_key = event.ev.key().map(|k| {
            let mut key = String::with_capacity(24);
            k.write(&mut key, &self.generator.plan.keys);
            Cow::Owned(key)
        });
        Some(to_row(id, &event, cache_key))
    }
}

/// A 64-bit FNV-1a hash of every field of every row: equal on every target for the same config
/// (pin it in a test to prove a WebAssembly build generates the same data).
pub fn fingerprint(config: &DemoConfig) -> u64 {
    let mut hash = Fnv::new();
    for row in rows(config) {
        hash.row(&row);
    }
    hash.0
}

// ---------------------------------------------------------------------------------------------
// The model: tables of the day's shape, endpoints, errors and cache keys.

/// Relative traffic by UTC hour (the backend serves US East clinics: quiet 04–08 UTC, busiest
/// 14–18 UTC). Interpolated linearly between hours and normalised to a mean of 1.
const DIURNAL: [f64; 24] = [
    0.95, 0.80, 0.66, 0.56, 0.50, 0.46, 0.45, 0.47, 0.53, 0.64, 0.80, 0.98, 1.16, 1.32, 1.45, 1.52,
    1.53, 1.50, 1.44, 1.38, 1.32, 1.24, 1.15, 1.05,
];

/// Busier hours are a little slower: latency × (1 + this × (shape − 1)).
const LOAD_LATENCY_SLOPE: f64 = 0.06;

/// Quantile knots `(q, value)` of an inverse CDF, q from 0 to 1 ascending.
type Knots = &'static [(f64, f64)];

struct Endpoint {
    path: &'static str,
    weight: f64,
    latency_ms: Knots,
    /// Latency multiplier of the canary path (the fast path helps the memory-heavy endpoints).
    canary_factor: f64,
    /// Whether requests carry `details.canary` (health checks bypass the canary router).
    tagged: bool,
    /// Baseline failure kinds with their weights; empty for none.
    errors: &'static [(f64, usize)],
}

const HEALTH: usize = 5;

const ENDPOINTS: [Endpoint; 6] = [
    Endpoint {
        path: "/api/chat",
        weight: 0.40,
        latency_ms: &[
            (0.0, 70.0),
            (0.05, 125.0),
            (0.25, 190.0),
            (0.5, 255.0),
            (0.75, 365.0),
            (0.9, 540.0),
            (0.95, 720.0),
            (0.99, 1380.0),
            (0.999, 2700.0),
            (1.0, 4600.0),
        ],
        canary_factor: 0.92,
        tagged: true,
        errors: LLM_ERRORS,
    },
    Endpoint {
        path: "/api/messages/webhook",
        weight: 0.25,
        latency_ms: &[
            (0.0, 55.0),
            (0.1, 160.0),
            (0.5, 310.0),
            (0.9, 560.0),
            (0.95, 720.0),
            (0.99, 1250.0),
            (1.0, 2900.0),
        ],
        canary_factor: 0.95,
        tagged: true,
        errors: LLM_ERRORS,
    },
    Endpoint {
        path: "/api/appointments",
        weight: 0.14,
        latency_ms: &[
            (0.0, 40.0),
            (0.1, 95.0),
            (0.5, 180.0),
            (0.9, 330.0),
            (0.95, 430.0),
            (0.99, 760.0),
            (1.0, 1900.0),
        ],
        canary_factor: 1.0,
        tagged: true,
        errors: CRUD_ERRORS,
    },
    Endpoint {
        path: "/api/memory/search",
        weight: 0.10,
        latency_ms: &[
            (0.0, 25.0),
            (0.1, 60.0),
            (0.5, 120.0),
            (0.9, 230.0),
            (0.95, 300.0),
            (0.99, 520.0),
            (1.0, 1400.0),
        ],
        canary_factor: 0.86,
        tagged: true,
        errors: CRUD_ERRORS,
    },
    Endpoint {
        path: "/api/patients",
        weight: 0.05,
        latency_ms: &[
            (0.0, 12.0),
            (0.1, 35.0),
            (0.5, 85.0),
            (0.9, 170.0),
            (0.95, 220.0),
            (0.99, 400.0),
            (1.0, 1100.0),
        ],
        canary_factor: 1.0,
        tagged: true,
        errors: CRUD_ERRORS,
    },
    Endpoint {
        path: "/health",
        weight: 0.06,
        latency_ms: &[
            (0.0, 1.1),
            (0.5, 4.9),
            (0.9, 8.5),
            (0.99, 21.0),
            (1.0, 75.0),
        ],
        canary_factor: 1.0,
        tagged: false,
        errors: &[],
    },
];

struct ErrorKind {
    error_type: &'static str,
    message: &'static str,
    /// Time spent before the failure (a timeout takes its full timeout).
    latency_ms: Knots,
}

const TIMEOUT: usize = 0;
const VALIDATION: usize = 1;
const REDIS: usize = 2;
const RATE_LIMIT: usize = 3;
const SUPABASE: usize = 4;

const REQUEST_ERRORS: [ErrorKind; 5] = [
    ErrorKind {
        error_type: "TimeoutError",
        message: "upstream timed out after 30s",
        latency_ms: &[(0.0, 30_000.0), (1.0, 30_250.0)],
    },
    ErrorKind {
        error_type: "ValidationError",
        message:
            "1 validation error for AppointmentRequest: phone_number is not a valid E.164 number",
        latency_ms: &[(0.0, 3.0), (0.5, 11.0), (1.0, 45.0)],
    },
    ErrorKind {
        error_type: "RedisConnectionError",
        message: "Error 111 connecting to redis-canary.internal:6379. Connection refused.",
        latency_ms: &[(0.0, 2.0), (0.5, 6.0), (1.0, 30.0)],
    },
    ErrorKind {
        error_type: "RateLimitError",
        message: "Error code: 429 - Rate limit reached for gpt-4o-mini on tokens per min (TPM)",
        latency_ms: &[(0.0, 140.0), (0.5, 380.0), (1.0, 950.0)],
    },
    ErrorKind {
        error_type: "SupabaseAPIError",
        message:
            "503 Service Unavailable: upstream connect error or disconnect/reset before headers",
        latency_ms: &[(0.0, 35.0), (0.5, 120.0), (0.9, 260.0), (1.0, 600.0)],
    },
];

const LLM_ERRORS: &[(f64, usize)] = &[
    (0.30, TIMEOUT),
    (0.30, RATE_LIMIT),
    (0.20, REDIS),
    (0.20, VALIDATION),
];
const CRUD_ERRORS: &[(f64, usize)] = &[(0.25, TIMEOUT), (0.45, VALIDATION), (0.30, REDIS)];

const MEM0_TIMEOUT: usize = 0;
const MEM0_RATE_LIMIT: usize = 1;
const MEM0_API: usize = 2;
const MEM0_CONNECTION: usize = 3;
const MEM0_BREAKER_OPEN: usize = 4;

const MEM0_ERRORS: [ErrorKind; 5] = [
    ErrorKind {
        error_type: "Mem0TimeoutError",
        message: "mem0 add() timed out after 10.0s",
        latency_ms: &[(0.0, 10_000.0), (1.0, 10_120.0)],
    },
    ErrorKind {
        error_type: "Mem0RateLimitError",
        message: "429 Too Many Requests: rate limit exceeded for /v1/memories/",
        latency_ms: &[(0.0, 80.0), (0.5, 160.0), (1.0, 420.0)],
    },
    ErrorKind {
        error_type: "Mem0APIError",
        message: "500 Internal Server Error from api.mem0.ai",
        latency_ms: &[(0.0, 180.0), (0.5, 520.0), (1.0, 1500.0)],
    },
    ErrorKind {
        error_type: "Mem0ConnectionError",
        message: "Connection reset by peer (api.mem0.ai:443)",
        latency_ms: &[(0.0, 4.0), (0.5, 900.0), (1.0, 3000.0)],
    },
    ErrorKind {
        error_type: "CircuitBreakerOpenError",
        message: "circuit breaker open: mem0 write skipped",
        latency_ms: &[(0.0, 0.01), (0.5, 0.04), (1.0, 0.3)],
    },
];

/// Baseline mem0 failures (~0.4 %).
const MEM0_BASELINE_FAILURE_RATE: f64 = 0.004;
const MEM0_BASELINE_ERRORS: &[(f64, usize)] = &[
    (0.35, MEM0_TIMEOUT),
    (0.35, MEM0_RATE_LIMIT),
    (0.20, MEM0_API),
    (0.10, MEM0_CONNECTION),
];
/// Failures of an [`Incident::Mem0Failures`]: mem0's API erroring and throttling.
const MEM0_INCIDENT_ERRORS: &[(f64, usize)] = &[
    (0.55, MEM0_API),
    (0.30, MEM0_RATE_LIMIT),
    (0.15, MEM0_TIMEOUT),
];
/// Failures while mem0 degrades before the breaker opens.
const MEM0_DEGRADED_ERRORS: &[(f64, usize)] = &[(0.6, MEM0_TIMEOUT), (0.4, MEM0_CONNECTION)];
/// Failure rate reached just before mem0 goes fully down (45 s before the breaker opens).
const MEM0_DEGRADED_PEAK: f64 = 0.35;
/// Every write fails for this long before the breaker opens: the consecutive failures that trip it.
const MEM0_DOWN_BEFORE_OPEN: Micros = 45 * S;

const MEM0_WRITE_MS: Knots = &[
    (0.0, 210.0),
    (0.05, 310.0),
    (0.25, 420.0),
    (0.5, 520.0),
    (0.75, 640.0),
    (0.9, 780.0),
    (0.97, 900.0),
    (0.995, 1600.0),
    (0.9995, 4200.0),
    (1.0, 7500.0),
];
/// Trial writes while half-open are slower: mem0 is warming up.
const HALF_OPEN_SLOWDOWN: f64 = 1.4;

/// The shape of a key, with the prefix `details.cache_key_prefix` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyShape {
    Patient,
    ClinicSettings,
    ClinicAvailability,
    Appointment,
    Session,
    Mem0Context,
    /// A key given as text (a stampede's): the id indexes the generator's [`Plan::keys`], the
    /// prefix is the text before the first `:`.
    Custom,
}

impl KeyShape {
    /// The prefix; `None` for a custom key, whose prefix is in its text.
    fn prefix(self) -> Option<&'static str> {
        match self {
            KeyShape::Patient => Some("patient"),
            KeyShape::ClinicSettings | KeyShape::ClinicAvailability => Some("clinic"),
            KeyShape::Appointment => Some("appointment"),
            KeyShape::Session => Some("session"),
            KeyShape::Mem0Context => Some("mem0_context"),
            KeyShape::Custom => None,
        }
    }
}

/// The prefix of a key's text: what precedes its first `:` (all of it without one).
fn prefix_of(key: &str) -> &str {
    key.split(':').next().unwrap_or(key)
}

struct Prefix {
    /// `details.cache_key_prefix`.
    name: &'static str,
    weight: f64,
    miss_rate: f64,
    /// Median time of a miss (the lookup plus loading the value), scaled by [`MISS_SHAPE`].
    miss_median_ms: f64,
}

/// By prefix: patient, clinic, appointment, session, mem0_context (~97.2 % hits overall).
const PREFIXES: [Prefix; 5] = [
    Prefix {
        name: "patient",
        weight: 0.30,
        miss_rate: 0.025,
        miss_median_ms: 38.0,
    },
    Prefix {
        name: "clinic",
        weight: 0.20,
        miss_rate: 0.008,
        miss_median_ms: 22.0,
    },
    Prefix {
        name: "appointment",
        weight: 0.15,
        miss_rate: 0.042,
        miss_median_ms: 30.0,
    },
    Prefix {
        name: "session",
        weight: 0.20,
        miss_rate: 0.030,
        miss_median_ms: 12.0,
    },
    Prefix {
        name: "mem0_context",
        weight: 0.15,
        miss_rate: 0.045,
        miss_median_ms: 180.0,
    },
];
const CLINIC_PREFIX: usize = 1;
/// A stampede miss waits behind the herd loading the same value.
const STAMPEDE_SLOWDOWN: f64 = 3.0;

const HIT_MS: Knots = &[
    (0.0, 0.08),
    (0.5, 0.45),
    (0.95, 1.6),
    (0.99, 4.0),
    (1.0, 25.0),
];
const MISS_SHAPE: Knots = &[(0.0, 0.35), (0.5, 1.0), (0.9, 1.9), (0.99, 4.0), (1.0, 9.0)];

/// The `cache_miss` row follows its `cache_access` row by at most this much.
const MISS_LAG: Micros = 64;

fn mean_miss_rate() -> f64 {
    PREFIXES.iter().map(|p| p.weight * p.miss_rate).sum()
}

// ---------------------------------------------------------------------------------------------
// Arithmetic that is the same on every target.

/// The demo's random numbers: SplitMix64 with the draws the generator needs.
#[derive(Clone, Debug)]
struct Rng(SplitMix64);

impl Rng {
    /// Uniform in [0, 1) with 53 random bits (exact in f64).
    fn u(&mut self) -> f64 {
        self.0.next_f64()
    }

    /// An event count with mean `lambda` and Poisson-like spread, without `exp`: a binomial of 64
    /// trials for small means, a normal (Irwin–Hall sum of 12 uniforms) for large ones.
    fn count(&mut self, lambda: f64) -> usize {
        if lambda.is_nan() || lambda <= 0.0 {
            return 0;
        }
        if lambda < 32.0 {
            let p = lambda / 64.0;
            return (0..64).filter(|_| self.u() < p).count();
        }
        let mut z = -6.0;
        for _ in 0..12 {
            z += self.u();
        }
        (lambda + lambda.sqrt() * z).round().max(0.0) as usize
    }

    /// An index from `(weight, value)` pairs whose weights sum to 1.
    fn pick(&mut self, table: &[(f64, usize)]) -> usize {
        let u = self.u();
        let mut acc = 0.0;
        for &(w, v) in table {
            acc += w;
            if u < acc {
                return v;
            }
        }
        table[table.len() - 1].1
    }
}

/// The inverse CDF through `knots` at `u`: linear between knots, so only + − × ÷.
fn quantile(knots: Knots, u: f64) -> f64 {
    for pair in knots.windows(2) {
        let ((q0, x0), (q1, x1)) = (pair[0], pair[1]);
        if u <= q1 {
            return x0 + (u - q0) / (q1 - q0) * (x1 - x0);
        }
    }
    knots[knots.len() - 1].1
}

/// Milliseconds to 0.001, as the backend logs them.
fn round_ms(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

fn diurnal_norm() -> f64 {
    DIURNAL.iter().sum::<f64>() / DIURNAL.len() as f64
}

/// Relative traffic at `at` (mean 1 over a day).
fn diurnal(at: Micros, norm: f64) -> f64 {
    let hour = at.rem_euclid(DAY) as f64 / H as f64;
    let i = hour.floor();
    let frac = hour - i;
    let i = i as usize % 24;
    let (a, b) = (DIURNAL[i], DIURNAL[(i + 1) % 24]);
    (a + (b - a) * frac) / norm
}

/// 0 outside `[from, to)`, 1 inside, with linear ramps of `ramp` at both ends.
fn envelope((from, to): Span, ramp: Micros, offset: Micros) -> f64 {
    if offset < from || offset >= to {
        return 0.0;
    }
    let up = (offset - from) as f64 / ramp as f64;
    let down = (to - offset) as f64 / ramp as f64;
    up.min(down).min(1.0)
}

/// Offsets `[from, to)` from the data set's start.
type Span = (Micros, Micros);

fn contains((from, to): Span, offset: Micros) -> bool {
    from <= offset && offset < to
}

/// A config's incidents sorted by what they touch, for the generator's per-event checks.
#[derive(Clone, Debug, Default)]
struct Plan {
    /// (span, factor)
    latency: Vec<(Span, f64)>,
    /// (span, failure rate at the peak)
    bursts: Vec<(Span, f64)>,
    /// (span, miss factor)
    surges: Vec<(Span, f64)>,
    /// (span, failure rate, writes per minute)
    mem0: Vec<(Span, f64, f64)>,
    breakers: Vec<BreakerTimes>,
    /// (first miss, key index in `keys`, misses, seconds)
    stampedes: Vec<(Micros, usize, u32, u32)>,
    /// The stampedes' keys, named by [`KeyShape::Custom`] keys.
    keys: Vec<Cow<'static, str>>,
}

impl Plan {
    fn new(incidents: &[Incident]) -> Plan {
        let mut plan = Plan::default();
        for incident in incidents {
            let span = incident.span();
            match incident {
                Incident::Latency { factor, .. } => plan.latency.push((span, *factor)),
                Incident::ErrorBurst { failure_rate, .. } => {
                    plan.bursts.push((span, *failure_rate));
                }
                Incident::CacheMissSurge { factor, .. } => plan.surges.push((span, *factor)),
                Incident::Mem0Failures {
                    failure_rate,
                    writes_per_minute,
                    ..
                } => plan.mem0.push((span, *failure_rate, *writes_per_minute)),
                Incident::BreakerCycle { .. } => plan.breakers.extend(incident.breaker_times()),
                Incident::Stampede {
                    at,
                    key,
                    misses,
                    seconds,
                } => {
                    plan.stampedes
                        .push((*at, plan.keys.len(), *misses, *seconds));
                    plan.keys.push(key.clone());
                }
            }
        }
        plan
    }

    /// The write rate a [`Incident::Mem0Failures`] sets at `offset`, if one does.
    fn mem0_writes_per_minute(&self, offset: Micros) -> Option<f64> {
        self.mem0
            .iter()
            .find(|&&(span, ..)| contains(span, offset))
            .map(|&(.., writes)| writes)
    }
}

fn slot_count(duration: Micros) -> i64 {
    (duration.max(0) + M - 1) / M
}

/// The span of minute `slot` open to random events: `[from, to)`, empty when the data set ends
/// before it. Nothing precedes the flags row, so the first minute starts just after it.
fn slot_bounds(config: &DemoConfig, slot: i64) -> (Micros, Micros) {
    let end = config.end();
    let mut from = config.start + slot * M;
    if slot == 0 {
        from += FLAGS_LOADED_AT + 1;
    }
    (from.min(end), (config.start + (slot + 1) * M).min(end))
}

fn slot_fraction(from: Micros, to: Micros) -> f64 {
    (to - from) as f64 / M as f64
}

// ---------------------------------------------------------------------------------------------
// The generator: one minute at a time, sorted, then handed out with ids.

/// A cache key, formatted only when a row is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    shape: KeyShape,
    /// The id in the key (for sessions, 48 random bits shown as hex).
    id: u64,
}

impl Key {
    /// Appends the key's text; `custom` holds the text of [`KeyShape::Custom`] keys.
    fn write(self, out: &mut String, custom: &[Cow<'static, str>]) {
        // Writing to a String cannot fail.
        let _ = match self.shape {
            KeyShape::Patient => write!(out, "patient:{}:profile", self.id),
            KeyShape::ClinicSettings => write!(out, "clinic:{}:settings", self.id),
            KeyShape::ClinicAvailability => write!(out, "clinic:{}:availability", self.id),
            KeyShape::Appointment => write!(out, "appointment:{}", self.id),
            KeyShape::Session => write!(out, "session:{:012x}", self.id),
            KeyShape::Mem0Context => write!(out, "mem0_context:{}", self.id),
            KeyShape::Custom => {
                out.push_str(&custom[self.id as usize]);
                Ok(())
            }
        };
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BreakerState {
    Open,
    HalfOpen,
    Closed,
}

impl BreakerState {
    fn as_str(self) -> &'static str {
        match self {
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
            BreakerState::Closed => "closed",
        }
    }
}

/// One event before it gets its id; strings are indexes into the tables above.
#[derive(Clone, Copy, Debug)]
enum Ev {
    Flags,
    Request {
        endpoint: usize,
        ms: Option<f64>,
        error: Option<usize>,
        canary: Option<bool>,
    },
    Cache {
        miss_row: bool,
        key: Key,
        hit: Option<bool>,
        ms: f64,
    },
    Mem0 {
        ms: f64,
        error: Option<usize>,
    },
    /// The counts are filled in when the row is handed out, from the writes before it.
    Breaker {
        state: BreakerState,
        failures: u32,
        successes: u32,
    },
}

impl Ev {
    /// The `cache_miss` row that accompanies a missed `cache_access` row.
    fn as_miss_row(self) -> Ev {
        match self {
            Ev::Cache { key, hit, ms, .. } => Ev::Cache {
                miss_row: true,
                key,
                hit,
                ms,
            },
            other => other,
        }
    }

    fn key(&self) -> Option<Key> {
        match self {
            Ev::Cache { key, .. } => Some(*key),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Event {
    at: Micros,
    /// Order of creation inside a minute: breaks ties so a miss follows its access.
    seq: u32,
    ev: Ev,
}

struct Generator {
    config: DemoConfig,
    plan: Plan,
    rng: Rng,
    norm: f64,
    slot: i64,
    slots: i64,
    /// Rows at fixed times (flags, incidents, messy rows), ascending; `next_scheduled` indexes it.
    scheduled: Vec<(Micros, Ev)>,
    next_scheduled: usize,
    /// The current minute's events, sorted; `pos` is the next to hand out.
    minute: Vec<Event>,
    pos: usize,
    seq: u32,
    next_id: i64,
    consecutive_failures: u32,
    failures_at_open: u32,
    successes_since_half_open: u32,
}

impl Generator {
    fn new(config: &DemoConfig) -> Generator {
        let mut generator = Generator {
            config: config.clone(),
            plan: Plan::new(&config.incidents),
            rng: Rng(SplitMix64::new(config.seed)),
            norm: diurnal_norm(),
            slot: 0,
            slots: slot_count(config.duration),
            scheduled: Vec::new(),
            next_scheduled: 0,
            minute: Vec::new(),
            pos: 0,
            seq: 0,
            next_id: 1,
            consecutive_failures: 0,
            failures_at_open: 0,
            successes_since_half_open: 0,
        };
        generator.schedule();
        generator
    }

    fn schedule(&mut self) {
        // A separate stream, so the scheduled rows do not shift the random ones.
        let mut rng = Rng(SplitMix64::new(mix(self.config.seed ^ 0x5C4E_D01E)));
        let mut rows: Vec<(Micros, Ev)> = vec![(FLAGS_LOADED_AT, Ev::Flags)];
        for b in &self.plan.breakers {
            for (at, state) in [
                (b.open, BreakerState::Open),
                (b.half_open, BreakerState::HalfOpen),
                (b.closed, BreakerState::Closed),
            ] {
                let ev = Ev::Breaker {
                    state,
                    failures: 0,
                    successes: 0,
                };
                rows.push((at, ev));
            }
        }
        let messy_request = |endpoint, ms| Ev::Request {
            endpoint,
            ms,
            error: None,
            canary: Some(false),
        };
        rows.push((MESSY_NULL_LATENCY_AT[0], messy_request(0, None)));
        rows.push((MESSY_NULL_LATENCY_AT[1], messy_request(1, None)));
        rows.push((MESSY_NAN_LATENCY_AT, messy_request(2, Some(f64::NAN))));
        let patient = Key {
            shape: KeyShape::Patient,
            id: 10_342,
        };
        let null_hit = Ev::Cache {
            miss_row: false,
            key: patient,
            hit: None,
            ms: 0.912,
        };
        rows.push((MESSY_NULL_CACHE_HIT_AT, null_hit));
        // Stampedes: misses evenly spaced (2.25 s apart for 40 in 90 s) with up to 8/9 of the
        // spacing as jitter (2 s), so the last lands inside the span with room for its miss row.
        for &(first, key_index, misses, seconds) in &self.plan.stampedes {
            let key = Key {
                shape: KeyShape::Custom,
                id: key_index as u64,
            };
            let prefix = prefix_of(&self.plan.keys[key_index]);
            let median = PREFIXES
                .iter()
                .find(|p| p.name == prefix)
                .unwrap_or(&PREFIXES[CLINIC_PREFIX])
                .miss_median_ms
                * STAMPEDE_SLOWDOWN;
            let spacing = Micros::from(seconds) * S / Micros::from(misses.max(1));
            let jitter = (spacing * 8 / 9) as f64;
            for i in 0..Micros::from(misses) {
                let at = first + i * spacing + (rng.u() * jitter) as Micros;
                let ms = round_ms(quantile(MISS_SHAPE, rng.u()) * median);
                let lag = 1 + (rng.u() * (MISS_LAG - 1) as f64) as Micros;
                let access = Ev::Cache {
                    miss_row: false,
                    key,
                    hit: Some(false),
                    ms,
                };
                rows.push((at, access));
                rows.push((at + lag, access.as_miss_row()));
            }
        }
        let start = self.config.start;
        let end = self.config.end();
        rows.retain(|&(offset, _)| start + offset < end);
        // Stable: an access and its miss keep their order even on equal times.
        stdx::sort::sort_by_key(&mut rows, |&(offset, _)| offset);
        self.scheduled = rows
            .into_iter()
            .map(|(offset, ev)| (start + offset, ev))
            .collect();
    }

    /// The next event in time order with its id.
    fn next_event(&mut self) -> Option<(i64, Event)> {
        while self.pos == self.minute.len() {
            if self.slot >= self.slots {
                return None;
            }
            self.fill_minute();
        }
        let mut event = self.minute[self.pos];
        self.pos += 1;
        match &mut event.ev {
            Ev::Mem0 { error: Some(_), .. } => self.consecutive_failures += 1,
            Ev::Mem0 { error: None, .. } => {
                self.consecutive_failures = 0;
                self.successes_since_half_open += 1;
            }
            Ev::Breaker {
                state,
                failures,
                successes,
            } => match state {
                BreakerState::Open => {
                    self.failures_at_open = self.consecutive_failures;
                    *failures = self.failures_at_open;
                }
                BreakerState::HalfOpen => {
                    *failures = self.failures_at_open;
                    self.successes_since_half_open = 0;
                }
                BreakerState::Closed => *successes = self.successes_since_half_open,
            },
            _ => {}
        }
        let id = self.next_id;
        self.next_id += 1;
        Some((id, event))
    }

    fn push(&mut self, at: Micros, ev: Ev) {
        self.minute.push(Event {
            at,
            seq: self.seq,
            ev,
        });
        self.seq += 1;
    }

    /// A uniform time in `[lo, hi)` (`lo` when the range is empty).
    fn time_in(&mut self, lo: Micros, hi: Micros) -> Micros {
        lo + (self.rng.u() * (hi - lo).max(0) as f64) as Micros
    }

    fn fill_minute(&mut self) {
        let (lo, to) = slot_bounds(&self.config, self.slot);
        self.slot += 1;
        self.minute.clear();
        self.pos = 0;
        self.seq = 0;

        while let Some(&(at, ev)) = self.scheduled.get(self.next_scheduled) {
            if at >= to {
                break;
            }
            self.next_scheduled += 1;
            self.push(at, ev);
        }

        let shape = diurnal(lo + (to - lo) / 2, self.norm);
        let weight = shape * slot_fraction(lo, to);
        let requests = self.rng.count(self.config.requests_per_minute * weight);
        for _ in 0..requests {
            let at = self.time_in(lo, to);
            let ev = self.request(at - self.config.start, shape);
            self.push(at, ev);
        }
        let lookups = self.config.requests_per_minute * self.config.cache_lookups_per_request;
        for _ in 0..self.rng.count(lookups * weight) {
            // Leave room for the miss row inside this minute.
            let at = self.time_in(lo, to - MISS_LAG);
            self.cache_lookup(at, to);
        }
        // A mem0 incident sets its own write rate, judged at the middle of the minute.
        let writes = match self
            .plan
            .mem0_writes_per_minute(lo + (to - lo) / 2 - self.config.start)
        {
            Some(per_minute) => per_minute * slot_fraction(lo, to),
            None => self.config.mem0_writes_per_minute * weight,
        };
        for _ in 0..self.rng.count(writes) {
            let at = self.time_in(lo, to);
            let ev = self.mem0_write(at - self.config.start);
            self.push(at, ev);
        }
        // The shared sort (keys are unique, so the same order as an unstable sort): one copy of
        // a sort fewer in the WebAssembly bundle, for a millisecond or so over a million events.
        stdx::sort::sort_by_key(&mut self.minute, |e| (e.at, e.seq));
    }

    fn request(&mut self, offset: Micros, shape: f64) -> Ev {
        let u = self.rng.u();
        let mut acc = 0.0;
        let endpoint = ENDPOINTS
            .iter()
            .position(|e| {
                acc += e.weight;
                u < acc
            })
            .unwrap_or(HEALTH);
        let ep = &ENDPOINTS[endpoint];
        let canary = ep.tagged.then(|| self.rng.u() < CANARY_SHARE);
        // Bursts add up; none is 0.0 exactly, as outside one.
        let mut burst = 0.0;
        for &(span, rate) in &self.plan.bursts {
            burst += rate * envelope(span, M, offset);
        }
        let v = self.rng.u();
        let error = if v < burst {
            Some(SUPABASE)
        } else if !ep.errors.is_empty() && v < burst + BASELINE_FAILURE_RATE {
            Some(self.rng.pick(ep.errors))
        } else {
            None
        };
        let ms = match error {
            Some(kind) => quantile(REQUEST_ERRORS[kind].latency_ms, self.rng.u()),
            None => {
                let mut ms = quantile(ep.latency_ms, self.rng.u());
                ms *= 1.0 + LOAD_LATENCY_SLOPE * (shape - 1.0);
                if canary == Some(true) {
                    ms *= ep.canary_factor;
                }
                if endpoint != HEALTH {
                    for &(span, factor) in &self.plan.latency {
                        ms *= 1.0 + (factor - 1.0) * envelope(span, M, offset);
                    }
                }
                ms
            }
        };
        Ev::Request {
            endpoint,
            ms: Some(round_ms(ms)),
            error,
            canary,
        }
    }

    fn cache_lookup(&mut self, at: Micros, minute_end: Micros) {
        let u = self.rng.u();
        let mut acc = 0.0;
        let prefix = PREFIXES
            .iter()
            .position(|p| {
                acc += p.weight;
                u < acc
            })
            .unwrap_or(PREFIXES.len() - 1);
        let key = self.key(prefix);
        let offset = at - self.config.start;
        let mut factor = 1.0;
        for &(span, surge) in &self.plan.surges {
            if contains(span, offset) {
                factor *= surge;
            }
        }
        let hit = self.rng.u() >= PREFIXES[prefix].miss_rate * factor;
        let ms = if hit {
            quantile(HIT_MS, self.rng.u())
        } else {
            quantile(MISS_SHAPE, self.rng.u()) * PREFIXES[prefix].miss_median_ms
        };
        let access = Ev::Cache {
            miss_row: false,
            key,
            hit: Some(hit),
            ms: round_ms(ms),
        };
        self.push(at, access);
        if !hit {
            let lag = 1 + (self.rng.u() * (MISS_LAG - 1) as f64) as Micros;
            self.push((at + lag).min(minute_end - 1), access.as_miss_row());
        }
    }

    /// A key of the prefix's key space; popular patients are looked up more often.
    fn key(&mut self, prefix: usize) -> Key {
        let u = self.rng.u();
        let (shape, id) = match prefix {
            0 => (KeyShape::Patient, 10_000 + (u * u * 8000.0) as u64),
            1 => {
                let shape = if self.rng.u() < 0.7 {
                    KeyShape::ClinicSettings
                } else {
                    KeyShape::ClinicAvailability
                };
                (shape, 1 + (u * 48.0) as u64)
            }
            2 => (KeyShape::Appointment, 120_000 + (u * 30_000.0) as u64),
            3 => {
                let session = (u * 4000.0) as u64;
                let hex = mix(self.config.seed ^ session.wrapping_mul(0xA24B_AED4_963E_E407));
                (KeyShape::Session, hex & 0xFFFF_FFFF_FFFF)
            }
            _ => (KeyShape::Mem0Context, 10_000 + (u * u * 8000.0) as u64),
        };
        Key { shape, id }
    }

    /// A write at `offset`: a breaker cycle's phases come first, then a mem0 incident's steady
    /// failures, then the baseline.
    fn mem0_write(&mut self, offset: Micros) -> Ev {
        let mut failing = None;
        for b in &self.plan.breakers {
            if (b.open..b.half_open).contains(&offset) {
                let ms = quantile(MEM0_ERRORS[MEM0_BREAKER_OPEN].latency_ms, self.rng.u());
                return Ev::Mem0 {
                    ms: round_ms(ms),
                    error: Some(MEM0_BREAKER_OPEN),
                };
            } else if (b.half_open..b.closed).contains(&offset) {
                let ms = quantile(MEM0_WRITE_MS, self.rng.u()) * HALF_OPEN_SLOWDOWN;
                return Ev::Mem0 {
                    ms: round_ms(ms),
                    error: None,
                };
            } else if (b.down..b.open).contains(&offset) {
                failing = Some((1.0, MEM0_DEGRADED_ERRORS));
            } else if (b.degrade..b.down).contains(&offset) {
                let progress = (offset - b.degrade) as f64 / (b.down - b.degrade) as f64;
                let rate = MEM0_BASELINE_FAILURE_RATE
                    + (MEM0_DEGRADED_PEAK - MEM0_BASELINE_FAILURE_RATE) * progress;
                failing = Some((rate, MEM0_DEGRADED_ERRORS));
            }
        }
        let failing = failing.or_else(|| {
            self.plan
                .mem0
                .iter()
                .find(|&&(span, ..)| contains(span, offset))
                .map(|&(_, rate, _)| (rate, MEM0_INCIDENT_ERRORS))
        });
        let (fail_rate, errors) =
            failing.unwrap_or((MEM0_BASELINE_FAILURE_RATE, MEM0_BASELINE_ERRORS));
        if self.rng.u() < fail_rate {
            let kind = self.rng.pick(errors);
            let ms = quantile(MEM0_ERRORS[kind].latency_ms, self.rng.u());
            Ev::Mem0 {
                ms: round_ms(ms),
                error: Some(kind),
            }
        } else {
            let ms = quantile(MEM0_WRITE_MS, self.rng.u());
            Ev::Mem0 {
                ms: round_ms(ms),
                error: None,
            }
        }
    }
}

/// The row of an event; `cache_key` is the event's key, formatted by the caller.
fn to_row<'k>(id: i64, event: &Event, cache_key: Option<Cow<'k, str>>) -> EventRow<'k> {
    let mut row = EventRow {
        id,
        event_type: EventType::Other,
        success: None,
        cache_hit: None,
        processing_time_ms: None,
        cache_key,
        details: Details::default(),
        created_at: event.at,
    };
    let d = &mut row.details;
    match event.ev {
        Ev::Flags => {
            row.event_type = EventType::FeatureFlagsLoaded;
            d.flags_json = Some(FEATURE_FLAGS_JSON.to_owned());
        }
        Ev::Request {
            endpoint,
            ms,
            error,
            canary,
        } => {
            row.event_type = EventType::RequestCompleted;
            row.success = Some(error.is_none());
            row.processing_time_ms = ms;
            d.endpoint = Some(Cow::Borrowed(ENDPOINTS[endpoint].path));
            d.canary = canary;
            if let Some(kind) = error {
                d.error_type = Some(Cow::Borrowed(REQUEST_ERRORS[kind].error_type));
                d.error_message = Some(Cow::Borrowed(REQUEST_ERRORS[kind].message));
            }
        }
        Ev::Cache {
            miss_row,
            key,
            hit,
            ms,
        } => {
            row.event_type = if miss_row {
                EventType::CacheMiss
            } else {
                EventType::CacheAccess
            };
            row.cache_hit = hit;
            row.processing_time_ms = Some(ms);
            d.cache_key_prefix = Some(match (key.shape.prefix(), &row.cache_key) {
                (Some(prefix), _) => Cow::Borrowed(prefix),
                (None, Some(Cow::Borrowed(text))) => Cow::Borrowed(prefix_of(text)),
                (None, Some(Cow::Owned(text))) => Cow::Owned(prefix_of(text).to_owned()),
                (None, None) => Cow::Borrowed(""),
            });
        }
        Ev::Mem0 { ms, error } => {
            row.event_type = EventType::Mem0Write;
            row.success = Some(error.is_none());
            row.processing_time_ms = Some(ms);
            if let Some(kind) = error {
                d.error_type = Some(Cow::Borrowed(MEM0_ERRORS[kind].error_type));
                d.error_message = Some(Cow::Borrowed(MEM0_ERRORS[kind].message));
            }
        }
        Ev::Breaker {
            state,
            failures,
            successes,
        } => {
            row.event_type = EventType::CircuitBreakerStateChange;
            d.state = Some(Cow::Borrowed(state.as_str()));
            // JSON numbers, which `->>` gives as their text.
            d.failure_count = Some(Cow::Owned(failures.to_string()));
            d.success_count = Some(Cow::Owned(successes.to_string()));
        }
    }
    row
}

/// FNV-1a, 64 bits: simple, stable, and defined byte by byte.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xCBF2_9CE4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }

    fn text(&mut self, text: Option<&str>) {
        match text {
            // A length prefix keeps adjacent fields from running together.
            Some(t) => {
                self.bytes(&(t.len() as u64).to_le_bytes());
                self.bytes(t.as_bytes());
            }
            None => self.bytes(&[0xFF]),
        }
    }

    fn flag(&mut self, b: Option<bool>) {
        self.bytes(&[match b {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        }]);
    }

    fn row(&mut self, row: &EventRow<'_>) {
        self.bytes(&row.id.to_le_bytes());
        self.bytes(&[row.event_type as u8]);
        self.flag(row.success);
        self.flag(row.cache_hit);
        match row.processing_time_ms {
            Some(v) => self.bytes(&v.to_bits().to_le_bytes()),
            None => self.bytes(&[0xFF]),
        }
        self.text(row.cache_key.as_deref());
        let d = &row.details;
        for field in [
            &d.endpoint,
            &d.error_type,
            &d.error_message,
            &d.cache_key_prefix,
            &d.state,
            &d.failure_count,
            &d.success_count,
        ] {
            self.text(field.as_deref());
        }
        self.flag(d.canary);
        self.text(d.flags_json.as_deref());
        self.bytes(&row.created_at.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::ops::RangeInclusive;
    use std::sync::OnceLock;

    use super::*;
    use crate::metrics::{compute, Metrics};
    use crate::time::{from_datetime, parse_timestamp};

    /// The default data set, generated once for all tests.
    fn default_store() -> &'static EventStore {
        static STORE: OnceLock<EventStore> = OnceLock::new();
        STORE.get_or_init(|| generate(&DemoConfig::default()))
    }

    /// Metrics of the default data set between two offsets from its start.
    fn metrics(from: Micros, to: Micros) -> Metrics {
        compute(
            default_store(),
            Window::new(PHASE1_START + from, PHASE1_START + to),
        )
    }

    fn short(seed: u64, duration: Micros) -> DemoConfig {
        DemoConfig {
            seed,
            duration,
            ..DemoConfig::default()
        }
    }

    #[test]
    fn tables_are_well_formed() {
        let endpoint_knots = ENDPOINTS.iter().map(|e| e.latency_ms);
        let error_knots = REQUEST_ERRORS
            .iter()
            .chain(&MEM0_ERRORS)
            .map(|e| e.latency_ms);
        let knots = [MEM0_WRITE_MS, HIT_MS, MISS_SHAPE];
        for table in endpoint_knots.chain(error_knots).chain(knots) {
            assert_eq!(table.first().map(|k| k.0), Some(0.0));
            assert_eq!(table.last().map(|k| k.0), Some(1.0));
            assert!(table
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
        }
        let sums = [
            ENDPOINTS.iter().map(|e| e.weight).sum::<f64>(),
            PREFIXES.iter().map(|p| p.weight).sum(),
            LLM_ERRORS.iter().map(|e| e.0).sum(),
            CRUD_ERRORS.iter().map(|e| e.0).sum(),
            MEM0_BASELINE_ERRORS.iter().map(|e| e.0).sum(),
            MEM0_DEGRADED_ERRORS.iter().map(|e| e.0).sum(),
        ];
        for sum in sums {
            assert!((sum - 1.0).abs() < 1e-9, "{sums:?}");
        }
        assert_eq!(ENDPOINTS[HEALTH].path, "/health");
    }

    #[test]
    fn default_config_starts_at_the_guides_phase_1() {
        assert_eq!(parse_timestamp("2025-10-16 18:35:00+00"), Ok(PHASE1_START));
        let config = DemoConfig::default();
        assert_eq!(config.start, PHASE1_START);
        assert_eq!(
            config.end(),
            parse_timestamp("2025-10-17 18:35:00Z").unwrap()
        );
    }

    #[test]
    fn same_seed_same_rows_other_seed_other_rows() {
        // (seed a, seed b, same data?)
        let cases = [
            (1, 1, true),
            (DEFAULT_SEED, DEFAULT_SEED, true),
            (1, 2, false),
            (0, u64::MAX, false),
        ];
        for (a, b, same) in cases {
            let (fa, fb) = (fingerprint(&short(a, 3 * H)), fingerprint(&short(b, 3 * H)));
            assert_eq!(fa == fb, same, "seeds {a} and {b}");
        }
    }

    #[test]
    fn generate_and_rows_give_the_same_store() {
        let config = short(7, 3 * H);
        let generated = generate(&config);
        let mut extended = EventStore::new();
        extended.extend(rows(&config));
        assert_eq!(generated.len(), extended.len());
        assert_eq!(generated.time_span(), extended.time_span());
        let whole = Window::whole(&generated);
        assert_eq!(compute(&generated, whole), compute(&extended, whole));
        // And the whole default day twice over.
        let again = generate(&DemoConfig::default());
        let whole = Window::whole(&again);
        assert_eq!(compute(&again, whole), compute(default_store(), whole));
    }

    /// Pinned so that any target (e.g. wasm32) can prove it generates the same bits. Update it
    /// only on purpose, when the generator changes.
    #[test]
    fn fingerprint_is_pinned() {
        assert_eq!(fingerprint(&DemoConfig::default()), 8560060686268505506);
    }

    #[test]
    fn default_day_has_enough_of_every_type() {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut total = 0;
        for row in rows(&DemoConfig::default()) {
            *counts.entry(row.event_type.as_str()).or_default() += 1;
            total += 1;
        }
        eprintln!("demo events: {total} {counts:?}");
        assert_eq!(default_store().len(), total);
        assert!(total >= 150_000, "{total}");
        let expected = DemoConfig::default().expected_events();
        assert!(
            (total as f64 / expected - 1.0).abs() < 0.01,
            "{total} vs {expected}"
        );
        // (type, fewest, most)
        let cases = [
            ("request_completed", 88_000, 100_000),
            ("cache_access", 88_000, 100_000),
            ("cache_miss", 2_000, 3_500),
            ("mem0_write", 20_000, 23_000),
            ("circuit_breaker_state_change", 3, 3),
            ("feature_flags_loaded", 1, 1),
        ];
        for (kind, lo, hi) in cases {
            let n = counts.get(kind).copied().unwrap_or(0);
            assert!((lo..=hi).contains(&n), "{kind}: {n} not in {lo}..={hi}");
        }
    }

    #[test]
    fn ids_count_up_from_one_in_time_order() {
        let (mut previous_at, mut ties) = (Micros::MIN, 0);
        let mut n = 0;
        for (i, row) in rows(&DemoConfig::default()).enumerate() {
            assert_eq!(row.id, i as i64 + 1);
            assert!(row.created_at >= previous_at, "row {}", row.id);
            ties += usize::from(row.created_at == previous_at);
            previous_at = row.created_at;
            n += 1;
        }
        assert!(ties * 1000 < n, "{ties} ties");
        let store = default_store();
        assert_eq!(store.max_id(), Some(n as i64));
        let (first, last) = store.time_span().unwrap();
        assert_eq!(first, PHASE1_START + FLAGS_LOADED_AT);
        assert!(last < DemoConfig::default().end());
    }

    #[test]
    fn feature_flags_come_first() {
        let first = rows(&DemoConfig::default()).next().unwrap();
        assert_eq!(first.event_type, EventType::FeatureFlagsLoaded);
        let flags: Vec<_> = default_store().feature_flags().collect();
        assert_eq!(
            flags,
            vec![(PHASE1_START + FLAGS_LOADED_AT, FEATURE_FLAGS_JSON)]
        );
        let json: serde_json::Value = serde_json::from_str(FEATURE_FLAGS_JSON).unwrap();
        assert_eq!(json["FAST_PATH_ENABLED"], true);
        assert_eq!(json["CANARY_SAMPLE_RATE"], 0.1);
        assert_eq!(json["MEM0_READS_ENABLED"], true);
        assert_eq!(json["MEM0_SHADOW_MODE"], false);
    }

    fn check(what: &str, value: Option<f64>, expected: RangeInclusive<f64>) {
        let v = value.unwrap_or_else(|| panic!("{what}: no value"));
        assert!(expected.contains(&v), "{what}: {v} not in {expected:?}");
    }

    #[test]
    fn the_day_and_its_incidents_show_in_the_metrics() {
        let day = metrics(0, DAY);
        let hour_before = |i: &Incident| metrics(i.span().0 - H, i.span().0);
        let inside = |i: &Incident| metrics(i.span().0, i.span().1);
        let lat = LATENCY_INCIDENT.span();
        let plateau = metrics(lat.0 + 2 * M, lat.1 - 2 * M);
        let breaker_lead_up = metrics(BREAKER_OPEN_AT - 5 * M, BREAKER_OPEN_AT);
        let stampede = inside(&CACHE_MISS_SURGE);
        let cases = [
            ("day P50", day.latency.p50_ms, 190.0..=270.0),
            ("day P95", day.latency.p95_ms, 500.0..=1000.0),
            ("day P99", day.latency.p99_ms, 900.0..=2000.0),
            ("day error rate", day.errors.error_rate_pct, 0.3..=0.6),
            ("day cache hit rate", day.cache.hit_rate_pct, 96.5..=97.8),
            ("day mem0 success", day.mem0.success_rate_pct, 99.0..=99.7),
            (
                "day mem0 mean write",
                day.mem0.avg_write_time_ms,
                450.0..=650.0,
            ),
            (
                "P50 before the latency incident",
                hour_before(&LATENCY_INCIDENT).latency.p50_ms,
                150.0..=280.0,
            ),
            (
                "P50 in the latency incident",
                plateau.latency.p50_ms,
                500.0..=700.0,
            ),
            (
                "errors before the burst",
                hour_before(&ERROR_BURST).errors.error_rate_pct,
                0.0..=1.0,
            ),
            (
                "errors in the burst",
                inside(&ERROR_BURST).errors.error_rate_pct,
                7.0..=11.0,
            ),
            (
                "hit rate before the stampede",
                hour_before(&CACHE_MISS_SURGE).cache.hit_rate_pct,
                95.5..=99.0,
            ),
            (
                "hit rate in the stampede",
                stampede.cache.hit_rate_pct,
                80.0..=93.0,
            ),
            (
                "mem0 success before the breaker opens",
                breaker_lead_up.mem0.success_rate_pct,
                20.0..=90.0,
            ),
        ];
        for (what, value, expected) in cases {
            check(what, value, expected);
        }
        assert!(day.mem0.slow_writes_over_5s > 0);
    }

    /// The incidents are built to show on any seed, not just the default one.
    #[test]
    fn incidents_show_on_other_seeds() {
        for seed in [1, 2, 42, u64::MAX] {
            let config = short(seed, DAY);
            let store = generate(&config);
            let at = |incident: &Incident| compute(&store, Some(incident.window(config.start)));
            let (from, to) = LATENCY_INCIDENT.span();
            let plateau = Window::new(config.start + from + 2 * M, config.start + to - 2 * M);
            check(
                "plateau P50",
                compute(&store, plateau).latency.p50_ms,
                500.0..=700.0,
            );
            check(
                "burst errors",
                at(&ERROR_BURST).errors.error_rate_pct,
                6.0..=12.0,
            );
            let stampedes = at(&CACHE_STAMPEDE).cache_stampedes;
            assert_eq!(
                stampedes[0].cache_key.as_deref(),
                Some(STAMPEDE_KEY),
                "seed {seed}"
            );
            assert!(stampedes[0].concurrent_misses >= 30, "seed {seed}");
            let cycle = at(&CIRCUIT_BREAKER).circuit_breaker.transitions;
            let states: Vec<_> = cycle.iter().rev().map(|t| t.state.as_deref()).collect();
            assert_eq!(states, [Some("open"), Some("half_open"), Some("closed")]);
            assert!(
                cycle[2].failure_count.unwrap() >= 5,
                "seed {seed}: {cycle:?}"
            );
        }
    }

    #[test]
    fn stampede_is_one_key_in_one_span() {
        let day = metrics(0, DAY);
        assert_eq!(day.cache_stampedes.len(), 1, "{:?}", day.cache_stampedes);
        let s = &day.cache_stampedes[0];
        assert_eq!(s.cache_key.as_deref(), Some(STAMPEDE_KEY));
        assert!(s.concurrent_misses >= STAMPEDE_MISSES as u64, "{s:?}");
        let burst = metrics(STAMPEDE_BURST_AT, STAMPEDE_BURST_AT + 90 * S);
        let s = &burst.cache_stampedes[0];
        assert_eq!(s.cache_key.as_deref(), Some(STAMPEDE_KEY));
        assert!(s.concurrent_misses >= STAMPEDE_MISSES as u64, "{s:?}");
        let mut key = String::new();
        Key {
            shape: KeyShape::ClinicAvailability,
            id: 12,
        }
        .write(&mut key, &[]);
        assert_eq!(key, STAMPEDE_KEY);
    }

    #[test]
    fn breaker_opens_half_opens_and_closes() {
        let day = metrics(0, DAY);
        let cb = &day.circuit_breaker;
        assert_eq!(cb.current_state, "closed");
        let mut transitions = cb.transitions.clone();
        transitions.reverse();
        let states: Vec<_> = transitions.iter().map(|t| t.state.as_deref()).collect();
        assert_eq!(states, [Some("open"), Some("half_open"), Some("closed")]);
        let offsets: Vec<_> = transitions
            .iter()
            .map(|t| from_datetime(t.at) - PHASE1_START)
            .collect();
        assert_eq!(
            offsets,
            [BREAKER_OPEN_AT, BREAKER_HALF_OPEN_AT, BREAKER_CLOSED_AT]
        );
        let [open, half_open, closed] = &transitions[..] else {
            unreachable!("three transitions, checked above")
        };
        assert!(open.failure_count.unwrap() >= 5, "{open:?}");
        assert_eq!(open.success_count, Some(0));
        assert_eq!(half_open.failure_count, open.failure_count);
        assert_eq!(half_open.success_count, Some(0));
        assert_eq!(closed.failure_count, Some(0));
        assert!(closed.success_count.unwrap() >= 1, "{closed:?}");
        let while_open = metrics(BREAKER_OPEN_AT, BREAKER_HALF_OPEN_AT);
        let kinds: Vec<_> = while_open
            .mem0_failures_by_type
            .iter()
            .map(|f| f.error_type.as_deref())
            .collect();
        assert_eq!(kinds, [Some("CircuitBreakerOpenError")]);
    }

    #[test]
    fn messy_rows_are_there() {
        let (mut null_ms, mut nan_ms, mut null_hit) = (vec![], vec![], vec![]);
        for row in rows(&DemoConfig::default()) {
            let offset = row.created_at - PHASE1_START;
            match (row.event_type, row.processing_time_ms, row.cache_hit) {
                (EventType::RequestCompleted, None, _) => null_ms.push(offset),
                (EventType::RequestCompleted, Some(v), _) if v.is_nan() => nan_ms.push(offset),
                (EventType::CacheAccess, _, None) => null_hit.push(offset),
                _ => {}
            }
        }
        assert_eq!(null_ms, MESSY_NULL_LATENCY_AT);
        assert_eq!(nan_ms, [MESSY_NAN_LATENCY_AT]);
        assert_eq!(null_hit, [MESSY_NULL_CACHE_HIT_AT]);
        let notes = metrics(0, DAY).window.notes;
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("2 request_completed rows without")),
            "{notes:?}"
        );
    }

    #[test]
    fn canary_cohort_is_a_tenth_of_tagged_requests() {
        let (mut canary, mut control, mut untagged) = (0usize, 0usize, 0usize);
        let (mut canary_ms, mut control_ms) = (vec![], vec![]);
        for row in rows(&DemoConfig::default()) {
            if row.event_type != EventType::RequestCompleted {
                continue;
            }
            let chat = row.details.endpoint.as_deref() == Some("/api/chat");
            let ms = row.processing_time_ms.filter(|v| chat && v.is_finite());
            match row.details.canary {
                Some(true) => {
                    canary += 1;
                    canary_ms.extend(ms);
                }
                Some(false) => {
                    control += 1;
                    control_ms.extend(ms);
                }
                None => {
                    untagged += 1;
                    assert_eq!(row.details.endpoint.as_deref(), Some("/health"));
                }
            }
        }
        let share = canary as f64 / (canary + control) as f64;
        assert!((0.09..=0.11).contains(&share), "{share}");
        assert!(untagged > 0 && untagged < control / 5, "{untagged}");
        let p50 = |v: &mut Vec<f64>| crate::metrics::p50_95_99(v)[0].unwrap();
        let (c, k) = (p50(&mut canary_ms), p50(&mut control_ms));
        assert!(c < k && c > 0.8 * k, "chat P50 canary {c} control {k}");
    }

    #[test]
    fn traffic_follows_the_day() {
        let mut per_hour = [0usize; 24];
        for row in rows(&DemoConfig::default()) {
            if row.event_type == EventType::RequestCompleted {
                per_hour[((row.created_at - PHASE1_START) / H) as usize] += 1;
            }
        }
        let (lo, hi) = (
            per_hour.iter().min().unwrap(),
            per_hour.iter().max().unwrap(),
        );
        assert!(*hi > 2 * lo, "{per_hour:?}");
        // 18:35 UTC is afternoon on the US east coast: busier than 02:35 UTC.
        assert!(per_hour[0] > per_hour[8], "{per_hour:?}");
    }

    #[test]
    fn scaled_config_reaches_a_million_events() {
        let config = DemoConfig::with_events(1_000_000);
        #[cfg(not(target_arch = "wasm32"))]
        let started = std::time::Instant::now();
        let store = generate(&config);
        #[cfg(not(target_arch = "wasm32"))]
        eprintln!(
            "1M demo events: {} rows in {:?}",
            store.len(),
            started.elapsed()
        );
        assert!(
            (1_000_000..=1_030_000).contains(&store.len()),
            "{}",
            store.len()
        );
    }

    #[test]
    fn incident_spans() {
        let stampede = Incident::Stampede {
            at: H,
            key: Cow::Borrowed("k"),
            misses: 3,
            seconds: 30,
        };
        let mem0 = Incident::Mem0Failures {
            at: 2 * H,
            minutes: 15,
            failure_rate: 0.1,
            writes_per_minute: 100.0,
        };
        // (incident, offsets it affects)
        let cases = [
            (LATENCY_INCIDENT, (7 * H + 4 * M, 7 * H + 22 * M)),
            (CACHE_MISS_SURGE, (10 * H + 10 * M, 10 * H + 25 * M)),
            (
                CACHE_STAMPEDE,
                (STAMPEDE_BURST_AT, STAMPEDE_BURST_AT + 90 * S),
            ),
            (ERROR_BURST, (13 * H + 8 * M, 13 * H + 28 * M)),
            (
                CIRCUIT_BREAKER,
                (BREAKER_DEGRADES_AT, BREAKER_CLOSED_AT + 1),
            ),
            (stampede, (H, H + 30 * S)),
            (mem0, (2 * H, 2 * H + 15 * M)),
        ];
        for (incident, span) in cases {
            assert_eq!(incident.span(), span, "{}", incident.name());
        }
        assert_eq!(
            CIRCUIT_BREAKER
                .breaker_times()
                .map(|t| [t.open, t.half_open, t.closed]),
            Some([BREAKER_OPEN_AT, BREAKER_HALF_OPEN_AT, BREAKER_CLOSED_AT])
        );
        // A lead-up shorter than the 45 s of failures before opening starts failing at `at`.
        let quick = Incident::BreakerCycle {
            at: H,
            opens_after: 10 * S,
            open_for: M,
            half_open_for: M,
        };
        assert_eq!(
            quick.breaker_times().map(|t| (t.degrade, t.down)),
            Some((H, H))
        );
    }

    #[test]
    fn calm_day_has_no_incidents() {
        let config = DemoConfig::calm(DEFAULT_SEED);
        assert!(config.incidents.is_empty());
        assert_eq!(
            DemoConfig {
                incidents: INCIDENTS.to_vec(),
                ..config.clone()
            },
            DemoConfig::default()
        );
        let store = generate(&config);
        let m = compute(&store, Window::whole(&store));
        assert!(m.cache_stampedes.is_empty(), "{:?}", m.cache_stampedes);
        assert!(m.circuit_breaker.transitions.is_empty());
        let kinds: Vec<_> = m
            .errors_by_type
            .iter()
            .map(|e| e.error_type.as_deref())
            .chain(
                m.mem0_failures_by_type
                    .iter()
                    .map(|f| f.error_type.as_deref()),
            )
            .collect();
        for incident_only in ["SupabaseAPIError", "CircuitBreakerOpenError"] {
            assert!(!kinds.contains(&Some(incident_only)), "{kinds:?}");
        }
        // Still the ordinary day: its noise and its messy rows.
        check("calm error rate", m.errors.error_rate_pct, 0.2..=0.5);
        check("calm hit rate", m.cache.hit_rate_pct, 96.8..=97.6);
        check("calm mem0 success", m.mem0.success_rate_pct, 99.4..=99.8);
        assert!(m
            .window
            .notes
            .iter()
            .any(|n| n.starts_with("2 request_completed rows without")));
    }

    #[test]
    fn configured_incidents_take_their_parameters() {
        let breaker = |at| Incident::BreakerCycle {
            at,
            opens_after: 3 * M,
            open_for: 30 * S,
            half_open_for: 20 * S,
        };
        let config = DemoConfig {
            duration: 6 * H,
            incidents: vec![
                Incident::Stampede {
                    at: H,
                    key: Cow::Borrowed("session:feedfacecafe"),
                    misses: 25,
                    seconds: 30,
                },
                Incident::Mem0Failures {
                    at: 2 * H,
                    minutes: 10,
                    failure_rate: 0.1,
                    writes_per_minute: 600.0,
                },
                Incident::ErrorBurst {
                    at: 3 * H,
                    minutes: 10,
                    failure_rate: 0.5,
                },
                breaker(4 * H),
                breaker(5 * H),
            ],
            ..DemoConfig::calm(3)
        };
        let store = generate(&config);
        let at = |i: usize| compute(&store, Some(config.incidents[i].window(config.start)));

        let stampedes = at(0).cache_stampedes;
        assert_eq!(stampedes.len(), 1, "{stampedes:?}");
        assert_eq!(
            stampedes[0].cache_key.as_deref(),
            Some("session:feedfacecafe")
        );
        assert_eq!(stampedes[0].concurrent_misses, 25);
        assert!(stampedes[0].duration_sec < 30.0, "{stampedes:?}");
        // The custom key's prefix is the text before its first colon.
        let prefixes: Vec<_> = at(0)
            .cache_by_prefix
            .iter()
            .map(|p| p.resource_type.clone())
            .collect();
        assert!(
            prefixes.contains(&Some("session".to_owned())),
            "{prefixes:?}"
        );

        let mem0 = at(1).mem0;
        assert!((5_700..=6_300).contains(&mem0.total_writes), "{mem0:?}");
        check("mem0 incident success", mem0.success_rate_pct, 89.0..=91.0);

        // 1-minute ramps: the plateau is the middle 8 minutes.
        let (from, to) = config.incidents[2].span();
        let plateau = Window::new(config.start + from + M, config.start + to - M);
        check(
            "burst plateau errors",
            compute(&store, plateau).errors.error_rate_pct,
            45.0..=55.0,
        );

        let states: Vec<_> = at(3)
            .circuit_breaker
            .transitions
            .iter()
            .chain(&at(4).circuit_breaker.transitions)
            .map(|t| t.state.clone().unwrap_or_default())
            .collect();
        assert_eq!(
            states,
            ["closed", "half_open", "open", "closed", "half_open", "open"]
        );

        // The mem0 incident's write rate counts in the expected size.
        let expected = config.expected_events();
        let n = store.len() as f64;
        assert!((n / expected - 1.0).abs() < 0.01, "{n} vs {expected}");
    }

    #[test]
    fn short_and_empty_configs() {
        // (duration, fewest rows, most rows)
        let cases = [
            (-H, 0, 0),
            (0, 0, 0),
            (FLAGS_LOADED_AT, 0, 0),
            (FLAGS_LOADED_AT + 1, 1, 1),
            (M, 100, 300),
        ];
        for (duration, lo, hi) in cases {
            let n = generate(&short(1, duration)).len();
            assert!((lo..=hi).contains(&n), "duration {duration}: {n} rows");
        }
    }

    #[test]
    fn demo_day_canary_is_faster() {
        // The demo's canary path is 5–14 % faster on the memory-heavy endpoints.
        let config = DemoConfig::default();
        let store = generate(&config);
        let window = crate::metrics::Window::new(config.start, config.end()).unwrap();
        let c = crate::cohort::compare(&store, window);
        assert!(
            c.canary.requests > 1000 && c.control.requests > 10_000,
            "{c:?}"
        );
        assert!(c.untagged_requests > 0);
        assert_eq!(
            c.verdict,
            crate::cohort::LatencyVerdict::CanaryFaster,
            "{:?}",
            c.latency_test
        );
        assert!(c.latency_test.hodges_lehmann_ms.unwrap() < 0.0);
    }
}
