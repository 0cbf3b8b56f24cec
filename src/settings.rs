//! Small choices remembered on this device (localStorage: synchronous, this origin only):
//! location sharing, silent emergencies, the theme, drafts, the board's thresholds.

pub fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// An on/off setting; off until turned on.
pub fn flag(key: &str) -> bool {
    storage()
        .and_then(|s| s.get_item(key).ok().flatten())
        .is_some_and(|v| v == "on")
}

pub fn set_flag(key: &str, on: bool) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(key, if on { "on" } else { "off" });
    }
}
