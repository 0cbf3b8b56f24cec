//! The device's last known position, attached to status updates once the responder has
//! turned location on. Never waited for: a tap is saved at once, with or without it.

use std::cell::RefCell;
use tenfour_protocol::wire::Location;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

const SETTING: &str = "tenfour.share-location";

thread_local! {
    static LAST: RefCell<Option<Location>> = const { RefCell::new(None) };
    static WATCHING: RefCell<bool> = const { RefCell::new(false) };
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
    });
    if geolocation
        .watch_position(on_position.as_ref().unchecked_ref())
        .is_ok()
    {
        WATCHING.with(|w| *w.borrow_mut() = true);
    }
    on_position.forget();
}
