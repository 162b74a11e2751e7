//! `canary-report`: Canary Console's numbers and reports on the command line, for people, cron
//! and CI, and the team's recorded sign-offs. All computing happens in `canary-core`; this binary reads inputs, picks the window and
//! prints.

mod atomic_file;
mod clock;
mod delivery;
mod error;
mod flags;
mod human;
mod net;
mod reports;
mod rollups;
mod sign_in;
mod signoffs;
mod source;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use canary_core::alerts::{self, Status, VerdictNow};
use canary_core::analysis::{analyse_window, assess_phase, Analysis};
use canary_core::cohort::CohortComparison;
use canary_core::cohort_rules::{CohortCall, CohortEvaluation};
use canary_core::metrics::{self, Window};
use canary_core::phases::{self, CriterionResult, PhaseAssessment};
use canary_core::Micros;
use serde::Serialize;

use crate::error::{CliError, EXIT_ERROR};
use crate::flags::{Command, MetricsArgs, Source};

/// Exit status of `check` when its window holds no event at all (an export with only its
/// header, a window beside the data): no verdict can be had, and cron must hear of it.
pub(crate) const EXIT_NO_DATA: u8 = 4;

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
        Command::Signoffs(a) => signoffs::run(&a).map(|()| 0),
        Command::Grafana(a) => {
            let title = canary_core::grafana::dashboard_title(&a.name);
            let json = canary_core::grafana::dashboard_json(&title, &alerts::default_rules());
            reports::write_output(a.out.as_deref(), json.as_bytes()).map(|()| 0)
        }
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

/// Where a run's window ends when `--to` is not given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DefaultEnd {
    /// Just after the last event: `metrics` reports on the whole input.
    DataEnd,
    /// Just after `--now` (default: now): `check` judges the present, so a row dated far ahead
    /// cannot move the verdict to that row's quiet minute. The embedded demo is a recorded day:
    /// without `--now` it is judged at its end, as its email is.
    Now,
}

/// What a run read: rows, or (a large Supabase window without `--exact`) the rollups.
enum Input {
    Rows(canary_core::EventStore),
    Rollups(canary_core::supabase::rollups::RollupWindow),
}

/// Reads the run's input: a Supabase window of more than `EXACT_ROWS_LIMIT` rows from the
/// rollups unless `--exact`, everything else row by row.
fn load_input(a: &MetricsArgs, end: DefaultEnd) -> Result<Input, CliError> {
    match &a.source {
        Source::Supabase {
            url,
            from,
            to,
            exact: false,
        } => {
            let to = match end {
                DefaultEnd::Now => Some(to.unwrap_or(run_now(a).saturating_add(1))),
                DefaultEnd::DataEnd => *to,
            };
            Ok(match net::supabase::load_auto(url, *from, to)? {
                net::supabase::Loaded::Rows(store) => Input::Rows(store),
                net::supabase::Loaded::Rollups(r) => Input::Rollups(r),
            })
        }
        source => Ok(Input::Rows(source::load(source)?)),
    }
}

fn analyse(
    a: &MetricsArgs,
    end: DefaultEnd,
    store: canary_core::EventStore,
) -> Result<Run, CliError> {
    let whole = Window::whole(&store);
    let now = run_now(a);
    let judge_now = end == DefaultEnd::Now && !(a.source == Source::Demo && a.now.is_none());
    let (from, to) = if judge_now {
        let to = a.to.unwrap_or(now.saturating_add(1));
        // Every event after the end: an empty stretch just before it (No Data), not an error.
        let from = a.from.or(whole.map(|w| w.from.min(to.saturating_sub(1))));
        (from, Some(to))
    } else {
        (
            a.from.or(whole.map(|w| w.from)),
            a.to.or(whole.map(|w| w.to)),
        )
    };
    let window = match (from, to) {
        (Some(from), Some(to)) => Some(Window::new(from, to).ok_or_else(|| {
            CliError::Usage("the window is empty: --to must be after --from".into())
        })?),
        // An empty input and no bounds: nothing to cover.
        _ => None,
    };
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

/// The time a run judges at: `--now`, else the clock (the shell may read the clock; the core is
/// told the time).
fn run_now(a: &MetricsArgs) -> Micros {
    a.now.unwrap_or_else(clock::now)
}

/// `canary-report metrics --json`: one object with exactly the keys of docs/metrics.md#the-command-line.
#[derive(Serialize)]
struct MetricsJson<'a> {
    #[serde(flatten)]
    metrics: &'a metrics::Metrics,
    alerts: &'a [alerts::Alert],
    criteria: &'a [CriterionResult],
    cohorts: CohortsJson<'a>,
}

