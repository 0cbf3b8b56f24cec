//! The sync engine: pushes the outbox in order, pulls changes by cursor, then follows the
//! live stream. One per device: a Web Lock elects the tab that runs it.
//!
//! It wakes on a new action, on `online`, when the page becomes visible, when the stream
//! asks for a resync, and on a slow timer; after a failure it waits with exponential backoff
//! and jitter. It never blocks the screens: they read the store, and the engine writes it.

use crate::api::{self, ApiError};
use crate::clock::performance_now;
use crate::store::{Applied, CURSOR_BACKWARDS, SavedSession, shared as store};
use crate::sync::link::Link;
use crate::sync::tabs;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures::{FutureExt, StreamExt};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::{Effect, Get, GetUntracked, RwSignal, Set, set_interval_with_handle};
use std::cell::{Cell, RefCell};
use tenfour_protocol::wire::{Change, Outcome};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

const LOCK_NAME: &str = "tenfour-sync";
const PUSH_BATCH: usize = 50;
/// With nothing to do, look again this often anyway (a missed wake-up costs at most this).
const IDLE_CHECK_MS: u32 = 30_000;
/// Retries while the hub cannot be reached stay short, so the crew sees "Online" within
/// seconds of the hub coming back (a refused connection costs the hub nothing).
const MAX_BACKOFF_MS: u32 = 3_000;
/// The hub sends a heartbeat on the live stream every 5 s; with none for this long, the
/// stream is taken as dead (a hub that died, a network that silently dropped).
const HEARTBEAT_LOST_MS: f64 = 8_000.0;

/// What the engine reports to: the screens' state (the shell passes the app's).
pub trait Host: Copy + 'static {
    /// Where the device stands with the hub.
    fn link(self) -> RwSignal<Link>;
    /// The device's storage failed: the screens say so.
    fn storage_failed(self, reason: String);
    /// The engine changed the store in a way only a full read shows (it started over, or
    /// the session ended): read everything again.
    fn reload(self) -> impl Future<Output = ()>;
    /// The engine wrote these records, and settled actions when `outbox`: show them.
    fn show_written(self, applied: Applied, outbox: bool) -> impl Future<Output = ()>;
}

thread_local! {
    static KICKS: RefCell<Option<UnboundedSender<()>>> = const { RefCell::new(None) };
    static IS_LEADER: Cell<bool> = const { Cell::new(false) };
    static STREAM: RefCell<Option<LiveStream>> = const { RefCell::new(None) };
    /// When the live stream last said anything (the page's monotonic clock, ms).
    static HEARD: Cell<f64> = const { Cell::new(0.0) };
    /// When this tab last forgot old calls and field events (the page's monotonic clock).
    static FORGOT_AT: Cell<Option<f64>> = const { Cell::new(None) };
}

/// How often the leader forgets calls closed long ago and the oldest field events.
const FORGET_EVERY_MS: f64 = 10.0 * 60_000.0;

/// Keeps the device's storage flat: at the first sync and every `FORGET_EVERY_MS` after.
async fn forget_old_if_due<H: Host>(state: H) {
    let now = performance_now();
    if FORGOT_AT.with(|at| at.get().is_some_and(|last| now - last < FORGET_EVERY_MS)) {
        return;
    }
    FORGOT_AT.with(|at| at.set(Some(now)));
    let Ok(store) = store().await else { return };
    match store
        .forget_old(crate::clock::now_ms(), crate::store::FEED_KEPT)
        .await
    {
        Ok(true) => {
            state.reload().await;
            tabs::announce_changed();
        }
        Ok(false) => {}
        Err(err) => leptos::logging::warn!("could not forget old calls: {err}"),
    }
}

/// In the leader, every second: a stream that has been silent past `HEARTBEAT_LOST_MS` is
/// closed and the link shown as not reaching dispatch, then the engine tries again.
fn watch_heartbeat<H: Host>(state: H) {
    let check = move || {
        if !IS_LEADER.with(Cell::get) {
            return;
        }
        let silent_for = performance_now() - HEARD.with(Cell::get);
        // Open or reconnecting by itself: either way it should be hearing heartbeats.
        let open = STREAM.with(|s| {
            s.borrow()
                .as_ref()
                .is_some_and(|live| live.source.ready_state() != web_sys::EventSource::CLOSED)
        });
        if open && silent_for > HEARTBEAT_LOST_MS {
            close_stream();
            state
                .link()
                .set(Link::Error("no word from the hub for 10 s".into()));
            kick();
        }
    };
    // The watchdog lives as long as the page: its handle is never cleared.
    let _ = set_interval_with_handle(check, std::time::Duration::from_secs(1));
}

