//! A corpus of malformed and hostile requests against every endpoint: each gets a 4xx
//! problem+json with a detail a person can act on, and the database is exactly as before.

mod common;

use common::{Client, TestHub, query};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tenfour_protocol::wire::Board;

/// Every row of every table, as text: what "unchanged" is compared on.
async fn snapshot(hub: &TestHub) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for table in [
        "agencies",
        "users",
        "units",
        "sessions",
        "incidents",
        "notes",
        "assignments",
        "status_events",
        "devices",
        "processed_entries",
        "changes",
    ] {
        // Each row as one text: PostgreSQL writes a row out whole; SQLite quotes each column.
        let select = if hub.is_postgres() {
            format!("SELECT CAST(t AS TEXT) AS row FROM {table} AS t ORDER BY row")
        } else {
            let columns = query(
                hub,
                &format!("SELECT name FROM pragma_table_info('{table}')"),
            )
            .await;
            let quoted = columns
                .iter()
                .map(|c| format!("quote({})", c[0]))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            format!("SELECT {quoted} FROM {table} ORDER BY rowid")
        };
        for row in query(hub, &select).await {
            all.push(vec![table.to_owned(), row.join("|")]);
        }
    }
    all
}

/// A request of the corpus: method, path, body bytes, and whether to send the token.
struct Case {
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
    who: Who,
}

#[derive(Clone, Copy)]
enum Who {
    Dispatcher,
    Responder,
    OtherAgency,
    Forged,
    Nobody,
}

fn case(method: Method, path: &str, body: Option<Vec<u8>>, who: Who) -> Case {
    Case {
        method,
        path: path.to_owned(),
        body,
        who,
    }
}

fn json_body(value: Value) -> Option<Vec<u8>> {
    Some(value.to_string().into_bytes())
}

const BROKEN_JSON: &[&[u8]] = &[
    b"",
    b"{",
    b"}",
    b"[",
    b"null",
    b"42",
    b"\"text\"",
    b"[]",
    b"{\"a\":}",
    b"{'single': 'quotes'}",
    b"{\"trailing\": 1,}",
    b"\xff\xfe\xfd not utf-8",
    b"{\"text\": \"\xc3\x28\"}",
    b"{\"text\": \"ok\"} trailing garbage",
    b"NaN",
];

