//! `/api/session`: sign in, see who you are, choose your unit, sign out.

use super::Caller;
use super::client::ClientAddress;
use super::{ApiJson, AppState, Error};
use crate::audit::{self, Author};
use crate::clock::now_ms;
use crate::db;
use crate::records;
use crate::sessions::{new_token, session_cookie};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{post, put};
use axum::{Json, Router};
use std::sync::OnceLock;
use tenfour_protocol::admin::{ChangePassword, check_password};
use tenfour_protocol::wire::{AgencyInfo, ChooseUnit, Role, SessionInfo, SignIn, Unit, UserInfo};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session", post(sign_in).get(current).delete(sign_out))
        .route("/session/unit", put(choose_unit))
        .route("/session/password", put(change_password))
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct UserRow {
    id: i64,
    agency_id: i64,
    username: String,
    display_name: String,
    role: String,
    password_hash: String,
    disabled_at: Option<i64>,
}

/// A hash to verify against when the username is unknown, so that the answer takes as
/// long as for a known one and does not reveal which usernames exist.
/// Made once, off the async threads like every Argon2 call.
async fn decoy_hash() -> Result<String, Error> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash.clone());
    }
    let hash = crate::passwords::hash_off_thread("decoy".into())
        .await
        .map_err(|e| Error::Internal(format!("cannot make the decoy hash: {e}")))?;
    Ok(DECOY.get_or_init(|| hash).clone())
}

async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<impl IntoResponse, Error> {
    let username = body.username.trim().to_owned();
    if username.is_empty() || body.password.is_empty() {
        return Err(Error::Unprocessable(
            "enter a username and a password".into(),
        ));
    }
    if username.chars().count() > 100 || body.password.chars().count() > 200 {
        return Err(Error::Unprocessable(
            "username or password is too long".into(),
        ));
    }
    if let Err(wait) = state.throttle.check(&username, address.as_deref()) {
        return Err(Error::TooManyRequests {
            detail: format!(
                "too many failed sign-ins for {username} from this device; try again in {wait} seconds"
            ),
            retry_after: wait,
        });
    }
    let user: Option<UserRow> = db::rows!(
        state.db.reader.acquire().await?,
        fetch_optional,
        UserRow,
        "SELECT id AS id, agency_id, username, display_name, role, password_hash,
         disabled_at
         FROM users WHERE username = $1 COLLATE NOCASE",
        username
    )?;
    let hash = match &user {
        Some(user) => user.password_hash.clone(),
        None => decoy_hash().await?,
    };
    let password = body.password.clone();
    let matches = crate::passwords::check_password(password, hash)
        .await
        .map_err(|e| Error::Internal(format!("password check failed: {e}")))?;
    let user = match user {
        Some(user) if matches => user,
        known => {
            state.throttle.failed(&username, address.as_deref());
            // A failure is recorded in the agency of the account that was tried; a username
            // nobody has belongs to no agency and goes to the hub's log only.
            if let Some(user) = known {
                let actor = Author {
                    agency_id: user.agency_id,
                    user_id: None,
                    name: username.clone(),
                    address: address.clone(),
                };
                sign_in_failed(&state, &actor, &user.username, "wrong password").await?;
            }
            tracing::info!(user = %username, address = address.as_deref().unwrap_or("-"), "sign-in failed");
            return Err(Error::Unauthorized("wrong username or password".into()));
        }
    };
    let actor = Author {
        agency_id: user.agency_id,
        user_id: Some(user.id),
        name: user.display_name.clone(),
        address,
    };
    if user.disabled_at.is_some() {
        sign_in_failed(&state, &actor, &user.username, "account disabled").await?;
        return Err(Error::Unauthorized(
            "this account is disabled; ask your agency's administrator to enable it".into(),
        ));
    }
    state
        .throttle
        .succeeded(&username, actor.address.as_deref());
    let role = Role::parse(&user.role)
        .ok_or_else(|| Error::Internal(format!("user {} has role {:?}", user.id, user.role)))?;

    let mut tx = records::begin_writing(&state.db.writer, user.agency_id).await?;
    let unit_id = match body
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => None,
        Some(_) if role != Role::Responder => {
            return Err(Error::Unprocessable(
                "only responders sign in to a unit; leave the unit empty".into(),
            ));
        }
        Some(callsign) => Some(
            unit_by_callsign(&mut tx, user.agency_id, callsign)
                .await?
                .id,
        ),
    };
    let (token, token_hash) = new_token();
    let now = now_ms();
    let expires_at = now + state.session_ttl.as_millis() as i64;
    db::execute!(
        tx,
        "INSERT INTO sessions (token_hash, user_id, agency_id, unit_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        token_hash,
        user.id,
        user.agency_id,
        unit_id,
        now,
        expires_at
    )?;
    let mut info = session_info(&mut tx, user.agency_id, user.id, unit_id, expires_at).await?;
    audit::record(&mut tx, &actor, "sign_in", &user.username, "").await?;
    tx.commit().await?;
    tracing::info!(user = %user.username, "signed in");
    info.token = Some(token.clone());
    let mut headers = HeaderMap::new();
    let cookie = session_cookie(state.https, &token, state.session_ttl.as_secs());
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, value);
    }
    Ok((StatusCode::CREATED, headers, Json(info)))
}

async fn sign_in_failed(
    state: &AppState,
    actor: &Author,
    username: &str,
    why: &str,
) -> Result<(), Error> {
    let mut conn = state.db.writer.acquire().await?;
    audit::record(&mut conn, actor, "sign_in_failed", username, why).await?;
    Ok(())
}

