//! The validation checklist: scheduled checks filled from the data, ticked and annotated by a person, persisted and exportable.
//!
//! With the team's records (Supabase data, `sql/005_team_records.sql`) each tick, untick or
//! note is a record with who and when, made by approvers and read by every member; the panel
//! shows the latest per check with who made it. Otherwise (demo, files),
//! ticks and notes live in localStorage under [`keys::CHECKLIST`] as one JSON object,
//! `{"phase1.hour4": {"ticked": true, "note": "…"}, …}` ([`CheckEntries`]), saved as they are
//! typed. The Markdown export escapes everything a person typed, so a note cannot break the list
//! or inject HTML where the file is rendered.

use std::fmt;
use std::time::Duration;

use canary_core::phases::{ChecklistItem, Verdict};
use canary_core::report::{checklist_markdown, neutralise_invisible, CheckMark};
use canary_core::text::verdict_word;
use canary_core::time::format_minute;
use leptos::prelude::*;

use super::show_if::ShowIf;
use serde::de::{self, MapAccess};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use wasm_bindgen::JsCast;

use crate::storage::{self, keys, Area};
use crate::team::TeamState;
use canary_core::team::tick_item;

/// A person's tick and note on one scheduled check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckEntry {
    #[serde(default)]
    pub ticked: bool,
    #[serde(default)]
    pub note: String,
}

/// Every tick and note, by [`entry_key`]; stored as a JSON object. A vector sorted by key: what a
/// `BTreeMap<String, CheckEntry>` was (same order, same JSON both ways), without a copy of the
/// B-tree's code for this one map in the WebAssembly bundle (a few dozen entries at most).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckEntries(Vec<(String, CheckEntry)>);

