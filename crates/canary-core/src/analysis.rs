//! The analysis step every front-end shares: everything shown about one data set and one time
//! window (metrics, series, alerts including those of a Redis INFO snapshot, cohorts, the
//! breaker's timeline) and the phase's assessment, computed in one place from plain values.
//! The page recomputes [`analyse`] when the data, the range or the Redis text change; the CLI
//! calls [`analyse_window`] with the window its options give; the reports add a Redis snapshot
//! to their period's alerts with [`add_redis_info`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::alerts::{self, Alert, Evaluation, MetricId, Rule};
use crate::cohort::{self, CohortComparison};
use crate::cohort_rules::{self, CohortEvaluation};
use crate::event::{Micros, MICROS_PER_HOUR, MICROS_PER_MINUTE};
use crate::metrics::{self, Metrics, Window};
use crate::phases::{self, PhaseAssessment, PhaseDefinition};
use crate::redis::{self, RedisHealth, RedisInfoError};
use crate::series::{self, Series};
use crate::time::to_datetime;
use crate::EventStore;

/// The time range the user picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RangeChoice {
    LastHour,
    Last4Hours,
    #[default]
    Last24Hours,
    ThisPhase,
    Custom {
        from: Micros,
        to: Micros,
    },
}

impl RangeChoice {
    /// The choices offered in the picker (custom is entered separately).
    pub const PRESETS: [(RangeChoice, &'static str); 4] = [
        (RangeChoice::LastHour, "Last 1 h"),
        (RangeChoice::Last4Hours, "Last 4 h"),
        (RangeChoice::Last24Hours, "Last 24 h"),
        (RangeChoice::ThisPhase, "This phase"),
    ];

    /// The short code used in the page's URL (`1h`, `4h`, `24h`, `phase`, `FROM..TO`).
    pub fn code(self) -> String {
        match self {
            RangeChoice::LastHour => "1h".into(),
            RangeChoice::Last4Hours => "4h".into(),
            RangeChoice::Last24Hours => "24h".into(),
            RangeChoice::ThisPhase => "phase".into(),
            RangeChoice::Custom { from, to } => format!("{from}..{to}"),
        }
    }

    /// Reads [`RangeChoice::code`] back; `None` for anything else.
    pub fn from_code(code: &str) -> Option<RangeChoice> {
        Some(match code {
            "1h" => RangeChoice::LastHour,
            "4h" => RangeChoice::Last4Hours,
            "24h" => RangeChoice::Last24Hours,
            "phase" => RangeChoice::ThisPhase,
            other => {
                let (from, to) = other.split_once("..")?;
                let (from, to) = (from.parse().ok()?, to.parse().ok()?);
                Window::new(from, to)?;
                RangeChoice::Custom { from, to }
            }
        })
    }
}

/// What the analysis depends on besides the events.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisInput {
    pub range: RangeChoice,
    /// The end of "last N hours": the clock for live data, the data's end for a file or the demo.
    pub range_end: Micros,
    /// The time criteria are judged at.
    pub now: Micros,
    pub phases: Vec<PhaseDefinition>,
    pub phase_number: u8,
    /// Text pasted from `redis-cli INFO` (empty: none).
    pub redis_info: String,
}

/// One stretch of the circuit breaker's state inside the window.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerSpan {
    pub from: Micros,
    pub to: Micros,
    pub state: String,
}

/// Everything shown for one window.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// `None` when the range holds no time at all (no data and no phase).
    pub window: Option<Window>,
    pub now: Micros,
    pub metrics: Arc<Metrics>,
    pub series: Arc<Series>,
    /// Alerts of the window, including those from the Redis text.
    pub evaluation: Arc<Evaluation>,
    /// Alerts that fire for some values within the percentiles' bounds and not for others
    /// (an analysis from the rollups, `crate::rollup_analysis`); none for the rows.
    pub uncertain: Vec<Alert>,
    pub cohorts: Option<Arc<CohortComparison>>,
    /// The cohort rules over the window: the call, the rule behind it and the evidence (their
    /// alerts are in `evaluation` too).
    pub cohort_rules: Arc<CohortEvaluation>,
    /// `Ok(None)`: no Redis text given; `Err`: the text could not be read (the message says where).
    pub redis: Result<Option<RedisHealth>, String>,
    /// The breaker's state over the window, for the band under the latency chart.
    pub breaker_timeline: Vec<BreakerSpan>,
    /// The rule table the alerts were evaluated with: their conditions' words come from it.
    pub rules: Arc<[Rule]>,
}