async fn unit_by_callsign(
    conn: &mut db::Conn,
    agency_id: i64,
    callsign: &str,
) -> Result<Unit, Error> {
    let units: Vec<Unit> = records::load_units(conn, agency_id)
        .await?
        .into_iter()
        .filter(|u| !u.retired)
        .collect();
    let known: Vec<String> = units.iter().map(|u| u.callsign.clone()).collect();
    units
        .into_iter()
        .find(|u| u.callsign.eq_ignore_ascii_case(callsign))
        .ok_or_else(|| {
            Error::Unprocessable(format!(
                "there is no unit {callsign:?} in your agency; units: {}",
                known.join(", ")
            ))
        })
}

async fn session_info(
    conn: &mut db::Conn,
    agency_id: i64,
    user_id: i64,
    unit_id: Option<i64>,
    expires_at: i64,
) -> Result<SessionInfo, Error> {
    let (username, display_name, role, must_change_password) = db::rows!(
        conn,
        fetch_one,
        (String, String, String, bool),
        "SELECT username, display_name, role, must_change_password FROM users WHERE id = $1",
        user_id
    )?;
    let (slug, name, emergency_phone, interval) = db::rows!(
        conn,
        fetch_one,
        (String, String, String, i64),
        "SELECT slug, name, emergency_phone, position_interval_s FROM agencies WHERE id = $1",
        agency_id
    )?;
    let unit = match unit_id {
        Some(id) => records::load_unit(conn, agency_id, id).await?,
        None => None,
    };
    Ok(SessionInfo {
        token: None,
        expires_at,
        user: UserInfo {
            id: user_id,
            username,
            display_name,
            role: Role::parse(&role).unwrap_or(Role::Responder),
        },
        agency: AgencyInfo {
            id: agency_id,
            slug,
            name,
            emergency_phone,
            position_interval_s: crate::admin::position_interval(interval),
        },
        unit,
        must_change_password,
    })
}

async fn current(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SessionInfo>, Error> {
    let mut conn = state.db.reader.acquire().await?;
    let info = session_info(
        &mut conn,
        caller.agency_id,
        caller.user_id,
        caller.unit_id,
        caller.expires_at,
    )
    .await?;
    Ok(Json(info))
}

async fn choose_unit(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ChooseUnit>,
) -> Result<Json<SessionInfo>, Error> {
    if caller.role != Role::Responder {
        return Err(Error::Forbidden("only responders sign in to a unit".into()));
    }
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    let unit = unit_by_callsign(&mut tx, caller.agency_id, body.unit.trim()).await?;
    db::execute!(
        tx,
        "UPDATE sessions SET unit_id = $1 WHERE token_hash = $2",
        unit.id,
        caller.token_hash
    )?;
    let info = session_info(
        &mut tx,
        caller.agency_id,
        caller.user_id,
        Some(unit.id),
        caller.expires_at,
    )
    .await?;
    tx.commit().await?;
    // Streams opened for the old unit show its view: end them; the app reconnects.
    state
        .end_sessions(std::slice::from_ref(&caller.token_hash))
        .await;
    Ok(Json(info))
}

/// Anyone may change their own password, with the current one; a temporary password must be
/// changed this way before the session can do anything else.
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<ChangePassword>,
) -> Result<Json<SessionInfo>, Error> {
    let (username, hash) = db::rows!(
        state.db.reader.acquire().await?,
        fetch_one,
        (String, String),
        "SELECT username, password_hash FROM users WHERE id = $1",
        caller.user_id
    )?;
    // The current password first: whoever does not know it learns nothing more.
    let current = crate::passwords::check_password(body.current_password.clone(), hash)
        .await
        .map_err(|e| Error::Internal(format!("password check failed: {e}")))?;
    if !current {
        return Err(Error::Forbidden(
            "current_password: that is not your current password".into(),
        ));
    }
    if let Err(reason) = check_password(&body.new_password, &username) {
        return Err(Error::Unprocessable(format!("new_password: {reason}")));
    }
    if body.new_password == body.current_password {
        return Err(Error::Unprocessable(
            "new_password: choose a password different from the current one".into(),
        ));
    }
    let new_hash = crate::passwords::hash_off_thread(body.new_password.clone())
        .await
        .map_err(|e| Error::Internal(format!("cannot hash a password: {e}")))?;
    let mut tx = records::begin_writing(&state.db.writer, caller.agency_id).await?;
    db::execute!(
        tx,
        "UPDATE users SET password_hash = $1, must_change_password = FALSE WHERE id = $2",
        new_hash,
        caller.user_id
    )?;
    // Every other session of this user ends: a changed password locks out whoever else
    // knew the old one.
    let now = now_ms();
    let others: Vec<Vec<u8>> = db::scalar!(
        tx,
        fetch_all,
        _,
        "UPDATE sessions SET revoked_at = $1
         WHERE user_id = $2 AND revoked_at IS NULL AND token_hash <> $3
         RETURNING token_hash AS token_hash",
        now,
        caller.user_id,
        caller.token_hash
    )?;
    audit::record(
        &mut tx,
        &caller.author(address),
        "password_changed",
        &username,
        "",
    )
    .await?;
    let info = session_info(
        &mut tx,
        caller.agency_id,
        caller.user_id,
        caller.unit_id,
        caller.expires_at,
    )
    .await?;
    tx.commit().await?;
    state.end_sessions(&others).await;
    // This session goes on, no longer held to changing its password.
    state.sessions.cache.forget_user(caller.user_id);
    Ok(Json(info))
}

async fn sign_out(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, Error> {
    let now = now_ms();
    db::execute!(
        state.db.writer.acquire().await?,
        "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2",
        now,
        caller.token_hash
    )?;
    state
        .end_sessions(std::slice::from_ref(&caller.token_hash))
        .await;
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&session_cookie(state.https, "", 0)) {
        headers.insert(header::SET_COOKIE, value);
    }
    Ok((StatusCode::NO_CONTENT, headers))
}
