//! The device's last known position, attached to status updates once the responder has
//! turned location on. Never waited for: a tap is saved at once, with or without it. While
//! an emergency is active, each new position is offered to whoever follows (the emergency
//! panel), which sends it on when it is due.

use std::cell::RefCell;
use std::rc::Rc;
use tenfour_protocol::wire::{Location, Millis};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

const SETTING: &str = "tenfour.share-location";

thread_local! {
    static LAST: RefCell<Option<Location>> = const { RefCell::new(None) };
    static WATCHING: RefCell<bool> = const { RefCell::new(false) };
    static FOLLOWER: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
    static SENT: RefCell<Option<(Location, Millis)>> = const { RefCell::new(None) };
}

/// Calls `follower` on each new position until [`unfollow`].
pub fn follow(follower: impl Fn() + 'static) {
    FOLLOWER.with(|f| *f.borrow_mut() = Some(Rc::new(follower)));
}

pub fn unfollow() {
    FOLLOWER.with(|f| *f.borrow_mut() = None);
}

/// The last position sent to dispatch, and when.
pub fn last_sent() -> Option<(Location, Millis)> {
    SENT.with(|s| s.borrow().clone())
}

pub fn mark_sent(location: Location, at: Millis) {
    SENT.with(|s| *s.borrow_mut() = Some((location, at)));
}

pub fn last_known() -> Option<Location> {
    LAST.with(|l| l.borrow().clone())
}

/// Whether the responder turned location on (remembered on the device).
pub fn enabled() -> bool {
    crate::settings::flag(SETTING)
}

pub fn set_enabled(on: bool) {
    crate::settings::set_flag(SETTING, on);
    if on {
        watch();
    } else {
        LAST.with(|l| *l.borrow_mut() = None);
    }
}

/// At start: follows the position again if the responder had turned location on, so the
/// setting shown and what is attached to status updates agree after a reload.
pub fn resume() {
    if enabled() {
        watch();
    }
}

/// Starts following the position (the browser asks for permission the first time).
pub fn watch() {
    if WATCHING.with(|w| *w.borrow()) {
        return;
    }
    let Some(geolocation) = web_sys::window().and_then(|w| w.navigator().geolocation().ok()) else {
        return;
    };
    let on_position = Closure::<dyn Fn(web_sys::Position)>::new(|position: web_sys::Position| {
        if !enabled() {
            return;
        }
        let coords = position.coords();
        LAST.with(|l| {
            *l.borrow_mut() = Some(Location {
                latitude: coords.latitude(),
                longitude: coords.longitude(),
                accuracy_m: Some(coords.accuracy()),
            })
        });
        // Called outside the borrow: the follower reads the position again.
        if let Some(follower) = FOLLOWER.with(|f| f.borrow().clone()) {
            follower();
        }
    });
    if geolocation
        .watch_position(on_position.as_ref().unchecked_ref())
        .is_ok()
    {
        WATCHING.with(|w| *w.borrow_mut() = true);
    }
    on_position.forget();
}
