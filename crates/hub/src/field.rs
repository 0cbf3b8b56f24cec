//! Applying a device's outbox entries exactly once.
//!
//! Entries run inside a transaction on the single writer connection (see `ingest`): the
//! effect, the record of the entry's outcome and the device's `last_seq` commit together, so
//! a retry after a lost reply finds the entry already processed and changes nothing.

use crate::actor::Actor;
use crate::db;
use crate::positions;
use crate::records::{self, Audience, UNIT_COLUMNS, UnitRow};
use crate::safety;
use crate::storage;
use tenfour_protocol::StatusCode;
use tenfour_protocol::sync::{self, DeviceState, FirstAnswer, Judgement};
use tenfour_protocol::wire::{
    AcknowledgePayload, Action, ChangeBody, EntryResult, FieldEvent, FieldNotePayload, Fix, Millis,
    OutboxEntry, Outcome, StatusPayload, Unit,
};

/// What the first entry of a push reads besides the unit.
#[derive(sqlx::FromRow, serde::Deserialize)]
struct DeviceAndHead {
    last_seq: Option<i64>,
    /// The user who first used this device number, if anyone has.
    device_user: Option<i64>,
    head: i64,
    /// Whether any device, in any agency, already sent an entry with this id.
    id_used: bool,
}

/// What an entry decided, before it is written down.
enum Decision {
    Applied,
    Rejected(String),
}

/// One push, checked: the actor, its unit, and the entries with their decoded actions.
pub struct Push {
    pub actor: Actor,
    pub unit_id: i64,
    pub entries: Vec<OutboxEntry>,
    pub actions: Vec<Action>,
}

/// How a push's entries run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All in the actor's transaction: the fast path, for a group of pushes.
    Together,
    /// Each entry in a savepoint, for a push whose group failed: an entry the stored records
    /// refuse (a constraint the checks did not foresee) is recorded as rejected with a
    /// reason instead of failing the push. Without this, the device would resend that entry
    /// for ever and nothing after it could apply.
    Guarded,
}

/// Applies a push's entries in order inside `tx`: its results, and whether it changed
/// anything. After a gap nothing later applies, so order is kept.
pub async fn apply_push(
    tx: &mut db::Conn,
    push: &Push,
    received_at: Millis,
    mode: Mode,
) -> Result<(Vec<EntryResult>, bool), sqlx::Error> {
    // Pushes of one agency apply one at a time, across hubs too (see `records::lock_head`;
    // on SQLite this transaction holds the only writer already).
    if tx.is_postgres() {
        records::lock_head(tx, push.actor.agency_id).await?;
    }
    let mut results: Vec<EntryResult> = Vec::with_capacity(push.entries.len());
    // What the entries so far leave for the next one, and the device's last entry written down.
    let mut known: Option<Known> = None;
    let mut last_written: Option<u64> = None;
    // The changes the entries so far make visible, numbered but not yet stored: they go into
    // the change log together at the end of the push (or before the head is next read).
    let mut pending = Pending::default();
    let agency_id = push.actor.agency_id;
    for (entry, action) in push.entries.iter().zip(&push.actions) {
        // Behind a gap nothing applies: answered without reading the device's records.
        if let Some(waiting) = sync::waiting_behind_gap(&results, entry) {
            results.push(waiting);
            continue;
        }
        if known.is_none() {
            // The next entry reads the agency's head from the database.
            pending.store(tx, agency_id).await?;
        }
        let (actor, unit_id) = (&push.actor, push.unit_id);
        let processed = if mode == Mode::Together {
            process(tx, push, entry, action, received_at, &known, &mut pending).await?
        } else {
            tx.savepoint("entry").await?;
            let tried = process(tx, push, entry, action, received_at, &known, &mut pending);
            match tried.await {
                Ok(processed) => {
                    tx.release("entry").await?;
                    processed
                }
                Err(err) if let Some(refusal) = storage::refusal(&err) => {
                    tx.roll_back_to("entry").await?;
                    tx.release("entry").await?;
                    tracing::warn!(error = %err, entry = %entry.id, "entry refused by a stored-record constraint");
                    // What the refused entry had numbered was rolled back with it.
                    let head = match &known {
                        Some(known) => {
                            pending.forget_after(known.head);
                            known.head
                        }
                        None => {
                            pending.changes.clear();
                            records::head(tx, actor.agency_id).await?
                        }
                    };
                    let recorded = Recorded {
                        decision: Decision::Rejected(format!("{refusal}; it was not applied")),
                        effect: Effect::default(),
                        head,
                        before: None,
                        heard: false,
                    };
                    let (result, cursor, unit) = record(
                        tx,
                        actor,
                        unit_id,
                        entry,
                        recorded,
                        received_at,
                        &mut pending,
                    )
                    .await?;
                    // Without a first read, the next entry reads the device afresh.
                    let device = known.as_ref().map(|k| k.device);
                    Processed {
                        result,
                        written: true,
                        after: device.map(|device| (cursor, unit, device)),
                    }
                }
                Err(err) => return Err(err),
            }
        };
        if processed.written {
            last_written = Some(entry.seq);
            // What the next entry sees of the device, the unit and the agency's cursor.
            known = processed.after.map(|(cursor, unit, device)| Known {
                device: DeviceState {
                    last_seq: entry.seq,
                    owner: Some(device.owner.unwrap_or(actor.user_id)),
                },
                head: cursor as i64,
                unit,
            });
        }
        results.push(processed.result);
    }
    pending.store(tx, agency_id).await?;
    // The device's number, once for the push: its last entry written down.
    if let Some(last_seq) = last_written {
        db::execute!(
            tx,
            "INSERT INTO devices (agency_id, client_id, user_id, last_seq, last_seen_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (agency_id, client_id)
             DO UPDATE SET last_seq = excluded.last_seq, last_seen_at = excluded.last_seen_at",
            push.actor.agency_id,
            push.entries[0].client_id,
            push.actor.user_id,
            last_seq as i64,
            received_at
        )?;
    }
    Ok((results, last_written.is_some()))
}

