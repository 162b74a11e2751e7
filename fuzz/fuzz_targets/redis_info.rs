//! `redis-cli INFO` text, then its judgement and alerts.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(info) = canary_core::redis::parse_info(text) {
        let _ = canary_core::redis::assess(&info);
        let _ = canary_core::redis::alerts(&info, chrono::DateTime::UNIX_EPOCH);
    }
});
