//! The checked arguments: which command, its source, window, phase and time, and the report
//! options, each refused with a message that says why when the flags do not go together.

use std::path::PathBuf;

use canary_core::report::DEFAULT_ROLLOUT_NAME;
use canary_core::team::Decision;
use canary_core::Micros;
use chrono::NaiveDate;

use super::raw::{RawArgs, Special};
use crate::delivery::DeliveryArgs;
use crate::error::{usage, CliError};

/// Where the events come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Demo,
    File(String),
    /// A Supabase project URL and the window to read (`--from`/`--to`).
    Supabase {
        url: String,
        from: Option<Micros>,
        to: Option<Micros>,
        /// `--exact`: every row, never the rollups.
        exact: bool,
    },
}

impl Source {
    /// For report headers.
    pub fn describe(&self) -> String {
        match self {
            Source::Demo => "embedded demo data".to_owned(),
            Source::File(path) => path.clone(),
            Source::Supabase { url, .. } => format!("{url} (Supabase)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricsArgs {
    pub source: Source,
    pub from: Option<Micros>,
    pub to: Option<Micros>,
    pub json: bool,
    /// The phase whose success criteria are evaluated (1, 2 or 3).
    pub phase: u8,
    /// When that phase started; default: the first event of the last stretch of events up to
    /// `--now` without a gap longer than the phase (`phases::default_start`).
    pub phase_start: Option<Micros>,
    /// A `redis-cli INFO` text file to judge.
    pub redis_info: Option<String>,
    /// The time criteria are judged at (pending until the phase is over); default: the clock.
    pub now: Option<Micros>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Help,
    Version,
    Metrics(MetricsArgs),
    Check(MetricsArgs),
    Report(ReportArgs),
    Signoffs(SignoffsArgs),
    Grafana(GrafanaArgs),
}

/// The arguments of `signoffs`.
#[derive(Debug, Clone, PartialEq)]
pub struct SignoffsArgs {
    /// The Supabase project URL.
    pub url: String,
    /// The rollout.
    pub name: String,
    /// Only records signed in `[from, to)`.
    pub from: Option<Micros>,
    pub to: Option<Micros>,
    pub json: bool,
}

/// The arguments of `grafana`.
#[derive(Debug, Clone, PartialEq)]
pub struct GrafanaArgs {
    /// The rollout's name, in the dashboard's title.
    pub name: String,
    /// Where to write the dashboard; stdout without it.
    pub out: Option<PathBuf>,
}

/// Which report to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Email,
    Signoff,
}

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
    /// signoff: record it in the team's sign-offs, with this decision, correcting this record.
    pub submit: Option<Submit>,
    /// Where to write the report; stdout without it.
    pub out: Option<PathBuf>,
    /// email: sending it, posting it to chat, or showing what would be sent.
    pub delivery: Box<DeliveryArgs>,
}

/// `signoff --submit`: what is recorded besides the sign-off itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submit {
    pub decision: Decision,
    pub supersedes: Option<i64>,
}

