//! All network access of the app: the backend's health URL, Supabase's REST API, the team's
//! records (shared phases, sign-offs, checklist ticks, in [`records`]), and Supabase Auth
//! (sign-in, in [`auth`]).
//! Wire formats become core types here and nowhere else.
//!
//! Supabase: the requests, paging, retries, row conversion and error wording are the core's
//! sans-IO [`PagedRead`] (the CLI's transport, `canary-report`'s `net/supabase.rs`, drives the
//! same one); this module only sends them with `fetch`, waits where the core says, and reports
//! progress. A full read goes through the exact read's functions where the project has them
//! (`sql/006_exact_read.sql`: one URL, large pages, the window's id range in parts read at the
//! same time), else through the table. The key never leaves the request headers: not in a URL, a log or an error.

pub mod auth;
pub mod records;

use std::ops::ControlFlow;

use canary_core::metrics::{Metrics, Window};
use canary_core::rollup::metrics_from_rollups;
use canary_core::supabase::rollups::{extent_request, read_extent, RollupRead, RollupWindow};
use canary_core::supabase::team::{membership_request, read_membership};
use canary_core::supabase::{
    exact_extent_request, read_exact_extent, ExactExtent, PagedRead, Progress, ReadPlan,
    ReadWarning, Request, SupabaseConfig, SupabaseError,
};
use canary_core::{EventStore, Micros};

/// Why a request failed, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Network(String),
    #[error("the server answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    /// The URL is not an absolute http(s) URL (nothing was requested).
    #[error("{url:?} is not a usable URL: {reason}. Enter an absolute http:// or https:// address, e.g. https://api.example.com/health")]
    InvalidUrl { url: String, reason: String },
    /// `fetch` rejected with a TypeError: the browser gives the same error for an unreachable
    /// server and for a CORS refusal, and tells the page nothing more (the console says which).
    #[error("the request failed before any answer: the server is unreachable, or it does not allow this page's origin (CORS). The browser said: {0}")]
    Unreachable(String),
    /// A 2xx answer whose body is not JSON.
    #[error(
        "the server answered HTTP {status}, but not with JSON ({reason}); the body starts: {start}"
    )]
    NotJson {
        status: u16,
        reason: String,
        start: String,
    },
}

/// A backend's answer to its health URL.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthResponse {
    /// The URL asked.
    pub url: String,
    /// The HTTP status (2xx).
    pub status: u16,
    /// From sending the request to having the whole body, in milliseconds.
    pub elapsed_ms: f64,
    /// The body, parsed.
    pub json: serde_json::Value,
}

/// How much of a body an error quotes, in characters.
const BODY_START_CHARS: usize = 200;

/// The start of a body for an error message: trimmed, at most [`BODY_START_CHARS`] characters.
pub fn body_start(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut start: String = body.chars().take(BODY_START_CHARS).collect();
    if start.len() < body.len() {
        start.push('…');
    }
    start
}

