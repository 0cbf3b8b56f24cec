//! `/api/board`, `/api/units`: what a dispatcher's board starts from, the units forms
//! choose from, and a dispatcher checking a unit in on its behalf (heard by radio).

use super::Caller;
use super::{ApiPath, AppState, Error};
use crate::clock::now_ms;
use crate::db;
use crate::{records, safety};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use tenfour_protocol::wire::{Board, Unit};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/board", get(board))
        .route("/units", get(units))
        .route("/units/{id}/check-in", post(check_in_by_radio))
        .route("/units/{id}/emergency", post(escalate))
}

/// A unit nobody can reach (an overdue check-in): the dispatcher raises an emergency for it,
/// with the same alarm, record and ending as the button's.
async fn escalate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<tenfour_protocol::wire::Emergency>, Error> {
    caller.require_dispatcher()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let unit = records::load_unit(&mut tx, caller.agency_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no unit {id} in your agency")))?;
    let who = (
        caller.agency_id,
        caller.user_id,
        caller.display_name.as_str(),
    );
    let emergency = safety::raise_for(&mut tx, who, &unit, now_ms())
        .await?
        .map_err(Error::from)?;
    let (audience, body) = safety::change(&mut tx, caller.agency_id, emergency).await?;
    records::record_change(&mut tx, caller.agency_id, audience, body).await?;
    let raised = safety::load(&mut tx, caller.agency_id, emergency)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no emergency {emergency}")))?;
    tx.commit().await?;
    state.live.publish(&state.db.reader, caller.agency_id).await;
    Ok(Json(raised))
}

/// The crew answered on the radio: the dispatcher checks the unit in, and its timer starts
/// again from now.
async fn check_in_by_radio(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Unit>, Error> {
    caller.require_dispatcher()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let unit = records::load_unit(&mut tx, caller.agency_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no unit {id} in your agency")))?;
    if unit.check_in_due_at.is_none() {
        return Err(Error::Conflict(format!(
            "no check-in timer runs for {} while {}",
            unit.callsign,
            unit.status.label().to_lowercase()
        )));
    }
    let now = now_ms();
    db::execute!(
        tx,
        "UPDATE units SET last_check_in_at = $1 WHERE id = $2",
        now,
        id
    )?;
    records::publish_unit(&mut tx, caller.agency_id, id, None).await?;
    let unit = records::load_unit(&mut tx, caller.agency_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no unit {id} in your agency")))?;
    tx.commit().await?;
    state.live.publish(&state.db.reader, caller.agency_id).await;
    Ok(Json(unit))
}

async fn board(State(state): State<AppState>, caller: Caller) -> Result<Json<Board>, Error> {
    caller.require_dispatcher()?;
    // One read transaction: the cursor matches the units and incidents exactly.
    let mut tx = state.db.reader.begin().await?;
    let cursor = records::head(&mut tx, caller.agency_id).await?;
    let units = records::load_units(&mut tx, caller.agency_id).await?;
    let ids: Vec<i64> = db::scalar!(
        tx,
        fetch_all,
        _,
        "SELECT id AS id
         FROM incidents WHERE agency_id = $1 AND state = 'active' ORDER BY priority,
         created_at",
        caller.agency_id
    )?;
    let mut incidents = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(incident) = records::load_incident(&mut tx, caller.agency_id, id).await? {
            incidents.push(incident);
        }
    }
    tx.commit().await?;
    Ok(Json(Board {
        cursor: cursor as u64,
        units,
        incidents,
    }))
}

async fn units(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Unit>>, Error> {
    let mut conn = state.db.reader.acquire().await?;
    Ok(Json(
        records::load_units(&mut conn, caller.agency_id).await?,
    ))
}
