//! The agency's map pack, stored whole on the device so the map draws in a basement: after
//! sign-in, while online, the pack is downloaded in pieces of [`CHUNK`] bytes into the
//! origin-private file system (`pack-…/chunk-0`, `chunk-1`, …). Each piece is its own file,
//! written and closed at once, so a download cut off by a lost signal, a closed tab or a
//! dead battery resumes at the first missing piece. A new version of the pack (another ETag)
//! is downloaded beside the stored one, which stays in use until the new one is whole.
//!
//! Which pack is stored (and which one is on its way) is remembered in localStorage.

use crate::api::{self, ApiError};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenfour_protocol::wire::MapPack;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{FileSystemDirectoryHandle, FileSystemFileHandle};

/// Bytes per piece: small enough that a weak signal finishes one, large enough that a city
/// pack is a handful of requests.
pub const CHUNK: u64 = 512 * 1024;
/// How long a paused download waits before trying again while the device is online.
const RETRY_MS: u32 = 15_000;

const STORED: &str = "tenfour.map.stored";
const PENDING: &str = "tenfour.map.pending";

/// A pack in the device's file system: what it is and in which folder its pieces are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPack {
    pub pack: MapPack,
    pub folder: String,
}

/// Where the download stands, for the screens to say.
#[derive(Debug, Clone, PartialEq)]
pub enum PackState {
    /// Not asked yet (signed out, or not online since sign-in).
    Unknown,
    /// The agency has no map pack.
    NoPack,
    /// Downloading: bytes stored of the total.
    Downloading { have: u64, total: u64 },
    /// Stopped part-way; resumes by itself when the network allows.
    Paused { have: u64, total: u64, why: String },
    /// Whole on the device.
    Stored,
}

/// The map pack service, provided at the root.
#[derive(Clone, Copy)]
pub struct MapPacks {
    pub state: RwSignal<PackState>,
    /// The whole pack on this device, if any: what the map draws from offline.
    pub stored: RwSignal<Option<StoredPack>>,
    running: StoredValue<bool>,
    woken: StoredValue<bool>,
}

pub fn use_map_packs() -> MapPacks {
    expect_context::<MapPacks>()
}

