//! `/api/admin/...`: an agency's administrators manage its users, units, incident natures and
//! roster, and read the audit log. `/api/natures` lists the natures for everyone.

use super::Caller;
use super::client::ClientAddress;
use super::{ApiJson, ApiPath, ApiQuery, AppState, Error};
use crate::admin::{self, temporary_password};
use crate::audit;
use crate::passwords::hash_off_thread;
use crate::records;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use tenfour_protocol::admin::{
    AdminUnit, AdminUser, AuditEntry, Nature, NewUnit, NewUser, RosterReport, SafetySettings,
    TemporaryPassword, UnitChange, UserChange, parse_roster,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/natures", get(natures))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}", patch(change_user))
        .route("/admin/users/{id}/password", post(reset_password))
        .route("/admin/units", get(units).post(create_unit))
        .route("/admin/units/{id}", patch(change_unit))
        .route("/admin/natures/{code}", put(put_nature))
        .route("/admin/roster", post(import_roster))
        .route("/admin/audit", get(audit_log))
        .route("/admin/safety", get(safety).put(put_safety))
}

async fn safety(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SafetySettings>, Error> {
    caller.require_admin()?;
    let mut conn = state.db.reader.acquire().await?;
    Ok(Json(
        admin::safety_settings(&mut conn, caller.agency_id).await?,
    ))
}

async fn put_safety(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<SafetySettings>,
) -> Result<Json<SafetySettings>, Error> {
    caller.require_admin()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let saved = admin::put_safety_settings(&mut tx, &caller.author(address), &body).await??;
    tx.commit().await?;
    state.live.publish(&state.db.reader, caller.agency_id).await;
    Ok(Json(saved))
}

fn internal(what: &str) -> impl FnOnce(String) -> Error + '_ {
    move |e| Error::Internal(format!("{what}: {e}"))
}

async fn natures(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Nature>>, Error> {
    let mut conn = state.db.reader.acquire().await?;
    Ok(Json(
        crate::natures::list(&mut conn, caller.agency_id).await?,
    ))
}

async fn users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AdminUser>>, Error> {
    caller.require_admin()?;
    let mut conn = state.db.reader.acquire().await?;
    Ok(Json(admin::users(&mut conn, caller.agency_id).await?))
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<TemporaryPassword>), Error> {
    caller.require_admin()?;
    body.check().map_err(Error::Unprocessable)?;
    let temporary = temporary_password();
    let hash = hash_off_thread(temporary.clone())
        .await
        .map_err(internal("cannot hash a password"))?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let created =
        admin::create_user(&mut tx, &caller.author(address), &body, &temporary, &hash).await??;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn change_user(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UserChange>,
) -> Result<Json<AdminUser>, Error> {
    caller.require_admin()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let (user, ended) = admin::change_user(&mut tx, &caller.author(address), id, &body).await??;
    tx.commit().await?;
    state.end_sessions(&ended).await;
    // A renamed user's sessions go on under the new name.
    state.sessions.cache.forget_user(id);
    Ok(Json(user))
}

async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TemporaryPassword>, Error> {
    caller.require_admin()?;
    let temporary = temporary_password();
    let hash = hash_off_thread(temporary.clone())
        .await
        .map_err(internal("cannot hash a password"))?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let (reset, ended) =
        admin::reset_password(&mut tx, &caller.author(address), id, &temporary, &hash).await??;
    tx.commit().await?;
    state.end_sessions(&ended).await;
    Ok(Json(reset))
}

async fn units(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AdminUnit>>, Error> {
    caller.require_admin()?;
    let mut conn = state.db.reader.acquire().await?;
    Ok(Json(admin::units(&mut conn, caller.agency_id).await?))
}

async fn create_unit(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<NewUnit>,
) -> Result<(StatusCode, Json<AdminUnit>), Error> {
    caller.require_admin()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let unit = admin::create_unit(&mut tx, &caller.author(address), &body).await??;
    tx.commit().await?;
    state.live.publish(&state.db.reader, caller.agency_id).await;
    Ok((StatusCode::CREATED, Json(unit)))
}

async fn change_unit(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UnitChange>,
) -> Result<Json<AdminUnit>, Error> {
    caller.require_admin()?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let unit = admin::change_unit(&mut tx, &caller.author(address), id, &body).await??;
    tx.commit().await?;
    state.live.publish(&state.db.reader, caller.agency_id).await;
    Ok(Json(unit))
}

async fn put_nature(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<Nature>,
) -> Result<Json<Nature>, Error> {
    caller.require_admin()?;
    if body.code != code {
        return Err(Error::Unprocessable(format!(
            "code: the body names {:?} but the path names {code:?}; they must agree",
            body.code
        )));
    }
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let nature = admin::put_nature(&mut tx, &caller.author(address), &body).await??;
    tx.commit().await?;
    Ok(Json(nature))
}

/// The body is the CSV file itself (`text/csv`); see `ROSTER_HEADER` for its columns.
async fn import_roster(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<RosterReport>), Error> {
    caller.require_admin()?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        Error::Unprocessable("the roster file is not UTF-8 text; save it as CSV (UTF-8)".into())
    })?;
    let rows = parse_roster(text).map_err(roster_problem)?;
    let write = admin::prepare_roster(rows)
        .await
        .map_err(internal("cannot hash a password"))?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let report = admin::import_roster(&mut tx, &caller.author(address), &write)
        .await?
        .map_err(roster_problem)?;
    tx.commit().await?;
    state.live.publish(&state.db.reader, caller.agency_id).await;
    Ok((StatusCode::CREATED, Json(report)))
}

fn roster_problem(errors: Vec<tenfour_protocol::admin::RosterError>) -> Error {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    Error::Unprocessable(format!(
        "nothing was imported; mend these rows and send the whole file again: {}",
        lines.join("; ")
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    limit: Option<u32>,
}

async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, Error> {
    caller.require_admin()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Error::BadRequest(format!(
            "limit {limit} is out of range; ask for 1 to 500 lines"
        )));
    }
    let filter = audit::Filter {
        action: query.action.filter(|a| !a.is_empty()),
        text: query.text.filter(|t| !t.is_empty()),
        before: query.before,
        limit,
    };
    let mut conn = state.db.reader.acquire().await?;
    Ok(Json(
        audit::list(&mut conn, caller.agency_id, &filter).await?,
    ))
}
