//! Components with behaviour, mounted in a real browser (headless Chromium through
//! wasm-bindgen-test): `cargo test --target wasm32-unknown-unknown --test wasm_components`.
#![cfg(target_arch = "wasm32")]

use std::sync::{Arc, Mutex};

use canary_console::components::status_banner::StatusBanner;
use canary_console::components::success_metrics::SuccessMetrics;
use canary_console::components::toolbar::Toolbar;
use canary_console::state::{query_params, UrlState};
use canary_core::alerts::default_rules;
use canary_core::analysis::{analyse_window, RangeChoice};
use canary_core::demo::{generate, DemoConfig};
use canary_core::metrics::{compute, Window};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element to mount a component into.
fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

fn texts(root: &web_sys::HtmlElement, selector: &str) -> Vec<String> {
    let nodes = root.query_selector_all(selector).unwrap();
    (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .map(|n| n.text_content().unwrap_or_default())
        .collect()
}

fn fire(element: &web_sys::Element, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict(kind, &init).unwrap();
    element.dispatch_event(&event).unwrap();
}

/// Lets the reactive system run its effects.
async fn settle() {
    let promise = js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
fn success_metrics_shows_every_row_with_a_value() {
    let store = generate(&DemoConfig::default());
    let metrics = Arc::new(compute(&store, Window::whole(&store)));
    let root = container();
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <SuccessMetrics metrics=Signal::derive(move || metrics.clone()) /> }
    });
    let measured = texts(&root, "td.num");
    assert_eq!(measured.len(), 6, "{measured:?}");
    assert_eq!(measured[0], "223.9 ms");
    assert!(measured.iter().all(|m| !m.is_empty() && !m.contains("NaN")));
}

#[wasm_bindgen_test]
async fn success_metrics_follow_the_window() {
    let store = generate(&DemoConfig::default());
    let whole = Window::whole(&store).unwrap();
    let metrics = RwSignal::new(Arc::new(compute(&store, Some(whole))));
    let root = container();
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <SuccessMetrics metrics=metrics /> }
    });
    assert_eq!(texts(&root, "td.num")[0], "223.9 ms");
    // The last hour has other numbers: every row shows them, not those of the first window.
    let last_hour = Window::new(whole.to - 3_600_000_000, whole.to).unwrap();
    let expected = compute(&store, Some(last_hour));
    metrics.set(Arc::new(expected.clone()));
    settle().await;
    let measured = texts(&root, "td.num");
    assert_eq!(measured.len(), 6, "{measured:?}");
    assert_eq!(
        measured[0],
        canary_core::summary::format_ms(expected.latency.p50_ms),
        "{measured:?}"
    );
    assert_ne!(measured[0], "223.9 ms");
}

#[wasm_bindgen_test]
async fn status_banner_says_no_data_when_the_window_end_has_too_few_events() {
    let store = generate(&DemoConfig::default());
    let whole = Window::whole(&store).unwrap();
    let hour = 3_600_000_000;
    let judge = |w: Window| {
        Arc::new(analyse_window(
            &store,
            Some(w),
            w.to,
            None,
            &default_rules(),
        ))
    };
    let analysis = RwSignal::new(judge(Window::new(whole.to - hour, whole.to).unwrap()));
    let root = container();
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <StatusBanner analysis=analysis /> }
    });
    let word = |root: &web_sys::HtmlElement| texts(root, "[data-testid=status-word]")[0].clone();
    let reason = |root: &web_sys::HtmlElement| texts(root, "[data-testid=escalation]")[0].clone();
    assert!(word(&root).contains("On Track"), "{}", word(&root));
    // The same hour of data, the window ending an hour after it (an export that stopped).
    analysis.set(judge(
        Window::new(whole.to - hour, whole.to + hour).unwrap(),
    ));
    settle().await;
    assert!(word(&root).contains("No Data"), "{}", word(&root));
    assert!(!word(&root).contains("On Track"), "{}", word(&root));
    assert!(
        reason(&root).contains("too few for any rule to judge"),
        "{}",
        reason(&root)
    );
    // No events at all.
    analysis.set(judge(
        Window::new(whole.to + hour, whole.to + 2 * hour).unwrap(),
    ));
    settle().await;
    assert!(word(&root).contains("No Data"), "{}", word(&root));
    assert!(
        reason(&root).contains("No events in this window"),
        "{}",
        reason(&root)
    );
    analysis.set(judge(Window::new(whole.to - 2 * hour, whole.to).unwrap()));
    settle().await;
    assert!(word(&root).contains("On Track"), "{}", word(&root));
}

