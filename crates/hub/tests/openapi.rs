//! The OpenAPI document is served, and every operation it lists exists with that method.

mod common;

use common::TestHub;
use reqwest::{Method, StatusCode};
use serde_json::Value;

#[tokio::test]
async fn every_documented_operation_exists() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let (status, doc) = dispatch.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 15, "{} paths", paths.len());
    for (path, operations) in paths {
        let concrete = path.replace("{id}", "1").replace("{unit_id}", "1");
        for method in operations.as_object().unwrap().keys() {
            if path == "/api/sync/stream" || (path == "/api/session" && method == "delete") {
                continue; // a stream never ends, and signing out would end this session
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = dispatch
                .request(method.clone(), &concrete)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = response.status();
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if status == StatusCode::NOT_FOUND {
                let problem: Value = response.json().await.unwrap();
                let detail = problem["detail"].as_str().unwrap();
                assert!(
                    !detail.contains("no API endpoint"),
                    "{method} {path}: {detail}"
                );
            }
        }
    }
}
