//! Signing in to the Supabase project named in the source form: email and password, a one-time
//! code by email, or GitHub (OAuth with PKCE). The session is kept for that project only.

use canary_core::supabase::SupabaseConfig;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::show_if::ShowIf;
use crate::session::{self, AuthView};

/// The project URL and key as typed, checked into a configuration (or the message to show).
fn checked(url: &str, key: &str) -> Result<SupabaseConfig, String> {
    let url = url.trim().trim_end_matches('/');
    crate::api::supabase_config(url, key.trim(), None, crate::clock::now())
        .map_err(|e| e.to_string())
}

/// The sign-in part of the Supabase form.
#[component]
pub fn SignInForm(
    /// The project URL typed in the form.
    #[prop(into)]
    url: Signal<String>,
    /// The anon or publishable key typed in the form.
    #[prop(into)]
    key: Signal<String>,
    /// Whether to remember the session on this device.
    #[prop(into)]
    remember: Signal<bool>,
    /// The sign-in state shared with the header.
    auth: RwSignal<AuthView>,
    /// Called once signed in, with the project URL as checked and the key: read it.
    on_signed_in: Callback<(String, String)>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let code_sent = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);

    // Runs one sign-in step with the checked settings; `step` gives the text to show on success
    // (None: signed in, read the project).
    let run = move |step: &'static str| {
        let config = match checked(&url.get_untracked(), &key.get_untracked()) {
            Ok(config) => config,
            Err(e) => {
                message.set(Some(e));
                return;
            }
        };
        let key_text = key.get_untracked().trim().to_owned();
        let (email_text, password_text, code_text) = (
            email.get_untracked(),
            password.get_untracked(),
            code.get_untracked(),
        );
        let remember = remember.get_untracked();
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            let outcome = match step {
                "password" => session::sign_in_with_password(
                    &config,
                    &email_text,
                    &password_text,
                    remember,
                    auth,
                )
                .await
                .map(Some)
                .map_err(|e| e.to_string()),
                "send-code" => session::send_code(&config, &key_text, &email_text, remember)
                    .await
                    .map(|()| None),
                _ => session::verify_code(&config, &email_text, &code_text, remember, auth)
                    .await
                    .map(Some)
                    .map_err(|e| e.to_string()),
            };
            busy.set(false);
            match outcome {
                Ok(Some(_user)) => {
                    password.set(String::new());
                    code.set(String::new());
                    code_sent.set(false);
                    on_signed_in.run((config.project_url().to_owned(), key_text));
                }
                Ok(None) => {
                    code_sent.set(true);
                    message.set(Some(format!("A code is on its way to {}: type it below (or open the link in the email).", email_text.trim())));
                }
                Err(e) => message.set(Some(e)),
            }
        });
    };
    let github = move |_| {
        let result = checked(&url.get_untracked(), &key.get_untracked()).and_then(|config| {
            session::start_oauth(
                &config,
                key.get_untracked().trim(),
                "github",
                remember.get_untracked(),
            )
        });
        if let Err(e) = result {
            message.set(Some(e));
        }
    };

    view! {
        <fieldset class="sign-in" data-testid="sign-in">
            <legend>"Sign in to the project"</legend>
            <label>
                "Email "
                <input
                    type="email"
                    autocomplete="username"
                    data-testid="sign-in-email"
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))
                />
            </label>
            <label>
                " Password "
                <input
                    type="password"
                    autocomplete="current-password"
                    data-testid="sign-in-password"
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
            </label>
            <button type="button" data-testid="sign-in-submit" disabled=move || busy.get() on:click=move |_| run("password")>
                "Sign in"
            </button>
            <button type="button" data-testid="sign-in-send-code" disabled=move || busy.get() on:click=move |_| run("send-code")>
                "Email me a code"
            </button>
            <button type="button" data-testid="sign-in-github" disabled=move || busy.get() on:click=github>
                "Sign in with GitHub"
            </button>
            <ShowIf when=move || code_sent.get()>
                <label>
                    " Code "
                    <input
                        type="text"
                        inputmode="numeric"
                        autocomplete="one-time-code"
                        data-testid="sign-in-code"
                        prop:value=move || code.get()
                        on:input=move |ev| code.set(event_target_value(&ev))
                    />
                </label>
                <button type="button" data-testid="sign-in-verify" disabled=move || busy.get() on:click=move |_| run("verify")>
                    "Verify code"
                </button>
            </ShowIf>
            {move || message.get().map(|m| view! { <p class="field-note" role="status" data-testid="sign-in-message">{m}</p> })}
        </fieldset>
    }
}
