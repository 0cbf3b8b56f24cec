//! The hub's HTTP surface: `/api/...` resources, each with its own `router()`, merged here
//! with the static app and the shared layers.

mod assets;
mod board;
mod error;
mod headers;
mod health;
mod incidents;
mod openapi;
mod session;
mod stream;
mod sync;

pub use error::{ApiJson, ApiPath, ApiQuery, Error};

use crate::auth::SignInThrottle;
use crate::db::Db;
use crate::live::Live;
use axum::Router;
use axum::extract::{DefaultBodyLimit, OriginalUri};
use axum::middleware;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Largest request body: a full push batch of long notes fits with room to spare.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub dist: Arc<PathBuf>,
    pub live: Arc<Live>,
    pub ingest: crate::ingest::Ingest,
    pub throttle: Arc<SignInThrottle>,
    pub session_ttl: Duration,
    /// Turns true when the hub shuts down, so live streams end and let it stop.
    pub shutdown: watch::Receiver<bool>,
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::router())
        .merge(session::router())
        .merge(incidents::router())
        .merge(board::router())
        .merge(sync::router())
        .merge(stream::router())
        .merge(openapi::router())
        .fallback(api_not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(error::problem_layer));
    let policy = axum::http::HeaderValue::from_str(&headers::content_security_policy(&state.dist))
        .unwrap_or_else(|_| axum::http::HeaderValue::from_static("default-src 'self'"));
    let policy = Arc::new(policy);
    Router::new()
        .nest("/api", api)
        .merge(assets::router(&state.dist))
        .layer(middleware::from_fn(move |request, next| {
            headers::security_headers(policy.clone(), request, next)
        }))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `OriginalUri`: inside the nested `/api` router the plain URI has lost its prefix.
async fn api_not_found(OriginalUri(uri): OriginalUri) -> Error {
    Error::NotFound(format!(
        "there is no API endpoint at {}; see /api/openapi.json for the list",
        uri.path()
    ))
}
