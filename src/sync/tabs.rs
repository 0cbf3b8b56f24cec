//! Tabs of the same app share one IndexedDB; only one of them (the leader) runs the sync
//! engine. A BroadcastChannel tells the other tabs to reload after a write, and tells the
//! leader that a follower queued an action.

use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

const CHANNEL: &str = "tenfour";
const CHANGED: &str = "changed";
const KICK: &str = "kick";

thread_local! {
    static CHANNEL_HANDLE: RefCell<Option<web_sys::BroadcastChannel>> = const { RefCell::new(None) };
}

/// Opens the channel; `on_changed` runs when another tab wrote to the store, `on_kick` when
/// another tab asks the leader to sync.
pub fn listen(on_changed: impl Fn() + 'static, on_kick: impl Fn() + 'static) {
    let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
        return;
    };
    let handler =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            match event.data().as_string().as_deref() {
                Some(CHANGED) => on_changed(),
                Some(KICK) => on_kick(),
                _ => {}
            }
        });
    channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the page.
    handler.forget();
    CHANNEL_HANDLE.with(|c| *c.borrow_mut() = Some(channel));
}

fn post(message: &str) {
    CHANNEL_HANDLE.with(|c| {
        if let Some(channel) = c.borrow().as_ref() {
            let _ = channel.post_message(&message.into());
        }
    });
}

/// Tell the other tabs to reload from the store.
pub fn announce_changed() {
    post(CHANGED);
}

/// Ask the leader tab to sync now.
pub fn ask_leader_to_sync() {
    post(KICK);
}
