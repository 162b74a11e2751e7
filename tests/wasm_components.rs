//! Components with behaviour, mounted in a real browser (headless Chromium through
//! wasm-bindgen-test): `cargo test --target wasm32-unknown-unknown --test wasm_components`.
#![cfg(target_arch = "wasm32")]

use std::sync::{Arc, Mutex};

use canary_console::components::success_metrics::SuccessMetrics;
use canary_console::components::toolbar::Toolbar;
use canary_core::analysis::RangeChoice;
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
