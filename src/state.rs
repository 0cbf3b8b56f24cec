//! The app's state as signals, loaded from the device store. Screens read these signals and
//! call `act` for anything the responder does; they never touch the store or the network.

use crate::clock::{now_ms, performance_now};
use crate::store::{Applied, Delivered, Rejected, SavedSession, Synced, shared as store};
pub use crate::sync::link::Link;
use crate::sync::location::Geo;
use crate::sync::{engine, tabs};
use leptos::prelude::*;
use tenfour_protocol::StatusCode;
use tenfour_protocol::news::{News, news};
use tenfour_protocol::press::{PressGuard, SETTLE_MS};
use tenfour_protocol::sync::patch_keyed;
use tenfour_protocol::wire::{
    Action, Emergency, FieldEvent, Incident, Millis, Queued, Role, SessionInfo, StatusPayload, Unit,
};

pub use crate::store::FEED_KEPT;

/// The most recent action: what the "saved" toast shows.
#[derive(Debug, Clone, PartialEq)]
pub struct LastAction {
    pub seq: u64,
    pub label: String,
    /// Milliseconds from the tap to the outbox commit.
    pub commit_ms: f64,
}

#[derive(Clone, Copy)]
pub struct AppState {
    pub loaded: RwSignal<bool>,
    pub session: RwSignal<Option<SavedSession>>,
    pub incidents: RwSignal<Vec<Synced<Incident>>>,
    pub units: RwSignal<Vec<Synced<Unit>>>,
    /// Emergencies this device was sent: every one for dispatchers; a responder's own unit's
    /// and those of the units on its calls.
    pub emergencies: RwSignal<Vec<Synced<Emergency>>>,
    pub outbox: RwSignal<Vec<Queued>>,
    pub rejected: RwSignal<Vec<Rejected>>,
    pub delivered: RwSignal<Vec<Delivered>>,
    /// Field events (dispatchers), oldest first, at most `FEED_KEPT`.
    pub feed: RwSignal<Vec<(u64, FieldEvent)>>,
    pub link: RwSignal<Link>,
    pub last_action: RwSignal<Option<LastAction>>,
    pub store_error: RwSignal<Option<String>>,
    /// Ticks every 20 s so that ages ("9 min ago") stay true.
    pub now: RwSignal<Millis>,
    /// Status and acknowledge presses, taken once (see `tenfour_protocol::press`).
    pub press: RwSignal<PressGuard>,
    /// True while presses are ignored after one was taken: the buttons show it.
    pub settling: RwSignal<bool>,
    /// Changes to the calls this unit is on that the crew has not yet marked seen.
    pub news: RwSignal<Vec<News>>,
    /// A status that ends the unit's part in a call, waiting out its undo time.
    pub ending: RwSignal<Option<Ending>>,
    /// The ending status being held down now, and which press of it. Kept here, not in the
    /// button: a sync rebuilds the incident screen, and a hold must survive that.
    pub holding: RwSignal<Option<(StatusCode, u64)>>,
}

/// How long an ending status waits, undoable, before it is written to the outbox.
pub const UNDO_MS: u32 = 5_000;

/// An ending status in its undo time. Nothing is in the outbox yet: an undone press never
/// reaches dispatch and uses no sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    pub status: StatusCode,
    pub incident_id: Option<i64>,
    /// When it will be written, on the page's monotonic clock (ms).
    pub due: f64,
    /// Tells this press from a later one, so an undone timer never writes a newer press.
    press: u64,
}

