//! Command-line parsing (SPEC §6).

use std::ffi::OsString;

use canary_core::time::parse_timestamp;
use canary_core::Micros;

use crate::CliError;

pub const HELP: &str = "\
canary-report: canary rollout metrics from observability_events

USAGE:
    canary-report metrics (--demo | --input FILE | --supabase-url URL) [--from T] [--to T] [OPTIONS] [--json]
    canary-report check   (--demo | --input FILE | --supabase-url URL) [--from T] [--to T] [OPTIONS]
    canary-report email   (--demo | --input FILE | --supabase-url URL) [OPTIONS] [REPORT OPTIONS]
    canary-report signoff (--demo | --input FILE | --supabase-url URL) [OPTIONS] [REPORT OPTIONS]

COMMANDS:
    metrics         the verdict, the alerts that fired, and every metric of the window
    check           one line with the verdict now; exit status 0 On Track,
                    1 Issues Detected, 2 Rollback Required, 4 No Data (no
                    event in the window) (for cron and CI)
    email           the daily status email (Markdown): status, the last 24 h's
                    metrics with targets, the alerts, next steps; the 24 h end
                    at the end of --date, at --now, or now (--demo: at the end
                    of its recorded day) unless --from/--to are given
    signoff         the phase sign-off (Markdown): the transition criteria
                    filled from the data, approval block and notes

SOURCES:
    --demo          the embedded demo data set (24 h of a Phase 1 canary at 10 %)
    --input FILE    a CSV export (psql \\copy ... with (format csv, header true), or
                    Supabase's CSV export) or a PostgREST JSON array
    --supabase-url URL
                    a Supabase project (https://<project-ref>.supabase.co): reads
                    observability_events over its REST API, only the rows of
                    --from..--to; the key comes from SUPABASE_ANON_KEY (the anon or
                    publishable key; service_role and sb_secret_ keys are refused),
                    plus SUPABASE_ACCESS_TOKEN (a signed-in user's JWT) where only
                    signed-in users may read; progress on stderr

OPTIONS:
    --from T        window start, RFC 3339 (e.g. 2025-10-16T18:35:00Z); default: first event
    --to T          window end (exclusive); default: just after the last event
    --phase N       evaluate the success criteria of phase N (1, 2 or 3; default 1)
    --phase-start T when that phase started; default: the first event of the
                    last stretch of events up to --now without a gap longer
                    than the phase (a stray far older row does not count)
    --now T         judge the criteria as of T (pending until the phase is over);
                    default: the current time
    --redis-info FILE
                    a file with the output of `redis-cli INFO`: memory share of
                    maxmemory and evictions are judged and alert like the rest
    --json          one JSON object (keys: latency, latency_by_endpoint, errors,
                    errors_by_type, cache, cache_by_prefix, cache_stampedes, mem0,
                    mem0_failures_by_type, circuit_breaker, alerts, criteria, window)

REPORT OPTIONS (email, signoff):
    --name NAME     the rollout's name (default: mem0-redis)
    --out FILE      write the report to FILE atomically (a temporary file in the
                    same directory, then renamed); only a regular file or a new
                    one: symbolic links, directories and devices are refused;
                    an existing file keeps its permissions; default: stdout
    --date D        email: the day it reports on, e.g. 2025-10-17 (the 24 h end
                    at the midnight after it); default: the day the period ends
    --dashboard-url URL
                    email: the link to the console (http or https)
    --approved-by NAME
                    signoff: the approver (ticks Technical Lead approval)
    --notes TEXT    signoff: the notes

    -h, --help      this text
    -V, --version   the version

Exit status: 0 on success; check: 0 On Track, 1 Issues Detected, 2 Rollback Required,
4 No Data; 3 on bad input or an output that cannot be written, with one line on stderr
that says what is wrong and where (nothing is written then).
";

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
    /// When that phase started; default: the first event's time.
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
    Report(crate::reports::ReportArgs),
}

fn usage(message: impl Into<String>) -> CliError {
    CliError::Usage(format!("{} (see canary-report --help)", message.into()))
}

fn time_value(parser: &mut lexopt::Parser, flag: &str) -> Result<Micros, CliError> {
    let value = parser
        .value()
        .map_err(|_| usage(format!("{flag} needs a time, e.g. 2025-10-16T18:35:00Z")))?;
    let text = value.to_string_lossy();
    parse_timestamp(&text).map_err(|e| usage(format!("{flag}: {e}")))
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, CliError> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut command: Option<String> = None;
    let mut demo = false;
    let mut input: Option<String> = None;
    let mut supabase_url: Option<String> = None;
    let mut from = None;
    let mut to = None;
    let mut json = false;
    let mut phase = 1u8;
    let mut phase_start = None;
    let mut redis_info = None;
    let mut now = None;
    let mut report_flags = Vec::new();
    while let Some(arg) = parser.next().map_err(|e| usage(e.to_string()))? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Long("demo") => demo = true,
            Long("input") => {
                let value = parser
                    .value()
                    .map_err(|_| usage("--input needs a file name"))?;
                input = Some(value.to_string_lossy().into_owned());
            }
            Long("supabase-url") => {
                let value = parser
                    .value()
                    .map_err(|_| usage("--supabase-url needs the project URL"))?;
                supabase_url = Some(value.to_string_lossy().into_owned());
            }
            Long("from") => from = Some(time_value(&mut parser, "--from")?),
            Long("to") => to = Some(time_value(&mut parser, "--to")?),
            Long("json") => json = true,
            Long("phase") => {
                let value = parser
                    .value()
                    .map_err(|_| usage("--phase needs 1, 2 or 3"))?;
                phase = match value.to_string_lossy().as_ref() {
                    "1" => 1,
                    "2" => 2,
                    "3" => 3,
                    other => {
                        return Err(usage(format!("--phase must be 1, 2 or 3, not {other:?}")))
                    }
                };
            }
            Long("phase-start") => phase_start = Some(time_value(&mut parser, "--phase-start")?),
            Long("now") => now = Some(time_value(&mut parser, "--now")?),
            Long("redis-info") => {
                let value = parser.value().map_err(|_| {
                    usage("--redis-info needs a file with the output of redis-cli INFO")
                })?;
                redis_info = Some(value.to_string_lossy().into_owned());
            }
            Long(flag) if crate::reports::FLAGS.contains(&flag) => {
                let flag = flag.to_owned();
                let value = parser
                    .value()
                    .map_err(|_| usage(format!("--{flag} needs a value")))?;
                report_flags.push((flag, value.to_string_lossy().into_owned()));
            }
            Value(v) if command.is_none() => command = Some(v.to_string_lossy().into_owned()),
            other => return Err(usage(other.unexpected().to_string())),
        }
    }
    match command.as_deref() {
        None => Err(usage("no command given; try: canary-report metrics --demo")),
        Some(name @ ("metrics" | "check" | "email" | "signoff")) => {
            let source = match (demo, input, supabase_url) {
                (true, None, None) => Source::Demo,
                (false, Some(path), None) => Source::File(path),
                (false, None, Some(url)) => Source::Supabase { url, from, to },
                (false, None, None) => {
                    return Err(usage(format!(
                        "{name} needs a source: --demo, --input FILE or --supabase-url URL"
                    )))
                }
                _ => return Err(usage("give one source: --demo, --input or --supabase-url")),
            };
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
                return crate::reports::parse(name, args, report_flags).map(Command::Report);
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
            "unknown command {other:?}; the commands are: metrics, check, email, signoff"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Err("unknown command \"report\"; the commands are: metrics, check, email, signoff (see canary-report --help)"),
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