fn heard_now() {
    HEARD.with(|h| h.set(performance_now()));
}

/// Starts the engine in this tab if it wins the lock; otherwise follows the leader.
pub fn start<H: Host>(state: H) {
    let leader = || IS_LEADER.with(Cell::get);
    tabs::listen(tabs::Listeners {
        changed: move || leptos::task::spawn_local(state.reload()),
        kick: move || {
            if leader() {
                kick();
            }
        },
        // Only the leader talks to the hub: the others show what it knows.
        link: move |message: &str| {
            if !leader()
                && let Some(link) = Link::from_message(message)
            {
                state.link().set(link);
            }
        },
        link_asked: move || {
            if leader() {
                tabs::announce_link(&state.link().get_untracked().to_message());
            }
        },
    });
    // Every change of the leader's state reaches the other tabs.
    Effect::new(move |_| {
        let link = state.link().get();
        if leader() {
            tabs::announce_link(&link.to_message());
        }
    });
    tabs::ask_for_link();
    watch_heartbeat(state);
    let become_leader = move || {
        IS_LEADER.with(|l| l.set(true));
        let (sender, receiver) = unbounded();
        KICKS.with(|k| *k.borrow_mut() = Some(sender));
        leptos::task::spawn_local(run(state, receiver));
    };
    if !request_lock(become_leader) {
        // No Web Locks (an old browser): this tab syncs alone.
        become_leader();
    }
    listen_for_wake_ups();
}

/// `navigator.locks.request(name, cb)` with a callback that holds the lock for the life of
/// the page. Returns false when the browser has no Web Locks.
fn request_lock(on_acquired: impl FnOnce() + 'static) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let navigator = window.navigator();
    let Ok(locks) = js_sys::Reflect::get(&navigator, &"locks".into()) else {
        return false;
    };
    if locks.is_undefined() {
        return false;
    }
    let Ok(request) = js_sys::Reflect::get(&locks, &"request".into()) else {
        return false;
    };
    let Ok(request) = request.dyn_into::<js_sys::Function>() else {
        return false;
    };
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        on_acquired();
        // Never resolves: the lock is released only when the tab goes away.
        js_sys::Promise::new(&mut |_, _| {}).into()
    });
    request.call2(&locks, &LOCK_NAME.into(), &callback).is_ok()
}

fn listen_for_wake_ups() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let wake = Closure::<dyn Fn()>::new(kick);
    let _ = window.add_event_listener_with_callback("online", wake.as_ref().unchecked_ref());
    if let Some(document) = window.document() {
        let visible = Closure::<dyn Fn()>::new(move || {
            let shown = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
            if shown {
                kick();
            }
        });
        let _ = document
            .add_event_listener_with_callback("visibilitychange", visible.as_ref().unchecked_ref());
        visible.forget();
    }
    wake.forget();
}

/// Asks the engine to sync now (from any tab).
pub fn kick() {
    let sent = KICKS.with(|k| {
        k.borrow()
            .as_ref()
            .is_some_and(|sender| sender.unbounded_send(()).is_ok())
    });
    if !sent {
        tabs::ask_leader_to_sync();
    }
}

/// Why one sync round stopped.
enum Stop {
    NoSession,
    Offline,
    SignInAgain,
    Failed(String),
    /// The device's own storage failed: a fault of this device, not of the link.
    Storage(String),
}

/// What can stop a push or a pull: the hub's answer, or this device's storage.
enum SyncError {
    Api(ApiError),
    Storage(String),
}

impl From<ApiError> for SyncError {
    fn from(err: ApiError) -> Self {
        SyncError::Api(err)
    }
}

fn storage<E: std::fmt::Display>(err: E) -> SyncError {
    SyncError::Storage(err.to_string())
}

