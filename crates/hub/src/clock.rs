//! The hub's clock: every time the hub records or compares is milliseconds since the Unix
//! epoch, read here. Check-in deadlines are judged against it, never against a device's clock.

use tenfour_protocol::wire::Millis;

pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}
