//! The verdict now: status word, firing alerts and the escalation instruction.

use std::sync::Arc;

use canary_core::alerts::{Status, VerdictNow};
use canary_core::time::{format_minute, from_datetime};
use leptos::prelude::*;

use super::show_if::ShowIf;

use super::alerts_timeline::{level_class, newest_first};
use canary_core::analysis::Analysis;
use canary_core::text::{alert_worst_within, too_few_at_end, Escalation};

/// The guide's mark of a status (its status email uses ✅, ⚠️ and 🚨).
pub fn status_mark(status: Status) -> &'static str {
    match status {
        Status::OnTrack => "✅",
        Status::IssuesDetected => "⚠️",
        Status::RollbackRequired => "🚨",
    }
}

/// The status colour class: green, amber, red.
pub fn status_class(status: Status) -> &'static str {
    match status {
        Status::OnTrack => "status-ok",
        Status::IssuesDetected => "status-warn",
        Status::RollbackRequired => "status-bad",
    }
}

/// The verdict now, or why there is none: the mark, the class and the word of the banner.
fn verdict_face(v: VerdictNow) -> (&'static str, &'static str, &'static str) {
    match v {
        VerdictNow::Status(s) => (status_mark(s), status_class(s), s.label()),
        VerdictNow::NoEvents | VerdictNow::TooFewAtEnd => ("⏸️", "status-none", "No Data"),
    }
}

/// Why the window has no verdict, in words; `None` when it has one.
fn no_verdict_reason(a: &Analysis) -> Option<String> {
    match a.evaluation.verdict_now(a.metrics.window.events) {
        VerdictNow::Status(_) => None,
        VerdictNow::NoEvents => Some("No events in this window: no verdict.".to_owned()),
        VerdictNow::TooFewAtEnd => {
            // The window's end is exclusive: its last instant is the one judged.
            let end = a
                .window
                .map(|w| format_minute(w.to - 1))
                .unwrap_or_default();
            Some(format!("No Data: {}; no verdict.", too_few_at_end(&end)))
        }
    }
}

/// The verdict now: status word, firing alerts and the escalation instruction; "No Data" with
/// the reason when the window's end has too few events for any rule to judge.
#[component]
pub fn StatusBanner(
    /// The window's analysis (only this panel's part is read).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
) -> impl IntoView {
    // The verdict now (highest level firing, or why there is none), the alerts firing at the
    // end of the window and the worst status reached anywhere in it, read through the one
    // analysis signal.
    let verdict = move || {
        let a = analysis.get();
        a.evaluation.verdict_now(a.metrics.window.events)
    };
    let status = move || analysis.get().evaluation.status_now;
    let face = move || verdict_face(verdict());
    let firing = move || analysis.get().firing();
    let status_in_window = move || analysis.get().evaluation.status_in_window;
    let worst_level = move || firing().iter().map(|a| a.level).max();
    let banner_class = move || format!("panel status-banner {}", face().1);
    let firing_list = move || {
        let bound = analysis.get().metrics.window.percentile_relative_error;
        newest_first(&firing())
            .into_iter()
            .map(|a| {
                view! {
                    <li data-metric=a.metric.as_str() data-level=a.level.as_str()>
                        <span class=level_class(a.level)>{a.level.as_str()}</span>
                        " "
                        <strong>{a.metric.label()}</strong>
                        {format!(
                            " since {}, worst {}",
                            format_minute(from_datetime(a.since)),
                            alert_worst_within(&a, bound),
                        )}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section
            class=banner_class
            data-testid="status-banner"
            role="status"
            aria-live="polite"
            aria-atomic="true"
        >
            <h2 class="status-word" data-testid="status-word">
                <span class="visually-hidden">"Status: "</span>
                <span class="status-mark" aria-hidden="true">{move || face().0}</span>
                " "
                <span data-status=move || match verdict() {
                    VerdictNow::Status(s) => format!("{s:?}"),
                    _ => "NoData".to_owned(),
                }>{move || face().2}</span>
            </h2>
            <p class="escalation" data-testid="escalation">{move || {
                no_verdict_reason(&analysis.get())
                    .unwrap_or_else(|| Escalation::of(worst_level()).sentence())
            }}</p>
            <ShowIf
                when=move || !firing().is_empty()
                fallback=|| view! { <p class="firing-none">"No alert is firing now."</p> }
            >
                <div class="firing">
                    <h3>{move || match firing().len() {
                        1 => "1 alert firing now".to_owned(),
                        n => format!("{n} alerts firing now"),
                    }}</h3>
                    <ul class="firing-list">{firing_list}</ul>
                </div>
            </ShowIf>
            <ShowIf when=move || status_in_window() != status()>
                <p class="worst-in-window" data-testid="worst-in-window">
                    "Worst in this window: "
                    <span class=move || format!("status {}", status_class(status_in_window()))>
                        {move || format!("{} {}", status_mark(status_in_window()), status_in_window().label())}
                    </span>
                    " (see the alerts below; the daily report uses this status)"
                </p>
            </ShowIf>
        </section>
    }
}
