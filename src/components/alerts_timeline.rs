//! Every alert of the window with level, since, until and worst value, and each rule's state now.
//!
//! The small formatting helpers here (a level's badge, an alert's value with its unit, a
//! duration) are shared with the status banner, so both say the same thing the same way.

use std::sync::Arc;

use canary_core::alerts::{
    Alert, Level, MetricId, RuleState, RuleStatus, STAMPEDE_CRITICAL_MISSES,
};
use canary_core::event::{Micros, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND};
use canary_core::metrics::Window;
use canary_core::redis::EVICTED_KEYS_THRESHOLD;
use canary_core::summary::{format_ms, format_pct};
use canary_core::time::{format_minute, from_datetime};
use leptos::prelude::*;

use super::show_if::ShowIf;
use crate::analysis::Analysis;

/// The status class of a level's badge: amber for a warning, red from critical on.
pub fn level_class(level: Level) -> &'static str {
    match level {
        Level::Warning => "status status-warn",
        Level::Critical => "status status-bad",
        Level::Emergency => "status status-bad level-emergency",
    }
}

/// A count without a needless `.0` (`40`), one decimal otherwise.
fn format_count(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// A value of `metric` with its unit (`621.8 ms`, `13.95 %`, `40 misses`); `no data` for none.
pub fn format_metric_value(metric: MetricId, v: Option<f64>) -> String {
    match (metric.unit(), v) {
        ("ms", v) => format_ms(v),
        ("%", v) => format_pct(v),
        ("× control", Some(v)) if v.is_finite() => canary_core::report::ratio_text(v),
        ("points", Some(v)) if v.is_finite() => canary_core::report::points_text(v),
        (unit, Some(v)) if v.is_finite() => format!("{} {unit}", format_count(v)),
        _ => "no data".to_owned(),
    }
}

/// Whether a Redis alert is the evictions one (its value counts keys, not a percentage).
fn is_evictions(a: &Alert) -> bool {
    a.metric == MetricId::RedisMemory && a.threshold == Some(EVICTED_KEYS_THRESHOLD as f64)
}

/// The worst value an alert saw, with its unit.
pub fn alert_value(a: &Alert) -> String {
    if is_evictions(a) {
        format!("{} keys evicted", format_count(a.worst_value))
    } else {
        format_metric_value(a.metric, Some(a.worst_value))
    }
}

/// The condition of an alert in words, without the metric's name: `> 400 ms for 5 min`.
/// Windowed rules take the engine's own wording from `rules`; state rules are described here.
pub fn alert_condition(a: &Alert, rules: &[RuleStatus]) -> String {
    let label = a.metric.label();
    if let Some(r) = rules
        .iter()
        .find(|r| r.metric == a.metric && r.level == a.level)
    {
        return r
            .rule
            .strip_prefix(label)
            .map_or(r.rule.clone(), |s| s.trim().to_owned());
    }
    match (a.metric, a.level) {
        (MetricId::CircuitBreaker, Level::Warning) => "left closed".to_owned(),
        (MetricId::CircuitBreaker, _) => "open".to_owned(),
        (MetricId::CacheStampede, _) => {
            format!(
                "> {} misses on one key in 15 min",
                a.threshold
                    .map_or(STAMPEDE_CRITICAL_MISSES.to_string(), format_count)
            )
        }
        (MetricId::RedisMemory, _) if is_evictions(a) => "evicted_keys > 0".to_owned(),
        (MetricId::RedisMemory, _) => match a.threshold {
            Some(t) => format!("> {} % of maxmemory", format_count(t)),
            None => "memory of maxmemory".to_owned(),
        },
        (metric, _) => match a.threshold {
            Some(t) => {
                let lower_is_bad =
                    matches!(metric, MetricId::CacheHitRate | MetricId::Mem0WriteSuccess);
                let sign = if lower_is_bad { "<" } else { ">" };
                format!("{sign} {}", format_metric_value(metric, Some(t)))
            }
            None => "state rule".to_owned(),
        },
    }
}

/// A span of time for people: `45 s`, `12 min`, `3 h`, `3 h 05 min`, `2 d 4 h`.
pub fn format_duration(micros: Micros) -> String {
    let micros = micros.max(0);
    if micros < MICROS_PER_MINUTE {
        return format!("{} s", micros / MICROS_PER_SECOND);
    }
    let minutes = micros / MICROS_PER_MINUTE;
    if micros < MICROS_PER_HOUR {
        return format!("{minutes} min");
    }
    let hours = minutes / 60;
    if hours < 48 {
        return match minutes % 60 {
            0 => format!("{hours} h"),
            m => format!("{hours} h {m:02} min"),
        };
    }
    format!("{} d {} h", hours / 24, hours % 24)
}

/// How long an alert lasted, or has lasted so far at the end of `window` while still firing.
pub fn alert_duration(a: &Alert, window: Option<Window>) -> String {
    let since = from_datetime(a.since);
    match a.until {
        Some(until) => format_duration(from_datetime(until) - since),
        None => match window {
            Some(w) if w.to > since => format!("{} so far", format_duration(w.to - since)),
            // A snapshot (Redis INFO) taken after the window: no span to measure yet.
            _ => "just now".to_owned(),
        },
    }
}

/// The alerts, newest first (by start; the worse level first among equal starts).
pub fn newest_first(alerts: &[Alert]) -> Vec<Alert> {
    let mut sorted = alerts.to_vec();
    canary_core::sort::sort_by(&mut sorted, |a, b| {
        b.since
            .cmp(&a.since)
            .then(b.level.cmp(&a.level))
            .then(a.metric.cmp(&b.metric))
    });
    sorted
}

/// The badge of a rule's state now; a firing rule takes its level's colour.
fn rule_state_badge(r: &RuleStatus) -> (&'static str, &'static str) {
    match r.state {
        RuleState::Normal => ("status status-ok", "Normal"),
        RuleState::Pending => ("status status-warn", "Pending"),
        RuleState::Firing => (
            match r.level {
                Level::Warning => "status status-warn",
                _ => "status status-bad",
            },
            "Firing",
        ),
        RuleState::NoData => ("status status-none", "NoData"),
    }
}

/// Every alert of the window with level, since, until and worst value, and each rule's state now.
#[component]
pub fn AlertsTimeline(
    /// The window's analysis (only this panel's part is read).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
) -> impl IntoView {
    // The alerts that fired in the window (oldest first), every rule and its state now, and the
    // window, read through the one analysis signal.
    let alerts = move || analysis.get().evaluation.alerts.clone();
    let rules = move || analysis.get().evaluation.rules.clone();
    let window = move || analysis.get().window;
    let sorted = Memo::new(move |_| newest_first(&alerts()));
    let firing_count = move || alerts().iter().filter(|a| a.until.is_none()).count();
    let summary = move || {
        let n = alerts().len();
        match (n, firing_count()) {
            (0, _) => String::new(),
            (n, 0) => format!("{n} alerts in this window, none firing now."),
            (n, f) => format!("{n} alerts in this window, {f} firing now."),
        }
    };

    let alert_rows = move || {
        let rule_list = rules();
        let w = window();
        sorted
            .get()
            .into_iter()
            .map(|a| {
                let firing = a.until.is_none();
                let until = match a.until {
                    Some(t) => view! { <span>{format_minute(from_datetime(t))}</span> }.into_any(),
                    None => view! { <span class="status status-bad">"firing"</span> }.into_any(),
                };
                view! {
                    <tr class:alert-firing=firing data-metric=a.metric.as_str() data-level=a.level.as_str()>
                        <td><span class=level_class(a.level)>{a.level.as_str()}</span></td>
                        <th scope="row">{a.metric.label()}</th>
                        <td class="condition">{alert_condition(&a, &rule_list)}</td>
                        <td class="time">{format_minute(from_datetime(a.since))}</td>
                        <td class="time">{until}</td>
                        <td class="num">{alert_value(&a)}</td>
                        <td class="num">{alert_duration(&a, w)}</td>
                    </tr>
                }
            })
            .collect_view()
    };

    let rule_rows = move || {
        rules()
            .into_iter()
            .map(|r| {
                let (class, word) = rule_state_badge(&r);
                view! {
                    <tr data-metric=r.metric.as_str() data-level=r.level.as_str()>
                        <th scope="row">{r.rule.clone()}</th>
                        <td><span class=level_class(r.level)>{r.level.as_str()}</span></td>
                        <td><span class=class>{word}</span></td>
                        <td class="num">{format_metric_value(r.metric, r.value_now)}</td>
                    </tr>
                }
            })
            .collect_view()
    };

    view! {
        <section class="panel alerts-timeline" data-testid="alerts-timeline">
            <h2>"Alerts"</h2>
            {move || {
                if window().is_none() {
                    view! {
                        <p class="empty-state">
                            "No time range: the data has no events in it, so no alert rule was evaluated."
                        </p>
                    }
                        .into_any()
                } else if alerts().is_empty() {
                    view! {
                        <p class="empty-state" data-testid="alerts-empty">
                            <span class="status status-ok">"none"</span>
                            " No alert fired in this window."
                        </p>
                    }
                        .into_any()
                } else {
                    view! {
                        <p class="panel-summary">{summary}</p>
                        <div class="table-scroll">
                            <table class="alerts-table">
                                <caption class="visually-hidden">"Alerts of the window, newest first"</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Level"</th>
                                        <th scope="col">"Metric"</th>
                                        <th scope="col">"Threshold"</th>
                                        <th scope="col">"Since"</th>
                                        <th scope="col">"Until"</th>
                                        <th scope="col" class="num">"Worst"</th>
                                        <th scope="col" class="num">"Duration"</th>
                                    </tr>
                                </thead>
                                <tbody>{alert_rows}</tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
            <details class="rule-states" open>
                <summary>"Each rule now"</summary>
                <ShowIf
                    when=move || !rules().is_empty()
                    fallback=|| view! { <p class="empty-state">"No rule was evaluated: there is no time range."</p> }
                >
                    <div class="table-scroll">
                        <table class="rules-table compact">
                            <thead>
                                <tr>
                                    <th scope="col">"Rule"</th>
                                    <th scope="col">"Level"</th>
                                    <th scope="col">"State"</th>
                                    <th scope="col" class="num">"Value now"</th>
                                </tr>
                            </thead>
                            <tbody>{rule_rows}</tbody>
                        </table>
                    </div>
                </ShowIf>
            </details>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canary_core::time::to_datetime;

    const M: Micros = MICROS_PER_MINUTE;

    fn alert(metric: MetricId, level: Level, threshold: Option<f64>, worst: f64) -> Alert {
        Alert {
            metric,
            level,
            threshold,
            since: to_datetime(10 * M),
            until: Some(to_datetime(25 * M)),
            worst_value: worst,
        }
    }

    fn check(a: Alert, condition: &str, value: &str) {
        let rules = vec![RuleStatus {
            metric: MetricId::P50Latency,
            level: Level::Warning,
            rule: "P50 latency > 400 ms for 5 min".to_owned(),
            state: RuleState::Normal,
            value_now: Some(200.0),
        }];
        assert_eq!(alert_condition(&a, &rules), condition, "{a:?}");
        assert_eq!(alert_value(&a), value, "{a:?}");
    }

    #[test]
    fn alert_text_table() {
        use Level::*;
        use MetricId::*;
        check(
            alert(P50Latency, Warning, Some(400.0), 621.757),
            "> 400 ms for 5 min",
            "621.8 ms",
        );
        // Not in the rule list: described from the threshold and direction.
        check(
            alert(CacheHitRate, Critical, Some(90.0), 76.666),
            "< 90.00 %",
            "76.67 %",
        );
        check(
            alert(ErrorRate, Emergency, Some(5.0), 13.95348),
            "> 5.00 %",
            "13.95 %",
        );
        check(
            alert(CircuitBreaker, Warning, None, 8.0),
            "left closed",
            "8 failures",
        );
        check(
            alert(CircuitBreaker, Critical, None, 8.0),
            "open",
            "8 failures",
        );
        check(
            alert(CacheStampede, Critical, Some(20.0), 40.0),
            "> 20 misses on one key in 15 min",
            "40 misses",
        );
        check(
            alert(RedisMemory, Critical, Some(80.0), 85.0),
            "> 80 % of maxmemory",
            "85.00 %",
        );
        check(
            alert(RedisMemory, Emergency, Some(0.0), 3.0),
            "evicted_keys > 0",
            "3 keys evicted",
        );
        check(
            alert(P50Latency, Warning, Some(400.0), f64::NAN),
            "> 400 ms for 5 min",
            "no data",
        );
    }

    #[test]
    fn durations() {
        for (micros, text) in [
            (-5, "0 s"),
            (0, "0 s"),
            (59 * MICROS_PER_SECOND, "59 s"),
            (M, "1 min"),
            (59 * M, "59 min"),
            (60 * M, "1 h"),
            (25 * 60 * M + 3 * M, "25 h 03 min"),
            (48 * 60 * M, "2 d 0 h"),
        ] {
            assert_eq!(format_duration(micros), text, "{micros}");
        }
        let mut a = alert(MetricId::ErrorRate, Level::Warning, Some(1.0), 2.0);
        assert_eq!(alert_duration(&a, None), "15 min");
        a.until = None;
        let w = Window::new(0, 70 * M);
        assert_eq!(alert_duration(&a, w), "1 h so far");
        assert_eq!(alert_duration(&a, Window::new(0, 5 * M)), "just now");
    }

    #[test]
    fn newest_first_orders_by_start_then_level() {
        let mut old = alert(MetricId::ErrorRate, Level::Warning, Some(1.0), 2.0);
        old.since = to_datetime(M);
        let warn = alert(MetricId::ErrorRate, Level::Warning, Some(1.0), 2.0);
        let crit = alert(MetricId::ErrorRate, Level::Critical, Some(2.0), 3.0);
        let got = newest_first(&[old.clone(), warn.clone(), crit.clone()]);
        assert_eq!(got, vec![crit, warn, old]);
    }
}
