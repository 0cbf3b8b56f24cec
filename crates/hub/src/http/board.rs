//! `/api/board`, `/api/units`: what a dispatcher's board starts from, and the units forms
//! choose from.

use super::{AppState, Error};
use crate::auth::Caller;
use crate::records;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use tenfour_protocol::wire::{Board, Unit};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/board", get(board))
        .route("/units", get(units))
}

async fn board(State(state): State<AppState>, caller: Caller) -> Result<Json<Board>, Error> {
    caller.require_dispatcher()?;
    // One read transaction: the cursor matches the units and incidents exactly.
    let mut tx = state.db.reader.begin().await?;
    let cursor: i64 = sqlx::query_scalar("SELECT last_cursor FROM agencies WHERE id = ?")
        .bind(caller.agency_id)
        .fetch_one(&mut *tx)
        .await?;
    let units = records::load_units(&mut tx, caller.agency_id).await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM incidents WHERE agency_id = ? AND state = 'active' ORDER BY priority, created_at",
    )
    .bind(caller.agency_id)
    .fetch_all(&mut *tx)
    .await?;
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
