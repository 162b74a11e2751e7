//! `canary-report email` and `canary-report signoff`: the guide's daily status email and phase
//! sign-off as Markdown (SPEC §5), printed or written atomically to `--out FILE`.
//!
//! The values come from `canary_core::report::ReportData`, the same computation the page's
//! export uses, so both print the same bytes for the same data, phase and time.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use canary_core::alerts;
use canary_core::event::MICROS_PER_HOUR;
use canary_core::metrics::Window;
use canary_core::phases;
use canary_core::redis;
use canary_core::report::{
    daily_email, phase_signoff, ManualChecks, ReportData, SignoffInput, DEFAULT_ROLLOUT_NAME,
};
use canary_core::time::to_datetime;
use canary_core::EventStore;
use chrono::NaiveDate;

use crate::args::MetricsArgs;
use crate::{source, CliError};

/// Which report to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Email,
    Signoff,
}

/// The options only the report commands take; each has a value.
pub const FLAGS: [&str; 6] = [
    "date",
    "name",
    "dashboard-url",
    "approved-by",
    "notes",
    "out",
];

/// The arguments of `email` and `signoff`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportArgs {
    pub kind: ReportKind,
    /// The source, window, phase and time options, as `metrics` takes them.
    pub source: MetricsArgs,
    /// The date on the email; default: the day of the period's end.
    pub date: Option<NaiveDate>,
    /// The rollout's name.
    pub name: String,
    /// email: the link to the console.
    pub dashboard_url: Option<String>,
    /// signoff: the approver; naming one ticks the Technical Lead approval.
    pub approved_by: Option<String>,
    /// signoff: the notes.
    pub notes: Option<String>,
    /// Where to write the report; stdout without it.
    pub out: Option<PathBuf>,
}

fn usage(message: impl Into<String>) -> CliError {
    CliError::Usage(format!("{} (see canary-report --help)", message.into()))
}

/// Builds the arguments of report command `command` from the common options and the report
/// options `flags` (`(name without --, value)` pairs, as given).
pub fn parse(
    command: &str,
    source: MetricsArgs,
    flags: Vec<(String, String)>,
) -> Result<ReportArgs, CliError> {
    let kind = match command {
        "email" => ReportKind::Email,
        _ => ReportKind::Signoff,
    };
    if source.json {
        return Err(usage(format!(
            "--json is for metrics; {command} prints Markdown"
        )));
    }
    let mut a = ReportArgs {
        kind,
        source,
        date: None,
        name: DEFAULT_ROLLOUT_NAME.to_owned(),
        dashboard_url: None,
        approved_by: None,
        notes: None,
        out: None,
    };
    for (flag, value) in flags {
        // Options that the other report would use are refused rather than silently ignored.
        let only = |wanted: ReportKind, what: &str| {
            if kind == wanted {
                Ok(())
            } else {
                Err(usage(format!("--{flag} is for {what}, not {command}")))
            }
        };
        match flag.as_str() {
            "date" => {
                only(
                    ReportKind::Email,
                    "email (the sign-off is dated by the phase)",
                )?;
                let date = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
                    usage(format!(
                        "--date must be a date like 2025-10-17, not {value:?}"
                    ))
                })?;
                a.date = Some(date);
            }
            "name" => {
                if value.trim().is_empty() {
                    return Err(usage("--name needs the rollout's name"));
                }
                a.name = value;
            }
            "dashboard-url" => {
                only(ReportKind::Email, "email")?;
                a.dashboard_url = Some(value);
            }
            "approved-by" => {
                only(ReportKind::Signoff, "signoff")?;
                a.approved_by = Some(value).filter(|v| !v.trim().is_empty());
            }
            "notes" => {
                only(ReportKind::Signoff, "signoff")?;
                a.notes = Some(value);
            }
            "out" => {
                if value.is_empty() {
                    return Err(usage("--out needs a file name"));
                }
                a.out = Some(PathBuf::from(value));
            }
            other => return Err(usage(format!("--{other} is not a report option"))),
        }
    }
    if kind == ReportKind::Signoff {
        // The sign-off judges the whole phase as of --now; a window or a Redis snapshot would
        // silently not count, so they are refused.
        if a.source.from.is_some() || a.source.to.is_some() {
            return Err(usage(
                "signoff judges the whole phase: give --phase-start and --now, not --from/--to",
            ));
        }
        if a.source.redis_info.is_some() {
            return Err(usage(
                "--redis-info is for metrics, check and email, not signoff",
            ));
        }
    }
    Ok(a)
}

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
    let demo_default = s.source == crate::args::Source::Demo
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

