//! Ending sessions: revoking them in the database and closing their live streams at once.
//!
//! A live stream checks its session only when it opens. Whatever ends a session (sign-out,
//! a change of unit, an administrator disabling the account or resetting its password) calls
//! `SessionWatch::end` with the token hashes, and every stream of those sessions stops.

use sqlx::SqliteConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tenfour_protocol::wire::Millis;
use tokio::sync::watch;

#[derive(Default)]
pub struct SessionWatch {
    open: Mutex<HashMap<Vec<u8>, watch::Sender<bool>>>,
}

/// A stream's hold on its session: `ended()` resolves when the session ends. Dropping it
/// forgets the session once no stream of it is left.
pub struct Watched {
    watch: Arc<SessionWatch>,
    token_hash: Vec<u8>,
    ended: watch::Receiver<bool>,
}

impl Watched {
    pub async fn ended(&mut self) {
        // An error means the sender is gone, which only `end` does: ended either way.
        let _ = self.ended.wait_for(|ended| *ended).await;
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let mut open = self.watch.open.lock().unwrap_or_else(|e| e.into_inner());
        // This receiver still counts until the drop finishes.
        if open
            .get(&self.token_hash)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            open.remove(&self.token_hash);
        }
    }
}

impl SessionWatch {
    pub fn watch(self: &Arc<Self>, token_hash: &[u8]) -> Watched {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let ended = open
            .entry(token_hash.to_vec())
            .or_insert_with(|| watch::channel(false).0)
            .subscribe();
        Watched {
            watch: self.clone(),
            token_hash: token_hash.to_vec(),
            ended,
        }
    }

    /// Stops every stream of these sessions.
    pub fn end(&self, token_hashes: &[Vec<u8>]) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        for hash in token_hashes {
            if let Some(sender) = open.remove(hash) {
                let _ = sender.send(true);
            }
        }
    }

    /// How many sessions have a stream open (for tests and figures).
    pub fn watched(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Revokes every open session of a user; returns their token hashes for `SessionWatch::end`.
pub async fn revoke_all(
    conn: &mut SqliteConnection,
    user_id: i64,
    now: Millis,
) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL
         RETURNING token_hash",
    )
    .bind(now)
    .bind(user_id)
    .fetch_all(conn)
    .await
}