fn remembered(key: &str) -> Option<StoredPack> {
    let text = crate::settings::storage()?.get_item(key).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

fn remember(key: &str, pack: Option<&StoredPack>) {
    let Some(storage) = crate::settings::storage() else {
        return;
    };
    let _ = match pack.and_then(|p| serde_json::to_string(p).ok()) {
        Some(text) => storage.set_item(key, &text),
        None => storage.remove_item(key),
    };
}

/// Makes the service and provides it to everything below. `online_token` is the session's
/// token while signed in and online: each time it turns up, the pack is checked (and
/// downloaded or resumed if needed).
pub fn provide_map_packs(online_token: Memo<Option<String>>) -> MapPacks {
    let stored = remembered(STORED);
    let service = MapPacks {
        state: RwSignal::new(if stored.is_some() {
            PackState::Stored
        } else {
            PackState::Unknown
        }),
        stored: RwSignal::new(stored),
        running: StoredValue::new(false),
        woken: StoredValue::new(false),
    };
    provide_context(service);
    Effect::new(move |_| {
        if let Some(token) = online_token.get() {
            service.refresh(token, online_token);
        }
    });
    service
}

impl MapPacks {
    /// Checks the agency's pack and downloads what is missing. While that runs, a call
    /// (the network is back) cuts short its wait before the next try.
    fn refresh(self, token: String, online_token: Memo<Option<String>>) {
        if self.running.get_value() {
            self.woken.set_value(true);
            return;
        }
        self.running.set_value(true);
        leptos::task::spawn_local(async move {
            let mut token = token;
            loop {
                self.woken.set_value(false);
                let paused = self.bring(&token).await;
                if !paused {
                    break;
                }
                let mut waited = 0;
                while waited < RETRY_MS && !self.woken.get_value() {
                    gloo_timers::future::TimeoutFuture::new(500).await;
                    waited += 500;
                }
                // Still signed in and online? Otherwise the next sign-in or return of the
                // network starts again.
                match online_token.get_untracked() {
                    Some(now) => token = now,
                    None => break,
                }
            }
            self.running.set_value(false);
        });
    }

    /// One attempt: returns whether it paused (and should be tried again).
    async fn bring(self, token: &str) -> bool {
        let stored = self.stored.get_untracked();
        let pack = match api::map::pack(token).await {
            Ok(Some(pack)) => pack,
            Ok(None) => {
                self.state.set(PackState::NoPack);
                return false;
            }
            Err(ApiError::Unreachable(_)) => {
                self.pause_or_keep(&stored, "waiting for the network");
                return stored.is_none() || remembered(PENDING).is_some();
            }
            Err(err) => {
                leptos::logging::warn!("map pack: {}", err.message());
                self.pause_or_keep(&stored, &err.message());
                return false;
            }
        };
        if stored.as_ref().is_some_and(|s| s.pack.etag == pack.etag) {
            self.state.set(PackState::Stored);
            return false;
        }
        // The same version resumes; another one starts in a folder of its own.
        let pending = match remembered(PENDING) {
            Some(p) if p.pack.etag == pack.etag => p,
            other => {
                if let Some(old) = other {
                    let _ = remove_folder(&old.folder).await;
                }
                let folder = format!(
                    "pack-{:08x}",
                    (js_sys::Math::random() * f64::from(u32::MAX)) as u32
                );
                let pending = StoredPack { pack, folder };
                remember(PENDING, Some(&pending));
                pending
            }
        };
        match self.download(token, &pending).await {
            Ok(true) => {
                remember(STORED, Some(&pending));
                remember(PENDING, None);
                if let Some(old) = stored.filter(|s| s.folder != pending.folder) {
                    let _ = remove_folder(&old.folder).await;
                }
                self.stored.set(Some(pending));
                self.state.set(PackState::Stored);
                false
            }
            // The pack changed on the hub while downloading: look again at once.
            Ok(false) => {
                remember(PENDING, None);
                let _ = remove_folder(&pending.folder).await;
                true
            }
            Err(why) => {
                leptos::logging::warn!("map pack: {why}");
                true
            }
        }
    }

    fn pause_or_keep(self, stored: &Option<StoredPack>, why: &str) {
        if let Some(pending) = remembered(PENDING) {
            let total = pending.pack.size;
            let have = match self.state.get_untracked() {
                PackState::Downloading { have, .. } | PackState::Paused { have, .. } => have,
                _ => 0,
            };
            self.state.set(PackState::Paused {
                have,
                total,
                why: why.to_owned(),
            });
        } else if stored.is_some() {
            self.state.set(PackState::Stored);
        }
    }

    /// Downloads the pieces `pending` lacks. `Ok(true)` once whole, `Ok(false)` if the hub
    /// has another version now.
    async fn download(self, token: &str, pending: &StoredPack) -> Result<bool, String> {
        let total = pending.pack.size;
        let folder = open_folder(&pending.folder, true)
            .await
            .map_err(|e| format!("cannot store the map: {e:?}"))?;
        let pieces = total.div_ceil(CHUNK);
        let mut index = 0;
        while index < pieces && piece_len(&folder, index).await == Some(expected(total, index)) {
            index += 1;
        }
        while index < pieces {
            let have = index * CHUNK;
            self.state.set(PackState::Downloading { have, total });
            let end = (have + CHUNK).min(total);
            let piece = api::map::piece(token, &pending.pack.etag, have, end).await;
            let bytes = match piece {
                Ok(api::map::Piece::Bytes(bytes)) => bytes,
                Ok(api::map::Piece::Changed) => return Ok(false),
                Err(err) => {
                    let why = match err {
                        ApiError::Unreachable(_) => "waiting for the network".to_owned(),
                        other => other.message(),
                    };
                    self.state.set(PackState::Paused {
                        have,
                        total,
                        why: why.clone(),
                    });
                    return Err(why);
                }
            };
            write_piece(&folder, index, &bytes)
                .await
                .map_err(|e| format!("cannot store the map: {e:?}"))?;
            index += 1;
        }
        self.state
            .set(PackState::Downloading { have: total, total });
        Ok(true)
    }
}

/// The length piece `index` has when whole.
fn expected(total: u64, index: u64) -> u64 {
    (total - index * CHUNK).min(CHUNK)
}

fn piece_name(index: u64) -> String {
    format!("chunk-{index}")
}

async fn root() -> Result<FileSystemDirectoryHandle, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let root = JsFuture::from(window.navigator().storage().get_directory()).await?;
    root.dyn_into()
}

async fn open_folder(name: &str, create: bool) -> Result<FileSystemDirectoryHandle, JsValue> {
    let options = web_sys::FileSystemGetDirectoryOptions::new();
    options.set_create(create);
    let handle = JsFuture::from(
        root()
            .await?
            .get_directory_handle_with_options(name, &options),
    )
    .await?;
    handle.dyn_into()
}

async fn remove_folder(name: &str) -> Result<(), JsValue> {
    let options = web_sys::FileSystemRemoveOptions::new();
    options.set_recursive(true);
    JsFuture::from(root().await?.remove_entry_with_options(name, &options)).await?;
    Ok(())
}

/// The stored length of piece `index`, if it exists.
async fn piece_len(folder: &FileSystemDirectoryHandle, index: u64) -> Option<u64> {
    let handle: FileSystemFileHandle = JsFuture::from(folder.get_file_handle(&piece_name(index)))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let file: web_sys::File = JsFuture::from(handle.get_file())
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    Some(file.size() as u64)
}

/// Writes piece `index` whole: the file holds it only once closed.
async fn write_piece(
    folder: &FileSystemDirectoryHandle,
    index: u64,
    bytes: &[u8],
) -> Result<(), JsValue> {
    let options = web_sys::FileSystemGetFileOptions::new();
    options.set_create(true);
    let handle: FileSystemFileHandle =
        JsFuture::from(folder.get_file_handle_with_options(&piece_name(index), &options))
            .await?
            .dyn_into()?;
    let writable: web_sys::FileSystemWritableFileStream =
        JsFuture::from(handle.create_writable()).await?.dyn_into()?;
    JsFuture::from(writable.write_with_u8_array(bytes)?).await?;
    JsFuture::from(writable.close()).await?;
    Ok(())
}

/// "3.9 MB", "512 KB": sizes as a responder reads them.
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}
