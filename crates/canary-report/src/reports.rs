//! `canary-report email` and `canary-report signoff`: the guide's daily status email and phase
//! sign-off as Markdown (docs/metrics.md#reports), printed or written atomically to `--out FILE`.
//!
//! The values come from `canary_core::report::ReportData`, the same computation the page's
//! export uses, so both print the same bytes for the same data, phase and time.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use canary_core::alerts;
use canary_core::chat::ChatSummary;
use canary_core::event::MICROS_PER_HOUR;
use canary_core::metrics::Window;
use canary_core::phases;
use canary_core::report::{
    daily_email, email_subject, phase_signoff, ManualChecks, ReportData, SignoffInput,
};
use canary_core::EventStore;

use crate::atomic_file::write_atomically;
use crate::delivery;
use crate::error::{usage, CliError};
use crate::flags::{ReportArgs, ReportKind};
use crate::source;

/// Runs `email` or `signoff`.
pub fn run(a: &ReportArgs) -> Result<(), CliError> {
    let store = source::load(&a.source.source)?;
    let text = match a.kind {
        ReportKind::Email => {
            let report = email(a, &store)?;
            if a.delivery.requested() {
                return delivery::run(&a.delivery, &report, a.out.as_deref());
            }
            report.markdown
        }
        ReportKind::Signoff => signoff(a, &store)?,
    };
    write_output(a.out.as_deref(), text.as_bytes())
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

/// The report's values: the chosen phase starts at --phase-start, or (without it) at the first
/// event, exactly as `metrics` and `check` take it.
fn report_data(
    a: &ReportArgs,
    store: &EventStore,
    period: Option<Window>,
) -> Result<ReportData, CliError> {
    let s = &a.source;
    let now = crate::run_now(s);
    let mut phases = phases::default_phases();
    for p in phases.iter_mut().filter(|p| p.number == s.phase) {
        p.start = s.phase_start;
    }
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
    let day = 24 * MICROS_PER_HOUR;
    let demo_default = s.source == crate::flags::Source::Demo
        && s.now.is_none()
        && a.date.is_none()
        && s.from.is_none()
        && s.to.is_none();
    if demo_default {
        return Ok(canary_core::report::default_period(store));
    }
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

/// The daily status email over [`email_period`], with the notes on rows outside the phase.
fn email(a: &ReportArgs, store: &EventStore) -> Result<delivery::Report, CliError> {
    let s = &a.source;
    let period = email_period(a, store)?;
    let mut data = report_data(a, store, period)?;
    let outside = outside_phase_notes(store, &data, s.phase_start.is_some());
    data.metrics.window.notes.extend(outside);
    if let Some(path) = &s.redis_info {
        let input_error = |message: String| CliError::Input {
            path: path.clone(),
            message,
        };
        let text = fs::read_to_string(path).map_err(|e| input_error(e.to_string()))?;
        data.add_redis_info(&text)
            .map_err(|e| input_error(e.to_string()))?;
    }
    let date = a.date.unwrap_or_else(|| data.default_date());
    let input = data.email_input(&a.name, date, a.dashboard_url.as_deref());
    Ok(delivery::Report {
        markdown: daily_email(&input),
        subject: email_subject(&input),
        chat: ChatSummary::of_email(&input),
    })
}

fn signoff(a: &ReportArgs, store: &EventStore) -> Result<String, CliError> {
    let data = report_data(a, store, None)?;
    // The sign-off has no notes section of its own: the notes go to stderr.
    for note in outside_phase_notes(store, &data, a.source.phase_start.is_some()) {
        eprintln!("canary-report: note: {note}");
    }
    let input = SignoffInput {
        // Naming the approver on the sign-off is the Technical Lead's approval; the review and
        // the runbook validation are for a person to tick (in the console).
        manual: ManualChecks {
            technical_lead_approval: a.approved_by.is_some(),
            ..ManualChecks::default()
        },
        approved_by: a.approved_by.as_deref(),
        notes: a.notes.as_deref(),
        ..data.signoff_input(&a.name)
    };
    phase_signoff(&input).map_err(|e| CliError::Usage(e.to_string()))
}
