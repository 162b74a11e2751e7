//! Timestamps: parsing never panics, and whatever parses formats back to the same instant.
#![no_main]

use canary_core::time::{format_postgres, format_rfc3339, parse_timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(micros) = parse_timestamp(text) {
        let _ = format_rfc3339(micros);
        let again = parse_timestamp(&format_postgres(micros));
        assert_eq!(again, Ok(micros), "{text:?} -> {}", format_postgres(micros));
    }
});
