//! The report preview's Markdown renderer (the page's `src/markdown.rs`, compiled here on its
//! own: it needs nothing of the page): never panics, and no tag comes from the input.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/markdown.rs"]
mod markdown;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let html = markdown::to_html(text);
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{text:?} -> {html}");
});