/// Changes numbered after `head` and not yet stored.
#[derive(Default)]
struct Pending {
    head: i64,
    changes: Vec<(Audience, ChangeBody)>,
}

impl Pending {
    /// Numbers `changes` after `head` (the cursor the entries before reached); returns the
    /// last cursor.
    fn add(&mut self, head: i64, changes: Vec<(Audience, ChangeBody)>) -> u64 {
        if self.changes.is_empty() {
            self.head = head;
        }
        debug_assert_eq!(self.head + self.changes.len() as i64, head);
        self.changes.extend(changes);
        (self.head + self.changes.len() as i64) as u64
    }

    /// Drops what was numbered after `cursor` (an entry rolled back to its savepoint).
    fn forget_after(&mut self, cursor: i64) {
        let keep = (cursor - self.head).max(0) as usize;
        self.changes.truncate(keep);
    }

    /// Stores the changes in the log, in one go, and moves the agency's head past them.
    async fn store(&mut self, tx: &mut db::Conn, agency_id: i64) -> Result<(), sqlx::Error> {
        if !self.changes.is_empty() {
            let changes = std::mem::take(&mut self.changes);
            records::record_changes_after(tx, agency_id, self.head, changes).await?;
        }
        Ok(())
    }
}

/// What a push knows between its entries of its device, its unit and the agency's newest
/// cursor: read with its first entry, then kept as each entry changes them. Nothing else
/// writes them meanwhile: the transaction holds the only writer (SQLite) or the agency's row,
/// which every write to the agency takes first (PostgreSQL).
struct Known {
    device: DeviceState,
    head: i64,
    /// The unit as it stands after the last entry.
    unit: Unit,
}

/// One entry processed: its result, whether it was written down, and if so the cursor it
/// reached, the unit as it now stands and the device as it was before it.
struct Processed {
    result: EntryResult,
    written: bool,
    after: Option<(u64, Unit, DeviceState)>,
}

