//! `--supabase-url`: the CLI's transport for [`canary_core::supabase`]. Everything about the
//! requests (URLs, headers, paging, retries, errors, row conversion) is decided by the core's
//! sans-IO [`PagedRead`]; this module only reads the key from the environment, sends the
//! requests with a blocking HTTPS client (ureq with rustls), sleeps where the core says, and
//! reports progress on stderr. The key is never printed. A run signs in first when the
//! environment says how (`sign_in.rs`).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use canary_core::metrics::Window;
use canary_core::supabase::rollups::{extent_request, read_extent, RollupRead, RollupWindow};
use canary_core::supabase::team::{membership_request, read_membership, Membership};
use canary_core::supabase::{PagedRead, Progress, ReadPlan, SupabaseConfig, SupabaseError};
use canary_core::{EventStore, Micros};

use crate::error::CliError;
use crate::sign_in::{sign_in, SignIn, EMAIL_VAR, PASSWORD_VAR, REFRESH_FILE_VAR};

/// The environment variable with the project's anon or publishable key.
pub const KEY_VAR: &str = "SUPABASE_ANON_KEY";
/// The environment variable with a signed-in user's access token (a JWT), optional.
pub const TOKEN_VAR: &str = "SUPABASE_ACCESS_TOKEN";

/// A request that gets no answer within this long counts as a network failure (retried).
const TIMEOUT: Duration = Duration::from_secs(60);

/// A connection to a project: the HTTP client and the checked configuration, signed in when
/// the environment says how.
pub struct Connection {
    pub agent: ureq::Agent,
    pub config: SupabaseConfig,
    /// The project URL as given, for messages.
    pub url: String,
}

impl Connection {
    /// An input error about this project.
    pub fn fail(&self, message: String) -> CliError {
        CliError::Input {
            path: self.url.clone(),
            message,
        }
    }
}

