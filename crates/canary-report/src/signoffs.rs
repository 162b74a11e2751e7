//! `canary-report signoffs`: the team's recorded sign-offs of a rollout, from a Supabase
//! project's append-only `canary_signoffs` (`sql/005_team_records.sql`): one line each for
//! people, or every record whole with `--json`. Each record's Markdown is checked against its
//! SHA-256 again here, and a mismatch fails the run.

use std::io::Write;

use canary_core::metrics::Window;
use canary_core::supabase::records::RECORDS_MIGRATION;
use canary_core::team::SignoffRecord;
use canary_core::Micros;

use crate::error::CliError;
use crate::flags::SignoffsArgs;
use crate::net;

/// 0001-01-01 and 9999-12-31, the ends of an open period.
const EARLIEST: Micros = -62_135_596_800_000_000;
const LATEST: Micros = 253_402_214_400_000_000;

pub fn run(a: &SignoffsArgs) -> Result<(), CliError> {
    let connection = net::supabase::connect(&a.url)?;
    net::supabase::membership(&connection.agent, &connection.config)
        .map_err(|e| connection.fail(e.to_string()))?;
    let period = match (a.from, a.to) {
        (None, None) => None,
        (from, to) => Some(
            Window::new(from.unwrap_or(EARLIEST), to.unwrap_or(LATEST)).ok_or_else(|| {
                CliError::Usage("the period is empty: --to must be after --from".into())
            })?,
        ),
    };
    let records = net::records::signoffs(&connection, &a.name, period)?.ok_or_else(|| {
        connection.fail(format!(
            "the project has no team records: run {RECORDS_MIGRATION} (Supabase: SQL Editor → paste the file → Run)"
        ))
    })?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &records).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        out.write_all(text(&a.name, &records).as_bytes())?;
    }
    out.flush()?;
    match records.iter().find(|r| !r.hash_matches()) {
        Some(r) => Err(connection.fail(format!(
            "sign-off {} has a Markdown that does not match its SHA-256: it was changed after it was recorded; treat it as void and ask the approver to sign again",
            r.id
        ))),
        None => Ok(()),
    }
}

/// One line per record, oldest first.
fn text(rollout: &str, records: &[SignoffRecord]) -> String {
    if records.is_empty() {
        return format!("No sign-offs recorded for the rollout {rollout:?}.\n");
    }
    let phases = canary_core::phases::default_phases();
    let mut out = format!(
        "Sign-offs of the rollout {rollout:?} ({} recorded, oldest first):\n",
        records.len()
    );
    for r in records {
        let mut line = format!("#{} {}", r.id, r.headline(&phases));
        if let Some(old) = r.supersedes {
            line.push_str(&format!("; corrects #{old}"));
        }
        if let Some(newer) = records.iter().find(|o| o.supersedes == Some(r.id)) {
            line.push_str(&format!("; corrected by #{}", newer.id));
        }
        line.push_str(if r.hash_matches() {
            "; SHA-256 matches its Markdown"
        } else {
            "; SHA-256 DOES NOT MATCH its Markdown"
        });
        out.push_str(&line);
        out.push('\n');
        if let Some(notes) = r.notes.as_deref().filter(|n| !n.trim().is_empty()) {
            let flat: String = notes
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            out.push_str(&format!("    notes: {flat}\n"));
        }
    }
    out
}
