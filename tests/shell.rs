//! The app shell in a real browser: it mounts, and the connection indicator follows the
//! browser's `online`/`offline` events.

#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Waits for a condition, checking after each turn of the event loop (the app reads
/// IndexedDB before it settles); fails after five seconds.
async fn until(mut condition: impl FnMut() -> bool) {
    let deadline = js_sys::Date::now() + 5000.0;
    while js_sys::Date::now() < deadline {
        if condition() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    panic!("condition not met within five seconds");
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
    // With nobody signed in, the engine has nothing to send: the link shows online.
    until(|| indicator_state().as_deref() == Some("online")).await;

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
