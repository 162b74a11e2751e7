//! The report preview's Markdown renderer (`canary_core::markdown`): never panics, and no tag
//! comes from the input.
#![no_main]

use canary_core::markdown;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let html = markdown::to_html(text);
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{text:?} -> {html}");
});
