//! What dispatchers do to incidents: create, annotate, assign, unassign, cancel, close.
//!
//! Each function runs inside the caller's transaction and publishes the changed incident and
//! units to the change log, so the effect and its cursor commit together.

use crate::db;
use crate::records;
use std::fmt;
use tenfour_protocol::StatusCode;
use tenfour_protocol::wire::{
    IncidentState, MAX_CAUTIONS, MAX_FIELD_CHARS, MAX_NOTE_CHARS, Millis, NewIncident,
    check_coordinates, check_length, check_text,
};

/// Why a dispatcher's request cannot be carried out, in words for the dispatcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound(String),
    Conflict(String),
    Invalid(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotFound(m) | Refusal::Conflict(m) | Refusal::Invalid(m) => f.write_str(m),
        }
    }
}

/// A database failure (outer) or a refusal to show the dispatcher (inner).
pub type Outcome<T> = Result<Result<T, Refusal>, sqlx::Error>;

/// Checks a new incident; `label` is its nature's label in the agency, if the code is one.
fn validate(new: &NewIncident, label: Option<String>) -> Result<String, Refusal> {
    let invalid = Refusal::Invalid;
    let label = label.ok_or_else(|| {
        invalid(format!(
            "unknown nature code {:?}; GET /api/natures lists the codes",
            new.nature_code
        ))
    })?;
    let nature_text = match new.nature_text.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => text.to_owned(),
        _ => label,
    };
    check_length("nature text", &nature_text, MAX_FIELD_CHARS).map_err(invalid)?;
    if !(1..=5).contains(&new.priority) {
        return Err(invalid(format!(
            "priority {} is outside 1 (most urgent) to 5",
            new.priority
        )));
    }
    check_text("address", &new.address, MAX_FIELD_CHARS).map_err(invalid)?;
    check_coordinates(new.latitude, new.longitude).map_err(invalid)?;
    check_length("caller name", &new.caller_name, MAX_FIELD_CHARS).map_err(invalid)?;
    let callback_ok = new.callback.len() <= 32
        && new
            .callback
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().#*".contains(c));
    if !callback_ok {
        return Err(invalid(format!(
            "callback number {:?} may hold only digits, spaces and + - ( ) # *, at most 32",
            new.callback
        )));
    }
    if new.cautions.len() > MAX_CAUTIONS {
        return Err(invalid(format!(
            "{} cautions given; at most {MAX_CAUTIONS}",
            new.cautions.len()
        )));
    }
    for caution in &new.cautions {
        check_text("a caution", caution, MAX_FIELD_CHARS).map_err(invalid)?;
    }
    if let Some(notes) = &new.caller_notes {
        check_length("caller notes", notes, MAX_NOTE_CHARS).map_err(invalid)?;
    }
    Ok(nature_text)
}

