//! The device's own copy of everything (IndexedDB): session, synced records, the outbox.
//!
//! Records are kept as JSON text under numeric keys, so the stored shape is exactly the wire
//! shape. Two rules hold every write together:
//! - an action and its outbox number are written in ONE transaction (`queue`), so a crash
//!   can lose neither half;
//! - a page of changes and the new cursor are written in ONE transaction (`apply_changes`),
//!   and a cursor that would go backwards aborts it.
//!
//! Never await anything but IndexedDB requests inside a transaction: it auto-commits as
//! soon as the event loop finds it idle.

use crate::clock::now_ms;
use indexed_db_futures::KeyRange;
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use serde::{Deserialize, Serialize};
use tenfour_protocol::sync::Settlement;
use tenfour_protocol::wire::{
    Action, AgencyInfo, Change, ChangeBody, Emergency, EntryResult, FieldEvent, Incident,
    IncidentState, Millis, OutboxEntry, Queued, SessionInfo, Unit,
};

pub const DB_NAME: &str = "tenfour";
/// v1: meta, outbox, incidents, units. v2 adds the rejected and delivered lists. v3 adds
/// the field feed (dispatchers).
pub const SCHEMA_VERSION: u32 = 4;

const META: &str = "meta";
const OUTBOX: &str = "outbox";
const INCIDENTS: &str = "incidents";
const UNITS: &str = "units";
const REJECTED: &str = "rejected";
const DELIVERED: &str = "delivered";
const FEED: &str = "feed";
const EMERGENCIES: &str = "emergencies";
const STORES: [&str; 8] = [
    META,
    OUTBOX,
    INCIDENTS,
    UNITS,
    REJECTED,
    DELIVERED,
    FEED,
    EMERGENCIES,
];

/// How many field events the device keeps (the board's feed pages through them).
pub const FEED_KEPT: usize = 20_000;

/// How many delivered actions the device remembers (for "delivered" marks).
const DELIVERED_KEPT: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<indexed_db_futures::error::Error> for StoreError {
    fn from(err: indexed_db_futures::error::Error) -> Self {
        StoreError(format!("IndexedDB: {err}"))
    }
}

impl From<indexed_db_futures::error::OpenDbError> for StoreError {
    fn from(err: indexed_db_futures::error::OpenDbError) -> Self {
        StoreError(format!("IndexedDB could not open: {err}"))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A synced record with the cursor of the change that wrote it and when it arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Synced<T> {
    pub cursor: u64,
    pub synced_at: Millis,
    pub record: T,
}

impl<T> Synced<T> {
    pub fn new(cursor: u64, synced_at: Millis, record: T) -> Self {
        Synced {
            cursor,
            synced_at,
            record,
        }
    }
}

/// An action the hub refused for good, kept to show the responder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    pub entry: Queued,
    pub reason: String,
    pub settled_at: Millis,
}

/// An action the hub has applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    pub entry: Queued,
    pub settled_at: Millis,
}

/// The signed-in user as kept on the device; `expired` when the hub refused the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSession {
    pub token: String,
    pub info: SessionInfo,
    #[serde(default)]
    pub expired: bool,
}

/// Why a page of changes was refused.
pub const CURSOR_BACKWARDS: &str = "the hub sent a cursor older than the one stored";

#[derive(Clone)]
pub struct Store {
    db: Database,
}

fn text<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError(e.to_string()))
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError(format!("stored record unreadable: {e}")))
}

thread_local! {
    static STORE: std::cell::RefCell<Option<Store>> = const { std::cell::RefCell::new(None) };
}

/// The device store, opened once per page and shared by everything on it.
pub async fn shared() -> std::result::Result<Store, String> {
    if let Some(store) = STORE.with(|s| s.borrow().clone()) {
        return Ok(store);
    }
    let store = Store::open().await.map_err(|e| e.to_string())?;
    STORE.with(|s| *s.borrow_mut() = Some(store.clone()));
    Ok(store)
}

