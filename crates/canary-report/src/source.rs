//! Loads the events of a run: the embedded demo data, an export file, or a Supabase project.

use canary_core::demo::{generate, DemoConfig};
use canary_core::read::{read_export, Format};
use canary_core::EventStore;

use crate::error::CliError;
use crate::flags::Source;

/// The events of `source`, or an error naming the file and what is wrong in it.
pub fn load(source: &Source) -> Result<EventStore, CliError> {
    match source {
        Source::Demo => Ok(generate(&DemoConfig::default())),
        Source::File(path) => {
            let input_error = |message: String| CliError::Input {
                path: path.clone(),
                message,
            };
            let bytes = std::fs::read(path).map_err(|e| input_error(e.to_string()))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                input_error(format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ))
            })?;
            read_export(&text, Format::detect(path, &text)).map_err(|e| input_error(e.to_string()))
        }
        Source::Supabase { url, from, to, .. } => crate::net::supabase::load(url, *from, *to),
    }
}
