//! The hub serves the built app and answers health and unknown API paths, over real HTTP.

mod common;

use common::TestHub;
use reqwest::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};

const WASM: &str = "tenfour-0123456789abcdef_bg.wasm";
const JS: &str = "tenfour-0123456789abcdef.js";
const BOARD_JS: &str = "board/tenfour-board-fedcba9876543210.js";

fn app() -> TestHub {
    let js = "console.log('tenfour');\n".repeat(200);
    TestHub::start_with(
        &[
            (
                "index.html",
                b"<!doctype html><title>tenfour</title><script type=\"module\">boot()</script>",
            ),
            (WASM, b"\0asm\x01\0\0\0"),
            (JS, js.as_bytes()),
            ("sw.js", b"self.addEventListener('fetch', () => {});"),
            ("manifest.webmanifest", br#"{"name":"tenfour"}"#),
            ("icons/icon-192.png", b"\x89PNG"),
            (
                "board/index.html",
                b"<!doctype html><title>tenfour board</title><script type=\"module\">board()</script>",
            ),
            (BOARD_JS, b"console.log('board');"),
        ],
        &[],
    )
}

fn get(hub: &TestHub, path: &str) -> reqwest::RequestBuilder {
    hub.anonymous().request(reqwest::Method::GET, path)
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn health_reports_version_and_database() {
    let hub = app();
    let response = get(&hub, "/api/health").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(header(&response, CONTENT_TYPE).starts_with("application/json"));
    let health: tenfour_protocol::Health = response.json().await.unwrap();
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(health.database, tenfour_protocol::DatabaseHealth::Ok);
    assert!(
        hub.is_postgres() || hub.dir.path().join("hub.db").exists(),
        "database file created"
    );
}

#[tokio::test]
async fn hashed_assets_are_typed_and_cached_forever() {
    let hub = app();
    let wasm = get(&hub, &format!("/{WASM}")).send().await.unwrap();
    assert_eq!(wasm.status(), 200);
    assert_eq!(header(&wasm, CONTENT_TYPE), "application/wasm");
    assert_eq!(
        header(&wasm, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(wasm.bytes().await.unwrap().as_ref(), b"\0asm\x01\0\0\0");
}

#[tokio::test]
async fn shell_manifest_and_worker_are_revalidated() {
    let hub = app();
    for (path, kind) in [
        ("/", "text/html"),
        ("/sw.js", "text/javascript"),
        ("/manifest.webmanifest", "application/manifest+json"),
    ] {
        let response = get(&hub, path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, CACHE_CONTROL), "no-cache", "{path}");
        assert!(
            header(&response, CONTENT_TYPE).starts_with(kind),
            "{path}: {}",
            header(&response, CONTENT_TYPE)
        );
    }
}

#[tokio::test]
async fn client_routes_get_the_app_shell() {
    let hub = app();
    let response = get(&hub, "/incidents/42").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(header(&response, CONTENT_TYPE).starts_with("text/html"));
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<title>tenfour</title>")
    );
}

#[tokio::test]
async fn the_board_is_its_own_app_with_its_own_shell() {
    let hub = app();
    // The board's routes, however deep, get the board's shell; a reload of the
    // administration screen opens the board's app again.
    for path in ["/board", "/board/", "/board/admin", "/board/outbox"] {
        let response = get(&hub, path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, CACHE_CONTROL), "no-cache", "{path}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("<title>tenfour board</title>"),
            "{path}: {body}"
        );
    }
    // Its files are its own, hashed and cached forever.
    let script = get(&hub, &format!("/{BOARD_JS}")).send().await.unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(
        header(&script, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(script.text().await.unwrap(), "console.log('board');");
    // The field app keeps everything else, paths that merely start alike included.
    for path in ["/", "/admin", "/boards", "/incident/7"] {
        let body = get(&hub, path).send().await.unwrap().text().await.unwrap();
        assert!(body.contains("<title>tenfour</title>"), "{path}: {body}");
    }
}

#[tokio::test]
async fn responses_are_compressed_when_the_browser_accepts_it() {
    let hub = app();
    for encoding in ["br", "gzip"] {
        let response = get(&hub, &format!("/{JS}"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, CONTENT_ENCODING), encoding);
    }
}

#[tokio::test]
async fn unknown_api_path_is_a_json_problem() {
    let hub = app();
    let response = get(&hub, "/api/no-such-thing").send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(header(&response, CONTENT_TYPE), "application/problem+json");
    let problem: tenfour_protocol::Problem = response.json().await.unwrap();
    assert_eq!(problem.status, 404);
    assert!(
        problem.detail.contains("/api/no-such-thing"),
        "{}",
        problem.detail
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let hub = app();
    // sha256("boot()") in base64: the one inline script the page may run; and the board's.
    let boot_hash = "'sha256-MeZS89WlF0u+o0hCvHTBt4q1WHU+U+sJKgbdRUc36mY='";
    let board_hash = "'sha256-OdWkHqtvp5jjfAxt+2/2aW/HUG+Y0fDQTMn6nvLO1XM='";
    for path in ["/", "/api/health", "/api/nothing-here", &format!("/{WASM}")] {
        let response = get(&hub, path).send().await.unwrap();
        let policy = header(&response, reqwest::header::CONTENT_SECURITY_POLICY);
        assert!(policy.contains("default-src 'self'"), "{path}: {policy}");
        assert!(policy.contains("'wasm-unsafe-eval'"), "{path}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(policy.contains(boot_hash), "{path}: {policy}");
        assert!(policy.contains(board_hash), "{path}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert_eq!(
            header(&response, reqwest::header::X_CONTENT_TYPE_OPTIONS),
            "nosniff"
        );
        assert_eq!(
            header(&response, reqwest::header::REFERRER_POLICY),
            "no-referrer"
        );
    }
}

#[tokio::test]
async fn a_hub_without_the_built_app_says_how_to_build_it() {
    let hub = TestHub::start_with(&[], &[]);
    let response = get(&hub, "/").send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("cargo xtask run"));
    // The API still works.
    assert_eq!(get(&hub, "/api/health").send().await.unwrap().status(), 200);
}
