//! Why a run failed, in one line a user can act on, and the exit status that goes with it.

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
pub const EXIT_ERROR: u8 = 3;

/// A usage error, pointing to `--help`.
pub fn usage(message: impl Into<String>) -> CliError {
    CliError::Usage(format!("{} (see canary-report --help)", message.into()))
}
