//! The console's view state, shared through context (`ConsoleState::expect_context()`): the data
//! source, time range, phase definitions and the user's inputs. Each piece persists where it
//! belongs: view choices in the URL (never a key), user inputs in localStorage.

use std::sync::Arc;

use canary_core::metrics::Metrics;
use canary_core::phases::{default_phases, PhaseDefinition};
use leptos::prelude::*;

use crate::effect::effect;

use crate::api::ReadProgress;
use crate::data::{DataSource, SupabaseKeys};
use crate::storage::{self, keys, Area};
use canary_core::analysis::RangeChoice;

/// The auto-refresh choices, in minutes (0: off).
pub const AUTO_REFRESH_MINUTES: [u32; 4] = [0, 1, 5, 15];

/// Signals every part of the page reads; components get plain `Signal`s from it.
#[derive(Clone, Copy)]
pub struct ConsoleState {
    pub source: RwSignal<DataSource>,
    pub range: RwSignal<RangeChoice>,
    pub phases: RwSignal<Vec<PhaseDefinition>>,
    pub phase_number: RwSignal<u8>,
    pub redis_info: RwSignal<String>,
    pub health_url: RwSignal<String>,
    pub auto_refresh: RwSignal<u32>,
    /// The progress of the Supabase read under way (`None` when none is).
    pub progress: RwSignal<Option<ReadProgress>>,
    /// The rollups' numbers of the window being read, shown until the exact read is in.
    pub estimate: RwSignal<Option<Arc<Metrics>>>,
    /// Skip the rollups' first numbers and wait for the exact read.
    pub exact_only: RwSignal<bool>,
    /// The most rows of a window read one by one (`?exact_limit=N`; else
    /// `api::EXACT_ROWS_LIMIT`): past it, the panels are drawn from the rollups.
    pub exact_rows_limit: StoredValue<u64>,
    /// A project the page's link named without a key remembered for it: the source picker
    /// opens its form with this URL and nothing else filled in.
    pub link_project: StoredValue<Option<String>>,
    /// Sign-in state: bumped when a session changes, and why one ended.
    pub auth: RwSignal<crate::session::AuthView>,
}

/// The key remembered for exactly this project URL (this tab's first, then this device's).
pub fn saved_keys(project_url: &str) -> Option<SupabaseKeys> {
    let key = keys::supabase_keys(project_url);
    storage::load::<SupabaseKeys>(Area::Session, &key)
        .or_else(|| storage::load::<SupabaseKeys>(Area::Local, &key))
}

/// The view state the page's URL carries.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UrlState {
    pub source: Option<String>,
    pub supabase_url: Option<String>,
    pub range: Option<RangeChoice>,
    pub phase: Option<u8>,
    /// A scaled demo's size (benchmarks); bounded so a link cannot ask for absurd sizes.
    pub events: Option<usize>,
    /// The most rows of a Supabase window the page reads one by one.
    pub exact_limit: Option<u64>,
}

/// The largest scaled demo a URL may ask for.
pub const MAX_DEMO_EVENTS: usize = 2_000_000;

impl UrlState {
    /// Reads `?source=…&supabase=…&range=…&phase=…`; unknown values are ignored.
    pub fn parse(query: &str) -> UrlState {
        let mut state = UrlState::default();
        for (key, value) in query_params(query) {
            match key.as_str() {
                "source" if matches!(value.as_str(), "demo" | "supabase") => {
                    state.source = Some(value)
                }
                "supabase" if !value.is_empty() => state.supabase_url = Some(value),
                "range" => state.range = RangeChoice::from_code(&value),
                "phase" => state.phase = value.parse().ok().filter(|p| (1..=3).contains(p)),
                "events" => {
                    state.events = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_DEMO_EVENTS).contains(n))
                }
                "exact_limit" => state.exact_limit = value.parse().ok(),
                _ => {}
            }
        }
        state
    }

    /// The query string for this state (a file source is not shareable: it is not included).
    pub fn to_query(&self) -> String {
        let Ok(params) = web_sys::UrlSearchParams::new() else {
            return String::new();
        };
        let add = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                params.append(name, &value);
            }
        };
        add("source", self.source.clone());
        add("supabase", self.supabase_url.clone());
        add("range", self.range.map(|r| r.code().to_owned()));
        add("phase", self.phase.map(|p| p.to_string()));
        add("events", self.events.map(|n| n.to_string()));
        add("exact_limit", self.exact_limit.map(|n| n.to_string()));
        let query = String::from(params.to_string());
        if query.is_empty() {
            query
        } else {
            format!("?{query}")
        }
    }
}