/// Checks a health URL before any request: an absolute `http://` or `https://` URL with a host
/// and no spaces. Returns it trimmed.
pub fn check_health_url(url: &str) -> Result<String, ApiError> {
    let trimmed = url.trim();
    let invalid = |reason: &str| ApiError::InvalidUrl {
        url: trimmed.to_owned(),
        reason: reason.to_owned(),
    };
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    let lower = trimmed.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &trimmed[8..]
    } else if lower.starts_with("http://") {
        &trimmed[7..]
    } else {
        return Err(invalid("it does not start with http:// or https://"));
    };
    if trimmed.chars().any(char::is_whitespace) {
        return Err(invalid("it contains a space"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.strip_prefix('[').map_or_else(
        || host.split(':').next().unwrap_or(""),
        |v6| v6.split(']').next().unwrap_or(""),
    );
    if host.is_empty() {
        return Err(invalid("it has no host name"));
    }
    Ok(trimmed.to_owned())
}

/// Judges an answer: a 2xx status with a JSON body, or the error that says what came instead.
pub fn read_health_body(status: u16, body: &str) -> Result<serde_json::Value, ApiError> {
    if !(200..300).contains(&status) {
        return Err(ApiError::Status {
            status,
            body: body_start(body),
        });
    }
    serde_json::from_str(body).map_err(|e| ApiError::NotJson {
        status,
        reason: e.to_string(),
        start: body_start(body),
    })
}

/// How long one network read may take, from sending the request to having the whole body.
pub const READ_TIMEOUT_MS: i32 = 30_000;

/// The message of a read that [`Deadline`] stopped.
fn timed_out() -> String {
    format!(
        "no complete answer within {} s: the server or the network is too slow, or the \
         connection hangs; try again, or a shorter range",
        READ_TIMEOUT_MS / 1000
    )
}

/// An `AbortController` whose signal fires after [`READ_TIMEOUT_MS`]: passed to `fetch`, it
/// ends both the wait for the answer and the reading of its body. Dropping it clears the timer.
struct Deadline {
    controller: Option<web_sys::AbortController>,
    timer: Option<i32>,
}

impl Deadline {
    fn start() -> Deadline {
        use wasm_bindgen::JsCast;
        let controller = web_sys::AbortController::new().ok();
        let timer = controller.as_ref().and_then(|c| {
            let abort = js_sys::Reflect::get(c, &"abort".into())
                .ok()?
                .dyn_into::<js_sys::Function>()
                .ok()?
                .bind0(c);
            web_sys::window()?
                .set_timeout_with_callback_and_timeout_and_arguments_0(&abort, READ_TIMEOUT_MS)
                .ok()
        });
        Deadline { controller, timer }
    }

    fn signal(&self) -> Option<web_sys::AbortSignal> {
        self.controller.as_ref().map(|c| c.signal())
    }

    /// Whether the time ran out (the failure at hand is the timeout's).
    fn expired(&self) -> bool {
        self.controller
            .as_ref()
            .is_some_and(|c| c.signal().aborted())
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let (Some(window), Some(timer)) = (web_sys::window(), self.timer) {
            window.clear_timeout_with_handle(timer);
        }
    }
}

/// Fetches a backend's health URL (a plain GET, no credentials) and parses its JSON.
pub async fn fetch_health(url: &str) -> Result<HealthResponse, ApiError> {
    let url = check_health_url(url)?;
    let deadline = Deadline::start();
    let signal = deadline.signal();
    let request = gloo_net::http::Request::get(&url)
        .abort_signal(signal.as_ref())
        .build()
        .map_err(|e| ApiError::InvalidUrl {
            url: url.clone(),
            reason: format!("the browser refused it ({e})"),
        })?;
    let started = crate::clock::now();
    let response = request.send().await.map_err(|e| {
        if deadline.expired() {
            ApiError::Network(timed_out())
        } else {
            ApiError::Unreachable(e.to_string())
        }
    })?;
    let status = response.status();
    let body = response.text().await.map_err(|e| {
        if deadline.expired() {
            ApiError::Network(format!(
                "the server answered HTTP {status}, but {}",
                timed_out()
            ))
        } else {
            ApiError::Network(format!(
                "the server answered HTTP {status}, but the body could not be read: {e}"
            ))
        }
    })?;
    let elapsed_ms = (crate::clock::now() - started) as f64 / 1000.0;
    let json = read_health_body(status, &body)?;
    Ok(HealthResponse {
        url,
        status,
        elapsed_ms,
        json,
    })
}

// -------------------------------------------------------------------------------------------
// Supabase

/// Why a Supabase read was refused or did not finish.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SupabaseReadError {
    /// Settings refused before any request, or a read that failed: the core's message (what
    /// to do), plus which field of this page to change where that is the fix.
    #[error("{error}{hint}")]
    Supabase {
        error: SupabaseError,
        hint: &'static str,
    },
    /// The caller stopped the read (another source or window was picked meanwhile).
    #[error("the read was stopped: another load replaced it")]
    Cancelled,
    /// The settings no longer pass their check (e.g. the session ended): the message.
    #[error("{0}")]
    Stale(String),
}

/// The source picker's fields, named for hints: where on this page a fix goes.
const KEY_FIELD_HINT: &str = " (here: the Anon key field)";
const TOKEN_FIELD_HINT: &str = " (here: the Access token field)";
const NEEDS_TOKEN_HINT: &str =
    " (here: also enter a signed-in user's access token in the Access token field)";
const SIGN_IN_HINT: &str = " (here: sign in below the project's key)";

/// The core's error, with the field of the source picker to change where that is the fix
/// (the CLI names its environment variables instead).
fn supabase_error(error: SupabaseError, config: Option<&SupabaseConfig>) -> SupabaseReadError {
    let has_token = config.is_some_and(|c| c.access_token().is_some());
    let hint = match &error {
        SupabaseError::PermissionDenied { .. } if !has_token => NEEDS_TOKEN_HINT,
        SupabaseError::NotMember { .. } if !has_token => SIGN_IN_HINT,
        SupabaseError::JwtExpired { .. } | SupabaseError::Expired { .. } if has_token => {
            TOKEN_FIELD_HINT
        }
        SupabaseError::WrongKey { .. } | SupabaseError::MissingKey { .. } => KEY_FIELD_HINT,
        _ => "",
    };
    SupabaseReadError::Supabase { error, hint }
}

/// A finished read's warning, with the same hint (no rows may mean "not signed in").
fn warning_text(warning: &ReadWarning, config: &SupabaseConfig) -> String {
    let hint = match warning {
        ReadWarning::NoRows { .. } if config.access_token().is_none() => NEEDS_TOKEN_HINT,
        ReadWarning::NoRows { .. } => "",
    };
    format!("{warning}{hint}")
}

/// Checks the project URL, the key and the optional user token, then their expiry at `now`,
/// before anything is sent: a `service_role` or `sb_secret_` key is refused with the core's
/// explanation (it bypasses Row Level Security and must never be in a browser).
pub fn supabase_config(
    url: &str,
    key: &str,
    token: Option<&str>,
    now: Micros,
) -> Result<SupabaseConfig, SupabaseReadError> {
    let mut config = SupabaseConfig::new(url, key).map_err(|e| supabase_error(e, None))?;
    if let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) {
        config = config
            .with_access_token(token)
            .map_err(|e| SupabaseReadError::Supabase {
                error: e,
                hint: TOKEN_FIELD_HINT,
            })?;
    }
    check_not_expired(&config, now)?;
    Ok(config)
}

