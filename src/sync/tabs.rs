//! Tabs of the same app share one IndexedDB; only one of them (the leader) runs the sync
//! engine. A BroadcastChannel tells the other tabs to reload after a write, and tells the
//! leader that a follower queued an action.

use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

const CHANNEL: &str = "tenfour";
const CHANGED: &str = "changed";
const KICK: &str = "kick";
/// The leader's connection state, `link:` followed by `Link::to_message`.
const LINK: &str = "link:";
/// A new tab asks the leader for its connection state.
const LINK_ASKED: &str = "link?";

thread_local! {
    static CHANNEL_HANDLE: RefCell<Option<web_sys::BroadcastChannel>> = const { RefCell::new(None) };
}

/// What the channel tells a tab.
pub struct Listeners<C, K, L, A> {
    /// Another tab wrote to the store.
    pub changed: C,
    /// Another tab asks the leader to sync.
    pub kick: K,
    /// The leader's connection state (followers show it as their own).
    pub link: L,
    /// A new tab asks the leader for its connection state.
    pub link_asked: A,
}

/// Opens the channel and calls the listeners as messages arrive.
pub fn listen<C, K, L, A>(listeners: Listeners<C, K, L, A>)
where
    C: Fn() + 'static,
    K: Fn() + 'static,
    L: Fn(&str) + 'static,
    A: Fn() + 'static,
{
    let Listeners {
        changed: on_changed,
        kick: on_kick,
        link: on_link,
        link_asked: on_link_asked,
    } = listeners;
    let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
        return;
    };
    let handler =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            match event.data().as_string().as_deref() {
                Some(CHANGED) => on_changed(),
                Some(KICK) => on_kick(),
                Some(LINK_ASKED) => on_link_asked(),
                Some(other) => {
                    if let Some(link) = other.strip_prefix(LINK) {
                        on_link(link);
                    }
                }
                None => {}
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

/// The leader tells the other tabs its connection state.
pub fn announce_link(message: &str) {
    post(&format!("{LINK}{message}"));
}

/// A follower asks the leader for its connection state.
pub fn ask_for_link() {
    post(LINK_ASKED);
}
