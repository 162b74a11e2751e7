//! The reports' values from the database's rollups (docs/metrics.md#rollups-and-the-latency-histogram),
//! for a rollout whose rows are too many to read: the same [`ReportData`] as
//! [`ReportData::compute`] gives from the rows, with counts and rates exact, percentiles from
//! the latency histograms within their bound, and an [`Approximation`] that the email and the
//! sign-off show at their top.
//!
//! What cannot be decided within the bound is said to be uncertain, never decided either way:
//! an alert that fires for some values within the percentiles' bound and not for others
//! ([`crate::rollup::RollupEvaluation::uncertain`]); a value criterion whose bound straddles
//! its target ([`crate::phases::judge_value`]); "no alerts" criteria that only uncertain alerts
//! break. The cohort rules run on the rollups' per-cohort minutes
//! ([`crate::report_cohorts`]): exact counts and Fisher's test, latency ratios within their
//! band and a rank test on binned latencies, so their latency alerts may be uncertain too.

use crate::alerts::{self, Alert, Evaluation, Rule};
use crate::cohort_rules::{self, CohortRules};
use crate::event::Micros;
use crate::metrics::{self, Metrics, Window};
use crate::phases::{
    self, CriterionResult, CriterionStatus, Measured, PhaseAssessment, PhaseDefinition,
    CANARY_NOT_WORSE,
};
use crate::report::{Approximation, ReportData};
use crate::report_cohorts::{evaluate_cohorts_from_rollups, RollupCohorts};
use crate::rollup::{evaluate_from_rollups, metrics_from_rollups, RollupEvaluation, RollupRow};
use crate::store::EventStore;
use crate::supabase::rollups::RollupWindow;

/// The rollups a report reads, each over whole minutes.
#[derive(Clone, Copy, Debug, Default)]
pub struct RollupInputs<'a> {
    /// The email's period (`None` for the sign-off, which has none).
    pub period: Option<&'a RollupWindow>,
    /// The phase so far: `[start, min(now, end))`.
    pub phase: Option<&'a RollupWindow>,
    /// The span just before the phase, as long as the phase before it: the baseline of the
    /// "vs Phase N" criteria.
    pub previous: Option<&'a RollupWindow>,
    /// The events the report covers (the count that chose the rollups) and the most the exact
    /// read takes, for the reports' notice.
    pub rows: u64,
    pub exact_rows_limit: u64,
}

/// Metrics and alerts of one rollup window.
fn of_window(r: &RollupWindow, rules: &[Rule]) -> (Metrics, RollupEvaluation) {
    (
        metrics_from_rollups(&r.totals, &r.exact, r.window),
        evaluate_from_rollups(&r.minutes, &r.exact, r.window, rules),
    )
}

/// Metrics and an evaluation of no data at all.
fn nothing(rules: &[Rule]) -> (Metrics, RollupEvaluation) {
    let empty = EventStore::new();
    (
        metrics::compute(&empty, None),
        RollupEvaluation {
            evaluation: alerts::evaluate(&empty, None, rules),
            uncertain: Vec::new(),
        },
    )
}

/// The metrics of `window` from per-minute rows (`at` the end of the minute `(at − 1 min, at]`,
/// so an event on the window's very first microsecond counts in the minute before it): what an
/// hour's check of the checklist reads.
pub fn metrics_of_minutes(r: &RollupWindow, window: Window) -> Metrics {
    let rows: Vec<RollupRow> = r
        .minutes
        .iter()
        .filter(|row| row.at > window.from && row.at <= window.to)
        .cloned()
        .collect();
    metrics_from_rollups(&rows, &r.exact, window)
}

