//! Where units are: each position a device sends becomes the unit's newest position (unless
//! a newer one already arrived) and a point of its trail. A position that arrives while the
//! unit has an active emergency joins that emergency's record for good; other trail points
//! are kept only as the unit's last [`TRAIL_KEPT`].

use crate::db;
use tenfour_protocol::wire::{Fix, Millis};

/// Trail points kept per unit outside an emergency.
pub const TRAIL_KEPT: i64 = 50;

/// Records `fix` for the unit. Returns the active emergency it joined, if any.
pub async fn record(
    conn: &mut db::Conn,
    agency_id: i64,
    unit_id: i64,
    fix: &Fix,
    received_at: Millis,
) -> Result<Option<i64>, sqlx::Error> {
    // Read, then insert: cheaper than one insert `RETURNING`, which SQLite runs through a
    // temporary table.
    let emergency: Option<i64> = db::scalar!(
        conn,
        fetch_optional,
        i64,
        "SELECT id FROM emergencies WHERE unit_id = $1 AND ended_at IS NULL",
        unit_id
    )?;
    db::execute!(
        conn,
        "INSERT INTO positions
         (agency_id, unit_id, emergency_id, at, received_at, latitude, longitude, accuracy_m)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        agency_id,
        unit_id,
        emergency,
        fix.at,
        received_at,
        fix.latitude,
        fix.longitude,
        fix.accuracy_m
    )?;
    db::execute!(
        conn,
        "UPDATE units SET latitude = $1, longitude = $2, accuracy_m = $3, position_at = $4
         WHERE id = $5 AND (position_at IS NULL OR position_at <= $4)",
        fix.latitude,
        fix.longitude,
        fix.accuracy_m,
        fix.at,
        unit_id
    )?;
    db::execute!(
        conn,
        "DELETE FROM positions
         WHERE unit_id = $1 AND emergency_id IS NULL AND id <= COALESCE(
             (SELECT id FROM positions WHERE unit_id = $1 AND emergency_id IS NULL
              ORDER BY id DESC LIMIT 1 OFFSET $2), 0)",
        unit_id,
        TRAIL_KEPT
    )?;
    Ok(emergency)
}

/// The newest `limit` points of an emergency's trail, oldest first.
pub async fn emergency_trail(
    conn: &mut db::Conn,
    emergency_id: i64,
    limit: usize,
) -> Result<Vec<Fix>, sqlx::Error> {
    let limit = limit as i64;
    let rows = db::rows!(
        conn,
        fetch_all,
        (f64, f64, Option<f64>, i64),
        "SELECT latitude, longitude, accuracy_m, at FROM positions
         WHERE emergency_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        emergency_id,
        limit
    )?;
    Ok(rows
        .into_iter()
        .rev()
        .map(|(latitude, longitude, accuracy_m, at)| Fix {
            latitude,
            longitude,
            accuracy_m,
            at,
        })
        .collect())
}
