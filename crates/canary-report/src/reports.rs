//! `canary-report email` and `canary-report signoff`: the guide's daily status email and phase
//! sign-off as Markdown (docs/metrics.md#reports), printed or written atomically to `--out FILE`.
//!
//! The values come from `canary_core::report::ReportData`, the same computation the page's
//! export uses, so both print the same bytes for the same data, phase and time.

use std::fs;
use std::io::{self, Write};

use canary_core::alerts;
use canary_core::metrics::Window;
use canary_core::phases;
use canary_core::report::{
    self, daily_email, phase_signoff, ManualChecks, ReportData, SignoffInput,
};
use canary_core::EventStore;

use crate::atomic_file::write_atomically;
use crate::error::{usage, CliError};
use crate::flags::{ReportArgs, ReportKind};
use crate::{clock, source};

/// Runs `email` or `signoff`.
pub fn run(a: &ReportArgs) -> Result<(), CliError> {
    let store = source::load(&a.source.source)?;
    let text = match a.kind {
        ReportKind::Email => email(a, &store)?,
        ReportKind::Signoff => signoff(a, &store)?,
    };
    match &a.out {
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(path) => write_atomically(path, text.as_bytes()).map_err(|e| {
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
    // The shell may read the clock; the core is told the time.
    let now = s.now.unwrap_or_else(clock::now);
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

/// The email covers the 24 h that end at the end of the data, unless --from/--to say otherwise
/// (a missing end is the data's end, a missing start 24 h before the end).
fn email(a: &ReportArgs, store: &EventStore) -> Result<String, CliError> {
    let s = &a.source;
    let period = report::period(store, s.from, s.to)
        .map_err(|_| CliError::Usage("the window is empty: --to must be after --from".into()))?;
    let mut data = report_data(a, store, period)?;
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
    Ok(daily_email(&data.email_input(
        &a.name,
        date,
        a.dashboard_url.as_deref(),
    )))
}

fn signoff(a: &ReportArgs, store: &EventStore) -> Result<String, CliError> {
    let data = report_data(a, store, None)?;
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
