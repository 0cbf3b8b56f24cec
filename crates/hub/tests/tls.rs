//! Served over HTTPS with its own certificate: phones get a secure context. Plain HTTP on the
//! same port is redirected, HSTS is sent, and the session cookie is `Secure` with the
//! `__Host-` prefix.

mod common;

use common::TestHub;
use reqwest::StatusCode;
use serde_json::json;

struct Certificate {
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    pem: String,
}

/// A self-signed certificate for 127.0.0.1 and localhost, made for this test.
fn certificate(dir: &std::path::Path) -> Certificate {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("a certificate");
    let pem = made.cert.pem();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, &pem).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    Certificate { cert, key, pem }
}

fn trusting(certificate: &Certificate) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(certificate.pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_hub_serves_https_redirects_plain_http_and_marks_cookies_secure() {
    let dir = tempfile::tempdir().unwrap();
    let certificate = certificate(dir.path());
    let cert = certificate.cert.display().to_string();
    let key = certificate.key.display().to_string();
    let hub = TestHub::start_with(
        &[("index.html", b"<!doctype html><title>tenfour</title>")],
        &["--tls-cert", &cert, "--tls-key", &key],
    );
    let address = hub.url.trim_start_matches("https://").to_owned();
    assert!(hub.url.starts_with("https://"), "{}", hub.url);
    let client = trusting(&certificate);

    let health = client
        .get(format!("https://{address}/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let hsts = health.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.contains("max-age="), "{hsts}");

    let plain = client
        .get(format!("http://{address}/incident/4?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        plain.headers()["location"].to_str().unwrap(),
        format!("https://{address}/incident/4?x=1")
    );

    let signed_in = client
        .post(format!("https://{address}/api/session"))
        .json(&json!({"username": "dispatch", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("__Host-tenfour_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/;"),
        "{cookie}"
    );
    assert_eq!(
        signed_in.headers()["cache-control"].to_str().unwrap(),
        "no-store"
    );
    // The cookie alone opens the live stream (as EventSource sends it).
    let value = cookie.split(';').next().unwrap();
    let stream = client
        .get(format!("https://{address}/api/sync/stream"))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_hub_behind_a_tls_proxy_marks_cookies_secure_and_sends_hsts() {
    let hub = TestHub::start_with(&[], &["--behind-tls-proxy"]);
    let response = reqwest::Client::new()
        .post(format!("{}/api/session", hub.url))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&json!({"username": "dispatch", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-tenfour_session=") && cookie.contains("; Secure"),
        "{cookie}"
    );
    assert!(response.headers().contains_key("strict-transport-security"));
    // The audit log names the address the proxy reported.
    let rows = common::query(
        &hub,
        "SELECT address FROM audit_log WHERE action = 'sign_in'",
    )
    .await;
    assert_eq!(rows, [["203.0.113.7".to_owned()]]);
}

#[tokio::test]
async fn a_missing_certificate_stops_the_hub_with_a_clear_message() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tenfour-hub"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/cert.pem"), "{stderr}");
}
