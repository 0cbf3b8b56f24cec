//! Talking to the hub's JSON API. Every failure is sorted into what the caller must do about
//! it: wait for the network, sign in again, or show the hub's reason.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tenfour_protocol::Problem;
use tenfour_protocol::wire::{
    ChangesPage, ChooseUnit, OutboxEntry, PushRequest, PushResponse, SessionInfo, SignIn, Unit,
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

async fn send(builder: RequestBuilder) -> ApiResult<Response> {
    builder
        .send()
        .await
        .map_err(|e| ApiError::Unreachable(e.to_string()))
}

/// The body of a successful answer, or the problem it carries.
async fn answer<T: DeserializeOwned>(response: Response) -> ApiResult<T> {
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

pub async fn push(token: &str, entries: Vec<OutboxEntry>) -> ApiResult<PushResponse> {
    let body = PushRequest { entries };
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
