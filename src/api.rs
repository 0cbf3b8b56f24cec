//! Talking to the hub's JSON API. Every failure is sorted into what the caller must do about
//! it: wait for the network, sign in again, or show the hub's reason.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tenfour_protocol::Problem;
use tenfour_protocol::wire::{
    ChangesPage, ChooseUnit, PushRequest, PushResponse, Queued, SessionInfo, SignIn, Unit,
};

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer: no network, or the hub is down. Try again later.
    Unreachable(String),
    /// The session is unknown, expired or signed out: sign in again.
    SignedOut(String),
    /// The hub answered with a problem.
    Refused { status: u16, detail: String },
}

impl ApiError {
    pub fn message(&self) -> String {
        match self {
            ApiError::Unreachable(_) => "No connection to dispatch".into(),
            ApiError::SignedOut(detail) | ApiError::Refused { detail, .. } => detail.clone(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

fn authorized(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder.header("Authorization", &format!("Bearer {token}"))
}

async fn send_json<B: Serialize>(builder: RequestBuilder, body: &B) -> ApiResult<Response> {
    let request = builder.json(body).map_err(|e| ApiError::Refused {
        status: 0,
        detail: e.to_string(),
    })?;
    request
        .send()
        .await
        .map_err(|e| ApiError::Unreachable(e.to_string()))
}

/// Sends a body that is not JSON (a file, a CSV text) with the type the builder names.
async fn send_body(builder: RequestBuilder, body: wasm_bindgen::JsValue) -> ApiResult<Response> {
    let request = builder.body(body).map_err(|e| ApiError::Refused {
        status: 0,
        detail: e.to_string(),
    })?;
    request
        .send()
        .await
        .map_err(|e| ApiError::Unreachable(e.to_string()))
}

async fn send(builder: RequestBuilder) -> ApiResult<Response> {
    builder
        .send()
        .await
        .map_err(|e| ApiError::Unreachable(e.to_string()))
}

thread_local! {
    /// How far the hub's clock is ahead of this device's, learnt from the `Date` header of
    /// its answers (whole seconds, so within about half a second).
    static HUB_AHEAD_MS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// How far to move this device's clock to read it on the hub's: times the hub stamped
/// (dispatched, heard) are compared with that, so a desk whose clock is wrong flags nothing
/// early or late.
pub fn hub_ahead_ms() -> tenfour_protocol::wire::Millis {
    HUB_AHEAD_MS.with(std::cell::Cell::get) as tenfour_protocol::wire::Millis
}

fn learn_hub_clock(response: &Response) {
    let Some(date) = response.headers().get("date") else {
        return;
    };
    let hub = js_sys::Date::parse(&date);
    if hub.is_finite() {
        // The header drops the milliseconds: the hub's clock was on average half a second on.
        let ahead = hub + 500.0 - js_sys::Date::now();
        HUB_AHEAD_MS.with(|cell| cell.set(ahead));
    }
}

/// The body of a successful answer, or the problem it carries.
async fn answer<T: DeserializeOwned>(response: Response) -> ApiResult<T> {
    learn_hub_clock(&response);
    let status = response.status();
    if (200..300).contains(&status) {
        return response
            .json()
            .await
            .map_err(|e| ApiError::Unreachable(format!("unreadable answer: {e}")));
    }
    let detail = match response.json::<Problem>().await {
        Ok(problem) => problem.detail,
        Err(_) => format!("the hub answered {status}"),
    };
    Err(match status {
        401 => ApiError::SignedOut(detail),
        // A gateway or a restarting hub: the same as no answer.
        502..=504 => ApiError::Unreachable(detail),
        _ => ApiError::Refused { status, detail },
    })
}

pub async fn sign_in(username: &str, password: &str) -> ApiResult<SessionInfo> {
    let body = SignIn {
        username: username.to_owned(),
        password: password.to_owned(),
        unit: None,
    };
    answer(send_json(Request::post("/api/session"), &body).await?).await
}

pub async fn choose_unit(token: &str, callsign: &str) -> ApiResult<SessionInfo> {
    let body = ChooseUnit {
        unit: callsign.to_owned(),
    };
    answer(send_json(authorized(Request::put("/api/session/unit"), token), &body).await?).await
}

pub async fn units(token: &str) -> ApiResult<Vec<Unit>> {
    answer(send(authorized(Request::get("/api/units"), token)).await?).await
}

pub async fn sign_out(token: &str) -> ApiResult<()> {
    let response = send(authorized(Request::delete("/api/session"), token)).await?;
    match response.status() {
        204 | 401 => Ok(()),
        status => Err(ApiError::Refused {
            status,
            detail: "sign-out refused".into(),
        }),
    }
}

/// Web Push: the agency's key to subscribe with, and this session's subscription.
pub mod web_push {
    use super::*;
    use tenfour_protocol::wire::{PushKey, PushSubscription};

    pub async fn key(token: &str) -> ApiResult<PushKey> {
        answer(send(authorized(Request::get("/api/push/key"), token)).await?).await
    }

    pub async fn subscribe(token: &str, subscription: &PushSubscription) -> ApiResult<()> {
        let request = authorized(Request::put("/api/push/subscription"), token);
        nothing(send_json(request, subscription).await?).await
    }

    pub async fn unsubscribe(token: &str) -> ApiResult<()> {
        nothing(send(authorized(Request::delete("/api/push/subscription"), token)).await?).await
    }

    /// A 204 answer, or the problem it carries.
    async fn nothing(response: Response) -> ApiResult<()> {
        if response.status() == 204 {
            return Ok(());
        }
        answer::<serde_json::Value>(response).await.map(|_| ())
    }
}

pub async fn push(token: &str, entries: Vec<Queued>) -> ApiResult<PushResponse> {
    let body = PushRequest {
        entries: entries.into_iter().map(|q| q.entry).collect(),
    };
    answer(send_json(authorized(Request::post("/api/sync/push"), token), &body).await?).await
}

pub async fn changes(token: &str, since: u64) -> ApiResult<ChangesPage> {
    let url = format!("/api/sync/changes?since={since}&limit=500");
    answer(send(authorized(Request::get(&url), token)).await?).await
}

/// Dispatcher calls: each answers with the incident as it now stands.
pub mod dispatch {
    use super::*;
    use tenfour_protocol::wire::{Incident, NewAssignment, NewIncident, NewNote};

    pub async fn create(token: &str, incident: &NewIncident) -> ApiResult<Incident> {
        answer(send_json(authorized(Request::post("/api/incidents"), token), incident).await?).await
    }

    pub async fn add_note(token: &str, incident_id: i64, text: &str) -> ApiResult<Incident> {
        let url = format!("/api/incidents/{incident_id}/notes");
        let body = NewNote {
            text: text.to_owned(),
        };
        answer(send_json(authorized(Request::post(&url), token), &body).await?).await
    }

    pub async fn assign(token: &str, incident_id: i64, unit_id: i64) -> ApiResult<Incident> {
        let url = format!("/api/incidents/{incident_id}/assignments");
        answer(
            send_json(
                authorized(Request::post(&url), token),
                &NewAssignment { unit_id },
            )
            .await?,
        )
        .await
    }

    pub async fn unassign(token: &str, incident_id: i64, unit_id: i64) -> ApiResult<Incident> {
        let url = format!("/api/incidents/{incident_id}/assignments/{unit_id}");
        answer(send(authorized(Request::delete(&url), token)).await?).await
    }

    /// `verb` is "cancel" or "close".
    pub async fn finish(token: &str, incident_id: i64, verb: &str) -> ApiResult<Incident> {
        let url = format!("/api/incidents/{incident_id}/{verb}");
        answer(
            send_json(
                authorized(Request::post(&url), token),
                &serde_json::json!({}),
            )
            .await?,
        )
        .await
    }
}

/// A dispatcher checks a unit in on its behalf (heard by radio); the unit as it now stands.
pub async fn check_in_by_radio(token: &str, unit_id: i64) -> ApiResult<Unit> {
    let url = format!("/api/units/{unit_id}/check-in");
    answer(send(authorized(Request::post(&url), token)).await?).await
}

/// Dispatcher calls on responders' emergencies: each answers with the emergency as it now
/// stands.
pub mod emergencies {
    use super::*;
    use tenfour_protocol::wire::{Emergency, EndEmergency};

    /// Raises one for a unit nobody can reach (an overdue check-in).
    pub async fn escalate(token: &str, unit_id: i64) -> ApiResult<Emergency> {
        let url = format!("/api/units/{unit_id}/emergency");
        answer(send(authorized(Request::post(&url), token)).await?).await
    }

    pub async fn acknowledge(token: &str, id: i64) -> ApiResult<Emergency> {
        let url = format!("/api/emergencies/{id}/acknowledge");
        answer(send(authorized(Request::post(&url), token)).await?).await
    }

    pub async fn end(token: &str, id: i64, reason: &str) -> ApiResult<Emergency> {
        let url = format!("/api/emergencies/{id}/end");
        let body = EndEmergency {
            reason: reason.to_owned(),
        };
        answer(send_json(authorized(Request::post(&url), token), &body).await?).await
    }
}

/// Choosing one's own password (a temporary one must be replaced before anything else).
pub async fn change_password(token: &str, current: &str, new: &str) -> ApiResult<SessionInfo> {
    let body = tenfour_protocol::admin::ChangePassword {
        current_password: current.to_owned(),
        new_password: new.to_owned(),
    };
    answer(
        send_json(
            authorized(Request::put("/api/session/password"), token),
            &body,
        )
        .await?,
    )
    .await
}

/// The agency's incident natures, for the new-incident form and their administration.
pub async fn natures(token: &str) -> ApiResult<Vec<tenfour_protocol::admin::Nature>> {
    answer(send(authorized(Request::get("/api/natures"), token)).await?).await
}

/// Administrator calls: users, units, natures, roster import and the audit log.
pub mod admin {
    use super::*;
    use tenfour_protocol::admin::{
        AdminUnit, AdminUser, AuditEntry, Nature, NewUnit, NewUser, RosterReport, SafetySettings,
        TemporaryPassword, UnitChange, UserChange,
    };

    pub async fn users(token: &str) -> ApiResult<Vec<AdminUser>> {
        answer(send(authorized(Request::get("/api/admin/users"), token)).await?).await
    }

    pub async fn create_user(token: &str, user: &NewUser) -> ApiResult<TemporaryPassword> {
        answer(send_json(authorized(Request::post("/api/admin/users"), token), user).await?).await
    }

    pub async fn change_user(token: &str, id: i64, change: &UserChange) -> ApiResult<AdminUser> {
        let url = format!("/api/admin/users/{id}");
        answer(send_json(authorized(Request::patch(&url), token), change).await?).await
    }

    pub async fn reset_password(token: &str, id: i64) -> ApiResult<TemporaryPassword> {
        let url = format!("/api/admin/users/{id}/password");
        answer(send(authorized(Request::post(&url), token)).await?).await
    }

    pub async fn units(token: &str) -> ApiResult<Vec<AdminUnit>> {
        answer(send(authorized(Request::get("/api/admin/units"), token)).await?).await
    }

    pub async fn create_unit(token: &str, unit: &NewUnit) -> ApiResult<AdminUnit> {
        answer(send_json(authorized(Request::post("/api/admin/units"), token), unit).await?).await
    }

    pub async fn change_unit(token: &str, id: i64, change: &UnitChange) -> ApiResult<AdminUnit> {
        let url = format!("/api/admin/units/{id}");
        answer(send_json(authorized(Request::patch(&url), token), change).await?).await
    }

    pub async fn put_nature(token: &str, nature: &Nature) -> ApiResult<Nature> {
        let url = format!("/api/admin/natures/{}", nature.code);
        answer(send_json(authorized(Request::put(&url), token), nature).await?).await
    }

    /// Replaces the agency's map pack with `file` (a PMTiles archive).
    pub async fn upload_map(
        token: &str,
        file: &web_sys::File,
    ) -> ApiResult<tenfour_protocol::wire::MapPack> {
        let request = authorized(Request::put("/api/admin/map"), token)
            .header("Content-Type", "application/vnd.pmtiles");
        answer(send_body(request, wasm_bindgen::JsValue::from(file.clone())).await?).await
    }

    pub async fn remove_map(token: &str) -> ApiResult<()> {
        let response = send(authorized(Request::delete("/api/admin/map"), token)).await?;
        match response.status() {
            204 => Ok(()),
            _ => answer::<()>(response).await,
        }
    }

    pub async fn import_roster(token: &str, csv: String) -> ApiResult<RosterReport> {
        let request = authorized(Request::post("/api/admin/roster"), token)
            .header("Content-Type", "text/csv");
        answer(send_body(request, csv.into()).await?).await
    }

    pub async fn safety(token: &str) -> ApiResult<SafetySettings> {
        answer(send(authorized(Request::get("/api/admin/safety"), token)).await?).await
    }

    pub async fn put_safety(token: &str, settings: &SafetySettings) -> ApiResult<SafetySettings> {
        let request = authorized(Request::put("/api/admin/safety"), token);
        answer(send_json(request, settings).await?).await
    }

    pub async fn audit(token: &str, action: &str, text: &str) -> ApiResult<Vec<AuditEntry>> {
        let url = format!(
            "/api/admin/audit?limit=200&action={}&text={}",
            js_sys::encode_uri_component(action),
            js_sys::encode_uri_component(text)
        );
        answer(send(authorized(Request::get(&url), token)).await?).await
    }
}

/// The agency's map pack: what it is, and its bytes a piece at a time.
pub mod map {
    use super::*;
    use tenfour_protocol::wire::MapPack;

    /// `None` when the agency has no pack.
    pub async fn pack(token: &str) -> ApiResult<Option<MapPack>> {
        match answer(send(authorized(Request::get("/api/map"), token)).await?).await {
            Ok(pack) => Ok(Some(pack)),
            Err(ApiError::Refused { status: 404, .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// A piece of the pack.
    pub enum Piece {
        /// The bytes asked for.
        Bytes(Vec<u8>),
        /// The pack is no longer the version `etag` names: start over.
        Changed,
    }

    /// Bytes `start..end` of the version `etag` names.
    pub async fn piece(token: &str, etag: &str, start: u64, end: u64) -> ApiResult<Piece> {
        let request = authorized(Request::get("/api/map/pack"), token)
            .header("Range", &format!("bytes={start}-{}", end - 1))
            .header("If-Range", etag);
        let response = send(request).await?;
        match response.status() {
            206 => {
                let bytes = response
                    .binary()
                    .await
                    .map_err(|e| ApiError::Unreachable(format!("the map broke off: {e}")))?;
                if bytes.len() as u64 == end - start {
                    Ok(Piece::Bytes(bytes))
                } else {
                    Err(ApiError::Unreachable("the map broke off".into()))
                }
            }
            200 | 416 => Ok(Piece::Changed),
            _ => answer::<()>(response).await.map(|()| Piece::Changed),
        }
    }
}
