//! Alerts that reach a phone in a pocket: Web Push (RFC 8030) to the devices' subscriptions.
//!
//! Dispatch never waits for a push service: `Pusher::to_units` returns at once and each
//! delivery runs in its own task with a timeout. A 404 or 410 drops the subscription; 429
//! and 5xx (and no answer) are tried again with backoff, honouring `Retry-After`; every
//! attempt is recorded with its status and latency. Messages are small and say only what a
//! lock screen may show: the app reads the rest from its own store.

pub mod ece;
pub mod vapid;

use crate::db;
use crate::db::Db;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenfour_protocol::wire::{Incident, PushSubscription};
use tokio::sync::Semaphore;
use vapid::Vapid;

/// Tries per message: the first and three more.
const ATTEMPTS: u32 = 4;
/// Deliveries in flight at once, across all agencies.
const IN_FLIGHT: usize = 64;
/// The longest wait before trying again, whatever `Retry-After` says.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    High,
    Normal,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::High => "high",
            Urgency::Normal => "normal",
        }
    }
}

/// What a push says. Serialized, it is the payload the service worker reads.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// `assignment`, `note`, `unassigned`, `cancelled`, `closed`, `emergency_acknowledged`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<i64>,
    pub title: String,
    pub body: String,
    #[serde(skip)]
    pub urgency: Urgency,
    /// A newer message with the same topic replaces an undelivered older one.
    #[serde(skip)]
    pub topic: Option<String>,
    /// How long the push service keeps it for a phone that is not reachable, in seconds.
    #[serde(skip)]
    pub ttl: u32,
}

impl Message {
    /// A new call for the crew: priority, nature, address and the first caution.
    pub fn assignment(incident: &Incident) -> Message {
        let mut body = incident.address.clone();
        if let Some(caution) = incident.cautions.first() {
            body.push_str(" · Caution: ");
            body.push_str(caution);
        }
        Message {
            kind: "assignment",
            incident_id: Some(incident.id),
            title: format!("New call · P{} {}", incident.priority, incident.nature_text),
            body,
            urgency: Urgency::High,
            topic: Some(topic(incident.id)),
            ttl: 3600,
        }
    }

    /// A dispatcher's note on the crew's call: its text only where the agency allows it on
    /// lock screens.
    pub fn note(incident: &Incident, text: Option<&str>) -> Message {
        let mut message = Message::incident_changed(incident, "note");
        if let Some(text) = text {
            let short: String = text.chars().take(200).collect();
            message.body = format!("{} · {short}", incident.number);
        }
        message
    }

    /// A change on a call the crew is on; the note's text stays in the app.
    pub fn incident_changed(incident: &Incident, kind: &'static str) -> Message {
        let (what, urgency) = match kind {
            "note" => ("New note from dispatch", Urgency::Normal),
            "cancelled" => ("Call cancelled", Urgency::High),
            "closed" => ("Call closed", Urgency::Normal),
            _ => ("You were taken off this call", Urgency::Normal),
        };
        Message {
            kind,
            incident_id: Some(incident.id),
            title: format!("{what} · {}", incident.nature_text),
            body: format!("{} · {}", incident.number, incident.address),
            urgency,
            topic: Some(topic(incident.id)),
            ttl: 3600,
        }
    }

    /// The crew's check-in is due: one tap in the app says they are OK.
    pub fn check_in_due(minutes_left: i64) -> Message {
        Message {
            kind: "check_in",
            incident_id: None,
            title: "Check in: are you OK?".into(),
            body: match minutes_left {
                ..=0 => "Due now. Open tenfour and tap \"We're OK\", or call dispatch.".into(),
                1 => "Due in 1 minute. Open tenfour and tap \"We're OK\".".into(),
                n => format!("Due in {n} minutes. Open tenfour and tap \"We're OK\"."),
            },
            urgency: Urgency::High,
            topic: Some("check-in".into()),
            ttl: 300,
        }
    }

    /// Dispatch has the crew's emergency.
    pub fn emergency_acknowledged(by: &str) -> Message {
        Message {
            kind: "emergency_acknowledged",
            incident_id: None,
            title: "Dispatch has your emergency".into(),
            body: format!("Acknowledged by {by}"),
            urgency: Urgency::High,
            topic: Some("emergency".into()),
            ttl: 600,
        }
    }
}

fn topic(incident_id: i64) -> String {
    format!("incident-{incident_id}")
}

#[derive(Debug, Clone)]
pub struct PushConfig {
    /// The contact push services may write to about this hub (`mailto:` or `https:`).
    pub contact: String,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// The first wait before trying again (doubled each time).
    pub retry_after: Duration,
    /// Accept `http://` endpoints on this machine (the tests' push service).
    pub allow_loopback: bool,
}

pub struct Pusher {
    db: Db,
    client: reqwest::Client,
    config: PushConfig,
    keys: Mutex<HashMap<i64, Vapid>>,
    in_flight: Arc<Semaphore>,
}

