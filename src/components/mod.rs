//! One component per file, each named after what it shows.

pub mod dashboard;
pub mod latency_chart;
pub mod success_metrics;
