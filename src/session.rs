//! Who is signed in to which Supabase project, in this browser: sign-in, the session kept per
//! project URL, its refresh before expiry (one tab at a time), and sign-out.
//!
//! A session is stored under its exact project URL, in this tab's sessionStorage, or in
//! localStorage when the user asked to be remembered on this device; it is only ever sent to
//! that project. Refresh tokens are single-use and rotate. Tabs share a session only when it is
//! remembered (localStorage); then a refresh runs under a browser-wide lock per project (Web
//! Locks) and re-reads the stored session first (another tab may have rotated it already: then
//! it is adopted, not spent again), and the other tabs hear of the new one through storage
//! events. Tokens never go over a BroadcastChannel: on a shared `github.io` origin every site of
//! the owner could listen.

use canary_core::auth::{self, AuthError, Session, SessionUser};
use canary_core::supabase::SupabaseConfig;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::api::auth as net;
use crate::state::query_params;
use crate::storage::{self, Area};

/// Where a sign-in with PKCE keeps its verifier until the redirect comes back (localStorage:
/// a magic link may open in another tab).
const PKCE_KEY: &str = "canary-console.supabase-pkce";
/// A failed refresh that may be passing (network) is tried again after this long.
const RETRY_MS: u64 = 10_000;

fn session_key(project: &str) -> String {
    format!("canary-console.supabase-session:{project}")
}

/// The session kept for `project`, and whether it is remembered on this device.
pub fn stored(project: &str) -> Option<(Session, bool)> {
    let key = session_key(project);
    storage::load::<Session>(Area::Session, &key)
        .map(|s| (s, false))
        .or_else(|| storage::load::<Session>(Area::Local, &key).map(|s| (s, true)))
}

fn store(project: &str, session: &Session, remember: bool) {
    let key = session_key(project);
    let (keep, drop) = if remember {
        (Area::Local, Area::Session)
    } else {
        (Area::Session, Area::Local)
    };
    let _ = storage::save(keep, &key, session);
    storage::remove(drop, &key);
}

fn forget(project: &str) {
    let key = session_key(project);
    storage::remove(Area::Session, &key);
    storage::remove(Area::Local, &key);
}

/// The access token to read `project` with: the stored session's, while it has not expired.
pub fn access_token(project: &str) -> Option<String> {
    let now = now_s();
    stored(project)
        .map(|(s, _)| s)
        .filter(|s| !s.is_expired(now))
        .map(|s| s.access_token)
}

fn now_s() -> i64 {
    crate::clock::now().div_euclid(1_000_000)
}

/// What the header shows about signing in, shared through [`crate::state::ConsoleState`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthView {
    /// Bumped whenever a session is stored, rotated or dropped, here or in another tab.
    pub version: u32,
    /// Why the session ended, when it ended on its own (a failed refresh).
    pub notice: Option<String>,
}

fn bump(view: RwSignal<AuthView>, notice: Option<String>) {
    view.update(|v| {
        v.version = v.version.wrapping_add(1);
        v.notice = notice;
    });
}

/// Signs in (any flow) and keeps the session for `project`.
async fn keep(
    project: &str,
    request: Result<auth::AuthRequest, AuthError>,
    remember: bool,
    view: RwSignal<AuthView>,
) -> Result<SessionUser, AuthError> {
    let session = net::session(&request?).await?;
    store(project, &session, remember);
    bump(view, None);
    Ok(session.user)
}

/// Email and password.
pub async fn sign_in_with_password(
    config: &SupabaseConfig,
    email: &str,
    password: &str,
    remember: bool,
    view: RwSignal<AuthView>,
) -> Result<SessionUser, AuthError> {
    let request = auth::password_grant(config, email, password);
    keep(config.project_url(), request, remember, view).await
}

/// Emails a one-time code and a link back to this page. The link comes back with `?code=`
/// (PKCE), so the verifier is kept as for OAuth: the link may open in another tab.
pub async fn send_code(
    config: &SupabaseConfig,
    key: &str,
    email: &str,
    remember: bool,
) -> Result<(), String> {
    let challenge = begin_pkce(config, key, remember)?;
    let request =
        auth::send_email_code(config, email, &page_url(), &challenge).map_err(|e| e.to_string())?;
    net::done(&request).await.map_err(|e| e.to_string())
}

