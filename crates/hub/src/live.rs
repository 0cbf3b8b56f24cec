//! The live feed's shared tail: the most recent changes of each agency, kept in memory and
//! read by every stream, so that a commit costs one database read however many devices are
//! listening. A stream further behind than the tail reads the database itself.
//!
//! A `watch` channel per agency carries the newest cursor. Streams are only woken by it and
//! then read, so a wake-up can never be lost or overflow. Dispatchers' streams have a channel
//! of their own, told first: with thousands of units listening, the boards are served before
//! the fleet (an emergency's alarm does not wait behind 2,000 responders' copies of it).

use crate::db;
use crate::records::{self, View};
use axum::body::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::watch;

/// Changes kept in memory per agency.
const TAIL: usize = 4096;

#[derive(Default)]
pub struct Live {
    agencies: Mutex<HashMap<i64, Arc<AgencyTail>>>,
}

struct AgencyTail {
    /// Wakes responders' streams.
    head: watch::Sender<u64>,
    /// Wakes dispatchers' streams, before the responders'.
    board: watch::Sender<u64>,
    /// Serialises refills so that each change is read once.
    refill: tokio::sync::Mutex<()>,
    changes: RwLock<Tail>,
}

struct Tail {
    /// The tail holds every change after `start`, up to `last`.
    start: u64,
    last: u64,
    rows: VecDeque<Row>,
}

struct Row {
    cursor: u64,
    audience: String,
    units: String,
    /// The change as a Server-Sent Event, encoded once for every stream that sends it.
    frame: Bytes,
}

/// A change as the live stream sends it: one Server-Sent Event whose id is its cursor.
/// (Stored bodies are compact JSON, one line, as the event's single `data` line needs.)
pub fn change_frame(cursor: u64, body: &str) -> Bytes {
    debug_assert!(!body.contains(['\n', '\r']), "a change body is one line");
    Bytes::from(format!("id: {cursor}\nevent: change\ndata: {body}\n\n"))
}

/// What a stream gets from the tail: the visible changes after its cursor (as events), the
/// cursor to continue from, and the agency's newest cursor.
pub struct TailPage {
    pub frames: Vec<(u64, Bytes)>,
    pub cursor: u64,
    pub head: u64,
}

impl Live {
    fn agency(&self, agency_id: i64) -> Option<Arc<AgencyTail>> {
        self.agencies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&agency_id)
            .cloned()
    }

    /// The agency's tail, created empty at the current head when first needed.
    async fn agency_or_start(
        &self,
        db: &db::Pool,
        agency_id: i64,
    ) -> Result<Arc<AgencyTail>, sqlx::Error> {
        if let Some(tail) = self.agency(agency_id) {
            return Ok(tail);
        }
        let head = records::head(&mut db.acquire().await?, agency_id).await? as u64;
        let mut agencies = self.agencies.lock().unwrap_or_else(|e| e.into_inner());
        Ok(agencies
            .entry(agency_id)
            .or_insert_with(|| {
                Arc::new(AgencyTail {
                    head: watch::channel(head).0,
                    board: watch::channel(head).0,
                    refill: tokio::sync::Mutex::new(()),
                    changes: RwLock::new(Tail {
                        start: head,
                        last: head,
                        rows: VecDeque::new(),
                    }),
                })
            })
            .clone())
    }

    /// Wakes on each new change of the agency; `view` says whose stream it is (dispatchers'
    /// are woken first).
    pub async fn subscribe(
        &self,
        db: &db::Pool,
        agency_id: i64,
        view: View,
    ) -> Result<watch::Receiver<u64>, sqlx::Error> {
        let agency = self.agency_or_start(db, agency_id).await?;
        Ok(match view {
            View::Everything => agency.board.subscribe(),
            View::Unit(_) => agency.head.subscribe(),
        })
    }

    /// Reads into every agency's tail what it is missing (after other hubs' notices may
    /// have been lost).
    pub async fn publish_all(&self, db: &db::Pool) {
        let agencies: Vec<i64> = self
            .agencies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect();
        for agency_id in agencies {
            self.publish(db, agency_id).await;
        }
    }

    /// Call after a transaction that recorded changes has committed: reads the new changes
    /// once into the tail and wakes the agency's streams.
    pub async fn publish(&self, db: &db::Pool, agency_id: i64) {
        let Some(agency) = self.agency(agency_id) else {
            return; // nobody has ever listened: the database has it all
        };
        let _refilling = agency.refill.lock().await;
        let last = agency
            .changes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .last;
        let after = last as i64;
        let rows = match db.acquire().await {
            Ok(mut conn) => db::rows!(
                conn,
                fetch_all,
                (i64, String, String, String),
                "SELECT cursor, audience, units, body FROM changes
                 WHERE agency_id = $1 AND cursor > $2 ORDER BY cursor",
                agency_id,
                after
            ),
            Err(err) => Err(err),
        };
        let rows = match rows {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!(error = %err, "live tail: cannot read new changes; streams will read the database");
                return;
            }
        };
        let newest = {
            let mut tail = agency.changes.write().unwrap_or_else(|e| e.into_inner());
            for (cursor, audience, units, body) in rows {
                let cursor = cursor as u64;
                tail.last = cursor;
                tail.rows.push_back(Row {
                    cursor,
                    audience,
                    units,
                    frame: change_frame(cursor, &body),
                });
            }
            while tail.rows.len() > TAIL {
                if let Some(dropped) = tail.rows.pop_front() {
                    tail.start = dropped.cursor;
                }
            }
            tail.last
        };
        let advance = |head: &mut u64| {
            let newer = newest > *head;
            if newer {
                *head = newest;
            }
            newer
        };
        // The boards first; let their streams take the cores before the fleet is woken.
        if agency.board.send_if_modified(advance) && agency.board.receiver_count() > 0 {
            tokio::task::yield_now().await;
        }
        agency.head.send_if_modified(advance);
    }

    /// The visible changes after `cursor` from memory, or `None` when the tail does not
    /// reach back that far (the caller reads the database instead).
    pub fn read(&self, agency_id: i64, view: View, cursor: u64, limit: usize) -> Option<TailPage> {
        let agency = self.agency(agency_id)?;
        let tail = agency.changes.read().unwrap_or_else(|e| e.into_inner());
        if cursor < tail.start {
            return None;
        }
        let mut frames = Vec::new();
        let mut next = cursor.max(tail.last);
        // The rows are in cursor order: start at the first newer one rather than walking the
        // whole tail (every stream reads on every commit: 2,000 streams each stepping over
        // 4,096 rows cost more than all the rest of a commit's fan-out).
        let first = tail.rows.partition_point(|r| r.cursor <= cursor);
        for row in tail.rows.range(first..) {
            if frames.len() == limit {
                next = frames.last().map_or(cursor, |(c, _): &(u64, Bytes)| *c);
                break;
            }
            if records::visible(view, &row.audience, &row.units) {
                frames.push((row.cursor, row.frame.clone()));
            }
        }
        Some(TailPage {
            frames,
            cursor: next,
            head: tail.last,
        })
    }
}
