//! A year of an agency's history, and what a new device downloads on its first sync.
//!
//! `history DB` writes a simulated year into the bench agency of a stopped hub's database:
//! 10,000 calls (one every 53 minutes), each created, noted and closed in five copies, with
//! two units making 25 status changes each on it (a copy of the unit and a field event
//! apiece): 1,050,000 changes, recorded at their simulated times. `first-sync URL` then signs
//! in as a responder and as a dispatcher and times their first pull (cursor 0).

use crate::{PASSWORD, Result, now_ms};
use serde_json::json;
use sqlx::{Connection, SqliteConnection};
use std::time::Instant;
use tenfour_protocol::StatusCode;
use tenfour_protocol::wire::{
    ActionKind, Change, ChangeBody, FieldEvent, Incident, IncidentState, Note, NoteSource, Outcome,
    Unit, UnitKind,
};

pub const CALLS: i64 = 10_000;
const COPIES_PER_CALL: usize = 5;
const STATUSES_PER_UNIT: usize = 25;
const YEAR_MS: i64 = 365 * 24 * 3_600_000;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Writes the year; prints how many changes and bytes the log then holds.
pub async fn write_year(database: &str) -> Result<()> {
    let started = Instant::now();
    let mut conn = SqliteConnection::connect(&format!("sqlite://{database}"))
        .await
        .map_err(err)?;
    let (agency, head): (i64, i64) =
        sqlx::query_as("SELECT id, last_cursor FROM agencies WHERE slug = 'bench'")
            .fetch_one(&mut conn)
            .await
            .map_err(err)?;
    let units: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, callsign FROM units WHERE agency_id = ? ORDER BY id")
            .bind(agency)
            .fetch_all(&mut conn)
            .await
            .map_err(err)?;
    let mut tx = conn.begin().await.map_err(err)?;
    let mut cursor = head;
    let year_start = now_ms() - YEAR_MS;
    let step = YEAR_MS / CALLS;
    for call in 0..CALLS {
        let at = year_start + call * step;
        let number = format!("Y-{call:05}");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO incidents (agency_id, number, nature_code, nature_text, priority, address,
                 state, created_at, updated_at)
             VALUES (?, ?, 'FALL', 'Fall', 3, ?, 'closed', ?, ?) RETURNING id",
        )
        .bind(agency)
        .bind(&number)
        .bind(format!("{} Harbor Road", call % 900 + 1))
        .bind(at)
        .bind(at + 3_600_000)
        .fetch_one(&mut *tx)
        .await
        .map_err(err)?;
        let crew = [
            &units[(2 * call as usize) % units.len()],
            &units[(2 * call as usize + 1) % units.len()],
        ];
        let audience = format!(",{},{},", crew[0].0, crew[1].0);
        let mut rows: Vec<(&str, String, &str, i64, i64, ChangeBody)> = Vec::new();
        for copy in 0..COPIES_PER_CALL {
            let incident = Incident {
                id,
                number: number.clone(),
                nature_code: "FALL".into(),
                nature_text: "Fall".into(),
                priority: 3,
                address: format!("{} Harbor Road", call % 900 + 1),
                latitude: None,
                longitude: None,
                caller_name: String::new(),
                callback: String::new(),
                cautions: Vec::new(),
                state: if copy + 1 == COPIES_PER_CALL {
                    IncidentState::Closed
                } else {
                    IncidentState::Active
                },
                created_at: at,
                updated_at: at + copy as i64 * 600_000,
                notes: (0..copy)
                    .map(|n| Note {
                        id: call * 10 + n as i64,
                        source: NoteSource::Field,
                        author: crew[0].1.clone(),
                        unit_id: Some(crew[0].0),
                        text: "Patient found sitting up, alert, pain in the left hip.".into(),
                        at: at + n as i64 * 600_000,
                        received_at: at + n as i64 * 600_000,
                    })
                    .collect(),
                assignments: Vec::new(),
            };
            let when = at + copy as i64 * 600_000;
            rows.push((
                "units",
                audience.clone(),
                "incident",
                id,
                when,
                ChangeBody::Incident(incident),
            ));
        }
        for (unit_id, callsign) in crew {
            for n in 0..STATUSES_PER_UNIT {
                let when = at + n as i64 * 120_000;
                let status = if n % 2 == 0 {
                    StatusCode::EnRoute
                } else {
                    StatusCode::OnScene
                };
                let unit = ChangeBody::Unit(Unit {
                    id: *unit_id,
                    callsign: callsign.clone(),
                    kind: UnitKind::Ems,
                    status,
                    incident_id: Some(id),
                    status_at: when,
                    last_heard_at: Some(when),
                    retired: false,
                    check_in_due_at: None,
                    check_in_warn_at: None,
                    position: None,
                });
                // As the hub addresses a unit's change: to dispatch and the units on its call.
                rows.push(("units", audience.clone(), "unit", *unit_id, when, unit));
                let event = ChangeBody::FieldEvent(FieldEvent {
                    entry_id: uuid::Uuid::new_v4().to_string(),
                    unit_id: *unit_id,
                    callsign: callsign.clone(),
                    kind: ActionKind::Status,
                    incident_id: Some(id),
                    status: Some(status),
                    text: None,
                    at: when,
                    received_at: when,
                    outcome: Outcome::Applied,
                    reason: None,
                });
                rows.push(("dispatch", String::new(), "field_event", 0, when, event));
            }
        }
        for (audience, units, kind, record_id, when, body) in rows {
            cursor += 1;
            // The stored shape: the change with its cursor, as the hub writes it.
            let change = serde_json::to_string(&Change {
                cursor: cursor as u64,
                body,
            })
            .map_err(err)?;
            sqlx::query(
                "INSERT INTO changes (agency_id, cursor, audience, units, kind, record_id,
                     recorded_at, body)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(agency)
            .bind(cursor)
            .bind(audience)
            .bind(units)
            .bind(kind)
            .bind(record_id)
            .bind(when)
            .bind(change)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        }
    }
    sqlx::query("UPDATE agencies SET last_cursor = ? WHERE id = ?")
        .bind(cursor)
        .bind(agency)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
    tx.commit().await.map_err(err)?;
    let (rows, bytes): (i64, i64) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(length(body)), 0) FROM changes WHERE agency_id = ?",
    )
    .bind(agency)
    .fetch_one(&mut conn)
    .await
    .map_err(err)?;
    println!(
        "history: {} changes written in {:.0} s; the log holds {rows} changes, {:.1} MB",
        cursor - head,
        started.elapsed().as_secs_f64(),
        bytes as f64 / 1e6
    );
    Ok(())
}

