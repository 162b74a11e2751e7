//! The one place the app reads the clock (the core is always told the time).

use canary_core::Micros;

/// Now, in microseconds since the epoch (0 outside a browser).
pub fn now() -> Micros {
    #[cfg(target_arch = "wasm32")]
    {
        (js_sys::Date::now() * 1000.0) as Micros
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as Micros)
    }
}

/// Milliseconds since the page started loading (`performance.now()`), for timings; 0 outside a
/// browser.
pub fn precise_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}
