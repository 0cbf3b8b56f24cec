//! Responder safety on the hub: emergencies raised from a device's outbox (so they work
//! offline and arrive once), acknowledged and ended by dispatchers, cancelled by the
//! responder. Every change is published to dispatchers, the unit itself and the units on
//! the same call.

use crate::db;
use crate::dispatch::Refusal;
use crate::positions;
use crate::records::Audience;
use tenfour_protocol::wire::{
    ChangeBody, Emergency, EmergencyPayload, Location, MAX_REASON_CHARS, Millis, OutboxEntry,
    TRAIL_SENT, Unit,
};

#[derive(sqlx::FromRow, serde::Deserialize)]
struct EmergencyRow {
    id: i64,
    unit_id: i64,
    callsign: String,
    raised_by: String,
    incident_id: Option<i64>,
    pressed_at: i64,
    received_at: i64,
    latitude: Option<f64>,
    longitude: Option<f64>,
    accuracy_m: Option<f64>,
    acknowledged_by: Option<String>,
    acknowledged_at: Option<i64>,
    ended_by: Option<String>,
    ended_at: Option<i64>,
    end_reason: Option<String>,
}

impl EmergencyRow {
    fn into_emergency(self) -> Emergency {
        let location = match (self.latitude, self.longitude) {
            (Some(latitude), Some(longitude)) => Some(Location {
                latitude,
                longitude,
                accuracy_m: self.accuracy_m,
            }),
            _ => None,
        };
        Emergency {
            id: self.id,
            unit_id: self.unit_id,
            callsign: self.callsign,
            raised_by: self.raised_by,
            incident_id: self.incident_id,
            pressed_at: self.pressed_at,
            received_at: self.received_at,
            location,
            trail: Vec::new(),
            acknowledged_by: self.acknowledged_by,
            acknowledged_at: self.acknowledged_at,
            ended_by: self.ended_by,
            ended_at: self.ended_at,
            end_reason: self.end_reason,
        }
    }
}

pub async fn load(
    conn: &mut db::Conn,
    agency_id: i64,
    id: i64,
) -> Result<Option<Emergency>, sqlx::Error> {
    let row: Option<EmergencyRow> = db::rows!(
        conn,
        fetch_optional,
        EmergencyRow,
        "SELECT e.id AS id, e.unit_id, u.callsign, e.raised_by, e.incident_id,
         e.pressed_at,
     e.received_at, e.latitude, e.longitude, e.accuracy_m, e.acknowledged_by, e.acknowledged_at,
     e.ended_by, e.ended_at, e.end_reason FROM emergencies e JOIN units u ON u.id = e.unit_id
         WHERE e.agency_id = $1 AND e.id = $2",
        agency_id,
        id
    )?;
    match row {
        Some(row) => Ok(Some(with_trail(conn, row.into_emergency()).await?)),
        None => Ok(None),
    }
}

async fn with_trail(
    conn: &mut db::Conn,
    mut emergency: Emergency,
) -> Result<Emergency, sqlx::Error> {
    emergency.trail = positions::emergency_trail(conn, emergency.id, TRAIL_SENT).await?;
    Ok(emergency)
}

/// The agency's active emergencies, oldest first (the board's first load).
pub async fn active(conn: &mut db::Conn, agency_id: i64) -> Result<Vec<Emergency>, sqlx::Error> {
    let rows: Vec<EmergencyRow> = db::rows!(
        conn,
        fetch_all,
        EmergencyRow,
        "SELECT e.id AS id, e.unit_id, u.callsign, e.raised_by, e.incident_id,
         e.pressed_at,
     e.received_at, e.latitude, e.longitude, e.accuracy_m, e.acknowledged_by, e.acknowledged_at,
     e.ended_by, e.ended_at, e.end_reason FROM emergencies e JOIN units u ON u.id = e.unit_id
         WHERE e.agency_id = $1 AND e.ended_at IS NULL ORDER BY e.id",
        agency_id
    )?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        list.push(with_trail(conn, row.into_emergency()).await?);
    }
    Ok(list)
}

