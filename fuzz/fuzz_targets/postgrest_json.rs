//! The PostgREST JSON array reader, then the metrics over what it read.
#![no_main]

use canary_core::metrics::Window;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(store) = canary_core::read::read_json(text) {
        let window = Window::whole(&store);
        let _ = canary_core::metrics::compute(&store, window);
        let _ = canary_core::alerts::evaluate(&store, window, &canary_core::alerts::default_rules());
    }
});
