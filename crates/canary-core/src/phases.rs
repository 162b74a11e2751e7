//! Phases, success criteria, check schedule and validation checklist (docs/metrics.md#phases; the guide's
//! "Canary Phase Progression", "Validation Checklist", "Success Metrics Summary" and "Phase
//! Transition Approval").
//!
//! A [`PhaseDefinition`] is data (the app persists edited ones): traffic, duration, start,
//! configuration and a list of [`CriterionDef`]s, each a [`Rule`] over [`Metrics`] of the phase's
//! window, the alerts that fired in it, or the previous phase's metrics. [`evaluate_criteria`]
//! turns them into pass / fail / pending / no data; [`compare_phases`] is the guide's "vs Phase 1"
//! table; [`check_times`] and [`checklist`] are the monitoring schedule and its checks, each
//! filled from the data of the hour before it.
//!
//! When a criterion is decided:
//! - Value rules (P50 < 500 ms, cache hit rate > 95 %, the comparisons with the previous phase)
//!   are judged over the whole phase, so they stay `pending` until the phase ends: a bad first
//!   hour can still be outweighed. [`CriterionResult::on_track`] says how they stand meanwhile.
//! - Event rules fail as soon as the event happens, because it cannot un-happen: a breaker that
//!   left `closed` did not "stay closed", and a critical alert is a critical incident whatever
//!   follows. They pass only when the phase is over.
//! - A comparison with a previous phase that has no data is `no_data` at once (waiting cannot
//!   supply it).
//!
//! All thresholds compare strictly, like the alert rules: P50 of exactly 500 ms is not "< 500".

use serde::{Deserialize, Serialize};

use crate::alerts::{Alert, Level};
use crate::cohort_rules::{
    CohortEvaluation, CohortMetric, CohortRules, PHASE_ERROR_RATE_MARGIN_POINTS,
    PHASE_SLOWDOWN_MARGIN,
};
use crate::event::{Micros, MICROS_PER_HOUR};
use crate::metrics::{compute, Metrics, Window};
use crate::store::EventStore;
use crate::summary::{format_ms, format_pct};
use crate::time::{format_minute, from_datetime};

const H: Micros = MICROS_PER_HOUR;

/// "No performance degradation vs Phase 1": P50 and P95 at most this many times Phase 1's
/// (the guide's alert threshold is "> 10 % slower"). The cohort rules warn at the same margin.
pub const MAX_SLOWDOWN_RATIO: f64 = 1.0 + PHASE_SLOWDOWN_MARGIN;

/// "Error rate stable vs Phase 1": at most this many percentage points above Phase 1's (the
/// guide's alert threshold is "> 0.5 % increase", read as points of the rate). The cohort rules
/// warn at the same margin.
pub const MAX_ERROR_RATE_INCREASE_POINTS: f64 = PHASE_ERROR_RATE_MARGIN_POINTS;

/// The feature flags of a phase (the guide's `fly secrets` of each phase).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseConfig {
    /// `FAST_PATH_ENABLED`.
    pub fast_path_enabled: bool,
    /// `CANARY_SAMPLE_RATE`, 0 to 1.
    pub canary_sample_rate: f64,
    /// `MEM0_READS_ENABLED`.
    pub mem0_reads_enabled: bool,
    /// `MEM0_SHADOW_MODE`.
    pub mem0_shadow_mode: bool,
}

/// One phase of the rollout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseDefinition {
    /// 1, 2, 3.
    pub number: u8,
    /// The guide's heading, e.g. `10% Traffic`.
    pub name: String,
    /// Share of traffic on the canary path, in percent.
    pub traffic_pct: f64,
    /// Length of the observation period in microseconds (whole hours in the defaults).
    pub duration: Micros,
    /// When the phase started; `None` while it has not.
    pub start: Option<Micros>,
    pub config: PhaseConfig,
    /// The success criteria, in the guide's order.
    pub criteria: Vec<CriterionDef>,
}

impl PhaseDefinition {
    /// The phase's window `[start, start + duration)`, `None` before it is started (or for a
    /// non-positive duration).
    pub fn window(&self) -> Option<Window> {
        let start = self.start?;
        Window::new(start, start.saturating_add(self.duration))
    }
}

/// One success criterion: what the guide says and the rule that checks it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriterionDef {
    /// Stable snake_case id (`p50_latency`, `no_critical_incidents`, ...): the same metric has
    /// the same id in every phase, in alerts and in the success-metrics table.
    pub id: String,
    /// The criterion as the guide words it.
    pub criterion: String,
    pub rule: Rule,
}

/// A metric a value rule reads from [`Metrics`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    P50LatencyMs,
    P95LatencyMs,
    P99LatencyMs,
    ErrorRatePct,
    CacheHitRatePct,
    Mem0WriteSuccessPct,
}

impl Measure {
    /// The value in `m`, `None` where there is no data.
    pub fn of(self, m: &Metrics) -> Option<f64> {
        match self {
            Measure::P50LatencyMs => m.latency.p50_ms,
            Measure::P95LatencyMs => m.latency.p95_ms,
            Measure::P99LatencyMs => m.latency.p99_ms,
            Measure::ErrorRatePct => m.errors.error_rate_pct,
            Measure::CacheHitRatePct => m.cache.hit_rate_pct,
            Measure::Mem0WriteSuccessPct => m.mem0.success_rate_pct,
        }
    }

    /// How the metric is named for people.
    pub fn label(self) -> &'static str {
        match self {
            Measure::P50LatencyMs => "P50 latency",
            Measure::P95LatencyMs => "P95 latency",
            Measure::P99LatencyMs => "P99 latency",
            Measure::ErrorRatePct => "Error rate",
            Measure::CacheHitRatePct => "Cache hit rate",
            Measure::Mem0WriteSuccessPct => "mem0 write success",
        }
    }

    /// A value as the page shows it (`412.3 ms`, `98.76 %`, `no data`).
    pub fn format(self, v: Option<f64>) -> String {
        match self {
            Measure::P50LatencyMs | Measure::P95LatencyMs | Measure::P99LatencyMs => format_ms(v),
            _ => format_pct(v),
        }
    }

    /// [`Measure::format`], with the bound where the metrics' percentiles are estimates
    /// (`≈ 512 ms (±1 %)`, docs/metrics.md#rollups-and-the-latency-histogram).
    pub fn format_bounded(self, v: Option<f64>, relative_error: Option<f64>) -> String {
        match (self, relative_error) {
            (Measure::P50LatencyMs | Measure::P95LatencyMs | Measure::P99LatencyMs, Some(e)) => {
                crate::summary::format_bounded_ms(v, e)
            }
            _ => self.format(v),
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Measure::P50LatencyMs | Measure::P95LatencyMs | Measure::P99LatencyMs => "ms",
            _ => "%",
        }
    }
}

/// How a criterion is checked.
///
/// JSON: internally tagged, `{"kind":"below","measure":"p50_latency_ms","limit":500.0}`. It is
/// read through [`RuleFields`] rather than serde's derived reader of internally tagged enums,
/// which buffers every value before it knows the variant and was the largest single function of
/// the WebAssembly bundle; the accepted JSON is the same.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "RuleFields")]
pub enum Rule {
    /// The measure over the phase is below `limit` (strictly). `goal` is the guide's tighter
    /// aspiration ("target: <400ms"), shown but not required.
    Below {
        measure: Measure,
        limit: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        goal: Option<f64>,
    },
    /// The measure over the phase is above `limit` (strictly).
    Above { measure: Measure, limit: f64 },
    /// The breaker is closed and made no transition during the phase. Fails early.
    BreakerStaysClosed,
    /// No alert at `min_level` or above fired during the phase. Fails early.
    NoAlerts { min_level: Level },
    /// P50 and P95 are at most `max_ratio` times the previous phase's.
    LatencyVsPrevious { max_ratio: f64 },
    /// The error rate is at most `max_increase_points` above the previous phase's.
    ErrorRateVsPrevious { max_increase_points: f64 },
}

/// The fields of every [`Rule`] variant, read flat; [`Rule`]'s `TryFrom` takes those of `kind`
/// (fields of other variants are read and ignored, fields nobody knows are skipped).
#[derive(Deserialize)]
struct RuleFields {
    kind: RuleKind,
    measure: Option<Measure>,
    limit: Option<f64>,
    goal: Option<f64>,
    min_level: Option<Level>,
    max_ratio: Option<f64>,
    max_increase_points: Option<f64>,
}

/// The `kind` of a [`Rule`].
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RuleKind {
    Below,
    Above,
    BreakerStaysClosed,
    NoAlerts,
    LatencyVsPrevious,
    ErrorRateVsPrevious,
}

impl TryFrom<RuleFields> for Rule {
    type Error = String;