impl CheckEntries {
    /// No entries.
    pub fn new() -> CheckEntries {
        CheckEntries::default()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The entry of `key`, if any.
    pub fn get(&self, key: &str) -> Option<&CheckEntry> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// The entry of `key`, added empty if there is none.
    pub fn entry(&mut self, key: String) -> &mut CheckEntry {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, CheckEntry::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Sets the entry of `key` (replacing any).
    pub fn insert(&mut self, key: String, entry: CheckEntry) {
        *self.entry(key) = entry;
    }

    /// Removes the entry of `key`, if any.
    pub fn remove(&mut self, key: &str) {
        if let Ok(i) = self.find(key) {
            self.0.remove(i);
        }
    }
}

impl Serialize for CheckEntries {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for CheckEntries {
    /// A JSON object; a key given twice keeps its last value, as `BTreeMap` did.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> de::Visitor<'de> for Entries {
            type Value = CheckEntries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CheckEntries, A::Error> {
                let mut entries = CheckEntries::new();
                while let Some((key, entry)) = map.next_entry::<String, CheckEntry>()? {
                    entries.insert(key, entry);
                }
                Ok(entries)
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// The storage key of a check: `phase1.hour4`.
pub fn entry_key(phase: u8, hour: u32) -> String {
    format!("phase{phase}.hour{hour}")
}

fn verdict_class(v: &Verdict) -> &'static str {
    match v {
        Verdict::Ok => "status status-ok",
        Verdict::Issues(_) => "status status-bad",
        Verdict::NoData | Verdict::NotDue => "status status-none",
    }
}

/// Offers `text` as a file download named `name` (Blob, object URL, a clicked `<a download>`).
fn download(name: &str, text: &str) -> Result<(), String> {
    let fail = |what: &str, e: wasm_bindgen::JsValue| format!("{what}: {e:?}");
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/markdown;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| fail("the file could not be made", e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|e| fail("the file could not be offered", e))?;
    let anchor: web_sys::HtmlAnchorElement = document()
        .create_element("a")
        .map_err(|e| fail("the download link could not be made", e))?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    // Give the browser time to start the download before the URL is released.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        Duration::from_secs(30),
    );
    Ok(())
}

/// The validation checklist: scheduled checks filled from the data, ticked and annotated by a person, persisted and exportable.
#[component]
pub fn Checklist(
    /// The scheduled checks with their data verdicts.
    #[prop(into)]
    items: Signal<Vec<ChecklistItem>>,
    /// The phase the checks belong to.
    #[prop(into)]
    phase: Signal<u8>,
) -> impl IntoView {
    let entries = RwSignal::new(
        storage::load::<CheckEntries>(Area::Local, keys::CHECKLIST).unwrap_or_default(),
    );
    let save_error = RwSignal::new(None::<String>);
    let export_error = RwSignal::new(None::<String>);
    // With the team's records, the ticks are the team's (each one a record with who and when;
    // approvers tick, viewers read); otherwise this browser's drafts.
    let team = use_context::<TeamState>();
    let records = move || team.and_then(|t| t.records.get());
    let read_only = move || team.is_some_and(|t| t.shared() && !t.is_approver());
    let shared_tick = move |hour: u32| {
        let item = tick_item(hour);
        records().and_then(|r| r.ticks.iter().find(|t| t.item == item).cloned())
    };
    let on_tick_error = Callback::new(move |e: Option<String>| save_error.set(e));
    let edit = move |key: String, f: &dyn Fn(&mut CheckEntry)| {
        entries.update(|all| {
            let entry = all.entry(key.clone());
            f(entry);
            if *entry == CheckEntry::default() {
                all.remove(&key);
            }
        });
        let result = entries.with_untracked(|all| storage::save(Area::Local, keys::CHECKLIST, all));
        save_error.set(result.err().map(|e| e.to_string()));
    };
    let export = move || {
        let n = phase.get_untracked();
        let shared = untrack(records);
        let md = items.with_untracked(|list| {
            entries.with_untracked(|e| {
                let mark = |hour| match &shared {
                    Some(r) => r
                        .ticks
                        .iter()
                        .find(|t| t.item == tick_item(hour))
                        .map_or_else(CheckMark::default, |t| CheckMark {
                            ticked: t.ticked,
                            note: &t.note,
                        }),
                    None => e
                        .get(&entry_key(n, hour))
                        .map_or_else(CheckMark::default, |entry| CheckMark {
                            ticked: entry.ticked,
                            note: &entry.note,
                        }),
                };
                checklist_markdown(n, list, mark, crate::clock::now())
            })
        });
        export_error.set(download(&format!("canary-phase-{n}-checklist.md"), &md).err());
    };

    let ticked_count = move || {
        let n = phase.get();
        if records().is_some() {
            return items
                .get()
                .iter()
                .filter(|i| shared_tick(i.hour).is_some_and(|t| t.ticked))
                .count();
        }
        entries.with(|e| {
            items
                .get()
                .iter()
                .filter(|i| e.get(&entry_key(n, i.hour)).is_some_and(|x| x.ticked))
                .count()
        })
    };

    // One row per check, kept while its check is unchanged (a recomputation elsewhere on the
    // page does not rebuild the row being typed in).
    let keyed_items = move || {
        let n = phase.get();
        items.get().into_iter().map(|i| (n, i)).collect::<Vec<_>>()
    };
    let row = move |(n, item): (u8, ChecklistItem)| {
        let key = entry_key(n, item.hour);
        let key_tick = key.clone();
        let key_note = key.clone();
        let key_note_read = key.clone();
        let hour = item.hour;
        let ticked = move || match records() {
            Some(_) => shared_tick(hour).is_some_and(|t| t.ticked),
            None => entries.with(|e| e.get(&key).is_some_and(|x| x.ticked)),
        };
        let note = move || match records() {
            Some(_) => shared_tick(hour).map(|t| t.note).unwrap_or_default(),
            None => entries.with(|e| {
                e.get(&key_note_read)
                    .map(|x| x.note.clone())
                    .unwrap_or_default()
            }),
        };
        // Who ticked it, with the team's records.
        let by = move || {
            shared_tick(hour).map(|t| {
                format!(
                    "{} by {} at {}",
                    if t.ticked { "Ticked" } else { "Unticked" },
                    t.ticked_by_email.as_deref().unwrap_or("a team member"),
                    format_minute(t.ticked_at)
                )
            })
        };
        // The note as typed: a click on the tick may come before the note's own record is read
        // back, and the tick must carry it.
        let note_shared = note.clone();
        let typed_note = StoredValue::new(None::<String>);
        let ticked_class = ticked.clone();
        // A printout shows the note as text (the form control is not printed).
        let note_text = note.clone();
        let issues = match &item.data_verdict {
            Verdict::Issues(list) => Some(view! {
                <ul class="check-issues">
                    {list.iter().map(|s| view! { <li>{neutralise_invisible(s)}</li> }).collect_view()}
                </ul>
            }),
            _ => None,
        };
        view! {
            <li class="check-item" class:ticked=ticked_class data-hour=item.hour>
                <div class="check-head">
                    <label class="check">
                        <input
                            type="checkbox"
                            data-testid="check-tick"
                            prop:checked=ticked
                            disabled=read_only
                            on:change=move |ev| {
                                let v = event_target_checked(&ev);
                                match (team, records()) {
                                    (Some(team), Some(_)) => {
                                        let note = typed_note.get_value().unwrap_or_else(&note_shared);
                                        team.tick(n, tick_item(hour), v, note, on_tick_error)
                                    }
                                    _ => edit(key_tick.clone(), &|e| e.ticked = v),
                                }
                            }
                        />
                        <span class="check-label">{item.label.clone()}</span>
                    </label>
                    <span
                        class=verdict_class(&item.data_verdict)
                        title="What the data of the hour before the check says"
                    >
                        {verdict_word(&item.data_verdict)}
                    </span>
                    <span class="check-due">{format!("due {}", format_minute(item.due))}</span>
                </div>
                {issues}
                {move || by().map(|text| view! { <p class="check-by" data-testid="check-by">{text}</p> })}
                <label class="check-note">
                    <span class="visually-hidden">{format!("Note on hour {}", item.hour)}</span>
                    <textarea
                        rows="1"
                        data-testid="check-note"
                        placeholder="Note: what you looked at, who, anything odd"
                        prop:value=note
                        disabled=read_only
                        on:input=move |ev| {
                            // A shared note is recorded once, when the field is left.
                            let v = event_target_value(&ev);
                            if records().is_none() {
                                edit(key_note.clone(), &|e| e.note = v.clone());
                            } else {
                                typed_note.set_value(Some(v));
                            }
                        }
                        on:change=move |ev| {
                            if let (Some(team), Some(_)) = (team, records()) {
                                let ticked = shared_tick(hour).is_some_and(|t| t.ticked);
                                team.tick(n, tick_item(hour), ticked, event_target_value(&ev), on_tick_error);
                            }
                        }
                    ></textarea>
                </label>
                <p class="print-only check-note-text">{note_text}</p>
            </li>
        }
    };

    view! {
        <section class="panel checklist" data-testid="checklist">
            <h2>{move || format!("Phase {} validation checklist", phase.get())}</h2>
            <ShowIf
                when=move || !items.get().is_empty()
                fallback=move || view! {
                    <p class="empty-state" data-testid="checklist-empty">
                        {format!(
                            "Phase {} has no scheduled check yet: it has not started and the data gives no start. Set its start in the phase panel.",
                            phase.get()
                        )}
                    </p>
                }
            >
                <div class="checklist-bar">
                    <span class="panel-summary">
                        {move || format!(
                            "{} of {} checks ticked{}",
                            ticked_count(),
                            items.get().len(),
                            match (records().is_some(), read_only()) {
                                (false, _) => "",
                                (true, false) => ", shared with the team",
                                (true, true) => ", by the team's approvers",
                            }
                        )}
                    </span>
                    <button type="button" data-testid="checklist-export" on:click=move |_| export()>
                        "Export Markdown"
                    </button>
                </div>
                <ol class="check-items">
                    <For
                        each=keyed_items
                        key=|(n, i)| (*n, i.hour, i.due, format!("{:?}", i.data_verdict))
                        children=row
                    />
                </ol>
            </ShowIf>
            {move || save_error.get().map(|e| view! { <p class="field-error" role="alert">{format!("Not saved: {e}")}</p> })}
            {move || export_error.get().map(|e| view! { <p class="field-error" role="alert">{format!("Export failed: {e}")}</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_json() {
        let mut entries = CheckEntries::new();
        entries.insert(
            entry_key(3, 48),
            CheckEntry {
                ticked: true,
                note: "ok".into(),
            },
        );
        let text = serde_json::to_string(&entries).unwrap();
        assert_eq!(text, r#"{"phase3.hour48":{"ticked":true,"note":"ok"}}"#);
        let back: CheckEntries = serde_json::from_str(&text).unwrap();
        assert_eq!(back, entries);
        // An entry saved without a note (older data) still reads.
        let old: CheckEntries =
            serde_json::from_str(r#"{"phase1.hour1":{"ticked":true}}"#).unwrap();
        assert!(old.get("phase1.hour1").unwrap().ticked);
    }

    #[test]
    fn entries_read_and_write_as_a_btree_map_did() {
        use std::collections::BTreeMap;
        let text = r#"{"phase1.hour9":{"ticked":true},"phase1.hour10":{"note":"b"},"phase1.hour9":{"note":"again"},"a":{}}"#;
        let ours: CheckEntries = serde_json::from_str(text).unwrap();
        let map: BTreeMap<String, CheckEntry> = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&map).unwrap()
        );
        for (key, entry) in &map {
            assert_eq!(ours.get(key), Some(entry));
        }
        assert_eq!(ours.get("phase1.hour1"), None);
        // Not an object: refused, as before.
        assert!(serde_json::from_str::<CheckEntries>("[]").is_err());
        // Added, changed and removed in key order.
        let mut entries = CheckEntries::new();
        entries.entry("b".into()).ticked = true;
        entries.insert("a".into(), CheckEntry::default());
        entries.entry("b".into()).note = "n".into();
        entries.remove("a");
        entries.remove("zz");
        assert_eq!(
            serde_json::to_string(&entries).unwrap(),
            r#"{"b":{"ticked":true,"note":"n"}}"#
        );
    }
}