/// A random v4 UUID from the browser's crypto.
pub fn new_uuid() -> String {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    if let Some(id) = crypto.map(|c| c.random_uuid()) {
        return id;
    }
    // No crypto (never in a supported browser): fall back to Math.random, still unique enough
    // for one device's entries.
    let hex: String = (0..32)
        .map(|_| format!("{:x}", (js_sys::Math::random() * 16.0) as u8))
        .collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// The local key of the current device number's entry `seq`: numbers restart at 1 for each
/// new `client_id`, local keys keep growing, so no list ever reuses a key.
fn local_key(base: Option<String>, seq: u64) -> Result<f64> {
    let base = base.map(|v| parse::<u64>(&v)).transpose()?.unwrap_or(0);
    Ok((base + seq) as f64)
}

/// Starts a new device number inside the caller's transaction. Entries still queued (a
/// previous user's, who signed out before they were sent) move to it, in order, with their
/// ids: an entry the hub already applied under the old number is refused by id, never
/// applied twice.
async fn renumber_outbox(
    meta: &indexed_db_futures::object_store::ObjectStore<'_>,
    outbox: &indexed_db_futures::object_store::ObjectStore<'_>,
) -> Result<()> {
    let base: Option<String> = meta.get("seq_base").primitive()?.await?;
    let last: Option<String> = meta.get("last_seq").primitive()?.await?;
    let last = last.map(|v| parse::<u64>(&v)).transpose()?.unwrap_or(0);
    let old_base = base.map(|v| parse::<u64>(&v)).transpose()?.unwrap_or(0);
    let new_base = old_base + last;
    let rows: Vec<String> = outbox
        .get_all::<String>()
        .primitive()?
        .await?
        .collect::<std::result::Result<_, _>>()?;
    outbox.clear()?.await?;
    let client_id = new_uuid();
    let mut seq = 0;
    for row in rows {
        let mut entry: OutboxEntry = parse(&row)?;
        seq += 1;
        entry.client_id = client_id.clone();
        entry.seq = seq;
        outbox
            .put(text(&entry)?)
            .with_key((new_base + seq) as f64)
            .primitive()?
            .await?;
    }
    meta.put(text(&client_id)?)
        .with_key("client_id")
        .primitive()?
        .await?;
    meta.put(text(&seq)?)
        .with_key("last_seq")
        .primitive()?
        .await?;
    meta.put(text(&new_base)?)
        .with_key("seq_base")
        .primitive()?
        .await?;
    Ok(())
}

/// What a page of changes wrote to the store: records new to the device or newer than its
/// copy (a page may carry two copies of one record; both are listed, oldest first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    pub incidents: Vec<Synced<Incident>>,
    pub units: Vec<Synced<Unit>>,
    pub emergencies: Vec<Synced<Emergency>>,
    /// Field events with their cursors, oldest first.
    pub feed: Vec<(u64, FieldEvent)>,
    /// The agency's settings, when they changed.
    pub agency: Option<AgencyInfo>,
}

impl Applied {
    /// Adds what a later page wrote.
    pub fn extend(&mut self, later: Applied) {
        self.incidents.extend(later.incidents);
        self.units.extend(later.units);
        self.emergencies.extend(later.emergencies);
        self.feed.extend(later.feed);
        if later.agency.is_some() {
            self.agency = later.agency;
        }
    }

    pub fn is_empty(&self) -> bool {
        self == &Applied::default()
    }
}

/// The records of one store that a page of changes touches. IndexedDB answers each request
/// in a turn of the page's event loop, so a page's records are read in one go, changed here in
/// the page's order and written in one go: a first sync of a thousand records takes one turn
/// for the reads and one for the writes, not two for each record.
struct Touched {
    rows: std::collections::HashMap<i64, Option<String>>,
    changed: std::collections::BTreeSet<i64>,
}

/// Past this many records touched, a page first asks which of them the store holds.
const FEW_KEYS: usize = 16;

/// Only the cursor of a stored record, to compare with a change.
#[derive(Deserialize)]
struct CursorOf {
    cursor: u64,
}

impl Touched {
    async fn read(
        store: &indexed_db_futures::object_store::ObjectStore<'_>,
        keys: impl Iterator<Item = i64>,
    ) -> Result<Touched> {
        let keys: std::collections::BTreeSet<i64> = keys.collect();
        // Many records (a first sync, a unit list): which of them the store holds, in one
        // request, so that only those are read.
        let held: Vec<i64> = if keys.len() > FEW_KEYS {
            let stored: Vec<f64> = store
                .get_all_keys::<f64>()
                .primitive()?
                .await?
                .collect::<std::result::Result<_, _>>()?;
            stored
                .into_iter()
                .map(|key| key as i64)
                .filter(|key| keys.contains(key))
                .collect()
        } else {
            keys.iter().copied().collect()
        };
        let reads = held
            .iter()
            .map(|&key| store.get::<String, _, _>(key as f64).primitive())
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let found: Vec<Option<String>> = futures::future::try_join_all(reads).await?;
        let mut rows: std::collections::HashMap<i64, Option<String>> =
            keys.into_iter().map(|key| (key, None)).collect();
        rows.extend(held.into_iter().zip(found));
        Ok(Touched {
            rows,
            changed: Default::default(),
        })
    }

