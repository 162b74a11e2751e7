//! The team records of a Supabase project (`sql/005_team_records.sql`): the rollout's shared
//! phases, its sign-offs, and recording one. The requests and answers are the core's sans-IO
//! `canary_core::supabase::records`; this module sends them over a [`Connection`].

use canary_core::metrics::Window;
use canary_core::supabase::records::{
    phases_request, read_phases, read_signoffs, read_submitted, signoffs_request,
    submit_signoff_request, RecordError,
};
use canary_core::supabase::Request;
use canary_core::team::{NewSignoff, PhaseSetting, SignoffRecord};

use super::supabase::{send, send_post, Answer, Connection};
use crate::error::CliError;

fn get(connection: &Connection, request: &Request) -> Result<Answer, CliError> {
    send(&connection.agent, &request.url, &request.headers).map_err(|e| {
        connection.fail(format!(
            "could not reach {} ({e}): check the project URL and the network connection",
            connection.url
        ))
    })
}

fn failed(connection: &Connection, error: &RecordError) -> CliError {
    connection.fail(error.to_string())
}

/// The phases the team set for `rollout`; `None` (with a note on stderr) when the project has
/// no team records, so the reports go on with the default phases as before.
pub fn phase_settings(
    connection: &Connection,
    rollout: &str,
) -> Result<Option<Vec<PhaseSetting>>, CliError> {
    let answer = get(connection, &phases_request(&connection.config, rollout))?;
    match read_phases(
        &connection.config,
        rollout,
        answer.status,
        answer.content_type(),
        &answer.body,
    ) {
        Ok(settings) => {
            if settings.is_empty() {
                eprintln!(
                    "canary-report: note: the rollout {rollout:?} has no shared phases in this project; using the default phases (an approver sets them up: README, \"Rollouts and sign-offs\")"
                );
            }
            Ok(Some(settings))
        }
        Err(e @ RecordError::MigrationMissing { .. }) => {
            eprintln!("canary-report: note: {e}; using the default phases");
            Ok(None)
        }
        Err(e) => Err(failed(connection, &e)),
    }
}

/// The sign-offs of `rollout`, oldest first, of `period` when given. `None` when the project
/// has no team records.
pub fn signoffs(
    connection: &Connection,
    rollout: &str,
    period: Option<Window>,
) -> Result<Option<Vec<SignoffRecord>>, CliError> {
    let answer = get(
        connection,
        &signoffs_request(&connection.config, rollout, period),
    )?;
    match read_signoffs(
        &connection.config,
        rollout,
        answer.status,
        answer.content_type(),
        &answer.body,
    ) {
        Ok(records) => Ok(Some(records)),
        Err(RecordError::MigrationMissing { .. }) => Ok(None),
        Err(e) => Err(failed(connection, &e)),
    }
}

/// Records a sign-off; the record as the database stored it (with who and when).
pub fn submit(connection: &Connection, signoff: &NewSignoff) -> Result<SignoffRecord, CliError> {
    let request = submit_signoff_request(&connection.config, signoff);
    // Sent once: a failure is reported, never retried, so a sign-off is not recorded twice.
    let answer = send_post(
        &connection.agent,
        &request.url,
        &request.headers,
        &request.body,
    )
    .map_err(|e| {
        connection.fail(format!(
            "no answer from {} ({e}): the sign-off may or may not be recorded; check with canary-report signoffs before submitting it again",
            connection.url
        ))
    })?;
    read_submitted(
        &connection.config,
        signoff,
        answer.status,
        answer.content_type(),
        &answer.body,
    )
    .map_err(|e| failed(connection, &e))
}