async fn run<H: Host>(state: H, mut kicks: UnboundedReceiver<()>) {
    let mut failures: u32 = 0;
    loop {
        match sync_once(state).await {
            Ok(()) => {
                failures = 0;
                state.link().set(Link::Online);
                ensure_stream(state).await;
            }
            Err(stop) => {
                close_stream();
                match stop {
                    Stop::NoSession => state.link().set(Link::Online),
                    Stop::Offline => {
                        failures += 1;
                        state.link().set(Link::Offline);
                    }
                    Stop::SignInAgain => state.link().set(Link::SignInAgain),
                    Stop::Failed(reason) => {
                        failures += 1;
                        state.link().set(Link::Error(reason));
                    }
                    Stop::Storage(reason) => {
                        failures += 1;
                        state.storage_failed(reason);
                        state
                            .link()
                            .set(Link::Error("this device's storage failed".into()));
                    }
                }
            }
        }
        let wait = if failures == 0 {
            IDLE_CHECK_MS
        } else {
            backoff_ms(failures)
        };
        futures::select! {
            _ = kicks.next().fuse() => {},
            () = TimeoutFuture::new(wait).fuse() => {},
        }
        // Several wake-ups at once need one round.
        while kicks.try_recv().is_ok() {}
    }
}

/// 1 s, 2 s, 4 s ... up to 30 s, each with up to a third added at random, so that a fleet of
/// devices coming back together does not hammer the hub in step.
fn backoff_ms(failures: u32) -> u32 {
    let base = 1000u32
        .saturating_mul(1 << failures.min(5))
        .min(MAX_BACKOFF_MS);
    let jitter = (js_sys::Math::random() * f64::from(base) / 3.0) as u32;
    base + jitter
}

async fn sync_once<H: Host>(state: H) -> Result<(), Stop> {
    let store = store().await.map_err(Stop::Storage)?;
    let session = store
        .session()
        .await
        .map_err(|e| Stop::Storage(e.to_string()))?;
    let Some(session) = session else {
        return Err(Stop::NoSession);
    };
    if session.expired {
        return Err(Stop::SignInAgain);
    }
    if !crate::sync::connectivity::navigator_online() {
        return Err(Stop::Offline);
    }
    state.link().set(Link::Syncing);
    let mut pushed = false;
    let result = async {
        pushed = push_all(&session).await?;
        pull_all(&session).await
    }
    .await;
    match &result {
        Ok(Pulled::Records(applied)) => state.show_written(applied.clone(), pushed).await,
        // Started over, or stopped half way: what the store holds now is read whole.
        Ok(Pulled::StartedOver) | Err(_) => state.reload().await,
    }
    if pushed || !matches!(&result, Ok(Pulled::Records(applied)) if applied.is_empty()) {
        tabs::announce_changed();
    }
    if result.is_ok() {
        forget_old_if_due(state).await;
    }
    match result {
        Err(SyncError::Storage(reason)) => Err(Stop::Storage(reason)),
        Err(SyncError::Api(ApiError::SignedOut(_))) => {
            let expired = SavedSession {
                expired: true,
                ..session
            };
            let _ = store.save_session(&expired).await;
            state.reload().await;
            tabs::announce_changed();
            Err(Stop::SignInAgain)
        }
        // The device has a network but the hub does not answer: that is not "offline",
        // and the crew must know dispatch is not getting their updates.
        Err(SyncError::Api(ApiError::Unreachable(_))) => {
            Err(Stop::Failed("the hub does not answer".into()))
        }
        Err(SyncError::Api(ApiError::Refused { detail, .. })) => Err(Stop::Failed(detail)),
        Ok(_) => Ok(()),
    }
}

/// Sends the outbox in order until it is empty or the hub stops settling entries; true when
/// it sent anything (the outbox lists changed).
async fn push_all(session: &SavedSession) -> Result<bool, SyncError> {
    let store = store().await.map_err(storage)?;
    let mut batch_size = PUSH_BATCH;
    let mut pushed = false;
    loop {
        let outbox = store.outbox().await.map_err(storage)?;
        if outbox.is_empty() {
            return Ok(pushed);
        }
        let batch: Vec<_> = outbox.into_iter().take(batch_size).collect();
        let response = match api::push(&session.token, batch).await {
            // Too large for the hub (long notes in a script of 3 or 4 bytes a character):
            // send fewer at a time. One entry always fits the hub's limit.
            Err(ApiError::Refused { status: 413, .. }) if batch_size > 1 => {
                batch_size /= 2;
                continue;
            }
            other => other?,
        };
        store.settle(&response.results).await.map_err(storage)?;
        pushed = true;
        // No reload here: the records that show these actions' effects come with the pull
        // that follows, and showing the settled outbox first would flash stale state.
        if let Some(gap) = response.results.iter().find(|r| r.outcome == Outcome::Gap) {
            // The hub misses an entry this device no longer has: it cannot be sent again.
            return Err(SyncError::Api(ApiError::Refused {
                status: 409,
                detail: gap
                    .reason
                    .clone()
                    .unwrap_or_else(|| "the hub is waiting for an earlier action".into()),
            }));
        }
    }
}

