//! Reading `observability_events` from a Supabase project (PostgREST behind Supabase's gateway),
//! sans-IO: this module builds requests and digests responses; a transport (the CLI's blocking
//! HTTP client, the app's `fetch`) only moves bytes. No I/O, no clock, no sleeping here.
//!
//! - [`SupabaseConfig`]: the project URL and the key, checked before anything is sent. A
//!   `service_role` JWT or an `sb_secret_` key is refused: it bypasses Row Level Security and
//!   must never sit in a browser or a report. The key's `exp` is reported so a caller can say
//!   "expired" before a request.
//! - [`PagedRead`]: the state machine of one read. Keyset paging (`order=id.asc&id=gt.<last>`),
//!   never offsets; correct when the server caps pages below the requested `limit`
//!   (`db-max-rows`: a short page ends a stream only once the page size is known, else the
//!   next, empty, page does); progress with the planned row count; bounded retries with a pure
//!   [`Backoff`] on 429, 5xx and transport failures; typed [`SupabaseError`]s a user can act on,
//!   and a [`ReadWarning`] when a read sees no rows (Row Level Security may hide them).
//! - An incremental refresh is the same read with [`ReadPlan::refresh`]: only rows with an id
//!   above [`refresh_cursor`], which re-reads an overlap so that rows whose transaction
//!   commits late (within [`LATE_COMMIT_MAX`] of their insert) are not missed; then
//!   [`EventStore::retain_from`](crate::store::EventStore::retain_from) drops what left the
//!   window. Its cost grows with the new rows and the overlap, not with the window.
//!
//! What goes over the wire:
//! 0. Before a full read, the transports ask [`team::membership_request`]: with
//!    `sql/002_team_access.sql` Row Level Security gives a non-member no rows, which alone looks
//!    like an empty window; the answer turns that into [`SupabaseError::NotMember`].
//! 1. A probe: the newest id in the read (`order=id.desc&limit=1`) with the row count
//!    (`Prefer: count=planned` for a full read's progress bar, `count=exact` for a refresh).
//!    Every later request has `id=lte.<that id>`: rows committed during the read are left whole
//!    to the next refresh, so none is lost or doubled even though the streams below run one
//!    after the other.
//! 2. For a full read with a start: the newest circuit-breaker transition before it (the
//!    breaker's state carries over into the window).
//! 3. One keyset-paged stream per event type, each selecting only the columns and `details`
//!    keys the metrics read for that type, under one-letter aliases, as `text/csv` (see
//!    [`WireFormat`]). `details` keys come as `details->>key`, so PostgreSQL itself computes
//!    `->>` exactly as the guide's SQL does; only `feature_flags_loaded` rows fetch the whole
//!    `details` object. A read of at most [`SMALL_READ_ROWS`] rows (a typical refresh) takes
//!    one stream of every type instead: two requests in all.
//!
//! `scripts/bench-supabase.sh` measures the bytes per event of both formats against `select=*`
//! JSON and the cost of a refresh against the full read (figures in the README).
//!
//! # Driving a read (any transport)
//!
//! ```no_run
//! # use canary_core::supabase::*;
//! # use canary_core::EventStore;
//! # struct Resp { status: u16, headers: Vec<(String, String)>, body: Vec<u8> }
//! # fn http_get(_url: &str, _headers: &[(&str, String)]) -> Result<Resp, String> { todo!() }
//! # fn sleep_ms(_ms: u64) {}
//! # fn run(url: &str, key: &str, now_unix: i64, from: i64, to: i64) -> Result<(), SupabaseError> {
//! let config = SupabaseConfig::new(url, key)?; // .with_access_token(user_jwt)? when signed in
//! config.check_not_expired(now_unix)?;
//! let mut store = EventStore::new();
//! let mut read = PagedRead::new(&config, ReadPlan::window(Some(from), Some(to)));
//! {
//!     // One batch for the whole read: it restores time order once, and a failed read
//!     // discards everything it appended.
//!     let mut batch = store.batch();
//!     while let Some(request) = read.next_request() {
//!         sleep_ms(request.delay_ms); // non-zero only before a retry
//!         let progress = match http_get(&request.url, &request.headers) {
//!             Ok(r) => {
//!                 let headers: Vec<(&str, &str)> =
//!                     r.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
//!                 read.on_response(r.status, &headers, &r.body, &mut batch)?
//!             }
//!             Err(e) => read.on_transport_error(&e, &mut batch)?,
//!         };
//!         eprintln!("{} of ~{:?} rows", progress.rows, progress.estimate);
//!     }
//! }
//! for warning in read.warnings() {
//!     eprintln!("{warning}");
//! }
//! # Ok(()) }
//! ```
//!
//! Never log [`Request::headers`]: they carry the key (`Request`'s `Debug` redacts them).

mod config;
mod errors;
mod exact;
mod keys;
mod paged_read;
mod plan;
pub mod records;
mod refresh;
pub mod rollups;
pub mod team;
#[cfg(test)]
mod test_support;
mod wire;

pub use config::SupabaseConfig;
pub use errors::{ReadWarning, SupabaseError};
pub use exact::{
    exact_extent_request, read_exact_extent, ExactExtent, EXACT_MIGRATION, EXACT_PAGE_FUNCTION,
    EXACT_PAGE_ROWS,
};
pub use keys::{ApiKey, JwtClaims, KeyKind};
pub use paged_read::{PagedRead, Progress, Retry};
pub use plan::{Backoff, ReadPlan, Request, WireFormat};
pub use refresh::{refresh_cursor, CLOCK_SKEW_MAX, LATE_COMMIT_MAX, SMALL_READ_ROWS};

/// The table read.
pub const TABLE: &str = "observability_events";
/// The migration that creates [`TABLE`] with its indexes, RLS policy and grants.
pub const MIGRATION: &str = "sql/001_observability_events.sql";
/// Rows asked for per page: Supabase's default `db-max-rows` cap.
pub const DEFAULT_PAGE_SIZE: usize = 1000;
