//! The command line, read the way ripgrep reads its own: lexopt yields the arguments
//! ([`parse`]), each one is looked up in the one table of flags ([`defs::FLAGS`]) whose entry
//! updates the raw arguments ([`raw::RawArgs`]: what was given, values converted, nothing
//! checked across flags), and [`checked`] turns those into a [`Command`] whose combination is
//! valid. The same table writes `--help` ([`help::help`]).

mod checked;
mod defs;
mod help;
mod parse;
mod raw;

pub use checked::{Command, MetricsArgs, ReportArgs, ReportKind, SignoffsArgs, Source};
pub use help::help;
pub use parse::parse;