#[wasm_bindgen_test]
async fn toolbar_custom_range_is_validated_before_it_is_used() {
    let picked: Arc<Mutex<Vec<RangeChoice>>> = Arc::default();
    let seen = picked.clone();
    let root = container();
    let range = RwSignal::new(RangeChoice::Last24Hours);
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <Toolbar
                range=range
                on_range=Callback::new(move |r| seen.lock().unwrap().push(r))
                auto_refresh=Signal::derive(|| 0)
                on_auto_refresh=Callback::new(|_| {})
                live=Signal::derive(|| false)
                on_refresh=Callback::new(|_| {})
                exact_only=Signal::derive(|| false)
                on_exact_only=Callback::new(|_| {})
            />
        }
    });
    let select: web_sys::HtmlSelectElement = root
        .query_selector("[data-testid=range-select]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    select.set_value("custom");
    fire(&select, "change");
    settle().await;
    let inputs = root.query_selector_all(".custom-range input").unwrap();
    assert_eq!(inputs.length(), 2, "the custom range fields appear");
    let set = |i: u32, value: &str| {
        let input: web_sys::HtmlInputElement = inputs.item(i).unwrap().unchecked_into();
        input.set_value(value);
        fire(&input, "input");
    };
    let apply = || {
        let button: web_sys::HtmlElement = root
            .query_selector(".custom-range button")
            .unwrap()
            .unwrap()
            .unchecked_into();
        button.click();
    };
    // To before From: refused with a message, nothing picked.
    set(0, "2025-10-17T09:00:00Z");
    set(1, "2025-10-17T07:00:00Z");
    apply();
    settle().await;
    assert!(picked.lock().unwrap().is_empty());
    assert_eq!(texts(&root, ".field-error"), ["To must be after From."]);
    // A timestamp that is not one: named.
    set(1, "tomorrow");
    apply();
    settle().await;
    assert!(texts(&root, ".field-error")[0].starts_with("To: expected a timestamp"));
    // A valid range is handed on.
    set(1, "2025-10-17T10:00:00Z");
    apply();
    settle().await;
    assert_eq!(
        picked.lock().unwrap().as_slice(),
        [RangeChoice::Custom {
            from: 1_760_691_600_000_000,
            to: 1_760_695_200_000_000,
        }]
    );
    assert!(texts(&root, ".field-error").is_empty());
}

/// The page's URL state, read and written with the browser's `URLSearchParams`.
fn check_url(query: &str, expected: UrlState) {
    let got = UrlState::parse(query);
    assert_eq!(got, expected, "{query}");
    assert_eq!(
        UrlState::parse(&got.to_query()),
        got,
        "round trip of {query}"
    );
}

#[wasm_bindgen_test]
fn url_state_table() {
    check_url("", UrlState::default());
    check_url(
        "?source=demo&range=4h&phase=2",
        UrlState {
            source: Some("demo".into()),
            range: Some(RangeChoice::Last4Hours),
            phase: Some(2),
            ..UrlState::default()
        },
    );
    check_url(
        "?source=supabase&supabase=https%3A%2F%2Fabc.supabase.co%2Fa+b&range=phase",
        UrlState {
            source: Some("supabase".into()),
            supabase_url: Some("https://abc.supabase.co/a b".into()),
            range: Some(RangeChoice::ThisPhase),
            ..UrlState::default()
        },
    );
    assert_eq!(
        UrlState {
            source: Some("supabase".into()),
            supabase_url: Some("https://abc.supabase.co/?x=1&y".into()),
            events: Some(5),
            ..UrlState::default()
        }
        .to_query(),
        "?source=supabase&supabase=https%3A%2F%2Fabc.supabase.co%2F%3Fx%3D1%26y&events=5"
    );
    assert_eq!(UrlState::default().to_query(), "");
    // Unknown or invalid values are ignored, never trusted.
    check_url(
        "?source=file&phase=9&range=forever&key=abc&events=0&exact_limit=-1",
        UrlState::default(),
    );
    check_url(
        "?exact_limit=10000",
        UrlState {
            exact_limit: Some(10_000),
            ..UrlState::default()
        },
    );
    check_url(
        "?supabase=%zz",
        UrlState {
            supabase_url: Some("%zz".into()),
            ..UrlState::default()
        },
    );
}

#[wasm_bindgen_test]
fn query_params_decode_as_the_browser_does() {
    assert_eq!(
        query_params("#access_token=a.b&refresh_token=r%2B1+x&empty=&=v&k"),
        [
            ("access_token", "a.b"),
            ("refresh_token", "r+1 x"),
            ("empty", ""),
            ("", "v"),
            ("k", ""),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert!(query_params("").is_empty());
}
