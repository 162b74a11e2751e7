//! `canary-report`: Canary Console's numbers and reports on the command line, for people, cron
//! and CI. All computing happens in `canary-core`; this binary reads inputs, picks the window and
//! prints.

mod args;
mod human;
mod source;

use std::io::Write;
use std::process::ExitCode;

use canary_core::metrics::{self, Window};
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

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("canary-report: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), CliError> {
    match args::parse(std::env::args_os().skip(1))? {
        Command::Help => {
            print!("{}", args::HELP);
            Ok(())
        }
        Command::Version => {
            println!("canary-report {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Metrics(a) => metrics_command(&a),
    }
}

/// `canary-report metrics --json`: one object with exactly SPEC §6's keys.
#[derive(Serialize)]
struct MetricsJson<'a> {
    #[serde(flatten)]
    metrics: &'a metrics::Metrics,
    /// Filled by the alert engine; no rule is evaluated yet.
    alerts: [(); 0],
    /// Filled by the phase criteria; none is evaluated yet.
    criteria: [(); 0],
}

fn metrics_command(a: &MetricsArgs) -> Result<(), CliError> {
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
    let m = metrics::compute(&store, window);
    let mut out = std::io::stdout().lock();
    if a.json {
        let json = MetricsJson {
            metrics: &m,
            alerts: [],
            criteria: [],
        };
        serde_json::to_writer_pretty(&mut out, &json).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        out.write_all(human::metrics_report(&m, &a.source.describe()).as_bytes())?;
    }
    Ok(())
}
