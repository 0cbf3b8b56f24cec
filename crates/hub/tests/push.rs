//! Web Push against a push service running inside the test, speaking RFC 8030 on loopback:
//! it checks the VAPID token (audience, expiry, signature against the key the device
//! subscribed with), decrypts the message with the device's keys, and answers 201 — or, on
//! the endpoints named so, 404, 410, 429 then 201, or never.

mod common;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as HttpStatus};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Client, Device, TestHub, query};
use p256::SecretKey;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tenfour_hub::push::ece;
use tokio::sync::mpsc;

/// A message as the push service received and read it.
#[derive(Debug)]
struct Delivery {
    endpoint: String,
    urgency: String,
    topic: Option<String>,
    ttl: u64,
    message: Value,
}

/// A browser's side of one subscription.
struct Browser {
    secret: SecretKey,
    auth: [u8; 16],
}

#[derive(Default)]
struct Service {
    /// The VAPID key devices subscribed with (`k=` must be it).
    key: Mutex<String>,
    browsers: Mutex<HashMap<String, Browser>>,
    busy_answered: Mutex<bool>,
    /// Every request, verified or not: (endpoint, what went wrong if anything).
    deliveries: Mutex<Option<mpsc::UnboundedSender<Result<Delivery, String>>>>,
    origin: Mutex<String>,
}

struct PushService {
    url: String,
    state: Arc<Service>,
    deliveries: mpsc::UnboundedReceiver<Result<Delivery, String>>,
}

impl PushService {
    async fn start() -> PushService {
        let state = Arc::new(Service::default());
        let (send, deliveries) = mpsc::unbounded_channel();
        *state.deliveries.lock().unwrap() = Some(send);
        let app = axum::Router::new()
            .route("/push/{name}", axum::routing::post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        *state.origin.lock().unwrap() = url.clone();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        PushService {
            url,
            state,
            deliveries,
        }
    }

    /// A new browser subscription at `/push/{name}`, as the device's PushSubscription.toJSON().
    fn subscription(&self, name: &str) -> Value {
        let secret = SecretKey::random(&mut rand_core::OsRng);
        let auth: [u8; 16] = rand_core::RngCore::next_u64(&mut rand_core::OsRng)
            .to_be_bytes()
            .repeat(2)
            .try_into()
            .unwrap();
        let endpoint = format!("{}/push/{name}", self.url);
        let p256dh = URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes());
        self.state
            .browsers
            .lock()
            .unwrap()
            .insert(endpoint.clone(), Browser { secret, auth });
        json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {"p256dh": p256dh, "auth": URL_SAFE_NO_PAD.encode(auth)},
        })
    }

    async fn next(&mut self) -> Delivery {
        tokio::time::timeout(Duration::from_secs(10), self.deliveries.recv())
            .await
            .expect("a push arrives within 10 s")
            .expect("the push service runs")
            .unwrap_or_else(|problem| panic!("the push service refused a push: {problem}"))
    }
}

