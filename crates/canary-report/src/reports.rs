//! `canary-report email` and `canary-report signoff`: the guide's daily status email and phase
//! sign-off as Markdown (docs/metrics.md#reports), printed or written atomically to `--out FILE`.
//!
//! The values come from `canary_core::report::ReportData`, the same computation the page's
//! export uses, so both print the same bytes for the same data, phase and time. A Supabase
//! report whose windows (the email's period and the phase so far) hold more rows than
//! `net::supabase::EXACT_ROWS_LIMIT` is computed from the database's rollups instead, unless
//! `--exact` (`ReportData::from_rollups`: exact counts, bounded percentiles, uncertain alerts
//! and criteria, said at the report's top), as `metrics` and `check` choose.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use canary_core::alerts;
use canary_core::chat::ChatSummary;
use canary_core::event::MICROS_PER_HOUR;
use canary_core::metrics::Window;
use canary_core::phases;
use canary_core::phases::PhaseDefinition;
use canary_core::report::{
    daily_email, email_subject, phase_signoff, EmailInput, ManualChecks, ReportData, SignoffInput,
};
use canary_core::report_rollups::RollupInputs;
use canary_core::rollup::{minute_ceil, minute_floor, whole_minutes};
use canary_core::supabase::team::Membership;
use canary_core::team::{apply_phase_settings, Decision, NewSignoff, PhaseSetting};
use canary_core::EventStore;

use crate::atomic_file::write_atomically;
use crate::delivery;
use crate::error::{usage, CliError};
use crate::flags::{ReportArgs, ReportKind, Source};
use crate::net::{self, supabase::Connection};
use crate::source;

/// What a report reads from a Supabase project besides the events: the connection and the
/// rollout's shared phases (`None`: the project has no team records).
struct Shared {
    connection: Connection,
    settings: Option<Vec<PhaseSetting>>,
}

/// What a report is computed from.
enum Input {
    Rows(Box<EventStore>),
    /// The values from the rollups, and the notes about how they were taken.
    Rollups(Box<ReportData>, Vec<String>),
}

/// The events (or, for a large Supabase window without `--exact`, the rollups), and for a
/// Supabase source the team's shared records.
fn load(a: &ReportArgs) -> Result<(Input, Option<Shared>), CliError> {
    match &a.source.source {
        Source::Supabase {
            url,
            from,
            to,
            exact,
        } => {
            let connection = net::supabase::connect(url)?;
            net::supabase::require_member(&connection)?;
            let settings = net::records::phase_settings(&connection, &a.name)?;
            let shared = Shared {
                connection,
                settings,
            };
            if !exact {
                if let Some((data, notes)) = from_rollups(a, &shared)? {
                    return Ok((Input::Rollups(Box::new(data), notes), Some(shared)));
                }
            }
            let store = net::supabase::read_rows(&shared.connection, *from, *to)?;
            Ok((Input::Rows(Box::new(store)), Some(shared)))
        }
        other => Ok((Input::Rows(Box::new(source::load(other)?)), None)),
    }
}

/// Runs `email` or `signoff`.
pub fn run(a: &ReportArgs) -> Result<(), CliError> {
    let (input, shared) = load(a)?;
    let shared = shared.as_ref();
    let (data, notes) = match input {
        Input::Rows(store) => {
            let store = *store;
            let period = match a.kind {
                ReportKind::Email => email_period(a, &store)?,
                ReportKind::Signoff => None,
            };
            let data = report_data(a, &store, period, shared)?;
            let notes = outside_phase_notes(&store, &data, start_given(a, shared));
            (data, notes)
        }
        Input::Rollups(data, notes) => (*data, notes),
    };
    let text = match a.kind {
        ReportKind::Email => {
            let report = email(a, data, notes, shared)?;
            if a.delivery.requested() {
                return delivery::run(&a.delivery, &report, a.out.as_deref());
            }
            report.markdown
        }
        ReportKind::Signoff => signoff(a, &data, &notes, shared)?,
    };
    write_output(a.out.as_deref(), text.as_bytes())
}