/// Processes one entry (already checked with `OutboxEntry::check`), knowing what the entries
/// before it in its push left (`known`), if any was written down.
async fn process(
    tx: &mut db::Conn,
    push: &Push,
    entry: &OutboxEntry,
    action: &Action,
    received_at: Millis,
    known: &Option<Known>,
    pending: &mut Pending,
) -> Result<Processed, sqlx::Error> {
    let (actor, unit_id) = (&push.actor, push.unit_id);
    let agency_id = actor.agency_id;
    let (device, head, unit, id_used) = match known {
        Some(known) => {
            let id_used = db::scalar!(
                tx,
                fetch_one,
                bool,
                "SELECT EXISTS (SELECT 1 FROM processed_entries WHERE entry_id = $1)",
                entry.id
            )?;
            (known.device, known.head, known.unit.clone(), id_used)
        }
        None => {
            let (found, unit) = read_device_and_unit(tx, agency_id, unit_id, entry).await?;
            let device = DeviceState {
                last_seq: found.last_seq.unwrap_or(0) as u64,
                owner: found.device_user,
            };
            (device, found.head, unit, found.id_used)
        }
    };
    let answer = |result| Processed {
        result,
        written: false,
        after: None,
    };
    let heard = unit.last_heard_at == Some(received_at);
    let (decision, event) = match sync::judge(entry, &[], device, actor.user_id, id_used) {
        Judgement::Answer(result) => return Ok(answer(result)),
        Judgement::Repeat => {
            let seq = entry.seq as i64;
            let first = db::rows!(
                tx,
                fetch_optional,
                (String, String, Option<String>),
                "SELECT entry_id, outcome, reason FROM processed_entries
                 WHERE agency_id = $1 AND client_id = $2 AND seq = $3",
                agency_id,
                entry.client_id,
                seq
            )?;
            let first = first.map(|(id, outcome, reason)| FirstAnswer {
                id,
                reason,
                outcome: if outcome == "applied" {
                    Outcome::Applied
                } else {
                    Outcome::Rejected
                },
            });
            return Ok(answer(sync::repeat(entry, first.as_ref())));
        }
        Judgement::Refuse(reason) => (Decision::Rejected(reason), Effect::default()),
        Judgement::Apply => match action {
            Action::Acknowledge(p) => {
                acknowledge(tx, actor, unit_id, entry, p, received_at).await?
            }
            Action::Status(p) => status(tx, actor, &unit, entry, p, received_at).await?,
            Action::FieldNote(p) => {
                field_note(tx, actor, unit_id, &unit.callsign, entry, p, received_at).await?
            }
            Action::Emergency(p) => {
                if let Some(location) = &p.location {
                    let fix = Fix::new(location, entry.at);
                    positions::record(tx, agency_id, unit_id, &fix, received_at).await?;
                }
                let who = (agency_id, actor.user_id, actor.display_name.as_str());
                let id = safety::raise(tx, who, &unit, entry, p, received_at).await?;
                let effect = Effect {
                    incident_id: unit.incident_id,
                    text: Some("EMERGENCY".into()),
                    emergency: Some(id),
                    ..Effect::default()
                };
                (Decision::Applied, effect)
            }
            Action::CheckIn(_) => check_in(tx, &unit, entry).await?,
            Action::Position(p) => {
                let fix = Fix::new(&p.location, entry.at);
                let joined = positions::record(tx, agency_id, unit_id, &fix, received_at).await?;
                let effect = Effect {
                    emergency: joined,
                    quiet: true,
                    ..Effect::default()
                };
                (Decision::Applied, effect)
            }
            Action::EmergencyCancel(_) => {
                let who = (actor.user_id, actor.display_name.as_str());
                match safety::cancel(tx, who, &unit, entry.at).await? {
                    Ok(id) => {
                        let effect = Effect {
                            incident_id: unit.incident_id,
                            text: Some("emergency cancelled by the responder".into()),
                            emergency: Some(id),
                            ..Effect::default()
                        };
                        (Decision::Applied, effect)
                    }
                    Err(reason) => (Decision::Rejected(reason), Effect::default()),
                }
            }
        },
    };
    let outcome = Recorded {
        decision,
        effect: event,
        head,
        before: Some(unit.clone()),
        heard,
    };
    let (result, cursor, unit) =
        record(tx, actor, unit_id, entry, outcome, received_at, pending).await?;
    Ok(Processed {
        result,
        written: true,
        after: Some((cursor, unit, device)),
    })
}

