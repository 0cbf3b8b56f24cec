//! Pocket alerts: the device's Web Push subscription, kept in step with the hub.
//!
//! The crew turns alerts on with one tap (the browser asks for permission then, never on
//! first paint). While they are on, every start and every return of the network checks the
//! subscription: made with the agency's current key, and saved on the hub for this session.
//! Signing out unsubscribes the device; the hub drops the subscription itself when the
//! session ends, moves to another unit or the unit goes out of service, and the device
//! subscribes again when it is back in service.

use crate::api::{self, ApiError};
use crate::settings;
use js_sys::{Reflect, Uint8Array};
use tenfour_protocol::wire::PushSubscription;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{NotificationPermission, PushManager};

/// The crew asked for pocket alerts on this device.
const WANTED: &str = "tenfour-pocket-alerts";
/// The agency key the device's subscription was made with.
const SUBSCRIBED_KEY: &str = "tenfour-pocket-alerts-key";

/// What the settings and the home screen show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pocket {
    /// This browser cannot receive pushes (or not outside an installed app, as on iOS).
    Unsupported,
    /// The browser's notifications are blocked for this site: only its settings undo that.
    Blocked,
    On,
    Off,
}

pub fn state() -> Pocket {
    if !supported() {
        return Pocket::Unsupported;
    }
    match web_sys::Notification::permission() {
        NotificationPermission::Denied => Pocket::Blocked,
        NotificationPermission::Granted if settings::flag(WANTED) => Pocket::On,
        _ => Pocket::Off,
    }
}

fn supported() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let has = |object: &JsValue, name: &str| Reflect::has(object, &name.into()).unwrap_or(false);
    has(&window, "PushManager")
        && has(&window, "Notification")
        && has(&window.navigator(), "serviceWorker")
}

/// Turns alerts on (from a tap: the browser asks for permission now).
pub async fn turn_on(token: &str) -> Result<(), String> {
    if !supported() {
        return Err("this browser cannot deliver alerts with the screen off".into());
    }
    let asked = web_sys::Notification::request_permission().map_err(js_error)?;
    let answer = JsFuture::from(asked).await.map_err(js_error)?;
    if answer.as_string().as_deref() != Some("granted") {
        return Err(
            "notifications are not allowed for tenfour: allow them in the browser's \
                    site settings"
                .into(),
        );
    }
    settings::set_flag(WANTED, true);
    keep(token).await
}

/// Turns alerts off on this device and on the hub.
pub async fn turn_off(token: &str) {
    settings::set_flag(WANTED, false);
    forget_here().await;
    let _ = api::web_push::unsubscribe(token).await;
}

/// When alerts are on: a subscription with the agency's current key, saved on the hub.
/// Offline this fails quietly and the next start or return of the network tries again.
pub async fn keep(token: &str) -> Result<(), String> {
    if state() != Pocket::On {
        return Ok(());
    }
    let key = api::web_push::key(token).await.map_err(|e| e.message())?;
    let manager = manager().await?;
    let mut subscription = current(&manager).await?;
    let same_key = settings::storage()
        .and_then(|s| s.get_item(SUBSCRIBED_KEY).ok().flatten())
        .is_some_and(|k| k == key.public_key);
    if let Some(old) = subscription.take_if(|_| !same_key) {
        let _ = JsFuture::from(old.unsubscribe().map_err(js_error)?).await;
    }
    let subscription = match subscription {
        Some(subscription) => subscription,
        None => subscribe(&manager, &key.public_key).await?,
    };
    if let Some(storage) = settings::storage() {
        let _ = storage.set_item(SUBSCRIBED_KEY, &key.public_key);
    }
    let json = js_sys::JSON::stringify(&subscription)
        .map_err(js_error)?
        .as_string()
        .unwrap_or_default();
    let body: PushSubscription =
        serde_json::from_str(&json).map_err(|e| format!("unreadable subscription: {e}"))?;
    match api::web_push::subscribe(token, &body).await {
        Ok(()) => Ok(()),
        Err(ApiError::Unreachable(_)) => Ok(()),
        Err(err) => Err(err.message()),
    }
}

/// Unsubscribes this device (signing out): no push reaches it any more.
pub async fn forget_here() {
    if !supported() {
        return;
    }
    if let Ok(manager) = manager().await
        && let Ok(Some(subscription)) = current(&manager).await
        && let Ok(done) = subscription.unsubscribe()
    {
        let _ = JsFuture::from(done).await;
    }
}

/// While the app is open and visible the service worker passes pushes here instead of
/// showing them: `wake` (the sync engine) fetches what changed, and the app alerts as usual.
pub fn wake_on_push(wake: fn()) {
    if !supported() {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let listener = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::MessageEvent)>::new(
        move |event: web_sys::MessageEvent| {
            let is_push = Reflect::get(&event.data(), &"type".into())
                .ok()
                .and_then(|t| t.as_string())
                .is_some_and(|t| t == "tenfour-push");
            if is_push {
                wake();
            }
        },
    );
    let _ = window
        .navigator()
        .service_worker()
        .add_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
    // For the page's lifetime.
    listener.forget();
}

async fn manager() -> Result<PushManager, String> {
    let window = web_sys::window().ok_or("no window")?;
    let ready = window
        .navigator()
        .service_worker()
        .ready()
        .map_err(js_error)?;
    // `ready` never settles without an active service worker (one that failed to install):
    // signing out must not wait for it.
    use futures::FutureExt;
    let registration = futures::select! {
        ready = JsFuture::from(ready).fuse() => ready.map_err(js_error)?,
        () = gloo_timers::future::TimeoutFuture::new(3_000).fuse() => {
            return Err("the service worker is not running on this device".into());
        }
    };
    let registration: web_sys::ServiceWorkerRegistration = registration.unchecked_into();
    registration.push_manager().map_err(js_error)
}

async fn current(manager: &PushManager) -> Result<Option<web_sys::PushSubscription>, String> {
    let found = JsFuture::from(manager.get_subscription().map_err(js_error)?)
        .await
        .map_err(js_error)?;
    Ok((!found.is_null() && !found.is_undefined()).then(|| found.unchecked_into()))
}

async fn subscribe(manager: &PushManager, key: &str) -> Result<web_sys::PushSubscription, String> {
    let key = decode_base64url(key).ok_or("the hub's push key is unreadable")?;
    let options = js_sys::Object::new();
    Reflect::set(&options, &"userVisibleOnly".into(), &true.into()).map_err(js_error)?;
    Reflect::set(
        &options,
        &"applicationServerKey".into(),
        &Uint8Array::from(key.as_slice()),
    )
    .map_err(js_error)?;
    let subscribing = manager
        .subscribe_with_options(options.unchecked_ref())
        .map_err(js_error)?;
    Ok(JsFuture::from(subscribing)
        .await
        .map_err(|e| format!("the browser's push service refused: {}", js_error(e)))?
        .unchecked_into())
}

fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    let mut standard: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    let binary = web_sys::window()?.atob(&standard).ok()?;
    Some(binary.chars().map(|c| c as u8).collect())
}

fn js_error(value: JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
