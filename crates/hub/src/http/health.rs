//! `GET /api/health`: the build's version and whether the database answers.

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use tenfour_protocol::{DatabaseHealth, Health};

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let ping = match state.db.reader.acquire().await {
        Ok(mut conn) => conn.ping().await,
        Err(err) => Err(err),
    };
    let database = match ping {
        Ok(_) => DatabaseHealth::Ok,
        Err(err) => {
            tracing::warn!(error = %err, "health check: database unavailable");
            DatabaseHealth::Unavailable
        }
    };
    let status = match database {
        DatabaseHealth::Ok => StatusCode::OK,
        DatabaseHealth::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    let health = Health {
        service: "tenfour-hub".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        database,
    };
    (status, Json(health))
}
