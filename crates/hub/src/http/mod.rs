//! The hub's HTTP surface: `/api/...` resources, each with its own `router()`, merged here
//! with the static app and the shared layers.

mod assets;
mod error;
mod health;

pub use error::Error;

use axum::Router;
use axum::extract::OriginalUri;
use sqlx::SqlitePool;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: SqlitePool,
    pub dist: Arc<PathBuf>,
}

impl AppState {
    pub fn new(db: SqlitePool, dist: PathBuf) -> Self {
        Self {
            db,
            dist: Arc::new(dist),
        }
    }
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::router())
        .fallback(api_not_found);
    Router::new()
        .nest("/api", api)
        .merge(assets::router(&state.dist))
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
