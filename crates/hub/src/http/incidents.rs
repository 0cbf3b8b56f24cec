//! `/api/incidents`: what dispatchers do to incidents. Each answer is the incident as it
//! now stands.

use super::Caller;
use super::{ApiJson, ApiPath, AppState, Error};
use crate::clock::now_ms;
use crate::db;
use crate::dispatch::{self, Refusal};
use crate::push::Message;
use crate::records;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use tenfour_protocol::position::nearest_available;
use tenfour_protocol::wire::{
    Incident, IncidentState, Location, NearbyUnit, NewAssignment, NewIncident, NewNote,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/incidents", post(create))
        .route("/incidents/{id}", get(read))
        .route("/incidents/{id}/nearest-units", get(nearest_units))
        .route("/incidents/{id}/notes", post(add_note))
        .route("/incidents/{id}/assignments", post(assign))
        .route("/incidents/{id}/assignments/{unit_id}", delete(unassign))
        .route("/incidents/{id}/cancel", post(cancel))
        .route("/incidents/{id}/close", post(close))
}

/// The units on the call now.
fn active_units(incident: &Incident) -> Vec<i64> {
    incident
        .assignments
        .iter()
        .filter(|a| a.is_active())
        .map(|a| a.unit_id)
        .collect()
}

/// Commits, wakes the live streams and answers with the incident as committed.
async fn finish(
    state: &AppState,
    caller: &Caller,
    mut tx: db::Conn,
    incident_id: i64,
) -> Result<Json<Incident>, Error> {
    let incident = records::load_incident(&mut tx, caller.agency_id, incident_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no incident {incident_id}")))?;
    tx.commit().await?;
    state.live.publish(&state.db.reader, caller.agency_id).await;
    Ok(Json(incident))
}

fn refused<T>(outcome: Result<T, Refusal>) -> Result<T, Error> {
    outcome.map_err(Error::from)
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewIncident>,
) -> Result<(StatusCode, Json<Incident>), Error> {
    caller.require_dispatcher()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let id = refused(
        dispatch::create_incident(
            &mut tx,
            caller.agency_id,
            &caller.display_name,
            &body,
            now_ms(),
        )
        .await?,
    )?;
    Ok((StatusCode::CREATED, finish(&state, &caller, tx, id).await?))
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Incident>, Error> {
    caller.require_dispatcher()?;
    let mut conn = state.db.reader.acquire().await?;
    records::load_incident(&mut conn, caller.agency_id, id)
        .await?
        .map(Json)
        .ok_or_else(|| Error::NotFound(format!("there is no incident {id} in your agency")))
}

/// The units free to send to the call, nearest first by straight line (those that have not
/// said where they are, last).
async fn nearest_units(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<NearbyUnit>>, Error> {
    caller.require_dispatcher()?;
    let mut conn = state.db.reader.acquire().await?;
    let incident = records::load_incident(&mut conn, caller.agency_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no incident {id} in your agency")))?;
    let (Some(latitude), Some(longitude)) = (incident.latitude, incident.longitude) else {
        return Err(Error::Unprocessable(format!(
            "incident {} has no latitude and longitude, so nothing is near it; add them to \
             the incident",
            incident.number
        )));
    };
    let place = Location {
        latitude,
        longitude,
        accuracy_m: None,
    };
    let units = records::load_units(&mut conn, caller.agency_id).await?;
    Ok(Json(
        nearest_available(&units, &place)
            .into_iter()
            .map(|(unit, distance_m)| NearbyUnit {
                unit: unit.clone(),
                distance_m,
            })
            .collect(),
    ))
}

async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewNote>,
) -> Result<(StatusCode, Json<Incident>), Error> {
    caller.require_dispatcher()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    refused(
        dispatch::add_caller_note(
            &mut tx,
            caller.agency_id,
            id,
            &caller.display_name,
            &body.text,
            now_ms(),
        )
        .await?,
    )?;
    // Read before the commit: nothing after it may turn a saved note into an error.
    let details = db::scalar!(
        tx,
        fetch_one,
        bool,
        "SELECT push_details AS push_details FROM agencies WHERE id = $1",
        caller.agency_id
    )?;
    let incident = finish(&state, &caller, tx, id).await?;
    state.push.to_units(
        caller.agency_id,
        active_units(&incident),
        Message::note(&incident, details.then_some(body.text.as_str())),
    );
    Ok((StatusCode::CREATED, incident))
}

async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewAssignment>,
) -> Result<(StatusCode, Json<Incident>), Error> {
    caller.require_dispatcher()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    refused(dispatch::assign(&mut tx, caller.agency_id, id, body.unit_id, now_ms()).await?)?;
    let incident = finish(&state, &caller, tx, id).await?;
    state.push.to_units(
        caller.agency_id,
        vec![body.unit_id],
        Message::assignment(&incident),
    );
    Ok((StatusCode::CREATED, incident))
}

async fn unassign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, unit_id)): ApiPath<(i64, i64)>,
) -> Result<Json<Incident>, Error> {
    caller.require_dispatcher()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    refused(dispatch::unassign(&mut tx, caller.agency_id, id, unit_id, now_ms()).await?)?;
    let incident = finish(&state, &caller, tx, id).await?;
    state.push.to_units(
        caller.agency_id,
        vec![unit_id],
        Message::incident_changed(&incident, "unassigned"),
    );
    Ok(incident)
}

async fn end(
    state: AppState,
    caller: Caller,
    id: i64,
    to: IncidentState,
) -> Result<Json<Incident>, Error> {
    caller.require_dispatcher()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    // The crews on the call before it ends are the ones to tell.
    let on_call = records::load_incident(&mut tx, caller.agency_id, id)
        .await?
        .map(|incident| active_units(&incident))
        .unwrap_or_default();
    refused(dispatch::finish(&mut tx, caller.agency_id, id, to, now_ms()).await?)?;
    let incident = finish(&state, &caller, tx, id).await?;
    let kind = if to == IncidentState::Cancelled {
        "cancelled"
    } else {
        "closed"
    };
    state.push.to_units(
        caller.agency_id,
        on_call,
        Message::incident_changed(&incident, kind),
    );
    Ok(incident)
}

async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Incident>, Error> {
    end(state, caller, id, IncidentState::Cancelled).await
}

async fn close(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Incident>, Error> {
    end(state, caller, id, IncidentState::Closed).await
}