impl AppState {
    pub fn new() -> Self {
        Self {
            loaded: RwSignal::new(false),
            session: RwSignal::new(None),
            incidents: RwSignal::new(Vec::new()),
            units: RwSignal::new(Vec::new()),
            emergencies: RwSignal::new(Vec::new()),
            outbox: RwSignal::new(Vec::new()),
            rejected: RwSignal::new(Vec::new()),
            delivered: RwSignal::new(Vec::new()),
            feed: RwSignal::new(Vec::new()),
            link: RwSignal::new(if crate::sync::connectivity::navigator_online() {
                Link::Syncing
            } else {
                Link::Offline
            }),
            last_action: RwSignal::new(None),
            store_error: RwSignal::new(None),
            now: RwSignal::new(now_ms()),
            press: RwSignal::new(PressGuard::default()),
            settling: RwSignal::new(false),
            news: RwSignal::new(Vec::new()),
            ending: RwSignal::new(None),
            holding: RwSignal::new(None),
        }
    }

    /// Reads everything from the device store into the signals.
    pub async fn reload(self) {
        let store = match store().await {
            Ok(store) => store,
            Err(err) => {
                self.store_error.set(Some(err));
                self.loaded.set(true);
                return;
            }
        };
        // Each list is its own read; IndexedDB runs them side by side.
        let (session, incidents, units, outbox, rejected, delivered, emergencies) = futures::join!(
            store.session(),
            store.incidents(),
            store.units(),
            store.outbox(),
            store.rejected(),
            store.delivered(),
            store.emergencies(),
        );
        match (session, incidents, units, outbox, rejected, delivered) {
            (Ok(s), Ok(i), Ok(u), Ok(o), Ok(r), Ok(d)) => {
                self.note_news(&i);
                self.session.set(s);
                self.incidents.set(i);
                self.units.set(u);
                self.outbox.set(o);
                self.rejected.set(r);
                self.delivered.set(d);
                self.store_error.set(None);
            }
            (s, i, u, o, r, d) => {
                let error = [s.err(), i.err(), u.err(), o.err(), r.err(), d.err()]
                    .into_iter()
                    .flatten()
                    .map(|e| e.to_string())
                    .next();
                self.store_error.set(error);
            }
        }
        match emergencies {
            Ok(list) => {
                if self.emergencies.with_untracked(|held| *held != list) {
                    self.emergencies.set(list);
                }
            }
            Err(err) => self.store_error.set(Some(err.to_string())),
        }
        if self.role().is_some_and(Role::dispatches) {
            // Field events never change: read only what is new since the last load.
            let last = self
                .feed
                .with_untracked(|f| f.last().map_or(0, |(c, _)| *c));
            match store.feed_after(last).await {
                Ok(new) => self.append_feed(new),
                Err(err) => self.store_error.set(Some(err.to_string())),
            }
        }
        self.loaded.set(true);
    }

    /// Keeps a new session on the device (signed in, or a unit chosen) and starts syncing.
    pub async fn begin_session(self, token: String, info: SessionInfo) -> Result<(), String> {
        let saved = SavedSession {
            token,
            info,
            expired: false,
        };
        store()
            .await?
            .save_session(&saved)
            .await
            .map_err(|e| format!("Could not keep the session on this device: {e}"))?;
        self.reload().await;
        tabs::announce_changed();
        engine::kick();
        Ok(())
    }

    /// Signs out: no pocket alert reaches the device any more, the hub ends the session (best
    /// effort: offline, it simply expires at the end of the shift), and the device forgets the
    /// token. Who was signed in and on which unit is kept: actions still waiting belong to that
    /// unit and may only be sent by a session on it.
    pub async fn end_session(self) {
        crate::sync::push::forget_here().await;
        let token = self.token();
        if !token.is_empty() {
            let _ = crate::api::sign_out(&token).await;
        }
        if let Ok(store) = store().await {
            let signed_out = self.session.get_untracked().map(|s| SavedSession {
                token: String::new(),
                expired: true,
                ..s
            });
            let saved = match signed_out {
                Some(session) => store.save_session(&session).await,
                None => store.clear_session().await,
            };
            if let Err(err) = saved {
                self.store_error.set(Some(err.to_string()));
            }
        }
        self.reload().await;
        tabs::announce_changed();
    }

