//! The connection banner (online, offline, syncing, error, sign in again) with the number of
//! actions waiting, and the toast that confirms each action: saved here, then delivered.

use crate::components::connection::link_label;
use crate::state::{Link, use_app};
use crate::sync::connectivity::use_online;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let state = use_app();
    let online = use_online();
    let link = move || {
        if online.get() {
            state.link.get()
        } else {
            Link::Offline
        }
    };
    let waiting = move || state.outbox.with(Vec::len);
    let rejected = move || state.rejected.with(Vec::len);
    let outbox = crate::side::use_side().path("/outbox");
    view! {
        // A link (to sync, settings and sign-out) whose text is read out when it changes:
        // the live region is inside it, since a link must keep its link role.
        <A href=outbox attr:class="connection" attr:data-state=move || link_label(&link()).0
            attr:aria-label=move || format!("Connection: {}. Sync, settings and sign-out", link_label(&link()).1)>
            <span class="connection-dot" aria-hidden="true"></span>
            <span class="connection-text" role="status" aria-live="polite">{move || link_label(&link()).1}</span>
            <Show when=move || { waiting() > 0 }>
                <span class="pending-count" data-testid="pending-count">
                    {move || format!("{} waiting", waiting())}
                </span>
            </Show>
            <Show when=move || { rejected() > 0 }>
                <span class="rejected-count">{move || format!("{} refused", rejected())}</span>
            </Show>
        </A>
    }
}

/// The device could not read or write its own store: nothing else matters more to say.
#[component]
pub fn StoreError() -> impl IntoView {
    let state = use_app();
    view! {
        {move || state.store_error.get().map(|error| view! {
            <p class="store-error" role="alert">
                {format!("This device could not use its storage: {error}. Keep this page open and tell dispatch by radio.")}
            </p>
        })}
    }
}

/// Confirms the last action: saved on the device at once, then delivered (or refused).
#[component]
pub fn SavedToast() -> impl IntoView {
    let state = use_app();
    let status = move || {
        let last = state.last_action.get()?;
        let seq = last.seq;
        let (kind, text) = if let Some(r) = state
            .rejected
            .with(|r| r.iter().find(|r| r.entry.seq == seq).cloned())
        {
            (
                "rejected",
                format!("{}: dispatch refused it — {}", last.label, r.reason),
            )
        } else if state
            .delivered
            .with(|d| d.iter().any(|d| d.entry.seq == seq))
        {
            (
                "delivered",
                format!("{}: delivered to dispatch", last.label),
            )
        } else if state.outbox.with(|o| o.iter().any(|e| e.seq == seq)) {
            (
                "saved",
                format!(
                    "{}: saved on this device, sending when connected",
                    last.label
                ),
            )
        } else {
            (
                "delivered",
                format!("{}: delivered to dispatch", last.label),
            )
        };
        Some((kind, text, last.commit_ms, seq))
    };
    view! {
        {move || status().map(|(kind, text, commit_ms, seq)| view! {
            <div class="toast" data-state=kind data-commit-ms=format!("{commit_ms:.1}") data-seq=seq.to_string()
                role="status" aria-live="polite" data-testid="toast">
                {text}
            </div>
        })}
    }
}
