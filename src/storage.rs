//! The browser's localStorage and sessionStorage, typed: values are stored as JSON. Failures
//! (storage disabled, quota, private mode) lose nothing already on screen; saving reports them.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Which storage a value lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Survives reloads and browser restarts.
    Local,
    /// Survives reloads of this tab only.
    Session,
}

/// Why a value could not be saved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("the browser's storage is not available (private mode or disabled); changes last until the page is closed")]
    Unavailable,
    #[error("the browser refused to save (storage full?): {0}")]
    Refused(String),
}

fn storage(area: Area) -> Option<web_sys::Storage> {
    let window = web_sys::window()?;
    match area {
        Area::Local => window.local_storage().ok().flatten(),
        Area::Session => window.session_storage().ok().flatten(),
    }
}

/// The value under `key`, if present and readable as `T`.
pub fn load<T: DeserializeOwned>(area: Area, key: &str) -> Option<T> {
    let text = storage(area)?.get_item(key).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Stores `value` under `key`.
pub fn save<T: Serialize>(area: Area, key: &str, value: &T) -> Result<(), StorageError> {
    let store = storage(area).ok_or(StorageError::Unavailable)?;
    let text = serde_json::to_string(value).map_err(|e| StorageError::Refused(e.to_string()))?;
    store
        .set_item(key, &text)
        .map_err(|e| StorageError::Refused(format!("{e:?}")))
}

/// Removes `key`.
pub fn remove(area: Area, key: &str) {
    if let Some(store) = storage(area) {
        let _ = store.remove_item(key);
    }
}

/// Storage keys, in one place so they never collide.
pub mod keys {
    pub const PHASES: &str = "canary-console.phases";
    pub const PHASE_NUMBER: &str = "canary-console.phase";
    pub const CHECKLIST: &str = "canary-console.checklist";
    pub const REDIS_INFO: &str = "canary-console.redis-info";
    pub const HEALTH_URL: &str = "canary-console.health-url";
    pub const SIGNOFF_DRAFT: &str = "canary-console.signoff-draft";
    pub const SUPABASE_URL: &str = "canary-console.supabase-url";
    /// Before keys were bound to their project: one key for whatever URL a link named. Removed
    /// at start-up, never read.
    pub const LEGACY_SUPABASE_KEY: &str = "canary-console.supabase-key";

    /// Where the key (and pasted token) of one project is kept: under its exact project URL,
    /// so a link naming another project finds nothing to send there.
    pub fn supabase_keys(project_url: &str) -> String {
        format!("canary-console.supabase-key:{project_url}")
    }
    pub const AUTO_REFRESH: &str = "canary-console.auto-refresh";
}