/// The device's last number, the agency's newest cursor, whether the entry's id was ever
/// used, and the unit as it stands. (Two plain reads: one row that nests the unit costs the
/// writer more to decode than a second statement.)
async fn read_device_and_unit(
    tx: &mut db::Conn,
    agency_id: i64,
    unit_id: i64,
    entry: &OutboxEntry,
) -> Result<(DeviceAndHead, Unit), sqlx::Error> {
    let found = db::rows!(
        tx,
        fetch_one,
        DeviceAndHead,
        "SELECT d.last_seq AS last_seq, d.user_id AS device_user,
            (SELECT last_cursor FROM agencies WHERE id = $1) AS head,
            EXISTS (SELECT 1 FROM processed_entries WHERE entry_id = $3) AS id_used
         FROM (SELECT 1) AS one LEFT JOIN devices d ON d.agency_id = $1 AND d.client_id = $2",
        agency_id,
        entry.client_id,
        entry.id
    )?;
    let unit = db::rows!(
        tx,
        fetch_one,
        UnitRow,
        &format!("SELECT {UNIT_COLUMNS} FROM units WHERE agency_id = $1 AND id = $2"),
        agency_id,
        unit_id
    )?;
    Ok((found, unit.into_unit()))
}

/// What an entry decided and did, and the agency's newest cursor before it.
struct Recorded {
    decision: Decision,
    effect: Effect,
    head: i64,
    /// The unit as it stood before the entry, when it was read.
    before: Option<Unit>,
    /// Whether the unit was marked heard from at this push's time already.
    heard: bool,
}

