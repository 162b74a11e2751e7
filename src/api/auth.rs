//! Supabase Auth over `fetch`: sends the core's [`canary_core::auth`] requests and hands the
//! answers back to it. Everything about the wire (paths, bodies, answer shapes, error wording) is
//! the core's; this is only the transport, plus the browser's random numbers for PKCE and the
//! Web Locks API that lets one tab at a time refresh a session.

use canary_core::auth::{self, AuthError, AuthRequest, Method, Session};
use wasm_bindgen::{JsCast, JsValue};

/// Sends one Auth request; the status and body, or the core's network error.
async fn send(request: &AuthRequest) -> Result<(u16, Vec<u8>), AuthError> {
    let failed = |e: gloo_net::Error| auth::network_error(request, &e.to_string());
    let mut builder = match request.method {
        Method::Get => gloo_net::http::Request::get(&request.url),
        Method::Post => gloo_net::http::Request::post(&request.url),
    }
    .cache(web_sys::RequestCache::NoStore);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let built = match &request.body {
        Some(body) => builder.body(body.as_str()),
        None => builder.build(),
    }
    .map_err(failed)?;
    let response = built.send().await.map_err(failed)?;
    let status = response.status();
    let body = response.binary().await.map_err(failed)?;
    Ok((status, body))
}

/// Sends a sign-in, code check, PKCE exchange or refresh and reads the session it gives.
pub async fn session(request: &AuthRequest) -> Result<Session, AuthError> {
    let (status, body) = send(request).await?;
    let now = crate::clock::now().div_euclid(1_000_000);
    auth::read_session(status, &body, now)
}

/// Sends a request whose answer carries no session (`/otp`, `/logout`).
pub async fn done(request: &AuthRequest) -> Result<(), AuthError> {
    let (status, body) = send(request).await?;
    auth::read_done(status, &body)
}

/// 32 bytes from the browser's cryptographic random source, for a PKCE verifier.
pub fn random_bytes() -> Option<[u8; 32]> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut bytes = [0u8; 32];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(bytes)
}

/// Runs `work` while holding the browser-wide lock `name` (Web Locks API: one holder at a time
/// across this origin's tabs). Without the API (old browsers), runs it unlocked.
pub async fn with_lock<F>(name: &str, work: F)
where
    F: std::future::Future<Output = ()> + 'static,
{
    let locks = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("locks")).ok())
        .filter(|l| !l.is_undefined() && !l.is_null());
    let request = locks.as_ref().and_then(|l| {
        js_sys::Reflect::get(l, &JsValue::from_str("request"))
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()
    });
    let (Some(locks), Some(request)) = (locks, request) else {
        work.await;
        return;
    };
    let callback = wasm_bindgen::closure::Closure::once(move |_lock: JsValue| {
        wasm_bindgen_futures::future_to_promise(async move {
            work.await;
            Ok(JsValue::UNDEFINED)
        })
    });
    let held = request
        .call2(&locks, &JsValue::from_str(name), callback.as_ref())
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    if let Some(held) = held {
        let _ = wasm_bindgen_futures::JsFuture::from(held).await;
    }
}