pub async fn create_incident(
    tx: &mut db::Conn,
    agency_id: i64,
    author: &str,
    new: &NewIncident,
    now: Millis,
) -> Outcome<i64> {
    let label = crate::natures::label(tx, agency_id, &new.nature_code).await?;
    let nature_text = match validate(new, label) {
        Ok(text) => text,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let year = year_of(now);
    let this_year = format!("{year}-%");
    let count: i64 = db::scalar!(
        tx,
        fetch_one,
        _,
        "SELECT COUNT(*) FROM incidents WHERE agency_id = $1 AND number LIKE $2",
        agency_id,
        this_year
    )?;
    let cautions: Vec<&str> = new.cautions.iter().map(|c| c.trim()).collect();
    let number = format!("{year}-{:05}", count + 1);
    let priority = i64::from(new.priority);
    let address = new.address.trim();
    let caller_name = new.caller_name.trim();
    let callback = new.callback.trim();
    let cautions_json = serde_json::to_string(&cautions).unwrap_or_else(|_| "[]".into());
    let incident_id: i64 = db::scalar!(
        tx,
        fetch_one,
        _,
        "INSERT INTO incidents (agency_id, number, nature_code, nature_text, priority,
         address,
            latitude, longitude, caller_name, callback, cautions, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id AS id",
        agency_id,
        number,
        new.nature_code,
        nature_text,
        priority,
        address,
        new.latitude,
        new.longitude,
        caller_name,
        callback,
        cautions_json,
        now,
        now
    )?;
    if let Some(notes) = new.caller_notes.as_deref().filter(|n| !n.trim().is_empty()) {
        insert_note(tx, agency_id, incident_id, "caller", author, notes, now).await?;
    }
    records::publish_incident(tx, agency_id, incident_id).await?;
    Ok(Ok(incident_id))
}

async fn insert_note(
    tx: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
    source: &str,
    author: &str,
    text: &str,
    now: Millis,
) -> Result<i64, sqlx::Error> {
    let note_id = db::scalar!(
        tx,
        fetch_one,
        _,
        "INSERT INTO notes (agency_id, incident_id, source, author, text, at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id AS id",
        agency_id,
        incident_id,
        source,
        author,
        text,
        now,
        now
    )?;
    db::execute!(
        tx,
        "UPDATE incidents SET updated_at = $1 WHERE id = $2",
        now,
        incident_id
    )?;
    Ok(note_id)
}

async fn incident_state(
    tx: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
) -> Outcome<(String, IncidentState)> {
    let row = db::rows!(
        tx,
        fetch_optional,
        (String, String),
        "SELECT number, state FROM incidents WHERE agency_id = $1 AND id = $2",
        agency_id,
        incident_id
    )?;
    Ok(match row {
        Some((number, state)) => Ok((
            number,
            IncidentState::parse(&state).unwrap_or(IncidentState::Active),
        )),
        None => Err(Refusal::NotFound(format!(
            "there is no incident {incident_id} in your agency"
        ))),
    })
}

/// Refuses changes to an incident that is no longer active.
async fn active_incident(tx: &mut db::Conn, agency_id: i64, incident_id: i64) -> Outcome<String> {
    Ok(match incident_state(tx, agency_id, incident_id).await? {
        Ok((number, IncidentState::Active)) => Ok(number),
        Ok((number, state)) => Err(Refusal::Conflict(format!(
            "incident {number} is {}; reopen is not supported, create a new incident",
            state.as_str()
        ))),
        Err(refusal) => Err(refusal),
    })
}

pub async fn add_caller_note(
    tx: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
    author: &str,
    text: &str,
    now: Millis,
) -> Outcome<()> {
    if let Err(e) = check_text("note", text, MAX_NOTE_CHARS) {
        return Ok(Err(Refusal::Invalid(e)));
    }
    // Notes may still be added to a closed incident: the record must be completable.
    if let Err(refusal) = incident_state(tx, agency_id, incident_id).await? {
        return Ok(Err(refusal));
    }
    let note_id = insert_note(tx, agency_id, incident_id, "caller", author, text, now).await?;
    records::publish_note(tx, agency_id, incident_id, note_id).await?;
    Ok(Ok(()))
}

pub async fn assign(
    tx: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
    unit_id: i64,
    now: Millis,
) -> Outcome<()> {
    let number = match active_incident(tx, agency_id, incident_id).await? {
        Ok(number) => number,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let Some(unit) = records::load_unit(tx, agency_id, unit_id).await? else {
        return Ok(Err(Refusal::NotFound(format!(
            "there is no unit {unit_id} in your agency"
        ))));
    };
    if unit.incident_id == Some(incident_id) {
        return Ok(Err(Refusal::Conflict(format!(
            "{} is already assigned to incident {number}",
            unit.callsign
        ))));
    }
    match unit.status {
        StatusCode::Available => {}
        StatusCode::OutOfService => {
            return Ok(Err(Refusal::Conflict(format!(
                "{} is out of service; choose an available unit",
                unit.callsign
            ))));
        }
        busy => {
            return Ok(Err(Refusal::Conflict(format!(
                "{} is {} on another incident; unassign it there first",
                unit.callsign,
                busy.label().to_lowercase()
            ))));
        }
    }
    db::execute!(
        tx,
        "INSERT INTO assignments (agency_id, incident_id, unit_id,
         dispatched_at) VALUES ($1, $2, $3, $4)",
        agency_id,
        incident_id,
        unit_id,
        now
    )?;
    set_unit_status(
        tx,
        agency_id,
        unit_id,
        StatusCode::Dispatched,
        Some(incident_id),
        now,
    )
    .await?;
    db::execute!(
        tx,
        "UPDATE incidents SET updated_at = $1 WHERE id = $2",
        now,
        incident_id
    )?;
    records::publish_incident(tx, agency_id, incident_id).await?;
    records::publish_unit(tx, agency_id, unit_id, None).await?;
    records::introduce(tx, agency_id, unit_id, incident_id).await?;
    Ok(Ok(()))
}

async fn set_unit_status(
    tx: &mut db::Conn,
    agency_id: i64,
    unit_id: i64,
    status: StatusCode,
    incident_id: Option<i64>,
    now: Millis,
) -> Result<(), sqlx::Error> {
    let status_text = status.as_str();
    db::execute!(
        tx,
        "UPDATE units SET status = $1, status_at = $2, incident_id = $3 WHERE id = $4",
        status_text,
        now,
        incident_id,
        unit_id
    )?;
    let status_text = status.as_str();
    db::execute!(
        tx,
        "INSERT INTO status_events (agency_id, unit_id, incident_id, status, at,
         received_at, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, 'applied')",
        agency_id,
        unit_id,
        incident_id,
        status_text,
        now,
        now
    )?;
    Ok(())
}

