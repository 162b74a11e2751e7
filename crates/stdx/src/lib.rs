//! Helpers that know nothing of canary rollouts: sorting ([`sort`]), decimal text to `f64`
//! ([`decimal`]), a small deterministic random generator ([`rand`]) and percent-encoding of a URL
//! component ([`url`]). Each is tested against the standard library or crate it stands in for. The domain crates import them from here; nothing here
//! imports a domain crate.

pub mod decimal;
pub mod rand;
pub mod sort;
pub mod url;