    fn try_from(f: RuleFields) -> Result<Rule, String> {
        fn need<T>(value: Option<T>, name: &str) -> Result<T, String> {
            value.ok_or_else(|| format!("missing field `{name}`"))
        }
        Ok(match f.kind {
            RuleKind::Below => Rule::Below {
                measure: need(f.measure, "measure")?,
                limit: need(f.limit, "limit")?,
                goal: f.goal,
            },
            RuleKind::Above => Rule::Above {
                measure: need(f.measure, "measure")?,
                limit: need(f.limit, "limit")?,
            },
            RuleKind::BreakerStaysClosed => Rule::BreakerStaysClosed,
            RuleKind::NoAlerts => Rule::NoAlerts {
                min_level: need(f.min_level, "min_level")?,
            },
            RuleKind::LatencyVsPrevious => Rule::LatencyVsPrevious {
                max_ratio: need(f.max_ratio, "max_ratio")?,
            },
            RuleKind::ErrorRateVsPrevious => Rule::ErrorRateVsPrevious {
                max_increase_points: need(f.max_increase_points, "max_increase_points")?,
            },
        })
    }
}

impl Rule {
    /// The target as shown next to the measured value.
    pub fn target(&self) -> String {
        match *self {
            Rule::Below {
                measure,
                limit,
                goal,
            } => {
                let unit = measure.unit();
                match goal {
                    Some(goal) => format!("< {limit} {unit} (target < {goal} {unit})"),
                    None => format!("< {limit} {unit}"),
                }
            }
            Rule::Above { measure, limit } => format!("> {limit} {}", measure.unit()),
            Rule::BreakerStaysClosed => "closed, no transitions".to_owned(),
            Rule::NoAlerts { min_level } => match min_level {
                Level::Warning => "no alert of any level".to_owned(),
                Level::Critical => "no critical or emergency alert".to_owned(),
                Level::Emergency => "no emergency alert".to_owned(),
            },
            Rule::LatencyVsPrevious { max_ratio } => format!(
                "P50 and P95 at most {} % slower than the previous phase",
                round2((max_ratio - 1.0) * 100.0)
            ),
            Rule::ErrorRateVsPrevious {
                max_increase_points,
            } => format!("at most {max_increase_points} points above the previous phase"),
        }
    }
}

/// Rounds to 2 decimals for labels (`1.10 − 1` is 0.10000000000000009 in f64).
fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn criterion(id: &str, text: &str, rule: Rule) -> CriterionDef {
    CriterionDef {
        id: id.to_owned(),
        criterion: text.to_owned(),
        rule,
    }
}

fn below(measure: Measure, limit: f64) -> Rule {
    Rule::Below {
        measure,
        limit,
        goal: None,
    }
}

fn above(measure: Measure, limit: f64) -> Rule {
    Rule::Above { measure, limit }
}

/// The guide's three phases: 1 = 10 % for 24 h (started 2025-10-16 18:35 UTC, the guide's
/// start and the demo data's), 2 = 50 % for 24 h, 3 = 100 % for 48 h (not started), each with
/// the guide's configuration and success criteria.
pub fn default_phases() -> Vec<PhaseDefinition> {
    let config = |canary_sample_rate| PhaseConfig {
        fast_path_enabled: true,
        canary_sample_rate,
        mem0_reads_enabled: true,
        mem0_shadow_mode: false,
    };
    let p50 = |text: &str, goal| {
        criterion(
            "p50_latency",
            text,
            Rule::Below {
                measure: Measure::P50LatencyMs,
                limit: 500.0,
                goal,
            },
        )
    };
    let cache = || {
        criterion(
            "cache_hit_rate",
            "Cache hit rate >95%",
            above(Measure::CacheHitRatePct, 95.0),
        )
    };
    let mem0 = || {
        criterion(
            "mem0_write_success",
            "mem0 write success >99%",
            above(Measure::Mem0WriteSuccessPct, 99.0),
        )
    };
    let error_rate_vs_previous = |text: &str| {
        criterion(
            "error_rate_vs_previous",
            text,
            Rule::ErrorRateVsPrevious {
                max_increase_points: MAX_ERROR_RATE_INCREASE_POINTS,
            },
        )
    };
    vec![
        PhaseDefinition {
            number: 1,
            name: "10% Traffic".to_owned(),
            traffic_pct: 10.0,
            duration: 24 * H,
            // No fixed start: a phase without one starts at the first event of the data (the guide's
            // own rollout started at 2025-10-16 18:35 UTC, which is where the demo data starts).
            start: None,
            config: config(0.1),
            criteria: vec![
                p50("P50 latency <500ms (target: <400ms)", Some(400.0)),
                criterion(
                    "p95_latency",
                    "P95 latency <1000ms",
                    below(Measure::P95LatencyMs, 1000.0),
                ),
                criterion(
                    "p99_latency",
                    "P99 latency <2000ms",
                    below(Measure::P99LatencyMs, 2000.0),
                ),
                criterion(
                    "error_rate",
                    "Error rate <1% (baseline comparison)",
                    below(Measure::ErrorRatePct, 1.0),
                ),
                cache(),
                mem0(),
                criterion(
                    "circuit_breaker",
                    "Circuit breaker stays closed",
                    Rule::BreakerStaysClosed,
                ),
                criterion(
                    "no_critical_incidents",
                    "No critical incidents",
                    Rule::NoAlerts {
                        min_level: Level::Critical,
                    },
                ),
            ],
        },
        PhaseDefinition {
            number: 2,
            name: "50% Traffic".to_owned(),
            traffic_pct: 50.0,
            duration: 24 * H,
            start: None,
            config: config(0.5),
            criteria: vec![
                p50("P50 latency <500ms", None),
                error_rate_vs_previous("Error rate stable vs Phase 1"),
                cache(),
                mem0(),
                criterion(
                    "latency_vs_previous",
                    "No performance degradation vs Phase 1",
                    Rule::LatencyVsPrevious {
                        max_ratio: MAX_SLOWDOWN_RATIO,
                    },
                ),
            ],
        },
        PhaseDefinition {
            number: 3,
            name: "100% Rollout".to_owned(),
            traffic_pct: 100.0,
            duration: 48 * H,
            start: None,
            config: config(1.0),
            criteria: vec![
                // "Stable" read as: not one alert, of any level, in the 48 hours.
                criterion(
                    "all_metrics_stable",
                    "All metrics stable for 48 hours",
                    Rule::NoAlerts {
                        min_level: Level::Warning,
                    },
                ),
                mem0(),
                cache(),
                p50("P50 latency <500ms", None),
                // "No increase" gets the same 0.5-point allowance as Phase 2's "stable": the
                // guide's only number for error-rate drift between phases.
                error_rate_vs_previous("No increase in error rate"),
            ],
        },
    ]
}

/// Where a criterion stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionStatus {
    Pass,
    Fail,
    /// The phase is not over and nothing has decided the criterion yet.
    Pending,
    /// The phase is over (or the baseline is missing) and there is nothing to judge.
    NoData,
}

/// A measured value and its text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measured {
    /// The number behind the text: the metric, a count of events, a ratio or a delta.
    pub value: Option<f64>,
    /// For people, e.g. `412.3 ms`, `none`, `P50 +4.0 % (231.0 ms vs 222.1 ms)`.
    pub display: String,
}

/// One criterion judged.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriterionResult {
    pub id: String,
    pub criterion: String,
    pub target: String,
    pub measured: Measured,
    pub status: CriterionStatus,
    /// Whether the criterion holds on the data so far (`None`: no data); equals the final
    /// outcome once the phase is over. Lets a pending criterion show which way it leans.
    pub on_track: Option<bool>,
    /// The measured value is an estimate (a percentile from the rollups' histograms) whose error
    /// band straddles the target: the data cannot decide the criterion, so its status is
    /// `pending` and the reports call it uncertain ([`ValueCall::Uncertain`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub uncertain: bool,
}

/// A value against a strict limit, when the value may be an estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueCall {
    /// Every value within the estimate's bound meets the limit.
    Holds,
    /// No value within the bound meets it.
    Misses,
    /// The bound straddles the limit: some values meet it and some do not.
    Uncertain,
}

/// Judges `v` against `limit` (`below`: the value must be below it, else above it; strict, as
/// every threshold is), where `v` is known within `relative_error` (`None`: exact) and the band
/// is [`crate::histogram::error_band`]'s. An exact value is never uncertain.
pub fn judge_value(v: f64, limit: f64, below: bool, relative_error: Option<f64>) -> ValueCall {
    let (low, high) = match relative_error {
        Some(e) => crate::histogram::error_band(v, e),
        None => (v, v),
    };
    let meets = |x: f64| if below { x < limit } else { x > limit };
    match (meets(low), meets(high)) {
        (true, true) => ValueCall::Holds,
        (false, false) => ValueCall::Misses,
        _ => ValueCall::Uncertain,
    }
}

/// The relative error of `measure`'s value in `m`: the percentiles' bound for a percentile of
/// bounded metrics, `None` (exact) for everything else.
pub fn relative_error_of(measure: Measure, m: &Metrics) -> Option<f64> {
    match measure {
        Measure::P50LatencyMs | Measure::P95LatencyMs | Measure::P99LatencyMs => {
            m.window.percentile_relative_error
        }
        _ => None,
    }
}

/// How one rule came out on the data so far, before the phase's timing is applied.
struct Outcome {
    measured: Measured,
    /// `Some(holds)` or `None` for no data.
    holds: Option<bool>,
    /// A failure that later data cannot undo.
    failed_for_good: bool,
    /// Missing data that later data cannot supply.
    no_data_for_good: bool,
    /// An estimate whose bound straddles the target: not decided by this data.
    uncertain: bool,
}