/// Times the first pull (cursor 0) of a responder and of a dispatcher, five times each, and
/// prints the medians as `first-sync ROLE ms=… bytes=… changes=…` lines.
pub async fn first_sync(url: &str) -> Result<()> {
    let http = reqwest::Client::new();
    for (role, username, unit) in [
        ("responder", "bench-medic", Some(crate::callsign(0))),
        ("dispatcher", "bench-dispatch", None),
    ] {
        let session: serde_json::Value = http
            .post(format!("{url}/api/session"))
            .json(&json!({"username": username, "password": PASSWORD, "unit": unit}))
            .send()
            .await
            .map_err(err)?
            .json()
            .await
            .map_err(err)?;
        let token = session["token"].as_str().ok_or("no token")?.to_owned();
        let mut times = Vec::new();
        let (mut bytes, mut changes) = (0, 0);
        for _ in 0..5 {
            let started = Instant::now();
            let body = http
                .get(format!("{url}/api/sync/changes?since=0&limit=500"))
                .bearer_auth(&token)
                .send()
                .await
                .map_err(err)?
                .bytes()
                .await
                .map_err(err)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            let page: tenfour_protocol::wire::ChangesPage =
                serde_json::from_slice(&body).map_err(err)?;
            bytes = body.len();
            changes = page.changes.len();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "first-sync {role} ms={:.0} bytes={bytes} changes={changes}",
            times[times.len() / 2]
        );
    }
    Ok(())
}

/// Prints the bench agency's change log as `ROWS changes, MB` (read beside a running hub).
pub async fn log_size(database: &str) -> Result<()> {
    let mut conn = SqliteConnection::connect(&format!("sqlite://{database}?mode=ro"))
        .await
        .map_err(err)?;
    let (rows, bytes): (i64, i64) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(length(c.body)), 0) FROM changes c
         JOIN agencies a ON a.id = c.agency_id WHERE a.slug = 'bench'",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(err)?;
    println!("{rows} changes, {:.1} MB", bytes as f64 / 1e6);
    Ok(())
}