/// Refuses an expired key or token (a user's token lasts an hour: auto-refresh outlives it).
fn check_not_expired(config: &SupabaseConfig, now: Micros) -> Result<(), SupabaseReadError> {
    config
        .check_not_expired(now.div_euclid(1_000_000))
        .map_err(|e| supabase_error(e, Some(config)))
}

/// The source picker's check, at the clock's time: the project URL as the requests will use it
/// (what keys are stored under), or the message to show by the form.
pub fn check_supabase_settings(
    url: &str,
    key: &str,
    token: Option<&str>,
) -> Result<String, String> {
    supabase_config(url, key, token, crate::clock::now())
        .map(|config| config.project_url().to_owned())
        .map_err(|e| e.to_string())
}

/// A read's progress as the page shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadProgress {
    /// Rows appended so far.
    pub rows: u64,
    /// The server's estimate of the rows the read will bring, when it gave one.
    pub estimate: Option<u64>,
}

impl From<&Progress> for ReadProgress {
    fn from(p: &Progress) -> ReadProgress {
        ReadProgress {
            rows: p.rows,
            estimate: p.estimate,
        }
    }
}

/// When a Supabase window is read row by row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExactRead {
    /// Always (the toolbar's "Exact numbers only"): no rollups at all.
    Always,
    /// When the window holds at most this many rows; a larger one is shown from the rollups
    /// alone and its rows are not read.
    UpTo(u64),
}

/// The most rows of a window the page reads one by one (README, "The page's exact read from
/// Supabase": about 7 s, 15 MB on the wire and 80 MB of memory for a million); beyond it the
/// rollups answer alone. `?exact_limit=N` in the page's URL moves it.
pub const EXACT_ROWS_LIMIT: u64 = 1_000_000;

