//! The rollup read's answers (`canary_rollup_totals`, `_minutes`, `canary_window_groups`, the
//! exact rows and `canary_rollup_extent`) and everything computed from them: the fuzzer's body
//! is one answer, as PostgREST would send it with a 200 status, beside well-formed others.
#![no_main]

use canary_core::alerts::{default_rules, MetricId};
use canary_core::rollup::{compare_cohorts, evaluate_from_rollups, metrics_from_rollups};
use canary_core::supabase::rollups::{read_extent, RollupRead};
use canary_core::supabase::SupabaseConfig;
use canary_core::Window;
use libfuzzer_sys::fuzz_target;

/// Well-formed empty answers of the four window RPCs, in `RollupRead::requests` order.
const EMPTY: [&[u8]; 4] = [
    b"[]",
    b"[]",
    br#"{"errors_by_type":[],"mem0_failures_by_type":[],"last_1000_requests":{"requests":0,"failures":0}}"#,
    b"[]",
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let Ok(config) = SupabaseConfig::new("https://abc.supabase.co", "sb_publishable_fuzz") else {
        return;
    };
    let json = Some("application/json");
    let which = usize::from(first % 5);
    if which == 4 {
        let _ = read_extent(&config, 200, json, body);
        return;
    }
    // A week ending 2026-12-06, the window of the answers.
    let Some(window) = Window::new(1_764_460_800_000_000, 1_765_065_600_000_000) else {
        return;
    };
    let mut read = RollupRead::new(window);
    for (i, empty) in EMPTY.iter().enumerate() {
        let answer = if i == which { body } else { empty };
        if read.on_response(&config, i, 200, json, answer).is_err() {
            return;
        }
    }
    let Ok(r) = read.finish() else {
        return;
    };
    let metrics = metrics_from_rollups(&r.totals, &r.exact, r.window);
    // What `metrics --json` prints and the page shows of it.
    let _ = serde_json::to_string(&metrics);
    let _ = canary_core::text::metric_value(MetricId::P50Latency, metrics.latency.p50_ms);
    let _ = evaluate_from_rollups(&r.minutes, &r.exact, r.window, &default_rules());
    let _ = compare_cohorts(&r.totals, r.window);
});
