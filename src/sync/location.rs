//! The device's position as a service in context (`use_location`, provided at the root):
//! whether the responder shares it, and the last fix as a signal. Attached to status updates
//! once the responder has turned location on, never waited for: a tap is saved at once, with
//! or without it. While an emergency is active, the panel follows the signal and sends each
//! position on when one is due. The browser's watch is started when sharing is turned on,
//! cleared when it is turned off or the root goes away.

use leptos::prelude::*;
use tenfour_protocol::wire::{Location, Millis};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

const SETTING: &str = "tenfour.share-location";

#[derive(Clone, Copy)]
pub struct Geo {
    /// Whether the responder turned location on (remembered on the device). Turning it on
    /// starts following the position (the browser asks for permission the first time).
    pub sharing: RwSignal<bool>,
    /// The last fix while sharing; `None` when off or before the first fix.
    pub position: ReadSignal<Option<Location>>,
    /// The last position sent to dispatch, and when.
    pub sent: RwSignal<Option<(Location, Millis)>>,
}

/// The browser's watch: its id and the callback it calls (kept alive while it runs).
type Watch = (i32, Closure<dyn Fn(web_sys::Position)>);

fn geolocation() -> Option<web_sys::Geolocation> {
    web_sys::window().and_then(|w| w.navigator().geolocation().ok())
}

fn stop(watch: StoredValue<Option<Watch>, LocalStorage>) {
    if let Some((id, _callback)) = watch.try_update_value(Option::take).flatten()
        && let Some(geolocation) = geolocation()
    {
        geolocation.clear_watch(id);
    }
}

/// Makes the service and provides it to everything below.
pub fn provide_location() -> Geo {
    let sharing = RwSignal::new(crate::settings::flag(SETTING));
    let (position, set_position) = signal(None::<Location>);
    let watch = StoredValue::new_local(None::<Watch>);
    Effect::new(move |before: Option<bool>| {
        let on = sharing.get();
        if before.is_some() {
            crate::settings::set_flag(SETTING, on);
        }
        if !on {
            stop(watch);
            set_position.set(None);
            return on;
        }
        if watch.with_value(Option::is_some) {
            return on;
        }
        let Some(geolocation) = geolocation() else {
            return on;
        };
        let callback = Closure::<dyn Fn(web_sys::Position)>::new(move |at: web_sys::Position| {
            let coords = at.coords();
            set_position.set(Some(Location {
                latitude: coords.latitude(),
                longitude: coords.longitude(),
                accuracy_m: Some(coords.accuracy()),
            }));
        });
        if let Ok(id) = geolocation.watch_position(callback.as_ref().unchecked_ref()) {
            watch.set_value(Some((id, callback)));
        }
        on
    });
    on_cleanup(move || stop(watch));
    let geo = Geo {
        sharing,
        position,
        sent: RwSignal::new(None),
    };
    provide_context(geo);
    geo
}

/// The position service provided at the root.
pub fn use_location() -> Geo {
    expect_context::<Geo>()
}

impl Geo {
    /// The last fix, without subscribing to it (for an action being recorded now).
    pub fn here(self) -> Option<Location> {
        self.position.get_untracked()
    }
}