/// Judges every criterion of `def`.
///
/// `metrics` are computed over the phase so far (`[phase_window.from, min(now,
/// phase_window.to))`), `alerts` are those evaluated over (at least) that span, `previous` the
/// previous phase's metrics for the "vs Phase N" rules. A criterion is `pending` while `now <
/// phase_window.to` unless it already failed for good (see the module docs); from `now ==
/// phase_window.to` on it is `pass`, `fail` or `no_data`.
pub fn evaluate_criteria(
    def: &PhaseDefinition,
    metrics: &Metrics,
    alerts: &[Alert],
    phase_window: Window,
    now: Micros,
    previous: Option<&Metrics>,
) -> Vec<CriterionResult> {
    let over = now >= phase_window.to;
    // Only what has happened so far counts for the event rules.
    let seen = Window {
        from: phase_window.from,
        to: now.min(phase_window.to),
    };
    def.criteria
        .iter()
        .map(|c| {
            let outcome = judge(&c.rule, metrics, alerts, seen, previous);
            let status = if outcome.failed_for_good {
                CriterionStatus::Fail
            } else if outcome.uncertain {
                // Waiting does not decide it either: only the exact values can.
                CriterionStatus::Pending
            } else if outcome.no_data_for_good {
                CriterionStatus::NoData
            } else if !over {
                CriterionStatus::Pending
            } else {
                match outcome.holds {
                    Some(true) => CriterionStatus::Pass,
                    Some(false) => CriterionStatus::Fail,
                    None => CriterionStatus::NoData,
                }
            };
            CriterionResult {
                id: c.id.clone(),
                criterion: c.criterion.clone(),
                target: c.rule.target(),
                measured: outcome.measured,
                status,
                on_track: outcome.holds,
                uncertain: outcome.uncertain,
            }
        })
        .collect()
}

/// Alerts active at some moment of `window` (an alert without `until` is still firing); none
/// for an empty window (before a phase starts).
fn alerts_in(alerts: &[Alert], window: Window) -> impl Iterator<Item = &Alert> {
    alerts.iter().filter(move |a| {
        !window.is_empty()
            && from_datetime(a.since) < window.to
            && a.until.is_none_or(|u| from_datetime(u) > window.from)
    })
}

/// `p50_latency critical from 2025-10-16 19:40 UTC to 2025-10-16 19:52 UTC (threshold 500,
/// worst 612.3)`.
fn describe_alert(a: &Alert) -> String {
    let until = match a.until {
        Some(u) => format!("to {}", format_minute(from_datetime(u))),
        None => "still firing".to_owned(),
    };
    let threshold = a
        .threshold
        .map(|t| format!("threshold {t}, "))
        .unwrap_or_default();
    format!(
        "{} {} from {} {until} ({threshold}worst {})",
        a.metric.as_str(),
        a.level.as_str(),
        format_minute(from_datetime(a.since)),
        round2(a.worst_value)
    )
}

fn breaker_display(m: &Metrics) -> String {
    let b = &m.circuit_breaker;
    if b.transitions.is_empty() {
        b.current_state.clone()
    } else {
        format!("{} ({} transitions)", b.current_state, b.transitions.len())
    }
}

fn breaker_closed(m: &Metrics) -> bool {
    m.circuit_breaker.current_state == "closed" && m.circuit_breaker.transitions.is_empty()
}

fn judge(
    rule: &Rule,
    m: &Metrics,
    alerts: &[Alert],
    seen: Window,
    previous: Option<&Metrics>,
) -> Outcome {
    let plain = |measured: Measured, holds: Option<bool>| Outcome {
        measured,
        holds,
        failed_for_good: false,
        no_data_for_good: false,
        uncertain: false,
    };
    // Event rules need some data in the window: a phase with no events at all proves nothing.
    let has_events = m.window.events > 0;
    match *rule {
        Rule::Below { measure, limit, .. } | Rule::Above { measure, limit } => {
            let v = measure.of(m);
            let below = matches!(rule, Rule::Below { .. });
            let call = v.map(|v| judge_value(v, limit, below, relative_error_of(measure, m)));
            let measured = Measured {
                value: v,
                display: measure.format_bounded(v, m.window.percentile_relative_error),
            };
            match call {
                Some(ValueCall::Uncertain) => Outcome {
                    uncertain: true,
                    ..plain(measured, None)
                },
                call => plain(measured, call.map(|c| c == ValueCall::Holds)),
            }
        }
        Rule::BreakerStaysClosed => {
            let closed = breaker_closed(m);
            Outcome {
                measured: if has_events {
                    Measured {
                        value: Some(m.circuit_breaker.transitions.len() as f64),
                        display: breaker_display(m),
                    }
                } else {
                    no_data()
                },
                holds: has_events.then_some(closed),
                failed_for_good: has_events && !closed,
                no_data_for_good: false,
                uncertain: false,
            }
        }
        Rule::NoAlerts { min_level } => {
            let fired: Vec<&Alert> = alerts_in(alerts, seen)
                .filter(|a| a.level >= min_level)
                .collect();
            let any = !fired.is_empty();
            if !has_events && !any {
                return plain(no_data(), None);
            }
            // Short enough for a table cell: how many, and on which metrics (the alert list
            // itself carries the times and values).
            let display = match fired.len() {
                0 => "none".to_owned(),
                n => {
                    let mut metrics: Vec<&str> = Vec::new();
                    for a in &fired {
                        if !metrics.contains(&a.metric.as_str()) {
                            metrics.push(a.metric.as_str());
                        }
                    }
                    let noun = if n == 1 { "alert" } else { "alerts" };
                    format!("{n} {noun}: {}", metrics.join(", "))
                }
            };
            Outcome {
                measured: Measured {
                    value: Some(fired.len() as f64),
                    display,
                },
                holds: Some(!any),
                failed_for_good: any,
                no_data_for_good: false,
                uncertain: false,
            }
        }
        Rule::LatencyVsPrevious { max_ratio } => {
            let Some(prev) = previous else {
                return no_baseline();
            };
            let c = compare_phases_with(m, prev, max_ratio, MAX_ERROR_RATE_INCREASE_POINTS);
            let rows = [&c.p50_latency, &c.p95_latency];
            if rows.iter().any(|r| !r.has_baseline()) {
                return no_baseline_with(format!(
                    "{}; {}",
                    c.p50_latency.display, c.p95_latency.display
                ));
            }
            let worst = rows
                .iter()
                .filter_map(|r| r.ratio)
                .fold(None, |w: Option<f64>, r| Some(w.map_or(r, |w| w.max(r))));
            let holds = match (c.p50_latency.status, c.p95_latency.status) {
                (CriterionStatus::Fail, _) | (_, CriterionStatus::Fail) => Some(false),
                (CriterionStatus::Pass, CriterionStatus::Pass) => Some(true),
                _ => None,
            };
            plain(
                Measured {
                    value: worst,
                    display: format!("{}; {}", c.p50_latency.display, c.p95_latency.display),
                },
                holds,
            )
        }
        Rule::ErrorRateVsPrevious {
            max_increase_points,
        } => {
            let Some(prev) = previous else {
                return no_baseline();
            };
            let c = compare_phases_with(m, prev, MAX_SLOWDOWN_RATIO, max_increase_points);
            let row = c.error_rate;
            if !row.has_baseline() {
                return no_baseline_with(row.display);
            }
            let holds = match row.status {
                CriterionStatus::Pass => Some(true),
                CriterionStatus::Fail => Some(false),
                _ => None,
            };
            plain(
                Measured {
                    value: row.delta,
                    display: row.display,
                },
                holds,
            )
        }
    }
}

fn no_data() -> Measured {
    Measured {
        value: None,
        display: "no data".to_owned(),
    }
}

fn no_baseline() -> Outcome {
    no_baseline_with("no previous phase data".to_owned())
}

fn no_baseline_with(display: String) -> Outcome {
    Outcome {
        measured: Measured {
            value: None,
            display,
        },
        holds: None,
        failed_for_good: false,
        no_data_for_good: true,
        uncertain: false,
    }
}

/// One metric of this phase against the previous one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparisonRow {
    /// `p50_latency`, `p95_latency` or `error_rate`.
    pub id: &'static str,
    pub metric: &'static str,
    /// The rule, e.g. `at most 10 % slower`.
    pub rule: String,
    pub previous: Option<f64>,
    pub current: Option<f64>,
    /// `current − previous`, in ms or percentage points.
    pub delta: Option<f64>,
    /// `current / previous` (latency rows; `None` where the previous value is not positive).
    pub ratio: Option<f64>,
    /// For people, e.g. `P50 +4.0 % (231.0 ms vs 222.1 ms)`.
    pub display: String,
    /// `pass`, `fail` or `no_data` (never `pending`: both sides are what they are).
    pub status: CriterionStatus,
}

impl ComparisonRow {
    /// Whether the previous phase gave a usable baseline: a value, and for a latency (a ratio)
    /// a positive one.
    fn has_baseline(&self) -> bool {
        match (self.id, self.previous) {
            (_, None) => false,
            ("error_rate", Some(_)) => true,
            (_, Some(p)) => p > 0.0,
        }
    }
}

