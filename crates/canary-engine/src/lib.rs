//! The hot half of Canary Console's pure core: the columnar [`store::EventStore`] and every
//! number computed over a time window of it ([`metrics`], [`series`], [`alerts`], [`cohort`]),
//! exactly as PostgreSQL computes the guide's SQL.
//!
//! It is a crate of its own for one reason: a time-range switch in the browser runs these loops
//! over up to a million events, and they need a different balance of speed and size than the
//! rest of the bundle (the workspace's `wasm-release` profile builds this crate at opt-level "s"
//! and everything else at "z"; its comment has the measurements). `canary-core` re-exports every module here, so
//! callers use `canary_core::metrics` and never name this crate. Like the rest of the core it
//! reads no clock and does no I/O.

pub mod alerts;
pub mod cohort;
pub mod cohort_rules;
pub mod event;
pub mod histogram;
pub mod metrics;
pub mod percentile;
pub mod rollup;
pub mod series;
pub mod store;

pub use event::{Details, EventRow, EventType, Micros};
pub use metrics::{Metrics, Window};
pub use store::EventStore;
