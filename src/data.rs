//! Where the app's events come from. Loading is async (a file is read, Supabase is paged), so the
//! app reads it through a `LocalResource`; parsing and all numbers are the core's.

use std::sync::Arc;

use canary_core::demo::{generate, DemoConfig};
use canary_core::read::{read_export, Format};
use canary_core::{EventStore, Micros};

/// A data source the user can pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// The embedded, generated demo rollout (no network, no account).
    Demo,
    /// The demo scaled to at least this many events (for benchmarks: `?source=demo&events=N`).
    ScaledDemo { events: usize },
    /// A CSV or JSON export the user chose or dropped.
    File { name: String, text: Arc<str> },
    /// A Supabase project read through its REST API.
    Supabase { url: String, key: String },
}

impl DataSource {
    /// How the source is named on the page (never with a key).
    pub fn label(&self) -> String {
        match self {
            DataSource::Demo => "Demo data: Phase 1 canary at 10 % traffic".to_owned(),
            DataSource::ScaledDemo { events } => {
                format!("Demo data scaled to {events} events (benchmark size)")
            }
            DataSource::File { name, .. } => format!("File {name}"),
            DataSource::Supabase { url, .. } => format!("Supabase {url}"),
        }
    }

    /// The `source` value in the page's URL.
    pub fn code(&self) -> &'static str {
        match self {
            DataSource::Demo | DataSource::ScaledDemo { .. } => "demo",
            DataSource::File { .. } => "file",
            DataSource::Supabase { .. } => "supabase",
        }
    }

    /// Whether the data keeps growing (auto-refresh makes sense).
    pub fn is_live(&self) -> bool {
        matches!(self, DataSource::Supabase { .. })
    }
}

/// Why a data set could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{source_label} has no events, so there is nothing to measure. Pick another source.")]
    NoEvents { source_label: String },
    #[error("{name} could not be read: {message}")]
    File { name: String, message: String },
    #[error("{0}")]
    Supabase(String),
}

/// A loaded data set.
#[derive(Debug)]
pub struct Dataset {
    pub source_label: String,
    pub store: EventStore,
    /// Where "last N hours" ends: the data's end for fixed data, the clock for live data.
    pub range_end: Micros,
    pub live: bool,
}

impl PartialEq for Dataset {
    // Two loads are the same data set when they hold the same rows; comparing the store's
    // identity is enough for memoisation, which never sees two distinct equal loads.
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// The end of fixed data: just after its last event.
fn data_end(store: &EventStore) -> Micros {
    store.time_span().map_or(0, |(_, last)| last + 1)
}

/// Wraps a store as a data set, refusing an empty one.
pub fn dataset(source: &DataSource, store: EventStore, now: Micros) -> Result<Dataset, LoadError> {
    if store.is_empty() {
        return Err(LoadError::NoEvents {
            source_label: source.label(),
        });
    }
    let live = source.is_live();
    Ok(Dataset {
        source_label: source.label(),
        range_end: if live { now } else { data_end(&store) },
        store,
        live,
    })
}

/// Loads `source` (the Supabase path is in [`crate::api`]).
pub async fn load(source: DataSource) -> Result<Arc<Dataset>, LoadError> {
    let now = crate::clock::now();
    let store = match &source {
        DataSource::Demo => generate(&DemoConfig::default()),
        DataSource::ScaledDemo { events } => generate(&DemoConfig::with_events(*events)),
        DataSource::File { name, text } => {
            read_export(text, Format::detect(name, text)).map_err(|e| LoadError::File {
                name: name.clone(),
                message: e.to_string(),
            })?
        }
        DataSource::Supabase { url, key } => crate::api::read_supabase(url, key)
            .await
            .map_err(|e| LoadError::Supabase(e.to_string()))?,
    };
    dataset(&source, store, now).map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_a_clear_error() {
        let source = DataSource::File {
            name: "x.csv".into(),
            text: Arc::from(""),
        };
        let e = dataset(&source, EventStore::new(), 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "File x.csv has no events, so there is nothing to measure. Pick another source."
        );
    }

    #[test]
    fn labels_never_show_a_key() {
        let s = DataSource::Supabase {
            url: "https://x.supabase.co".into(),
            key: "secret-key".into(),
        };
        assert!(!s.label().contains("secret"));
    }
}