impl Analysis {
    /// Whether the numbers come from the rollups (percentiles bounded) rather than the rows.
    pub fn from_rollups(&self) -> bool {
        self.metrics.window.percentile_relative_error.is_some()
    }

    /// The alerts firing at the end of the window.
    pub fn firing(&self) -> Vec<Alert> {
        self.evaluation
            .alerts
            .iter()
            .filter(|a| a.until.is_none())
            .cloned()
            .collect()
    }

    /// Metrics that are failing now: firing alerts, failed criteria of `phase`, for the runbook.
    pub fn failing_metrics(&self, phase: Option<&PhaseAssessment>) -> Vec<MetricId> {
        let mut ids: Vec<MetricId> = self.firing().iter().map(|a| a.metric).collect();
        if let Some(p) = phase {
            for c in &p.criteria {
                if c.status == phases::CriterionStatus::Fail {
                    if let Some(id) = metric_of_criterion(&c.id) {
                        ids.push(id);
                    }
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// The alert metric a phase criterion is about, where there is one.
pub fn metric_of_criterion(id: &str) -> Option<MetricId> {
    Some(match id {
        "p50_latency" | "p99_latency" | "latency_vs_previous" => MetricId::P50Latency,
        "p95_latency" => MetricId::P95Latency,
        "error_rate" | "error_rate_vs_previous" => MetricId::ErrorRate,
        "cache_hit_rate" => MetricId::CacheHitRate,
        "mem0_write_success" => MetricId::Mem0WriteSuccess,
        "circuit_breaker" | "circuit_breaker_closed" => MetricId::CircuitBreaker,
        phases::CANARY_NOT_WORSE => MetricId::CanaryErrorRate,
        _ => return None,
    })
}

/// The window of a range choice.
pub fn window_of(store: &EventStore, input: &AnalysisInput) -> Option<Window> {
    let last = |hours: i64| Window::new(input.range_end - hours * MICROS_PER_HOUR, input.range_end);
    match input.range {
        RangeChoice::LastHour => last(1),
        RangeChoice::Last4Hours => last(4),
        RangeChoice::Last24Hours => last(24),
        RangeChoice::ThisPhase => {
            let def = input
                .phases
                .iter()
                .find(|p| p.number == input.phase_number)?;
            let start = def.start.or(store.time_span().map(|(first, _)| first))?;
            Window::new(start, start + def.duration)
        }
        RangeChoice::Custom { from, to } => Window::new(from, to),
    }
}

/// The breaker's state from the window's start to its end, split at each transition.
pub(crate) fn breaker_timeline(
    store: &EventStore,
    window: Window,
    m: &Metrics,
) -> Vec<BreakerSpan> {
    // The state at the window's start is the state at its end before the window's transitions.
    let before = metrics::compute(store, Window::new(window.from - 1, window.from));
    let mut state = before.circuit_breaker.current_state;
    let mut from = window.from;
    let mut spans = Vec::new();
    for t in m.circuit_breaker.transitions.iter().rev() {
        let at = crate::time::from_datetime(t.at);
        spans.push(BreakerSpan {
            from,
            to: at,
            state: state.clone(),
        });
        state = t.state.clone().unwrap_or_else(|| "closed".to_owned());
        from = at;
    }
    spans.push(BreakerSpan {
        from,
        to: window.to,
        state,
    });
    spans.retain(|s| s.to > s.from);
    spans
}

/// Computes everything for one data set and input: the window of the range picked, then
/// [`analyse_window`].
pub fn analyse(store: &EventStore, input: &AnalysisInput, rules: &[Rule]) -> Analysis {
    // An empty text field is no snapshot, not an empty one.
    let redis_info = Some(input.redis_info.as_str()).filter(|t| !t.trim().is_empty());
    analyse_window(store, window_of(store, input), input.now, redis_info, rules)
}

/// Computes everything for `window` (`None`: no time at all) as of `now`, with the alerts of the
/// `redis-cli INFO` text `redis_info` taken at `now`, if one is given.
pub fn analyse_window(
    store: &EventStore,
    window: Option<Window>,
    now: Micros,
    redis_info: Option<&str>,
    rules: &[Rule],
) -> Analysis {
    let metrics = metrics::compute(store, window);
    let series = match window {
        Some(w) => series::compute(store, w),
        None => Series {
            bucket: MICROS_PER_MINUTE,
            points: Vec::new(),
            percentile_relative_error: None,
        },
    };
    let mut evaluation = alerts::evaluate(store, window, rules);
    let cohort_rules =
        cohort_rules::evaluate_cohorts(store, window, &cohort_rules::default_cohort_rules());
    cohort_rules.add_to(&mut evaluation);
    let redis = match redis_info {
        None => Ok(None),
        Some(text) => add_redis_info(&mut evaluation, text, now)
            .map(Some)
            .map_err(|e| e.to_string()),
    };
    let breaker_timeline = window.map_or_else(Vec::new, |w| breaker_timeline(store, w, &metrics));
    Analysis {
        window,
        now,
        cohorts: window.map(|w| Arc::new(cohort::compare(store, w))),
        cohort_rules: Arc::new(cohort_rules),
        metrics: Arc::new(metrics),
        series: Arc::new(series),
        evaluation: Arc::new(evaluation),
        uncertain: Vec::new(),
        redis,
        breaker_timeline,
        rules: rules.into(),
    }
}

/// Reads a `redis-cli INFO` text and adds its alerts to `evaluation`: a snapshot taken at `now`,
/// so they fire from `now`. Returns the server's health, or where the text cannot be read.
pub fn add_redis_info(
    evaluation: &mut Evaluation,
    text: &str,
    now: Micros,
) -> Result<RedisHealth, RedisInfoError> {
    let info = redis::parse_info(text)?;
    evaluation.add_alerts(redis::alerts(&info, to_datetime(now)));
    Ok(redis::assess(&info))
}

/// The phase picked, assessed as of `now`. Kept apart from [`analyse`]: it covers the whole
/// phase whatever the range, so a range switch does not recompute it.
pub fn assess_phase(
    store: &EventStore,
    phases: &[PhaseDefinition],
    number: u8,
    now: Micros,
    rules: &[Rule],
) -> Option<Arc<PhaseAssessment>> {
    phases::assess(store, phases, number, now, rules).map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Level;
    use crate::demo::{generate, DemoConfig};

    fn input(range: RangeChoice, store: &EventStore) -> AnalysisInput {
        AnalysisInput {
            range,
            range_end: store.time_span().map_or(0, |(_, last)| last + 1),
            now: store.time_span().map_or(0, |(_, last)| last + 1),
            phases: phases::default_phases(),
            phase_number: 1,
            redis_info: String::new(),
        }
    }

    #[test]
    fn range_codes_round_trip() {
        for (choice, _) in RangeChoice::PRESETS {
            assert_eq!(RangeChoice::from_code(&choice.code()), Some(choice));
        }
        let custom = RangeChoice::Custom { from: 5, to: 9 };
        assert_eq!(RangeChoice::from_code("5..9"), Some(custom));
        assert_eq!(RangeChoice::from_code("9..5"), None);
        assert_eq!(RangeChoice::from_code("week"), None);
    }

    #[test]
    fn empty_data_gives_no_numbers_but_no_panic() {
        let store = EventStore::new();
        let a = analyse(
            &store,
            &input(RangeChoice::Last24Hours, &store),
            &alerts::default_rules(),
        );
        assert_eq!(a.metrics.latency.requests, 0);
        assert_eq!(a.metrics.latency.p50_ms, None);
        assert!(a.firing().is_empty());
    }

    #[test]
    fn demo_day_has_the_designed_picture() {
        let store = generate(&DemoConfig::default());
        let rules = alerts::default_rules();
        let mut i = input(RangeChoice::ThisPhase, &store);
        i.redis_info = "used_memory:850\nmaxmemory:1000\nevicted_keys:0\n".to_owned();
        let a = analyse(&store, &i, &rules);
        assert_eq!(a.metrics.window.events as usize, store.len());
        // The breaker opened once: closed, open, half_open, closed.
        let states: Vec<&str> = a
            .breaker_timeline
            .iter()
            .map(|s| s.state.as_str())
            .collect();
        assert_eq!(states, ["closed", "open", "half_open", "closed"]);
        // 85 % of maxmemory: a critical Redis alert firing now.
        assert!(a
            .firing()
            .iter()
            .any(|x| x.metric == MetricId::RedisMemory && x.level == Level::Critical));
        assert!(a.failing_metrics(None).contains(&MetricId::RedisMemory));
        let phase = assess_phase(&store, &i.phases, 1, i.now, &rules).unwrap();
        // The demo's breaker opened: "stays closed" failed, so the runbook gets the breaker.
        assert!(a
            .failing_metrics(Some(&phase))
            .contains(&MetricId::CircuitBreaker));
        let last_hour = analyse(&store, &input(RangeChoice::LastHour, &store), &rules);
        assert!(last_hour.metrics.window.events < 20_000);
        let bad = AnalysisInput {
            redis_info: "used_memory 12".into(),
            ..i
        };
        assert_eq!(
            analyse(&store, &bad, &rules).redis,
            Err("line 1: expected key:value, got \"used_memory 12\"".to_owned())
        );
    }
}
