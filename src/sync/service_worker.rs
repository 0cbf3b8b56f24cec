//! Registers `/sw.js`, which keeps the app shell for offline starts.

use wasm_bindgen_futures::JsFuture;

pub fn register() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    // Outside a secure context (plain http on a LAN address) there is no service worker.
    if !js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        return;
    }
    let container = navigator.service_worker();
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(err) = JsFuture::from(container.register("/sw.js")).await {
            leptos::logging::warn!("service worker not registered: {err:?}");
        }
    });
}