/// Checks the key, signs in as the environment says, and refuses an expired key or token.
pub fn connect(url: &str) -> Result<Connection, CliError> {
    let fail = |message: String| CliError::Input {
        path: url.to_owned(),
        message,
    };
    let mut config = config_from_env(url).map_err(fail)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .user_agent(concat!("canary-report/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let how = SignIn::from_vars(env_var).map_err(fail)?;
    if how != SignIn::None {
        if config.access_token().is_some() {
            return Err(fail(format!(
                "{TOKEN_VAR} and a sign-in ({EMAIL_VAR}/{PASSWORD_VAR} or {REFRESH_FILE_VAR}) are both set: keep one"
            )));
        }
        if let Some(token) = sign_in(&agent, &config, &how, now).map_err(fail)? {
            config = config
                .with_access_token(&token)
                .map_err(|e| fail(e.to_string()))?;
        }
    }
    config
        .check_not_expired(now)
        .map_err(|e| fail(e.to_string()))?;
    Ok(Connection {
        agent,
        config,
        url: url.to_owned(),
    })
}

/// Reads the rows of `[from, to)` from the project at `url` into a new store.
pub fn load(url: &str, from: Option<Micros>, to: Option<Micros>) -> Result<EventStore, CliError> {
    load_with(&connect(url)?, from, to)
}

/// Reads the rows of `[from, to)` through a connection into a new store.
pub fn load_with(
    connection: &Connection,
    from: Option<Micros>,
    to: Option<Micros>,
) -> Result<EventStore, CliError> {
    let Connection { agent, config, .. } = connection;
    check_membership(agent, config).map_err(|e| connection.fail(with_cli_hint(&e, config)))?;
    read_rows(connection, from, to)
}

/// Reads the rows of `[from, to)` row by row (the exact path), membership already checked.
pub fn read_rows(
    connection: &Connection,
    from: Option<Micros>,
    to: Option<Micros>,
) -> Result<EventStore, CliError> {
    let Connection { agent, config, .. } = connection;
    let fail = |message: String| connection.fail(message);
    let mut store = EventStore::new();
    let mut read = PagedRead::new(config, ReadPlan::window(from, to));
    let mut meter = Meter::new();
    {
        let mut batch = store.batch();
        while let Some(request) = read.next_request() {
            if request.delay_ms > 0 {
                std::thread::sleep(Duration::from_millis(request.delay_ms));
            }
            let progress = match send(agent, &request.url, &request.headers) {
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
            match progress {
                Ok(p) => meter.show(&p),
                Err(e) => {
                    meter.finish();
                    return Err(fail(with_cli_hint(&e, config)));
                }
            }
        }
    }
    meter.finish();
    for warning in read.warnings() {
        let hint = if config.access_token().is_none() {
            format!(" (here: set {TOKEN_VAR} to a signed-in user's access token)")
        } else {
            String::new()
        };
        eprintln!("canary-report: warning: {warning}{hint}");
    }
    Ok(store)
}

/// Windows with more rows than this are read from the rollups (unless `--exact`): a million
/// rows is about as many as the exact read moves in a few seconds (README, "Reading from
/// Supabase", has the measured rate), while the rollups answer any window at once.
pub const EXACT_ROWS_LIMIT: u64 = 1_000_000;

/// The environment variable that moves [`EXACT_ROWS_LIMIT`] (a machine that reads faster, or a
/// test with a small table).
pub const EXACT_ROWS_LIMIT_VAR: &str = "CANARY_EXACT_ROWS_LIMIT";

fn exact_rows_limit() -> Result<u64, String> {
    match env_var(EXACT_ROWS_LIMIT_VAR) {
        None => Ok(EXACT_ROWS_LIMIT),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{EXACT_ROWS_LIMIT_VAR} must be a number of rows, got {text:?}")),
    }
}

/// What a read without `--exact` got: the rows, or the rollups of a window too large for them.
pub enum Loaded {
    Rows(EventStore),
    Rollups(RollupWindow),
}

/// Reads `[from, to)` (default: everything the rollups hold) from the rows when the window
/// holds at most [`EXACT_ROWS_LIMIT`] of them, else from the rollups (whole minutes). A project
/// without the rollups' migration is read row by row, as before it.
pub fn load_auto(url: &str, from: Option<Micros>, to: Option<Micros>) -> Result<Loaded, CliError> {
    let limit = exact_rows_limit().map_err(|message| CliError::Input {
        path: url.to_owned(),
        message,
    })?;
    let connection = connect(url)?;
    let Connection { agent, config, .. } = &connection;
    let fail = |e: SupabaseError| connection.fail(with_cli_hint(&e, config));
    check_membership(agent, config).map_err(&fail)?;
    let window = match (from, to) {
        (Some(from), Some(to)) => Window::new(from, to),
        _ => {
            let request = extent_request(config);
            let answer = send(agent, &request.url, &request.headers).map_err(|detail| {
                fail(SupabaseError::Network {
                    url: request.url.clone(),
                    detail,
                })
            })?;
            match read_extent(config, answer.status, answer.content_type(), &answer.body) {
                Ok((extent, _)) => {
                    extent.and_then(|w| Window::new(from.unwrap_or(w.from), to.unwrap_or(w.to)))
                }
                Err(SupabaseError::RollupsMissing { .. }) => None,
                Err(e) => return Err(fail(e)),
            }
        }
    };
    let Some(window) = window else {
        return read_rows(&connection, from, to).map(Loaded::Rows);
    };
    let mut read = RollupRead::new(window);
    let requests = read.requests(config);
    for (index, request) in requests.iter().enumerate() {
        let answer = send(agent, &request.url, &request.headers).map_err(|detail| {
            fail(SupabaseError::Network {
                url: request.url.clone(),
                detail,
            })
        })?;
        match read.on_response(
            config,
            index,
            answer.status,
            answer.content_type(),
            &answer.body,
        ) {
            Ok(()) => {}
            Err(SupabaseError::RollupsMissing { .. }) if index == 0 => {
                return read_rows(&connection, from, to).map(Loaded::Rows);
            }
            Err(e) => return Err(fail(e)),
        }
        if index == 0 {
            // The totals count the window's rows: few enough, and the exact read is worth it.
            let rows: u64 = read.totals().iter().map(|r| r.counters.events).sum();
            if rows <= limit {
                return read_rows(&connection, from, to).map(Loaded::Rows);
            }
            eprintln!(
                "supabase: {rows} rows in the window, more than {limit}: reading the rollups \
                 (percentiles within ±1 %; --exact reads every row)"
            );
        }
    }
    read.finish().map(Loaded::Rollups).map_err(fail)
}

/// Asks the project whether the caller is a team member before reading, so a non-member hears
/// so rather than getting an empty report. A failure to ask (network, busy) is left to the read,
/// which retries and reports it.
fn check_membership(agent: &ureq::Agent, config: &SupabaseConfig) -> Result<(), SupabaseError> {
    membership(agent, config).map(drop)
}

/// Who the caller is in the team ([`Membership::Unknown`] when the question got no answer).
pub fn membership(
    agent: &ureq::Agent,
    config: &SupabaseConfig,
) -> Result<Membership, SupabaseError> {
    let request = membership_request(config);
    let Ok(answer) = send(agent, &request.url, &request.headers) else {
        return Ok(Membership::Unknown);
    };
    read_membership(config, answer.status, answer.content_type(), &answer.body)
}

/// A non-empty environment variable.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// The configuration from the URL and the environment.
fn config_from_env(url: &str) -> Result<SupabaseConfig, String> {
    let var = env_var;
    let config = match (var(KEY_VAR), var(TOKEN_VAR)) {
        (Some(key), token) => {
            let config = SupabaseConfig::new(url, &key).map_err(|e| e.to_string())?;
            match token {
                Some(token) => config
                    .with_access_token(&token)
                    .map_err(|e| format!("{TOKEN_VAR}: {e}"))?,
                None => config,
            }
        }
        (None, Some(_)) => {
            return Err(format!(
                "{TOKEN_VAR} is a signed-in user's token, but Supabase also needs the project's anon or publishable key: set {KEY_VAR} too (Project Settings → API Keys)"
            ))
        }
        (None, None) => {
            return Err(format!(
                "--supabase-url needs the project's anon or publishable key in the environment variable {KEY_VAR} (Project Settings → API Keys); for rows only signed-in users may read, also {TOKEN_VAR}"
            ))
        }
    };
    Ok(config)
}

/// The core's message, with the environment variable to change where that is the fix.
fn with_cli_hint(error: &SupabaseError, config: &SupabaseConfig) -> String {
    let hint = match error {
        SupabaseError::PermissionDenied { .. } if config.access_token().is_none() => {
            format!(" (here: set {TOKEN_VAR} to a signed-in user's access token)")
        }
        SupabaseError::NotMember { .. } if config.access_token().is_none() => {
            format!(" (here: sign in: set {EMAIL_VAR} and {PASSWORD_VAR}, or {REFRESH_FILE_VAR})")
        }
        SupabaseError::JwtExpired { .. } | SupabaseError::Expired { .. }
            if config.access_token().is_some() =>
        {
            format!(" (here: {TOKEN_VAR})")
        }
        SupabaseError::WrongKey { .. } | SupabaseError::MissingKey { .. } => {
            format!(" (here: {KEY_VAR})")
        }
        _ => String::new(),
    };
    format!("{error}{hint}")
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str())
    }
}

/// One GET; an `Err` is a failure without an HTTP answer (connect, TLS, timeout, broken body).
pub fn send(agent: &ureq::Agent, url: &str, headers: &[(&str, String)]) -> Result<Answer, String> {
    let mut request = agent.get(url);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    answer(request.call())
}

/// One POST of a JSON body; an `Err` as for [`send`].
pub fn send_post(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Result<Answer, String> {
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    answer(request.send(body.as_bytes()))
}

fn answer(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer, String> {
    let mut response = response.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Progress on stderr: one rewritten line on a terminal, a line every few seconds' worth of
/// pages otherwise (cron logs stay short).
struct Meter {
    terminal: bool,
    last: Option<Progress>,
}

impl Meter {
    fn new() -> Meter {
        Meter {
            terminal: std::io::stderr().is_terminal(),
            last: None,
        }
    }

    fn line(p: &Progress) -> String {
        let estimate = p.estimate.map_or(String::new(), |n| format!(" of ~{n}"));
        format!(
            "supabase: {} rows{estimate} read ({} requests, {:.1} MB)",
            p.rows,
            p.requests,
            p.bytes as f64 / 1e6
        )
    }

    fn show(&mut self, p: &Progress) {
        let mut err = std::io::stderr().lock();
        if let Some(retry) = &p.retry {
            let _ = writeln!(
                err,
                "{}supabase: {} — retrying in {:.1} s (attempt {} of {})",
                if self.terminal { "\r" } else { "" },
                retry.reason,
                retry.delay_ms as f64 / 1000.0,
                retry.attempt,
                retry.max_attempts
            );
        } else if self.terminal {
            let _ = write!(err, "\r{}", Meter::line(p));
        } else if p.requests % 50 == 1 && !p.done {
            let _ = writeln!(err, "{}", Meter::line(p));
        }
        self.last = Some(p.clone());
    }

    fn finish(&mut self) {
        let Some(p) = self.last.take() else {
            return;
        };
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = writeln!(err, "\r{}", Meter::line(&p));
        } else if p.done {
            let _ = writeln!(err, "{}", Meter::line(&p));
        }
    }
}

/// The most rows a report reads row by row: [`EXACT_ROWS_LIMIT`], or the environment's.
pub fn report_rows_limit(connection: &Connection) -> Result<u64, CliError> {
    exact_rows_limit().map_err(|message| connection.fail(message))
}

/// Checks that the caller is a team member (a non-member hears so rather than getting an empty
/// report).
pub fn require_member(connection: &Connection) -> Result<(), CliError> {
    let Connection { agent, config, .. } = connection;
    check_membership(agent, config).map_err(|e| connection.fail(with_cli_hint(&e, config)))
}

/// The span the rollups hold (`canary_rollup_extent`); `None` without the rollups' migration or
/// without data.
pub fn rollup_extent(connection: &Connection) -> Result<Option<Window>, CliError> {
    let Connection { agent, config, .. } = connection;
    let fail = |e: SupabaseError| connection.fail(with_cli_hint(&e, config));
    let request = extent_request(config);
    let answer = send(agent, &request.url, &request.headers).map_err(|detail| {
        fail(SupabaseError::Network {
            url: request.url.clone(),
            detail,
        })
    })?;
    match read_extent(config, answer.status, answer.content_type(), &answer.body) {
        Ok((extent, _)) => Ok(extent),
        Err(SupabaseError::RollupsMissing { .. }) => Ok(None),
        Err(e) => Err(fail(e)),
    }
}

/// The events in `window` (whole minutes) by the rollups' totals, one request; `None` without
/// the rollups' migration.
pub fn rollup_count(connection: &Connection, window: Window) -> Result<Option<u64>, CliError> {
    let Connection { agent, config, .. } = connection;
    let fail = |e: SupabaseError| connection.fail(with_cli_hint(&e, config));
    let mut read = RollupRead::new(window);
    let requests = read.requests(config);
    let Some(request) = requests.first() else {
        return Ok(None);
    };
    let answer = send(agent, &request.url, &request.headers).map_err(|detail| {
        fail(SupabaseError::Network {
            url: request.url.clone(),
            detail,
        })
    })?;
    match read.on_response(
        config,
        0,
        answer.status,
        answer.content_type(),
        &answer.body,
    ) {
        Ok(()) => Ok(Some(read.totals().iter().map(|r| r.counters.events).sum())),
        Err(SupabaseError::RollupsMissing { .. }) => Ok(None),
        Err(e) => Err(fail(e)),
    }
}

/// Reads `window` (whole minutes) from the rollups: their four requests.
pub fn read_rollups(connection: &Connection, window: Window) -> Result<RollupWindow, CliError> {
    let Connection { agent, config, .. } = connection;
    let fail = |e: SupabaseError| connection.fail(with_cli_hint(&e, config));
    let mut read = RollupRead::new(window);
    for (index, request) in read.requests(config).iter().enumerate() {
        let answer = send(agent, &request.url, &request.headers).map_err(|detail| {
            fail(SupabaseError::Network {
                url: request.url.clone(),
                detail,
            })
        })?;
        read.on_response(
            config,
            index,
            answer.status,
            answer.content_type(),
            &answer.body,
        )
        .map_err(fail)?;
    }
    read.finish().map_err(fail)
}
