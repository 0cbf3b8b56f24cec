//! Reading incidents and units as the wire shows them, and numbering every committed change.
//!
//! Every function takes the caller's agency: no query here reaches another agency's rows.

use crate::clock::now_ms;
use crate::db;
use tenfour_protocol::StatusCode;
use tenfour_protocol::wire::{
    Assignment, Change, ChangeBody, Fix, Incident, IncidentNote, IncidentState, Note, NoteSource,
    Unit, UnitKind,
};

#[derive(sqlx::FromRow, serde::Deserialize)]
struct IncidentRow {
    id: i64,
    number: String,
    nature_code: String,
    nature_text: String,
    priority: i64,
    address: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    caller_name: String,
    callback: String,
    cautions: String,
    state: String,
    created_at: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct NoteRow {
    id: i64,
    source: String,
    author: String,
    unit_id: Option<i64>,
    text: String,
    at: i64,
    received_at: i64,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct AssignmentRow {
    id: i64,
    unit_id: i64,
    callsign: String,
    dispatched_at: i64,
    acknowledged_at: Option<i64>,
    cleared_at: Option<i64>,
    cancelled_at: Option<i64>,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub struct UnitRow {
    pub id: i64,
    pub callsign: String,
    pub kind: String,
    pub status: String,
    pub incident_id: Option<i64>,
    pub status_at: i64,
    pub last_heard_at: Option<i64>,
    // Read through `DeviceAndUnit`'s flatten, where SQLite's 0/1 arrives as a number.
    #[serde(deserialize_with = "crate::db::direct::flag")]
    pub retired: bool,
    pub check_in_due_at: Option<i64>,
    pub check_in_warn_at: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub position_at: Option<i64>,
}

impl UnitRow {
    pub fn into_unit(self) -> Unit {
        Unit {
            id: self.id,
            kind: UnitKind::parse(&self.kind).unwrap_or(UnitKind::Police),
            status: StatusCode::parse(&self.status).unwrap_or(StatusCode::OutOfService),
            callsign: self.callsign,
            incident_id: self.incident_id,
            status_at: self.status_at,
            last_heard_at: self.last_heard_at,
            retired: self.retired,
            check_in_due_at: self.check_in_due_at,
            check_in_warn_at: self.check_in_warn_at,
            position: match (self.latitude, self.longitude, self.position_at) {
                (Some(latitude), Some(longitude), Some(at)) => Some(Fix {
                    latitude,
                    longitude,
                    accuracy_m: self.accuracy_m,
                    at,
                }),
                _ => None,
            },
        }
    }
}

pub const UNIT_COLUMNS: &str = "id, callsign, kind, status, incident_id, status_at, last_heard_at, retired_at IS NOT NULL AS retired, check_in_due_at, check_in_warn_at, latitude, longitude, accuracy_m, position_at";

pub async fn load_unit(
    conn: &mut db::Conn,
    agency_id: i64,
    unit_id: i64,
) -> Result<Option<Unit>, sqlx::Error> {
    let row: Option<UnitRow> = db::rows!(
        conn,
        fetch_optional,
        UnitRow,
        "SELECT id AS id, callsign, kind, status, incident_id, status_at, last_heard_at,
         retired_at IS NOT NULL AS retired, check_in_due_at, check_in_warn_at,
         latitude, longitude, accuracy_m,
         position_at FROM units WHERE agency_id = $1 AND id = $2",
        agency_id,
        unit_id
    )?;
    Ok(row.map(UnitRow::into_unit))
}

pub async fn load_units(conn: &mut db::Conn, agency_id: i64) -> Result<Vec<Unit>, sqlx::Error> {
    let rows: Vec<UnitRow> = db::rows!(
        conn,
        fetch_all,
        UnitRow,
        "SELECT id AS id, callsign, kind, status, incident_id, status_at, last_heard_at,
         retired_at IS NOT NULL AS retired, check_in_due_at, check_in_warn_at,
         latitude, longitude, accuracy_m,
         position_at FROM units WHERE agency_id = $1 ORDER BY callsign",
        agency_id
    )?;
    Ok(rows.into_iter().map(UnitRow::into_unit).collect())
}

impl NoteRow {
    fn into_note(self) -> Note {
        Note {
            id: self.id,
            source: NoteSource::parse(&self.source).unwrap_or(NoteSource::Dispatch),
            author: self.author,
            unit_id: self.unit_id,
            text: self.text,
            at: self.at,
            received_at: self.received_at,
        }
    }
}

pub async fn load_incident(
    conn: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
) -> Result<Option<Incident>, sqlx::Error> {
    let row: Option<IncidentRow> = db::rows!(
        conn,
        fetch_optional,
        IncidentRow,
        "SELECT id AS id, number, nature_code, nature_text, priority, address, latitude, longitude,
                caller_name, callback, cautions, state, created_at, updated_at
         FROM incidents WHERE agency_id = $1 AND id = $2",
        agency_id,
        incident_id
    )?;
    let Some(row) = row else {
        return Ok(None);
    };
    let notes: Vec<NoteRow> = db::rows!(
        conn,
        fetch_all,
        NoteRow,
        "SELECT id AS id, source, author, unit_id, text, at, received_at
         FROM notes WHERE incident_id = $1 ORDER BY at, id",
        incident_id
    )?;
    let assignments: Vec<AssignmentRow> = db::rows!(
        conn,
        fetch_all,
        AssignmentRow,
        "SELECT a.id AS id, a.unit_id, u.callsign, a.dispatched_at, a.acknowledged_at,
         a.cleared_at, a.cancelled_at
         FROM assignments a JOIN units u ON u.id = a.unit_id
         WHERE a.incident_id = $1 ORDER BY a.id",
        incident_id
    )?;
    Ok(Some(Incident {
        id: row.id,
        number: row.number,
        nature_code: row.nature_code,
        nature_text: row.nature_text,
        priority: row.priority.clamp(1, 5) as u8,
        address: row.address,
        latitude: row.latitude,
        longitude: row.longitude,
        caller_name: row.caller_name,
        callback: row.callback,
        cautions: serde_json::from_str(&row.cautions).unwrap_or_default(),
        state: IncidentState::parse(&row.state).unwrap_or(IncidentState::Active),
        created_at: row.created_at,
        updated_at: row.updated_at,
        notes: notes.into_iter().map(NoteRow::into_note).collect(),
        assignments: assignments
            .into_iter()
            .map(|a| Assignment {
                id: a.id,
                unit_id: a.unit_id,
                callsign: a.callsign,
                dispatched_at: a.dispatched_at,
                acknowledged_at: a.acknowledged_at,
                cleared_at: a.cleared_at,
                cancelled_at: a.cancelled_at,
            })
            .collect(),
    }))
}

/// Who may pull a change.
pub enum Audience {
    /// Everyone in the agency (unit statuses).
    All,
    /// Dispatchers only (the field feed).
    Dispatch,
    /// Dispatchers and these units (an incident, to the units ever assigned to it).
    Units(Vec<i64>),
}

/// Gives the change the agency's next cursor and stores it. Call inside the transaction
/// that made the change, so the change and its number commit together.
pub async fn record_change(
    conn: &mut db::Conn,
    agency_id: i64,
    audience: Audience,
    body: ChangeBody,
) -> Result<u64, sqlx::Error> {
    let head = lock_head(conn, agency_id).await?;
    record_changes_after(conn, agency_id, head, vec![(audience, body)]).await
}

/// Takes the agency's change numbering for this transaction and reads its newest cursor.
///
/// On SQLite the transaction already holds the only writer. On PostgreSQL several hubs write
/// at once: the row lock taken here makes another hub's transaction for the same agency wait
/// until this one commits, so each reads what the other wrote (the device's last number, the
/// head) and no number is given twice or skipped.
pub async fn lock_head(conn: &mut db::Conn, agency_id: i64) -> Result<i64, sqlx::Error> {
    if conn.is_postgres() {
        db::scalar!(
            conn,
            fetch_one,
            i64,
            "UPDATE agencies SET last_cursor = last_cursor WHERE id = $1 RETURNING last_cursor",
            agency_id
        )
    } else {
        head(conn, agency_id).await
    }
}

/// Begins a transaction that writes the agency's records. On PostgreSQL it takes the
/// agency's row first (`lock_head`), as a push does: writes of one agency made on several
/// hubs then run one at a time, each seeing what the one before committed (a unit two
/// dispatchers assign at once is assigned once), and every such transaction takes the
/// agency before its units and incidents, so none waits on another in a circle.
pub async fn begin_writing(pool: &db::Pool, agency_id: i64) -> Result<db::Conn, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if tx.is_postgres() {
        lock_head(&mut tx, agency_id).await?;
    }
    Ok(tx)
}

/// The agency's newest change cursor, read once here for every caller.
pub async fn head(conn: &mut db::Conn, agency_id: i64) -> Result<i64, sqlx::Error> {
    db::scalar!(
        conn,
        fetch_one,
        i64,
        "SELECT last_cursor FROM agencies WHERE id = $1",
        agency_id
    )
}

/// Numbers changes in order after `head`, which the caller read in this transaction, and
/// stores them in one insert; returns the last cursor. Should
/// the head have moved meanwhile, the cursor update matches no row and the insert collides
/// with the changes already numbered, so the transaction fails rather than reuse a number.
pub async fn record_changes_after(
    conn: &mut db::Conn,
    agency_id: i64,
    head: i64,
    changes: Vec<(Audience, ChangeBody)>,
) -> Result<u64, sqlx::Error> {
    if changes.is_empty() {
        return Ok(head as u64);
    }
    let last = head as u64 + changes.len() as u64;
    let mut rows = Vec::with_capacity(changes.len());
    for (offset, (audience, body)) in changes.into_iter().enumerate() {
        let cursor = head as u64 + 1 + offset as u64;
        let (audience, units) = match audience {
            Audience::All => ("all", String::new()),
            Audience::Dispatch => ("dispatch", String::new()),
            Audience::Units(ids) => (
                "units",
                ids.iter()
                    .fold(",".to_owned(), |acc, id| format!("{acc}{id},")),
            ),
        };
        let (kind, record_id) = record_of(&body);
        let body = serde_json::to_string(&Change { cursor, body })
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        rows.push((cursor as i64, audience, units, kind, record_id, body));
    }
    let recorded_at = now_ms();
    db::execute!(
        conn,
        "UPDATE agencies SET last_cursor = $1 WHERE id = $2 AND last_cursor = $3",
        last as i64,
        agency_id,
        head
    )?;
    db::on!(conn,
        c => {
            // Over a network, one insert for them all.
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO changes (agency_id, cursor, audience, units, kind, record_id, \
                 recorded_at, body) ",
            );
            insert.push_values(
                &rows,
                |mut row, (cursor, audience, units, kind, record_id, body)| {
                    row.push_bind(agency_id)
                        .push_bind(*cursor)
                        .push_bind(*audience)
                        .push_bind(units)
                        .push_bind(*kind)
                        .push_bind(*record_id)
                        .push_bind(recorded_at)
                        .push_bind(body);
                },
            );
            insert.build().execute(&mut *c).await.map(drop)
        },
        // In this thread, one prepared insert for each number of changes an entry makes (a
        // statement costs about as much as a row).
        d => rows.chunks(8).try_for_each(|chunk| {
            let mut sql = String::from(
                "INSERT INTO changes (agency_id, cursor, audience, units, kind, record_id, \
                 recorded_at, body) VALUES ",
            );
            let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 8);
            for (i, (cursor, audience, units, kind, record_id, body)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str("(?, ?, ?, ?, ?, ?, ?, ?)");
                args.extend([
                    &agency_id as &dyn rusqlite::ToSql,
                    cursor,
                    audience,
                    units,
                    kind,
                    record_id,
                    &recorded_at,
                    body,
                ]);
            }
            db::direct::execute(d, &sql, &args).map(drop)
        })
    )?;
    if conn.is_postgres() {
        // Sent when the transaction commits, to every hub on the database (`fanout.rs`).
        db::execute!(
            conn,
            "SELECT pg_notify($1, $2)",
            CHANGES_CHANNEL,
            change_notice(agency_id, last)
        )?;
    }
    Ok(last)
}