/// The guide's "Phase 2 vs Phase 1" table: performance no more than 10 % slower (P50 and P95),
/// error rate no more than 0.5 points higher.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseComparison {
    pub p50_latency: ComparisonRow,
    pub p95_latency: ComparisonRow,
    pub error_rate: ComparisonRow,
}

impl PhaseComparison {
    /// "No performance degradation": fail if P50 or P95 fails, no data if either has none,
    /// otherwise pass.
    pub fn latency_status(&self) -> CriterionStatus {
        let statuses = [self.p50_latency.status, self.p95_latency.status];
        if statuses.contains(&CriterionStatus::Fail) {
            CriterionStatus::Fail
        } else if statuses.contains(&CriterionStatus::NoData) {
            CriterionStatus::NoData
        } else {
            CriterionStatus::Pass
        }
    }
}

/// Compares `current` with `previous` at the guide's limits ([`MAX_SLOWDOWN_RATIO`],
/// [`MAX_ERROR_RATE_INCREASE_POINTS`]).
pub fn compare_phases(current: &Metrics, previous: &Metrics) -> PhaseComparison {
    compare_phases_with(
        current,
        previous,
        MAX_SLOWDOWN_RATIO,
        MAX_ERROR_RATE_INCREASE_POINTS,
    )
}

/// [`compare_phases`] with other limits (for edited criteria).
pub fn compare_phases_with(
    current: &Metrics,
    previous: &Metrics,
    max_ratio: f64,
    max_increase_points: f64,
) -> PhaseComparison {
    let latency = |id, metric: &'static str, short: &str, measure: Measure| {
        let (prev, cur) = (measure.of(previous), measure.of(current));
        let ratio = match (prev, cur) {
            // A ratio to zero or a negative latency means nothing.
            (Some(p), Some(c)) if p > 0.0 => Some(c / p),
            _ => None,
        };
        let status = match ratio {
            Some(r) if r <= max_ratio => CriterionStatus::Pass,
            Some(_) => CriterionStatus::Fail,
            None => CriterionStatus::NoData,
        };
        let display = match (prev, cur, ratio) {
            (Some(p), Some(c), Some(r)) => format!(
                "{short} {:+.1} % ({} vs {})",
                (r - 1.0) * 100.0,
                format_ms(Some(c)),
                format_ms(Some(p))
            ),
            (Some(p), Some(_), None) => {
                format!("{short}: previous {} gives no ratio", format_ms(Some(p)))
            }
            _ => format!("{short} {} vs {}", format_ms(cur), format_ms(prev)),
        };
        ComparisonRow {
            id,
            metric,
            rule: format!("at most {} % slower", round2((max_ratio - 1.0) * 100.0)),
            previous: prev,
            current: cur,
            delta: prev.zip(cur).map(|(p, c)| c - p),
            ratio,
            display,
            status,
        }
    };
    let (prev, cur) = (
        previous.errors.error_rate_pct,
        current.errors.error_rate_pct,
    );
    let delta = prev.zip(cur).map(|(p, c)| c - p);
    let error_rate = ComparisonRow {
        id: "error_rate",
        metric: "Error rate",
        rule: format!("at most {max_increase_points} points higher"),
        previous: prev,
        current: cur,
        delta,
        ratio: None,
        display: match delta {
            Some(d) => format!(
                "{d:+.2} points ({} vs {})",
                format_pct(cur),
                format_pct(prev)
            ),
            None => format!("{} vs {}", format_pct(cur), format_pct(prev)),
        },
        status: match delta {
            Some(d) if d <= max_increase_points => CriterionStatus::Pass,
            Some(_) => CriterionStatus::Fail,
            None => CriterionStatus::NoData,
        },
    };
    PhaseComparison {
        p50_latency: latency("p50_latency", "P50 latency", "P50", Measure::P50LatencyMs),
        p95_latency: latency("p95_latency", "P95 latency", "P95", Measure::P95LatencyMs),
        error_rate,
    }
}

/// The gap after a check at `offset` from the phase start: hourly before hour 4, every two
/// hours before hour 12, every four hours from then on (past 24 h too, for 48-hour phases).
pub fn check_interval(offset: Micros) -> Micros {
    if offset < 4 * H {
        H
    } else if offset < 12 * H {
        2 * H
    } else {
        4 * H
    }
}

/// The scheduled checks of a phase, ascending: hours 1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, then
/// every 4 hours, up to the end; the end itself is always the last check (for a duration that is
/// not on the grid, e.g. 30 h: …, 28, 30). Hour 0 is the start, not a check: there is nothing
/// to look at yet. Empty for a non-positive duration.
pub fn check_times(phase_start: Micros, duration: Micros) -> Vec<Micros> {
    let mut times = Vec::new();
    if duration <= 0 {
        return times;
    }
    let mut offset = 0;
    loop {
        offset += check_interval(offset);
        if offset >= duration {
            break;
        }
        times.push(phase_start.saturating_add(offset));
    }
    times.push(phase_start.saturating_add(duration));
    times
}

/// The first scheduled check strictly after `now` (a check at exactly `now` is due, not next);
/// `None` once the last one is due.
pub fn next_check(phase_start: Micros, duration: Micros, now: Micros) -> Option<Micros> {
    check_times(phase_start, duration)
        .into_iter()
        .find(|&t| t > now)
}

/// Time since the start, within `[0, duration]`.
pub fn elapsed(phase_start: Micros, duration: Micros, now: Micros) -> Micros {
    (now.saturating_sub(phase_start)).clamp(0, duration.max(0))
}

/// Time left until the end, within `[0, duration]`.
pub fn remaining(phase_start: Micros, duration: Micros, now: Micros) -> Micros {
    duration.max(0) - elapsed(phase_start, duration, now)
}

/// What the data of a check's hour says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "issues", rename_all = "snake_case")]
pub enum Verdict {
    /// Every measured criterion held, no alert was active, the breaker stayed closed.
    Ok,
    /// What was wrong: criteria missed in the hour, the breaker, alerts active in it.
    Issues(Vec<String>),
    /// No request, cache access, mem0 write or breaker transition in the hour, and no alert.
    NoData,
    /// The check is due later than `now`.
    NotDue,
}

/// One scheduled check of the validation checklist (ticking and notes are the app's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// Hours since the phase start (rounded up for an end that is not on a whole hour).
    pub hour: u32,
    /// The guide's wording, e.g. `Hour 2: No latency spikes or errors`.
    pub label: String,
    /// When the check is due; its data is the hour before.
    pub due: Micros,
    pub data_verdict: Verdict,
}

/// The guide's label of the check at `hour` (its Phase 1 list; the other phases follow "the same
/// schedule as Phase 1"). The last check of a phase is its success-criteria check.
fn check_label(hour: u32, last: bool, phase: u8) -> String {
    if last {
        return format!("Hour {hour}: Phase {phase} success criteria met");
    }
    let what = match hour {
        1 => "All metrics within normal range",
        2 => "No latency spikes or errors",
        3 => "Cache performance stable",
        4 => "mem0 integration healthy",
        6 => "Sustained performance",
        8 => "No circuit breaker trips",
        10 => "Cache hit rate >95%",
        12 => "Error rate <1%",
        20 => "Long-term performance confirmed",
        // Hour 16 and every 4-hourly check of a longer phase.
        _ => "All metrics stable",
    };
    format!("Hour {hour}: {what}")
}

/// The validation checklist of a started phase (empty when `def.start` is `None`): one item per
/// [`check_times`] entry, each with the verdict of the data of `[due − 1 h, due)`.
///
/// Every check looks at everything the phase's value criteria and the breaker rule measure, plus
/// the alerts active in its hour, whatever its label stresses: "Hour 3: Cache performance
/// stable" with a 5 % error rate is not Ok. Comparisons with the previous phase are not
/// applied to single hours (they are judged over the phase).
pub fn checklist(
    def: &PhaseDefinition,
    store: &EventStore,
    alerts: &[Alert],
    now: Micros,
) -> Vec<ChecklistItem> {
    checklist_with(def, alerts, &[], now, &|window| {
        compute(store, Some(window))
    })
}

/// [`checklist`] with each hour's metrics from `hour_metrics` (the rollups' for a window too
/// large to read row by row) and the alerts `uncertain` within the percentiles' bound: a
/// percentile or an uncertain alert that cannot be decided is an issue of its hour, worded as
/// uncertain, so the check is not Ok on an estimate.
pub fn checklist_with(
    def: &PhaseDefinition,
    alerts: &[Alert],
    uncertain: &[Alert],
    now: Micros,
    hour_metrics: &dyn Fn(Window) -> Metrics,
) -> Vec<ChecklistItem> {
    let Some(start) = def.start else {
        return Vec::new();
    };
    let times = check_times(start, def.duration);
    let last = times.len().saturating_sub(1);
    times
        .iter()
        .enumerate()
        .map(|(i, &due)| {
            let hour = u32::try_from((due - start + H - 1) / H).unwrap_or(u32::MAX);
            let data_verdict = if due > now {
                Verdict::NotDue
            } else {
                let window = Window {
                    from: (due - H).max(start),
                    to: due,
                };
                hour_verdict(def, &hour_metrics(window), alerts, uncertain, window)
            };
            ChecklistItem {
                hour,
                label: check_label(hour, i == last, def.number),
                due,
                data_verdict,
            }
        })
        .collect()
}

