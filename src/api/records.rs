//! The team's records over `fetch` (`sql/005_team_records.sql`): the rollout's shared phases,
//! its sign-offs and the phase's checklist ticks, read together; a sign-off or a tick recorded.
//! The requests and the answers' conversion into the core's values are the core's
//! [`canary_core::supabase::records`]; this is the transport.

use canary_core::supabase::records::{
    checklist_request, phases_request, read_phases, read_signoffs, read_submitted, read_ticks,
    signoffs_request, submit_signoff_request, tick_request, RecordError, WriteRequest,
};
use canary_core::supabase::team::{membership_request, read_membership, Membership};
use canary_core::supabase::{Request, SupabaseConfig};
use canary_core::team::{NewSignoff, PhaseSetting, SignoffRecord, Tick};

use super::{send, Answer};

/// What the team recorded for a rollout, and who the reader is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TeamRecords {
    /// The reader's role in the team (`viewer`, `approver`), when the project said.
    pub role: Option<String>,
    /// The reader's email, when the project said.
    pub email: Option<String>,
    pub settings: Vec<PhaseSetting>,
    /// Oldest first.
    pub signoffs: Vec<SignoffRecord>,
    /// The latest tick of each checklist item of the phase.
    pub ticks: Vec<Tick>,
}

impl TeamRecords {
    /// Whether the reader may sign and tick.
    pub fn is_approver(&self) -> bool {
        self.role.as_deref() == Some("approver")
    }
}

fn content_type(answer: &Answer) -> Option<&str> {
    answer
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str())
}

fn unreachable(config: &SupabaseConfig, e: &str) -> String {
    format!(
        "could not reach {} ({e}): check the network connection",
        config.project_url()
    )
}

async fn get(config: &SupabaseConfig, request: &Request) -> Result<Answer, String> {
    send(request).await.map_err(|e| unreachable(config, &e))
}

/// Reads the team's records of `rollout` and the ticks of `phase`; `None` when the project has
/// no team records (the page keeps its own drafts then, as for files).
pub async fn team_records(
    config: &SupabaseConfig,
    rollout: &str,
    phase: u8,
) -> Result<Option<TeamRecords>, String> {
    let mut records = TeamRecords::default();
    let answer = get(config, &membership_request(config)).await?;
    match read_membership(config, answer.status, content_type(&answer), &answer.body) {
        Ok(Membership::Member { email, role }) => {
            records.email = email;
            records.role = Some(role);
        }
        Ok(Membership::Unknown) => {}
        Err(e) => return Err(e.to_string()),
    }
    let answer = get(config, &phases_request(config, rollout)).await?;
    records.settings = match read_phases(
        config,
        rollout,
        answer.status,
        content_type(&answer),
        &answer.body,
    ) {
        Ok(settings) => settings,
        Err(RecordError::MigrationMissing { .. }) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let answer = get(config, &signoffs_request(config, rollout, None)).await?;
    records.signoffs = read_signoffs(
        config,
        rollout,
        answer.status,
        content_type(&answer),
        &answer.body,
    )
    .map_err(|e| e.to_string())?;
    let answer = get(config, &checklist_request(config, rollout, phase)).await?;
    records.ticks = read_ticks(
        config,
        rollout,
        answer.status,
        content_type(&answer),
        &answer.body,
    )
    .map_err(|e| e.to_string())?;
    Ok(Some(records))
}

/// The sign-offs of `rollout` now (to tell whether someone signed while a form was open).
pub async fn signoffs(
    config: &SupabaseConfig,
    rollout: &str,
) -> Result<Vec<SignoffRecord>, String> {
    let answer = get(config, &signoffs_request(config, rollout, None)).await?;
    read_signoffs(
        config,
        rollout,
        answer.status,
        content_type(&answer),
        &answer.body,
    )
    .map_err(|e| e.to_string())
}

/// One POST, sent once (never retried: a record must not be made twice).
async fn post(request: &WriteRequest) -> Result<Answer, String> {
    let mut builder =
        gloo_net::http::Request::post(&request.url).cache(web_sys::RequestCache::NoStore);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let response = builder
        .body(request.body.as_str())
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let headers = response.headers().entries().collect();
    let body = response.binary().await.map_err(|e| e.to_string())?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Records a sign-off; the record as stored. On a failure nothing is known to be recorded
/// unless the message says so: the caller keeps the draft.
pub async fn submit_signoff(
    config: &SupabaseConfig,
    signoff: &NewSignoff,
) -> Result<SignoffRecord, String> {
    let answer = post(&submit_signoff_request(config, signoff))
        .await
        .map_err(|e| {
            format!(
                "{}; the draft is kept here: submit it again when the connection is back (check the history first: an answer that was lost may still have been recorded)",
                unreachable(config, &e)
            )
        })?;
    read_submitted(
        config,
        signoff,
        answer.status,
        content_type(&answer),
        &answer.body,
    )
    .map_err(|e| e.to_string())
}

/// Records a tick (or untick) with its note.
pub async fn submit_tick(
    config: &SupabaseConfig,
    rollout: &str,
    phase: u8,
    item: &str,
    ticked: bool,
    note: &str,
) -> Result<Tick, String> {
    let answer = post(&tick_request(config, rollout, phase, item, ticked, note))
        .await
        .map_err(|e| unreachable(config, &e))?;
    read_ticks(
        config,
        rollout,
        answer.status,
        content_type(&answer),
        &answer.body,
    )
    .map_err(|e| e.to_string())?
    .pop()
    .ok_or_else(|| "the tick was not recorded: no record came back".to_owned())
}
