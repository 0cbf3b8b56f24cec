//! Day and night themes: follow the device, or the responder's choice kept on the device.

use crate::settings::storage;

const SETTING: &str = "tenfour.theme";

/// "system", "day" or "night".
pub fn current() -> String {
    storage()
        .and_then(|s| s.get_item(SETTING).ok().flatten())
        .filter(|t| t == "day" || t == "night")
        .unwrap_or_else(|| "system".into())
}

/// Sets `data-theme` on `<html>` (the CSS reads it) and remembers the choice.
pub fn apply(theme: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(SETTING, theme);
    }
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element());
    if let Some(root) = root {
        let _ = match theme {
            "day" | "night" => root.set_attribute("data-theme", theme),
            _ => root.remove_attribute("data-theme"),
        };
    }
}
