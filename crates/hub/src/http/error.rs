//! The one error type of every handler, answered as `application/problem+json`.
//!
//! Database and internal failures are logged with their cause and answered without it: a
//! client learns what it can do, never how the hub is built. Bodies the framework produces
//! itself (405, 413 and the like) are rewritten into problems by `problem_layer`.

use crate::dispatch::Refusal;
use crate::storage::{self, Failure};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use tenfour_protocol::Problem;
use tenfour_protocol::problem::PROBLEM_JSON;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The account holds a temporary password: nothing but choosing a new one is allowed.
    #[error("choose your own password first")]
    PasswordChangeNeeded,
    #[error("{0}")]
    Unprocessable(String),
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    /// A request the framework refused before a handler ran (bad JSON, wrong type, size).
    #[error("{detail}")]
    Rejected { status: StatusCode, detail: String },
    /// A byte range that starts past the end of a file of `size` bytes.
    #[error("range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    /// The database cannot take work now (busy, full, gone): try again shortly.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    fn problem(&self) -> Problem {
        let p = |kind, status, title, detail: &str| Problem::new(kind, status, title, detail);
        match self {
            Error::BadRequest(d) => p("bad-request", 400, "Bad request", d),
            Error::Unauthorized(d) => p("unauthorized", 401, "Sign-in needed", d),
            Error::Forbidden(d) => p("forbidden", 403, "Not allowed", d),
            Error::NotFound(d) => p("not-found", 404, "Not found", d),
            Error::Conflict(d) => p("conflict", 409, "Conflict", d),
            Error::PasswordChangeNeeded => p(
                "password-change-needed",
                403,
                "Choose your own password",
                "you signed in with a temporary password; choose your own \
                 (PUT /api/session/password) before anything else",
            ),
            Error::Unprocessable(d) => p("invalid", 422, "Invalid request", d),
            Error::TooManyRequests { detail, .. } => {
                p("too-many-requests", 429, "Too many attempts", detail)
            }
            Error::Rejected { status, detail } => {
                let title = status.canonical_reason().unwrap_or("Bad request");
                p("bad-request", status.as_u16(), title, detail)
            }
            Error::RangeNotSatisfiable { size } => p(
                "range-not-satisfiable",
                416,
                "Range not satisfiable",
                &format!(
                    "the file has {size} bytes, so that range starts past its end; ask for a \
                     range that starts below {size}, or for the whole file without Range"
                ),
            ),
            Error::Unavailable(_) => p(
                "unavailable",
                503,
                "Storage unavailable",
                "the hub could not reach its database; nothing was changed, try again shortly",
            ),
            Error::Internal(_) => p(
                "internal",
                500,
                "Internal error",
                "the hub failed on its side; nothing was changed. The error is logged",
            ),
        }
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFound(d) => Error::NotFound(d),
            Refusal::Conflict(d) => Error::Conflict(d),
            Refusal::Invalid(d) => Error::Unprocessable(d),
        }
    }
}

/// A storage error by what caused it: a constraint the request broke is the client's to fix
/// (409/422); a database that cannot take work is 503; anything else is the hub's own 500.
impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        match storage::classify(&err) {
            Failure::Refused(refusal) => {
                tracing::info!(error = %err, "write refused by a stored-record constraint");
                refusal.into()
            }
            Failure::Unavailable => Error::Unavailable(err),
            Failure::Internal => Error::Internal(format!("storage: {err}")),
        }
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        let detail = match &rejection {
            JsonRejection::MissingJsonContentType(_) => JSON_PLEASE.to_owned(),
            other => other.body_text(),
        };
        body_refusal(rejection.status(), detail)
    }
}

const JSON_PLEASE: &str = "send the body as JSON with 'Content-Type: application/json'";

/// A body the hub could not read or decode, as the client should hear it.
fn body_refusal(status: StatusCode, detail: String) -> Error {
    let status = match status {
        // An unreadable body because it is too long is the one case worth its own code.
        StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        s if s == StatusCode::UNSUPPORTED_MEDIA_TYPE => s,
        s if s == StatusCode::UNPROCESSABLE_ENTITY => s,
        _ => StatusCode::BAD_REQUEST,
    };
    // The body-timeout layer cuts a body that trickles in; axum reports it as an
    // unreadable body, but the client should hear that it was too slow.
    if detail.contains("timeout") {
        return Error::Rejected {
            status: StatusCode::REQUEST_TIMEOUT,
            detail: format!(
                "the request body did not arrive within {} seconds; send it again",
                super::BODY_WITHIN.as_secs()
            ),
        };
    }
    Error::Rejected { status, detail }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Error::Rejected {
            status: StatusCode::BAD_REQUEST,
            detail: rejection.body_text(),
        }
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Error::Rejected {
            status: StatusCode::BAD_REQUEST,
            detail: format!(
                "{}; ids in the path are whole numbers",
                rejection.body_text()
            ),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match &self {
            Error::Unavailable(err) => tracing::error!(error = %err, "database unavailable"),
            Error::Internal(err) => tracing::error!(error = %err, "internal error"),
            other => tracing::info!(problem = %other, "request refused"),
        }
        let retry_after = match &self {
            Error::TooManyRequests { retry_after, .. } => Some(*retry_after),
            Error::Unavailable(_) => Some(1),
            _ => None,
        };
        let mut response = problem_response(self.problem());
        if let Error::RangeNotSatisfiable { size } = &self
            && let Ok(range) = HeaderValue::from_str(&format!("bytes */{size}"))
        {
            response.headers_mut().insert(header::CONTENT_RANGE, range);
        }
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Writes a problem document with its status and media type.
pub fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// For `/api`: any error response that is not yet a problem document becomes one, so a
/// client never has to parse two error shapes.
pub async fn problem_layer(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            "this endpoint does not accept that method; see /api/openapi.json".to_owned()
        }
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_owned(),
        other => other
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_owned(),
    };
    let title = status.canonical_reason().unwrap_or("Error");
    let mut rewritten = problem_response(Problem::new("http", status.as_u16(), title, detail));
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

/// `Json<T>` whose refusals are problem documents that name the offending field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Error> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_type);
        if !is_json {
            return Err(Error::Rejected {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                detail: JSON_PLEASE.to_owned(),
            });
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|r| body_refusal(r.status(), r.body_text()))?;
        // Every body this API takes is an object; serde would also read a struct from an
        // array of its fields, which no client means.
        if bytes.trim_ascii_start().first() == Some(&b'[') {
            return Err(Error::Unprocessable(
                "the body must be a JSON object ({ ... }); see /api/openapi.json".into(),
            ));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => match with_whole_numbers_as_integers(&bytes) {
                Some(value) => Ok(ApiJson(value)),
                None => Err(rejection.into()),
            },
        }
    }
}

/// `application/json`, or any `application/…+json`, with or without parameters.
fn is_json_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A body that failed only because a whole number was written with a fraction (`5.0`) is
/// decoded again with such numbers as integers (tried only after a failure, so the usual
/// path parses once).
fn with_whole_numbers_as_integers<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if !tenfour_protocol::wire::whole_numbers_as_integers(&mut value) {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// `Path<T>` whose refusals are problem documents.
pub struct ApiPath<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Error> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(value))
    }
}

/// `Query<T>` whose refusals are problem documents.
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Error> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}