/// What a pull wrote.
enum Pulled {
    /// These records, over what the device held.
    Records(Applied),
    /// The device forgot its records and pulled the hub's from the start.
    StartedOver,
}

/// Pulls pages until the hub has nothing newer.
async fn pull_all(session: &SavedSession) -> Result<Pulled, SyncError> {
    let store = store().await.map_err(storage)?;
    let mut applied = Applied::default();
    let mut started_over = false;
    loop {
        let since = store.cursor().await.map_err(storage)?;
        let page = match api::changes(&session.token, since).await {
            Err(ApiError::Refused { status: 409, .. }) => {
                // Our cursor is ahead of the hub (a reset hub): start over from its records.
                store.forget_synced().await.map_err(storage)?;
                started_over = true;
                continue;
            }
            other => other?,
        };
        let written = store
            .apply_changes(&page.changes, page.cursor)
            .await
            .map_err(storage)?;
        applied.extend(written);
        if !page.more {
            return Ok(if started_over {
                Pulled::StartedOver
            } else {
                Pulled::Records(applied)
            });
        }
    }
}

/// The live stream: an EventSource (it sends the session cookie and resumes with
/// Last-Event-ID by itself) and its listeners.
struct LiveStream {
    source: web_sys::EventSource,
    _on_change: Closure<dyn Fn(web_sys::MessageEvent)>,
    _on_resync: Closure<dyn Fn(web_sys::MessageEvent)>,
    _on_heartbeat: Closure<dyn Fn(web_sys::MessageEvent)>,
    _on_ended: Closure<dyn Fn(web_sys::MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.source.close();
    }
}

fn close_stream() {
    STREAM.with(|s| s.borrow_mut().take());
}

async fn ensure_stream<H: Host>(state: H) {
    let open = STREAM.with(|s| {
        s.borrow()
            .as_ref()
            .is_some_and(|live| live.source.ready_state() != web_sys::EventSource::CLOSED)
    });
    if open {
        return;
    }
    let Ok(cursor) = async { store().await?.cursor().await.map_err(|e| e.to_string()) }.await
    else {
        return;
    };
    let Ok(source) = web_sys::EventSource::new(&format!("/api/sync/stream?since={cursor}")) else {
        return;
    };
    let on_change =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            heard_now();
            let Some(data) = event.data().as_string() else {
                return;
            };
            let Ok(change) = serde_json::from_str::<Change>(&data) else {
                return;
            };
            leptos::task::spawn_local(async move {
                let Ok(store) = store().await else { return };
                match store
                    .apply_changes(std::slice::from_ref(&change), change.cursor)
                    .await
                {
                    Ok(applied) => {
                        state.show_written(applied, false).await;
                        tabs::announce_changed();
                    }
                    // A pull already stored something newer: nothing to do.
                    Err(err) if err.0 == CURSOR_BACKWARDS => {}
                    Err(_) => kick(),
                }
            });
        });
    let on_resync = Closure::<dyn Fn(web_sys::MessageEvent)>::new(|_| {
        heard_now();
        kick()
    });
    let on_heartbeat = Closure::<dyn Fn(web_sys::MessageEvent)>::new(|_| heard_now());
    // The hub ended this session (signed out elsewhere, disabled, expired): find out now.
    let on_ended = Closure::<dyn Fn(web_sys::MessageEvent)>::new(|_| {
        close_stream();
        kick();
    });
    let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |_| {
        // EventSource retries by itself; once it gives up (closed), the engine takes over.
        let closed = STREAM.with(|s| {
            s.borrow()
                .as_ref()
                .is_some_and(|live| live.source.ready_state() == web_sys::EventSource::CLOSED)
        });
        if closed {
            close_stream();
            kick();
        }
    });
    let _ = source.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
    let _ =
        source.add_event_listener_with_callback("heartbeat", on_heartbeat.as_ref().unchecked_ref());
    let _ =
        source.add_event_listener_with_callback("session-ended", on_ended.as_ref().unchecked_ref());
    // Opening counts as hearing from the hub: the first heartbeat is up to 5 s away.
    heard_now();
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    STREAM.with(|s| {
        *s.borrow_mut() = Some(LiveStream {
            source,
            _on_change: on_change,
            _on_resync: on_resync,
            _on_heartbeat: on_heartbeat,
            _on_ended: on_ended,
            _on_error: on_error,
        })
    });
}
