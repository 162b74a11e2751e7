//! Where the app's events come from. Loading is async (a file is read, Supabase is paged), so the
//! app reads it through a `LocalResource`; parsing and all numbers are the core's.
//!
//! A Supabase data set keeps how it was read ([`ReadSpan`], the checked configuration, when the
//! read began), so a refresh of it fetches only the rows above the core's refresh cursor (the
//! new rows and an overlap where late commits may land) and drops those that left the window,
//! instead of reading the whole window again.

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;

use canary_core::demo::{generate, DemoConfig};
use canary_core::event::MICROS_PER_HOUR;
use canary_core::metrics::Metrics;
use canary_core::phases::PhaseDefinition;
use canary_core::read::{read_export, Format};
use canary_core::supabase::rollups::RollupWindow;
use canary_core::supabase::SupabaseConfig;
use canary_core::time::format_minute;
use canary_core::{EventStore, Micros};
use serde::{Deserialize, Serialize};

use crate::api::{self, ExactRead, ReadProgress, SupabaseReadError};
use canary_core::analysis::RangeChoice;

/// The key and optional user token for a Supabase project, as typed into the source picker.
/// Kept in sessionStorage (localStorage only when the user asks to be remembered), never in the
/// page's URL or a report; `Debug` redacts both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupabaseKeys {
    /// The project's anon or publishable key (`apikey`).
    pub key: String,
    /// A signed-in user's access token (`Authorization: Bearer`), for tables only signed-in
    /// users may read.
    pub token: Option<String>,
}

impl fmt::Debug for SupabaseKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupabaseKeys")
            .field("key", &"<redacted>")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

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
    Supabase { url: String, keys: SupabaseKeys },
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

/// The part of a live source's table a load reads: what the time range needs, decided before
/// any data is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadSpan {
    /// The last `hours` hours, up to now: it moves with the clock, and a refresh drops the rows
    /// that left it.
    Recent { hours: i64 },
    /// A fixed stretch, either side open (`None`: from the first row / up to the newest).
    Fixed {
        from: Option<Micros>,
        to: Option<Micros>,
    },
}

impl ReadSpan {
    /// The hours a live source reads when no range says otherwise.
    pub const RECENT_HOURS: i64 = 24;

    /// What a range choice needs read: the last hour for "last 1 h" (no more: a wall screen
    /// on the last hour reads and holds an hour, not a day), likewise 4 h and 24 h; the phase's
    /// own window when it has a start, else the whole table (the phase then starts at the first
    /// event); a custom range as given.
    pub fn for_range(range: RangeChoice, phase: Option<&PhaseDefinition>) -> ReadSpan {
        match range {
            RangeChoice::LastHour => ReadSpan::Recent { hours: 1 },
            RangeChoice::Last4Hours => ReadSpan::Recent { hours: 4 },
            RangeChoice::Last24Hours => ReadSpan::Recent { hours: 24 },
            RangeChoice::ThisPhase => match phase.and_then(PhaseDefinition::window) {
                Some(w) => ReadSpan::Fixed {
                    from: Some(w.from),
                    to: Some(w.to),
                },
                None => ReadSpan::Fixed {
                    from: None,
                    to: None,
                },
            },
            RangeChoice::Custom { from, to } => ReadSpan::Fixed {
                from: Some(from),
                to: Some(to),
            },
        }
    }