fn hour_verdict(
    def: &PhaseDefinition,
    m: &Metrics,
    alerts: &[Alert],
    uncertain: &[Alert],
    window: Window,
) -> Verdict {
    let active: Vec<&Alert> = alerts_in(alerts, window).collect();
    let measured_anything = m.latency.requests > 0
        || m.cache.accesses > 0
        || m.mem0.total_writes > 0
        || !m.circuit_breaker.transitions.is_empty();
    if !measured_anything && active.is_empty() {
        return Verdict::NoData;
    }
    let mut issues = Vec::new();
    for c in &def.criteria {
        match c.rule {
            Rule::Below { measure, limit, .. } | Rule::Above { measure, limit } => {
                let Some(v) = measure.of(m) else {
                    // A metric without events in this hour (few mem0 writes, say) is not a
                    // problem of the hour; the phase criteria catch a metric that never shows.
                    continue;
                };
                let below = matches!(c.rule, Rule::Below { .. });
                let error = relative_error_of(measure, m);
                let shown = measure.format_bounded(Some(v), error);
                match judge_value(v, limit, below, error) {
                    ValueCall::Holds => {}
                    ValueCall::Misses => issues.push(format!(
                        "{} {shown}, criterion {}",
                        measure.label(),
                        c.rule.target()
                    )),
                    ValueCall::Uncertain => issues.push(format!(
                        "{} {shown}, criterion {}: uncertain, the bound straddles the target",
                        measure.label(),
                        c.rule.target()
                    )),
                }
            }
            Rule::BreakerStaysClosed => {
                if !breaker_closed(m) {
                    issues.push(format!("Circuit breaker {}", breaker_display(m)));
                }
            }
            // Alerts are listed below, whatever their level; the comparisons are phase-wide.
            Rule::NoAlerts { .. }
            | Rule::LatencyVsPrevious { .. }
            | Rule::ErrorRateVsPrevious { .. } => {}
        }
    }
    issues.extend(
        active
            .iter()
            .map(|a| format!("Alert {}", describe_alert(a))),
    );
    issues.extend(alerts_in(uncertain, window).map(|a| {
        format!(
            "Uncertain alert {} (within the percentiles' bound)",
            describe_alert(a)
        )
    }));
    if issues.is_empty() {
        Verdict::Ok
    } else {
        Verdict::Issues(issues)
    }
}

/// Everything about one phase as of `now`: its window, criteria, the comparison with the phase
/// before it, the check schedule and the validation checklist. Shared by every front-end.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseAssessment {
    pub definition: PhaseDefinition,
    /// `[start, start + duration)`.
    pub window: Window,
    pub elapsed: Micros,
    pub remaining: Micros,
    pub next_check: Option<Micros>,
    pub criteria: Vec<CriterionResult>,
    /// This phase against the one before it (over the span just before this phase's start), when
    /// there is a phase before it and data in that span.
    pub comparison: Option<PhaseComparison>,
    pub checklist: Vec<ChecklistItem>,
}

/// Id of the criterion "Canary not worse than control", judged in every phase from the cohort
/// rules (`cohort_rules.rs`) over the phase so far.
pub const CANARY_NOT_WORSE: &str = "canary_not_worse";

/// "Canary not worse than control": fails as soon as a cohort rule fires (an event rule, like
/// "no critical incidents"), passes when the phase is over without one, and has no data when no
/// request carries a boolean `details.canary` (the other criteria then decide alone).
pub fn canary_not_worse(
    cohorts: &CohortEvaluation,
    rules: &CohortRules,
    over: bool,
) -> CriterionResult {
    let smallest_margin = |metric: CohortMetric| {
        rules
            .rules
            .iter()
            .filter(|r| r.metric == metric)
            .map(|r| r.margin)
            .fold(f64::INFINITY, f64::min)
    };
    let first = cohorts.alerts.first().map(|a| &a.alert);
    let worst = cohorts
        .alerts
        .iter()
        .map(|a| &a.alert)
        .max_by_key(|a| a.level);
    let (status, on_track, measured) = match (cohorts.tagged, worst) {
        (false, _) => (
            CriterionStatus::NoData,
            None,
            Measured {
                value: None,
                display: "no cohort tags (no boolean details.canary)".to_owned(),
            },
        ),
        (true, Some(w)) => (
            CriterionStatus::Fail,
            Some(false),
            Measured {
                value: Some(cohorts.alerts.len() as f64),
                display: first.map_or_else(String::new, |f| {
                    let more = cohorts.alerts.len() - 1;
                    let worst = if w == f {
                        String::new()
                    } else {
                        format!("; worst: {}", describe_alert(w))
                    };
                    let more = if more > 0 {
                        format!(" (+{more} more)")
                    } else {
                        String::new()
                    };
                    format!("{}{more}{worst}", describe_alert(f))
                }),
            },
        ),
        (true, None) => (
            if over {
                CriterionStatus::Pass
            } else {
                CriterionStatus::Pending
            },
            Some(true),
            Measured {
                value: Some(0.0),
                display: "no cohort alert".to_owned(),
            },
        ),
    };
    CriterionResult {
        id: CANARY_NOT_WORSE.to_owned(),
        criterion: "Canary not worse than control".to_owned(),
        target: format!(
            "no cohort alert: canary P50 and P95 at most {} % slower, error rate at most {} \
             points higher than control (where significant)",
            round2(smallest_margin(CohortMetric::P50Latency) * 100.0),
            round2(smallest_margin(CohortMetric::ErrorRate)),
        ),
        measured,
        status,
        on_track,
        uncertain: false,
    }
}

/// Where a phase without a declared start begins, judged as of `now`: the first event of the
/// last stretch of events at or before `now` in which no two consecutive events are further
/// apart than the phase lasts (`duration`). A stray row years before the rest (a clock reset,
/// a test row) therefore does not stretch the phase back to it, and rows dated after `now` do
/// not count. With no event at or before `now`, the first event; `None` for no events.
pub fn default_start(store: &EventStore, duration: Micros, now: Micros) -> Option<Micros> {
    let all = store.created_at();
    let upto = all.partition_point(|&t| t <= now);
    let times = if upto == 0 { all } else { &all[..upto] };
    let mut i = times.len().checked_sub(1)?;
    if upto == 0 {
        return times.first().copied();
    }
    while i > 0 && times[i].saturating_sub(times[i - 1]) <= duration.max(0) {
        i -= 1;
    }
    Some(times[i])
}