/// The emergency as it now stands, addressed to dispatchers, its unit and the units on the
/// same call (who may be the nearest help).
pub async fn change(
    conn: &mut db::Conn,
    agency_id: i64,
    id: i64,
) -> Result<(Audience, ChangeBody), sqlx::Error> {
    let emergency = load(conn, agency_id, id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let mut units = vec![emergency.unit_id];
    if let Some(incident) = emergency.incident_id {
        let on_call: Vec<i64> = db::scalar!(
            conn,
            fetch_all,
            _,
            "SELECT unit_id FROM assignments
             WHERE agency_id = $1 AND incident_id = $2 AND cleared_at IS NULL
         AND cancelled_at IS NULL",
            agency_id,
            incident
        )?;
        units.extend(on_call);
    }
    units.sort_unstable();
    units.dedup();
    Ok((Audience::Units(units), ChangeBody::Emergency(emergency)))
}

async fn active_for_unit(conn: &mut db::Conn, unit_id: i64) -> Result<Option<i64>, sqlx::Error> {
    db::scalar!(
        conn,
        fetch_optional,
        _,
        "SELECT id AS id FROM emergencies WHERE unit_id = $1 AND ended_at IS NULL",
        unit_id
    )
}

/// The button, from the outbox: a new emergency, or the unit's active one (a second press
/// adds nothing; its position joins the trail like any other). Returns the emergency's id.
pub async fn raise(
    conn: &mut db::Conn,
    who: (i64, i64, &str),
    unit: &Unit,
    entry: &OutboxEntry,
    p: &EmergencyPayload,
    received_at: Millis,
) -> Result<i64, sqlx::Error> {
    let pressed = (entry.id.as_str(), entry.at, received_at);
    insert_or_join(conn, who, unit, pressed, p.location.as_ref()).await
}

/// A dispatcher raises an emergency for a unit (an overdue check-in nobody answers): its
/// id, or why not.
pub async fn raise_for(
    conn: &mut db::Conn,
    who: (i64, i64, &str),
    unit: &Unit,
    now: Millis,
) -> Result<Result<i64, Refusal>, sqlx::Error> {
    if active_for_unit(conn, unit.id).await?.is_some() {
        return Ok(Err(Refusal::Conflict(format!(
            "{} already has an active emergency",
            unit.callsign
        ))));
    }
    // Not from a device's outbox: an id of its own kind, unique per unit and moment.
    let id = format!("dispatch:{}:{now}", unit.id);
    let name = format!("escalated by {}", who.2);
    let who = (who.0, who.1, name.as_str());
    Ok(Ok(insert_or_join(
        conn,
        who,
        unit,
        (id.as_str(), now, now),
        None,
    )
    .await?))
}

async fn insert_or_join(
    conn: &mut db::Conn,
    who: (i64, i64, &str),
    unit: &Unit,
    pressed: (&str, Millis, Millis),
    location: Option<&Location>,
) -> Result<i64, sqlx::Error> {
    let (agency_id, user_id, name) = who;
    let (entry_id, pressed_at, received_at) = pressed;
    if let Some(id) = active_for_unit(conn, unit.id).await? {
        return Ok(id);
    }
    let latitude = location.map(|l| l.latitude);
    let longitude = location.map(|l| l.longitude);
    let accuracy_m = location.and_then(|l| l.accuracy_m);
    db::scalar!(
        conn,
        fetch_one,
        _,
        "INSERT INTO emergencies (agency_id, unit_id, user_id, raised_by, incident_id,
         entry_id,
                                  pressed_at, received_at, latitude, longitude, accuracy_m)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id AS id",
        agency_id,
        unit.id,
        user_id,
        name,
        unit.incident_id,
        entry_id,
        pressed_at,
        received_at,
        latitude,
        longitude,
        accuracy_m
    )
}

/// The responder ends their own emergency: its id, or why nothing changed.
pub async fn cancel(
    conn: &mut db::Conn,
    who: (i64, &str),
    unit: &Unit,
    at: Millis,
) -> Result<Result<i64, String>, sqlx::Error> {
    let (user_id, name) = who;
    let Some(id) = active_for_unit(conn, unit.id).await? else {
        return Ok(Err(format!(
            "{} has no active emergency (dispatch may already have ended it); nothing was changed",
            unit.callsign
        )));
    };
    end_row(conn, id, (user_id, name), "cancelled by the responder", at).await?;
    Ok(Ok(id))
}

async fn end_row(
    conn: &mut db::Conn,
    id: i64,
    who: (i64, &str),
    reason: &str,
    at: Millis,
) -> Result<(), sqlx::Error> {
    db::execute!(
        conn,
        "UPDATE emergencies SET ended_by_id = $1, ended_by = $2, ended_at = $3, end_reason = $4
         WHERE id = $5 AND ended_at IS NULL",
        who.0,
        who.1,
        at,
        reason,
        id
    )?;
    Ok(())
}

async fn found(
    conn: &mut db::Conn,
    agency_id: i64,
    id: i64,
) -> Result<Result<Emergency, Refusal>, sqlx::Error> {
    Ok(load(conn, agency_id, id)
        .await?
        .ok_or_else(|| Refusal::NotFound(format!("there is no emergency {id} in your agency"))))
}

/// A dispatcher takes the emergency: the alarm stops on every board and the responder sees
/// who has it. A second acknowledgement keeps the first one's name and time.
pub async fn acknowledge(
    conn: &mut db::Conn,
    agency_id: i64,
    id: i64,
    who: (i64, &str),
    at: Millis,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let emergency = match found(conn, agency_id, id).await? {
        Ok(e) => e,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if !emergency.is_active() {
        return Ok(Err(Refusal::Conflict(format!(
            "the emergency of {} already ended ({}); there is nothing to acknowledge",
            emergency.callsign,
            emergency.end_reason.as_deref().unwrap_or("ended")
        ))));
    }
    db::execute!(
        conn,
        "UPDATE emergencies SET acknowledged_by_id = $1, acknowledged_by = $2, acknowledged_at = $3
         WHERE id = $4 AND acknowledged_at IS NULL",
        who.0,
        who.1,
        at,
        id
    )?;
    Ok(Ok(()))
}

/// A dispatcher ends the emergency, saying why; it stays in the record.
pub async fn end(
    conn: &mut db::Conn,
    agency_id: i64,
    id: i64,
    who: (i64, &str),
    reason: &str,
    at: Millis,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Ok(Err(Refusal::Invalid(
            "say why the emergency ends (for example \"crew safe, confirmed by radio\")".into(),
        )));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Ok(Err(Refusal::Invalid(format!(
            "the reason is longer than {MAX_REASON_CHARS} characters"
        ))));
    }
    let emergency = match found(conn, agency_id, id).await? {
        Ok(e) => e,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if !emergency.is_active() {
        return Ok(Err(Refusal::Conflict(format!(
            "the emergency of {} already ended ({})",
            emergency.callsign,
            emergency.end_reason.as_deref().unwrap_or("ended")
        ))));
    }
    end_row(conn, id, who, reason, at).await?;
    Ok(Ok(()))
}
