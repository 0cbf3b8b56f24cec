//! The one error type of every handler, answered as `application/problem+json`.
//!
//! Database and internal failures are logged with their cause and answered without it: a
//! client learns what it can do, never how the hub is built.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tenfour_protocol::Problem;
use tenfour_protocol::problem::PROBLEM_JSON;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    NotFound(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl Error {
    fn problem(&self) -> Problem {
        match self {
            Error::NotFound(detail) => Problem::new("not-found", 404, "Not found", detail.clone()),
            Error::Database(_) => Problem::new(
                "unavailable",
                503,
                "Storage unavailable",
                "the hub could not reach its database; nothing was changed, try again shortly",
            ),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Database(err) = &self {
            tracing::error!(error = %err, "database error");
        }
        problem_response(self.problem())
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