    /// The responder has read why dispatch refused an action.
    pub async fn dismiss_rejected(self, entry_id: String) {
        let dismissed = match store().await {
            Ok(store) => store
                .dismiss_rejected(&entry_id)
                .await
                .map_err(|e| e.to_string()),
            Err(err) => Err(err),
        };
        match dismissed {
            Ok(()) => self
                .rejected
                .update(|list| list.retain(|r| r.entry.id != entry_id)),
            Err(err) => self.store_error.set(Some(err)),
        }
    }

    /// Shows what the sync engine wrote: the records in `applied` are patched into the lists
    /// (only a list that really changed is touched, so only the screens that show it are
    /// redrawn), and when `outbox` the outbox lists are read again. Everything is set after
    /// the last read, in one go, so no screen sees half of it.
    pub async fn show_written(self, applied: Applied, outbox: bool) {
        let lists = if outbox {
            match self.read_outbox_lists().await {
                Ok(lists) => Some(lists),
                Err(err) => {
                    self.store_error.set(Some(err));
                    None
                }
            }
        } else {
            None
        };
        self.patch(applied);
        if let Some((outbox, rejected, delivered)) = lists {
            self.outbox.set(outbox);
            self.rejected.set(rejected);
            self.delivered.set(delivered);
        }
    }

    async fn read_outbox_lists(
        self,
    ) -> Result<(Vec<Queued>, Vec<Rejected>, Vec<Delivered>), String> {
        let store = store().await?;
        let (outbox, rejected, delivered) =
            futures::join!(store.outbox(), store.rejected(), store.delivered());
        Ok((
            outbox.map_err(|e| e.to_string())?,
            rejected.map_err(|e| e.to_string())?,
            delivered.map_err(|e| e.to_string())?,
        ))
    }

    fn patch(self, applied: Applied) {
        let Applied {
            incidents,
            units,
            emergencies,
            feed,
            agency,
        } = applied;
        if !incidents.is_empty() {
            let mut after = self.incidents.get_untracked();
            if patch_keyed(&mut after, incidents, |s| s.record.id, |s| s.cursor) {
                self.note_news(&after);
                self.incidents.set(after);
            }
        }
        self.units
            .maybe_update(|list| patch_keyed(list, units, |s| s.record.id, |s| s.cursor));
        self.emergencies
            .maybe_update(|list| patch_keyed(list, emergencies, |s| s.record.id, |s| s.cursor));
        if self.role_untracked().is_some_and(Role::dispatches) {
            self.append_feed(feed);
        }
        if let Some(agency) = agency {
            self.session.maybe_update(|s| match s {
                Some(s) if s.info.agency != agency => {
                    s.info.agency = agency;
                    true
                }
                _ => false,
            });
        }
    }

    /// Adds field events to the board's feed. Reads and live changes overlap: only what is
    /// newer than the newest held is taken.
    fn append_feed(self, events: Vec<(u64, FieldEvent)>) {
        if events.is_empty() {
            return;
        }
        self.feed.update(|held| {
            let last = held.last().map_or(0, |(c, _)| *c);
            held.extend(events.into_iter().filter(|(c, _)| *c > last));
            let excess = held.len().saturating_sub(FEED_KEPT);
            held.drain(..excess);
        });
    }

    /// Adds what changed on this unit's calls since the records shown now (responders only;
    /// nothing on the first load, which is the starting point, not a change).
    fn note_news(self, incoming: &[Synced<Incident>]) {
        if !self.loaded.get_untracked() {
            return;
        }
        let unit = self.session.with_untracked(|s| {
            s.as_ref()
                .filter(|s| s.info.user.role == Role::Responder)
                .and_then(|s| s.info.unit.as_ref().map(|u| u.id))
        });
        let Some(unit) = unit else {
            return;
        };
        let before: Vec<Incident> = self
            .incidents
            .with_untracked(|list| list.iter().map(|s| s.record.clone()).collect());
        let after: Vec<Incident> = incoming.iter().map(|s| s.record.clone()).collect();
        let fresh = news(&before, &after, unit);
        if !fresh.is_empty() {
            self.news.update(|held| held.extend(fresh));
        }
    }

