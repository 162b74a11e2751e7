//! What a read asks for: the plan of one read, its requests, the retry schedule, and the
//! streams (which event types, which columns) it reads them in.

use std::fmt;

use super::DEFAULT_PAGE_SIZE;
use crate::event::{EventType, Micros};

/// One HTTP request to send: a `GET`, or a `POST` of `body` (JSON) when there is one. The
/// headers carry the key: never log them (`Debug` redacts them).
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// Wait this long before sending (non-zero only before a retry).
    pub delay_ms: u64,
    /// A `POST`'s JSON body (an RPC's arguments); `None`: a `GET`.
    pub body: Option<String>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| match *name {
                "apikey" | "Authorization" => (*name, "<redacted>"),
                _ => (*name, value.as_str()),
            })
            .collect();
        f.debug_struct("Request")
            .field("url", &self.url)
            .field("headers", &headers)
            .field("delay_ms", &self.delay_ms)
            .field("body", &self.body)
            .finish()
    }
}

/// The response body format asked for. CSV is the default: PostgREST's `text/csv` carries the
/// column names once, not once per row, so it is the smaller of the two (scripts/bench-supabase.sh
/// measures both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireFormat {
    Csv,
    Json,
}

impl WireFormat {
    pub(super) fn accept(self) -> &'static str {
        match self {
            WireFormat::Csv => "text/csv",
            WireFormat::Json => "application/json",
        }
    }
}

/// Bounded exponential backoff, without jitter so it is a pure function (one console polls a
/// project; there is no herd to spread).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry.
    pub first_delay_ms: u64,
    /// No delay is longer (a server's `Retry-After` included).
    pub max_delay_ms: u64,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 0.5 s, 1 s, 2 s: four attempts within about 3.5 s.
    fn default() -> Backoff {
        Backoff {
            first_delay_ms: 500,
            max_delay_ms: 8_000,
            max_attempts: 4,
        }
    }
}

impl Backoff {
    /// The wait before the next attempt after `failed` failed attempts, or `None` when the
    /// attempts are used up. A server's `Retry-After` wins over the schedule (within the cap).
    pub fn delay_ms(&self, failed: u32, retry_after_ms: Option<u64>) -> Option<u64> {
        if failed == 0 || failed >= self.max_attempts {
            return None;
        }
        let doubled = self
            .first_delay_ms
            .saturating_mul(1u64 << (failed - 1).min(32));
        Some(retry_after_ms.unwrap_or(doubled).min(self.max_delay_ms))
    }
}

/// What one read fetches.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadPlan {
    /// `created_at >= from`; `None`: from the first row.
    pub from: Option<Micros>,
    /// `created_at < to`; `None`: up to the newest row (a window that ends now).
    pub to: Option<Micros>,
    /// Only rows with `id > after_id` (an incremental refresh's cursor, or a range's start).
    pub after_id: Option<i64>,
    /// Only rows with `id <= upto_id`, fixed in advance (a range of a read split in parts,
    /// see `ExactExtent::plans`): no probe, the streams start at once.
    pub upto_id: Option<i64>,
    /// Read through `sql/006_exact_read.sql`'s `canary_exact_page` (POSTs to one URL, pages of
    /// `page_size` rows that the project's `db-max-rows` does not cap) instead of the table.
    pub rpc: bool,
    /// Rows asked for per page; the server may cap it lower (`db-max-rows`), which is handled.
    pub page_size: usize,
    pub format: WireFormat,
    /// Ask a full read's planned row count (`Prefer: count=planned`) to report progress
    /// against. A refresh always asks the exact count (cheap for the few rows above a cursor).
    pub estimate: bool,
    pub backoff: Backoff,
}

impl ReadPlan {
    /// Every row of `[from, to)`.
    pub fn window(from: Option<Micros>, to: Option<Micros>) -> ReadPlan {
        ReadPlan {
            from,
            to,
            after_id: None,
            upto_id: None,
            rpc: false,
            page_size: DEFAULT_PAGE_SIZE,
            format: WireFormat::Csv,
            estimate: true,
            backoff: Backoff::default(),
        }
    }
}

/// One selected column: its alias on the wire and its PostgREST select item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Col {
    Id,
    Type,
    Success,
    CacheHit,
    Time,
    CacheKey,
    Endpoint,
    ErrorType,
    ErrorMessage,
    Prefix,
    State,
    Failures,
    Successes,
    Canary,
    Details,
    CreatedAt,
    /// `created_at` as microseconds since the epoch (the exact read's functions).
    CreatedAtMicros,
}

impl Col {
    const ALL: [Col; 17] = [
        Col::Id,
        Col::Type,
        Col::Success,
        Col::CacheHit,
        Col::Time,
        Col::CacheKey,
        Col::Endpoint,
        Col::ErrorType,
        Col::ErrorMessage,
        Col::Prefix,
        Col::State,
        Col::Failures,
        Col::Successes,
        Col::Canary,
        Col::Details,
        Col::CreatedAt,
        Col::CreatedAtMicros,
    ];

