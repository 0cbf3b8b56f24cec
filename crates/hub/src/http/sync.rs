//! `/api/sync`: devices push their outbox and pull the changes they may see.

use super::Caller;
use super::{ApiJson, ApiQuery, AppState, Error};
use crate::clock::now_ms;
use crate::field::Push;
use crate::records::{self, View};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tenfour_protocol::wire::{MAX_PAGE, MAX_PUSH_ENTRIES, PushRequest, PushResponse, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sync/push", post(push))
        .route("/sync/changes", get(changes))
}

async fn push(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, Error> {
    let unit_id = caller.require_unit()?;
    if body.entries.len() > MAX_PUSH_ENTRIES {
        return Err(Error::Unprocessable(format!(
            "{} entries in one push; send at most {MAX_PUSH_ENTRIES} at a time",
            body.entries.len()
        )));
    }
    // Check the whole batch first: a malformed entry refuses the batch and changes nothing.
    let mut actions = Vec::with_capacity(body.entries.len());
    for (index, entry) in body.entries.iter().enumerate() {
        let action = entry
            .check()
            .map_err(|e| Error::Unprocessable(format!("entry {index} (seq {}): {e}", entry.seq)))?;
        if entry.client_id != body.entries[0].client_id {
            return Err(Error::Unprocessable(
                "all entries of one push must come from the same client_id".into(),
            ));
        }
        actions.push(action);
    }

    // The ingest task commits it, with whatever other pushes are waiting, before answering.
    let results = state
        .ingest
        .push(Push {
            actor: caller.actor,
            unit_id,
            entries: body.entries,
            actions,
        })
        .await?;
    Ok(Json(PushResponse { results }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangesQuery {
    #[serde(default)]
    since: u64,
    #[serde(default)]
    limit: Option<u32>,
}

pub fn view_of(caller: &Caller) -> View {
    if caller.role == Role::Responder {
        View::Unit(caller.unit_id)
    } else {
        View::Everything
    }
}

async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> Result<impl IntoResponse, Error> {
    let limit = query.limit.unwrap_or(200);
    if limit == 0 || limit > MAX_PAGE {
        return Err(Error::BadRequest(format!(
            "limit {limit} is out of range; ask for 1 to {MAX_PAGE} changes"
        )));
    }
    let mut tx = state.db.reader.begin().await?;
    // A device with nothing, or with a cursor older than the history kept, starts from the
    // newest copy of each record rather than replaying the agency's history.
    let compacted_to = records::compacted_to(&mut tx, caller.agency_id).await?;
    let page = if query.since == 0 || query.since < compacted_to {
        records::snapshot(&mut tx, caller.agency_id, view_of(&caller), now_ms()).await?
    } else {
        records::changes_after(
            &mut tx,
            caller.agency_id,
            view_of(&caller),
            query.since,
            limit,
        )
        .await?
    };
    tx.commit().await?;
    if query.since > page.head {
        return Err(future_cursor(query.since, page.head));
    }
    // The stored bodies are already JSON: splice them rather than parse and re-encode.
    let mut json = String::from("{\"changes\":[");
    for (i, (_, body)) in page.bodies.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(body);
    }
    json.push_str(&format!(
        "],\"cursor\":{},\"more\":{}}}",
        page.cursor, page.more
    ));
    Ok(([(header::CONTENT_TYPE, "application/json")], json))
}

pub fn future_cursor(since: u64, head: u64) -> Error {
    Error::Conflict(format!(
        "cursor {since} is ahead of this hub (its newest change is {head}); \
         the device's copy comes from another hub or a reset database: clear it and pull from 0"
    ))
}