/// Checks the emailed code.
pub async fn verify_code(
    config: &SupabaseConfig,
    email: &str,
    code: &str,
    remember: bool,
    view: RwSignal<AuthView>,
) -> Result<SessionUser, AuthError> {
    let request = auth::verify_email_code(config, email, code);
    let user = keep(config.project_url(), request, remember, view).await?;
    // Signed in with the typed code: the emailed link's verifier has no more use.
    storage::remove(Area::Local, PKCE_KEY);
    Ok(user)
}

/// A sign-in with PKCE on its way through the provider.
#[derive(Serialize, Deserialize)]
pub struct PendingPkce {
    pub project: String,
    /// The project's anon or publishable key, to exchange the code with.
    pub key: String,
    verifier: String,
    pub remember: bool,
}

/// This page's own address (sub-path included) without query or fragment: where Supabase Auth
/// sends the browser back.
fn page_url() -> String {
    web_sys::window()
        .and_then(|w| {
            let l = w.location();
            Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
        })
        .unwrap_or_default()
}

/// Keeps a fresh PKCE verifier for a sign-in that comes back to this page; returns its
/// challenge.
fn begin_pkce(config: &SupabaseConfig, key: &str, remember: bool) -> Result<String, String> {
    let random = net::random_bytes()
        .ok_or("the browser gave no random numbers (crypto.getRandomValues), so a safe sign-in cannot start")?;
    let verifier = auth::pkce_verifier(&random);
    let challenge = auth::pkce_challenge(&verifier);
    let pending = PendingPkce {
        project: config.project_url().to_owned(),
        key: key.to_owned(),
        verifier,
        remember,
    };
    storage::save(Area::Local, PKCE_KEY, &pending).map_err(|e| e.to_string())?;
    Ok(challenge)
}

/// Starts an OAuth sign-in (e.g. `github`): keeps a fresh verifier, then leaves for the
/// provider. Returns only on failure.
pub fn start_oauth(
    config: &SupabaseConfig,
    key: &str,
    provider: &str,
    remember: bool,
) -> Result<(), String> {
    let challenge = begin_pkce(config, key, remember)?;
    let url = auth::authorize_url(config, provider, &page_url(), &challenge);
    web_sys::window()
        .ok_or("no browser window")?
        .location()
        .assign(&url)
        .map_err(|e| format!("the browser did not open the sign-in page: {e:?}"))
}

/// What Supabase Auth brought back to this page (an OAuth or emailed-link sign-in, or its
/// error), taken off the address bar at once: a code or token there is single-use and must
/// not be bookmarked or shared.
pub fn take_landing() -> Option<auth::Landing> {
    let window = web_sys::window()?;
    let location = window.location();
    let search = location.search().ok()?;
    let hash = location.hash().ok()?;
    let fragment = query_params(&hash);
    let landing = auth::read_landing(&query_params(&search), &fragment)?;
    let query = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    for name in auth::LANDING_PARAMS {
        query.delete(name);
    }
    let query = String::from(query.to_string());
    let path = location.pathname().ok()?;
    let mut clean = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    // A fragment that carried the landing goes whole; any other is the page's own.
    let landing_fragment = fragment
        .iter()
        .any(|(k, _)| k == "access_token" || auth::LANDING_PARAMS.contains(&k.as_str()));
    if !landing_fragment {
        clean.push_str(&hash);
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean));
    }
    Some(landing)
}

/// Finishes a sign-in that landed back on this page, for the project and key kept when it
/// started (PKCE: the code with the kept verifier; the implicit flow: its refresh token, whose
/// exchange also says who signed in). Returns the project and key to read with.
pub async fn finish_landing(
    landing: auth::Landing,
    view: RwSignal<AuthView>,
) -> Result<(String, String), String> {
    if let auth::Landing::Failed(e) = &landing {
        storage::remove(Area::Local, PKCE_KEY);
        return Err(e.to_string());
    }
    let pending = storage::load::<PendingPkce>(Area::Local, PKCE_KEY).ok_or(
        "this page was opened with a sign-in code, but no sign-in was started in this browser: start it again from the Supabase form",
    )?;
    // Single-use: whatever happens, the verifier is not kept.
    storage::remove(Area::Local, PKCE_KEY);
    let config =
        crate::api::supabase_config(&pending.project, &pending.key, None, crate::clock::now())
            .map_err(|e| e.to_string())?;
    let request = match &landing {
        auth::Landing::Code(code) => auth::pkce_grant(&config, code, &pending.verifier),
        auth::Landing::RefreshToken(token) => Ok(auth::refresh_grant(&config, token)),
        auth::Landing::Failed(e) => Err(e.clone()),
    };
    keep(&pending.project, request, pending.remember, view)
        .await
        .map_err(|e| e.to_string())?;
    Ok((pending.project, pending.key))
}