/// A finished full read.
#[derive(Debug)]
pub struct SupabaseRead {
    /// The rows of the window (time-ordered, ready for the metrics); empty when `rollups` is
    /// set.
    pub store: EventStore,
    /// What the user must be told, e.g. that no rows came back and Row Level Security may be
    /// hiding them.
    pub warnings: Vec<String>,
    /// The newest id the read covers: the cursor of the next incremental refresh.
    pub newest_id: Option<i64>,
    /// The window's rollups, when it held more rows than [`ExactRead::UpTo`] allows: the
    /// panels are drawn from them and no row was read.
    pub rollups: Option<RollupWindow>,
}

/// Reads the rows of `[from, to)` (either side open; `to` defaults to `now`) into a new store,
/// reporting progress after every answer; `on_progress` returning `Break` stops the read
/// ([`SupabaseReadError::Cancelled`]). Unless `exact` is [`ExactRead::Always`], first the
/// window's rollups (`sql/004_rollups.sql`; a window open at its start is the rollups' whole
/// extent): a few requests whatever the window's length. Past the limit they are the answer and
/// no row is read; below it their metrics go to `on_estimate` while the rows are still to come.
/// A project without the rollups is read row by row.
pub async fn read_supabase(
    config: &SupabaseConfig,
    from: Option<Micros>,
    to: Option<Micros>,
    now: Micros,
    exact: ExactRead,
    on_estimate: impl FnOnce(Metrics),
    on_progress: impl FnMut(ReadProgress) -> ControlFlow<()>,
) -> Result<SupabaseRead, SupabaseReadError> {
    check_not_expired(config, crate::clock::now())?;
    check_membership(config).await?;
    if let ExactRead::UpTo(limit) = exact {
        let fail = |e: SupabaseError| supabase_error(e, Some(config));
        let window = match from {
            Some(from) => Window::new(from, to.unwrap_or(now)),
            None => rollup_extent(config)
                .await
                .map_err(fail)?
                .and_then(|extent| {
                    Window::new(extent.from, to.map_or(extent.to, |to| to.min(extent.to)))
                }),
        };
        if let Some(window) = window {
            match read_rollups(config, window).await {
                Ok(rollups) => {
                    let rows: u64 = rollups.totals.iter().map(|r| r.counters.events).sum();
                    if rows > limit {
                        return Ok(SupabaseRead {
                            store: EventStore::new(),
                            warnings: Vec::new(),
                            newest_id: None,
                            rollups: Some(rollups),
                        });
                    }
                    let w = rollups.window;
                    on_estimate(metrics_from_rollups(&rollups.totals, &rollups.exact, w));
                }
                // A project without the rollups' migration: its rows are read.
                Err(SupabaseError::RollupsMissing { .. }) => {}
                // Any other failure is said, never answered by reading every row instead: on a
                // whole rollout that read would not end in a tab.
                Err(e) => return Err(fail(e)),
            }
        }
    }
    let mut store = EventStore::new();
    // The exact read's functions (sql/006_exact_read.sql) when the project has them and the
    // window has rows; else the table, page by page (its warnings say why a window is empty).
    if let Some(extent) = exact_extent(config, from, to).await? {
        let mut reads: Vec<PagedRead> = extent
            .plans(from, to, EXACT_READ_PARTS)
            .into_iter()
            .map(|plan| PagedRead::new(config, plan))
            .collect();
        if !reads.is_empty() {
            drive_parts(&mut reads, &mut store, config, extent.rows, on_progress).await?;
            let newest_id = reads.iter().filter_map(PagedRead::newest_id).max();
            return Ok(SupabaseRead {
                store,
                warnings: Vec::new(),
                newest_id,
                rollups: None,
            });
        }
    }
    let mut read = PagedRead::new(config, ReadPlan::window(from, to));
    drive(&mut read, &mut store, config, on_progress).await?;
    Ok(SupabaseRead {
        store,
        warnings: read
            .warnings()
            .iter()
            .map(|w| warning_text(w, config))
            .collect(),
        newest_id: read.newest_id(),
        rollups: None,
    })
}

/// The rollups of `window` (widened to whole minutes): their four requests at once.
async fn read_rollups(
    config: &SupabaseConfig,
    window: Window,
) -> Result<RollupWindow, SupabaseError> {
    let mut read = RollupRead::new(window);
    let requests = read.requests(config);
    let answers = futures::future::join_all(requests.iter().map(send)).await;
    for (index, answer) in answers.into_iter().enumerate() {
        let answer = answer.map_err(|detail| SupabaseError::Network {
            url: config.project_url().to_owned(),
            detail,
        })?;
        let content_type = answer
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str());
        read.on_response(config, index, answer.status, content_type, &answer.body)?;
    }
    read.finish()
}