/// The phases of the report: the defaults, the team's shared settings over them, and
/// --phase-start for the chosen one.
fn report_phases(a: &ReportArgs, shared: Option<&Shared>) -> Vec<PhaseDefinition> {
    let s = &a.source;
    let mut phases = phases::default_phases();
    if let Some(settings) = shared.and_then(|t| t.settings.as_deref()) {
        apply_phase_settings(settings, &mut phases);
    }
    for p in phases.iter_mut().filter(|p| p.number == s.phase) {
        if s.phase_start.is_some() {
            p.start = s.phase_start;
        }
    }
    phases
}

/// `window` cut down to whole minutes (the rollups' grain; a minute not yet over is left out);
/// `None` when no whole minute is left.
fn inner_minutes(window: Window) -> Option<Window> {
    Window::new(minute_ceil(window.from), minute_floor(window.to))
}

/// The report's values from the rollups when its windows (the email's period and the phase so
/// far) hold more rows than the exact path reads; `None` for the exact path: few rows, a
/// project without the rollups, or no data to find the phase's start in.
fn from_rollups(
    a: &ReportArgs,
    shared: &Shared,
) -> Result<Option<(ReportData, Vec<String>)>, CliError> {
    let s = &a.source;
    let connection = &shared.connection;
    let now = crate::run_now(s);
    let mut phases = report_phases(a, Some(shared));
    let index = phases
        .iter()
        .position(|p| p.number == s.phase)
        .ok_or_else(|| usage(format!("there is no phase {}", s.phase)))?;
    let mut notes = Vec::new();
    if phases[index].start.is_none() {
        // Without rows to find the start in (phases::default_start), the phase starts at
        // --from, else at the first minute the rollups hold.
        let start = match s.from {
            Some(from) => Some(from),
            None => net::supabase::rollup_extent(connection)?.map(|w| w.from),
        };
        let Some(start) = start else {
            return Ok(None);
        };
        notes.push(format!(
            "the phase's start is taken as {} ({}); give --phase-start to choose it",
            canary_core::time::format_minute(start),
            if s.from.is_some() {
                "--from"
            } else {
                "the first minute the rollups hold"
            }
        ));
        phases[index].start = Some(start);
    }
    let phase = &phases[index];
    let seen = phase
        .window()
        .and_then(|w| Window::new(w.from, now.min(w.to)))
        .and_then(inner_minutes);
    let previous = index
        .checked_sub(1)
        .zip(phase.start)
        .and_then(|(i, start)| Window::new(start - phases[i].duration, start))
        .and_then(inner_minutes);
    let period = match a.kind {
        ReportKind::Email => requested_period(a)?.map(whole_minutes),
        ReportKind::Signoff => None,
    };
    let windows: Vec<Window> = [period, seen].into_iter().flatten().collect();
    let span = windows.iter().copied().reduce(|x, y| Window {
        from: x.from.min(y.from),
        to: x.to.max(y.to),
    });
    let Some(span) = span else {
        return Ok(None);
    };
    let limit = net::supabase::report_rows_limit(connection)?;
    let Some(rows) = net::supabase::rollup_count(connection, span)? else {
        return Ok(None);
    };
    if rows <= limit {
        return Ok(None);
    }
    eprintln!(
        "supabase: {rows} rows in the report's windows, more than {limit}: reading the rollups \
         (percentiles within ±1 %; --exact reads every row)"
    );
    let read = |w: Option<Window>| {
        w.map(|w| net::supabase::read_rollups(connection, w))
            .transpose()
    };
    let (period, seen, previous) = (read(period)?, read(seen)?, read(previous)?);
    let inputs = RollupInputs {
        period: period.as_ref(),
        phase: seen.as_ref(),
        previous: previous.as_ref(),
        rows,
        exact_rows_limit: limit,
    };
    let data = ReportData::from_rollups(phases, s.phase, inputs, now, &alerts::default_rules())
        .ok_or_else(|| usage(format!("there is no phase {}", s.phase)))?;
    Ok(Some((data, notes)))
}

