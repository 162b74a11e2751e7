//! The arguments as given: each flag's value converted to its type, in the order seen, with no
//! check of how the flags combine (that is [`super::checked`]'s job).

use canary_core::Micros;

/// A flag that answers on its own, whatever else is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Help,
    Version,
}

/// Everything the command line gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawArgs {
    /// `--help` or `--version`: parsing stops at it.
    pub special: Option<Special>,
    /// The first positional argument.
    pub command: Option<String>,
    pub demo: bool,
    pub input: Option<String>,
    pub supabase_url: Option<String>,
    /// `--exact`: read every row, never the rollups.
    pub exact: bool,
    pub from: Option<Micros>,
    pub to: Option<Micros>,
    pub json: bool,
    pub phase: Option<u8>,
    pub phase_start: Option<Micros>,
    pub redis_info: Option<String>,
    pub now: Option<Micros>,
    /// The report options (`email`, `signoff`) in the order given: the flag's name without
    /// `--`, and its value as typed.
    pub report: Vec<(&'static str, String)>,
}