/// Marks the "no alerts" criteria that hold on the certain alerts but not on every value within
/// the bound: an uncertain alert of their level was active in the phase so far.
pub fn mark_uncertain_alert_criteria(
    def: &PhaseDefinition,
    criteria: &mut [CriterionResult],
    uncertain: &[Alert],
    seen: Window,
) {
    for c in criteria.iter_mut() {
        let Some(phases::Rule::NoAlerts { min_level }) =
            def.criteria.iter().find(|d| d.id == c.id).map(|d| d.rule)
        else {
            continue;
        };
        if c.status == CriterionStatus::Fail {
            continue;
        }
        let active: Vec<&Alert> = uncertain
            .iter()
            .filter(|a| a.level >= min_level)
            .filter(|a| {
                let since = crate::time::from_datetime(a.since);
                let until = a.until.map(crate::time::from_datetime);
                since < seen.to && until.is_none_or(|u| u > seen.from)
            })
            .collect();
        if active.is_empty() {
            continue;
        }
        let mut names: Vec<&str> = Vec::new();
        for a in &active {
            if !names.contains(&a.metric.as_str()) {
                names.push(a.metric.as_str());
            }
        }
        let noun = if active.len() == 1 { "alert" } else { "alerts" };
        c.measured = Measured {
            value: None,
            display: format!(
                "none certain; {} uncertain {noun}: {}",
                active.len(),
                names.join(", ")
            ),
        };
        c.status = CriterionStatus::Pending;
        c.on_track = None;
        c.uncertain = true;
    }
}

/// The band of `current / previous` when each is known within `e` (positive values only).
fn ratio_band(current: f64, previous: f64, e: f64) -> Option<(f64, f64)> {
    let (c_lo, c_hi) = crate::histogram::error_band(current, e);
    let (p_lo, p_hi) = crate::histogram::error_band(previous, e);
    (c_lo > 0.0 && p_lo > 0.0).then(|| (c_lo / p_hi, c_hi / p_lo))
}

/// Marks the "latency vs the previous phase" criteria whose ratio's band (both percentiles
/// within `e`) straddles the rule's largest ratio, and says on every one that its percentiles
/// are estimates.
pub fn mark_uncertain_ratio_criteria(
    def: &PhaseDefinition,
    criteria: &mut [CriterionResult],
    current: &Metrics,
    previous: Option<&Metrics>,
    e: f64,
) {
    let Some(previous) = previous else {
        return;
    };
    for c in criteria.iter_mut() {
        let Some(phases::Rule::LatencyVsPrevious { max_ratio }) =
            def.criteria.iter().find(|d| d.id == c.id).map(|d| d.rule)
        else {
            continue;
        };
        let calls: Vec<phases::ValueCall> =
            [phases::Measure::P50LatencyMs, phases::Measure::P95LatencyMs]
                .iter()
                .filter_map(|m| {
                    let (cur, prev) = (m.of(current)?, m.of(previous)?);
                    let (low, high) = ratio_band(cur, prev, e)?;
                    Some(match (low <= max_ratio, high <= max_ratio) {
                        (true, true) => phases::ValueCall::Holds,
                        (false, false) => phases::ValueCall::Misses,
                        _ => phases::ValueCall::Uncertain,
                    })
                })
                .collect();
        c.measured.display = format!(
            "{} (percentiles within ±{} % each)",
            c.measured.display,
            crate::text::number(e * 100.0)
        );
        let missed = calls.contains(&phases::ValueCall::Misses);
        if !missed && calls.contains(&phases::ValueCall::Uncertain) {
            c.status = CriterionStatus::Pending;
            c.on_track = None;
            c.uncertain = true;
        }
    }
}

/// "Canary not worse than control" from the cohort rules over rollups: as from the rows, and
/// uncertain where it would hold but an uncertain cohort alert was active.
fn canary_not_worse(cohorts: &RollupCohorts, rules: &CohortRules, over: bool) -> CriterionResult {
    let mut c = phases::canary_not_worse(&cohorts.evaluation, rules, over);
    debug_assert_eq!(c.id, CANARY_NOT_WORSE);
    if c.status != CriterionStatus::Fail && !cohorts.uncertain.is_empty() {
        let n = cohorts.uncertain.len();
        c.measured = Measured {
            value: None,
            display: format!(
                "none certain; {n} uncertain cohort alert{} (latency within the percentiles' bound)",
                if n == 1 { "" } else { "s" }
            ),
        };
        c.status = CriterionStatus::Pending;
        c.on_track = None;
        c.uncertain = true;
    }
    c
}

