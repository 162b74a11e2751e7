//! `canary-report`: Canary Console's numbers and reports on the command line, for people, cron
//! and CI. All computing happens in `canary-core`; this binary reads inputs, picks the window and
//! prints.

mod args;
mod human;
mod reports;
mod source;
mod supabase_http;

use std::io::Write;
use std::process::ExitCode;

use canary_core::alerts::{self, Evaluation, Status};
use canary_core::cohort::{self, CohortComparison};
use canary_core::metrics::{self, Window};
use canary_core::phases::{self, CriterionResult, PhaseDefinition};
use canary_core::redis::{self, RedisHealth};
use canary_core::time::to_datetime;
use canary_core::Micros;
use serde::Serialize;

use crate::args::{Command, MetricsArgs};

/// Why a run failed: one line for the user.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// Exit status of a run that could not do its job (bad input, unwritable output). `check` uses
/// 0, 1 and 2 for its verdicts, so errors start at 3 for every command.
const EXIT_ERROR: u8 = 3;

/// Exit status of `check` when its window holds no event at all (an export with only its
/// header, a window beside the data): no verdict can be had, and cron must hear of it.
const EXIT_NO_DATA: u8 = 4;

fn main() -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("canary-report: error: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run() -> Result<u8, CliError> {
    match args::parse(std::env::args_os().skip(1))? {
        Command::Help => {
            print!("{}", args::HELP);
            Ok(0)
        }
        Command::Version => {
            println!("canary-report {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        Command::Metrics(a) => metrics_command(&a).map(|()| 0),
        Command::Check(a) => check_command(&a),
        Command::Report(a) => reports::run(&a).map(|()| 0),
    }
}

/// Every computed result of one run.
struct Analysis {
    metrics: metrics::Metrics,
    evaluation: Evaluation,
    criteria: Vec<CriterionResult>,
    /// The phase judged, and the window its criteria cover.
    phase: Option<(PhaseDefinition, Window)>,
    cohorts: Option<CohortComparison>,
    redis: Option<RedisHealth>,
}

fn analyse(a: &MetricsArgs) -> Result<Analysis, CliError> {
    let store = source::load(&a.source)?;
    let whole = Window::whole(&store);
    let from = a.from.or(whole.map(|w| w.from));
    let to = a.to.or(whole.map(|w| w.to));
    let window = match (from, to) {
        (Some(from), Some(to)) => Some(Window::new(from, to).ok_or_else(|| {
            CliError::Usage("the window is empty: --to must be after --from".into())
        })?),
        // An empty input and no bounds: nothing to cover.
        _ => None,
    };
    let now = run_now(a);
    let rules = alerts::default_rules();
    let mut evaluation = alerts::evaluate(&store, window, &rules);

    let redis = match &a.redis_info {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::Input {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let info = redis::parse_info(&text).map_err(|e| CliError::Input {
                path: path.clone(),
                message: e.to_string(),
            })?;
            evaluation.add_alerts(redis::alerts(&info, to_datetime(now)));
            Some(redis::assess(&info))
        }
        None => None,
    };

    // The chosen phase starts at --phase-start, or (None) at the first event.
    let mut phases = phases::default_phases();
    for p in phases.iter_mut().filter(|p| p.number == a.phase) {
        p.start = a.phase_start;
    }
    let assessment = phases::assess(&store, &phases, a.phase, now, &rules);
    Ok(Analysis {
        metrics: metrics::compute(&store, window),
        evaluation,
        criteria: assessment
            .as_ref()
            .map(|p| p.criteria.clone())
            .unwrap_or_default(),
        phase: assessment.map(|p| (p.definition, p.window)),
        cohorts: window.map(|w| cohort::compare(&store, w)),
        redis,
    })
}

/// The time a run judges at: `--now`, else the clock (the shell may read the clock; the core is
/// told the time).
fn run_now(a: &MetricsArgs) -> Micros {
    a.now.unwrap_or_else(clock_now)
}

/// The system clock in microseconds since the epoch.
fn clock_now() -> Micros {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as Micros)
}

/// `canary-report metrics --json`: one object with exactly SPEC §6's keys.
#[derive(Serialize)]
struct MetricsJson<'a> {
    #[serde(flatten)]
    metrics: &'a metrics::Metrics,
    alerts: &'a [alerts::Alert],
    criteria: &'a [CriterionResult],
}

fn metrics_command(a: &MetricsArgs) -> Result<(), CliError> {
    let analysis = analyse(a)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let json = MetricsJson {
            metrics: &analysis.metrics,
            alerts: &analysis.evaluation.alerts,
            criteria: &analysis.criteria,
        };
        serde_json::to_writer_pretty(&mut out, &json).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        let text = human::metrics_report(&human::Report {
            source: &a.source.describe(),
            metrics: &analysis.metrics,
            evaluation: &analysis.evaluation,
            criteria: &analysis.criteria,
            phase: analysis.phase.as_ref(),
            cohorts: analysis.cohorts.as_ref(),
            redis: analysis.redis.as_ref(),
        });
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// `canary-report check`: one line, and the verdict as the exit status (0 On Track, 1 Issues
/// Detected, 2 Rollback Required, 4 No Data) so cron and CI can alert on it.
fn check_command(a: &MetricsArgs) -> Result<u8, CliError> {
    let analysis = analyse(a)?;
    if analysis.metrics.window.events == 0 {
        println!("{}", human::no_data_line(&analysis.metrics));
        return Ok(EXIT_NO_DATA);
    }
    let status = analysis.evaluation.status_now;
    println!("{}", human::verdict_line(&analysis.evaluation));
    Ok(match status {
        Status::OnTrack => 0,
        Status::IssuesDetected => 1,
        Status::RollbackRequired => 2,
    })
}