    /// `alias:expression`. `->>` is evaluated by PostgreSQL, so values are exactly what the
    /// guide's SQL groups by; `details->canary` stays JSON so a non-boolean can be told apart.
    pub(super) fn select(self) -> &'static str {
        match self {
            Col::Id => "i:id",
            Col::Type => "t:event_type",
            Col::Success => "s:success",
            Col::CacheHit => "h:cache_hit",
            Col::Time => "p:processing_time_ms",
            Col::CacheKey => "k:cache_key",
            Col::Endpoint => "e:details->>endpoint",
            Col::ErrorType => "et:details->>error_type",
            Col::ErrorMessage => "em:details->>error_message",
            Col::Prefix => "x:details->>cache_key_prefix",
            Col::State => "st:details->>state",
            Col::Failures => "fc:details->>failure_count",
            Col::Successes => "sc:details->>success_count",
            Col::Canary => "c:details->canary",
            Col::Details => "d:details",
            Col::CreatedAt => "a:created_at",
            // Never selected from the table: `canary_exact_page` computes it.
            Col::CreatedAtMicros => "u:created_at",
        }
    }

    pub(super) fn alias(self) -> &'static str {
        let select = self.select();
        &select[..select.find(':').unwrap_or(select.len())]
    }

    pub(super) fn from_alias(alias: &str) -> Option<Col> {
        Col::ALL.into_iter().find(|c| c.alias() == alias)
    }
}

/// Which event types a stream reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Types {
    Only(EventType),
    /// Every type no other stream names (unknown types, counted as such).
    Others,
    /// Every type (the combined stream of a small read).
    All,
}

/// One keyset-paged stream: the rows of one event type (or of every other type) with the
/// columns the metrics read for it. Keep in step with `metrics`, `alerts`, `series` and
/// `cohort`: the Supabase tests compare this path with the file path on every output.
pub(super) struct Stream {
    pub(super) types: Types,
    pub(super) cols: &'static [Col],
}

impl Stream {
    /// The type of every row of the stream, if it has one.
    pub(super) fn only(&self) -> Option<EventType> {
        match self.types {
            Types::Only(t) => Some(t),
            Types::Others | Types::All => None,
        }
    }
}
/// Requests first: the biggest stream settles the server's page size for the rest.
pub(super) const STREAMS: [Stream; 7] = [
    Stream {
        types: Types::Only(EventType::RequestCompleted),
        cols: &[
            Col::Id,
            Col::Success,
            Col::Time,
            Col::Endpoint,
            Col::ErrorType,
            Col::ErrorMessage,
            Col::Canary,
            Col::CreatedAt,
        ],
    },
    Stream {
        types: Types::Only(EventType::CacheAccess),
        cols: &[
            Col::Id,
            Col::CacheHit,
            Col::Time,
            Col::Prefix,
            Col::Canary,
            Col::CreatedAt,
        ],
    },
    Stream {
        types: Types::Only(EventType::CacheMiss),
        cols: &[Col::Id, Col::CacheKey, Col::Canary, Col::CreatedAt],
    },
    Stream {
        types: Types::Only(EventType::Mem0Write),
        cols: &[
            Col::Id,
            Col::Success,
            Col::Time,
            Col::ErrorType,
            Col::Canary,
            Col::CreatedAt,
        ],
    },
    Stream {
        types: Types::Only(EventType::CircuitBreakerStateChange),
        cols: &[
            Col::Id,
            Col::State,
            Col::Failures,
            Col::Successes,
            Col::Canary,
            Col::CreatedAt,
        ],
    },
    Stream {
        types: Types::Only(EventType::FeatureFlagsLoaded),
        cols: &[Col::Id, Col::Details, Col::CreatedAt],
    },
    Stream {
        types: Types::Others,
        cols: &[Col::Id, Col::Type, Col::Canary, Col::CreatedAt],
    },
];

/// Appends a `select` list: the commas between columns literal, each column percent-encoded
/// (`>` may not appear raw in a URL; PostgREST decodes the value before it parses the list).
pub(super) fn push_select(url: &mut String, cols: &[Col]) {
    for (i, col) in cols.iter().enumerate() {
        if i > 0 {
            url.push(',');
        }
        stdx::url::push_component(url, col.select());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_schedule_is_bounded() {
        let b = Backoff::default();
        let schedule: Vec<Option<u64>> = (0..6).map(|n| b.delay_ms(n, None)).collect();
        assert_eq!(
            schedule,
            [None, Some(500), Some(1000), Some(2000), None, None]
        );
        assert_eq!(b.delay_ms(1, Some(3000)), Some(3000));
        assert_eq!(b.delay_ms(1, Some(60_000)), Some(8000));
        let long = Backoff {
            max_attempts: 40,
            ..b
        };
        assert_eq!(long.delay_ms(39, None), Some(8000));
    }
}
