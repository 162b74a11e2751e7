//! The phase: traffic, configuration flags, start, elapsed, target end, next check; definitions editable.

use canary_core::event::MICROS_PER_HOUR;
use canary_core::phases::{default_phases, PhaseAssessment, PhaseConfig, PhaseDefinition};
use canary_core::time::{format_minute, format_rfc3339, parse_timestamp};
use canary_core::Micros;
use leptos::prelude::*;
use stdx::decimal::parse_f64;

use crate::effect::effect;
use crate::team::TeamState;
use canary_core::team::latest_signoff;

use super::exact_read_note::ReadRowsButton;
use super::show_if::ShowIf;
use std::sync::Arc;

use canary_core::text::format_duration;

/// The words of a phase without an assessment: no start, and no events to take one from.
const NO_PHASE_START: &str = "No schedule: this phase has no start and the data has no events to take one from. Set its start under “Edit phases”.";

/// The longest phase the form accepts, in hours (a year).
pub const MAX_DURATION_HOURS: f64 = 8760.0;

/// The edit form's fields, as typed.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PhaseForm {
    /// Start in UTC, RFC 3339 (`2025-10-16T18:35:00Z`); empty: no fixed start (the data's first
    /// event).
    pub start: String,
    /// Duration in hours.
    pub duration_hours: String,
    /// Share of traffic on the canary, in percent.
    pub traffic_pct: String,
    /// `CANARY_SAMPLE_RATE`, 0 to 1.
    pub sample_rate: String,
    /// `FAST_PATH_ENABLED`.
    pub fast_path: bool,
    /// `MEM0_READS_ENABLED`.
    pub mem0_reads: bool,
    /// `MEM0_SHADOW_MODE`.
    pub mem0_shadow: bool,
}

/// A number without a needless fraction: `24`, `0.1`, `12.5`.
fn plain_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

impl PhaseForm {
    /// The form filled with a phase's definition.
    pub fn of(def: &PhaseDefinition) -> PhaseForm {
        PhaseForm {
            start: def.start.map(format_rfc3339).unwrap_or_default(),
            duration_hours: plain_number(def.duration as f64 / MICROS_PER_HOUR as f64),
            traffic_pct: plain_number(def.traffic_pct),
            sample_rate: plain_number(def.config.canary_sample_rate),
            fast_path: def.config.fast_path_enabled,
            mem0_reads: def.config.mem0_reads_enabled,
            mem0_shadow: def.config.mem0_shadow_mode,
        }
    }
}

/// A finite number typed in a field, within `[min, max]` (`min` excluded when `min_open`).
fn number_in(
    field: &str,
    text: &str,
    min: f64,
    min_open: bool,
    max: f64,
    errors: &mut Vec<String>,
) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        errors.push(format!("{field}: enter a number."));
        return None;
    }
    // `parse_f64` also takes "NaN", "inf" and "1e3"; only plain decimals are accepted.
    let plain = text
        .strip_prefix('-')
        .unwrap_or(text)
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.');
    let value = parse_f64(text).filter(|v| plain && v.is_finite());
    let Some(v) = value else {
        errors.push(format!("{field}: {text:?} is not a number."));
        return None;
    };
    let low_ok = if min_open { v > min } else { v >= min };
    if !low_ok || v > max {
        let low = if min_open { "more than" } else { "at least" };
        errors.push(format!(
            "{field}: must be {low} {} and at most {} (got {}).",
            plain_number(min),
            plain_number(max),
            plain_number(v)
        ));
        return None;
    }
    Some(v)
}

