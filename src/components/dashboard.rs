//! Every panel of one loaded data set, for the range and phase picked.

use std::sync::Arc;

use canary_core::alerts::{default_rules, Rule};
use canary_core::report::neutralise_invisible;
use canary_core::time::format_minute;
use leptos::prelude::*;

use super::show_if::ShowIf;

use super::alerts_timeline::AlertsTimeline;
use super::breaker_panel::BreakerPanel;
use super::cache_panel::CachePanel;
use super::canary_vs_control::CanaryVsControl;
use super::checklist::Checklist;
use super::endpoint_table::EndpointTable;
use super::error_breakdown::ErrorBreakdown;
use super::exact_read_note::{ExactReadNote, ReadRowsButton};
use super::health_panel::HealthPanel;
use super::latency_chart::LatencyChart;
use super::mem0_panel::Mem0Panel;
use super::phase_comparison::PhaseComparisonPanel;
use super::phase_panel::PhasePanel;
use super::rate_chart_panel::{self, RateChartPanel};
use super::redis_panel::RedisPanel;
use super::report_panel::ReportPanel;
use super::runbook::Runbook;
use super::status_banner::StatusBanner;
use super::success_metrics::SuccessMetrics;
use crate::clock;
use crate::data::Dataset;
use crate::state::ConsoleState;
use crate::team::{effective_phases, TeamState};
use canary_core::analysis::{analyse, assess_phase, Analysis, AnalysisInput};
use canary_core::rollup_analysis::{analyse_rollups, assess_phase_from_rollups};

/// The phase panel's words when the rollups read are not the phase's window.
const PHASE_NOT_READ: &str = "No criteria from this read: the rollups read cover the time range picked, not this phase so far. Pick “This phase” as the range to judge it from the rollups, or read every row.";

