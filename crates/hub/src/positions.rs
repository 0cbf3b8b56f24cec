//! Where units are: each position a device sends becomes the unit's newest position (unless
//! a newer one already arrived) and a point of its trail. A position that arrives while the
//! unit has an active emergency joins that emergency's record for good; other trail points
//! are kept only as the unit's last [`TRAIL_KEPT`].

use sqlx::SqliteConnection;
use tenfour_protocol::wire::{Fix, Millis};

/// Trail points kept per unit outside an emergency.
pub const TRAIL_KEPT: i64 = 50;

/// Records `fix` for the unit. Returns the active emergency it joined, if any.
pub async fn record(
    conn: &mut SqliteConnection,
    agency_id: i64,
    unit_id: i64,
    fix: &Fix,
    received_at: Millis,
) -> Result<Option<i64>, sqlx::Error> {
    let emergency: Option<i64> = sqlx::query_scalar!(
        "INSERT INTO positions
         (agency_id, unit_id, emergency_id, at, received_at, latitude, longitude, accuracy_m)
         VALUES (?, ?, (SELECT id FROM emergencies WHERE unit_id = ? AND ended_at IS NULL),
                 ?, ?, ?, ?, ?)
         RETURNING emergency_id",
        agency_id,
        unit_id,
        unit_id,
        fix.at,
        received_at,
        fix.latitude,
        fix.longitude,
        fix.accuracy_m
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE units SET latitude = ?, longitude = ?, accuracy_m = ?, position_at = ?
         WHERE id = ? AND (position_at IS NULL OR position_at <= ?);
         DELETE FROM positions
         WHERE unit_id = ? AND emergency_id IS NULL AND id <= COALESCE(
             (SELECT id FROM positions WHERE unit_id = ? AND emergency_id IS NULL
              ORDER BY id DESC LIMIT 1 OFFSET ?), 0);",
        fix.latitude,
        fix.longitude,
        fix.accuracy_m,
        fix.at,
        unit_id,
        fix.at,
        unit_id,
        unit_id,
        TRAIL_KEPT
    )
    .execute(&mut *conn)
    .await?;
    Ok(emergency)
}

/// The newest `limit` points of an emergency's trail, oldest first.
pub async fn emergency_trail(
    conn: &mut SqliteConnection,
    emergency_id: i64,
    limit: usize,
) -> Result<Vec<Fix>, sqlx::Error> {
    let limit = limit as i64;
    let rows = sqlx::query_as!(
        Fix,
        "SELECT latitude, longitude, accuracy_m, at FROM positions
         WHERE emergency_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        emergency_id,
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().rev().collect())
}