/// Ends the session of `project`: on the server (its refresh tokens stop working) and here.
pub async fn sign_out(config: &SupabaseConfig, view: RwSignal<AuthView>) -> Result<(), AuthError> {
    let project = config.project_url().to_owned();
    let result = match stored(&project) {
        Some((session, _)) => net::done(&auth::sign_out(config, &session.access_token)).await,
        None => Ok(()),
    };
    // Forgotten here even when the server could not be told: the user asked to be signed out.
    forget(&project);
    bump(view, None);
    result
}

/// Refreshes the session of `project` if it is due, one tab at a time.
async fn refresh(config: SupabaseConfig, view: RwSignal<AuthView>) {
    let project = config.project_url().to_owned();
    let lock = format!("canary-console.refresh:{project}");
    net::with_lock(&lock, async move {
        // Let a rotation another tab wrote just before it released the lock reach this tab's view
        // of localStorage (storage changes travel between tabs asynchronously).
        sleep(200).await;
        let Some((session, remember)) = stored(&project) else {
            return;
        };
        // Another tab may have rotated it while this one waited for the lock.
        if session.refresh_at() > now_s() {
            bump(view, None);
            return;
        }
        let spent = session.refresh_token.clone();
        match net::session(&auth::refresh_grant(&config, &spent)).await {
            Ok(next) => {
                store(&project, &next, remember);
                bump(view, None);
            }
            Err(AuthError::SessionEnded { detail }) => {
                let rotated = stored(&project).is_some_and(|(s, _)| s.refresh_token != spent);
                if rotated {
                    bump(view, None);
                } else {
                    forget(&project);
                    let ended = AuthError::SessionEnded { detail };
                    bump(view, Some(format!("You were signed out: {ended}")));
                }
            }
            Err(e) => {
                // Network or server trouble: the session may still be good; try again soon.
                view.update(|v| {
                    v.notice = Some(format!(
                        "The session could not be refreshed ({e}); trying again in {} s.",
                        RETRY_MS / 1000
                    ))
                });
                sleep(RETRY_MS).await;
                bump(view, None);
            }
        }
    })
    .await;
}

async fn sleep(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                i32::try_from(ms).unwrap_or(i32::MAX),
            );
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Listens for other tabs: any change of a remembered session (a storage event) re-reads it.
pub fn listen(view: RwSignal<AuthView>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_storage =
        Closure::<dyn FnMut(web_sys::StorageEvent)>::new(move |event: web_sys::StorageEvent| {
            if event
                .key()
                .is_some_and(|k| k.starts_with("canary-console.supabase-session:"))
            {
                bump(view, None);
            }
        });
    let _ = window.add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
    on_storage.forget();
}

/// Keeps the session of the project shown fresh: waits until it is due (see
/// [`Session::refresh_at`]), refreshes it, and starts over whenever it changes.
pub fn keep_fresh(project: Signal<Option<(String, String)>>, view: RwSignal<AuthView>) {
    Effect::new(move |previous: Option<Option<TimeoutHandle>>| {
        if let Some(Some(handle)) = previous {
            handle.clear();
        }
        view.track();
        let (project, key) = project.get()?;
        let (session, _) = stored(&project)?;
        let config = crate::api::supabase_config(&project, &key, None, crate::clock::now()).ok()?;
        // A quarter of a second past the due second, so the refresh never finds itself early,
        // plus a random delay of this tab's: tabs sharing a session then rarely wake together,
        // and the later one finds the session rotated (the lock covers the rest).
        let jitter_ms = js_sys::Math::random() * (session.lifetime * 1000 / 8).min(1500) as f64;
        let wait_ms = (session.refresh_at() * 1000 - crate::clock::now() / 1000).max(0)
            + 250
            + jitter_ms as i64;
        set_timeout_with_handle(
            move || leptos::task::spawn_local(refresh(config, view)),
            std::time::Duration::from_millis(wait_ms as u64),
        )
        .ok()
    });
}