/// The cohort rules over `r`, or over no data.
fn cohorts_of(r: Option<&RollupWindow>, rules: &CohortRules) -> RollupCohorts {
    match r {
        Some(r) => evaluate_cohorts_from_rollups(&r.minutes, r.window, rules),
        None => RollupCohorts {
            evaluation: cohort_rules::evaluate_cohorts(&EventStore::new(), None, rules),
            uncertain: Vec::new(),
        },
    }
}

impl ReportData {
    /// [`ReportData::compute`] from rollups: phase `number` of `phases` (its `start` must be
    /// set: rollups hold no rows to find it in) as of `now`, the email's period from
    /// `inputs.period`. `None` when `phases` has no phase `number`.
    pub fn from_rollups(
        phases: Vec<PhaseDefinition>,
        number: u8,
        inputs: RollupInputs<'_>,
        now: Micros,
        rules: &[Rule],
    ) -> Option<ReportData> {
        let index = phases.iter().position(|p| p.number == number)?;
        let phase = phases[index].clone();
        let (metrics, period_eval) = inputs
            .period
            .map_or_else(|| nothing(rules), |r| of_window(r, rules));
        // The bound every percentile from the rollups carries.
        let bound = crate::histogram::RELATIVE_ERROR_BOUND;
        let cohort_rules = cohort_rules::default_cohort_rules();
        let period_cohorts = cohorts_of(inputs.period, &cohort_rules);
        let mut phase_alerts = Vec::new();
        let mut phase_uncertain = Vec::new();
        let assessment = phase.window().map(|window| {
            let (phase_metrics, eval) = inputs
                .phase
                .map_or_else(|| nothing(rules), |r| of_window(r, rules));
            let previous = inputs
                .previous
                .map(|r| metrics_from_rollups(&r.totals, &r.exact, r.window))
                .filter(|m| m.window.events > 0);
            let seen = Window {
                from: window.from,
                to: now.min(window.to),
            };
            let mut criteria = phases::evaluate_criteria(
                &phase,
                &phase_metrics,
                &eval.evaluation.alerts,
                window,
                now,
                previous.as_ref(),
            );
            mark_uncertain_alert_criteria(&phase, &mut criteria, &eval.uncertain, seen);
            mark_uncertain_ratio_criteria(
                &phase,
                &mut criteria,
                &phase_metrics,
                previous.as_ref(),
                bound,
            );
            let phase_cohorts = cohorts_of(inputs.phase, &cohort_rules);
            criteria.push(canary_not_worse(
                &phase_cohorts,
                &cohort_rules,
                now >= window.to,
            ));
            let hour_metrics = |w: Window| match inputs.phase {
                Some(r) => metrics_of_minutes(r, w),
                None => nothing(rules).0,
            };
            let checklist = phases::checklist_with(
                &phase,
                &eval.evaluation.alerts,
                &eval.uncertain,
                now,
                &hour_metrics,
            );
            phase_alerts = eval.evaluation.alerts;
            phase_uncertain = eval.uncertain;
            PhaseAssessment {
                elapsed: phases::elapsed(window.from, phase.duration, now),
                remaining: phases::remaining(window.from, phase.duration, now),
                next_check: phases::next_check(window.from, phase.duration, now),
                window,
                comparison: previous
                    .as_ref()
                    .map(|prev| phases::compare_phases(&phase_metrics, prev)),
                criteria,
                checklist,
                definition: phase.clone(),
            }
        });
        let mut evaluation: Evaluation = period_eval.evaluation;
        period_cohorts.evaluation.add_to(&mut evaluation);
        let mut uncertain_alerts = period_eval.uncertain;
        uncertain_alerts.extend(period_cohorts.uncertain);
        Some(ReportData {
            phases,
            phase,
            assessment,
            phase_alerts,
            period: inputs.period.map(|r| r.window),
            metrics,
            evaluation,
            cohorts: period_cohorts.evaluation,
            now,
            approximation: Some(Approximation {
                relative_error: bound,
                rows: inputs.rows,
                exact_rows_limit: inputs.exact_rows_limit,
                uncertain_alerts,
                phase_uncertain_alerts: phase_uncertain,
            }),
        })
    }
}