/// One subscription, as delivery needs it.
#[derive(Debug, Clone)]
struct Target {
    id: i64,
    agency_id: i64,
    endpoint: String,
    p256dh: Vec<u8>,
    auth: Vec<u8>,
}

impl Pusher {
    pub fn new(db: Db, config: PushConfig) -> Arc<Pusher> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .build()
            .unwrap_or_default();
        Arc::new(Pusher {
            db,
            client,
            config,
            keys: Mutex::new(HashMap::new()),
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
        })
    }

    pub fn allows_loopback(&self) -> bool {
        self.config.allow_loopback
    }

    /// The agency's VAPID key pair (made on first use), cached.
    pub async fn key(&self, agency_id: i64) -> Result<Vapid, sqlx::Error> {
        if let Some(key) = self.cached(agency_id) {
            return Ok(key);
        }
        let mut conn = self.db.writer.acquire().await?;
        let key = vapid::current(&mut conn, agency_id).await?;
        self.remember(agency_id, key.clone());
        Ok(key)
    }

    /// Replaces the agency's key pair; its subscriptions are dropped.
    pub async fn rotate(
        &self,
        conn: &mut crate::db::Conn,
        agency_id: i64,
    ) -> Result<Vapid, sqlx::Error> {
        let key = vapid::rotate(conn, agency_id).await?;
        self.forget(agency_id);
        Ok(key)
    }

    /// After the rotation commits: the cache holds the new key.
    pub fn remember(&self, agency_id: i64, key: Vapid) {
        self.lock().insert(agency_id, key);
    }

    fn forget(&self, agency_id: i64) {
        self.lock().remove(&agency_id);
    }

    fn cached(&self, agency_id: i64) -> Option<Vapid> {
        self.lock().get(&agency_id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Vapid>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `message` to every live subscription of the units, in the background.
    pub fn to_units(self: &Arc<Self>, agency_id: i64, units: Vec<i64>, message: Message) {
        if units.is_empty() {
            return;
        }
        let pusher = self.clone();
        tokio::spawn(async move {
            let targets = match pusher.targets(agency_id, &units).await {
                Ok(targets) => targets,
                Err(err) => {
                    tracing::warn!(error = %err, "push: cannot read the subscriptions");
                    return;
                }
            };
            let message = Arc::new(message);
            for target in targets {
                let pusher = pusher.clone();
                let message = message.clone();
                tokio::spawn(async move { pusher.deliver(target, &message).await });
            }
        });
    }

    /// Every few seconds, by the hub's clock: a unit whose check-in warning time has come
    /// gets one push for it (the device, asleep in a pocket, cannot ask by itself).
    pub fn watch_check_ins(self: &Arc<Self>) {
        let pusher = self.clone();
        tokio::spawn(async move {
            let mut told: HashMap<i64, i64> = HashMap::new();
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                let now = crate::clock::now_ms();
                let due = async {
                    db::rows!(
                        pusher.db.reader.acquire().await?,
                        fetch_all,
                        (i64, i64, i64, i64),
                        "SELECT id, agency_id, check_in_warn_at, check_in_due_at
                       FROM units WHERE check_in_warn_at <= $1 AND check_in_due_at > $2",
                        now,
                        now
                    )
                }
                .await;
                let Ok(due) = due else { continue };
                told.retain(|unit, _| due.iter().any(|d| d.0 == *unit));
                for (unit_id, agency_id, warn, due) in due {
                    if told.insert(unit_id, warn) == Some(warn) {
                        continue;
                    }
                    let minutes = (due - now + 59_999) / 60_000;
                    pusher.to_units(agency_id, vec![unit_id], Message::check_in_due(minutes));
                }
            }
        });
    }

    /// The subscriptions of sessions that are still open, on these units.
    async fn targets(&self, agency_id: i64, units: &[i64]) -> Result<Vec<Target>, sqlx::Error> {
        let now = crate::clock::now_ms();
        let mut targets = Vec::new();
        for unit in units {
            let rows = db::rows!(
                self.db.reader.acquire().await?,
                fetch_all,
                (i64, String, Vec<u8>, Vec<u8>),
                "SELECT p.id, p.endpoint, p.p256dh, p.auth FROM push_subscriptions p
                   JOIN sessions s ON s.token_hash = p.token_hash
                   WHERE p.agency_id = $1 AND p.unit_id = $2 AND s.revoked_at IS NULL
                     AND s.expires_at > $3",
                agency_id,
                unit,
                now
            )?;
            targets.extend(rows.into_iter().map(|(id, endpoint, p256dh, auth)| Target {
                id,
                agency_id,
                endpoint,
                p256dh,
                auth,
            }));
        }
        Ok(targets)
    }

    async fn deliver(&self, target: Target, message: &Message) {
        let Ok(_slot) = self.in_flight.clone().acquire_owned().await else {
            return;
        };
        let payload = serde_json::to_vec(message).unwrap_or_default();
        let body = match ece::encrypt(&payload, &target.p256dh, &target.auth) {
            Ok(body) => body,
            Err(err) => {
                tracing::warn!(error = %err, subscription = target.id, "push: cannot encrypt");
                return;
            }
        };
        let key = match self.key(target.agency_id).await {
            Ok(key) => key,
            Err(err) => {
                tracing::warn!(error = %err, "push: no VAPID key");
                return;
            }
        };
        let mut wait = self.config.retry_after;
        for attempt in 1..=ATTEMPTS {
            let now_s = (crate::clock::now_ms() / 1000) as u64;
            let Some(authorization) =
                key.authorization(&target.endpoint, &self.config.contact, now_s)
            else {
                return;
            };
            let mut request = self
                .client
                .post(&target.endpoint)
                .header("TTL", message.ttl.to_string())
                .header("Urgency", message.urgency.as_str())
                .header("Content-Encoding", "aes128gcm")
                .header("Content-Type", "application/octet-stream")
                .header("Authorization", authorization)
                .body(body.clone());
            if let Some(topic) = &message.topic {
                request = request.header("Topic", topic);
            }
            let started = Instant::now();
            let answer = request.send().await;
            let latency = started.elapsed();
            let (status, retry_after, error) = match &answer {
                Ok(response) => (
                    Some(response.status().as_u16()),
                    response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs),
                    None,
                ),
                Err(err) if err.is_timeout() => (None, None, Some("no answer in time".to_owned())),
                Err(err) => (
                    None,
                    None,
                    Some(format!("cannot reach the push service: {err}")),
                ),
            };
            self.record(&target, message, attempt, status, latency, error.as_deref())
                .await;
            match status {
                Some(200..=299) => return,
                Some(404 | 410) => {
                    self.drop_subscription(target.id).await;
                    return;
                }
                Some(429 | 500..=599) | None if attempt < ATTEMPTS => {
                    tokio::time::sleep(retry_after.unwrap_or(wait).min(MAX_RETRY_WAIT)).await;
                    wait *= 2;
                }
                _ => return,
            }
        }
    }

    async fn record(
        &self,
        target: &Target,
        message: &Message,
        attempt: u32,
        status: Option<u16>,
        latency: Duration,
        error: Option<&str>,
    ) {
        let service = vapid::audience(&target.endpoint).unwrap_or_default();
        let (at, latency_ms) = (crate::clock::now_ms(), latency.as_millis() as i64);
        let urgency = message.urgency.as_str();
        let status = status.map(i64::from);
        let result = async {
            db::execute!(
            self.db.writer.acquire().await?,
            "INSERT INTO push_attempts (agency_id, subscription_id, push_service, kind, urgency,
                topic, attempt, at, status, latency_ms, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            target.agency_id,
            target.id,
            service,
            message.kind,
            urgency,
            message.topic,
            i64::from(attempt),
            at,
            status,
            latency_ms,
            error
        )
        }
        .await;
        if let Err(err) = result {
            tracing::warn!(error = %err, "push: cannot record an attempt");
        }
    }

    async fn drop_subscription(&self, id: i64) {
        let result = async {
            db::execute!(
                self.db.writer.acquire().await?,
                "DELETE FROM push_subscriptions WHERE id = $1",
                id
            )
        }
        .await;
        if let Err(err) = result {
            tracing::warn!(error = %err, "push: cannot drop a subscription the service says is gone");
        }
    }
}