    /// Takes the record unless the store holds a copy from a later change; true when taken.
    fn put_if_newer<T: Serialize>(&mut self, key: i64, row: &Synced<T>) -> Result<bool> {
        let newer = match self.rows.get(&key).and_then(Option::as_deref) {
            Some(held) => parse::<CursorOf>(held)?.cursor < row.cursor,
            None => true,
        };
        if newer {
            self.put(key, row)?;
        }
        Ok(newer)
    }

    fn put<T: Serialize>(&mut self, key: i64, row: &Synced<T>) -> Result<()> {
        self.rows.insert(key, Some(text(row)?));
        self.changed.insert(key);
        Ok(())
    }

    fn held(&self, key: i64) -> Option<&str> {
        self.rows.get(&key).and_then(Option::as_deref)
    }

    /// Sends the records taken to the store (the transaction's commit waits for them).
    fn write(
        self,
        store: &indexed_db_futures::object_store::ObjectStore<'_>,
        writes: &mut Vec<indexed_db_futures::future::BasicRequest<f64>>,
    ) -> Result<()> {
        let Touched { mut rows, changed } = self;
        for key in changed {
            if let Some(Some(row)) = rows.remove(&key) {
                writes.push(store.put(row).with_key(key as f64).primitive()?);
            }
        }
        Ok(())
    }
}

impl Store {
    pub async fn open() -> Result<Store> {
        Store::open_named(DB_NAME).await
    }

    /// Opens (and creates or upgrades) the database `name`; tests use their own names.
    pub async fn open_named(name: &str) -> Result<Store> {
        let db = Database::open(name)
            .with_version(SCHEMA_VERSION)
            .with_on_upgrade_needed(|_event, db| {
                // Each version adds stores; creating only what is missing makes every upgrade
                // path (0→2, 1→2) keep the data of the stores that exist, the outbox above all.
                let existing: Vec<String> = db.object_store_names().collect();
                for name in STORES {
                    if !existing.iter().any(|e| e == name) {
                        db.create_object_store(name).build()?;
                    }
                }
                Ok(())
            })
            .await?;
        Ok(Store { db })
    }

    async fn meta<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>> {
        let tx = self.db.transaction(META).build()?;
        let store = tx.object_store(META)?;
        let value: Option<String> = store.get(key).primitive()?.await?;
        value.map(|v| parse(&v)).transpose()
    }

    pub async fn session(&self) -> Result<Option<SavedSession>> {
        self.meta("session").await
    }

