//! The pure engine of Canary Console.
//!
//! Events of the `observability_events` table go into a columnar [`store::EventStore`] (from the
//! [`read`] parsers or the [`demo`] generator); [`metrics::compute`] and [`series::compute`] turn a
//! time window of it into the numbers the guide's SQL gives; [`summary`] turns those into the
//! success-metrics table. Nothing here reads a clock, touches the network or the file system, or
//! knows about the browser: callers pass the current time and the bytes in.

pub mod alerts;
pub mod cohort;
pub mod demo;
pub mod details;
pub mod event;
pub mod jsonb;
pub mod metrics;
pub mod percentile;
pub mod phases;
pub mod read;
pub mod redis;
pub mod report;
pub mod series;
pub mod sort;
pub mod store;
pub mod summary;
pub mod supabase;
pub mod time;

pub use event::{Details, EventRow, EventType, Micros};
pub use metrics::{Metrics, Window};
pub use store::EventStore;