/// Writes `bytes` to `path` atomically, or to stdout without a path.
pub fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    match path {
        None => {
            let mut out = io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
        }
        Some(path) => write_atomically(path, bytes).map_err(|e| {
            CliError::Output(io::Error::new(e.kind(), format!("{}: {e}", path.display())))
        })?,
    }
    Ok(())
}

/// The report's values: the phases are the team's shared ones when read from Supabase; the
/// chosen phase starts at --phase-start, else at its shared start, else at the first event,
/// exactly as `metrics` and `check` take it.
fn report_data(
    a: &ReportArgs,
    store: &EventStore,
    period: Option<Window>,
    shared: Option<&Shared>,
) -> Result<ReportData, CliError> {
    let s = &a.source;
    let now = crate::run_now(s);
    let phases = report_phases(a, shared);
    ReportData::compute(
        store,
        phases,
        s.phase,
        period,
        now,
        &alerts::default_rules(),
    )
    .ok_or_else(|| usage(format!("there is no phase {}", s.phase)))
}

/// The email's period: `--from`/`--to` where given; otherwise the 24 h that end at the end of
/// `--date` (midnight after it, UTC), or at `--now`, or now. A missing start is 24 h before the
/// end, a missing end 24 h after the start. Never the data's own end: one row dated decades
/// ahead must not move the report there. The embedded demo is a recorded day, so without any
/// of these its email covers its last 24 h.
fn email_period(a: &ReportArgs, store: &EventStore) -> Result<Option<Window>, CliError> {
    let s = &a.source;
    let demo_default = s.source == crate::flags::Source::Demo
        && s.now.is_none()
        && a.date.is_none()
        && s.from.is_none()
        && s.to.is_none();
    if demo_default {
        return Ok(canary_core::report::default_period(store));
    }
    requested_period(a)
}

/// The email's period from `--from`/`--to`, `--date` or `--now` (see [`email_period`]).
fn requested_period(a: &ReportArgs) -> Result<Option<Window>, CliError> {
    let s = &a.source;
    let day = 24 * MICROS_PER_HOUR;
    let date_end = a.date.and_then(|d| d.succ_opt()).map(|d| {
        canary_core::time::from_datetime(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
    });
    let (from, to) = match (s.from, s.to) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, from.saturating_add(day)),
        (None, to) => {
            let to = to.or(date_end).unwrap_or_else(|| crate::run_now(s));
            (to.saturating_sub(day), to)
        }
    };
    Window::new(from, to)
        .map(Some)
        .ok_or_else(|| CliError::Usage("the window is empty: --to must be after --from".into()))
}

/// The data-quality notes about rows the phase leaves out: rows dated after `now`, and (when the
/// phase's start was not given) rows before the start [`phases::default_start`] chose.
fn outside_phase_notes(store: &EventStore, data: &ReportData, start_given: bool) -> Vec<String> {
    let mut notes = Vec::new();
    let times = store.created_at();
    let after = times.len() - times.partition_point(|&t| t <= data.now);
    if after > 0 {
        notes.push(format!(
            "{after} rows dated after the report's time {} (the latest {}) are left out of the \
             phase's criteria",
            canary_core::time::format_minute(data.now),
            canary_core::time::format_minute(times[times.len() - 1])
        ));
    }
    if let (false, Some(start)) = (start_given, data.phase.start) {
        let before = times.partition_point(|&t| t < start);
        if before > 0 {
            notes.push(format!(
                "{before} rows more than the phase's length before the rest of the data (the \
                 earliest {}) are not taken as the phase's start and are left out of its \
                 criteria; give --phase-start to choose it",
                canary_core::time::format_minute(times[0])
            ));
        }
    }
    notes
}

/// Whether the chosen phase's start was given (by --phase-start or the team's shared phases)
/// rather than taken from the data.
fn start_given(a: &ReportArgs, shared: Option<&Shared>) -> bool {
    a.source.phase_start.is_some()
        || shared
            .and_then(|t| t.settings.as_deref())
            .is_some_and(|settings| {
                settings
                    .iter()
                    .any(|p| p.phase == a.source.phase && p.starts_at.is_some())
            })
}

