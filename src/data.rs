//! Where the app's events come from, and the numbers computed from them once loaded.
//!
//! Loading is async (a file or a network source arrives later), so the app reads it through a
//! `LocalResource`; the demo source resolves at once.

use std::sync::Arc;

use canary_core::demo::{generate, DemoConfig};
use canary_core::metrics::{self, Metrics, Window};
use canary_core::series::{self, Series};
use canary_core::EventStore;

/// A data source the user can pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// The embedded, generated demo rollout (no network, no account).
    Demo,
}

impl DataSource {
    /// How the source is named on the page.
    pub fn label(&self) -> &'static str {
        match self {
            DataSource::Demo => "Demo data: Phase 1 canary at 10 % traffic",
        }
    }
}

/// Why a data set could not be shown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{source_label} has no events, so there is nothing to measure. Pick another source or a wider time window.")]
    NoEvents { source_label: String },
}

/// A loaded data set with the numbers of its window.
#[derive(Debug, PartialEq)]
pub struct Analysis {
    pub source_label: String,
    pub window: Window,
    pub events_loaded: usize,
    pub metrics: Arc<Metrics>,
    pub series: Arc<Series>,
}

/// Computes the analysis of a whole store.
pub fn analyse(source_label: &str, store: &EventStore) -> Result<Analysis, LoadError> {
    let window = Window::whole(store).ok_or_else(|| LoadError::NoEvents {
        source_label: source_label.to_owned(),
    })?;
    Ok(Analysis {
        source_label: source_label.to_owned(),
        window,
        events_loaded: store.len(),
        metrics: Arc::new(metrics::compute(store, Some(window))),
        series: Arc::new(series::compute(store, window)),
    })
}

/// Loads `source` and analyses it.
pub async fn load(source: DataSource) -> Result<Arc<Analysis>, LoadError> {
    let store = match source {
        DataSource::Demo => generate(&DemoConfig::default()),
    };
    analyse(source.label(), &store).map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_store_is_a_clear_error() {
        let e = analyse("File x.csv", &EventStore::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "File x.csv has no events, so there is nothing to measure. Pick another source or a wider time window."
        );
    }
}