/// Why a subscription cannot be used, in words for the device.
pub fn check_subscription(
    subscription: &PushSubscription,
    allow_loopback: bool,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let endpoint = subscription.endpoint.trim();
    let Some(origin) = vapid::audience(endpoint) else {
        return Err("endpoint must be the push service's https:// URL".into());
    };
    let host = origin.split("://").nth(1).unwrap_or_default();
    let loopback = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|h| host == *h || host.starts_with(&format!("{h}:")));
    let secure = origin.starts_with("https://");
    if !(secure || (allow_loopback && loopback)) {
        return Err("endpoint must be the push service's https:// URL".into());
    }
    if endpoint.len() > 2048 {
        return Err("endpoint is longer than 2,048 characters".into());
    }
    let decode = |text: &str| URL_SAFE_NO_PAD.decode(text.trim().trim_end_matches('='));
    let p256dh = decode(&subscription.keys.p256dh)
        .ok()
        .filter(|key| p256::PublicKey::from_sec1_bytes(key).is_ok() && key.len() == 65)
        .ok_or("keys.p256dh must be the browser's P-256 public key (65 bytes, base64url)")?;
    let auth = decode(&subscription.keys.auth)
        .ok()
        .filter(|auth| auth.len() == 16)
        .ok_or("keys.auth must be the browser's 16-byte secret (base64url)")?;
    Ok((p256dh, auth))
}
