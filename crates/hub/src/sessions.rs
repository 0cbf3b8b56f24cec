//! Sessions: their tokens and cookies, and ending them — revoking them in the database and
//! closing their live streams at once.
//!
//! Tokens are 32 random bytes; the database keeps only their SHA-256, so a copy of it signs
//! nobody in. Requests carry the token as `Authorization: Bearer`; GET requests may carry it
//! in the `tenfour_session` cookie instead, because a browser's EventSource cannot set
//! headers (the cookie is HttpOnly and SameSite=Strict, and never authorises a change).
//!
//! A live stream checks its session only when it opens. Whatever ends a session (sign-out,
//! a change of unit, an administrator disabling the account or resetting its password) calls
//! `SessionWatch::end` with the token hashes, and every stream of those sessions stops.
//!
//! Requests read their session through a short-lived cache ([`SessionCache`]): a device
//! pushing several times a second costs one database read every few seconds rather than one a
//! request. Whatever ends a session forgets it at once; so does a change to the user
//! (`forget_user`); a change made on another hub of the same database is seen within
//! `SESSION_CACHE_TTL` at most.

use crate::db;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenfour_protocol::wire::Millis;
use tokio::sync::{Notify, watch};

pub const SESSION_COOKIE: &str = "tenfour_session";
/// The cookie's name over HTTPS: the `__Host-` prefix makes the browser refuse it unless it is
/// `Secure`, for this exact host, on path `/`.
pub const SECURE_SESSION_COOKIE: &str = "__Host-tenfour_session";

/// The `Set-Cookie` value carrying a session token (or, with an empty token and age 0,
/// clearing it). `secure` when the app is served over HTTPS.
pub fn session_cookie(secure: bool, token: &str, max_age: u64) -> String {
    if secure {
        format!(
            "{SECURE_SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}; Secure"
        )
    } else {
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}")
    }
}

/// A new random session token and the hash to store.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The PostgreSQL channel on which hubs tell each other of ended sessions (`fanout.rs`).
pub const SESSIONS_CHANNEL: &str = "tenfour_sessions";

