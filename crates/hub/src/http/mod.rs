//! The hub's HTTP surface: `/api/...` resources, each with its own `router()`, merged here
//! with the static app and the shared layers.

mod admin;
mod assets;
mod board;
mod caller;
mod client;
mod emergencies;
mod error;
mod headers;
mod health;
mod incidents;
mod map;
mod openapi;
mod push;
mod session;
mod stream;
mod sync;

pub use caller::Caller;
pub use error::{ApiJson, ApiPath, ApiQuery, Error};

use crate::db::Db;
use crate::live::Live;
use crate::throttle::SignInThrottle;
use axum::Router;
use axum::extract::{DefaultBodyLimit, OriginalUri};
use axum::middleware;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tower_http::compression::predicate::{NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, DefaultPredicate};
use tower_http::trace::TraceLayer;

/// Largest request body: a full push batch (`MAX_PUSH_ENTRIES` notes of `MAX_NOTE_CHARS`
/// characters) fits even when every character takes 4 bytes (about 830 KB). A device that
/// is still refused with 413 sends fewer entries at a time.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a client may take to send a request body.
pub const BODY_WITHIN: Duration = Duration::from_secs(30);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub dist: Arc<PathBuf>,
    pub live: Arc<Live>,
    /// Closes the live streams of sessions that end.
    pub sessions: Arc<crate::sessions::SessionWatch>,
    /// Caps on live streams per session and per agency.
    pub streams: Arc<crate::sessions::StreamSlots>,
    pub ingest: crate::ingest::Ingest,
    /// Web Push deliveries, in the background.
    pub push: Arc<crate::push::Pusher>,
    pub throttle: Arc<SignInThrottle>,
    pub session_ttl: Duration,
    /// Served over HTTPS (by the hub or a proxy): `Secure` cookies and HSTS.
    pub https: bool,
    /// TLS ends at a trusted proxy, which reports the client in `X-Forwarded-For`.
    pub behind_tls_proxy: bool,
    /// The agencies' map packs.
    pub maps: Arc<crate::maps::Packs>,
    /// Turns true when the hub shuts down, so live streams end and let it stop.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// Stops the live streams of sessions that have just ended, on this hub and (on
    /// PostgreSQL) on every other hub of the database. Call after the commit that ended them.
    pub async fn end_sessions(&self, token_hashes: &[Vec<u8>]) {
        self.sessions.end(token_hashes);
        if !self.db.is_postgres() || token_hashes.is_empty() {
            return;
        }
        let told = async {
            let mut conn = self.db.reader.acquire().await?;
            for notice in crate::sessions::ended_notices(token_hashes) {
                crate::db::execute!(
                    conn,
                    "SELECT pg_notify($1, $2)",
                    crate::sessions::SESSIONS_CHANNEL,
                    notice
                )?;
            }
            Ok::<_, sqlx::Error>(())
        };
        if let Err(err) = told.await {
            // The other hubs end these streams when they next check (`fanout.rs`), or when
            // the device reconnects and is refused.
            tracing::warn!(error = %err, "cannot tell the other hubs of ended sessions");
        }
    }
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::router())
        .merge(session::router())
        .merge(admin::router())
        .merge(incidents::router())
        .merge(emergencies::router())
        .merge(board::router())
        .merge(sync::router())
        .merge(stream::router())
        .merge(push::router())
        .merge(map::router())
        .merge(openapi::router())
        .fallback(api_not_found)
        .layer(middleware::from_fn(headers::no_store))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A body that trickles in is cut off (408), so a slow client cannot hold a request.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            BODY_WITHIN,
        ))
        .layer(middleware::from_fn(error::problem_layer));
    let policy = axum::http::HeaderValue::from_str(&headers::content_security_policy(&state.dist))
        .unwrap_or_else(|_| axum::http::HeaderValue::from_static("default-src 'self'"));
    let policy = Arc::new(policy);
    let hsts = state.https;
    Router::new()
        .nest("/api", api)
        .merge(assets::router(&state.dist))
        .layer(middleware::from_fn(move |request, next| {
            headers::security_headers(policy.clone(), hsts, request, next)
        }))
        // Map packs go out as they are: their tiles are compressed already, and a byte
        // range must count the file's own bytes.
        .layer(
            CompressionLayer::new().compress_when(
                DefaultPredicate::new().and(NotForContentType::const_new(map::PMTILES)),
            ),
        )
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
