//! `/api/push`: a device's Web Push subscription for its session, and the agency's key to
//! subscribe with; `/api/admin/push`: rotating that key and reading delivery attempts.

use super::client::ClientAddress;
use super::{ApiJson, ApiQuery, AppState, Caller, Error};
use crate::audit;
use crate::clock::now_ms;
use crate::db;
use crate::push::check_subscription;
use crate::records;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tenfour_protocol::wire::{PushKey, PushStatus, PushSubscription};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/push/key", get(key))
        .route(
            "/push/subscription",
            get(subscription).put(subscribe).delete(unsubscribe),
        )
        .route("/admin/push/rotate", post(rotate))
        .route("/admin/push/attempts", get(attempts))
}

async fn key(State(state): State<AppState>, caller: Caller) -> Result<Json<PushKey>, Error> {
    let key = state.push.key(caller.agency_id).await?;
    Ok(Json(PushKey {
        public_key: key.public_key,
    }))
}

async fn subscription(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<PushStatus>, Error> {
    db::scalar!(
        state.db.reader.acquire().await?,
        fetch_optional,
        _,
        "SELECT endpoint FROM push_subscriptions WHERE token_hash = $1",
        caller.token_hash
    )?
    .map(|endpoint| Json(PushStatus { endpoint }))
    .ok_or_else(|| Error::NotFound("this session has no push subscription".into()))
}

/// Saves the session's subscription (replacing an earlier one): pushes go to it for as long
/// as the session lasts on this unit and the unit is in service.
async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PushSubscription>,
) -> Result<StatusCode, Error> {
    let (p256dh, auth) =
        check_subscription(&body, state.push.allows_loopback()).map_err(Error::Unprocessable)?;
    let key = state.push.key(caller.agency_id).await?;
    let endpoint = body.endpoint.trim();
    let now = now_ms();
    db::execute!(
        state.db.writer.acquire().await?,
        "INSERT INTO push_subscriptions (agency_id, user_id, unit_id, token_hash, endpoint,
             p256dh, auth, vapid_key_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (token_hash) DO UPDATE SET endpoint = excluded.endpoint,
             p256dh = excluded.p256dh, auth = excluded.auth, unit_id = excluded.unit_id,
             vapid_key_id = excluded.vapid_key_id, created_at = excluded.created_at",
        caller.agency_id,
        caller.user_id,
        caller.unit_id,
        caller.token_hash,
        endpoint,
        p256dh,
        auth,
        key.id,
        now
    )?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unsubscribe(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, Error> {
    db::execute!(
        state.db.writer.acquire().await?,
        "DELETE FROM push_subscriptions WHERE token_hash = $1",
        caller.token_hash
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new key pair for the agency. Every device subscribes again with it when it next starts
/// or comes online; until then it gets no pushes.
async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
) -> Result<Json<PushKey>, Error> {
    caller.require_admin()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let key = state.push.rotate(&mut tx, caller.agency_id).await?;
    audit::record(&mut tx, &caller.author(address), "push_key_rotated", "", "").await?;
    tx.commit().await?;
    state.push.remember(caller.agency_id, key.clone());
    Ok(Json(PushKey {
        public_key: key.public_key,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttemptsQuery {
    limit: Option<u32>,
}

#[derive(Serialize, sqlx::FromRow, serde::Deserialize)]
struct Attempt {
    id: i64,
    subscription_id: i64,
    push_service: String,
    kind: String,
    urgency: String,
    topic: Option<String>,
    attempt: i64,
    at: i64,
    status: Option<i64>,
    latency_ms: i64,
    error: Option<String>,
}

/// The agency's newest delivery attempts, newest first.
async fn attempts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AttemptsQuery>,
) -> Result<Json<Vec<Attempt>>, Error> {
    caller.require_admin()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Error::BadRequest(format!(
            "limit {limit} is out of range; ask for 1 to 1000 attempts"
        )));
    }
    let limit = i64::from(limit);
    let rows = db::rows!(
        state.db.reader.acquire().await?,
        fetch_all,
        Attempt,
        "SELECT id, subscription_id, push_service, kind, urgency, topic, attempt, at,
                  status, latency_ms, error
           FROM push_attempts WHERE agency_id = $1 ORDER BY id DESC LIMIT $2",
        caller.agency_id,
        limit
    )?;
    Ok(Json(rows))
}
