//! The team's records in the page, when the data comes from a Supabase project that keeps them
//! (`sql/005_team_records.sql`): the rollout's shared phases, its sign-offs and the phase's
//! checklist ticks, read together when the project, the signed-in user, the rollout or the phase
//! changes (a page load included) and after each record this page makes; a refresh of the
//! events does not read them again. For the demo and files (or a project without the
//! migration) there are none, and the panels keep their drafts in this browser as before.

use std::sync::Arc;

use canary_core::phases::PhaseDefinition;
use canary_core::report::DEFAULT_ROLLOUT_NAME;
use canary_core::team::apply_phase_settings;
use leptos::prelude::*;

use crate::api::records::{submit_tick, team_records, TeamRecords};
use crate::data::Dataset;
use crate::effect::effect;

/// The team's records as the page holds them: made once for the page (the dashboard is made
/// again for every load of the data) and shared by the panels through the context.
#[derive(Clone, Copy)]
pub struct TeamState {
    /// The records, when the data is a Supabase project's that keeps them.
    pub records: RwSignal<Option<Arc<TeamRecords>>>,
    /// Why they could not be read, if they could not.
    pub error: RwSignal<Option<String>>,
    /// The rollout whose records are shown (the report form's rollout name).
    pub rollout: RwSignal<String>,
    /// Changed to read them again (after this page recorded something).
    reloads: RwSignal<u32>,
    /// The data shown: its project and the session's current token.
    dataset: StoredValue<Option<Arc<Dataset>>>,
    /// What the records shown were read for (project, user, rollout, phase, reload), so a
    /// new dashboard over the same project does not read them again.
    read_for: StoredValue<String>,
    /// Bumped by every read: an older read that answers late is dropped.
    generation: StoredValue<u64>,
    /// Ticks waiting to be recorded, sent one at a time in order: a note recorded as its field
    /// is left and the tick whose click left it must be recorded in that order.
    queue: StoredValue<Vec<(u8, String, bool, String)>>,
    sending: StoredValue<bool>,
}

impl TeamState {
    /// Makes the state and provides it to the page.
    pub fn provide() -> TeamState {
        let team = TeamState {
            records: RwSignal::new(None),
            error: RwSignal::new(None),
            rollout: RwSignal::new(DEFAULT_ROLLOUT_NAME.to_owned()),
            reloads: RwSignal::new(0),
            dataset: StoredValue::new(None),
            read_for: StoredValue::new(String::new()),
            generation: StoredValue::new(0),
            queue: StoredValue::new(Vec::new()),
            sending: StoredValue::new(false),
        };
        provide_context(team);
        team
    }

    /// Follows the dashboard's data and phase: reads the records when what they are read for
    /// changes.
    pub fn follow(self, dataset: Signal<Arc<Dataset>>, phase: Signal<u8>) {
        let team = self;
        effect(move || {
            let reloads = team.reloads.get();
            let rollout = team.rollout.get();
            let phase = phase.get();
            let data = dataset.get();
            let config = data.supabase_config();
            team.dataset.set_value(Some(data));
            let key = match &config {
                // The session by its token's issue and expiry times (a renewed token reads
                // the records once more).
                Some(Ok(c)) => format!(
                    "{}\u{0}{:?}\u{0}{rollout}\u{0}{phase}\u{0}{reloads}",
                    c.project_url(),
                    c.access_token()
                        .and_then(|t| t.claims())
                        .map(|claims| (claims.iat, claims.exp))
                ),
                _ => String::new(),
            };
            if team.read_for.with_value(|k| *k == key) && !key.is_empty() {
                return;
            }
            team.read_for.set_value(key);
            team.generation.update_value(|g| *g += 1);
            let this = team.generation.get_value();
            let config = match config {
                None => {
                    team.records.set(None);
                    team.error.set(None);
                    return;
                }
                Some(Err(e)) => {
                    team.error.set(Some(e));
                    return;
                }
                Some(Ok(config)) => config,
            };
            leptos::task::spawn_local(async move {
                let result = team_records(&config, &rollout, phase).await;
                if team.generation.get_value() != this {
                    return;
                }
                match result {
                    Ok(records) => {
                        team.records.set(records.map(Arc::new));
                        team.error.set(None);
                    }
                    // The records shown stay; the message says they may be old.
                    Err(e) => team.error.set(Some(format!(
                        "The team's sign-offs and checklist could not be read: {e}"
                    ))),
                }
            });
        });
    }

    /// The state the page provided.
    pub fn expect_context() -> TeamState {
        expect_context::<TeamState>()
    }

    /// Reads the records again.
    pub fn reload(self) {
        self.reloads.update(|n| *n += 1);
    }

    /// The configuration to write with now (the session's newest token), for Supabase data.
    pub fn config(self) -> Option<Result<canary_core::supabase::SupabaseConfig, String>> {
        self.dataset
            .with_value(|d| d.as_ref().and_then(|d| d.supabase_config()))
    }

    /// Records a tick (or untick) of a checklist item with its note as the signed-in member,
    /// after those asked for before it, then reads the records again; `on_error` hears why one
    /// was not recorded.
    pub fn tick(
        self,
        phase: u8,
        item: String,
        ticked: bool,
        note: String,
        on_error: Callback<Option<String>>,
    ) {
        self.queue
            .update_value(|q| q.push((phase, item, ticked, note)));
        if self.sending.get_value() {
            return;
        }
        self.sending.set_value(true);
        leptos::task::spawn_local(async move {
            while let Some((phase, item, ticked, note)) = self
                .queue
                .try_update_value(|q| (!q.is_empty()).then(|| q.remove(0)))
                .flatten()
            {
                let result = match self.config() {
                    Some(Ok(config)) => {
                        let rollout = self.rollout.get_untracked();
                        submit_tick(&config, &rollout, phase, &item, ticked, &note)
                            .await
                            .map(drop)
                    }
                    Some(Err(e)) => Err(e),
                    None => continue,
                };
                on_error.run(
                    result
                        .err()
                        .map(|e| format!("The tick was not recorded: {e}")),
                );
            }
            self.sending.set_value(false);
            self.reload();
        });
    }

    /// Whether the page shows the team's records (rather than this browser's drafts).
    pub fn shared(self) -> bool {
        self.records.with(Option::is_some)
    }

    /// Whether the signed-in reader may sign and tick.
    pub fn is_approver(self) -> bool {
        self.records
            .with(|r| r.as_ref().is_some_and(|r| r.is_approver()))
    }
}

/// The phases the page judges with: this browser's, with the team's shared settings over them
/// when there are any.
pub fn effective_phases(
    local: &[PhaseDefinition],
    records: Option<&TeamRecords>,
) -> Vec<PhaseDefinition> {
    let mut phases = local.to_vec();
    if let Some(records) = records {
        apply_phase_settings(&records.settings, &mut phases);
    }
    phases
}
