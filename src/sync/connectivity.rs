//! Whether the browser believes it has a network, following `online` and `offline` events.

use leptos::ev;
use leptos::prelude::*;

/// `navigator.onLine` as a signal that follows the browser's `online`/`offline` events.
pub fn use_online() -> ReadSignal<bool> {
    let (online, set_online) = signal(navigator_online());
    let on = window_event_listener(ev::online, move |_| set_online.set(true));
    let off = window_event_listener(ev::offline, move |_| set_online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    online
}

/// The browser's own opinion; `true` when there is no window (nothing to say otherwise).
pub fn navigator_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}
