//! The one place the CLI reads the system clock; the core is always told the time.

use canary_core::Micros;

/// The system clock in microseconds since the epoch.
pub fn now() -> Micros {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as Micros)
}