/// Ends a unit's active assignment on the incident; a unit still on it becomes available.
pub async fn unassign(
    tx: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
    unit_id: i64,
    now: Millis,
) -> Outcome<()> {
    if let Err(refusal) = incident_state(tx, agency_id, incident_id).await? {
        return Ok(Err(refusal));
    }
    let ended = db::execute!(
        tx,
        "UPDATE assignments SET cancelled_at = $1
         WHERE agency_id = $2 AND incident_id = $3 AND unit_id = $4
           AND cleared_at IS NULL AND cancelled_at IS NULL",
        now,
        agency_id,
        incident_id,
        unit_id
    )?;
    if ended == 0 {
        return Ok(Err(Refusal::NotFound(format!(
            "unit {unit_id} has no active assignment on incident {incident_id}"
        ))));
    }
    release_unit(tx, agency_id, unit_id, incident_id, now).await?;
    records::publish_incident(tx, agency_id, incident_id).await?;
    Ok(Ok(()))
}

async fn release_unit(
    tx: &mut db::Conn,
    agency_id: i64,
    unit_id: i64,
    incident_id: i64,
    now: Millis,
) -> Result<(), sqlx::Error> {
    let on_it: Option<i64> = db::scalar!(
        tx,
        fetch_optional,
        _,
        "SELECT id AS id FROM units WHERE id = $1 AND incident_id = $2",
        unit_id,
        incident_id
    )?;
    if on_it.is_some() {
        set_unit_status(tx, agency_id, unit_id, StatusCode::Available, None, now).await?;
        records::publish_unit(tx, agency_id, unit_id, Some(incident_id)).await?;
    }
    Ok(())
}

/// Closes or cancels an incident, ending every active assignment on it.
pub async fn finish(
    tx: &mut db::Conn,
    agency_id: i64,
    incident_id: i64,
    state: IncidentState,
    now: Millis,
) -> Outcome<()> {
    if let Err(refusal) = active_incident(tx, agency_id, incident_id).await? {
        return Ok(Err(refusal));
    }
    // Its open assignments end with it: cancelled with a cancelled call, cleared otherwise.
    let cancelled = state == IncidentState::Cancelled;
    let units: Vec<i64> = db::scalar!(
        tx,
        fetch_all,
        _,
        "UPDATE assignments
         SET cancelled_at = CASE WHEN $1 THEN $2 ELSE cancelled_at END,
             cleared_at = CASE WHEN $1 THEN cleared_at ELSE $2 END
         WHERE incident_id = $3 AND cleared_at IS NULL AND cancelled_at IS NULL
         RETURNING unit_id",
        cancelled,
        now,
        incident_id
    )?;
    let state_text = state.as_str();
    db::execute!(
        tx,
        "UPDATE incidents SET state = $1, updated_at = $2 WHERE id = $3",
        state_text,
        now,
        incident_id
    )?;
    for unit_id in units {
        release_unit(tx, agency_id, unit_id, incident_id, now).await?;
    }
    records::publish_incident(tx, agency_id, incident_id).await?;
    Ok(Ok(()))
}

/// The calendar year (UTC) of a Unix time in milliseconds.
fn year_of(ms: Millis) -> i64 {
    // Civil-from-days (proleptic Gregorian), after Howard Hinnant's date algorithms.
    let days = ms.div_euclid(86_400_000) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(month <= 2)
}

#[cfg(test)]
mod tests {
    #[test]
    fn year_of_known_dates() {
        assert_eq!(super::year_of(0), 1970);
        assert_eq!(super::year_of(1_764_028_800_000), 2025); // 2025-11-25
        assert_eq!(super::year_of(1_767_225_599_000), 2025); // 2025-12-31 23:59:59
        assert_eq!(super::year_of(1_767_225_600_000), 2026); // 2026-01-01
    }
}