    /// Keeps the session. When a different user signs in than the one whose device number
    /// (`client_id`) this is, the device starts a new one: the hub binds a `client_id` to
    /// the user who first used it and refuses it to anyone else.
    pub async fn save_session(&self, session: &SavedSession) -> Result<()> {
        let tx = self
            .db
            .transaction([META, OUTBOX])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let meta = tx.object_store(META)?;
        let owner: Option<String> = meta.get("client_user").primitive()?.await?;
        let owner = owner.map(|v| parse::<i64>(&v)).transpose()?;
        let user = session.info.user.id;
        if owner != Some(user) {
            // No owner yet: a first sign-in, or a device from before owners were kept, whose
            // number is its user's already.
            if owner.is_some() {
                renumber_outbox(&meta, &tx.object_store(OUTBOX)?).await?;
            }
            meta.put(text(&user)?)
                .with_key("client_user")
                .primitive()?
                .await?;
        }
        meta.put(text(session)?)
            .with_key("session")
            .primitive()?
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets the session (signing out). The outbox stays: it is sent after the next sign-in.
    pub async fn clear_session(&self) -> Result<()> {
        let tx = self
            .db
            .transaction(META)
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        tx.object_store(META)?
            .delete("session")
            .primitive()?
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn cursor(&self) -> Result<u64> {
        Ok(self.meta("cursor").await?.unwrap_or(0))
    }

    /// Writes an action to the outbox and returns the entry. The device's id and counter
    /// are read and advanced in the same transaction, so numbers are never reused or skipped.
    pub async fn queue(&self, action: &Action, at: Millis) -> Result<Queued> {
        let tx = self
            .db
            .transaction([META, OUTBOX])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let meta = tx.object_store(META)?;
        // Requests go out when built: issue both reads, then both writes, and wait once for
        // each pair. Every wait is a trip through the event loop, and this is the tap path.
        let (client_id, last) = futures::join!(
            meta.get::<String, _, _>("client_id").primitive()?,
            meta.get::<String, _, _>("last_seq").primitive()?,
        );
        let (client_id, last) = (client_id?, last?);
        let client_id = match client_id {
            Some(id) => parse::<String>(&id)?,
            None => {
                let id = new_uuid();
                meta.put(text(&id)?).with_key("client_id").primitive()?;
                id
            }
        };
        let seq = last.map(|v| parse::<u64>(&v)).transpose()?.unwrap_or(0) + 1;
        let base: Option<String> = meta.get("seq_base").primitive()?.await?;
        let key = local_key(base, seq)?;
        let entry = OutboxEntry {
            client_id,
            seq,
            id: new_uuid(),
            at,
            kind: action.kind(),
            payload: action.payload(),
        };
        let outbox = tx.object_store(OUTBOX)?;
        let (counted, added) = futures::join!(
            meta.put(text(&seq)?).with_key("last_seq").primitive()?,
            outbox.add(text(&entry)?).with_key(key).primitive()?,
        );
        counted?;
        added?;
        tx.commit().await?;
        Ok(Queued {
            entry,
            action: Ok(action.clone()),
        })
    }

    /// Every queued entry, oldest first.
    pub async fn outbox(&self) -> Result<Vec<Queued>> {
        self.all(OUTBOX).await
    }

    async fn all<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<Vec<T>> {
        let tx = self.db.transaction(name).build()?;
        let store = tx.object_store(name)?;
        let rows = store.get_all::<String>().primitive()?.await?;
        let mut out = Vec::new();
        for row in rows {
            out.push(parse(&row?)?);
        }
        Ok(out)
    }

    /// Records the hub's answers: settled entries leave the outbox (into the delivered or
    /// rejected list) in one transaction. Entries the hub did not settle stay queued.
    pub async fn settle(&self, results: &[EntryResult]) -> Result<()> {
        let now = now_ms();
        let tx = self
            .db
            .transaction([META, OUTBOX, REJECTED, DELIVERED])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let outbox = tx.object_store(OUTBOX)?;
        let rejected = tx.object_store(REJECTED)?;
        let delivered = tx.object_store(DELIVERED)?;
        let base: Option<String> = tx.object_store(META)?.get("seq_base").primitive()?.await?;
        for result in results {
            let key = local_key(base.clone(), result.seq)?;
            let stored: Option<String> = outbox.get(key).primitive()?.await?;
            let Some(stored) = stored else { continue };
            let entry: Queued = parse(&stored)?;
            match tenfour_protocol::sync::settle(&entry, result) {
                None => continue,
                Some(Settlement::Refused(reason)) => {
                    let row = Rejected {
                        entry,
                        reason,
                        settled_at: now,
                    };
                    rejected.put(text(&row)?).with_key(key).primitive()?.await?;
                }
                Some(Settlement::Delivered) => {
                    let row = Delivered {
                        entry,
                        settled_at: now,
                    };
                    delivered
                        .put(text(&row)?)
                        .with_key(key)
                        .primitive()?
                        .await?;
                }
            }
            outbox.delete(key).primitive()?.await?;
        }
        // Keep the delivered list short: drop the oldest.
        let keys: Vec<f64> = delivered
            .get_all_keys::<f64>()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        if keys.len() > DELIVERED_KEPT {
            for key in &keys[..keys.len() - DELIVERED_KEPT] {
                delivered.delete(*key).primitive()?.await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn rejected(&self) -> Result<Vec<Rejected>> {
        self.all(REJECTED).await
    }

    pub async fn delivered(&self) -> Result<Vec<Delivered>> {
        self.all(DELIVERED).await
    }

    /// The responder has read a rejection (named by its entry id: numbers restart when
    /// another user signs in on this device).
    pub async fn dismiss_rejected(&self, entry_id: &str) -> Result<()> {
        let tx = self
            .db
            .transaction(REJECTED)
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let store = tx.object_store(REJECTED)?;
        let keys: Vec<f64> = store
            .get_all_keys::<f64>()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let rows = store.get_all::<String>().primitive()?.await?;
        for (key, row) in keys.into_iter().zip(rows) {
            if parse::<Rejected>(&row?)?.entry.id == entry_id {
                store.delete(key).primitive()?.await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores a page of changes and the cursor after it, atomically. A record is replaced
    /// only by a newer change; a cursor older than the stored one aborts the whole page.
    /// Returns what the page wrote, for the screens to patch in.
    pub async fn apply_changes(&self, changes: &[Change], cursor: u64) -> Result<Applied> {
        let now = now_ms();
        let tx = self
            .db
            .transaction([META, INCIDENTS, UNITS, FEED, EMERGENCIES])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let meta = tx.object_store(META)?;
        let stored: Option<String> = meta.get("cursor").primitive()?.await?;
        let stored = stored.map(|v| parse::<u64>(&v)).transpose()?.unwrap_or(0);
        if cursor < stored {
            return Err(StoreError(CURSOR_BACKWARDS.into()));
        }
        let incidents = tx.object_store(INCIDENTS)?;
        let units = tx.object_store(UNITS)?;
        let feed = tx.object_store(FEED)?;
        let emergencies = tx.object_store(EMERGENCIES)?;
        let keys = |pick: fn(&ChangeBody) -> Option<i64>| {
            changes.iter().filter_map(move |c| pick(&c.body))
        };
        let (mut held_incidents, mut held_units, mut held_emergencies) = futures::try_join!(
            Touched::read(
                &incidents,
                keys(|body| match body {
                    ChangeBody::Incident(i) => Some(i.id),
                    ChangeBody::Note(added) => Some(added.incident_id),
                    _ => None,
                })
            ),
            Touched::read(
                &units,
                keys(|body| match body {
                    ChangeBody::Unit(u) => Some(u.id),
                    _ => None,
                })
            ),
            Touched::read(
                &emergencies,
                keys(|body| match body {
                    ChangeBody::Emergency(e) => Some(e.id),
                    _ => None,
                })
            ),
        )?;
        let mut writes = Vec::new();
        let mut applied = Applied::default();
        for change in changes {
            match &change.body {
                ChangeBody::Incident(i) => {
                    let row = Synced::new(change.cursor, now, i.clone());
                    if held_incidents.put_if_newer(i.id, &row)? {
                        applied.incidents.push(row);
                    }
                }
                ChangeBody::Unit(u) => {
                    let row = Synced::new(change.cursor, now, u.clone());
                    if held_units.put_if_newer(u.id, &row)? {
                        applied.units.push(row);
                    }
                }
                ChangeBody::Emergency(e) => {
                    let row = Synced::new(change.cursor, now, e.clone());
                    if held_emergencies.put_if_newer(e.id, &row)? {
                        applied.emergencies.push(row);
                    }
                }
                ChangeBody::Agency(agency) => {
                    // The agency's settings live in the session (its emergency number).
                    let saved: Option<String> = meta.get("session").primitive()?.await?;
                    if let Some(saved) = saved {
                        let mut session = parse::<SavedSession>(&saved)?;
                        if session.info.agency.id == agency.id {
                            session.info.agency = agency.clone();
                            meta.put(text(&session)?)
                                .with_key("session")
                                .primitive()?
                                .await?;
                            applied.agency = Some(agency.clone());
                        }
                    }
                }
                ChangeBody::Note(added) => {
                    // Joins the device's copy of its incident, unless that copy is newer
                    // (and so shows it). A device without the incident has no use for it.
                    if let Some(held) = held_incidents.held(added.incident_id) {
                        let mut copy: Synced<Incident> = parse(held)?;
                        if copy.cursor < change.cursor {
                            copy.record.add_note(added.note.clone());
                            copy.cursor = change.cursor;
                            copy.synced_at = now;
                            held_incidents.put(added.incident_id, &copy)?;
                            applied.incidents.push(copy);
                        }
                    }
                }
                // A kind a newer hub sends: skipped, the cursor still moves past it.
                ChangeBody::Unknown => {}
                ChangeBody::FieldEvent(event) => {
                    // Field events never change: keyed by their cursor, a repeat overwrites itself.
                    writes.push(
                        feed.put(text(event)?)
                            .with_key(change.cursor as f64)
                            .primitive()?,
                    );
                    applied.feed.push((change.cursor, event.clone()));
                }
            }
        }
        held_incidents.write(&incidents, &mut writes)?;
        held_units.write(&units, &mut writes)?;
        held_emergencies.write(&emergencies, &mut writes)?;
        futures::future::try_join_all(writes).await?;
        meta.put(text(&cursor)?)
            .with_key("cursor")
            .primitive()?
            .await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Field events after `cursor`, oldest first, with their cursors.
    pub async fn feed_after(&self, cursor: u64) -> Result<Vec<(u64, FieldEvent)>> {
        let tx = self.db.transaction(FEED).build()?;
        let store = tx.object_store(FEED)?;
        let range = KeyRange::LowerBound(cursor as f64, true);
        let keys: Vec<f64> = store
            .get_all_keys::<f64>()
            .with_query::<f64, _>(range.clone())
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let rows = store
            .get_all::<String>()
            .with_query::<f64, _>(range)
            .primitive()?
            .await?;
        let mut out = Vec::with_capacity(keys.len());
        for (key, row) in keys.into_iter().zip(rows) {
            out.push((key as u64, parse(&row?)?));
        }
        Ok(out)
    }

    pub async fn incidents(&self) -> Result<Vec<Synced<Incident>>> {
        self.all(INCIDENTS).await
    }

    pub async fn units(&self) -> Result<Vec<Synced<Unit>>> {
        self.all(UNITS).await
    }

    /// Every emergency the device was sent (its unit's, and those on its calls), in id order.
    pub async fn emergencies(&self) -> Result<Vec<Synced<Emergency>>> {
        self.all(EMERGENCIES).await
    }

    /// Keeps the device's storage flat over months of calls: forgets incidents closed and
    /// emergencies ended more than `CLOSED_KEPT_MS` before `now` (by when their final copy
    /// arrived, on this device's clock), and all but the newest `feed_kept` field events.
    /// True when it forgot anything. The outbox is never touched.
    pub async fn forget_old(&self, now: Millis, feed_kept: usize) -> Result<bool> {
        let before = now - tenfour_protocol::sync::CLOSED_KEPT_MS;
        let tx = self
            .db
            .transaction([INCIDENTS, EMERGENCIES, FEED])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let mut forgot = false;
        let incidents = tx.object_store(INCIDENTS)?;
        for row in incidents.get_all::<String>().primitive()?.await? {
            let copy: Synced<Incident> = parse(&row?)?;
            if copy.record.state != IncidentState::Active && copy.synced_at < before {
                incidents.delete(copy.record.id as f64).primitive()?.await?;
                forgot = true;
            }
        }
        let emergencies = tx.object_store(EMERGENCIES)?;
        for row in emergencies.get_all::<String>().primitive()?.await? {
            let copy: Synced<Emergency> = parse(&row?)?;
            if !copy.record.is_active() && copy.synced_at < before {
                emergencies
                    .delete(copy.record.id as f64)
                    .primitive()?
                    .await?;
                forgot = true;
            }
        }
        let feed = tx.object_store(FEED)?;
        let keys: Vec<f64> = feed
            .get_all_keys::<f64>()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        if keys.len() > feed_kept {
            let last_dropped = keys[keys.len() - feed_kept - 1];
            feed.delete::<f64, _>(KeyRange::UpperBound(last_dropped, false))
                .primitive()?
                .await?;
            forgot = true;
        }
        tx.commit().await?;
        Ok(forgot)
    }

    /// Forgets synced records and the cursor (another hub, or a reset one); keeps the
    /// session and the outbox.
    pub async fn forget_synced(&self) -> Result<()> {
        let tx = self
            .db
            .transaction([META, INCIDENTS, UNITS, FEED, EMERGENCIES])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        tx.object_store(FEED)?.clear()?.await?;
        tx.object_store(EMERGENCIES)?.clear()?.await?;
        tx.object_store(INCIDENTS)?.clear()?.await?;
        tx.object_store(UNITS)?.clear()?.await?;
        tx.object_store(META)?.delete("cursor").primitive()?.await?;
        tx.commit().await?;
        Ok(())
    }
}
