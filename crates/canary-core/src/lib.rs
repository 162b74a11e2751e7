//! The pure core of Canary Console.
//!
//! Events of the `observability_events` table go into a columnar [`store::EventStore`] (from the
//! [`read`] parsers or the [`demo`] generator); [`metrics::compute`] and [`series::compute`] turn a
//! time window of it into the numbers the guide's SQL gives; [`summary`] turns those into the
//! success-metrics table. Nothing here reads a clock, touches the network or the file system, or
//! knows about the browser: callers pass the current time and the bytes in. The store and the
//! computations over a window come from `canary-engine` (a crate of its own so the browser
//! bundle can build them for speed) and are re-exported here under their module names.

// The store and the window computations live in `canary-engine`, built for speed inside the
// size-optimised browser bundle; they are part of this crate's API as if defined here.
pub use canary_engine::{
    alerts, cohort, cohort_rules, event, histogram, metrics, percentile, rollup, series, store,
};

pub mod analysis;
pub mod auth;
pub mod chat;
pub mod demo;
pub mod details;
pub mod email_html;
pub mod grafana;
pub mod jsonb;
pub mod markdown;
pub mod phases;
pub mod read;
pub mod redis;
pub mod report;
pub mod report_cohorts;
pub mod report_rollups;
pub mod rollup_analysis;
pub mod summary;
pub mod supabase;
pub mod team;
pub mod text;
pub mod time;

pub use event::{Details, EventRow, EventType, Micros};
pub use metrics::{Metrics, Window};
pub use store::EventStore;
