//! Drafts kept on the device until they are sent or discarded: a half-written note or
//! new-incident form survives a reload, a crash or a swapped battery. Kept in localStorage
//! (small, synchronous, this origin only) and forgotten at sign-out, so the next person on a
//! shared device does not find them.

use leptos::prelude::*;

const PREFIX: &str = "tenfour.draft.";

use crate::settings::storage;

/// A text signal for the draft `key`, starting from what was kept (or `default`) and kept
/// on the device at every change; an empty value forgets it.
pub fn draft_or(key: &str, default: &str) -> RwSignal<String> {
    let full = format!("{PREFIX}{key}");
    let kept = storage().and_then(|s| s.get_item(&full).ok().flatten());
    let signal = RwSignal::new(kept.unwrap_or_else(|| default.to_owned()));
    let default = default.to_owned();
    Effect::new(move |_| {
        let value = signal.get();
        if let Some(storage) = storage() {
            let _ = if value.is_empty() || value == default {
                storage.remove_item(&full)
            } else {
                storage.set_item(&full, &value)
            };
        }
    });
    signal
}

pub fn draft(key: &str) -> RwSignal<String> {
    draft_or(key, "")
}

/// Forgets every draft whose key starts with `prefix` (all of them for "").
pub fn forget(prefix: &str) {
    let Some(storage) = storage() else { return };
    let wanted = format!("{PREFIX}{prefix}");
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(&wanted))
        .collect();
    for key in keys {
        let _ = storage.remove_item(&key);
    }
}