    /// Starts the undo time of a status that ends the unit's part in a call; unless undone,
    /// it is recorded like any other action when the time is up.
    pub fn end_after_undo(self, status: StatusCode, incident_id: Option<i64>, geo: Geo) {
        let press = self
            .ending
            .with_untracked(|e| e.as_ref().map_or(0, |e| e.press))
            .wrapping_add(1);
        self.ending.set(Some(Ending {
            status,
            incident_id,
            due: performance_now() + f64::from(UNDO_MS),
            press,
        }));
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(UNDO_MS).await;
            let still = self
                .ending
                .with_untracked(|e| e.as_ref().is_some_and(|e| e.press == press));
            if still {
                self.ending.set(None);
                let action = Action::Status(StatusPayload {
                    status,
                    incident_id,
                    location: geo.here(),
                });
                self.act(action, status.label().to_owned());
            }
        });
    }

    /// Takes back an ending status in its undo time: nothing was recorded, nothing is sent.
    pub fn undo_ending(self) {
        self.ending.set(None);
    }

    /// Records what the responder did: into the outbox at once, then on to dispatch.
    pub fn act(self, action: Action, label: String) {
        self.record(action, Some(label));
    }

    /// Records what the device sends by itself (a position): like an action, without the
    /// "saved" confirmation the responder did not ask for.
    pub fn send_quietly(self, action: Action) {
        self.record(action, None);
    }

    fn record(self, action: Action, label: Option<String>) {
        let pressed_at = now_ms();
        let started = performance_now();
        leptos::task::spawn_local(async move {
            let queued = match store().await {
                Ok(store) => store
                    .queue(&action, pressed_at)
                    .await
                    .map_err(|e| e.to_string()),
                Err(err) => Err(err),
            };
            match queued {
                Ok(entry) => {
                    if let Some(label) = label {
                        self.last_action.set(Some(LastAction {
                            seq: entry.seq,
                            label,
                            commit_ms: performance_now() - started,
                        }));
                    }
                    self.outbox.update(|o| o.push(entry));
                    tabs::announce_changed();
                    engine::kick();
                }
                Err(err) => self
                    .store_error
                    .set(Some(format!("Could not save on this device: {err}"))),
            }
        });
    }

    /// Takes a status or acknowledge press once: `false` for a press that comes while the
    /// previous one settles (the second tap of a double tap), which must then do nothing.
    pub fn take_press(self) -> bool {
        let now = performance_now();
        let mut taken = false;
        self.press.update(|guard| taken = guard.take(now));
        if taken {
            self.settling.set(true);
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(SETTLE_MS as u32).await;
                if !self.press.with_untracked(|g| g.settling(performance_now())) {
                    self.settling.set(false);
                }
            });
        }
        taken
    }

    /// The session's bearer token (empty when signed out), for calls made on the spot.
    pub fn token(&self) -> String {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.token.clone()))
            .unwrap_or_default()
    }

    fn role_untracked(&self) -> Option<Role> {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.info.user.role))
    }

    pub fn role(&self) -> Option<Role> {
        self.session.with(|s| s.as_ref().map(|s| s.info.user.role))
    }

    pub fn unit_id(&self) -> Option<i64> {
        self.session
            .with(|s| s.as_ref().and_then(|s| s.info.unit.as_ref().map(|u| u.id)))
    }

    /// The synced copy of this device's unit.
    pub fn my_unit(&self) -> Option<Unit> {
        let id = self.unit_id()?;
        self.units.with(|units| {
            units
                .iter()
                .find(|u| u.record.id == id)
                .map(|u| u.record.clone())
        })
    }

    /// Actions the hub applied that `keep(entry, settled_at, unit_synced_at)` says must
    /// still count, oldest first. Every applied action republishes the unit, so a unit copy
    /// stored after the hub's answer means the pull carrying the action's effect has landed.
    fn applied_entries(&self, keep: impl Fn(&Queued, Millis, Millis) -> bool) -> Vec<Queued> {
        let unit_synced_at = self.unit_id().map_or(0, |id| {
            self.units.with(|units| {
                units
                    .iter()
                    .find(|u| u.record.id == id)
                    .map_or(0, |u| u.synced_at)
            })
        });
        let mut entries: Vec<Queued> = self.delivered.with(|delivered| {
            delivered
                .iter()
                .filter(|d| keep(&d.entry, d.settled_at, unit_synced_at))
                .map(|d| d.entry.clone())
                .collect()
        });
        entries.sort_by_key(|e| e.seq);
        entries
    }

    /// The actions the hub applied after this device last stored a copy of its unit's
    /// emergency: their effect on it has not come back yet. (A copy that arrived on the live
    /// stream before the hub's answer was settled is older, but then it shows the emergency
    /// active, which is what the panel shows anyway.)
    pub fn applied_after_my_emergency(&self) -> Vec<Queued> {
        let unit = self.unit_id();
        let newest = self.emergencies.with(|list| {
            list.iter()
                .filter(|e| Some(e.record.unit_id) == unit)
                .map(|e| e.synced_at)
                .max()
                .unwrap_or(0)
        });
        self.applied_entries(|_, settled_at, _| settled_at > newest)
    }

    /// The actions to lay over the synced records: those applied but not yet pulled (status
    /// changes only until the unit shows them; notes and acknowledgements until the records
    /// that show them replace the overlay), then those still waiting.
    pub fn overlay_entries(&self) -> Vec<Queued> {
        let mut entries = self.applied_entries(|entry, settled_at, unit_synced_at| {
            tenfour_protocol::view::applied_not_yet_pulled(entry, settled_at, unit_synced_at)
        });
        self.outbox
            .with(|pending| entries.extend(pending.iter().cloned()));
        entries
    }

    /// What the crew's own emergency panel says: `None` when no emergency of theirs is
    /// active, or their cancel is on its way.
    pub fn my_emergency_notice(&self) -> Option<tenfour_protocol::safety::Notice> {
        let pending = self.outbox.get();
        let unpulled = self.applied_after_my_emergency();
        tenfour_protocol::safety::notice(&pending, &unpulled, self.my_emergency().as_ref())
            .filter(|n| !matches!(n, tenfour_protocol::safety::Notice::Cancelling))
    }

    /// The newest emergency of this device's unit that the device holds.
    pub fn my_emergency(&self) -> Option<Emergency> {
        let unit = self.unit_id()?;
        self.emergencies.with(|list| {
            list.iter()
                .filter(|e| e.record.unit_id == unit)
                .max_by_key(|e| e.record.id)
                .map(|e| e.record.clone())
        })
    }

    pub fn incident_records(&self) -> Vec<Incident> {
        self.incidents
            .with(|list| list.iter().map(|s| s.record.clone()).collect())
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

/// The app state provided at the root.
pub fn use_app() -> AppState {
    expect_context::<AppState>()
}

/// The sync engine reports to the app state: its link, a storage failure, and a reload after
/// it wrote the store.
impl engine::Host for AppState {
    fn link(self) -> RwSignal<Link> {
        self.link
    }

    fn storage_failed(self, reason: String) {
        self.store_error.set(Some(reason));
    }

    fn reload(self) -> impl Future<Output = ()> {
        AppState::reload(self)
    }

    fn show_written(self, applied: Applied, outbox: bool) -> impl Future<Output = ()> {
        AppState::show_written(self, applied, outbox)
    }
}
