//! Pasted `redis-cli INFO` output judged: memory share of maxmemory, evictions, ops/s, clients.

use std::sync::Arc;
use std::time::Duration;

use canary_core::alerts::Level;
use canary_core::redis::{RedisHealth, OPS_PER_SEC_BASELINE, TYPICAL_CLIENTS};
use canary_core::report::neutralise_invisible;
use canary_core::summary::format_pct;
use leptos::prelude::*;

use crate::effect::effect;
use canary_core::analysis::Analysis;

use super::show_if::ShowIf;

use super::alerts_timeline::level_class;

/// How long typing pauses before the text is judged (a paste is judged at once after it).
const SETTLE: Duration = Duration::from_millis(300);

/// A badge: class and word.
type Badge = (&'static str, &'static str);

fn level_badge(level: Option<Level>, judged: bool) -> Badge {
    match (level, judged) {
        (Some(l), _) => (level_class(l), l.as_str()),
        (None, true) => ("status status-ok", "ok"),
        (None, false) => ("status status-none", "not judged"),
    }
}

/// The rows of the panel: what, value, badge.
pub fn redis_rows(h: &RedisHealth) -> Vec<(&'static str, String, Badge)> {
    let (low, high) = TYPICAL_CLIENTS;
    vec![
        (
            "Memory of maxmemory",
            match h.memory_pct {
                Some(p) => format_pct(Some(p)),
                None => "no maxmemory set".to_owned(),
            },
            level_badge(h.memory_level, h.memory_pct.is_some()),
        ),
        (
            "Evicted keys",
            h.evicted_keys
                .map_or("not in the text".to_owned(), |n| n.to_string()),
            level_badge(h.evictions_level, h.evicted_keys.is_some()),
        ),
        (
            "Ops per second",
            h.instantaneous_ops_per_sec
                .map_or("not in the text".to_owned(), |n| {
                    format!("{n} (baseline < {OPS_PER_SEC_BASELINE})")
                }),
            match h.instantaneous_ops_per_sec {
                Some(n) if n > OPS_PER_SEC_BASELINE => ("status status-warn", "above baseline"),
                Some(_) => ("status status-ok", "ok"),
                None => ("status status-none", "not judged"),
            },
        ),
        (
            "Connected clients",
            h.connected_clients
                .map_or("not in the text".to_owned(), |n| {
                    format!("{n} (typical {low}–{high})")
                }),
            match h.connected_clients {
                Some(n) if !(low..=high).contains(&n) => ("status status-warn", "unusual"),
                Some(_) => ("status status-ok", "ok"),
                None => ("status status-none", "not judged"),
            },
        ),
    ]
}