/// The `cohorts` object: both cohorts over the whole window, and the cohort rules' call.
#[derive(Serialize)]
struct CohortsJson<'a> {
    /// Both cohorts' numbers and the latency test over the whole window (`null` without one).
    whole_window: Option<&'a CohortComparison>,
    /// The rule behind the call: the worst cohort rule firing at the window's end.
    deciding_rule: Option<&'a str>,
    #[serde(flatten)]
    rules: &'a CohortEvaluation,
}

fn metrics_command(a: &MetricsArgs) -> Result<(), CliError> {
    let store = match load_input(a, DefaultEnd::DataEnd)? {
        Input::Rows(store) => store,
        Input::Rollups(r) => return rollups::metrics_command(a, &r, run_now(a)),
    };
    let run = analyse(a, DefaultEnd::DataEnd, store)?;
    let analysis = &run.analysis;
    let mut out = std::io::stdout().lock();
    if a.json {
        let json = MetricsJson {
            metrics: &analysis.metrics,
            alerts: &analysis.evaluation.alerts,
            criteria: run.criteria(),
            cohorts: CohortsJson {
                whole_window: analysis.cohorts.as_deref(),
                deciding_rule: analysis
                    .cohort_rules
                    .deciding_alert()
                    .map(|a| a.rule.as_str()),
                rules: &analysis.cohort_rules,
            },
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
            cohort_rules: &analysis.cohort_rules,
            redis: analysis.redis.as_ref().ok().and_then(Option::as_ref),
        });
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// `canary-report check`: the verdict in one line (then the reason for each cohort rule
/// firing), and the verdict as the exit status (0 On Track, 1 Issues Detected, 2 Rollback
/// Required, 4 No Data: no events in the window, or none that a rule can judge at its end) so
/// cron and CI can alert on it. The verdict is the one at `--now`
/// (default: now): the window ends there unless `--to` is given.
fn check_command(a: &MetricsArgs) -> Result<u8, CliError> {
    let store = match load_input(a, DefaultEnd::Now)? {
        Input::Rows(store) => store,
        Input::Rollups(r) => return Ok(rollups::check_command(a, &r, run_now(a))),
    };
    let run = analyse(a, DefaultEnd::Now, store)?;
    let status = match run
        .analysis
        .evaluation
        .verdict_now(run.analysis.metrics.window.events)
    {
        VerdictNow::NoEvents => {
            println!("{}", human::no_data_line(&run.analysis.metrics));
            return Ok(EXIT_NO_DATA);
        }
        VerdictNow::TooFewAtEnd => {
            println!("{}", human::stale_line(&run.analysis.metrics));
            return Ok(EXIT_NO_DATA);
        }
        VerdictNow::Status(status) => status,
    };
    println!("{}", human::verdict_line(&run.analysis.evaluation));
    // Why: each cohort rule firing now, with the endpoints and error types behind it; and, once,
    // when the data has no cohort tags, that the absolute rules decided alone.
    let c = &run.analysis.cohort_rules;
    if c.call == CohortCall::NoCohortTags {
        println!("  {}", c.call.label());
    }
    for a in c.alerts.iter().filter(|a| a.alert.until.is_none()) {
        for line in human::explain_lines(a) {
            println!("  {line}");
        }
    }
    Ok(match status {
        Status::OnTrack => 0,
        Status::IssuesDetected => 1,
        Status::RollbackRequired => 2,
    })
}
