//! One component per file, each named after what it shows.

pub mod alerts_timeline;
pub mod breaker_panel;
pub mod cache_chart;
pub mod cache_panel;
pub mod canary_vs_control;
pub mod chart_figure;
pub mod checklist;
pub mod dashboard;
pub mod endpoint_table;
pub mod error_breakdown;
pub mod error_chart;
pub mod health_panel;
pub mod latency_chart;
pub mod mem0_chart;
pub mod mem0_panel;
pub mod phase_comparison;
pub mod phase_panel;
pub mod redis_panel;
pub mod report_panel;
pub mod runbook;
pub mod show_if;
pub mod source_picker;
pub mod status_banner;
pub mod success_metrics;
pub mod toolbar;
