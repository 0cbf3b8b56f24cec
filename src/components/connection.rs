//! The connection indicator in the header: whether the device has a network at all.

use crate::sync::connectivity::use_online;
use leptos::prelude::*;

#[component]
pub fn ConnectionIndicator() -> impl IntoView {
    let online = use_online();
    let label = move || if online.get() { "Online" } else { "Offline" };
    let state = move || if online.get() { "online" } else { "offline" };
    view! {
        <span class="connection" data-state=state role="status" aria-live="polite">
            <span class="connection-dot" aria-hidden="true"></span>
            {label}
        </span>
    }
}
