//! Keeping the change log from growing with the agency's age. A busy agency makes thousands
//! of changes a day; devices that follow the log need only what is newer than their cursor,
//! and a new device starts from the newest copy of each record (`records::snapshot`). So
//! once a change is older than the period the hub keeps history for, it is dropped if a newer
//! copy of the same record replaced it (a note: a newer copy of its incident, which shows
//! it), and a field event is dropped outright (the board's feed reaches back that far). What stays is one copy per record plus the recent history.
//! `agencies.compacted_to` says how far this went: a device whose cursor is older is sent a
//! snapshot instead of the changes it missed.

use crate::clock::now_ms;
use crate::db;
use std::time::Duration;
use tenfour_protocol::wire::Millis;

/// How long the hub keeps every change by default: a week.
pub const KEEP_DEFAULT: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// How often the hub compacts while it runs (and once at start).
pub const EVERY: Duration = Duration::from_secs(60 * 60);
/// Cursors dropped per transaction: the one writer is never held for long.
const CHUNK: i64 = 20_000;

/// Drops the changes recorded before `now - keep` that a newer copy replaced (and field
/// events that old), for every agency; returns how many were dropped.
pub async fn compact(writer: &db::Pool, keep: Duration, now: Millis) -> Result<u64, sqlx::Error> {
    let cutoff = now - i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
    let agencies = db::scalar!(
        writer.acquire().await?,
        fetch_all,
        i64,
        "SELECT id FROM agencies"
    )?;
    let mut dropped = 0;
    for agency in agencies {
        let floor = db::scalar!(
            writer.acquire().await?,
            fetch_one,
            Option<i64>,
            "SELECT max(cursor) FROM changes
             WHERE agency_id = $1 AND recorded_at < $2",
            agency,
            cutoff
        )?;
        let Some(floor) = floor else { continue };
        // From the start each time: a copy kept last time (the newest then) may have been
        // replaced since.
        let mut from = 0;
        while from < floor {
            let to = (from + CHUNK).min(floor);
            dropped += db::execute!(
                writer.acquire().await?,
                "DELETE FROM changes
                 WHERE agency_id = $1 AND cursor > $2 AND cursor <= $3
                   AND (kind NOT IN ('incident', 'unit', 'emergency', 'agency', 'note')
                        OR (kind != 'note' AND EXISTS (
                              SELECT 1 FROM changes AS newer
                              WHERE newer.agency_id = changes.agency_id
                                AND newer.kind != 'field_event'
                                AND newer.kind = changes.kind
                                AND newer.record_id = changes.record_id
                                AND newer.cursor > changes.cursor))
                        OR (kind = 'note' AND EXISTS (
                              SELECT 1 FROM changes AS copy
                              WHERE copy.agency_id = changes.agency_id
                                AND copy.kind != 'field_event'
                                AND copy.kind = 'incident'
                                AND copy.record_id = changes.record_id
                                AND copy.cursor > changes.cursor)))",
                agency,
                from,
                to
            )?;
            from = to;
        }
        db::execute!(
            writer.acquire().await?,
            "UPDATE agencies SET compacted_to = $1 WHERE id = $2 AND compacted_to < $3",
            floor,
            agency,
            floor
        )?;
    }
    Ok(dropped)
}

/// Compacts every `EVERY` for as long as the hub runs.
pub fn keep_compacting(writer: db::Pool, keep: Duration) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is now: the hub compacted at start already.
        every.tick().await;
        loop {
            every.tick().await;
            match compact(&writer, keep, now_ms()).await {
                Ok(dropped) => tracing::info!(dropped, "change log compacted"),
                Err(err) => tracing::warn!(error = %err, "could not compact the change log"),
            }
        }
    });
}