/// Writes down what became of an entry: its outcome and the unit heard from. The changes it
/// makes visible are numbered into `pending`, which `apply_push` stores with the rest of the
/// push's, as it writes the device's number once for the push. Returns its result, the
/// newest cursor and the unit as it now stands.
async fn record(
    tx: &mut db::Conn,
    actor: &Actor,
    unit_id: i64,
    entry: &OutboxEntry,
    recorded: Recorded,
    received_at: Millis,
    pending: &mut Pending,
) -> Result<(EntryResult, u64, Unit), sqlx::Error> {
    let agency_id = actor.agency_id;
    let Recorded {
        decision,
        effect: event,
        head,
        before,
        heard,
    } = recorded;
    let (outcome, reason) = match decision {
        Decision::Applied => (Outcome::Applied, None),
        Decision::Rejected(reason) => (Outcome::Rejected, Some(reason)),
    };
    // The entry's outcome and the unit heard from now; the last statement reads the unit
    // back as it now stands.
    let outcome_text = if outcome == Outcome::Applied {
        "applied"
    } else {
        "rejected"
    };
    db::execute!(
        tx,
        "INSERT INTO processed_entries
         (agency_id, client_id, seq, entry_id, kind, at, received_at, outcome, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        agency_id,
        entry.client_id,
        entry.seq as i64,
        entry.id,
        entry.kind.as_str(),
        entry.at,
        received_at,
        outcome_text,
        reason
    )?;
    // (An update and a read cost less than one update `RETURNING`, which SQLite runs through
    // a temporary table.)
    if !heard {
        db::execute!(
            tx,
            "UPDATE units SET last_heard_at = $1 WHERE id = $2",
            received_at,
            unit_id
        )?;
    }
    let unit = db::rows!(
        tx,
        fetch_one,
        UnitRow,
        &format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = $1"),
        unit_id
    )?;
    let feed = FieldEvent {
        entry_id: entry.id.clone(),
        unit_id,
        callsign: unit.callsign.clone(),
        kind: entry.kind,
        incident_id: event.incident_id,
        status: event.status,
        text: event.text,
        at: entry.at,
        received_at,
        outcome,
        reason: reason.clone(),
    };
    let unit = unit.into_unit();
    let was_on = before.as_ref().and_then(|b| b.incident_id);
    let audience = records::unit_audience(tx, agency_id, &unit, was_on).await?;
    let mut changes = vec![(audience, ChangeBody::Unit(unit.clone()))];
    for incident_id in event.touched {
        changes.push(records::incident_change(tx, agency_id, incident_id).await?);
    }
    for (incident_id, note_id) in event.notes {
        changes.push(records::note_change(tx, agency_id, incident_id, note_id).await?);
    }
    if let Some(id) = event.emergency {
        changes.push(safety::change(tx, agency_id, id).await?);
    }
    if !event.quiet {
        changes.push((Audience::Dispatch, ChangeBody::FieldEvent(feed)));
    }
    let cursor = pending.add(head, changes);
    let result = EntryResult {
        seq: entry.seq,
        id: entry.id.clone(),
        outcome,
        original: None,
        reason,
        expected_seq: None,
    };
    Ok((result, cursor, unit))
}

/// What the feed shows about an entry, and which incidents it changed.
#[derive(Default)]
struct Effect {
    incident_id: Option<i64>,
    status: Option<StatusCode>,
    text: Option<String>,
    touched: Vec<i64>,
    /// Notes the entry added (incident, note): each travels by itself.
    notes: Vec<(i64, i64)>,
    /// The emergency the entry raised, ended or added to.
    emergency: Option<i64>,
    /// Not shown in the dispatchers' feed (a position: the unit and the emergency show it).
    quiet: bool,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct AssignmentRow {
    incident_id: i64,
    unit_id: i64,
    cleared_at: Option<i64>,
    cancelled_at: Option<i64>,
}

async fn acknowledge(
    tx: &mut db::Conn,
    actor: &Actor,
    unit_id: i64,
    entry: &OutboxEntry,
    p: &AcknowledgePayload,
    received_at: Millis,
) -> Result<(Decision, Effect), sqlx::Error> {
    let assignment: Option<AssignmentRow> = db::rows!(
        tx,
        fetch_optional,
        AssignmentRow,
        "SELECT incident_id, unit_id, cleared_at, cancelled_at FROM assignments
         WHERE id = $1 AND agency_id = $2",
        p.assignment_id,
        actor.agency_id
    )?;
    let Some(a) = assignment else {
        let reason = format!(
            "assignment {} does not exist in your agency",
            p.assignment_id
        );
        return Ok((Decision::Rejected(reason), Effect::default()));
    };
    let mut effect = Effect {
        incident_id: Some(a.incident_id),
        status: Some(StatusCode::Acknowledged),
        ..Effect::default()
    };
    if a.unit_id != unit_id {
        let reason = "this assignment is for another unit; nothing was changed".to_owned();
        return Ok((Decision::Rejected(reason), effect));
    }
    if a.cancelled_at.is_some() {
        let reason = "dispatch cancelled this assignment before the acknowledgement arrived".into();
        return Ok((Decision::Rejected(reason), effect));
    }
    if a.cleared_at.is_some() {
        let reason = "this assignment was already cleared".into();
        return Ok((Decision::Rejected(reason), effect));
    }
    db::execute!(
        tx,
        "UPDATE assignments SET acknowledged_at = COALESCE(acknowledged_at, $1) WHERE id = $2",
        entry.at,
        p.assignment_id
    )?;
    // The unit moves to acknowledged only if it is still waiting on this very assignment.
    let moved = db::execute!(
        tx,
        "UPDATE units SET status = 'acknowledged', status_at = $1
         WHERE id = $2 AND status = 'dispatched' AND incident_id = $3",
        entry.at,
        unit_id,
        a.incident_id
    )?;
    if moved > 0 {
        let event = StatusEvent {
            agency_id: actor.agency_id,
            unit_id,
            incident_id: Some(a.incident_id),
            status: StatusCode::Acknowledged,
            entry,
            location: None,
            received_at,
            rejection: None,
        };
        event.insert(tx).await?;
    }
    effect.touched.push(a.incident_id);
    Ok((Decision::Applied, effect))
}

/// A status press for the history, applied or refused.
struct StatusEvent<'a> {
    agency_id: i64,
    unit_id: i64,
    incident_id: Option<i64>,
    status: StatusCode,
    entry: &'a OutboxEntry,
    location: Option<&'a tenfour_protocol::wire::Location>,
    received_at: Millis,
    rejection: Option<String>,
}

impl StatusEvent<'_> {
    async fn insert(&self, tx: &mut db::Conn) -> Result<(), sqlx::Error> {
        let outcome = match self.rejection {
            Some(_) => "rejected",
            None => "applied",
        };
        db::execute!(
            tx,
            "INSERT INTO status_events
             (agency_id, unit_id, incident_id, status, at, received_at, latitude, longitude,
              accuracy_m, entry_id, outcome, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            self.agency_id,
            self.unit_id,
            self.incident_id,
            self.status.as_str(),
            self.entry.at,
            self.received_at,
            self.location.map(|l| l.latitude),
            self.location.map(|l| l.longitude),
            self.location.and_then(|l| l.accuracy_m),
            self.entry.id,
            outcome,
            self.rejection
        )?;
        Ok(())
    }
}

async fn status(
    tx: &mut db::Conn,
    actor: &Actor,
    unit: &Unit,
    entry: &OutboxEntry,
    p: &StatusPayload,
    received_at: Millis,
) -> Result<(Decision, Effect), sqlx::Error> {
    let (agency_id, unit_id) = (actor.agency_id, unit.id);
    // Where the device was is true whatever becomes of the status.
    let mut joined = None;
    if let Some(location) = &p.location {
        let fix = Fix::new(location, entry.at);
        joined = positions::record(tx, agency_id, unit_id, &fix, received_at).await?;
    }
    if let Some(named) = p.incident_id
        && !incident_exists(tx, agency_id, named).await?
    {
        // Kept in the history without the incident, which is not this agency's to name.
        let reason = format!("incident {named} does not exist in your agency; nothing was changed");
        let event = StatusEvent {
            agency_id,
            unit_id,
            incident_id: None,
            status: p.status,
            entry,
            location: p.location.as_ref(),
            received_at,
            rejection: Some(reason.clone()),
        };
        event.insert(tx).await?;
        let effect = Effect {
            status: Some(p.status),
            emergency: joined,
            ..Effect::default()
        };
        return Ok((Decision::Rejected(reason), effect));
    }
    let incident_id = p.incident_id.or(unit.incident_id);
    let mut effect = Effect {
        incident_id,
        status: Some(p.status),
        emergency: joined,
        ..Effect::default()
    };

    // The press goes into the history either way; a refused one with its reason.
    let refusal = status_refusal(tx, agency_id, unit_id, unit, incident_id, p).await?;
    let event = StatusEvent {
        agency_id,
        unit_id,
        incident_id,
        status: p.status,
        entry,
        location: p.location.as_ref(),
        received_at,
        rejection: refusal.clone(),
    };
    if let Some(reason) = refusal {
        event.insert(tx).await?;
        return Ok((Decision::Rejected(reason), effect));
    }

    // The history, the unit and its assignments.
    event.insert(tx).await?;
    let new_incident = incident_id.filter(|_| p.status.is_committed());
    db::execute!(
        tx,
        "UPDATE units SET status = $1, status_at = $2, incident_id = $3 WHERE id = $4",
        p.status.as_str(),
        entry.at,
        new_incident,
        unit_id
    )?;
    if let Some(incident) = incident_id.filter(|_| p.status == StatusCode::Acknowledged) {
        db::execute!(
            tx,
            "UPDATE assignments SET acknowledged_at = COALESCE(acknowledged_at, $1)
             WHERE incident_id = $2 AND unit_id = $3 AND cleared_at IS NULL
               AND cancelled_at IS NULL",
            entry.at,
            incident,
            unit_id
        )?;
    }
    if !p.status.is_committed() {
        // Available or out of service: the unit is done with whatever it was on. Most often
        // it is on nothing, and a read is all it takes to know.
        let open = db::scalar!(
            tx,
            fetch_all,
            i64,
            "SELECT incident_id FROM assignments
             WHERE unit_id = $1 AND cleared_at IS NULL AND cancelled_at IS NULL",
            unit_id
        )?;
        if !open.is_empty() {
            db::execute!(
                tx,
                "UPDATE assignments SET cleared_at = $1
                 WHERE unit_id = $2 AND cleared_at IS NULL AND cancelled_at IS NULL",
                entry.at,
                unit_id
            )?;
        }
        effect.touched.extend(open);
    } else if let Some(incident) = incident_id {
        effect.touched.push(incident);
    }
    effect.touched.sort_unstable();
    effect.touched.dedup();
    Ok((Decision::Applied, effect))
}

async fn incident_exists(
    tx: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
) -> Result<bool, sqlx::Error> {
    db::scalar!(
        tx,
        fetch_one,
        bool,
        "SELECT EXISTS (SELECT 1
         FROM incidents WHERE id = $1 AND agency_id = $2)",
        incident_id,
        agency_id
    )
}

