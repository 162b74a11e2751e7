//! The team's records in the page, when the data comes from a Supabase project that keeps them
//! (`sql/005_team_records.sql`): the rollout's shared phases, its sign-offs and the phase's
//! checklist ticks, read together after each load of the data and after each record this page
//! makes. For the demo and files (or a project without the migration) there are none, and the
//! panels keep their drafts in this browser as before.

use std::sync::Arc;

use canary_core::phases::PhaseDefinition;
use canary_core::report::DEFAULT_ROLLOUT_NAME;
use canary_core::team::apply_phase_settings;
use leptos::prelude::*;

use crate::api::records::{submit_tick, team_records, TeamRecords};
use crate::data::Dataset;
use crate::effect::effect;

/// The team's records as the page holds them; shared by the panels through the context.
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
    dataset: Signal<Arc<Dataset>>,
}

impl TeamState {
    /// Makes the state, provides it to the panels, and reads the records whenever the data, the
    /// rollout or the phase changes.
    pub fn provide(dataset: Signal<Arc<Dataset>>, phase: Signal<u8>) -> TeamState {
        let team = TeamState {
            records: RwSignal::new(None),
            error: RwSignal::new(None),
            rollout: RwSignal::new(DEFAULT_ROLLOUT_NAME.to_owned()),
            reloads: RwSignal::new(0),
            dataset,
        };
        provide_context(team);
        // The newest read wins: an older one that answers late is dropped.
        let generation = StoredValue::new(0u64);
        effect(move || {
            team.reloads.track();
            let rollout = team.rollout.get();
            let phase = phase.get();
            let config = dataset.with(|d| d.supabase_config());
            generation.update_value(|g| *g += 1);
            let this = generation.get_value();
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
                if generation.get_value() != this {
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
        team
    }

    /// The state the dashboard provided.
    pub fn expect_context() -> TeamState {
        expect_context::<TeamState>()
    }

    /// Reads the records again.
    pub fn reload(self) {
        self.reloads.update(|n| *n += 1);
    }

    /// Records a tick (or untick) of a checklist item with its note as the signed-in member,
    /// then reads the records again; `on_error` hears why it was not recorded.
    pub fn tick(
        self,
        phase: u8,
        item: String,
        ticked: bool,
        note: String,
        on_error: Callback<Option<String>>,
    ) {
        let config = match self.dataset.with_untracked(|d| d.supabase_config()) {
            Some(Ok(config)) => config,
            Some(Err(e)) => return on_error.run(Some(e)),
            None => return,
        };
        let rollout = self.rollout.get_untracked();
        leptos::task::spawn_local(async move {
            let result = submit_tick(&config, &rollout, phase, &item, ticked, &note).await;
            on_error.run(
                result
                    .err()
                    .map(|e| format!("The tick was not recorded: {e}")),
            );
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