/// The daily status email over [`email_period`], with `notes` (rows outside the phase, how the
/// rollups were read) and, from Supabase, the sign-offs recorded in the period.
fn email(
    a: &ReportArgs,
    mut data: ReportData,
    notes: Vec<String>,
    shared: Option<&Shared>,
) -> Result<delivery::Report, CliError> {
    data.metrics.window.notes.extend(notes);
    if let Some(path) = &a.source.redis_info {
        let input_error = |message: String| CliError::Input {
            path: path.clone(),
            message,
        };
        let text = fs::read_to_string(path).map_err(|e| input_error(e.to_string()))?;
        data.add_redis_info(&text)
            .map_err(|e| input_error(e.to_string()))?;
    }
    // The sign-offs recorded in the email's period, when the project keeps them.
    let signoffs = match (shared, data.period) {
        (Some(t), Some(period)) => net::records::signoffs(&t.connection, &a.name, Some(period))?,
        _ => None,
    };
    let date = a.date.unwrap_or_else(|| data.default_date());
    let input = EmailInput {
        signoffs: signoffs.as_deref(),
        ..data.email_input(&a.name, date, a.dashboard_url.as_deref())
    };
    Ok(delivery::Report {
        markdown: daily_email(&input),
        subject: email_subject(&input),
        chat: ChatSummary::of_email(&input),
    })
}

fn signoff(
    a: &ReportArgs,
    data: &ReportData,
    notes: &[String],
    shared: Option<&Shared>,
) -> Result<String, CliError> {
    // The sign-off has no notes section of its own: the notes go to stderr.
    for note in notes {
        eprintln!("canary-report: note: {note}");
    }
    let (Some(submit), Some(shared)) = (a.submit, shared) else {
        let input = SignoffInput {
            // Naming the approver on the sign-off is the Technical Lead's approval; the review
            // and the runbook validation are for a person to tick (in the console).
            manual: ManualChecks {
                technical_lead_approval: a.approved_by.is_some(),
                ..ManualChecks::default()
            },
            approved_by: a.approved_by.as_deref(),
            notes: a.notes.as_deref(),
            ..data.signoff_input(&a.name)
        };
        return phase_signoff(&input).map_err(|e| CliError::Usage(e.to_string()));
    };

    // Recorded: the approver is the signed-in user, asked of the project before anything is
    // rendered, so a viewer hears so at once; the database checks it again on insert.
    let connection = &shared.connection;
    let email = match net::supabase::membership(&connection.agent, &connection.config)
        .map_err(|e| connection.fail(e.to_string()))?
    {
        Membership::Member { role, .. } if role != "approver" => {
            return Err(connection.fail(format!(
                "only the team's approvers may sign phases off, and you are a {role}: sign in as an approver (SUPABASE_EMAIL, SUPABASE_PASSWORD), or ask a team admin to make you one"
            )))
        }
        Membership::Member {
            email: Some(email), ..
        } => email,
        _ => {
            return Err(connection.fail(
                "--submit needs a signed-in approver: set SUPABASE_EMAIL and SUPABASE_PASSWORD (or SUPABASE_REFRESH_TOKEN_FILE)".to_owned(),
            ))
        }
    };
    let input = SignoffInput {
        manual: ManualChecks {
            technical_lead_approval: submit.decision == Decision::Approve,
            ..ManualChecks::default()
        },
        approved_by: Some(&email),
        notes: a.notes.as_deref(),
        decision: Some(submit.decision),
        ..data.signoff_input(&a.name)
    };
    let markdown = phase_signoff(&input).map_err(|e| CliError::Usage(e.to_string()))?;
    let record = NewSignoff::new(
        &a.name,
        data.phase.number,
        submit.decision,
        data.criteria(),
        markdown,
        a.notes.as_deref(),
        submit.supersedes,
    );
    let stored = net::records::submit(connection, &record)?;
    eprintln!(
        "canary-report: recorded sign-off {}: {}",
        stored.id,
        stored.headline(&data.phases)
    );
    Ok(stored.markdown)
}