fn email(a: &ReportArgs, store: &EventStore) -> Result<String, CliError> {
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
        let info = redis::parse_info(&text).map_err(|e| input_error(e.to_string()))?;
        // An INFO text is a snapshot taken now: its alerts fire from now.
        data.evaluation
            .add_alerts(redis::alerts(&info, to_datetime(data.now)));
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

/// Writes `bytes` to `path` so that a reader sees the old file or the whole new one, never a
/// part: a new temporary file in the same directory (the same file system, so the rename is
/// atomic), written and synced, then renamed over `path`. On any failure the temporary file is
/// removed and `path` is untouched.
///
/// Only a regular file is written, or a new one made: a symbolic link at `path` is refused
/// rather than followed or replaced, and so are directories, devices (`/dev/null`, `/dev/full`),
/// FIFOs and sockets. An existing file keeps its permission bits (a 0600 report stays 0600).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let permissions = match fs::symlink_metadata(path) {
        Ok(meta) => {
            let kind = meta.file_type();
            let refuse = |what: &str| {
                Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{what}; --out writes only regular files"),
                ))
            };
            if kind.is_symlink() {
                return refuse("is a symbolic link, which is not followed");
            }
            if kind.is_dir() {
                return refuse("is a directory");
            }
            if !kind.is_file() {
                return refuse("is a device, FIFO or socket, not a regular file");
            }
            Some(meta.permissions())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (tmp, mut file) = create_temporary(dir, &name.to_string_lossy())?;
    let written = file
        .write_all(bytes)
        .and_then(|()| match &permissions {
            Some(p) => file.set_permissions(p.clone()),
            None => Ok(()),
        })
        .and_then(|()| file.sync_all());
    drop(file);
    let result = written.and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename durable too; not every platform can sync a directory, so best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new file `.NAME.PID.N.tmp` in `dir`, never an existing one (`create_new`).
fn create_temporary(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    let mut last = None;
    for n in 0..100 {
        let tmp = dir.join(format!(".{name}.{pid}.{n}.tmp"));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary file name is free")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{parse as parse_args, Command, Source};
    use std::ffi::OsString;

    fn defaults(kind: ReportKind) -> ReportArgs {
        ReportArgs {
            kind,
            source: MetricsArgs {
                source: Source::Demo,
                from: None,
                to: None,
                json: false,
                phase: 1,
                phase_start: None,
                redis_info: None,
                now: None,
            },
            date: None,
            name: DEFAULT_ROLLOUT_NAME.to_owned(),
            dashboard_url: None,
            approved_by: None,
            notes: None,
            out: None,
        }
    }

    fn check(args: &[&str], expected: Result<ReportArgs, &str>) {
        let got = parse_args(args.iter().map(OsString::from)).map_err(|e| e.to_string());
        assert_eq!(
            got,
            expected.map(Command::Report).map_err(str::to_owned),
            "{args:?}"
        );
    }

    #[test]
    fn report_argument_table() {
        check(&["email", "--demo"], Ok(defaults(ReportKind::Email)));
        check(
            &[
                "email",
                "--demo",
                "--date",
                "2025-10-17",
                "--name",
                "search-v2",
                "--dashboard-url",
                "https://example.org/",
                "--out",
                "status.md",
            ],
            Ok(ReportArgs {
                date: NaiveDate::from_ymd_opt(2025, 10, 17),
                name: "search-v2".into(),
                dashboard_url: Some("https://example.org/".into()),
                out: Some("status.md".into()),
                ..defaults(ReportKind::Email)
            }),
        );
        check(
            &[
                "signoff",
                "--demo",
                "--approved-by",
                "Jane",
                "--notes",
                "ok",
            ],
            Ok(ReportArgs {
                approved_by: Some("Jane".into()),
                notes: Some("ok".into()),
                ..defaults(ReportKind::Signoff)
            }),
        );
        check(
            &["email", "--demo", "--date", "17.10.2025"],
            Err("--date must be a date like 2025-10-17, not \"17.10.2025\" (see canary-report --help)"),
        );
        check(
            &["email", "--demo", "--json"],
            Err("--json is for metrics; email prints Markdown (see canary-report --help)"),
        );
        check(
            &["email", "--demo", "--approved-by", "x"],
            Err("--approved-by is for signoff, not email (see canary-report --help)"),
        );
        check(
            &["signoff", "--demo", "--date", "2025-10-17"],
            Err("--date is for email (the sign-off is dated by the phase), not signoff (see canary-report --help)"),
        );
        check(
            &["signoff", "--demo", "--from", "2025-10-16T18:35:00Z"],
            Err("signoff judges the whole phase: give --phase-start and --now, not --from/--to (see canary-report --help)"),
        );
        check(
            &["signoff", "--demo", "--redis-info", "info.txt"],
            Err("--redis-info is for metrics, check and email, not signoff (see canary-report --help)"),
        );
        check(
            &["email", "--demo", "--name", " "],
            Err("--name needs the rollout's name (see canary-report --help)"),
        );
        check(
            &["email", "--demo", "--out"],
            Err("--out needs a value (see canary-report --help)"),
        );
        check(
            &["metrics", "--demo", "--out", "x.md"],
            Err("--out is only for email and signoff (see canary-report --help)"),
        );
    }

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
