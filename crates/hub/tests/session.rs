//! Signing in and out, choosing a unit, and the tokens the hub refuses.

mod common;

use common::{PASSWORD, TestHub};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn responder_signs_in_to_a_unit_and_sees_it() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("m12")).await;
    let (status, me) = medic.get("/api/session").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["role"], "responder");
    assert_eq!(me["unit"]["callsign"], "M12");
    assert_eq!(me["agency"]["slug"], "demo");
    assert!(
        me.get("token").is_none(),
        "the token is only in the sign-in answer"
    );
}

#[tokio::test]
async fn sign_in_sets_a_stream_cookie_that_is_http_only() {
    let hub = TestHub::start();
    let response = hub
        .anonymous()
        .request(Method::POST, "/api/session")
        .json(&json!({"username": "dispatch", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("tenfour_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let hub = TestHub::start();
    let anon = hub.anonymous();
    let (s1, p1) = anon
        .post(
            "/api/session",
            json!({"username": "medic1", "password": "nope"}),
        )
        .await;
    let (s2, p2) = anon
        .post(
            "/api/session",
            json!({"username": "ghost", "password": "nope"}),
        )
        .await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s2, StatusCode::UNAUTHORIZED);
    assert_eq!(p1["detail"], p2["detail"]);
}

#[tokio::test]
async fn repeated_failures_slow_that_address_without_locking_the_user_out() {
    // Behind a proxy the hub reads each client's address from X-Forwarded-For, so one test
    // can sign in from two places.
    let hub = TestHub::start_with(&[], &["--behind-tls-proxy"]);
    let attempt = |from: &'static str, password: &'static str| {
        hub.anonymous()
            .request(Method::POST, "/api/session")
            .header("x-forwarded-for", from)
            .json(&json!({"username": "dispatch", "password": password}))
            .send()
    };
    // A few mistakes cost nothing; after the fourth, the next try must wait.
    for _ in 0..4 {
        let response = attempt("198.51.100.1", "guess").await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // From there, even the right password must wait a little...
    let response = attempt("198.51.100.1", PASSWORD).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // ...while the dispatch desk, elsewhere, signs in at once, as does another user.
    let response = attempt("198.51.100.2", PASSWORD).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    hub.sign_in("officer2", Some("P9")).await;
    // After the wait the right password works from the first address too: no lock-out.
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let response = attempt("198.51.100.1", PASSWORD).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn unknown_unit_lists_the_units_there_are() {
    let hub = TestHub::start();
    let (status, problem) = hub
        .anonymous()
        .post(
            "/api/session",
            json!({"username": "medic1", "password": PASSWORD, "unit": "Z99"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("Z99") && detail.contains("M12"), "{detail}");
}

#[tokio::test]
async fn a_unit_can_be_chosen_after_sign_in() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic2", None).await;
    let (status, _) = medic.post("/api/sync/push", json!({"entries": []})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no unit yet: no field actions"
    );
    let (status, me) = medic
        .send(
            Method::PUT,
            "/api/session/unit",
            Some(json!({"unit": "M14"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["unit"]["callsign"], "M14");
    let (status, _) = medic.post("/api/sync/push", json!({"entries": []})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn signed_out_forged_and_missing_tokens_are_refused() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let (status, _) = medic.send(Method::DELETE, "/api/session", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = medic.get("/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(problem["detail"].as_str().unwrap().contains("signed out"));

    let mut forged = hub.anonymous();
    forged.token = Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into());
    assert_eq!(forged.get("/api/session").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        hub.anonymous().get("/api/board").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_expired_session_is_refused_with_a_reason() {
    // A shift of zero seconds: every token is expired as soon as it is issued.
    let hub = TestHub::start_with(&[], &["--session-ttl", "0"]);
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let (status, problem) = medic.get("/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("expired") && detail.contains("kept"),
        "{detail}"
    );
}

#[tokio::test]
async fn malformed_sign_in_bodies_get_problems() {
    let hub = TestHub::start();
    let anon = hub.anonymous();
    let (status, _) = anon
        .post("/api/session", json!({"username": "medic1"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, problem) = anon
        .post(
            "/api/session",
            json!({"username": "medic1", "password": PASSWORD, "role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field `role`")
    );
    let response = anon
        .request(Method::POST, "/api/session")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let response = anon
        .request(Method::POST, "/api/session")
        .body(r#"{"username":"a","password":"b"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn tokens_and_passwords_never_reach_the_log() {
    // Debug logging, everything the hub can say, captured.
    let log = tempfile::NamedTempFile::new().unwrap();
    let hub = TestHub::start_logging(log.path());
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let token = medic.token.clone().unwrap();
    medic.get("/api/session").await;
    medic.get("/api/sync/changes?since=0").await;
    let (status, _) = hub
        .anonymous()
        .post(
            "/api/session",
            json!({"username": "medic1", "password": "wrong-secret"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    drop(hub);
    let text = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        text.contains("signed in"),
        "the log was captured: {} bytes",
        text.len()
    );
    assert!(!text.contains(&token), "a session token was logged");
    assert!(
        !text.contains(PASSWORD) && !text.contains("wrong-secret"),
        "a password was logged"
    );
}