fn corpus(incident: i64, other_incident: i64, other_unit: i64, client_id: &str) -> Vec<Case> {
    use Who::*;
    let mut cases = Vec::new();
    let json_endpoints: Vec<(Method, String, Who)> = vec![
        (Method::POST, "/api/session".into(), Nobody),
        (Method::PUT, "/api/session/unit".into(), Responder),
        (Method::POST, "/api/incidents".into(), Dispatcher),
        (
            Method::POST,
            format!("/api/incidents/{incident}/notes"),
            Dispatcher,
        ),
        (
            Method::POST,
            format!("/api/incidents/{incident}/assignments"),
            Dispatcher,
        ),
        (Method::POST, "/api/sync/push".into(), Responder),
    ];
    // Broken JSON against every endpoint that takes JSON.
    for (method, path, who) in &json_endpoints {
        for body in BROKEN_JSON {
            cases.push(case(method.clone(), path, Some(body.to_vec()), *who));
        }
    }
    // Huge bodies.
    let huge = format!("{{\"text\": \"{}\"}}", "x".repeat(1_100_000)).into_bytes();
    for (method, path, who) in &json_endpoints {
        cases.push(case(method.clone(), path, Some(huge.clone()), *who));
    }
    // Sign-in: wrong types, unknown fields, hostile strings.
    for body in [
        json!({"username": 1, "password": "x"}),
        json!({"username": "x"}),
        json!({"password": "x"}),
        json!({"username": "nobody", "password": "x", "unit": 5}),
        json!({"username": "nobody", "password": "x", "admin": true}),
        json!({"username": "' OR '1'='1", "password": "' OR '1'='1"}),
        json!({"username": "dispatch'; DROP TABLE users; --", "password": "x"}),
        json!({"username": "", "password": ""}),
        json!({"username": "x".repeat(500), "password": "x"}),
        json!({"username": "nobody2", "password": "x".repeat(5000)}),
        json!({"username": "\u{0000}", "password": "x"}),
    ] {
        cases.push(case(Method::POST, "/api/session", json_body(body), Nobody));
    }
    // Choosing a unit that is not there, or is another agency's.
    for body in [
        json!({"unit": "X1"}),
        json!({"unit": "Z99"}),
        json!({"unit": 12}),
        json!({"callsign": "M12"}),
    ] {
        cases.push(case(
            Method::PUT,
            "/api/session/unit",
            json_body(body),
            Responder,
        ));
    }
    // Incidents: every field wrong in its own way.
    let good = json!({"nature_code": "FALL", "priority": 2, "address": "1 Main St"});
    let patches = vec![
        json!({"nature_code": "DROP TABLE incidents"}),
        json!({"nature_code": 5}),
        json!({"nature_code": null}),
        json!({"priority": 0}),
        json!({"priority": -3}),
        json!({"priority": 6}),
        json!({"priority": 256}),
        json!({"priority": 1e20}),
        json!({"priority": 2.5}),
        json!({"priority": "1"}),
        json!({"address": ""}),
        json!({"address": 7}),
        json!({"address": "a".repeat(201)}),
        json!({"latitude": 90.5, "longitude": 0}),
        json!({"latitude": 0, "longitude": -181}),
        json!({"latitude": "north", "longitude": 0}),
        json!({"latitude": 45.0}),
        json!({"latitude": 1e308, "longitude": 1e308}),
        json!({"callback": "call me maybe"}),
        json!({"callback": "1".repeat(40)}),
        json!({"cautions": "dog"}),
        json!({"cautions": vec!["x"; 13]}),
        json!({"cautions": [""]}),
        json!({"cautions": [1, 2]}),
        json!({"caller_notes": "n".repeat(2001)}),
        json!({"caller_name": "c".repeat(201)}),
        json!({"state": "closed"}),
        json!({"id": 1}),
        json!({"nature_text": "bell\u{0007}"}),
    ];
    for patch in patches {
        let mut body = good.clone();
        for (key, value) in patch.as_object().unwrap() {
            body[key] = value.clone();
        }
        cases.push(case(
            Method::POST,
            "/api/incidents",
            json_body(body),
            Dispatcher,
        ));
    }
    // Ids: not numbers, out of range, missing, another agency's.
    for id in [
        "abc",
        "-1",
        "0",
        "99999999999999999999",
        "1.5",
        "%27%20OR%201%3D1",
        &other_incident.to_string(),
        "424242",
    ] {
        cases.push(case(
            Method::GET,
            &format!("/api/incidents/{id}"),
            None,
            Dispatcher,
        ));
        cases.push(case(
            Method::POST,
            &format!("/api/incidents/{id}/notes"),
            json_body(json!({"text": "hi"})),
            Dispatcher,
        ));
        cases.push(case(
            Method::POST,
            &format!("/api/incidents/{id}/cancel"),
            None,
            Dispatcher,
        ));
        cases.push(case(
            Method::POST,
            &format!("/api/incidents/{id}/close"),
            None,
            Dispatcher,
        ));
        if id != other_incident.to_string() {
            cases.push(case(
                Method::DELETE,
                &format!("/api/incidents/{incident}/assignments/{id}"),
                None,
                Dispatcher,
            ));
        }
    }
    cases.push(case(
        Method::DELETE,
        &format!("/api/incidents/{incident}/assignments/{other_unit}"),
        None,
        Dispatcher,
    ));
    for body in [
        json!({"unit_id": other_unit}),
        json!({"unit_id": "M12"}),
        json!({"unit_id": -1}),
        json!({"unit": 1}),
        json!({}),
    ] {
        cases.push(case(
            Method::POST,
            &format!("/api/incidents/{incident}/assignments"),
            json_body(body),
            Dispatcher,
        ));
    }
    for text in [
        json!(""),
        json!("   "),
        json!("n".repeat(2001)),
        json!(5),
        json!(null),
    ] {
        cases.push(case(
            Method::POST,
            &format!("/api/incidents/{incident}/notes"),
            json_body(json!({"text": text})),
            Dispatcher,
        ));
    }
    // Push: every way an entry can be malformed.
    let entry = json!({
        "client_id": client_id, "seq": 1, "id": "9f0e6b1e-8d4e-4b5e-a4d7-1c2b3a4d5e6f",
        "at": 1_764_000_000_000_i64, "kind": "status", "payload": {"status": "en_route"},
    });
    let entry_patches = vec![
        json!({"client_id": "not-a-uuid"}),
        json!({"client_id": 7}),
        json!({"id": "also-not-a-uuid"}),
        json!({"seq": 0}),
        json!({"seq": -1}),
        json!({"seq": 18446744073709551616_f64}),
        json!({"seq": "1"}),
        json!({"at": -1}),
        json!({"at": 9e18}),
        json!({"at": "yesterday"}),
        json!({"kind": "teleport"}),
        json!({"kind": null}),
        json!({"payload": {"status": "flying"}}),
        json!({"payload": {"status": "en_route", "speed": 80}}),
        json!({"payload": {}}),
        json!({"payload": "en_route"}),
        json!({"payload": {"status": "en_route", "location": {"latitude": 91, "longitude": 0}}}),
        json!({"kind": "field_note", "payload": {"incident_id": 1, "text": "x".repeat(2001)}}),
        json!({"kind": "field_note", "payload": {"incident_id": 1, "text": ""}}),
        json!({"kind": "field_note", "payload": {"incident_id": "one", "text": "hi"}}),
        json!({"kind": "acknowledge", "payload": {"assignment_id": "first"}}),
        json!({"kind": "acknowledge", "payload": {}}),
        json!({"extra": true}),
    ];
    for patch in entry_patches {
        let mut bad = entry.clone();
        for (key, value) in patch.as_object().unwrap() {
            bad[key] = value.clone();
        }
        cases.push(case(
            Method::POST,
            "/api/sync/push",
            json_body(json!({"entries": [bad]})),
            Responder,
        ));
        // A malformed entry after a good one refuses the whole batch: the good one too.
        cases.push(case(
            Method::POST,
            "/api/sync/push",
            json_body(json!({"entries": [entry.clone(), bad]})),
            Responder,
        ));
    }
    let mut other_device = entry.clone();
    other_device["client_id"] = json!("0b1c9a8e-64a4-4c1a-9c55-2a3f1e9b7d11");
    cases.push(case(
        Method::POST,
        "/api/sync/push",
        json_body(json!({"entries": [entry.clone(), other_device]})),
        Responder,
    ));
    cases.push(case(
        Method::POST,
        "/api/sync/push",
        json_body(json!({"entries": vec![entry.clone(); 101]})),
        Responder,
    ));
    cases.push(case(
        Method::POST,
        "/api/sync/push",
        json_body(json!({"entries": [entry.clone()]})),
        Dispatcher,
    ));
    cases.push(case(
        Method::POST,
        "/api/sync/push",
        json_body(json!({"entries": [entry.clone()]})),
        Forged,
    ));
    cases.push(case(
        Method::POST,
        "/api/sync/push",
        json_body(json!({"entries": [entry.clone()]})),
        Nobody,
    ));
    // Cursors and paging.
    for q in [
        "since=-1",
        "since=abc",
        "since=99999999",
        "since=18446744073709551616",
        "limit=0",
        "limit=501",
        "limit=-5",
        "limit=x",
        "cursor=3",
        "since=1&since=2",
    ] {
        cases.push(case(
            Method::GET,
            &format!("/api/sync/changes?{q}"),
            None,
            Responder,
        ));
    }
    for q in ["since=-1", "since=99999999", "from=2"] {
        cases.push(case(
            Method::GET,
            &format!("/api/sync/stream?{q}"),
            None,
            Dispatcher,
        ));
    }
    // Tokens: forged, missing, other agency, wrong role.
    for (method, path) in [
        (Method::GET, "/api/board"),
        (Method::GET, "/api/session"),
        (Method::GET, "/api/units"),
        (Method::GET, "/api/sync/changes"),
        (Method::GET, "/api/sync/stream"),
        (Method::DELETE, "/api/session"),
    ] {
        cases.push(case(method.clone(), path, None, Forged));
        cases.push(case(method, path, None, Nobody));
    }
    cases.push(case(
        Method::GET,
        &format!("/api/incidents/{incident}"),
        None,
        OtherAgency,
    ));
    cases.push(case(
        Method::POST,
        &format!("/api/incidents/{incident}/cancel"),
        None,
        OtherAgency,
    ));
    cases.push(case(
        Method::POST,
        &format!("/api/incidents/{incident}/notes"),
        json_body(json!({"text": "x"})),
        OtherAgency,
    ));
    cases.push(case(Method::GET, "/api/board", None, Responder));
    cases.push(case(
        Method::POST,
        "/api/incidents",
        json_body(good.clone()),
        Responder,
    ));
    // Methods an endpoint does not take, and paths that do not exist.
    for (method, path) in [
        (Method::PATCH, "/api/incidents"),
        (Method::PUT, "/api/board"),
        (Method::DELETE, "/api/sync/push"),
        (Method::GET, "/api/sync/push"),
        (Method::POST, "/api/health"),
        (Method::GET, "/api/v2/incidents"),
        (Method::POST, "/api/incidents/1/reopen"),
    ] {
        cases.push(case(method, path, None, Dispatcher));
    }
    cases
}

