//! lexopt's arguments → the table's flags → [`RawArgs`] → the checked [`Command`].

use std::ffi::OsString;

use super::checked::{self, Command};
use super::defs;
use super::raw::RawArgs;
use crate::error::{usage, CliError};

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, CliError> {
    checked::check(parse_raw(args)?)
}

/// The raw arguments: every flag's update applied in order. Stops at `--help` or `--version`.
fn parse_raw(args: impl IntoIterator<Item = OsString>) -> Result<RawArgs, CliError> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut raw = RawArgs::default();
    while let Some(arg) = parser.next().map_err(|e| usage(e.to_string()))? {
        let flag = match &arg {
            Short(c) => defs::short(*c),
            Long(name) => defs::long(name),
            Value(v) if raw.command.is_none() => {
                raw.command = Some(v.to_string_lossy().into_owned());
                continue;
            }
            Value(_) => None,
        };
        let Some(flag) = flag else {
            return Err(usage(arg.unexpected().to_string()));
        };
        let value = match flag.value {
            Some(_) => Some(
                parser
                    .value()
                    .map_err(|_| usage(flag.missing_message()))?
                    .to_string_lossy()
                    .into_owned(),
            ),
            None => None,
        };
        (flag.update)(&mut raw, value)?;
        if raw.special.is_some() {
            break;
        }
    }
    Ok(raw)
}