/// Why a status press cannot apply, in words for the responder; `None` when it can.
async fn status_refusal(
    tx: &mut db::Conn,
    agency_id: i64,
    unit_id: i64,
    unit: &Unit,
    incident_id: Option<i64>,
    p: &StatusPayload,
) -> Result<Option<String>, sqlx::Error> {
    if let Err(err) = unit.status.check_transition(p.status, unit.kind) {
        return Ok(Some(err.to_string()));
    }
    if !p.status.is_committed() {
        return Ok(None);
    }
    let Some(incident) = incident_id else {
        return Ok(Some(format!(
            "{} needs an incident, and {} has no assignment",
            p.status.label(),
            unit.callsign
        )));
    };
    let active: Option<i64> = db::scalar!(
        tx,
        fetch_optional,
        _,
        "SELECT id AS id
         FROM assignments WHERE agency_id = $1 AND incident_id = $2 AND unit_id = $3
           AND cleared_at IS NULL AND cancelled_at IS NULL",
        agency_id,
        incident,
        unit_id
    )?;
    Ok(active.is_none().then(|| {
        format!(
            "{} is no longer assigned to this incident (dispatch may have cancelled it)",
            unit.callsign
        )
    }))
}

async fn field_note(
    tx: &mut db::Conn,
    actor: &Actor,
    unit_id: i64,
    callsign: &str,
    entry: &OutboxEntry,
    p: &FieldNotePayload,
    received_at: Millis,
) -> Result<(Decision, Effect), sqlx::Error> {
    let mut effect = Effect {
        incident_id: Some(p.incident_id),
        text: Some(p.text.clone()),
        ..Effect::default()
    };
    let assigned: Option<i64> = db::scalar!(
        tx,
        fetch_optional,
        _,
        "SELECT a.id AS id FROM assignments a JOIN incidents i ON i.id = a.incident_id
         WHERE i.agency_id = $1 AND a.incident_id = $2 AND a.unit_id = $3 LIMIT 1",
        actor.agency_id,
        p.incident_id,
        unit_id
    )?;
    if assigned.is_none() {
        effect.incident_id = None;
        let reason =
            "your unit was never assigned to this incident, so the note was not added".into();
        return Ok((Decision::Rejected(reason), effect));
    }
    let author_name = format!("{callsign} ({})", actor.display_name);
    let note_id = db::scalar!(
        tx,
        fetch_one,
        _,
        "INSERT INTO notes (agency_id, incident_id, source, author, unit_id, text,
         at, received_at, entry_id)
         VALUES ($1, $2, 'field', $3, $4, $5, $6, $7, $8) RETURNING id AS id",
        actor.agency_id,
        p.incident_id,
        author_name,
        unit_id,
        p.text,
        entry.at,
        received_at,
        entry.id
    )?;
    db::execute!(
        tx,
        "UPDATE incidents SET updated_at = $1 WHERE id = $2",
        received_at,
        p.incident_id
    )?;
    effect.notes.push((p.incident_id, note_id));
    Ok((Decision::Applied, effect))
}

/// The crew is OK: the unit's check-in timer starts again from the press.
async fn check_in(
    tx: &mut db::Conn,
    unit: &Unit,
    entry: &OutboxEntry,
) -> Result<(Decision, Effect), sqlx::Error> {
    let effect = Effect {
        incident_id: unit.incident_id,
        text: Some("checked in".into()),
        ..Effect::default()
    };
    if unit.check_in_due_at.is_none() {
        let reason = format!(
            "no check-in timer runs for {} while {}; nothing was changed",
            unit.callsign,
            unit.status.label().to_lowercase()
        );
        return Ok((Decision::Rejected(reason), effect));
    }
    db::execute!(
        tx,
        "UPDATE units SET last_check_in_at = CASE
             WHEN last_check_in_at > $1 THEN last_check_in_at ELSE $1 END
         WHERE id = $2",
        entry.at,
        unit.id
    )?;
    Ok((Decision::Applied, effect))
}