/// Ended sessions as notices for the other hubs: their hashes, base64, comma-separated, a
/// hundred to a notice (well under NOTIFY's 8,000 bytes).
pub fn ended_notices(token_hashes: &[Vec<u8>]) -> Vec<String> {
    token_hashes
        .chunks(100)
        .map(|chunk| {
            chunk
                .iter()
                .map(|hash| URL_SAFE_NO_PAD.encode(hash))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

/// The hashes a notice of ended sessions names.
pub fn ended_in_notice(payload: &str) -> Vec<Vec<u8>> {
    payload
        .split(',')
        .filter_map(|hash| URL_SAFE_NO_PAD.decode(hash).ok())
        .collect()
}

#[derive(Default)]
pub struct SessionWatch {
    open: Mutex<HashMap<Vec<u8>, watch::Sender<bool>>>,
    /// Sessions as last read, forgotten whenever one ends.
    pub cache: SessionCache,
}

/// A session and its user as the database holds them.
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct SessionRow {
    pub user_id: i64,
    pub agency_id: i64,
    pub unit_id: Option<i64>,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub role: String,
    pub display_name: String,
    pub disabled_at: Option<i64>,
    pub must_change_password: bool,
}

/// How long a session read from the database is used without reading it again.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(2);
/// Sessions cached at most; past that, stale ones are dropped on the next insert.
const SESSION_CACHE_SIZE: usize = 50_000;

/// Sessions as last read from the database, each for `SESSION_CACHE_TTL`.
///
/// A read that started before a session was forgotten must not put the old row back: every
/// `forget` moves a generation on, and a row read under an older generation is not kept.
#[derive(Default)]
pub struct SessionCache {
    held: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    generation: u64,
    rows: HashMap<Vec<u8>, (Instant, SessionRow)>,
}

impl SessionCache {
    /// The session, if read within the last `SESSION_CACHE_TTL`; otherwise the generation to
    /// hand to `keep` with the row read now.
    pub fn get(&self, token_hash: &[u8]) -> Result<SessionRow, u64> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match held.rows.get(token_hash) {
            Some((read_at, row)) if read_at.elapsed() < SESSION_CACHE_TTL => Ok(row.clone()),
            _ => Err(held.generation),
        }
    }

    /// Keeps a row read from the database, unless something was forgotten since `generation`.
    pub fn keep(&self, token_hash: &[u8], row: &SessionRow, generation: u64) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.generation != generation {
            return;
        }
        if held.rows.len() >= SESSION_CACHE_SIZE {
            held.rows
                .retain(|_, (read_at, _)| read_at.elapsed() < SESSION_CACHE_TTL);
        }
        held.rows
            .insert(token_hash.to_vec(), (Instant::now(), row.clone()));
    }

    /// Forgets these sessions.
    pub fn forget(&self, token_hashes: &[Vec<u8>]) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.generation += 1;
        for hash in token_hashes {
            held.rows.remove(hash);
        }
    }

    /// Forgets every session of a user (renamed, or whose password changed).
    pub fn forget_user(&self, user_id: i64) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.generation += 1;
        held.rows.retain(|_, (_, row)| row.user_id != user_id);
    }
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

    /// Stops every stream of these sessions, and forgets them.
    pub fn end(&self, token_hashes: &[Vec<u8>]) {
        self.cache.forget(token_hashes);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        for hash in token_hashes {
            if let Some(sender) = open.remove(hash) {
                let _ = sender.send(true);
            }
        }
    }

    /// The sessions that have a stream open here.
    pub fn watched_hashes(&self) -> Vec<Vec<u8>> {
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// Ends the streams of every watched session that has ended in the database (revoked or
    /// expired), as another hub may have ended it while this one was not listening.
    pub async fn end_the_ended(&self, conn: &mut db::Conn, now: Millis) -> Result<(), sqlx::Error> {
        let mut ended = Vec::new();
        for hash in self.watched_hashes() {
            let open = db::scalar!(
                conn,
                fetch_optional,
                bool,
                "SELECT revoked_at IS NULL AND expires_at > $1 FROM sessions WHERE token_hash = $2",
                now,
                hash
            )?;
            if open != Some(true) {
                ended.push(hash);
            }
        }
        self.end(&ended);
        Ok(())
    }

    /// How many sessions have a stream open (for tests and figures).
    pub fn watched(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Live streams a session may hold at once: a browser keeps one (its leader tab), a few more
/// allow for a board and a phone on one sign-in and for a reconnect racing its old stream.
pub const STREAMS_PER_SESSION: usize = 4;
/// Live streams one agency may hold at once, unless configured otherwise.
pub const STREAMS_PER_AGENCY: usize = 20_000;

/// Caps on live streams. A session over its cap loses its OLDEST stream (a stale one, most
/// likely: a phone that changed network before the hub noticed), so a person is never locked
/// out; an agency at its cap is refused new streams until one closes.
pub struct StreamSlots {
    per_session: usize,
    per_agency: usize,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    next: u64,
    by_session: HashMap<Vec<u8>, VecDeque<(u64, Arc<Notify>)>>,
    by_agency: HashMap<i64, usize>,
}

/// One live stream's place; `superseded()` resolves when a newer stream of the same session
/// took it. Dropping it frees the place.
pub struct Slot {
    slots: Arc<StreamSlots>,
    id: u64,
    token_hash: Vec<u8>,
    agency_id: i64,
    superseded: Arc<Notify>,
}

impl Slot {
    pub async fn superseded(&self) {
        self.superseded.notified().await
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = held.by_session.get_mut(&self.token_hash) {
            open.retain(|(id, _)| *id != self.id);
            if open.is_empty() {
                held.by_session.remove(&self.token_hash);
            }
        }
        if let Some(count) = held.by_agency.get_mut(&self.agency_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.by_agency.remove(&self.agency_id);
            }
        }
    }
}

impl StreamSlots {
    pub fn new(per_session: usize, per_agency: usize) -> StreamSlots {
        StreamSlots {
            per_session: per_session.max(1),
            per_agency: per_agency.max(1),
            held: Mutex::default(),
        }
    }

    /// A place for a new stream of this session, or `None` when the agency is at its cap.
    pub fn take(self: &Arc<Self>, token_hash: &[u8], agency_id: i64) -> Option<Slot> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let in_agency = held.by_agency.get(&agency_id).copied().unwrap_or(0);
        if in_agency >= self.per_agency {
            return None;
        }
        *held.by_agency.entry(agency_id).or_default() += 1;
        held.next += 1;
        let id = held.next;
        let superseded = Arc::new(Notify::new());
        let open = held.by_session.entry(token_hash.to_vec()).or_default();
        open.push_back((id, superseded.clone()));
        while open.len() > self.per_session {
            if let Some((_, oldest)) = open.pop_front() {
                // A stored permit: the oldest stream sees it even if it is busy sending.
                oldest.notify_one();
            }
        }
        Some(Slot {
            slots: self.clone(),
            id,
            token_hash: token_hash.to_vec(),
            agency_id,
            superseded,
        })
    }

    /// Live streams the agency holds now.
    pub fn in_agency(&self, agency_id: i64) -> usize {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.by_agency.get(&agency_id).copied().unwrap_or(0)
    }
}

impl Default for StreamSlots {
    fn default() -> StreamSlots {
        StreamSlots::new(STREAMS_PER_SESSION, STREAMS_PER_AGENCY)
    }
}

/// Revokes every open session of a user; returns their token hashes for `SessionWatch::end`.
pub async fn revoke_all(
    conn: &mut db::Conn,
    user_id: i64,
    now: Millis,
) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    db::scalar!(
        conn,
        fetch_all,
        _,
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL
         RETURNING token_hash AS token_hash",
        now,
        user_id
    )
}