/// Pasted `redis-cli INFO` output judged: memory share of maxmemory, evictions, ops/s, clients.
#[component]
pub fn RedisPanel(
    /// The pasted INFO text.
    #[prop(into)]
    text: Signal<String>,
    /// The window's analysis (its assessment of the text, or why it could not be read).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
    /// Called with new INFO text.
    on_text: Callback<String>,
) -> impl IntoView {
    // What the textarea shows; handed on once typing settles (judging recomputes the alerts).
    let draft = RwSignal::new(text.get_untracked());
    let edits = StoredValue::new(0u64);
    effect(move || {
        // A change from outside (another tab's text at start-up, a clear) shows here.
        let t = text.get();
        if t != draft.get_untracked() && edits.get_value() == 0 {
            draft.set(t);
        }
    });
    let on_input = move |value: String| {
        draft.set(value);
        edits.update_value(|n| *n += 1);
        let mine = edits.get_value();
        set_timeout(
            move || {
                if edits.try_get_value() == Some(mine) {
                    edits.set_value(0);
                    on_text.run(draft.get_untracked());
                }
            },
            SETTLE,
        );
    };
    let clear = move || {
        draft.set(String::new());
        edits.set_value(0);
        on_text.run(String::new());
    };

    let result = move || {
        match analysis.get().redis.clone() {
        Err(message) => view! {
            <div class="field-error parse-error" role="alert" data-testid="redis-error">
                <p>"The text could not be read:"</p>
                <pre>{message}</pre>
            </div>
        }
        .into_any(),
        Ok(None) => view! {
            <p class="empty-state" data-testid="redis-empty">
                "Nothing pasted yet. Run "
                <code>"redis-cli INFO"</code>
                " (or "
                <code>"fly redis info"</code>
                ") and paste its output above: memory, evictions, ops/s and clients are judged by the guide's levels (memory above 70 % warning, 80 % critical, 90 % or any eviction emergency)."
            </p>
        }
        .into_any(),
        Ok(Some(h)) => {
            let (overall_class, overall_word) = match h.level {
                Some(l) => (level_class(l), l.as_str()),
                None => ("status status-ok", "ok"),
            };
            let rows = redis_rows(&h)
                .into_iter()
                .map(|(what, value, (class, word))| {
                    view! {
                        <tr>
                            <th scope="row">{what}</th>
                            <td class="num">{value}</td>
                            <td><span class=class>{word}</span></td>
                        </tr>
                    }
                })
                .collect_view();
            let notes = h.notes.clone();
            view! {
                <p class="verdict-line" data-testid="redis-level">
                    "Redis: "
                    <span class=overall_class>{overall_word}</span>
                </p>
                <table class="redis-table">
                    <thead>
                        <tr>
                            <th scope="col">"Metric"</th>
                            <th scope="col" class="num">"Value"</th>
                            <th scope="col">"Level"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
                <ShowIf when={
                    let empty = notes.is_empty();
                    move || !empty
                }>
                    <ul class="notes">
                        {notes.iter().map(|n| view! { <li>{neutralise_invisible(n)}</li> }).collect_view()}
                    </ul>
                </ShowIf>
            }
            .into_any()
        }
    }
    };

    view! {
        <section class="panel redis-panel" data-testid="redis-panel">
            <h2>"Redis health"</h2>
            <label class="field">
                <span class="field-label">"Output of redis-cli INFO (memory and stats sections)"</span>
                <textarea
                    rows="5"
                    spellcheck="false"
                    autocomplete="off"
                    data-testid="redis-input"
                    placeholder="Paste here, e.g.\n# Memory\nused_memory:850000000\nmaxmemory:1000000000\n# Stats\nevicted_keys:0"
                    prop:value=move || draft.get()
                    on:input=move |ev| on_input(event_target_value(&ev))
                ></textarea>
            </label>
            <div class="form-buttons">
                <button
                    type="button"
                    on:click=move |_| clear()
                    disabled=move || draft.get().is_empty()
                >
                    "Clear"
                </button>
                <span class="panel-note">"Kept on this device; nothing is sent anywhere."</span>
            </div>
            {result}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canary_core::redis::{assess, parse_info};

    fn check(info: &str, expected: &[(&str, &str)]) {
        let h = assess(&parse_info(info).unwrap());
        let got: Vec<(String, String)> = redis_rows(&h)
            .into_iter()
            .map(|(_, v, (_, word))| (v, word.to_owned()))
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(v, w)| ((*v).to_owned(), (*w).to_owned()))
            .collect();
        assert_eq!(got, expected, "{info}");
    }

    #[test]
    fn redis_rows_table() {
        check(
            "used_memory:850\nmaxmemory:1000\nevicted_keys:0\n",
            &[
                ("85.00 %", "critical"),
                ("0", "ok"),
                ("not in the text", "not judged"),
                ("not in the text", "not judged"),
            ],
        );
        check(
            "used_memory:10\nmaxmemory:0\nevicted_keys:3\ninstantaneous_ops_per_sec:1500\nconnected_clients:12\n",
            &[
                ("no maxmemory set", "not judged"),
                ("3", "emergency"),
                ("1500 (baseline < 1000)", "above baseline"),
                ("12 (typical 5–20)", "ok"),
            ],
        );
        check(
            "used_memory:100\nmaxmemory:1000\nevicted_keys:0\ninstantaneous_ops_per_sec:5\nconnected_clients:2\n",
            &[
                ("10.00 %", "ok"),
                ("0", "ok"),
                ("5 (baseline < 1000)", "ok"),
                ("2 (typical 5–20)", "unusual"),
            ],
        );
    }
}
