//! `canary-report email` and `canary-report signoff`: the guide's daily status email and phase
//! sign-off as Markdown (docs/metrics.md#reports), printed or written atomically to `--out FILE`.
//!
//! The values come from `canary_core::report::ReportData`, the same computation the page's
//! export uses, so both print the same bytes for the same data, phase and time.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use canary_core::alerts;
use canary_core::chat::ChatSummary;
use canary_core::metrics::Window;
use canary_core::phases;
use canary_core::report::{
    self, daily_email, email_subject, phase_signoff, ManualChecks, ReportData, SignoffInput,
};
use canary_core::EventStore;

use crate::delivery;
use crate::error::{usage, CliError};
use crate::flags::{ReportArgs, ReportKind};
use crate::{clock, source};

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
fn email(a: &ReportArgs, store: &EventStore) -> Result<delivery::Report, CliError> {
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
    let input = data.email_input(&a.name, date, a.dashboard_url.as_deref());
    Ok(delivery::Report {
        markdown: daily_email(&input),
        subject: email_subject(&input),
        chat: ChatSummary::of_email(&input),
    })
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

/// Writes `bytes` to `path` so that a reader sees the old file or the whole new one, never a
/// part: a new temporary file in the same directory (the same file system, so the rename is
/// atomic), written and synced, then renamed over `path`. On any failure the temporary file is
/// removed and `path` is untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // `.NAME.XXXXXX.tmp`, created new (never an existing file) and removed when dropped.
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    // Make the rename durable too; not every platform can sync a directory, so best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_cleans_up() {
        let dir = std::env::temp_dir().join(format!("canary-report-unit-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("status.md");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        // A directory in the way: the rename fails, and no temporary file stays behind.
        let blocked = dir.join("blocked");
        fs::create_dir_all(&blocked).unwrap();
        assert!(write_atomically(&blocked, b"x").is_err());
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["blocked", "status.md"]);
        assert!(
            write_atomically(Path::new("/"), b"x").is_err(),
            "no file name"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
