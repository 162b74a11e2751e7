//! One row of `observability_events` (docs/metrics.md#data), as readers and the demo generator hand it to the
//! store.

use chrono::{DateTime, Utc};
use std::borrow::Cow;

/// Microseconds since the Unix epoch, UTC: PostgreSQL's `timestamptz` resolution.
pub type Micros = i64;

/// Microseconds in one second.
pub const MICROS_PER_SECOND: Micros = 1_000_000;
/// Microseconds in one minute.
pub const MICROS_PER_MINUTE: Micros = 60 * MICROS_PER_SECOND;
/// Microseconds in one hour.
pub const MICROS_PER_HOUR: Micros = 60 * MICROS_PER_MINUTE;

/// The `event_type` column. Types the metrics do not use are kept as `Other` and counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum EventType {
    RequestCompleted = 0,
    CacheAccess = 1,
    CacheMiss = 2,
    Mem0Write = 3,
    CircuitBreakerStateChange = 4,
    FeatureFlagsLoaded = 5,
    Other = 6,
}

impl EventType {
    /// Every type, in discriminant order.
    pub const ALL: [EventType; 7] = [
        EventType::RequestCompleted,
        EventType::CacheAccess,
        EventType::CacheMiss,
        EventType::Mem0Write,
        EventType::CircuitBreakerStateChange,
        EventType::FeatureFlagsLoaded,
        EventType::Other,
    ];

    /// Maps the column's text; anything unknown is `Other`.
    pub fn parse(text: &str) -> EventType {
        match text {
            "request_completed" => EventType::RequestCompleted,
            "cache_access" => EventType::CacheAccess,
            "cache_miss" => EventType::CacheMiss,
            "mem0_write" => EventType::Mem0Write,
            "circuit_breaker_state_change" => EventType::CircuitBreakerStateChange,
            "feature_flags_loaded" => EventType::FeatureFlagsLoaded,
            _ => EventType::Other,
        }
    }

    /// The column's text (`other` for unknown types).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::RequestCompleted => "request_completed",
            EventType::CacheAccess => "cache_access",
            EventType::CacheMiss => "cache_miss",
            EventType::Mem0Write => "mem0_write",
            EventType::CircuitBreakerStateChange => "circuit_breaker_state_change",
            EventType::FeatureFlagsLoaded => "feature_flags_loaded",
            EventType::Other => "other",
        }
    }

    pub(crate) fn from_u8(v: u8) -> EventType {
        EventType::ALL[usize::from(v).min(6)]
    }
}

/// The `details` keys the metrics read, each as PostgreSQL's `details->>'key'` gives it: the text
/// of a string, the JSON text of any other value, `None` where the key is absent or JSON `null`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Details<'a> {
    pub endpoint: Option<Cow<'a, str>>,
    pub error_type: Option<Cow<'a, str>>,
    pub error_message: Option<Cow<'a, str>>,
    pub cache_key_prefix: Option<Cow<'a, str>>,
    pub state: Option<Cow<'a, str>>,
    pub failure_count: Option<Cow<'a, str>>,
    pub success_count: Option<Cow<'a, str>>,
    /// `details.canary`: only a JSON boolean counts; other types are reported as messy.
    pub canary: Option<bool>,
    /// `details.canary` was present but not a boolean.
    pub canary_not_bool: bool,
    /// The whole object as JSON text, kept for `feature_flags_loaded` events only.
    pub flags_json: Option<String>,
}

/// One row of `observability_events`.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow<'a> {
    pub id: i64,
    pub event_type: EventType,
    pub success: Option<bool>,
    pub cache_hit: Option<bool>,
    /// May be negative or NaN in real data; the store decides what to keep.
    pub processing_time_ms: Option<f64>,
    pub cache_key: Option<Cow<'a, str>>,
    pub details: Details<'a>,
    pub created_at: Micros,
}

/// A [`Micros`] as a `DateTime<Utc>` (clamped to chrono's range, far beyond any real data).
pub fn to_datetime(micros: Micros) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(if micros < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// A `DateTime<Utc>` as [`Micros`].
pub fn from_datetime(t: DateTime<Utc>) -> Micros {
    t.timestamp_micros()
}
