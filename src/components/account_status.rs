//! Who is signed in to the project shown, with a sign-out button; or why the session ended.

use leptos::prelude::*;

/// The header's account line.
#[component]
pub fn AccountStatus(
    /// The signed-in user's name (email), when someone is signed in to the project shown.
    #[prop(into)]
    user: Signal<Option<String>>,
    /// Why the last session ended or could not be refreshed, if it did.
    #[prop(into)]
    notice: Signal<Option<String>>,
    /// Called when the user signs out.
    on_sign_out: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="account-status" data-testid="account-status">
            {move || user.get().map(|name| view! {
                <span data-testid="signed-in-as">"Signed in as " <strong>{name}</strong></span>
                " "
                <button type="button" data-testid="sign-out" on:click=move |_| on_sign_out.run(())>"Sign out"</button>
            })}
            {move || notice.get().map(|n| view! { <p class="field-error" role="alert" data-testid="auth-notice">{n}</p> })}
        </div>
    }
}
