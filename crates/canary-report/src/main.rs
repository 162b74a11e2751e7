//! `canary-report`: Canary Console's numbers and reports on the command line, for people, cron
//! and CI. All computing happens in `canary-core`; this binary reads inputs, picks the window and
//! prints.

mod atomic_file;
mod clock;
mod error;
mod flags;
mod human;
mod reports;
mod sign_in;
mod source;
mod supabase_http;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use canary_core::alerts::{self, Status};
use canary_core::analysis::{analyse_window, assess_phase, Analysis};
use canary_core::metrics::{self, Window};
use canary_core::phases::{self, CriterionResult, PhaseAssessment};
use serde::Serialize;

use crate::error::{CliError, EXIT_ERROR};
use crate::flags::{Command, MetricsArgs};

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
    match flags::parse(std::env::args_os().skip(1))? {
        Command::Help => {
            print!("{}", flags::help());
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

/// Every computed result of one run: the window's analysis and the phase judged.
struct Run {
    analysis: Analysis,
    phase: Option<Arc<PhaseAssessment>>,
}

impl Run {
    /// The phase's criteria (none when it has not started).
    fn criteria(&self) -> &[CriterionResult] {
        self.phase.as_ref().map_or(&[], |p| &p.criteria)
    }
}

fn analyse(a: &MetricsArgs) -> Result<Run, CliError> {
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
    // The shell may read the clock; the core is told the time.
    let now = a.now.unwrap_or_else(clock::now);
    let rules = alerts::default_rules();
    let redis_info = match &a.redis_info {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| CliError::Input {
            path: path.clone(),
            message: e.to_string(),
        })?),
        None => None,
    };
    let analysis = analyse_window(&store, window, now, redis_info.as_deref(), &rules);
    if let (Some(path), Err(message)) = (&a.redis_info, &analysis.redis) {
        return Err(CliError::Input {
            path: path.clone(),
            message: message.clone(),
        });
    }

    // The chosen phase starts at --phase-start, or (None) at the first event.
    let mut phases = phases::default_phases();
    for p in phases.iter_mut().filter(|p| p.number == a.phase) {
        p.start = a.phase_start;
    }
    let phase = assess_phase(&store, &phases, a.phase, now, &rules);
    Ok(Run { analysis, phase })
}

/// `canary-report metrics --json`: one object with exactly the keys of docs/metrics.md#the-command-line.
#[derive(Serialize)]
struct MetricsJson<'a> {
    #[serde(flatten)]
    metrics: &'a metrics::Metrics,
    alerts: &'a [alerts::Alert],
    criteria: &'a [CriterionResult],
}

fn metrics_command(a: &MetricsArgs) -> Result<(), CliError> {
    let run = analyse(a)?;
    let analysis = &run.analysis;
    let mut out = std::io::stdout().lock();
    if a.json {
        let json = MetricsJson {
            metrics: &analysis.metrics,
            alerts: &analysis.evaluation.alerts,
            criteria: run.criteria(),
        };
        serde_json::to_writer_pretty(&mut out, &json).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        let text = human::metrics_report(&human::Report {
            source: &a.source.describe(),
            metrics: &analysis.metrics,
            evaluation: &analysis.evaluation,
            criteria: run.criteria(),
            phase: run.phase.as_ref().map(|p| (&p.definition, p.window)),
            cohorts: analysis.cohorts.as_deref(),
            redis: analysis.redis.as_ref().ok().and_then(Option::as_ref),
        });
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// `canary-report check`: one line, and the verdict as the exit status (0 On Track, 1 Issues
/// Detected, 2 Rollback Required) so cron and CI can alert on it.
fn check_command(a: &MetricsArgs) -> Result<u8, CliError> {
    let run = analyse(a)?;
    let status = run.analysis.evaluation.status_now;
    println!("{}", human::verdict_line(&run.analysis.evaluation));
    Ok(match status {
        Status::OnTrack => 0,
        Status::IssuesDetected => 1,
        Status::RollbackRequired => 2,
    })
}
