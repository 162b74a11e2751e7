//! Fetches a backend's /health URL and shows its JSON, or exactly why it could not.
//!
//! Nothing is fetched until the user presses Check (the page never calls a backend on its own).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{fetch_health, ApiError, HealthResponse};

/// Where the check stands.
#[derive(Clone, Debug, PartialEq)]
enum CheckState {
    Idle,
    Checking(String),
    Done(Result<HealthResponse, ApiError>),
}

/// The JSON of an answer, indented for reading. `{:#}` is `serde_json::to_string_pretty`'s text
/// (two-space indent; neither can fail for a `Value`) through the `Display` impl the bundle
/// already carries, instead of a second copy of the pretty printer.
pub fn pretty_json(value: &serde_json::Value) -> String {
    format!("{value:#}")
}

/// Fetches a backend's /health URL and shows its JSON, or exactly why it could not.
#[component]
pub fn HealthPanel(
    /// The health URL.
    #[prop(into)]
    url: Signal<String>,
    /// Called with a new URL.
    on_url: Callback<String>,
) -> impl IntoView {
    let state = RwSignal::new(CheckState::Idle);
    // Each check gets a number; only the latest one's answer is shown.
    let latest = StoredValue::new(0u64);
    let check = move || {
        let target = url.get_untracked();
        latest.update_value(|n| *n += 1);
        let mine = latest.get_value();
        state.set(CheckState::Checking(target.trim().to_owned()));
        spawn_local(async move {
            let result = fetch_health(&target).await;
            if latest.try_get_value() == Some(mine) {
                state.try_set(CheckState::Done(result));
            }
        });
    };
    let checking = move || matches!(state.get(), CheckState::Checking(_));

    let result = move || {
        match state.get() {
        CheckState::Idle => view! {
            <p class="empty-state" data-testid="health-idle">
                "Enter the backend's health URL (e.g. https://healthcare-clinic-backend.fly.dev/health) and press Check. Nothing is fetched until you do; the backend must allow this page's origin (CORS)."
            </p>
        }
        .into_any(),
        CheckState::Checking(u) => view! {
            <p class="loading" role="status">
                <progress></progress>
                {format!(" Checking {u}…")}
            </p>
        }
        .into_any(),
        CheckState::Done(Ok(r)) => view! {
            <p class="verdict-line" data-testid="health-ok">
                <span class="status status-ok">{format!("HTTP {}", r.status)}</span>
                {format!(" in {:.0} ms from {}", r.elapsed_ms, r.url)}
            </p>
            <pre class="json" data-testid="health-json" role="region" aria-label="Health check answer (JSON)" tabindex="0">{pretty_json(&r.json)}</pre>
        }
        .into_any(),
        CheckState::Done(Err(e)) => {
            let word = match &e {
                ApiError::Status { status, .. } => format!("HTTP {status}"),
                ApiError::NotJson { .. } => "not JSON".to_owned(),
                ApiError::InvalidUrl { .. } => "invalid URL".to_owned(),
                ApiError::Unreachable(_) | ApiError::Network(_) => "no answer".to_owned(),
            };
            view! {
                <div class="field-error health-error" role="alert" data-testid="health-error">
                    <span class="status status-bad">{word}</span>
                    " "
                    {e.to_string()}
                </div>
            }
            .into_any()
        }
    }
    };

    view! {
        <section class="panel health-panel" data-testid="health-panel">
            <h2>"Application health"</h2>
            <form
                class="health-form"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    check();
                }
            >
                <label class="field grow">
                    <span class="field-label">"Health URL"</span>
                    <input
                        type="url"
                        inputmode="url"
                        spellcheck="false"
                        autocomplete="url"
                        placeholder="https://healthcare-clinic-backend.fly.dev/health"
                        data-testid="health-url"
                        prop:value=move || url.get()
                        on:input=move |ev| on_url.run(event_target_value(&ev))
                    />
                </label>
                <button type="submit" data-testid="health-check" disabled=checking>
                    "Check"
                </button>
            </form>
            {result}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_indented_and_kept_as_text() {
        let v = serde_json::json!({"detail": ["<b>x</b>", 1.5, null]});
        assert_eq!(
            pretty_json(&v),
            "{\n  \"detail\": [\n    \"<b>x</b>\",\n    1.5,\n    null\n  ]\n}"
        );
    }

    #[test]
    fn pretty_json_is_serde_jsons_pretty_text() {
        for text in [
            "{}",
            "[]",
            "3",
            "\"x\"",
            r#"{"a":{},"b":[],"c":[{"d":null,"e":[1,[2,{}]]}],"é\n":"\u0001\"\\","n":-1.5e300,"i":18446744073709551615,"t":true}"#,
        ] {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                pretty_json(&v),
                serde_json::to_string_pretty(&v).unwrap(),
                "{text}"
            );
        }
    }
}
