//! Every alert of the window with level, since, until and worst value, and each rule's state now.
//!
//! Values, conditions and durations are the core's words (`canary_core::text`); the level badge
//! and the newest-first order here are shared with the status banner.

use std::sync::Arc;

use canary_core::alerts::{Alert, Level, RuleState, RuleStatus};
use canary_core::analysis::Analysis;
use canary_core::text::{alert_condition, alert_duration, alert_worst_within, metric_value_within};
use canary_core::time::{format_minute, from_datetime};
use leptos::prelude::*;

use super::show_if::ShowIf;

/// The status class of a level's badge: amber for a warning, red from critical on.
pub fn level_class(level: Level) -> &'static str {
    match level {
        Level::Warning => "status status-warn",
        Level::Critical => "status status-bad",
        Level::Emergency => "status status-bad level-emergency",
    }
}

/// The alerts, newest first (by start; the worse level first among equal starts).
pub fn newest_first(alerts: &[Alert]) -> Vec<Alert> {
    let mut sorted = alerts.to_vec();
    stdx::sort::sort_by(&mut sorted, |a, b| {
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
    let rule_table = move || analysis.get().rules.clone();
    let window = move || analysis.get().window;
    // Percentiles from the rollups carry their bound.
    let bound = move || analysis.get().metrics.window.percentile_relative_error;
    let uncertain = move || analysis.get().uncertain.clone();
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
        let rule_list = rule_table();
        let w = window();
        let bound = bound();
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
                        <td class="num">{alert_worst_within(&a, bound)}</td>
                        <td class="num">{alert_duration(&a, w)}</td>
                    </tr>
                }
            })
            .collect_view()
    };

    // Alerts that fire for some values within the percentiles' bounds and not for others.
    let uncertain_rows = move || {
        let rule_list = rule_table();
        let bound = bound();
        uncertain()
            .into_iter()
            .map(|a| {
                view! {
                    <li data-metric=a.metric.as_str() data-level=a.level.as_str()>
                        <span class=level_class(a.level)>{a.level.as_str()}</span>
                        {format!(
                            " {} {}: from {} to {}, worst {}",
                            a.metric.label(),
                            alert_condition(&a, &rule_list),
                            format_minute(from_datetime(a.since)),
                            a.until.map_or_else(|| "now".to_owned(), |t| format_minute(from_datetime(t))),
                            alert_worst_within(&a, bound),
                        )}
                    </li>
                }
            })
            .collect_view()
    };

    let rule_rows = move || {
        let bound = bound();
        rules()
            .into_iter()
            .map(|r| {
                let (class, word) = rule_state_badge(&r);
                view! {
                    <tr data-metric=r.metric.as_str() data-level=r.level.as_str()>
                        <th scope="row">{r.rule.clone()}</th>
                        <td><span class=level_class(r.level)>{r.level.as_str()}</span></td>
                        <td><span class=class>{word}</span></td>
                        <td class="num">{metric_value_within(r.metric, r.value_now, bound)}</td>
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
                        <div class="table-scroll" role="region" aria-label="Alerts in this window" tabindex="0">
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
            <ShowIf when=move || !uncertain().is_empty()>
                <div class="uncertain-alerts" data-testid="uncertain-alerts">
                    <h3>"Uncertain"</h3>
                    <p class="panel-note">
                        "These would fire for some values within the percentiles' bounds and not for others: the true percentile is too close to the threshold to say."
                    </p>
                    <ul>{uncertain_rows}</ul>
                </div>
            </ShowIf>
            <details class="rule-states" open>
                <summary>"Each rule now"</summary>
                <ShowIf
                    when=move || !rules().is_empty()
                    fallback=|| view! { <p class="empty-state">"No rule was evaluated: there is no time range."</p> }
                >
                    <div class="table-scroll" role="region" aria-label="Alert rules now" tabindex="0">
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
    use canary_core::alerts::MetricId;
    use canary_core::event::{Micros, MICROS_PER_MINUTE};
    use canary_core::time::to_datetime;

    const M: Micros = MICROS_PER_MINUTE;

    fn alert(level: Level, since: Micros) -> Alert {
        Alert {
            metric: MetricId::ErrorRate,
            level,
            threshold: Some(1.0),
            since: to_datetime(since),
            until: Some(to_datetime(25 * M)),
            worst_value: 2.0,
        }
    }

    #[test]
    fn newest_first_orders_by_start_then_level() {
        let old = alert(Level::Warning, M);
        let warn = alert(Level::Warning, 10 * M);
        let crit = alert(Level::Critical, 10 * M);
        let got = newest_first(&[old.clone(), warn.clone(), crit.clone()]);
        assert_eq!(got, vec![crit, warn, old]);
    }
}