/// The PostgreSQL channel on which hubs tell each other of new changes.
pub const CHANGES_CHANNEL: &str = "tenfour_changes";

/// What a commit tells the other hubs: only the agency and its newest cursor; they read the
/// changes themselves.
pub fn change_notice(agency_id: i64, cursor: u64) -> String {
    format!("{agency_id}:{cursor}")
}

/// The record a change carries, as the change log names it: its kind (the body's `type`) and
/// id. A newer change of the same record replaces it; field events are each their own.
fn record_of(body: &ChangeBody) -> (&'static str, i64) {
    match body {
        ChangeBody::Incident(i) => ("incident", i.id),
        ChangeBody::Unit(u) => ("unit", u.id),
        ChangeBody::Emergency(e) => ("emergency", e.id),
        ChangeBody::Agency(a) => ("agency", a.id),
        // Named by its incident: a newer copy of the incident shows it, and replaces it.
        ChangeBody::Note(n) => ("note", n.incident_id),
        ChangeBody::FieldEvent(_) => (FIELD_EVENT, 0),
        // Never made by this hub: only a device reads a kind it does not know.
        ChangeBody::Unknown => ("", 0),
    }
}

const FIELD_EVENT: &str = "field_event";

/// Records the incident as it now stands, for dispatchers and every unit ever assigned.
pub async fn publish_incident(
    conn: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
) -> Result<u64, sqlx::Error> {
    let (audience, body) = incident_change(conn, agency_id, incident_id).await?;
    record_change(conn, agency_id, audience, body).await
}

