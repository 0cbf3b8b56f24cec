//! Times as a responder reads them: local clock time and how long ago.

use tenfour_protocol::view::age;
use tenfour_protocol::wire::Millis;

/// "14:02" in the device's time zone.
pub fn clock(at: Millis) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// "as of 14:02, 9 min ago": how fresh a cached record is.
pub fn as_of(now: Millis, synced_at: Millis) -> String {
    format!("as of {}, {}", clock(synced_at), age(now, synced_at))
}