/// The decoded (name, value) pairs of a query string or fragment, leading `?` or `#` allowed,
/// as the browser's `URLSearchParams` reads them.
pub fn query_params(text: &str) -> Vec<(String, String)> {
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(text.trim_start_matches('#')) else {
        return Vec::new();
    };
    // A URLSearchParams iterates over its [name, value] pairs.
    let Ok(Some(entries)) = js_sys::try_iter(&params) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pair = js_sys::Array::from(&entry);
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

fn location_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

impl ConsoleState {
    /// The state at start-up: the URL's view, the user's saved inputs, defaults for the rest.
    pub fn from_page() -> ConsoleState {
        let url = UrlState::parse(&location_search());
        // A key kept before keys were bound to their project could be sent wherever a link
        // points: drop it.
        storage::remove(Area::Local, keys::LEGACY_SUPABASE_KEY);
        storage::remove(Area::Session, keys::LEGACY_SUPABASE_KEY);
        let mut link_project = None;
        let source = match (url.source.as_deref(), url.supabase_url) {
            (Some("demo"), _) if url.events.is_some() => DataSource::ScaledDemo {
                events: url.events.unwrap_or_default(),
            },
            (Some("supabase"), Some(project)) => {
                // The key never travels in the URL: it is the one kept for exactly this project
                // URL, or the user enters it (a link to another project sends it nothing).
                match saved_keys(&project) {
                    Some(saved) => DataSource::Supabase {
                        url: project,
                        keys: saved,
                    },
                    None => {
                        link_project = Some(project);
                        DataSource::Demo
                    }
                }
            }
            _ => DataSource::Demo,
        };
        ConsoleState {
            source: RwSignal::new(source),
            range: RwSignal::new(url.range.unwrap_or_default()),
            phases: RwSignal::new(
                storage::load(Area::Local, keys::PHASES).unwrap_or_else(default_phases),
            ),
            phase_number: RwSignal::new(
                url.phase
                    .or_else(|| storage::load(Area::Local, keys::PHASE_NUMBER))
                    .unwrap_or(1),
            ),
            redis_info: RwSignal::new(
                storage::load(Area::Local, keys::REDIS_INFO).unwrap_or_default(),
            ),
            health_url: RwSignal::new(
                storage::load(Area::Local, keys::HEALTH_URL).unwrap_or_default(),
            ),
            auto_refresh: RwSignal::new(
                storage::load(Area::Local, keys::AUTO_REFRESH).unwrap_or(0),
            ),
            progress: RwSignal::new(None),
            estimate: RwSignal::new(None),
            exact_only: RwSignal::new(false),
            exact_rows_limit: StoredValue::new(
                url.exact_limit.unwrap_or(crate::api::EXACT_ROWS_LIMIT),
            ),
            link_project: StoredValue::new(link_project),
            auth: RwSignal::new(Default::default()),
        }
    }

    /// The state from context (provided by `App`).
    pub fn expect_context() -> ConsoleState {
        expect_context::<ConsoleState>()
    }

    /// Keeps the URL's query in step with the view, and saves user inputs as they change.
    pub fn sync_url(self) {
        effect(move || {
            let source = self.source.get();
            let url = UrlState {
                source: match source {
                    DataSource::File { .. } => None,
                    ref s => Some(s.code().to_owned()),
                },
                supabase_url: match &source {
                    DataSource::Supabase { url, .. } => Some(url.clone()),
                    _ => None,
                },
                range: Some(self.range.get()),
                phase: Some(self.phase_number.get()),
                events: match source {
                    DataSource::ScaledDemo { events } => Some(events),
                    _ => None,
                },
                // Kept only when the link set it.
                exact_limit: Some(self.exact_rows_limit.get_value())
                    .filter(|&n| n != crate::api::EXACT_ROWS_LIMIT),
            };
            if let Some(window) = web_sys::window() {
                if let Ok(history) = window.history() {
                    let path = window.location().pathname().unwrap_or_default();
                    let _ = history.replace_state_with_url(
                        &wasm_bindgen::JsValue::NULL,
                        "",
                        Some(&format!("{path}{}", url.to_query())),
                    );
                }
            }
        });
        effect(move || {
            let _ = storage::save(Area::Local, keys::PHASES, &self.phases.get());
        });
        effect(move || {
            let _ = storage::save(Area::Local, keys::PHASE_NUMBER, &self.phase_number.get());
        });
        effect(move || {
            let _ = storage::save(Area::Local, keys::REDIS_INFO, &self.redis_info.get());
        });
        effect(move || {
            let _ = storage::save(Area::Local, keys::HEALTH_URL, &self.health_url.get());
        });
    }

    /// Sets the auto-refresh interval (minutes, 0 = off) and remembers it.
    pub fn set_auto_refresh(self, minutes: u32) {
        self.auto_refresh.set(minutes);
        let _ = storage::save(Area::Local, keys::AUTO_REFRESH, &minutes);
    }

    /// Re-runs the load every `auto_refresh` minutes while the source is live (for Supabase an
    /// incremental refresh: see `data::load`).
    pub fn start_auto_refresh(self, reload: RwSignal<u32>) {
        Effect::new(move |previous: Option<Option<IntervalHandle>>| {
            if let Some(Some(handle)) = previous {
                handle.clear();
            }
            let minutes = self.auto_refresh.get();
            if minutes == 0 || !self.source.get().is_live() {
                return None;
            }
            set_interval_with_handle(
                move || reload.update(|n| *n += 1),
                std::time::Duration::from_secs(u64::from(minutes) * 60),
            )
            .ok()
        });
    }
}
