//! `details` as `->>` reads it, and JSON text re-printed as PostgreSQL's `jsonb` prints it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(details) = canary_core::details::parse_details(text) {
        let _ = canary_core::details::details_to_json(&details);
    }
    if serde_json::from_str::<serde_json::Value>(text).is_ok() {
        let _ = canary_core::jsonb::jsonb_text(text);
    }
});