/// The incident as it now stands, addressed to dispatchers and every unit ever assigned.
pub async fn incident_change(
    conn: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
) -> Result<(Audience, ChangeBody), sqlx::Error> {
    let incident = load_incident(conn, agency_id, incident_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let mut units: Vec<i64> = incident.assignments.iter().map(|a| a.unit_id).collect();
    units.sort_unstable();
    units.dedup();
    Ok((Audience::Units(units), ChangeBody::Incident(incident)))
}

/// Records a note added to an incident, by itself, for those who see the incident.
pub async fn publish_note(
    conn: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
    note_id: i64,
) -> Result<u64, sqlx::Error> {
    let (audience, body) = note_change(conn, agency_id, incident_id, note_id).await?;
    record_change(conn, agency_id, audience, body).await
}

/// A note as a change of its own, addressed like its incident (dispatchers and every unit
/// ever assigned).
pub async fn note_change(
    conn: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
    note_id: i64,
) -> Result<(Audience, ChangeBody), sqlx::Error> {
    let note = db::rows!(
        conn,
        fetch_one,
        NoteRow,
        "SELECT id AS id, source, author, unit_id, text, at, received_at
         FROM notes WHERE agency_id = $1 AND incident_id = $2 AND id = $3",
        agency_id,
        incident_id,
        note_id
    )?;
    let units: Vec<i64> = db::scalar!(
        conn,
        fetch_all,
        _,
        "SELECT DISTINCT unit_id FROM assignments WHERE incident_id = $1 ORDER BY unit_id",
        incident_id
    )?;
    Ok((
        Audience::Units(units),
        ChangeBody::Note(IncidentNote {
            incident_id,
            note: note.into_note(),
        }),
    ))
}

/// Who sees a unit as it changes, besides dispatch: the unit itself and the units on its call
/// (active assignments on `incident_id`). Responders show other units only on their own call
/// (the incident screen and its map), so with 2,000 units connected a unit's change is not
/// 2,000 copies.
pub async fn crew(
    conn: &mut db::Conn,
    agency_id: i64,
    unit_id: i64,
    incident_id: Option<i64>,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut units: Vec<i64> = match incident_id {
        Some(incident_id) => db::scalar!(
            conn,
            fetch_all,
            _,
            "SELECT unit_id AS unit_id FROM assignments
             WHERE agency_id = $1 AND incident_id = $2
               AND cleared_at IS NULL AND cancelled_at IS NULL",
            agency_id,
            incident_id
        )?,
        None => Vec::new(),
    };
    units.push(unit_id);
    units.sort_unstable();
    units.dedup();
    Ok(units)
}

/// The audience of a unit's change: its crew on the call it is on now and, when the change
/// took it off another (`was_on`), the crew there too, who see it leave.
pub async fn unit_audience(
    conn: &mut db::Conn,
    agency_id: i64,
    unit: &Unit,
    was_on: Option<i64>,
) -> Result<Audience, sqlx::Error> {
    let mut units = crew(conn, agency_id, unit.id, unit.incident_id).await?;
    if was_on.is_some() && was_on != unit.incident_id {
        units.extend(crew(conn, agency_id, unit.id, was_on).await?);
        units.sort_unstable();
        units.dedup();
    }
    Ok(Audience::Units(units))
}

/// Records the unit as it now stands, for dispatch and its crew (see `unit_audience`).
pub async fn publish_unit(
    conn: &mut db::Conn,
    agency_id: i64,
    unit_id: i64,
    was_on: Option<i64>,
) -> Result<u64, sqlx::Error> {
    let unit = load_unit(conn, agency_id, unit_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let audience = unit_audience(conn, agency_id, &unit, was_on).await?;
    record_change(conn, agency_id, audience, ChangeBody::Unit(unit)).await
}

/// Shows a unit just put on a call the units already on it, as they now stand (their later
/// changes reach it as its crew's).
pub async fn introduce(
    conn: &mut db::Conn,
    agency_id: i64,
    unit_id: i64,
    incident_id: i64,
) -> Result<(), sqlx::Error> {
    for other in crew(conn, agency_id, unit_id, Some(incident_id)).await? {
        if other == unit_id {
            continue;
        }
        if let Some(unit) = load_unit(conn, agency_id, other).await? {
            let audience = Audience::Units(vec![unit_id]);
            record_change(conn, agency_id, audience, ChangeBody::Unit(unit)).await?;
        }
    }
    Ok(())
}

/// One page of the changes after `since` that the caller may see, read in one snapshot.
pub struct Page {
    /// Each change's stored JSON, in cursor order.
    pub bodies: Vec<(u64, String)>,
    pub cursor: u64,
    pub more: bool,
    pub head: u64,
}

/// `unit`: `None` for dispatchers (everything), `Some(unit)` for a responder's view.
pub async fn changes_after(
    conn: &mut db::Conn,
    agency_id: i64,
    view: View,
    since: u64,
    limit: u32,
) -> Result<Page, sqlx::Error> {
    let head: i64 = db::scalar!(
        conn,
        fetch_one,
        _,
        "SELECT last_cursor
         FROM agencies WHERE id = $1",
        agency_id
    )?;
    let head = head as u64;
    let (everything, unit_marker) = match view {
        View::Everything => (true, String::new()),
        View::Unit(Some(unit)) => (false, format!(",{unit},")),
        View::Unit(None) => (false, "-".to_owned()),
    };
    let (after, up_to, rows_wanted) = (since as i64, head as i64, i64::from(limit) + 1);
    let rows = db::rows!(
        conn,
        fetch_all,
        (i64, String),
        "SELECT cursor, body FROM changes
         WHERE agency_id = $1 AND cursor > $2 AND cursor <= $3
           AND ($4 OR audience = 'all' OR (audience = 'units' AND units LIKE '%' || $5 || '%'))
         ORDER BY cursor LIMIT $6",
        agency_id,
        after,
        up_to,
        everything,
        unit_marker,
        rows_wanted
    )?;
    let more = rows.len() > limit as usize;
    let bodies: Vec<(u64, String)> = rows
        .into_iter()
        .take(limit as usize)
        .map(|(cursor, body)| (cursor as u64, body))
        .collect();
    let cursor = if more {
        bodies.last().map_or(since, |(c, _)| *c)
    } else {
        head.max(since)
    };
    Ok(Page {
        bodies,
        cursor,
        more,
        head,
    })
}

/// How many of the newest field events a snapshot carries for a dispatcher's feed.
pub const SNAPSHOT_FEED: i64 = 1_000;

/// Where a device starts when it has nothing (`since` 0) or its cursor is older than the
/// history the hub keeps: the newest copy of every record the caller may see — units, the
/// agency's settings, incidents open or closed within `CLOSED_KEPT_MS` (by the hub's clock:
/// when the copy was recorded), emergencies active or ended within it — and, for dispatchers, the newest `SNAPSHOT_FEED` field events; not
/// every change since the agency began. One page, at the head: the device follows changes
/// from there. Each copy keeps the cursor of the change that wrote it, so a device that
/// holds a newer one keeps it.
pub async fn snapshot(
    conn: &mut db::Conn,
    agency_id: i64,
    view: View,
    now: tenfour_protocol::wire::Millis,
) -> Result<Page, sqlx::Error> {
    let head = head(conn, agency_id).await? as u64;
    let (everything, unit_marker) = match view {
        View::Everything => (true, String::new()),
        View::Unit(Some(unit)) => (false, format!(",{unit},")),
        View::Unit(None) => (false, "-".to_owned()),
    };
    let cutoff = now - tenfour_protocol::sync::CLOSED_KEPT_MS;
    let rows = db::rows!(
        conn,
        fetch_all,
        (i64, String, i64, String),
        "SELECT cursor, kind, record_id, body FROM changes
         WHERE agency_id = $1 AND cursor IN (
             SELECT max(cursor) FROM changes
             WHERE agency_id = $2 AND kind != 'field_event'
               AND kind IN ('incident', 'unit', 'emergency', 'agency')
               AND ($3 OR audience = 'all' OR (audience = 'units' AND units LIKE '%' || $4 || '%'))
             GROUP BY kind, record_id)
           AND NOT (kind = 'incident' AND recorded_at < $5 AND record_id IN (
             SELECT id FROM incidents WHERE agency_id = $6 AND state != 'active'))
           AND NOT (kind = 'emergency' AND recorded_at < $7 AND record_id IN (
             SELECT id FROM emergencies WHERE agency_id = $8 AND ended_at IS NOT NULL))
         ORDER BY cursor",
        agency_id,
        agency_id,
        everything,
        unit_marker,
        cutoff,
        agency_id,
        cutoff,
        agency_id
    )?;
    // Notes that came after the newest copy of their incident (which does not show them),
    // on the incidents above.
    let carried: std::collections::HashSet<i64> = rows
        .iter()
        .filter(|(_, kind, _, _)| kind == "incident")
        .map(|(_, _, record_id, _)| *record_id)
        .collect();
    let mut bodies: Vec<(u64, String)> = rows
        .into_iter()
        .map(|(cursor, _, _, body)| (cursor as u64, body))
        .collect();
    let notes = db::rows!(
        conn,
        fetch_all,
        (i64, i64, String),
        "SELECT cursor, record_id, body FROM changes AS note
         WHERE agency_id = $1 AND kind != 'field_event' AND kind = 'note'
           AND ($2 OR audience = 'all' OR (audience = 'units' AND units LIKE '%' || $3 || '%'))
           AND cursor > (SELECT max(copy.cursor) FROM changes AS copy
                         WHERE copy.agency_id = note.agency_id AND copy.kind != 'field_event'
                           AND copy.kind = 'incident'
                           AND copy.record_id = note.record_id)
         ORDER BY cursor",
        agency_id,
        everything,
        unit_marker
    )?;
    bodies.extend(
        notes
            .into_iter()
            .filter(|(_, record_id, _)| carried.contains(record_id))
            .map(|(cursor, _, body)| (cursor as u64, body)),
    );
    if everything {
        let feed_kept = SNAPSHOT_FEED;
        let feed = db::rows!(
            conn,
            fetch_all,
            (i64, String),
            "SELECT cursor, body FROM changes
             WHERE agency_id = $1 AND kind = 'field_event'
             ORDER BY cursor DESC LIMIT $2",
            agency_id,
            feed_kept
        )?;
        bodies.extend(feed.into_iter().map(|(cursor, body)| (cursor as u64, body)));
    }
    bodies.sort_unstable_by_key(|(cursor, _)| *cursor);
    Ok(Page {
        bodies,
        cursor: head,
        more: false,
        head,
    })
}

/// The cursor up to which the agency's history was compacted: a device whose cursor is
/// older starts again from a snapshot.
pub async fn compacted_to(conn: &mut db::Conn, agency_id: i64) -> Result<u64, sqlx::Error> {
    let floor = db::scalar!(
        conn,
        fetch_one,
        i64,
        "SELECT compacted_to FROM agencies WHERE id = $1",
        agency_id
    )?;
    Ok(floor as u64)
}

/// Whose view of the change log a reader gets.
#[derive(Debug, Clone, Copy)]
pub enum View {
    Everything,
    /// A responder; `None` before a unit is chosen (unit statuses only).
    Unit(Option<i64>),
}

/// The same rule as the `changes_after` query, for changes held in memory.
pub fn visible(view: View, audience: &str, units: &str) -> bool {
    match view {
        View::Everything => true,
        View::Unit(unit) => {
            audience == "all"
                || (audience == "units" && unit.is_some_and(|u| units.contains(&format!(",{u},"))))
        }
    }
}
