//! Helpers that know nothing of canary rollouts: sorting ([`sort`]), decimal text to `f64`
//! ([`decimal`]) and a small deterministic random generator ([`rand`]). Each is tested against
//! the standard library it stands in for. The domain crates import them from here; nothing here
//! imports a domain crate.

pub mod decimal;
pub mod rand;
pub mod sort;