/// Checks how the raw arguments combine and builds the command.
pub fn check(raw: RawArgs) -> Result<Command, CliError> {
    match raw.special {
        Some(Special::Help) => return Ok(Command::Help),
        Some(Special::Version) => return Ok(Command::Version),
        None => {}
    }
    let RawArgs {
        command,
        demo,
        input,
        supabase_url,
        exact,
        from,
        to,
        json,
        phase,
        phase_start,
        redis_info,
        now,
        report: report_flags,
        ..
    } = raw;
    let phase = phase.unwrap_or(1);
    match command.as_deref() {
        None => Err(usage("no command given; try: canary-report metrics --demo")),
        Some("grafana") => {
            if demo || input.is_some() || supabase_url.is_some() {
                return Err(usage(
                    "grafana reads no data: the dashboard queries the database itself",
                ));
            }
            let mut grafana = GrafanaArgs {
                name: DEFAULT_ROLLOUT_NAME.to_owned(),
                out: None,
            };
            for (flag, value) in report_flags {
                match flag {
                    "name" if value.trim().is_empty() => {
                        return Err(usage("--name needs the rollout's name"))
                    }
                    "name" => grafana.name = value,
                    "out" if value.is_empty() => return Err(usage("--out needs a file name")),
                    "out" => grafana.out = Some(PathBuf::from(value)),
                    other => return Err(usage(format!("--{other} is not an option of grafana"))),
                }
            }
            Ok(Command::Grafana(grafana))
        }
        Some("signoffs") => {
            let url = match (demo, input, supabase_url) {
                (false, None, Some(url)) => url,
                _ => {
                    return Err(usage(
                        "signoffs lists the team's records in a Supabase project: give --supabase-url URL (not --demo or --input)",
                    ))
                }
            };
            let mut a = SignoffsArgs {
                url,
                name: DEFAULT_ROLLOUT_NAME.to_owned(),
                from,
                to,
                json,
            };
            if phase_start.is_some() || redis_info.is_some() || now.is_some() {
                return Err(usage(
                    "signoffs takes --name, --from, --to and --json; --phase-start, --redis-info and --now are for the reports",
                ));
            }
            for (flag, value) in report_flags {
                match flag {
                    "name" if value.trim().is_empty() => {
                        return Err(usage("--name needs the rollout's name"))
                    }
                    "name" => a.name = value,
                    other => return Err(usage(format!("--{other} is not an option of signoffs"))),
                }
            }
            Ok(Command::Signoffs(a))
        }
        Some(name @ ("metrics" | "check" | "email" | "signoff")) => {
            let source = match (demo, input, supabase_url) {
                (true, None, None) => Source::Demo,
                (false, Some(path), None) => Source::File(path),
                (false, None, Some(url)) => Source::Supabase {
                    url,
                    from,
                    to,
                    exact,
                },
                (false, None, None) => {
                    return Err(usage(format!(
                        "{name} needs a source: --demo, --input FILE or --supabase-url URL"
                    )))
                }
                _ => return Err(usage("give one source: --demo, --input or --supabase-url")),
            };
            if exact && !matches!(source, Source::Supabase { .. }) {
                return Err(usage(
                    "--exact is only for --supabase-url: files and the demo are always read whole",
                ));
            }
            let args = MetricsArgs {
                source,
                from,
                to,
                json,
                phase,
                phase_start,
                redis_info,
                now,
            };
            if name == "email" || name == "signoff" {
                return report_args(name, args, report_flags).map(Command::Report);
            }
            if let Some((flag, _)) = report_flags.first() {
                return Err(usage(format!("--{flag} is only for email and signoff")));
            }
            Ok(if name == "check" {
                Command::Check(args)
            } else {
                Command::Metrics(args)
            })
        }
        Some(other) => Err(usage(format!(
            "unknown command {other:?}; the commands are: metrics, check, email, signoff, signoffs, grafana"
        ))),
    }
}

