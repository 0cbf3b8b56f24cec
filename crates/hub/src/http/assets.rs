//! The built PWA from `dist/`: precompressed files when the build left them, the app shell
//! for any other path (client-side routing), and cache headers that let hashed assets live
//! forever while the shell, manifest and service worker are always revalidated. The board
//! (dispatchers and administrators) is its own app in `dist/board/`, with its own shell for
//! the paths under `/board`.

use super::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

pub fn router(dist: &Path) -> Router<AppState> {
    if !dist.join("index.html").exists() {
        tracing::warn!(dist = %dist.display(), "no built app here: only the API is served");
        let message = format!(
            "The tenfour app is not built in {}: run `cargo xtask run` (it builds the app and starts the hub).\n",
            dist.display()
        );
        return Router::new().fallback(move || {
            let message = message.clone();
            async move { (axum::http::StatusCode::SERVICE_UNAVAILABLE, message) }
        });
    }
    let mut router = Router::new();
    let board = dist.join("board");
    if board.join("index.html").exists() {
        router = router.nest_service("/board", app_files(&board));
    } else {
        tracing::warn!(dist = %dist.display(), "no board/ in the built app: dispatchers cannot work here");
    }
    router
        .fallback_service(app_files(dist))
        .layer(middleware::from_fn(cache_control))
}

/// The files of one app, and its shell (`index.html`) for any other path.
fn app_files(folder: &Path) -> ServeDir<ServeFile> {
    let shell = ServeFile::new(folder.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    ServeDir::new(folder)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(shell)
}

async fn cache_control(request: Request, next: Next) -> Response {
    let policy = cache_policy(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status().as_u16() == 304 {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
const SHORT: &str = "public, max-age=3600";

fn cache_policy(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or_default();
    if is_hashed(name) {
        IMMUTABLE
    } else if name.contains('.') && !name.ends_with(".html") && !is_always_fresh(name) {
        SHORT
    } else {
        // index.html, the manifest, the service worker and every client route (served the shell).
        REVALIDATE
    }
}

fn is_always_fresh(name: &str) -> bool {
    matches!(name, "sw.js" | "manifest.webmanifest" | "precache.json")
}

/// Trunk names hashed files `stem-<16 hex digits>.ext` (also `stem-<hash>_bg.wasm`).
fn is_hashed(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets_are_immutable_and_the_shell_revalidates() {
        assert_eq!(cache_policy("/tenfour-0123456789abcdef_bg.wasm"), IMMUTABLE);
        assert_eq!(cache_policy("/tenfour-0123456789abcdef.js"), IMMUTABLE);
        assert_eq!(cache_policy("/app-0123456789abcdef.css"), IMMUTABLE);
        assert_eq!(cache_policy("/"), REVALIDATE);
        assert_eq!(cache_policy("/index.html"), REVALIDATE);
        assert_eq!(cache_policy("/sw.js"), REVALIDATE);
        assert_eq!(cache_policy("/manifest.webmanifest"), REVALIDATE);
        assert_eq!(cache_policy("/incidents/42"), REVALIDATE);
        assert_eq!(cache_policy("/icons/icon-192.png"), SHORT);
    }
}
