//! Wakes the live streams of an agency when a change commits.
//!
//! A `watch` channel per agency carries the newest cursor. Streams read the change log
//! themselves, so a wake-up can never be lost or overflow: a slow stream simply finds more
//! waiting the next time it reads.

use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::watch;

#[derive(Default)]
pub struct Live {
    agencies: Mutex<HashMap<i64, watch::Sender<u64>>>,
}

impl Live {
    pub fn subscribe(&self, agency_id: i64) -> watch::Receiver<u64> {
        let mut agencies = self.agencies.lock().unwrap_or_else(|e| e.into_inner());
        agencies
            .entry(agency_id)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Call after the transaction holding `cursor` committed.
    pub fn notify(&self, agency_id: i64, cursor: u64) {
        let agencies = self.agencies.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = agencies.get(&agency_id) {
            sender.send_if_modified(|latest| {
                let newer = cursor > *latest;
                if newer {
                    *latest = cursor;
                }
                newer
            });
        }
    }
}