/// Applies the form to phase `number` of `phases`. Every field is checked; on any error nothing
/// changes and every message is returned (one per field). A start must not come before the
/// previous phase's start nor after the next phase's.
pub fn apply_form(
    form: &PhaseForm,
    phases: &[PhaseDefinition],
    number: u8,
) -> Result<Vec<PhaseDefinition>, Vec<String>> {
    let mut errors = Vec::new();
    let Some(index) = phases.iter().position(|p| p.number == number) else {
        return Err(vec![format!("Phase {number} does not exist.")]);
    };
    let start_text = form.start.trim();
    let start = if start_text.is_empty() {
        None
    } else {
        match parse_timestamp(start_text) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(format!(
                    "Start: {e}. Use UTC in RFC 3339, e.g. 2025-10-16T18:35:00Z, or leave it empty to start at the data's first event."
                ));
                None
            }
        }
    };
    let hours = number_in(
        "Duration (hours)",
        &form.duration_hours,
        0.0,
        true,
        MAX_DURATION_HOURS,
        &mut errors,
    );
    let traffic = number_in(
        "Traffic (%)",
        &form.traffic_pct,
        0.0,
        true,
        100.0,
        &mut errors,
    );
    let rate = number_in(
        "CANARY_SAMPLE_RATE",
        &form.sample_rate,
        0.0,
        false,
        1.0,
        &mut errors,
    );
    if let Some(start) = start {
        let neighbour =
            |i: Option<usize>| i.and_then(|i| phases.get(i)).filter(|p| p.number != number);
        if let Some(prev) = neighbour(index.checked_sub(1)) {
            if let Some(prev_start) = prev.start.filter(|&s| start < s) {
                errors.push(format!(
                    "Start: Phase {number} cannot start before Phase {} ({}).",
                    prev.number,
                    format_minute(prev_start)
                ));
            }
        }
        if let Some(next) = neighbour(Some(index + 1)) {
            if let Some(next_start) = next.start.filter(|&s| start > s) {
                errors.push(format!(
                    "Start: Phase {number} cannot start after Phase {} ({}).",
                    next.number,
                    format_minute(next_start)
                ));
            }
        }
    }
    match (hours, traffic, rate) {
        (Some(hours), Some(traffic_pct), Some(canary_sample_rate)) if errors.is_empty() => {
            let mut out = phases.to_vec();
            let def = &mut out[index];
            def.start = start;
            def.duration = (hours * MICROS_PER_HOUR as f64).round() as Micros;
            def.traffic_pct = traffic_pct;
            def.config = PhaseConfig {
                fast_path_enabled: form.fast_path,
                canary_sample_rate,
                mem0_reads_enabled: form.mem0_reads,
                mem0_shadow_mode: form.mem0_shadow,
            };
            Ok(out)
        }
        _ => Err(errors),
    }
}

fn flag(v: bool) -> &'static str {
    if v {
        "true"
    } else {
        "false"
    }
}