    /// `created_at >= from` and `< to` at time `now`.
    pub fn bounds(self, now: Micros) -> (Option<Micros>, Option<Micros>) {
        match self {
            ReadSpan::Recent { hours } => (Some(now - hours * MICROS_PER_HOUR), None),
            ReadSpan::Fixed { from, to } => (from, to),
        }
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

/// How a Supabase data set was read: what its refresh needs.
#[derive(Clone, Debug)]
struct LiveRead {
    source: DataSource,
    span: ReadSpan,
    /// Checked once at connect; re-checked for expiry before every read.
    config: SupabaseConfig,
    /// The clock when the last read that succeeded began: how far back a refresh must look
    /// for rows whose transaction committed late.
    started: Micros,
}

/// A loaded data set.
#[derive(Debug)]
pub struct Dataset {
    pub source_label: String,
    pub store: EventStore,
    /// Where "last N hours" ends: the data's end for fixed data, the clock for live data.
    pub range_end: Micros,
    pub live: bool,
    /// What the user must know about this data, shown above the dashboard: no rows came back
    /// (Row Level Security may hide them from this key), or the last refresh failed.
    pub warnings: Vec<String>,
    /// A Supabase window of more rows than the page reads one by one: its rollups, which every
    /// panel is drawn from (`store` is then empty).
    pub rollups: Option<Arc<RollupWindow>>,
    /// Set for Supabase data: how to refresh it.
    live_read: Option<LiveRead>,
}

impl PartialEq for Dataset {
    // Two loads are the same data set when they hold the same rows; comparing the store's
    // identity is enough for memoisation, which never sees two distinct equal loads.
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Dataset {
    /// For Supabase data: the configuration to read and write the team's records with now
    /// (the signed-in session's newest token); `None` for the demo and files.
    pub fn supabase_config(&self) -> Option<Result<SupabaseConfig, String>> {
        let live = self.live_read.as_ref()?;
        let DataSource::Supabase { url, keys } = &live.source else {
            return None;
        };
        Some(current_config(url, keys, crate::clock::now()).map_err(|e| e.to_string()))
    }

    /// Whether a refresh of `source` over `span` can append to this data set rather than read
    /// it all again.
    /// Rollups are read again whole (a few small requests), never appended to.
    fn refreshes(&self, source: &DataSource, span: Option<ReadSpan>) -> Option<&LiveRead> {
        self.live_read
            .as_ref()
            .filter(|l| self.rollups.is_none() && &l.source == source && Some(l.span) == span)
    }
}

/// The end of fixed data: just after its last event.
fn data_end(store: &EventStore) -> Micros {
    store.time_span().map_or(0, |(_, last)| last + 1)
}

/// Wraps a store as a data set, refusing an empty one (a live source's empty read is kept: its
/// warning says why, and a refresh may bring rows).
pub fn dataset(source: &DataSource, store: EventStore, now: Micros) -> Result<Dataset, LoadError> {
    let live = source.is_live();
    if store.is_empty() && !live {
        return Err(LoadError::NoEvents {
            source_label: source.label(),
        });
    }
    Ok(Dataset {
        source_label: source.label(),
        range_end: if live { now } else { data_end(&store) },
        store,
        live,
        warnings: Vec::new(),
        rollups: None,
        live_read: None,
    })
}

/// A read's progress in words: `12,000 rows of about 30,000`.
pub fn progress_text(p: &ReadProgress) -> String {
    match p.estimate {
        // The estimate is the planner's: never claim fewer rows than already arrived.
        Some(estimate) => format!(
            "{} rows of about {}",
            grouped(p.rows),
            grouped(estimate.max(p.rows))
        ),
        None => format!("{} rows", grouped(p.rows)),
    }
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Loads `source`. For a live source, `span` is what to read, and `previous` (the data set
/// shown, when the load is a refresh of it) makes it incremental. `on_progress` hears of every
/// page of a Supabase read; returning `Break` stops it. `exact` says when a Supabase window is
/// read row by row rather than shown from its rollups.
pub async fn load(
    source: DataSource,
    span: Option<ReadSpan>,
    previous: Option<Arc<Dataset>>,
    exact: ExactRead,
    on_estimate: impl FnOnce(Metrics),
    on_progress: impl FnMut(ReadProgress) -> ControlFlow<()>,
) -> Result<Arc<Dataset>, LoadError> {
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
        DataSource::Supabase { url, keys } => {
            let span = span.unwrap_or(ReadSpan::Recent {
                hours: ReadSpan::RECENT_HOURS,
            });
            if let Some(previous) = previous.as_ref() {
                if let Some(live) = previous.refreshes(&source, Some(span)) {
                    return Ok(Arc::new(refresh(previous, live, on_progress).await?));
                }
            }
            return read(
                &source,
                url,
                keys,
                span,
                now,
                exact,
                on_estimate,
                on_progress,
            )
            .await
            .map(Arc::new);
        }
    };
    dataset(&source, store, now).map(Arc::new)
}

fn supabase_failed(e: SupabaseReadError) -> LoadError {
    LoadError::Supabase(e.to_string())
}

/// The configuration to read `url` with now: the key, and the pasted access token or else the
/// signed-in session's current one (it rotates: a refresh of the data uses the newest).
fn current_config(
    url: &str,
    keys: &SupabaseKeys,
    now: Micros,
) -> Result<SupabaseConfig, LoadError> {
    let token = keys
        .token
        .clone()
        .or_else(|| crate::session::access_token(url));
    api::supabase_config(url, &keys.key, token.as_deref(), now).map_err(supabase_failed)
}

/// A full read of a Supabase source: its rollups alone past `exact`'s limit, else its rows (the
/// rollups' numbers first to `on_estimate`, unless `exact` is [`ExactRead::Always`]).
#[allow(clippy::too_many_arguments)]
async fn read(
    source: &DataSource,
    url: &str,
    keys: &SupabaseKeys,
    span: ReadSpan,
    now: Micros,
    exact: ExactRead,
    on_estimate: impl FnOnce(Metrics),
    on_progress: impl FnMut(ReadProgress) -> ControlFlow<()>,
) -> Result<Dataset, LoadError> {
    let config = current_config(url, keys, now)?;
    let (from, to) = span.bounds(now);
    let read = api::read_supabase(&config, from, to, now, exact, on_estimate, on_progress)
        .await
        .map_err(supabase_failed)?;
    // "Last N hours" ends when the read ends, so rows written while it paged are inside it.
    let mut data = dataset(source, read.store, crate::clock::now())?;
    data.warnings = read.warnings;
    data.rollups = read.rollups.map(Arc::new);
    data.live_read = Some(LiveRead {
        source: source.clone(),
        span,
        config,
        started: now,
    });
    Ok(data)
}

/// An incremental refresh of `previous`: the new rows appended, those that left the window
/// dropped. A failed refresh keeps the data shown, with a warning saying so (a network blip
/// should not blank the dashboard of someone on call).
async fn refresh(
    previous: &Dataset,
    live: &LiveRead,
    on_progress: impl FnMut(ReadProgress) -> ControlFlow<()>,
) -> Result<Dataset, LoadError> {
    let now = crate::clock::now();
    let (from, to) = live.span.bounds(now);
    // The dashboard still holds the previous data set; copying the columns costs milliseconds,
    // the network is what a refresh saves.
    let mut store = previous.store.clone();
    let config = match &live.source {
        DataSource::Supabase { url, keys } => current_config(url, keys, now),
        _ => Ok(live.config.clone()),
    };
    let outcome = match config {
        Ok(config) => {
            api::refresh_supabase(&config, &mut store, from, to, live.started, on_progress).await
        }
        Err(LoadError::Supabase(message)) => Err(SupabaseReadError::Stale(message)),
        Err(e) => Err(SupabaseReadError::Stale(e.to_string())),
    };
    let (range_end, warnings, started) = match outcome {
        Ok(refreshed) => (crate::clock::now(), refreshed.warnings, now),
        Err(SupabaseReadError::Cancelled) => {
            return Err(supabase_failed(SupabaseReadError::Cancelled))
        }
        Err(e) => (
            previous.range_end,
            vec![format!(
                "The refresh at {} UTC failed, so the data shown is from the read before: {e}",
                format_minute(now)
            )],
            live.started,
        ),
    };
    Ok(Dataset {
        source_label: previous.source_label.clone(),
        store,
        range_end,
        live: true,
        warnings,
        rollups: None,
        live_read: Some(LiveRead {
            started,
            ..live.clone()
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use canary_core::phases::default_phases;

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
    fn an_empty_live_read_is_kept_for_its_warning() {
        let data = dataset(&supabase(), EventStore::new(), 7).unwrap();
        assert!(data.store.is_empty());
        assert_eq!(data.range_end, 7);
    }

    fn supabase() -> DataSource {
        DataSource::Supabase {
            url: "https://x.supabase.co".into(),
            keys: SupabaseKeys {
                key: "secret-key".into(),
                token: Some("secret-token".into()),
            },
        }
    }

    #[test]
    fn labels_and_debug_output_never_show_a_key() {
        let s = supabase();
        assert!(!s.label().contains("secret"));
        assert!(!format!("{s:?}").contains("secret"), "{s:?}");
    }

    #[test]
    fn read_span_table() {
        let h = MICROS_PER_HOUR;
        for (range, hours) in [
            (RangeChoice::LastHour, 1),
            (RangeChoice::Last4Hours, 4),
            (RangeChoice::Last24Hours, 24),
        ] {
            let span = ReadSpan::for_range(range, None);
            assert_eq!(span, ReadSpan::Recent { hours }, "{range:?}");
            assert_eq!(span.bounds(100 * h), (Some((100 - hours) * h), None));
        }
        let custom = RangeChoice::Custom { from: 5, to: 9 };
        let fixed = ReadSpan::for_range(custom, None);
        assert_eq!(fixed.bounds(100 * h), (Some(5), Some(9)));
        let mut phase = default_phases().remove(0);
        assert_eq!(
            ReadSpan::for_range(RangeChoice::ThisPhase, Some(&phase)).bounds(0),
            (None, None),
            "a phase not started yet starts at the first event: read it all"
        );
        phase.start = Some(10 * h);
        assert_eq!(
            ReadSpan::for_range(RangeChoice::ThisPhase, Some(&phase)).bounds(0),
            (Some(10 * h), Some(10 * h + phase.duration))
        );
        assert_eq!(
            ReadSpan::for_range(RangeChoice::ThisPhase, None).bounds(0),
            (None, None)
        );
    }

    #[test]
    fn progress_text_table() {
        let p = |rows, estimate| progress_text(&ReadProgress { rows, estimate });
        assert_eq!(p(0, None), "0 rows");
        assert_eq!(p(12_000, Some(30_512)), "12,000 rows of about 30,512");
        assert_eq!(p(999, Some(1_000)), "999 rows of about 1,000");
        // A planner's estimate below what came is raised to it.
        assert_eq!(p(1_234_567, Some(900)), "1,234,567 rows of about 1,234,567");
    }
}
