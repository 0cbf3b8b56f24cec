//! `/api/emergencies`: dispatchers acknowledge and end responders' emergencies. Each answer
//! is the emergency as it now stands; the change reaches every board, the unit and the
//! units on the same call.

use super::Caller;
use super::{ApiJson, ApiPath, AppState, Error};
use crate::clock::now_ms;
use crate::db;
use crate::push::Message;
use crate::{records, safety};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use tenfour_protocol::wire::{Emergency, EndEmergency};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/emergencies/{id}/acknowledge", post(acknowledge))
        .route("/emergencies/{id}/end", post(end))
}

/// Publishes the emergency, commits, wakes the live streams and answers with it.
async fn finish(
    state: &AppState,
    caller: &Caller,
    mut tx: db::Conn,
    id: i64,
) -> Result<Json<Emergency>, Error> {
    let (audience, body) = safety::change(&mut tx, caller.agency_id, id).await?;
    records::record_change(&mut tx, caller.agency_id, audience, body).await?;
    let emergency = safety::load(&mut tx, caller.agency_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no emergency {id}")))?;
    tx.commit().await?;
    state.live.publish(&state.db.reader, caller.agency_id).await;
    Ok(Json(emergency))
}

async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Emergency>, Error> {
    caller.require_dispatcher()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let who = (caller.user_id, caller.display_name.as_str());
    safety::acknowledge(&mut tx, caller.agency_id, id, who, now_ms())
        .await?
        .map_err(Error::from)?;
    let emergency = finish(&state, &caller, tx, id).await?;
    state.push.to_units(
        caller.agency_id,
        vec![emergency.unit_id],
        Message::emergency_acknowledged(&caller.display_name),
    );
    Ok(emergency)
}

async fn end(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EndEmergency>,
) -> Result<Json<Emergency>, Error> {
    caller.require_dispatcher()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let who = (caller.user_id, caller.display_name.as_str());
    safety::end(&mut tx, caller.agency_id, id, who, &body.reason, now_ms())
        .await?
        .map_err(Error::from)?;
    finish(&state, &caller, tx, id).await
}