/// The phase: traffic, configuration flags, start, elapsed, target end, next check; definitions editable.
#[component]
pub fn PhasePanel(
    /// All phase definitions (editable).
    #[prop(into)]
    phases: Signal<Vec<PhaseDefinition>>,
    /// The phase being watched.
    #[prop(into)]
    selected: Signal<u8>,
    /// The selected phase assessed as of now.
    #[prop(into)]
    assessment: Signal<Option<Arc<PhaseAssessment>>>,
    /// The current time.
    #[prop(into)]
    now: Signal<Micros>,
    /// Called with the edited definitions.
    on_phases_change: Callback<Vec<PhaseDefinition>>,
    /// Called when another phase is picked.
    on_select: Callback<u8>,
    /// Why there is no assessment when it is not a missing start: words shown with a button
    /// that reads the rows (the rollups read are not the phase's window).
    unassessed: Option<&'static str>,
) -> impl IntoView {
    let definition = move || {
        phases
            .get()
            .into_iter()
            .find(|p| p.number == selected.get())
    };
    // With the team's records: the phase's standing decision, and who set its shared settings.
    let team = use_context::<TeamState>();
    let approval = move || {
        let records = team?.records.get()?;
        let n = selected.get();
        latest_signoff(&records.signoffs, n).map(|r| r.headline(&phases.get()))
    };
    let shared_setting = move || {
        let records = team?.records.get()?;
        let n = selected.get();
        records.settings.iter().find(|s| s.phase == n).map(|s| {
            let by = s
                .updated_by_email
                .as_deref()
                .map_or_else(String::new, |e| format!(" by {e}"));
            format!(
                "Phase {n} is shared by the team (set{by} at {}): its start, length and traffic come from the project, for everyone; an approver changes them there (README: \"Rollouts and sign-offs\"), edits here do not override them.",
                format_minute(s.updated_at)
            )
        })
    };
    let form = RwSignal::new(PhaseForm::default());
    let errors = RwSignal::new(Vec::<String>::new());
    let saved = RwSignal::new(None::<String>);
    // The form follows the selected phase and any saved change (not the user's typing).
    effect(move || {
        if let Some(def) = definition() {
            form.set(PhaseForm::of(&def));
        }
        errors.set(Vec::new());
    });

    let save = move || {
        let number = selected.get_untracked();
        match apply_form(&form.get_untracked(), &phases.get_untracked(), number) {
            Ok(new_phases) => {
                errors.set(Vec::new());
                on_phases_change.run(new_phases);
                saved.set(Some(format!("Phase {number} saved on this device.")));
            }
            Err(e) => {
                saved.set(None);
                errors.set(e);
            }
        }
    };
    let reset = move || {
        errors.set(Vec::new());
        on_phases_change.run(default_phases());
        saved.set(Some("All phases reset to the guide's defaults.".to_owned()));
    };

    let picker = move || {
        phases
            .get()
            .into_iter()
            .map(|p| {
                let number = p.number;
                let pressed = move || selected.get() == number;
                view! {
                    <button
                        type="button"
                        class="phase-choice"
                        class:active=pressed
                        aria-pressed=move || pressed().to_string()
                        on:click=move |_| on_select.run(number)
                    >
                        {format!("Phase {number}")}
                        <span class="phase-choice-name">{p.name.clone()}</span>
                    </button>
                }
            })
            .collect_view()
    };

    let schedule = move || {
        let Some(a) = assessment.get() else {
            return view! {
                <p class="empty-state" data-testid="phase-unassessed">
                    {unassessed.unwrap_or(NO_PHASE_START)}
                </p>
                {unassessed.map(|_| view! { <ReadRowsButton /> })}
            }
            .into_any();
        };
        let not_started = definition().is_some_and(|d| d.start.is_none());
        let now = now.get();
        let w = a.window;
        let started = if not_started {
            format!(
                "not set: measured from the first event, {}",
                format_minute(w.from)
            )
        } else {
            format_minute(w.from)
        };
        let (elapsed, remaining) = if now < w.from {
            (
                format!("not started (starts in {})", format_duration(w.from - now)),
                format_duration(a.definition.duration),
            )
        } else {
            (
                format!(
                    "{} of {}",
                    format_duration(a.elapsed),
                    format_duration(a.definition.duration)
                ),
                if a.remaining == 0 {
                    "0: the phase is over".to_owned()
                } else {
                    format_duration(a.remaining)
                },
            )
        };
        let next = match a.next_check {
            Some(t) => format!("{} (in {})", format_minute(t), format_duration(t - now)),
            None => "none left: all checks are due".to_owned(),
        };
        let progress = if a.definition.duration > 0 {
            (a.elapsed as f64 / a.definition.duration as f64 * 100.0).clamp(0.0, 100.0)
        } else {
            0.0
        };
        view! {
            <dl class="facts">
                <dt>"Started"</dt>
                <dd>{started}</dd>
                <dt>"Elapsed"</dt>
                <dd>
                    {elapsed}
                    <progress
                        class="phase-progress"
                        max="100"
                        value=format!("{progress:.1}")
                        aria-label="Share of the phase elapsed"
                    ></progress>
                </dd>
                <dt>"Remaining"</dt>
                <dd>{remaining}</dd>
                <dt>"Target end"</dt>
                <dd>{format_minute(w.to)}</dd>
                <dt>"Next check"</dt>
                <dd data-testid="next-check">{next}</dd>
            </dl>
        }
        .into_any()
    };

    let overview = move || {
        let Some(def) = definition() else {
            return view! { <p class="empty-state">"This phase is not defined. Reset the phases to the guide's defaults."</p> }
                .into_any();
        };
        let c = &def.config;
        let flags = [
            format!("FAST_PATH_ENABLED={}", flag(c.fast_path_enabled)),
            format!("CANARY_SAMPLE_RATE={}", plain_number(c.canary_sample_rate)),
            format!("MEM0_READS_ENABLED={}", flag(c.mem0_reads_enabled)),
            format!("MEM0_SHADOW_MODE={}", flag(c.mem0_shadow_mode)),
        ];
        view! {
            <dl class="facts">
                <dt>"Phase"</dt>
                <dd>{format!("{}: {}", def.number, def.name)}</dd>
                <dt>"Traffic"</dt>
                <dd>{format!("{} % on the canary", plain_number(def.traffic_pct))}</dd>
                <dt>"Duration"</dt>
                <dd>{format_duration(def.duration)}</dd>
            </dl>
            <div class="phase-config">
                <span class="field-label">"Configuration"</span>
                <ul class="flag-list" data-testid="phase-flags">
                    {flags.into_iter().map(|f| view! { <li><code>{f}</code></li> }).collect_view()}
                </ul>
            </div>
        }
        .into_any()
    };

    let text_field = move |label: &'static str,
                           hint: &'static str,
                           get: fn(&PhaseForm) -> String,
                           set: fn(&mut PhaseForm, String),
                           input_mode: &'static str| {
        view! {
            <label class="field">
                <span class="field-label">{label}</span>
                <input
                    type="text"
                    inputmode=input_mode
                    spellcheck="false"
                    autocomplete="off"
                    placeholder=hint
                    prop:value=move || form.with(get)
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        form.update(|f| set(f, v));
                        saved.set(None);
                    }
                />
            </label>
        }
    };
    let check_field =
        move |label: &'static str, get: fn(&PhaseForm) -> bool, set: fn(&mut PhaseForm, bool)| {
            view! {
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=move || form.with(get)
                        on:change=move |ev| {
                            let v = event_target_checked(&ev);
                            form.update(|f| set(f, v));
                            saved.set(None);
                        }
                    />
                    <code>{label}</code>
                </label>
            }
        };

    view! {
        <section class="panel phase-panel" data-testid="phase-panel">
            <h2>"Phase"</h2>
            <div class="phase-picker" role="group" aria-label="Phase watched">{picker}</div>
            {move || approval().map(|text| view! { <p class="phase-approval" data-testid="phase-approval">{text}</p> })}
            <div class="phase-facts">
                <div>{overview}</div>
                <div>{schedule}</div>
            </div>
            <details class="phase-edit">
                <summary>"Edit phases"</summary>
                <form
                    class="phase-form"
                    novalidate
                    on:submit=move |ev| {
                        ev.prevent_default();
                        save();
                    }
                >
                    <p class="form-intro">
                        {move || format!("Phase {} as this device remembers it. Times are UTC.", selected.get())}
                    </p>
                    {move || shared_setting().map(|text| view! { <p class="form-intro" data-testid="phase-shared">{text}</p> })}
                    {text_field(
                        "Start (UTC, RFC 3339; empty: the data's first event)",
                        "2025-10-16T18:35:00Z",
                        |f| f.start.clone(),
                        |f, v| f.start = v,
                        "text",
                    )}
                    <div class="field-row">
                        {text_field(
                            "Duration (hours)",
                            "24",
                            |f| f.duration_hours.clone(),
                            |f, v| f.duration_hours = v,
                            "decimal",
                        )}
                        {text_field(
                            "Traffic (%)",
                            "10",
                            |f| f.traffic_pct.clone(),
                            |f, v| f.traffic_pct = v,
                            "decimal",
                        )}
                        {text_field(
                            "CANARY_SAMPLE_RATE (0–1)",
                            "0.1",
                            |f| f.sample_rate.clone(),
                            |f, v| f.sample_rate = v,
                            "decimal",
                        )}
                    </div>
                    <fieldset class="flag-set">
                        <legend>"Flags"</legend>
                        {check_field("FAST_PATH_ENABLED", |f| f.fast_path, |f, v| f.fast_path = v)}
                        {check_field("MEM0_READS_ENABLED", |f| f.mem0_reads, |f, v| f.mem0_reads = v)}
                        {check_field("MEM0_SHADOW_MODE", |f| f.mem0_shadow, |f, v| f.mem0_shadow = v)}
                    </fieldset>
                    <ShowIf when=move || !errors.get().is_empty()>
                        <ul class="field-error" role="alert" data-testid="phase-form-errors">
                            {move || errors.get().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                        </ul>
                    </ShowIf>
                    {move || saved.get().map(|s| view! { <p class="form-saved" role="status">{s}</p> })}
                    <div class="form-buttons">
                        <button type="submit">{move || format!("Save phase {}", selected.get())}</button>
                        <button type="button" on:click=move |_| reset()>"Reset to the guide's defaults"</button>
                    </div>
                </form>
            </details>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canary_core::demo::PHASE1_START;

    fn form(start: &str, hours: &str, traffic: &str, rate: &str) -> PhaseForm {
        PhaseForm {
            start: start.to_owned(),
            duration_hours: hours.to_owned(),
            traffic_pct: traffic.to_owned(),
            sample_rate: rate.to_owned(),
            fast_path: true,
            mem0_reads: false,
            mem0_shadow: true,
        }
    }

    /// The guide's phases with Phase 1 started at the guide's (and the demo's) start.
    fn guide_phases() -> Vec<PhaseDefinition> {
        let mut phases = default_phases();
        phases[0].start = Some(PHASE1_START);
        phases
    }

    /// Applies `f` to phase `number` of [`guide_phases`]: `Ok` checks the edited phase's
    /// (start, duration in hours, traffic, rate), `Err` the messages (each must contain its text).
    fn check(number: u8, f: PhaseForm, expected: Result<(Option<Micros>, f64, f64, f64), &[&str]>) {
        let defaults = guide_phases();
        let got = apply_form(&f, &defaults, number);
        match (got, expected) {
            (Ok(phases), Ok((start, hours, traffic, rate))) => {
                let p = phases.iter().find(|p| p.number == number).unwrap();
                assert_eq!(p.start, start, "{f:?}");
                assert_eq!(p.duration, (hours * MICROS_PER_HOUR as f64) as Micros);
                assert_eq!(p.traffic_pct, traffic);
                assert_eq!(p.config.canary_sample_rate, rate);
                assert!(p.config.fast_path_enabled && !p.config.mem0_reads_enabled);
                assert!(p.config.mem0_shadow_mode);
                // Other phases and the criteria are untouched.
                assert_eq!(p.criteria, defaults[usize::from(number) - 1].criteria);
                for q in phases.iter().filter(|q| q.number != number) {
                    assert_eq!(Some(q), defaults.iter().find(|d| d.number == q.number));
                }
            }
            (Err(messages), Err(wanted)) => {
                assert_eq!(messages.len(), wanted.len(), "{messages:?}");
                for (m, w) in messages.iter().zip(wanted) {
                    assert!(m.contains(w), "{m:?} lacks {w:?}");
                }
            }
            (got, expected) => panic!("{f:?}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn phase_form_validation_table() {
        let h = MICROS_PER_HOUR;
        check(
            1,
            form("2025-10-16T18:35:00Z", "24", "10", "0.1"),
            Ok((Some(PHASE1_START), 24.0, 10.0, 0.1)),
        );
        // PostgreSQL's form is accepted too; surrounding spaces are fine.
        check(
            2,
            form(" 2025-10-17 18:35:00+00 ", "12.5", "50", "0.5"),
            Ok((Some(PHASE1_START + 24 * h), 12.5, 50.0, 0.5)),
        );
        check(3, form("", "48", "100", "1"), Ok((None, 48.0, 100.0, 1.0)));
        check(1, form("", "1", "0.5", "0"), Ok((None, 1.0, 0.5, 0.0)));
        // Every wrong field is reported at once.
        check(
            1,
            form("tomorrow", "0", "0", "1.5"),
            Err(&[
                "Start: expected a timestamp",
                "Duration (hours): must be more than 0",
                "Traffic (%): must be more than 0 and at most 100",
                "CANARY_SAMPLE_RATE: must be at least 0 and at most 1",
            ]),
        );
        check(
            1,
            form("2025-10-16T18:35:00", "24", "10", "0.1"),
            Err(&["has no UTC offset"]),
        );
        check(
            1,
            form("2025-10-16T18:35:00Z", "NaN", "inf", "1e-1"),
            Err(&[
                "Duration (hours): \"NaN\" is not a number",
                "Traffic (%): \"inf\" is not a number",
                "CANARY_SAMPLE_RATE: \"1e-1\" is not a number",
            ]),
        );
        check(
            1,
            form("2025-10-16T18:35:00Z", "", "-5", "0.1"),
            Err(&["Duration (hours): enter a number", "Traffic (%): must be"]),
        );
        check(1, form("", "8761", "10", "0.1"), Err(&["at most 8760"]));
        // Phase 2 cannot start before Phase 1.
        check(
            2,
            form("2025-10-15T00:00:00Z", "24", "50", "0.5"),
            Err(&["Phase 2 cannot start before Phase 1 (2025-10-16 18:35 UTC)"]),
        );
    }

    #[test]
    fn phase_cannot_start_after_the_next_one() {
        let mut phases = guide_phases();
        phases[1].start = Some(PHASE1_START + 24 * MICROS_PER_HOUR);
        let got = apply_form(&form("2025-10-20T00:00:00Z", "24", "10", "0.1"), &phases, 1);
        assert_eq!(
            got.unwrap_err(),
            vec!["Start: Phase 1 cannot start after Phase 2 (2025-10-17 18:35 UTC).".to_owned()]
        );
        assert!(apply_form(&PhaseForm::default(), &phases, 9).is_err());
    }

    #[test]
    fn the_form_round_trips_the_defaults() {
        for phases in [default_phases(), guide_phases()] {
            for def in &phases {
                let f = PhaseForm::of(def);
                let got = apply_form(&f, &phases, def.number).unwrap();
                assert_eq!(got, phases, "{f:?}");
            }
        }
        assert_eq!(
            PhaseForm::of(&guide_phases()[0]).start,
            "2025-10-16T18:35:00Z"
        );
        assert_eq!(PhaseForm::of(&default_phases()[0]).start, "");
        assert_eq!(PhaseForm::of(&default_phases()[0]).sample_rate, "0.1");
    }
}
