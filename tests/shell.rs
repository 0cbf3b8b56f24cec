//! The app shell in a real browser: it mounts, and the connection indicator follows the
//! browser's `online`/`offline` events.

#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Lets the reactive system run its queued effects (they run as microtasks), checking the
/// condition after each turn; fails after a bounded number of turns.
async fn until(mut condition: impl FnMut() -> bool) {
    for _ in 0..100 {
        if condition() {
            return;
        }
        let tick = js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
        wasm_bindgen_futures::JsFuture::from(tick).await.unwrap();
    }
    panic!("condition not met after 100 turns of the event loop");
}

fn indicator_state() -> Option<String> {
    document()
        .query_selector(".connection")
        .ok()
        .flatten()
        .and_then(|el| el.get_attribute("data-state"))
}

#[wasm_bindgen_test]
async fn indicator_follows_online_and_offline_events() {
    leptos::mount::mount_to_body(tenfour::app::App);
    until(|| indicator_state().is_some()).await;
    assert_eq!(indicator_state().as_deref(), Some("online"));

    let window = web_sys::window().unwrap();
    let offline = web_sys::Event::new("offline").unwrap();
    window.dispatch_event(&offline).unwrap();
    until(|| indicator_state().as_deref() == Some("offline")).await;
    let text = document()
        .query_selector(".connection")
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap()
        .inner_text();
    assert!(text.contains("Offline"), "{text}");

    window
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    until(|| indicator_state().as_deref() == Some("online")).await;
}