async fn receive(
    State(service): State<Arc<Service>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (HttpStatus, [(&'static str, &'static str); 1]) {
    let endpoint = format!("{}/push/{name}", service.origin.lock().unwrap());
    let verdict = verify(&service, &endpoint, &headers, &body);
    let refused = verdict.is_err();
    if let Some(send) = service.deliveries.lock().unwrap().as_ref() {
        let _ = send.send(verdict);
    }
    let none = [("x-push", "test")];
    if refused {
        return (HttpStatus::FORBIDDEN, none);
    }
    match name.as_str() {
        "gone" => (HttpStatus::GONE, none),
        "missing" => (HttpStatus::NOT_FOUND, none),
        "big" => (HttpStatus::PAYLOAD_TOO_LARGE, none),
        "busy" => {
            let mut answered = service.busy_answered.lock().unwrap();
            if *answered {
                (HttpStatus::CREATED, none)
            } else {
                *answered = true;
                (HttpStatus::TOO_MANY_REQUESTS, [("retry-after", "0")])
            }
        }
        _ => (HttpStatus::CREATED, none),
    }
}

fn verify(
    service: &Service,
    endpoint: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Delivery, String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if header("content-encoding").as_deref() != Some("aes128gcm") {
        return Err("Content-Encoding is not aes128gcm".into());
    }
    let ttl: u64 = header("ttl").and_then(|t| t.parse().ok()).ok_or("no TTL")?;
    let urgency = header("urgency").ok_or("no Urgency")?;
    if !["very-low", "low", "normal", "high"].contains(&urgency.as_str()) {
        return Err(format!("Urgency {urgency}"));
    }
    let topic = header("topic");
    if let Some(topic) = &topic
        && (topic.len() > 32
            || !topic
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(format!(
            "Topic {topic:?} is not 32 base64url characters at most"
        ));
    }
    // RFC 8292: Authorization: vapid t=<JWT>, k=<the application server's public key>.
    let authorization = header("authorization").ok_or("no Authorization")?;
    let (token, key) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .ok_or("Authorization is not vapid t=..., k=...")?;
    if key != *service.key.lock().unwrap() {
        return Err("k= is not the key the device subscribed with".into());
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err("the token is not a JWT".into());
    }
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string());
    let jwt_header: Value =
        serde_json::from_slice(&decode(parts[0])?).map_err(|e| e.to_string())?;
    if jwt_header["alg"] != "ES256" {
        return Err("the token is not ES256".into());
    }
    let claims: Value = serde_json::from_slice(&decode(parts[1])?).map_err(|e| e.to_string())?;
    if claims["aud"] != *service.origin.lock().unwrap() {
        return Err(format!("aud {} is not this push service", claims["aud"]));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = claims["exp"].as_u64().ok_or("no exp")?;
    if exp <= now || exp > now + 24 * 3600 {
        return Err(format!("exp {exp} is not within the next 24 hours"));
    }
    if !claims["sub"]
        .as_str()
        .is_some_and(|s| s.starts_with("mailto:") || s.starts_with("https:"))
    {
        return Err("no contact in sub".into());
    }
    let verifying = VerifyingKey::from_sec1_bytes(&decode(key)?).map_err(|e| e.to_string())?;
    let signature = Signature::from_slice(&decode(parts[2])?).map_err(|e| e.to_string())?;
    verifying
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .map_err(|_| "the token's signature does not verify with k=".to_owned())?;
    let browsers = service.browsers.lock().unwrap();
    let browser = browsers.get(endpoint).ok_or("no such subscription")?;
    let plain = ece::decrypt(body, &browser.secret, &browser.auth).map_err(|e| e.to_string())?;
    let message = serde_json::from_slice(&plain).map_err(|e| e.to_string())?;
    Ok(Delivery {
        endpoint: endpoint.to_owned(),
        urgency,
        topic,
        ttl,
        message,
    })
}

/// Signs a responder in to a unit and subscribes the session at `/push/{name}`.
async fn subscribed(
    hub: &TestHub,
    service: &PushService,
    user: &str,
    unit: &str,
    name: &str,
) -> Client {
    let client = hub.sign_in(user, Some(unit)).await;
    let key: Value = client.ok(Method::GET, "/api/push/key", None).await;
    *service.state.key.lock().unwrap() = key["public_key"].as_str().unwrap().to_owned();
    let (status, body) = client
        .send(
            Method::PUT,
            "/api/push/subscription",
            Some(service.subscription(name)),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    client
}

async fn unit_id(dispatch: &Client, callsign: &str) -> i64 {
    let units: Value = dispatch.ok(Method::GET, "/api/units", None).await;
    units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["callsign"] == callsign)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn assign(dispatch: &Client, call: i64, callsign: &str) {
    let unit = unit_id(dispatch, callsign).await;
    dispatch
        .ok::<Value>(
            Method::POST,
            &format!("/api/incidents/{call}/assignments"),
            Some(json!({"unit_id": unit})),
        )
        .await;
}

async fn new_call(dispatch: &Client) -> i64 {
    let incident: Value = dispatch
        .ok(
            Method::POST,
            "/api/incidents",
            Some(json!({
                "nature_code": "CARDIAC",
                "priority": 1,
                "address": "500 Harbor Way",
                "cautions": ["Aggressive dog"],
                "caller_name": "Pat Jones",
                "caller_notes": "Husband collapsed in the kitchen, not breathing."
            })),
        )
        .await;
    incident["id"].as_i64().unwrap()
}

fn hub() -> TestHub {
    TestHub::start_with(&[], &["--push-timeout", "2"])
}

#[tokio::test]
async fn a_crews_phone_hears_of_its_new_call_its_notes_and_its_end_encrypted_and_signed() {
    let hub = hub();
    let mut service = PushService::start().await;
    let _m14 = subscribed(&hub, &service, "medic2", "M14", "m14").await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let call = new_call(&dispatch).await;

    assign(&dispatch, call, "M14").await;
    let pushed = service.next().await;
    assert!(pushed.endpoint.ends_with("/push/m14"));
    assert_eq!(pushed.urgency, "high");
    assert_eq!(
        pushed.topic.as_deref(),
        Some(format!("incident-{call}").as_str())
    );
    assert!(pushed.ttl > 0);
    assert_eq!(pushed.message["kind"], "assignment");
    assert_eq!(pushed.message["incident_id"], call);
    let title = pushed.message["title"].as_str().unwrap();
    assert!(title.contains("P1") && title.contains("Cardiac"), "{title}");
    let body = pushed.message["body"].as_str().unwrap();
    assert!(
        body.contains("500 Harbor Way") && body.contains("Aggressive dog"),
        "{body}"
    );

    // A note: the phone is told there is one, not what it says, and not who called.
    dispatch
        .ok::<Value>(
            Method::POST,
            &format!("/api/incidents/{call}/notes"),
            Some(json!({"text": "Patient is on the second floor, door code 4471"})),
        )
        .await;
    let noted = service.next().await;
    assert_eq!(noted.message["kind"], "note");
    assert_eq!(noted.urgency, "normal");
    assert_eq!(
        noted.topic.as_deref(),
        Some(format!("incident-{call}").as_str())
    );
    let text = noted.message.to_string();
    assert!(
        !text.contains("4471") && !text.contains("Pat Jones"),
        "{text}"
    );

    dispatch
        .ok::<Value>(Method::POST, &format!("/api/incidents/{call}/cancel"), None)
        .await;
    let cancelled = service.next().await;
    assert_eq!(cancelled.message["kind"], "cancelled");
    assert_eq!(cancelled.urgency, "high");

    let admin = hub.sign_in("admin", None).await;
    let attempts: Value = admin
        .ok(Method::GET, "/api/admin/push/attempts", None)
        .await;
    let attempts = attempts.as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert!(
        attempts
            .iter()
            .all(|a| a["status"] == 201 && a["latency_ms"].is_i64())
    );
}

#[tokio::test]
async fn note_text_reaches_the_lock_screen_only_where_the_agency_allows_it() {
    let hub = hub();
    let mut service = PushService::start().await;
    let _m14 = subscribed(&hub, &service, "medic2", "M14", "m14").await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let call = new_call(&dispatch).await;
    assign(&dispatch, call, "M14").await;
    service.next().await;
    let admin = hub.sign_in("admin", None).await;
    let mut settings: Value = admin.ok(Method::GET, "/api/admin/safety", None).await;
    assert_eq!(settings["push_details"], false, "off unless chosen");
    settings["push_details"] = json!(true);
    let saved: Value = admin
        .ok(Method::PUT, "/api/admin/safety", Some(settings))
        .await;
    assert_eq!(saved["push_details"], true);
    dispatch
        .ok::<Value>(
            Method::POST,
            &format!("/api/incidents/{call}/notes"),
            Some(json!({"text": "Door code 4471, second floor"})),
        )
        .await;
    let noted = service.next().await;
    assert_eq!(noted.message["kind"], "note");
    let body = noted.message["body"].as_str().unwrap();
    assert!(body.contains("Door code 4471"), "{body}");
    assert!(
        !noted.message.to_string().contains("Pat Jones"),
        "never the caller"
    );
}

#[tokio::test]
async fn the_emergency_acknowledgement_reaches_the_pocket() {
    let hub = hub();
    let mut service = PushService::start().await;
    let p7 = subscribed(&hub, &service, "officer1", "P7", "p7").await;
    let mut device = Device::new();
    let press = device.entry("emergency", json!({}));
    p7.push(vec![press]).await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let id = query(&hub, "SELECT id FROM emergencies").await[0][0].clone();
    dispatch
        .ok::<Value>(
            Method::POST,
            &format!("/api/emergencies/{id}/acknowledge"),
            None,
        )
        .await;
    let pushed = service.next().await;
    assert_eq!(pushed.message["kind"], "emergency_acknowledged");
    assert_eq!(pushed.urgency, "high");
    assert!(
        pushed.message["body"]
            .as_str()
            .unwrap()
            .contains("Dana Reyes")
    );
}

#[tokio::test]
async fn a_check_in_falling_due_reaches_the_pocket_once() {
    let hub = hub();
    let mut service = PushService::start().await;
    let admin = hub.sign_in("admin", None).await;
    // On scene: every 10 minutes, asked 9 minutes 59 seconds before (a second after arrival).
    let rules = json!({"emergency_phone": "+15035550100", "check_in": [
        {"status": "on_scene", "every_seconds": 600, "warn_seconds": 599}]});
    admin
        .ok::<Value>(Method::PUT, "/api/admin/safety", Some(rules))
        .await;
    let p7 = subscribed(&hub, &service, "officer1", "P7", "p7").await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let units: Value = dispatch.ok(Method::GET, "/api/units", None).await;
    let incident = units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["callsign"] == "P7")
        .unwrap()["incident_id"]
        .clone();
    let mut device = Device::new();
    let mut arrived = device.entry(
        "status",
        json!({"status": "on_scene", "incident_id": incident}),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    arrived["at"] = json!(now);
    p7.push(vec![arrived]).await;
    let asked = service.next().await;
    assert_eq!(asked.message["kind"], "check_in");
    assert_eq!(asked.urgency, "high");
    assert!(
        asked.message["body"]
            .as_str()
            .unwrap()
            .contains("10 minutes"),
        "{}",
        asked.message
    );
    // Once per warning: the hub's next looks at the clock do not push it again.
    let again = tokio::time::timeout(Duration::from_secs(7), service.deliveries.recv()).await;
    assert!(again.is_err(), "pushed twice: {again:?}");
}

#[tokio::test]
async fn a_gone_subscription_is_dropped_a_busy_service_tried_again_and_a_refusal_not_repeated() {
    let hub = hub();
    let mut service = PushService::start().await;
    let gone = subscribed(&hub, &service, "medic2", "M14", "gone").await;
    let _busy = subscribed(&hub, &service, "fire1", "E3", "busy").await;
    let big = subscribed(&hub, &service, "officer3", "P11", "big").await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let call = new_call(&dispatch).await;
    for unit in ["M14", "E3", "P11"] {
        assign(&dispatch, call, unit).await;
    }
    // Four requests reach the service: gone (410), big (413), busy (429), busy again (201).
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(service.next().await.endpoint);
    }
    seen.sort();
    let ends: Vec<&str> = seen.iter().map(|e| e.rsplit('/').next().unwrap()).collect();
    assert_eq!(ends, ["big", "busy", "busy", "gone"]);
    // Each attempt is recorded once answered.
    let admin = hub.sign_in("admin", None).await;
    let attempts = until(|| async {
        let attempts: Value = admin
            .ok(Method::GET, "/api/admin/push/attempts", None)
            .await;
        let attempts = attempts.as_array().unwrap().clone();
        (attempts.len() == 4).then_some(attempts)
    })
    .await;
    let mut statuses: Vec<i64> = attempts
        .iter()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    statuses.sort();
    assert_eq!(statuses, [201, 410, 413, 429]);
    // Gone: the subscription is dropped. Too large: not tried again, and kept (the next,
    // smaller message may fit).
    let (status, _) = until(|| async {
        let (status, body) = gone.get("/api/push/subscription").await;
        (status == StatusCode::NOT_FOUND).then_some((status, body))
    })
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = big.get("/api/push/subscription").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_push_service_that_never_answers_does_not_hold_up_dispatch() {
    let hub = hub();
    let mut service = PushService::start().await;
    // A listener that accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}/push/hang", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let p11 = hub.sign_in("officer3", Some("P11")).await;
    let key: Value = p11.ok(Method::GET, "/api/push/key", None).await;
    *service.state.key.lock().unwrap() = key["public_key"].as_str().unwrap().to_owned();
    let mut hanging = service.subscription("unused");
    hanging["endpoint"] = json!(silent_url);
    let (status, _) = p11
        .send(Method::PUT, "/api/push/subscription", Some(hanging))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let _m14 = subscribed(&hub, &service, "medic2", "M14", "m14").await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let call = new_call(&dispatch).await;
    // Both assignments answer, and the second crew's phone hears, while the first push
    // service still has not answered.
    for unit in ["P11", "M14"] {
        assign(&dispatch, call, unit).await;
    }
    assert!(service.next().await.endpoint.ends_with("/push/m14"));
    // The silent service's attempts end at the timeout, each recorded without a status.
    let admin = hub.sign_in("admin", None).await;
    let timed_out = until(|| async {
        let attempts: Value = admin
            .ok(Method::GET, "/api/admin/push/attempts", None)
            .await;
        attempts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["status"].is_null())
            .cloned()
    })
    .await;
    assert_eq!(timed_out["error"], "no answer in time");
    assert!(timed_out["latency_ms"].as_i64().unwrap() >= 1900);
}

#[tokio::test]
async fn sign_out_a_new_unit_and_out_of_service_stop_pushes() {
    let hub = hub();
    let service = PushService::start().await;
    let subscriptions =
        || async { query(&hub, "SELECT count(*) FROM push_subscriptions").await[0][0].clone() };

    let m14 = subscribed(&hub, &service, "medic2", "M14", "a").await;
    assert_eq!(subscriptions().await, "1");
    let (status, _) = m14.send(Method::DELETE, "/api/session", None).await;
    assert!(status.is_success());
    assert_eq!(subscriptions().await, "0", "signed out");

    let m14 = subscribed(&hub, &service, "medic2", "M14", "b").await;
    assert_eq!(subscriptions().await, "1");
    let (status, _) = m14
        .send(
            Method::PUT,
            "/api/session/unit",
            Some(json!({"unit": "E3"})),
        )
        .await;
    assert!(status.is_success());
    assert_eq!(subscriptions().await, "0", "moved to another unit");

    let m14 = subscribed(&hub, &service, "medic2", "M14", "c").await;
    let mut device = Device::new();
    let off = device.entry("status", json!({"status": "out_of_service"}));
    let answer = m14.push(vec![off]).await;
    assert_eq!(
        serde_json::to_value(answer.results[0].outcome).unwrap(),
        "applied"
    );
    assert_eq!(subscriptions().await, "0", "out of service");
}

#[tokio::test]
async fn a_subscription_the_hub_cannot_use_is_refused_with_the_reason() {
    let hub = hub();
    let service = PushService::start().await;
    let m12 = hub.sign_in("medic1", Some("M12")).await;
    let good = service.subscription("x");
    let mut plain_http = good.clone();
    plain_http["endpoint"] = json!("http://push.example.net/x");
    let mut bad_key = good.clone();
    bad_key["keys"]["p256dh"] = json!(URL_SAFE_NO_PAD.encode([4u8; 65]));
    let mut short_auth = good.clone();
    short_auth["keys"]["auth"] = json!("AAAA");
    for (body, says) in [
        (plain_http, "https://"),
        (bad_key, "p256dh"),
        (short_auth, "auth"),
        (json!({"endpoint": "https://push.example.net/x"}), "keys"),
    ] {
        let (status, problem) = m12
            .send(Method::PUT, "/api/push/subscription", Some(body))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{problem}"
        );
    }
    assert_eq!(
        query(&hub, "SELECT count(*) FROM push_subscriptions").await[0][0],
        "0"
    );
}

#[tokio::test]
async fn an_administrator_rotates_the_key_and_the_old_subscriptions_end() {
    let hub = hub();
    let service = PushService::start().await;
    let m12 = subscribed(&hub, &service, "medic1", "M12", "m12").await;
    let before: Value = m12.ok(Method::GET, "/api/push/key", None).await;
    let (status, _) = m12.send(Method::POST, "/api/admin/push/rotate", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "responders cannot rotate");
    let admin = hub.sign_in("admin", None).await;
    let rotated: Value = admin.ok(Method::POST, "/api/admin/push/rotate", None).await;
    assert_ne!(rotated["public_key"], before["public_key"]);
    let after: Value = m12.ok(Method::GET, "/api/push/key", None).await;
    assert_eq!(after, rotated);
    let (status, _) = m12.get("/api/push/subscription").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "subscribe again with the new key"
    );
    let audit: Value = admin.ok(Method::GET, "/api/admin/audit", None).await;
    assert!(audit.to_string().contains("push_key_rotated"), "{audit}");
    let (status, problem) = admin.get("/api/admin/push/attempts?limit=1001").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
}

/// Waits for `check` to give a value, up to 10 s.
async fn until<T, F, Fut>(check: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "not within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