/// Assesses phase `number` of `phases` as of `now`. A phase without a start takes
/// [`default_start`]; `None` when the phase does not exist or no start can be had.
pub fn assess(
    store: &EventStore,
    phases: &[PhaseDefinition],
    number: u8,
    now: Micros,
    rules: &[crate::alerts::Rule],
) -> Option<PhaseAssessment> {
    let index = phases.iter().position(|p| p.number == number)?;
    let mut definition = phases[index].clone();
    definition.start = definition
        .start
        .or_else(|| default_start(store, definition.duration, now));
    let window = definition.window()?;
    // Only what has happened of the phase so far counts.
    let seen = Window::new(window.from, now.min(window.to));
    let phase_metrics = crate::metrics::compute(store, seen);
    let phase_alerts = crate::alerts::evaluate(store, seen, rules).alerts;
    let previous = index
        .checked_sub(1)
        .and_then(|i| Window::new(window.from - phases[i].duration, window.from))
        .filter(|w| !store.rows_in(w.from, w.to).is_empty())
        .map(|w| crate::metrics::compute(store, Some(w)));
    let mut criteria = evaluate_criteria(
        &definition,
        &phase_metrics,
        &phase_alerts,
        window,
        now,
        previous.as_ref(),
    );
    let cohort_rules = crate::cohort_rules::default_cohort_rules();
    let cohorts = crate::cohort_rules::evaluate_cohorts(store, seen, &cohort_rules);
    criteria.push(canary_not_worse(&cohorts, &cohort_rules, now >= window.to));
    let comparison = previous
        .as_ref()
        .map(|prev| compare_phases(&phase_metrics, prev));
    let checklist = checklist(&definition, store, &phase_alerts, now);
    Some(PhaseAssessment {
        elapsed: elapsed(window.from, definition.duration, now),
        remaining: remaining(window.from, definition.duration, now),
        next_check: next_check(window.from, definition.duration, now),
        window,
        criteria,
        comparison,
        checklist,
        definition,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::MetricId;
    use crate::demo::PHASE1_START;
    use crate::event::{Details, EventRow, EventType, MICROS_PER_MINUTE};
    use crate::time::to_datetime;
    use std::borrow::Cow;

    const M: Micros = MICROS_PER_MINUTE;

    /// Metrics with the given values and one event (so event rules see data).
    #[derive(Clone, Copy, Default)]
    struct Values {
        p50: Option<f64>,
        p95: Option<f64>,
        p99: Option<f64>,
        error: Option<f64>,
        cache: Option<f64>,
        mem0: Option<f64>,
    }

    fn metrics(v: Values) -> Metrics {
        let mut m = compute(&EventStore::new(), None);
        m.window.events = 1;
        m.latency.p50_ms = v.p50;
        m.latency.p95_ms = v.p95;
        m.latency.p99_ms = v.p99;
        m.errors.error_rate_pct = v.error;
        m.cache.hit_rate_pct = v.cache;
        m.mem0.success_rate_pct = v.mem0;
        m
    }

    fn good() -> Values {
        Values {
            p50: Some(220.0),
            p95: Some(600.0),
            p99: Some(1200.0),
            error: Some(0.35),
            cache: Some(97.0),
            mem0: Some(99.8),
        }
    }

    fn phase(n: u8) -> PhaseDefinition {
        let mut def = default_phases().remove(usize::from(n) - 1);
        def.start = Some(0);
        def
    }

    const DAY: Window = Window {
        from: 0,
        to: 24 * H,
    };

    fn alert(metric: MetricId, level: Level, since: Micros, until: Option<Micros>) -> Alert {
        Alert {
            metric,
            level,
            threshold: Some(500.0),
            since: to_datetime(since),
            until: until.map(to_datetime),
            worst_value: 612.34,
        }
    }

    /// Inputs of one evaluation; `None` for `previous` means no baseline.
    struct Case {
        phase: u8,
        values: Values,
        alerts: Vec<Alert>,
        now: Micros,
        previous: Option<Values>,
    }

    fn case(values: Values) -> Case {
        Case {
            phase: 1,
            values,
            alerts: Vec::new(),
            now: DAY.to,
            previous: None,
        }
    }

    /// Evaluates and returns (id, status) of the criterion `id`.
    fn check(input: Case, id: &str, expected: CriterionStatus) {
        let def = phase(input.phase);
        let previous = input.previous.map(metrics);
        let results = evaluate_criteria(
            &def,
            &metrics(input.values),
            &input.alerts,
            Window {
                from: 0,
                to: def.duration,
            },
            input.now,
            previous.as_ref(),
        );
        let r = results
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no criterion {id}"));
        assert_eq!(r.status, expected, "{id}: {r:?}");
    }

    use CriterionStatus::{Fail, NoData, Pass, Pending};

    #[test]
    fn thresholds_are_strict() {
        let with = |f: fn(&mut Values)| {
            let mut v = good();
            f(&mut v);
            case(v)
        };
        check(with(|v| v.p50 = Some(500.0)), "p50_latency", Fail);
        check(with(|v| v.p50 = Some(499.999)), "p50_latency", Pass);
        // Over the 400 ms goal but under the 500 ms limit: the goal is shown, not required.
        check(with(|v| v.p50 = Some(450.0)), "p50_latency", Pass);
        check(with(|v| v.p95 = Some(1000.0)), "p95_latency", Fail);
        check(with(|v| v.p99 = Some(2000.0)), "p99_latency", Fail);
        check(with(|v| v.p99 = Some(1999.9)), "p99_latency", Pass);
        check(with(|v| v.error = Some(1.0)), "error_rate", Fail);
        check(with(|v| v.error = Some(0.99)), "error_rate", Pass);
        check(with(|v| v.cache = Some(95.0)), "cache_hit_rate", Fail);
        check(with(|v| v.cache = Some(95.01)), "cache_hit_rate", Pass);
        check(with(|v| v.mem0 = Some(99.0)), "mem0_write_success", Fail);
        check(with(|v| v.mem0 = Some(100.0)), "mem0_write_success", Pass);
    }

    #[test]
    fn empty_metrics_are_no_data_after_the_end_and_pending_before() {
        let def = phase(1);
        let empty = compute(&EventStore::new(), None);
        for (now, expected) in [(DAY.to, NoData), (DAY.to - 1, Pending)] {
            let results = evaluate_criteria(&def, &empty, &[], DAY, now, None);
            assert_eq!(results.len(), 8);
            for r in &results {
                assert_eq!(r.status, expected, "{r:?}");
                assert_eq!(r.on_track, None, "{r:?}");
            }
            assert_eq!(results[0].measured.display, "no data");
            assert_eq!(results[0].measured.value, None);
        }
    }

    #[test]
    fn pending_until_the_phase_end_then_decided() {
        let mut c = case(good());
        c.now = DAY.to - 1;
        check(c, "p50_latency", Pending);
        check(case(good()), "p50_latency", Pass);
        // Failing so far is still pending (a bad start can be outweighed), with on_track false.
        let mut slow = good();
        slow.p50 = Some(700.0);
        let results = evaluate_criteria(&phase(1), &metrics(slow), &[], DAY, 3 * H, None);
        assert_eq!(results[0].status, Pending);
        assert_eq!(results[0].on_track, Some(false));
        assert_eq!(results[0].measured.display, "700.0 ms");
        assert_eq!(results[0].target, "< 500 ms (target < 400 ms)");
        // Before the start: pending too.
        let mut early = case(good());
        early.now = -H;
        check(early, "no_critical_incidents", Pending);
    }

    #[test]
    fn incidents_fail_early() {
        let at = |alerts: Vec<Alert>, now: Micros| Case {
            alerts,
            now,
            ..case(good())
        };
        let critical = alert(
            MetricId::P50Latency,
            Level::Critical,
            7 * H,
            Some(7 * H + 20 * M),
        );
        let warning = alert(
            MetricId::P50Latency,
            Level::Warning,
            7 * H,
            Some(7 * H + 20 * M),
        );
        check(
            at(vec![critical.clone()], 8 * H),
            "no_critical_incidents",
            Fail,
        );
        check(
            at(vec![warning.clone()], 8 * H),
            "no_critical_incidents",
            Pending,
        );
        check(
            at(vec![warning.clone()], DAY.to),
            "no_critical_incidents",
            Pass,
        );
        // Not yet happened at `now`: does not count.
        check(
            at(vec![critical.clone()], 6 * H),
            "no_critical_incidents",
            Pending,
        );
        // Over before the phase started: not this phase's incident.
        let before = alert(MetricId::ErrorRate, Level::Emergency, -2 * H, Some(-H));
        check(at(vec![before], DAY.to), "no_critical_incidents", Pass);
        // Still firing from before the start: it is.
        let ongoing = alert(MetricId::ErrorRate, Level::Emergency, -2 * H, None);
        check(at(vec![ongoing], H), "no_critical_incidents", Fail);
        // Firing before the phase starts, evaluated before it starts: nothing happened yet.
        let firing = alert(MetricId::ErrorRate, Level::Emergency, -2 * H, None);
        check(at(vec![firing], -H), "no_critical_incidents", Pending);
        // Phase 3's "stable" counts warnings too.
        let mut p3 = at(vec![warning], 8 * H);
        p3.phase = 3;
        check(p3, "all_metrics_stable", Fail);

        let def = phase(1);
        let results = evaluate_criteria(&def, &metrics(good()), &[critical], DAY, 8 * H, None);
        let r = results
            .iter()
            .find(|r| r.id == "no_critical_incidents")
            .unwrap();
        assert_eq!(r.measured.value, Some(1.0));
        assert_eq!(r.measured.display, "1 alert: p50_latency");
    }

    #[test]
    fn breaker_fails_early_once_it_leaves_closed() {
        let def = phase(1);
        let mut m = metrics(good());
        let results = evaluate_criteria(&def, &m, &[], DAY, 2 * H, None);
        assert_eq!(results[6].id, "circuit_breaker");
        assert_eq!(results[6].status, Pending);
        assert_eq!(results[6].on_track, Some(true));
        m.circuit_breaker.current_state = "open".to_owned();
        m.circuit_breaker
            .transitions
            .push(crate::metrics::BreakerTransition {
                state: Some("open".to_owned()),
                failure_count: Some(5),
                success_count: Some(0),
                at: to_datetime(H),
            });
        let results = evaluate_criteria(&def, &m, &[], DAY, 2 * H, None);
        assert_eq!(results[6].status, Fail);
        assert_eq!(results[6].measured.display, "open (1 transitions)");
    }

    #[test]
    fn comparisons_with_the_previous_phase() {
        let vs = |current: Values, previous: Option<Values>, now: Micros| Case {
            phase: 2,
            values: current,
            alerts: Vec::new(),
            now,
            previous,
        };
        let base = good();
        let slower = |p50: f64, p95: f64| Values {
            p50: Some(p50),
            p95: Some(p95),
            ..base
        };
        let base_400 = slower(400.0, 800.0);
        // Exactly 10 % slower passes; beyond fails (P50 or P95).
        check(
            vs(slower(440.0, 880.0), Some(base_400), DAY.to),
            "latency_vs_previous",
            Pass,
        );
        check(
            vs(slower(440.1, 880.0), Some(base_400), DAY.to),
            "latency_vs_previous",
            Fail,
        );
        check(
            vs(slower(400.0, 880.1), Some(base_400), DAY.to),
            "latency_vs_previous",
            Fail,
        );
        check(
            vs(slower(440.1, 880.0), Some(base_400), DAY.to - 1),
            "latency_vs_previous",
            Pending,
        );
        // No baseline: no data at once, even while the phase runs.
        check(vs(base, None, H), "latency_vs_previous", NoData);
        check(vs(base, None, H), "error_rate_vs_previous", NoData);
        check(
            vs(base, Some(Values::default()), H),
            "latency_vs_previous",
            NoData,
        );
        // Error rate: 0.5 points more passes, more fails.
        let err = |e: f64| Values {
            error: Some(e),
            ..base
        };
        check(
            vs(err(1.5), Some(err(1.0)), DAY.to),
            "error_rate_vs_previous",
            Pass,
        );
        check(
            vs(err(1.5000001), Some(err(1.0)), DAY.to),
            "error_rate_vs_previous",
            Fail,
        );
        check(
            vs(err(0.2), Some(err(1.0)), DAY.to),
            "error_rate_vs_previous",
            Pass,
        );
        // The current phase without data: no data at the end.
        check(
            vs(Values::default(), Some(base), DAY.to),
            "error_rate_vs_previous",
            NoData,
        );
        check(
            vs(Values::default(), Some(base), DAY.to - 1),
            "error_rate_vs_previous",
            Pending,
        );
    }

    #[test]
    fn phase_limits_are_the_cohort_rules_warning_margins() {
        // One source: a canary the phase comparison would fail raises a cohort warning.
        let rules = crate::cohort_rules::default_cohort_rules();
        let warning_limit = |metric| {
            rules
                .rules
                .iter()
                .find(|r| r.metric == metric && r.level == Level::Warning)
                .map(|r| r.limit())
        };
        assert_eq!(MAX_SLOWDOWN_RATIO, 1.1);
        assert_eq!(MAX_ERROR_RATE_INCREASE_POINTS, 0.5);
        assert_eq!(
            warning_limit(CohortMetric::P50Latency),
            Some(MAX_SLOWDOWN_RATIO)
        );
        assert_eq!(
            warning_limit(CohortMetric::P95Latency),
            Some(MAX_SLOWDOWN_RATIO)
        );
        assert_eq!(
            warning_limit(CohortMetric::ErrorRate),
            Some(MAX_ERROR_RATE_INCREASE_POINTS)
        );
    }

    #[test]
    fn compare_phases_table() {
        fn row(
            c: &PhaseComparison,
            id: &str,
        ) -> (Option<f64>, Option<f64>, CriterionStatus, String) {
            let r = [&c.p50_latency, &c.p95_latency, &c.error_rate]
                .into_iter()
                .find(|r| r.id == id)
                .unwrap();
            (r.delta, r.ratio, r.status, r.display.clone())
        }
        let p = |p50, p95, err| {
            metrics(Values {
                p50,
                p95,
                error: err,
                ..Values::default()
            })
        };
        let c = compare_phases(
            &p(Some(440.0), Some(1000.0), Some(1.5)),
            &p(Some(400.0), Some(900.0), Some(1.0)),
        );
        assert_eq!(
            row(&c, "p50_latency"),
            (
                Some(40.0),
                Some(1.1),
                Pass,
                "P50 +10.0 % (440.0 ms vs 400.0 ms)".to_owned()
            )
        );
        assert_eq!(row(&c, "p95_latency").2, Fail);
        assert_eq!(
            row(&c, "error_rate"),
            (
                Some(0.5),
                None,
                Pass,
                "+0.50 points (1.50 % vs 1.00 %)".to_owned()
            )
        );
        assert_eq!(c.latency_status(), Fail);
        let none = compare_phases(&p(None, None, None), &p(Some(1.0), Some(1.0), Some(1.0)));
        assert_eq!(
            row(&none, "p50_latency"),
            (None, None, NoData, "P50 no data vs 1.0 ms".to_owned())
        );
        assert_eq!(row(&none, "error_rate").2, NoData);
        assert_eq!(none.latency_status(), NoData);
        // A zero baseline gives no ratio.
        let zero = compare_phases(
            &p(Some(5.0), Some(5.0), None),
            &p(Some(0.0), Some(5.0), None),
        );
        assert_eq!(row(&zero, "p50_latency").2, NoData);
        assert_eq!(row(&zero, "p95_latency").2, Pass);
        // Faster is fine.
        let faster = compare_phases(
            &p(Some(200.0), Some(500.0), Some(0.1)),
            &p(Some(400.0), Some(900.0), Some(1.0)),
        );
        assert_eq!(faster.latency_status(), Pass);
        assert_eq!(
            row(&faster, "p50_latency").3,
            "P50 -50.0 % (200.0 ms vs 400.0 ms)"
        );
    }

    fn hours(times: &[Micros], start: Micros) -> Vec<f64> {
        times
            .iter()
            .map(|t| (t - start) as f64 / H as f64)
            .collect()
    }

    #[test]
    fn schedule_table() {
        let check_schedule = |start: Micros, duration: Micros, expected: &[f64]| {
            assert_eq!(
                hours(&check_times(start, duration), start),
                expected,
                "{duration}"
            );
        };
        let day = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 24.0];
        check_schedule(0, 24 * H, &day);
        check_schedule(PHASE1_START, 24 * H, &day);
        let mut two_days = day.to_vec();
        two_days.extend([28.0, 32.0, 36.0, 40.0, 44.0, 48.0]);
        check_schedule(0, 48 * H, &two_days);
        check_schedule(
            0,
            30 * H,
            &[
                1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 24.0, 28.0, 30.0,
            ],
        );
        check_schedule(0, 5 * H, &[1.0, 2.0, 3.0, 4.0, 5.0]);
        check_schedule(0, 30 * M, &[0.5]);
        check_schedule(0, 0, &[]);
        check_schedule(0, -H, &[]);

        // The interval changes exactly at hours 4 and 12.
        for (offset, expected) in [
            (0, H),
            (4 * H - 1, H),
            (4 * H, 2 * H),
            (12 * H - 1, 2 * H),
            (12 * H, 4 * H),
            (40 * H, 4 * H),
        ] {
            assert_eq!(check_interval(offset), expected, "offset {offset}");
        }
    }

    #[test]
    fn next_check_table() {
        let s = PHASE1_START;
        for (now, expected) in [
            (s - 10 * H, Some(s + H)),
            (s, Some(s + H)),
            (s + H - 1, Some(s + H)),
            // A check at exactly `now` is due now; the next is the following one.
            (s + H, Some(s + 2 * H)),
            (s + 4 * H, Some(s + 6 * H)),
            (s + 11 * H, Some(s + 12 * H)),
            (s + 12 * H, Some(s + 16 * H)),
            (s + 24 * H - 1, Some(s + 24 * H)),
            (s + 24 * H, None),
            (s + 100 * H, None),
        ] {
            assert_eq!(
                next_check(s, 24 * H, now),
                expected,
                "now = start + {}",
                now - s
            );
        }
    }

    #[test]
    fn elapsed_and_remaining_are_clamped() {
        for (now, e, r) in [
            (-H, 0, 24 * H),
            (0, 0, 24 * H),
            (5 * H, 5 * H, 19 * H),
            (24 * H, 24 * H, 0),
            (30 * H, 24 * H, 0),
        ] {
            assert_eq!(
                (elapsed(0, 24 * H, now), remaining(0, 24 * H, now)),
                (e, r),
                "{now}"
            );
        }
    }

    #[test]
    fn labels_are_the_guides() {
        let def = phase(1);
        let labels: Vec<String> = checklist(&def, &EventStore::new(), &[], 0)
            .into_iter()
            .map(|i| i.label)
            .collect();
        assert_eq!(
            labels,
            [
                "Hour 1: All metrics within normal range",
                "Hour 2: No latency spikes or errors",
                "Hour 3: Cache performance stable",
                "Hour 4: mem0 integration healthy",
                "Hour 6: Sustained performance",
                "Hour 8: No circuit breaker trips",
                "Hour 10: Cache hit rate >95%",
                "Hour 12: Error rate <1%",
                "Hour 16: All metrics stable",
                "Hour 20: Long-term performance confirmed",
                "Hour 24: Phase 1 success criteria met",
            ]
        );
        let p3 = checklist(&phase(3), &EventStore::new(), &[], 0);
        assert_eq!(p3.len(), 17);
        assert_eq!(p3[11].label, "Hour 28: All metrics stable");
        assert_eq!(p3[16].label, "Hour 48: Phase 3 success criteria met");
        // Not started: no schedule.
        assert!(checklist(&default_phases()[1], &EventStore::new(), &[], 0).is_empty());
    }

    fn request(id: i64, at: Micros, ms: f64, ok: bool) -> EventRow<'static> {
        EventRow {
            id,
            event_type: EventType::RequestCompleted,
            success: Some(ok),
            cache_hit: None,
            processing_time_ms: Some(ms),
            cache_key: None,
            details: Details {
                endpoint: Some(Cow::Borrowed("/chat")),
                ..Details::default()
            },
            created_at: at,
        }
    }

    #[test]
    fn checklist_verdicts_from_each_hour() {
        let mut store = EventStore::new();
        let mut rows = Vec::new();
        let mut id = 0;
        let mut push = |rows: &mut Vec<EventRow<'static>>, hour: i64, ms: f64, ok: bool, n: i64| {
            for i in 0..n {
                id += 1;
                rows.push(request(id, hour * H + i * M, ms, ok));
            }
        };
        // Check "Hour 1" reads [0 h, 1 h): fine.
        push(&mut rows, 0, 200.0, true, 30);
        // "Hour 2": P50 and P95 at 1200 ms.
        push(&mut rows, 1, 1200.0, true, 30);
        // "Hour 3": nothing. "Hour 4": fine, but an alert is active in it.
        push(&mut rows, 3, 200.0, true, 30);
        // "Hour 6" reads [5 h, 6 h): fine; a failed 9 s request at exactly 6 h is outside it.
        push(&mut rows, 5, 200.0, true, 30);
        rows.push(request(999, 6 * H, 9000.0, false));
        store.extend(rows);
        let alerts = [alert(
            MetricId::ErrorRate,
            Level::Warning,
            3 * H + 10 * M,
            Some(3 * H + 20 * M),
        )];
        let items = checklist(&phase(1), &store, &alerts, 6 * H);
        let verdicts: Vec<&Verdict> = items.iter().map(|i| &i.data_verdict).collect();
        assert_eq!(verdicts[0], &Verdict::Ok);
        assert_eq!(
            verdicts[1],
            &Verdict::Issues(vec![
                "P50 latency 1200.0 ms, criterion < 500 ms (target < 400 ms)".to_owned(),
                "P95 latency 1200.0 ms, criterion < 1000 ms".to_owned()
            ])
        );
        assert_eq!(verdicts[2], &Verdict::NoData);
        match verdicts[3] {
            Verdict::Issues(issues) => {
                assert_eq!(issues.len(), 1);
                assert!(
                    issues[0].starts_with("Alert error_rate warning from "),
                    "{issues:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(verdicts[4], &Verdict::Ok, "hour 6 (due exactly now)");
        assert!(verdicts[5..].iter().all(|v| **v == Verdict::NotDue));
        assert_eq!(items[4].due, 6 * H);
        assert_eq!(items[4].hour, 6);
    }

    #[test]
    fn definitions_round_trip_through_json() {
        let phases = default_phases();
        assert_eq!(
            phases
                .iter()
                .map(|p| (
                    p.number,
                    p.traffic_pct,
                    p.duration / H,
                    p.config.canary_sample_rate
                ))
                .collect::<Vec<_>>(),
            [(1, 10.0, 24, 0.1), (2, 50.0, 24, 0.5), (3, 100.0, 48, 1.0)]
        );
        fn ids(p: &PhaseDefinition) -> Vec<&str> {
            p.criteria.iter().map(|c| c.id.as_str()).collect()
        }
        assert_eq!(
            ids(&phases[0]),
            [
                "p50_latency",
                "p95_latency",
                "p99_latency",
                "error_rate",
                "cache_hit_rate",
                "mem0_write_success",
                "circuit_breaker",
                "no_critical_incidents"
            ]
        );
        assert_eq!(
            ids(&phases[1]),
            [
                "p50_latency",
                "error_rate_vs_previous",
                "cache_hit_rate",
                "mem0_write_success",
                "latency_vs_previous"
            ]
        );
        assert_eq!(
            ids(&phases[2]),
            [
                "all_metrics_stable",
                "mem0_write_success",
                "cache_hit_rate",
                "p50_latency",
                "error_rate_vs_previous"
            ]
        );
        let json = serde_json::to_string(&phases).unwrap();
        assert!(
            json.contains(
                r#""rule":{"kind":"below","measure":"p50_latency_ms","limit":500.0,"goal":400.0}"#
            ),
            "{json}"
        );
        assert!(
            json.contains(r#""rule":{"kind":"no_alerts","min_level":"critical"}"#),
            "{json}"
        );
        let back: Vec<PhaseDefinition> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, phases);
        // A hand-edited definition without the optional goal reads too.
        let rule: Rule =
            serde_json::from_str(r#"{"kind":"below","measure":"p95_latency_ms","limit":900}"#)
                .unwrap();
        assert_eq!(rule, below(Measure::P95LatencyMs, 900.0));
        assert!(
            serde_json::from_str::<Rule>(r#"{"kind":"no_alerts","min_level":"severe"}"#).is_err()
        );
    }

    #[test]
    fn rule_json_table() {
        let read = |json: &str| serde_json::from_str::<Rule>(json).map_err(|e| e.to_string());
        // Every variant reads back what it writes.
        for rule in default_phases()
            .iter()
            .flat_map(|p| p.criteria.iter().map(|c| c.rule))
            .chain([
                Rule::Above {
                    measure: Measure::CacheHitRatePct,
                    limit: 95.0,
                },
                Rule::NoAlerts {
                    min_level: Level::Warning,
                },
            ])
        {
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(read(&json), Ok(rule), "{json}");
        }
        for (json, expected) in [
            (
                r#"{"limit":1,"measure":"error_rate_pct","kind":"above"}"#,
                Ok(Rule::Above {
                    measure: Measure::ErrorRatePct,
                    limit: 1.0,
                }),
            ),
            // Unknown fields are skipped; `goal` is optional, also as null.
            (
                r#"{"kind":"below","measure":"p50_latency_ms","limit":5,"goal":null,"note":[1]}"#,
                Ok(Rule::Below {
                    measure: Measure::P50LatencyMs,
                    limit: 5.0,
                    goal: None,
                }),
            ),
            (
                r#"{"kind":"breaker_stays_closed"}"#,
                Ok(Rule::BreakerStaysClosed),
            ),
            (
                r#"{"kind":"latency_vs_previous","max_ratio":1.1}"#,
                Ok(Rule::LatencyVsPrevious { max_ratio: 1.1 }),
            ),
            (
                r#"{"kind":"error_rate_vs_previous","max_increase_points":0.5}"#,
                Ok(Rule::ErrorRateVsPrevious {
                    max_increase_points: 0.5,
                }),
            ),
            (
                r#"{"kind":"below","measure":"p50_latency_ms"}"#,
                Err("missing field `limit`"),
            ),
            (
                r#"{"kind":"no_alerts"}"#,
                Err("missing field `min_level`"),
            ),
            (
                r#"{"measure":"p50_latency_ms","limit":5}"#,
                Err("missing field `kind` at line 1 column 38"),
            ),
            (
                r#"{"kind":"between"}"#,
                Err("unknown variant `between`, expected one of `below`, `above`, `breaker_stays_closed`, `no_alerts`, `latency_vs_previous`, `error_rate_vs_previous` at line 1 column 17"),
            ),
            // A wrong type is an error, with its place (the derived reader gave none); unlike
            // the derived reader, also in a field that `kind` does not use.
            (
                r#"{"kind":"above","measure":"p50_latency_ms","limit":"5"}"#,
                Err("invalid type: string \"5\", expected f64 at line 1 column 54"),
            ),
            (
                r#"{"kind":"breaker_stays_closed","limit":"x"}"#,
                Err("invalid type: string \"x\", expected f64 at line 1 column 42"),
            ),
        ] {
            assert_eq!(read(json), expected.map_err(str::to_owned), "{json}");
        }
    }

    #[test]
    fn results_serialise_in_snake_case() {
        let results = evaluate_criteria(
            &phase(1),
            &compute(&EventStore::new(), None),
            &[],
            DAY,
            DAY.to,
            None,
        );
        let json = serde_json::to_string(&results[0]).unwrap();
        assert_eq!(
            json,
            r#"{"id":"p50_latency","criterion":"P50 latency <500ms (target: <400ms)","target":"< 500 ms (target < 400 ms)","measured":{"value":null,"display":"no data"},"status":"no_data","on_track":null}"#
        );
        let v = serde_json::to_string(&Verdict::Issues(vec!["x".into()])).unwrap();
        assert_eq!(v, r#"{"kind":"issues","issues":["x"]}"#);
        assert_eq!(
            serde_json::to_string(&Verdict::NotDue).unwrap(),
            r#"{"kind":"not_due"}"#
        );
    }

    #[test]
    fn default_phases_start_at_the_first_event() {
        assert!(default_phases().iter().all(|p| p.start.is_none()));
    }

    #[test]
    fn demo_day_phase_one() {
        // The demo's incidents: the breaker cycle fails "stays closed" as soon as it happens.
        let config = crate::demo::DemoConfig::default();
        let store = crate::demo::generate(&config);
        let mut def = default_phases()[0].clone();
        def.start = Some(config.start);
        let def = &def;
        let window = def.window().unwrap();
        assert_eq!(window, Window::new(config.start, config.end()).unwrap());
        let m = compute(&store, Some(window));
        let results = evaluate_criteria(def, &m, &[], window, window.to, None);
        let status = |id: &str| results.iter().find(|r| r.id == id).unwrap().status;
        assert_eq!(status("p50_latency"), Pass);
        assert_eq!(status("circuit_breaker"), Fail);
        assert_eq!(
            status("no_critical_incidents"),
            Pass,
            "no alerts were given"
        );
        let items = checklist(def, &store, &[], window.to);
        assert_eq!(items.len(), 11);
        assert!(items
            .iter()
            .all(|i| i.data_verdict != Verdict::NotDue && i.data_verdict != Verdict::NoData));
    }
}