/// The arguments of report command `command` from the common options and the report options
/// `flags` (`(name without --, value)` pairs, as given).
fn report_args(
    command: &str,
    source: MetricsArgs,
    flags: Vec<(&'static str, String)>,
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
        submit: None,
        out: None,
        delivery: Box::default(),
    };
    let mut submit = false;
    let mut decision = None;
    let mut supersedes = None;
    for (flag, value) in flags {
        if a.delivery.take(flag, value.clone())? {
            if kind != ReportKind::Email {
                return Err(usage(format!("--{flag} is for email, not {command}")));
            }
            continue;
        }
        // Options that the other report would use are refused rather than silently ignored.
        let only = |wanted: ReportKind, what: &str| {
            if kind == wanted {
                Ok(())
            } else {
                Err(usage(format!("--{flag} is for {what}, not {command}")))
            }
        };
        match flag {
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
            "submit" => {
                only(ReportKind::Signoff, "signoff")?;
                submit = true;
            }
            "decision" => {
                only(ReportKind::Signoff, "signoff --submit")?;
                decision = Some(Decision::parse(&value).ok_or_else(|| {
                    usage(format!(
                        "--decision must be approve, hold or rollback, not {value:?}"
                    ))
                })?);
            }
            "supersedes" => {
                only(ReportKind::Signoff, "signoff --submit")?;
                supersedes = Some(value.trim().parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(
                    || {
                        usage(format!(
                            "--supersedes needs the id of a recorded sign-off (a positive number), not {value:?}"
                        ))
                    },
                )?);
            }
            other => return Err(usage(format!("--{other} is not a report option"))),
        }
    }
    match (submit, decision) {
        (true, Some(decision)) => {
            if !matches!(a.source.source, Source::Supabase { .. }) {
                return Err(usage(
                    "--submit records the sign-off in a Supabase project: give --supabase-url URL",
                ));
            }
            if a.approved_by.is_some() {
                return Err(usage(
                    "--submit records the signed-in approver: leave out --approved-by (it is for a sign-off that is not recorded)",
                ));
            }
            a.submit = Some(Submit {
                decision,
                supersedes,
            });
        }
        (true, None) => return Err(usage("--submit needs --decision approve, hold or rollback")),
        (false, _) if decision.is_some() || supersedes.is_some() => {
            return Err(usage("--decision and --supersedes go with --submit"))
        }
        (false, _) => {}
    }
    a.delivery.check()?;
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

#[cfg(test)]
mod argument_tests {
    use super::*;
    use crate::flags::parse;
    use std::ffi::OsString;

    fn defaults(source: Source) -> MetricsArgs {
        MetricsArgs {
            source,
            from: None,
            to: None,
            json: false,
            phase: 1,
            phase_start: None,
            redis_info: None,
            now: None,
        }
    }

    fn check(args: &[&str], expected: Result<Command, &str>) {
        let got = parse(args.iter().map(OsString::from)).map_err(|e| e.to_string());
        assert_eq!(got, expected.map_err(str::to_owned), "{args:?}");
    }

    #[test]
    fn argument_table() {
        check(&["--help"], Ok(Command::Help));
        check(
            &["metrics", "--demo", "--json"],
            Ok(Command::Metrics(MetricsArgs {
                json: true,
                ..defaults(Source::Demo)
            })),
        );
        check(
            &[
                "metrics",
                "--input",
                "x.csv",
                "--from",
                "2025-10-16T18:35:00Z",
            ],
            Ok(Command::Metrics(MetricsArgs {
                from: Some(1_760_639_700_000_000),
                ..defaults(Source::File("x.csv".into()))
            })),
        );
        check(
            &[],
            Err("no command given; try: canary-report metrics --demo (see canary-report --help)"),
        );
        check(
            &["metrics"],
            Err("metrics needs a source: --demo, --input FILE or --supabase-url URL (see canary-report --help)"),
        );
        check(
            &["metrics", "--demo", "--input", "a"],
            Err("give one source: --demo, --input or --supabase-url (see canary-report --help)"),
        );
        check(
            &["metrics", "--demo", "--from", "noon"],
            Err("--from: expected a timestamp like 2025-10-16 18:35:00.175522+00 or 2025-10-16T18:35:00Z, got \"noon\" (see canary-report --help)"),
        );
        check(
            &["report", "--demo"],
            Err("unknown command \"report\"; the commands are: metrics, check, email, signoff, signoffs, grafana (see canary-report --help)"),
        );
        check(
            &[
                "check",
                "--demo",
                "--phase",
                "2",
                "--redis-info",
                "info.txt",
                "--now",
                "2025-10-18T00:00:00Z",
            ],
            Ok(Command::Check(MetricsArgs {
                phase: 2,
                redis_info: Some("info.txt".into()),
                now: Some(1_760_745_600_000_000),
                ..defaults(Source::Demo)
            })),
        );
        check(
            &[
                "check",
                "--supabase-url",
                "https://abc.supabase.co",
                "--to",
                "2025-10-18T00:00:00Z",
            ],
            Ok(Command::Check(MetricsArgs {
                to: Some(1_760_745_600_000_000),
                ..defaults(Source::Supabase {
                    url: "https://abc.supabase.co".into(),
                    from: None,
                    to: Some(1_760_745_600_000_000),
                    exact: false,
                })
            })),
        );
        check(
            &[
                "metrics",
                "--input",
                "a.csv",
                "--supabase-url",
                "https://abc.supabase.co",
            ],
            Err("give one source: --demo, --input or --supabase-url (see canary-report --help)"),
        );
        check(
            &["metrics", "--demo", "--phase", "4"],
            Err("--phase must be 1, 2 or 3, not \"4\" (see canary-report --help)"),
        );
        check(
            &["metrics", "--demo", "--colour"],
            Err("invalid option '--colour' (see canary-report --help)"),
        );
    }
}

#[cfg(test)]
mod report_argument_tests {
    use super::*;
    use crate::flags::parse;
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
            submit: None,
            out: None,
            delivery: Box::default(),
        }
    }

    fn check(args: &[&str], expected: Result<ReportArgs, &str>) {
        let got = parse(args.iter().map(OsString::from)).map_err(|e| e.to_string());
        assert_eq!(
            got,
            expected.map(Command::Report).map_err(str::to_owned),
            "{args:?}"
        );
    }

    #[test]
    fn submit_and_signoffs_arguments() {
        let url = "https://abc.supabase.co";
        let supabase = Source::Supabase {
            url: url.into(),
            from: None,
            to: None,
            exact: false,
        };
        check(
            &[
                "signoff",
                "--supabase-url",
                url,
                "--submit",
                "--decision",
                "hold",
                "--supersedes",
                "12",
            ],
            Ok(ReportArgs {
                source: MetricsArgs {
                    source: supabase.clone(),
                    ..defaults(ReportKind::Signoff).source
                },
                submit: Some(Submit {
                    decision: Decision::Hold,
                    supersedes: Some(12),
                }),
                ..defaults(ReportKind::Signoff)
            }),
        );
        for (args, message) in [
            (
                &["signoff", "--demo", "--submit", "--decision", "approve"][..],
                "--submit records the sign-off in a Supabase project",
            ),
            (
                &["signoff", "--supabase-url", url, "--submit"][..],
                "--submit needs --decision",
            ),
            (
                &["signoff", "--supabase-url", url, "--decision", "approve"][..],
                "--decision and --supersedes go with --submit",
            ),
            (
                &[
                    "signoff",
                    "--supabase-url",
                    url,
                    "--submit",
                    "--decision",
                    "yes",
                ][..],
                "--decision must be approve, hold or rollback, not \"yes\"",
            ),
            (
                &[
                    "signoff",
                    "--supabase-url",
                    url,
                    "--submit",
                    "--decision",
                    "hold",
                    "--supersedes",
                    "-1",
                ][..],
                "--supersedes needs the id of a recorded sign-off",
            ),
            (
                &[
                    "signoff",
                    "--supabase-url",
                    url,
                    "--submit",
                    "--decision",
                    "hold",
                    "--approved-by",
                    "x",
                ][..],
                "--submit records the signed-in approver",
            ),
            (
                &["email", "--demo", "--submit"][..],
                "--submit is for signoff, not email",
            ),
        ] {
            let got = parse(args.iter().map(OsString::from)).map_err(|e| e.to_string());
            assert!(
                got.as_ref().is_err_and(|e| e.starts_with(message)),
                "{args:?}: {got:?}"
            );
        }
        let got = parse(
            [
                "signoffs",
                "--supabase-url",
                url,
                "--name",
                "r",
                "--json",
                "--from",
                "2025-10-16T00:00:00Z",
            ]
            .iter()
            .map(OsString::from),
        );
        assert_eq!(
            got.map_err(|e| e.to_string()),
            Ok(Command::Signoffs(SignoffsArgs {
                url: url.into(),
                name: "r".into(),
                from: Some(1_760_572_800_000_000),
                to: None,
                json: true,
            }))
        );
        for (args, message) in [
            (
                &["signoffs", "--demo"][..],
                "signoffs lists the team's records in a Supabase project",
            ),
            (
                &["signoffs", "--supabase-url", url, "--out", "x"][..],
                "--out is not an option of signoffs",
            ),
            (
                &[
                    "signoffs",
                    "--supabase-url",
                    url,
                    "--phase-start",
                    "2025-10-16T00:00:00Z",
                ][..],
                "signoffs takes --name",
            ),
        ] {
            let got = parse(args.iter().map(OsString::from)).map_err(|e| e.to_string());
            assert!(
                got.as_ref().is_err_and(|e| e.starts_with(message)),
                "{args:?}: {got:?}"
            );
        }
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
        let mut send = DeliveryArgs::default();
        for (flag, value) in [
            ("send", ""),
            ("mail-to", "a@example.org"),
            ("mail-to", "b@example.org"),
            ("mail-from", "c@example.org"),
            ("smtp-url", "smtp://bot@smtp.example.org"),
        ] {
            assert!(send.take(flag, value.to_owned()).unwrap());
        }
        check(
            &[
                "email",
                "--demo",
                "--send",
                "--mail-to",
                "a@example.org",
                "--mail-to",
                "b@example.org",
                "--mail-from",
                "c@example.org",
                "--smtp-url",
                "smtp://bot@smtp.example.org",
                "--from",
                "2025-10-16T18:35:00Z",
            ],
            Ok(ReportArgs {
                delivery: Box::new(send),
                source: MetricsArgs {
                    from: Some(1_760_639_700_000_000),
                    ..defaults(ReportKind::Email).source
                },
                ..defaults(ReportKind::Email)
            }),
        );
        check(
            &[
                "signoff",
                "--demo",
                "--webhook",
                "https://hooks.slack.com/x",
            ],
            Err("--webhook is for email, not signoff (see canary-report --help)"),
        );
        check(
            &["email", "--demo", "--send", "--mail-to", "a@example.org"],
            Err("--send needs the sender: --mail-from ADDRESS (see canary-report --help)"),
        );
    }

    #[test]
    fn grafana_arguments() {
        let got = |args: &[&str]| parse(args.iter().map(OsString::from)).map_err(|e| e.to_string());
        assert_eq!(
            got(&["grafana", "--name", "search-v2", "--out", "d.json"]),
            Ok(Command::Grafana(GrafanaArgs {
                name: "search-v2".into(),
                out: Some("d.json".into()),
            }))
        );
        assert_eq!(
            got(&["grafana", "--demo"]),
            Err("grafana reads no data: the dashboard queries the database itself (see canary-report --help)".into())
        );
        assert_eq!(
            got(&["grafana", "--date", "2025-10-17"]),
            Err("--date is not an option of grafana (see canary-report --help)".into())
        );
    }
}
