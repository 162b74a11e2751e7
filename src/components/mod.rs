//! One component per file, each named after what it shows.

pub mod alerts_timeline;
pub mod breaker_panel;
pub mod cache_panel;
pub mod canary_vs_control;
pub mod chart_panel;
pub mod checklist;
pub mod dashboard;
pub mod data_panel;
pub mod endpoint_table;
pub mod error_breakdown;
pub mod health_panel;
pub mod latency_chart;
pub mod mem0_panel;
pub mod panel_helpers;
pub mod phase_comparison;
pub mod phase_panel;
pub mod rate_chart_panel;
pub mod redis_panel;
pub mod report_panel;
pub mod runbook;
pub mod show_if;
pub mod source_picker;
pub mod stat;
pub mod status_banner;
pub mod success_metrics;
pub mod toolbar;
