//! The device's clocks: wall time for records, the page's monotonic clock for timers.

use tenfour_protocol::wire::Millis;

/// Wall-clock time, Unix milliseconds.
pub fn now_ms() -> Millis {
    js_sys::Date::now() as Millis
}

/// The page's monotonic clock (ms since it loaded): for durations that must not jump when
/// the wall clock is set.
pub fn performance_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