#[tokio::test]
async fn hostile_requests_get_problems_and_change_nothing() {
    let hub = TestHub::start();
    let dispatcher = hub.sign_in("dispatch", None).await;
    let responder = hub.sign_in("medic1", Some("M12")).await;
    let other = hub.sign_in("other-dispatch", None).await;
    let board: Board = dispatcher.ok(Method::GET, "/api/board", None).await;
    let other_board: Board = other.ok(Method::GET, "/api/board", None).await;
    let nobody = hub.anonymous();
    let mut forged = hub.anonymous();
    forged.token = Some("dGhpcyBpcyBub3QgYSB0b2tlbiBhdCBhbGwgYXQgYWxsIQ".into());

    let before = snapshot(&hub).await;
    let cases = corpus(
        board.incidents[0].id,
        other_board.incidents[0].id,
        other_board.units[0].id,
        "0b1c9a8e-64a4-4c1a-9c55-2a3f1e9b7d10",
    );
    assert!(
        cases.len() >= 200,
        "the corpus has {} requests",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let client: &Client = match case.who {
            Who::Dispatcher => &dispatcher,
            Who::Responder => &responder,
            Who::OtherAgency => &other,
            Who::Forged => &forged,
            Who::Nobody => &nobody,
        };
        let mut request = client.request(case.method.clone(), &case.path);
        if let Some(body) = &case.body {
            request = request
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let response = request.send().await.expect("the hub answers");
        let status = response.status();
        let kind = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let body = response.text().await.unwrap_or_default();
        let problem: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let good_problem = kind == "application/problem+json"
            && problem["status"] == status.as_u16()
            && problem["detail"].as_str().is_some_and(|d| d.len() > 10);
        if !status.is_client_error() || !good_problem {
            failures.push(format!(
                "{} {} -> {status} {kind} {body:.200}",
                case.method, case.path
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let after = snapshot(&hub).await;
    assert_eq!(before.len(), after.len(), "no row added or removed");
    assert!(before == after, "no row changed");
    // The hub is still well: the responder can still act.
    assert_eq!(responder.get("/api/session").await.0, StatusCode::OK);
    println!(
        "bad-input corpus: {} requests, all refused with a problem, database unchanged",
        cases.len()
    );
}

#[tokio::test]
async fn whole_numbers_written_with_a_fraction_are_accepted_as_json_schema_allows() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let incident = board.incidents[0].id;
    let free = board
        .units
        .iter()
        .find(|u| u.incident_id.is_none())
        .unwrap()
        .id;
    let (status, body) = dispatch
        .post(
            &format!("/api/incidents/{incident}/assignments"),
            json!({"unit_id": free as f64}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The same inside a device's entry payload.
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = common::Device::new();
    let mut entry = device.entry("field_note", json!({"incident_id": 1.0, "text": "x"}));
    entry["payload"]["incident_id"] = json!(incident as f64);
    entry["at"] = json!(1_764_000_000_000.0);
    let (status, body) = medic
        .post("/api/sync/push", json!({"entries": [entry]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["outcome"], "applied", "{body}");

    // A fraction that is not whole stays an error that says so.
    let (status, body) = dispatch
        .post(
            &format!("/api/incidents/{incident}/assignments"),
            json!({"unit_id": 4.5}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn a_body_that_is_an_array_is_refused_not_read_as_fields() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let before = snapshot(&hub).await;
    let (status, body) = admin
        .send(
            Method::PATCH,
            "/api/admin/users/2",
            Some(json!([null, null])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("JSON object"));
    assert_eq!(snapshot(&hub).await, before);
}

#[tokio::test]
async fn a_wrong_current_password_is_forbidden_before_the_policy_is_explained() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let (status, body) = medic
        .send(
            Method::PUT,
            "/api/session/password",
            Some(json!({"current_password": "not it at all", "new_password": "aaaa"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("current password")
    );
}