/// The whole minutes the rollups hold (`canary_rollup_extent`), or `None` when they hold none
/// or the project has no rollups (the rows are then read).
async fn rollup_extent(config: &SupabaseConfig) -> Result<Option<Window>, SupabaseError> {
    let answer = send(&extent_request(config))
        .await
        .map_err(|detail| SupabaseError::Network {
            url: config.project_url().to_owned(),
            detail,
        })?;
    let content_type = answer
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    match read_extent(config, answer.status, content_type, &answer.body) {
        Ok((extent, _)) => Ok(extent),
        Err(SupabaseError::RollupsMissing { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Parts of a window the exact read fetches at the same time: the browser keeps six
/// connections per origin, and the database answers each part's pages on its own.
const EXACT_READ_PARTS: usize = 4;

/// The window's extent from `canary_exact_extent`, or `None` when the project lacks the
/// exact read's functions or cannot answer now (the table read then goes on and reports).
async fn exact_extent(
    config: &SupabaseConfig,
    from: Option<Micros>,
    to: Option<Micros>,
) -> Result<Option<ExactExtent>, SupabaseReadError> {
    let Ok(answer) = send(&exact_extent_request(config, from, to)).await else {
        return Ok(None);
    };
    let content_type = answer
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    read_exact_extent(config, answer.status, content_type, &answer.body)
        .map_err(|e| supabase_error(e, Some(config)))
}

/// Asks the project whether the caller is a team member before a full read, so a non-member,
/// an anonymous sign-in or the anon key alone hears so rather than seeing an empty dashboard.
/// A failure to ask (network, busy) is left to the read, which retries and reports it.
async fn check_membership(config: &SupabaseConfig) -> Result<(), SupabaseReadError> {
    let request = membership_request(config);
    let Ok(answer) = send(&request).await else {
        return Ok(());
    };
    let content_type = answer
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    read_membership(config, answer.status, content_type, &answer.body)
        .map(drop)
        .map_err(|e| supabase_error(e, Some(config)))
}

/// What an incremental refresh changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refreshed {
    /// New rows appended.
    pub appended: u64,
    /// Rows dropped because they left the window.
    pub dropped: usize,
    /// As for a full read (only when the store held nothing, so it was one).
    pub warnings: Vec<String>,
    /// The cursor of the next refresh.
    pub newest_id: Option<i64>,
}

/// Brings `store` (rows of `[from, to)` read by reads the last of which started at
/// `last_read_started`) up to date: fetches the rows above the core's refresh cursor (the new
/// rows and an overlap read again, so rows whose transaction committed late are not missed;
/// the store drops the rows it holds), appends them, then drops the rows older than `from` (a
/// window that ends now moves on). On an error the store is as it was. An empty store gets a
/// full read.
pub async fn refresh_supabase(
    config: &SupabaseConfig,
    store: &mut EventStore,
    from: Option<Micros>,
    to: Option<Micros>,
    last_read_started: Micros,
    on_progress: impl FnMut(ReadProgress) -> ControlFlow<()>,
) -> Result<Refreshed, SupabaseReadError> {
    check_not_expired(config, crate::clock::now())?;
    let plan = ReadPlan::refresh(from, to, store, last_read_started);
    let mut read = PagedRead::new(config, plan);
    let before = store.len();
    drive(&mut read, store, config, on_progress).await?;
    let appended = (store.len() - before) as u64;
    let dropped = from.map_or(0, |from| store.retain_from(from));
    Ok(Refreshed {
        appended,
        dropped,
        warnings: read
            .warnings()
            .iter()
            .map(|w| warning_text(w, config))
            .collect(),
        newest_id: read.newest_id().or(store.max_id()),
    })
}

/// The transport loop (the shape of the CLI's): send what the core asks, after the delay it
/// asks (non-zero only before a retry), and hand it the answer or the failure. One batch for
/// the whole read: the store's time order is restored once, and a failed or stopped read leaves
/// the store as it was (the core discards on errors; a stop discards here).
async fn drive(
    read: &mut PagedRead,
    store: &mut EventStore,
    config: &SupabaseConfig,
    mut on_progress: impl FnMut(ReadProgress) -> ControlFlow<()>,
) -> Result<(), SupabaseReadError> {
    let mut batch = store.batch();
    while let Some(request) = read.next_request() {
        if request.delay_ms > 0 {
            sleep_ms(request.delay_ms).await;
        }
        let progress = match send(&request).await {
            Ok(answer) => {
                let headers: Vec<(&str, &str)> = answer
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                read.on_response(answer.status, &headers, &answer.body, &mut batch)
            }
            Err(message) => read.on_transport_error(&message, &mut batch),
        }
        .map_err(|e| supabase_error(e, Some(config)))?;
        if on_progress(ReadProgress::from(&progress)).is_break() {
            batch.discard();
            return Err(SupabaseReadError::Cancelled);
        }
    }
    Ok(())
}

/// The transport loop of a read in parts (the exact read's id ranges): each part's requests go
/// out as the previous answer of that part is in, so the parts' requests overlap, into one
/// batch (rows arrive in any order; the batch restores time order once). The first failure
/// stops every part, and the store keeps nothing of the read.
async fn drive_parts(
    reads: &mut [PagedRead],
    store: &mut EventStore,
    config: &SupabaseConfig,
    estimate: u64,
    on_progress: impl FnMut(ReadProgress) -> ControlFlow<()>,
) -> Result<(), SupabaseReadError> {
    use std::cell::{Cell, RefCell};
    let batch = RefCell::new(store.batch());
    let rows: Vec<Cell<u64>> = reads.iter().map(|_| Cell::new(0)).collect();
    let stopped = Cell::new(false);
    let on_progress = RefCell::new(on_progress);
    let parts = reads.iter_mut().zip(&rows).map(|(read, part_rows)| {
        let (batch, stopped, on_progress, rows) = (&batch, &stopped, &on_progress, &rows);
        async move {
            while let Some(request) = read.next_request() {
                if stopped.get() {
                    return Ok(());
                }
                if request.delay_ms > 0 {
                    sleep_ms(request.delay_ms).await;
                }
                let answer = send(&request).await;
                if stopped.get() {
                    return Ok(());
                }
                let mut batch = batch.borrow_mut();
                let progress = match answer {
                    Ok(answer) => {
                        let headers: Vec<(&str, &str)> = answer
                            .headers
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect();
                        read.on_response(answer.status, &headers, &answer.body, &mut batch)
                    }
                    Err(message) => read.on_transport_error(&message, &mut batch),
                };
                let progress = match progress {
                    Ok(p) => p,
                    Err(e) => {
                        stopped.set(true);
                        return Err(supabase_error(e, Some(config)));
                    }
                };
                part_rows.set(progress.rows);
                let total = ReadProgress {
                    rows: rows.iter().map(Cell::get).sum(),
                    estimate: Some(estimate),
                };
                if (on_progress.borrow_mut())(total).is_break() {
                    stopped.set(true);
                    batch.discard();
                    return Err(SupabaseReadError::Cancelled);
                }
            }
            Ok(())
        }
    });
    let outcomes = futures::future::join_all(parts).await;
    let mut batch = batch.into_inner();
    match outcomes.into_iter().find(Result::is_err) {
        Some(Err(e)) => {
            batch.discard();
            Err(e)
        }
        _ => Ok(()),
    }
}

/// An HTTP answer as the core digests it.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// One GET (or, with a body, one POST) with the core's headers. An `Err` is a failure without
/// an HTTP answer: `fetch` rejects with a TypeError alike for an unreachable server, a CORS
/// refusal and a dropped connection, and the core reports it as such (retried first, like a
/// 5xx).
async fn send(request: &Request) -> Result<Answer, String> {
    let deadline = Deadline::start();
    let signal = deadline.signal();
    let builder = match request.body {
        None => gloo_net::http::Request::get(&request.url),
        Some(_) => gloo_net::http::Request::post(&request.url),
    };
    let mut builder = match request.body {
        // Every answer is read fresh: a cached page would hide new rows from a refresh.
        None => builder.cache(web_sys::RequestCache::NoStore),
        // A POST's answer is never cached, and `no-store` would also make Chromium skip its
        // CORS preflight cache: the exact read's POSTs to one URL share one preflight.
        Some(_) => builder,
    }
    .abort_signal(signal.as_ref());
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let sent = match &request.body {
        None => builder.send().await,
        Some(body) => match builder.body(body.as_str()) {
            Ok(post) => post.send().await,
            Err(e) => Err(e),
        },
    };
    let response = sent.map_err(|e| {
        if deadline.expired() {
            timed_out()
        } else {
            format!("the browser's fetch failed: {e}")
        }
    })?;
    let status = response.status();
    // Under CORS the page sees only the headers the server exposes: Content-Type always,
    // Content-Range because Supabase's gateway exposes it (the progress estimate needs it).
    let headers = response.headers().entries().collect();
    let body = response.binary().await.map_err(|e| {
        if deadline.expired() {
            format!("the answer broke off after HTTP {status}: {}", timed_out())
        } else {
            format!("the answer broke off after HTTP {status}: {e}")
        }
    })?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Waits `ms` milliseconds on the browser's timer (`gloo-timers` is not a dependency; a
/// resolved `setTimeout` promise is the same thing).
async fn sleep_ms(ms: u64) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let ms = i32::try_from(ms).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        // setTimeout fails only without a window, checked above; then the wait is skipped.
        if window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .is_err()
        {
            let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(test)]
mod health_tests {
    use super::*;

    fn check_url(url: &str, expected: Result<&str, &str>) {
        match (check_health_url(url), expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want),
            (Err(ApiError::InvalidUrl { reason, .. }), Err(want)) => {
                assert!(reason.contains(want), "{url}: {reason}")
            }
            (got, want) => panic!("{url}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn health_url_table() {
        check_url(
            " https://backend.fly.dev/health ",
            Ok("https://backend.fly.dev/health"),
        );
        check_url("HTTP://127.0.0.1:9/health", Ok("HTTP://127.0.0.1:9/health"));
        check_url("http://[::1]:8080/", Ok("http://[::1]:8080/"));
        check_url("", Err("empty"));
        check_url("backend.fly.dev/health", Err("http:// or https://"));
        check_url("ftp://x/health", Err("http:// or https://"));
        check_url("https:///health", Err("no host"));
        check_url("https://user@:80/", Err("no host"));
        check_url("https://a b/health", Err("space"));
    }

    #[test]
    fn health_body_table() {
        assert_eq!(
            read_health_body(200, r#"{"status":"ok"}"#),
            Ok(serde_json::json!({"status": "ok"}))
        );
        let e = read_health_body(503, "  Service Unavailable\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the server answered HTTP 503: Service Unavailable"
        );
        let e = read_health_body(200, "<!doctype html><p>hi</p>").unwrap_err();
        assert!(matches!(e, ApiError::NotJson { status: 200, .. }), "{e:?}");
        assert!(e
            .to_string()
            .ends_with("the body starts: <!doctype html><p>hi</p>"));
        assert_eq!(
            read_health_body(404, "").unwrap_err().to_string(),
            "the server answered HTTP 404: (empty body)"
        );
        let long = "é".repeat(500);
        let start = body_start(&long);
        assert_eq!(start.chars().count(), BODY_START_CHARS + 1);
        assert!(start.ends_with('…'));
        assert!(ApiError::Unreachable("TypeError: Failed to fetch".into())
            .to_string()
            .starts_with("the request failed before any answer: the server is unreachable, or it does not allow this page's origin (CORS)"));
    }
}

#[cfg(test)]
mod supabase_tests {
    use super::*;

    // Unsigned test JWTs ({"alg":"HS256","typ":"JWT"} and a payload): the signature is the
    // server's business, the page only reads the claims.
    const ANON: &str =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiIsImV4cCI6NDEwMjQ0NDgwMH0.sig";
    const SERVICE: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIiwiZXhwIjo0MTAyNDQ0ODAwfQ.sig";
    /// Role authenticated, expires 2026-01-01T00:00:00Z.
    const USER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTc2NzIyNTYwMH0.sig";
    const URL: &str = "https://abc.supabase.co";
    /// 2025-12-01T00:00:00Z, before the user token expires.
    const DECEMBER: Micros = 1_764_547_200_000_000;
    /// 2026-02-01T00:00:00Z, after.
    const FEBRUARY: Micros = 1_769_904_000_000_000;

    fn check(key: &str, token: Option<&str>, now: Micros, expected: Result<&str, &str>) {
        let got = supabase_config(URL, key, token, now);
        match (&got, expected) {
            (Ok(config), Ok(role)) => assert_eq!(config.role(), role, "{key} {token:?}"),
            (Err(e), Err(start)) => {
                assert!(e.to_string().starts_with(start), "{key} {token:?}: {e}")
            }
            _ => panic!("{key} {token:?}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn settings_are_checked_before_any_request() {
        check(ANON, None, DECEMBER, Ok("anon"));
        check(ANON, Some(USER), DECEMBER, Ok("authenticated"));
        check(ANON, Some("  "), DECEMBER, Ok("anon"));
        check("sb_publishable_abc_123", None, DECEMBER, Ok("anon"));
        check(
            SERVICE,
            None,
            DECEMBER,
            Err("refusing a service_role key: it bypasses Row Level Security"),
        );
        check(
            "sb_secret_abc",
            None,
            DECEMBER,
            Err("refusing an sb_secret_ key: it bypasses Row Level Security"),
        );
        check(
            ANON,
            Some(SERVICE),
            DECEMBER,
            Err("refusing a service_role key"),
        );
        check(
            USER,
            None,
            FEBRUARY,
            Err("the API key expired at 2026-01-01T00:00:00Z"),
        );
        check(
            "",
            None,
            DECEMBER,
            Err("the API key is not a Supabase key: it is empty"),
        );
        let e = supabase_config(URL, ANON, Some(USER), FEBRUARY).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the access token expired at 2026-01-01T00:00:00Z: get a fresh one (sign in again for a user token) before reading (here: the Access token field)"
        );
        let e = supabase_config(URL, ANON, Some("sb_publishable_x"), DECEMBER).unwrap_err();
        assert!(e.to_string().ends_with(TOKEN_FIELD_HINT), "{e}");
        let e = supabase_config("http://abc.supabase.co", ANON, None, DECEMBER).unwrap_err();
        assert!(
            e.to_string()
                .contains("plain http would send the key unencrypted"),
            "{e}"
        );
        // The key never shows in an error.
        let e = supabase_config("ftp://x", ANON, None, DECEMBER).unwrap_err();
        assert!(!format!("{e} {e:?}").contains(ANON));
    }

    #[test]
    fn errors_and_warnings_name_the_field_to_change() {
        let anon = supabase_config(URL, ANON, None, DECEMBER).unwrap();
        let user = supabase_config(URL, ANON, Some(USER), DECEMBER).unwrap();
        let denied = || SupabaseError::PermissionDenied {
            status: 401,
            role: "anon".into(),
            detail: "42501".into(),
        };
        let hint = |e: SupabaseError, c: &SupabaseConfig| match supabase_error(e, Some(c)) {
            SupabaseReadError::Supabase { hint, .. } => hint,
            other => panic!("{other:?}"),
        };
        assert_eq!(hint(denied(), &anon), NEEDS_TOKEN_HINT);
        assert_eq!(hint(denied(), &user), "");
        let wrong = || SupabaseError::WrongKey {
            detail: "Invalid API key".into(),
        };
        assert_eq!(hint(wrong(), &user), KEY_FIELD_HINT);
        let expired = || SupabaseError::JwtExpired {
            detail: "PGRST301 JWT expired".into(),
        };
        assert_eq!(hint(expired(), &user), TOKEN_FIELD_HINT);
        assert_eq!(hint(expired(), &anon), "");
        let no_rows = ReadWarning::NoRows {
            role: "anon".into(),
            hint: "RLS",
        };
        assert!(warning_text(&no_rows, &anon).ends_with(NEEDS_TOKEN_HINT));
        assert!(warning_text(&no_rows, &anon).contains("Row Level Security hides them"));
        assert!(!warning_text(&no_rows, &user).contains("(here:"));
    }
}