/// All panels for one data set.
#[component]
pub fn Dashboard(
    /// The loaded data set.
    #[prop(into)]
    dataset: Signal<Arc<Dataset>>,
) -> impl IntoView {
    let state = ConsoleState::expect_context();
    // The team's records, for Supabase data that has them; the phases judged are this
    // browser's with the team's shared settings over them.
    let team = TeamState::expect_context();
    team.follow(dataset, state.phase_number.into());
    let phases = Signal::derive(move || {
        state
            .phases
            .with(|local| team.records.with(|r| effective_phases(local, r.as_deref())))
    });
    // The one rule table of the page: the alerts, the phase's criteria, the charts' lines, the
    // panels' colours and the reports all come from it.
    let rules: Arc<[Rule]> = default_rules().into();
    // "Now" for criteria and Redis alerts: the moment the data was (re)loaded, so switching the
    // range does not move it (and the panels that depend only on it stay as they are).
    let loaded_at = Memo::new(move |_| {
        dataset.track();
        clock::now()
    });
    let input = Memo::new(move |_| {
        let d = dataset.get();
        AnalysisInput {
            range: state.range.get(),
            range_end: d.range_end,
            now: loaded_at.get(),
            phases: phases.get(),
            phase_number: state.phase_number.get(),
            redis_info: state.redis_info.get(),
        }
    });
    // One recomputation per change of data, range, phases or Redis text; panels read slices.
    // Its duration is kept (not reactive) and published on the dashboard's element for the
    // browser benchmark.
    let compute_ms = StoredValue::new(0.0f64);
    let analysis_rules = rules.clone();
    // A window of more rows than the page reads is drawn from its rollups; every panel reads
    // the same analysis either way. Fixed for this data set (a new read makes a new dashboard).
    let from_rollups = dataset.with_untracked(|d| d.rollups.is_some());
    let analysis: Memo<Arc<Analysis>> = Memo::new(move |_| {
        let started = clock::precise_ms();
        let d = dataset.get();
        let input = input.get();
        let result = Arc::new(match &d.rollups {
            Some(r) => {
                let redis = Some(input.redis_info.as_str()).filter(|t| !t.trim().is_empty());
                analyse_rollups(r, input.now, redis, &analysis_rules)
            }
            None => analyse(&d.store, &input, &analysis_rules),
        });
        compute_ms.set_value(clock::precise_ms() - started);
        result
    });
    let computations = StoredValue::new(0u64);
    let a = move || analysis.get();
    // A memo, so a range switch (which never changes the Redis alerts) does not re-run the
    // reports, which cover their own period.
    let redis_alerts =
        Memo::new(move |_| super::report_panel::redis_alerts(&analysis.get().evaluation.alerts));
    // The phase does not depend on the range: its own memo, recomputed when the data or the
    // phases change (and then as of that moment).
    let phase_rules = rules.clone();
    let phase = Memo::new(move |_| {
        let number = state.phase_number.get();
        let d = dataset.get();
        phases.with(|phases| match &d.rollups {
            // The rollups read are the phase's only when they cover it.
            Some(r) => {
                assess_phase_from_rollups(&analysis.get(), r.window, phases, number, clock::now())
            }
            None => assess_phase(&d.store, phases, number, clock::now(), &phase_rules),
        })
    });
    let timing = Memo::new(move |_| {
        analysis.track();
        computations.update_value(|n| *n += 1);
        (
            format!("{:.1}", compute_ms.get_value()),
            computations.get_value().to_string(),
        )
    });
    // When the first numbers appeared, in ms since navigation start (for the load benchmark).
    let first_numbers_ms = format!("{:.0}", clock::precise_ms());

    let window_text = move || match a().window {
        Some(w) => format!(
            "{} to {} · {} events",
            format_minute(w.from),
            format_minute(w.to),
            a().metrics.window.events
        ),
        None => "No time range: the data has no events and no phase start".to_owned(),
    };
    let notes = move || a().metrics.window.notes.clone();
    // One derived signal for the metrics the data panels show (cheaper than one per panel,
    // and the same reads: a derived signal re-reads the analysis whenever it is read).
    let metrics = Signal::derive(move || a().metrics.clone());

    view! {
        <div
            class="dashboard-timing"
            data-testid="dashboard-timing"
            data-first-numbers-ms=first_numbers_ms
            data-analysis-ms=move || timing.get().0
            data-analysis-count=move || timing.get().1
            hidden=true
        ></div>
        <StatusBanner analysis=analysis />
        <section class="window-info" data-testid="window-info">
            <p class="window">{window_text}</p>
            {from_rollups.then(|| view! {
                <p class="from-rollups status-warn" data-testid="from-rollups">
                    {format!(
                        "From the rollups: this window holds more than {} rows, more than the page reads one by one. Counts and rates are exact; percentiles marked ≈ are within the bound shown.",
                        state.exact_rows_limit.get_value()
                    )}
                    " "
                    <ReadRowsButton />
                </p>
            })}
            <ShowIf when=move || !notes().is_empty()>
                <details class="data-notes">
                    <summary>{move || format!("{} data-quality notes", notes().len())}</summary>
                    <ul>{move || notes().into_iter().map(|n| view! { <li>{neutralise_invisible(&n)}</li> }).collect_view()}</ul>
                </details>
            </ShowIf>
        </section>
        <div class="grid two">
            <PhasePanel
                phases=phases
                selected=state.phase_number
                assessment=phase
                now=Signal::derive(move || a().now)
                on_phases_change=Callback::new(move |p| state.phases.set(p))
                on_select=Callback::new(move |n| state.phase_number.set(n))
                unassessed=from_rollups.then_some(PHASE_NOT_READ)
            />
            <SuccessMetrics metrics=metrics />
        </div>
        <AlertsTimeline analysis=analysis />
        <LatencyChart analysis=analysis rules=rules.clone() />
        <div class="grid three">
            <RateChartPanel panel=&rate_chart_panel::ERROR_RATE analysis=analysis rules=rules.clone() />
            <RateChartPanel panel=&rate_chart_panel::CACHE_HIT_RATE analysis=analysis rules=rules.clone() />
            <RateChartPanel panel=&rate_chart_panel::MEM0_SUCCESS analysis=analysis rules=rules.clone() />
        </div>
        <div class="grid two">
            <EndpointTable metrics=metrics />
            <ErrorBreakdown metrics=metrics rules=rules.clone() />
        </div>
        <div class="grid three">
            <CachePanel metrics=metrics rules=rules.clone() />
            <Mem0Panel metrics=metrics rules=rules.clone() />
            <BreakerPanel analysis=analysis />
        </div>
        <div class="grid two">
            <CanaryVsControl analysis=analysis />
            {if from_rollups {
                view! {
                    <ExactReadNote
                        testid="phase-comparison"
                        heading="Against the previous phase"
                        why="The comparison with the previous phase needs that phase's numbers, which this read of the rollups does not cover."
                    />
                }
                    .into_any()
            } else {
                view! { <PhaseComparisonPanel assessment=phase phase=state.phase_number /> }.into_any()
            }}
        </div>
        <div class="grid two">
            {if from_rollups {
                view! {
                    <ExactReadNote
                        testid="checklist"
                        heading="Validation checklist"
                        why="The hourly checks judge each hour of the phase on its own rows; the rollups of this window do not give them."
                    />
                }
                    .into_any()
            } else {
                view! {
                    <Checklist
                        items=Signal::derive(move || phase.get().map(|p| p.checklist.clone()).unwrap_or_default())
                        phase=state.phase_number
                    />
                }
                    .into_any()
            }}
            <Runbook analysis=analysis assessment=phase />
        </div>
        <div class="grid two">
            <RedisPanel
                text=state.redis_info
                analysis=analysis
                on_text=Callback::new(move |t| state.redis_info.set(t))
            />
            <HealthPanel
                url=state.health_url
                on_url=Callback::new(move |u| state.health_url.set(u))
            />
        </div>
        {if from_rollups {
            view! {
                <ExactReadNote
                    testid="report-panel"
                    heading="Reports"
                    why="The sign-off and the daily status are written from the rows of their period; this window is shown from its rollups."
                />
            }
                .into_any()
        } else {
            view! {
                <ReportPanel
                    dataset=dataset
                    phases=phases
                    phase_number=state.phase_number
                    redis_alerts=redis_alerts
                    rules=rules
                />
            }
                .into_any()
        }}
    }
}
