//! Dispatchers create incidents, add caller notes, assign, unassign, cancel and close; the
//! board shows units and active incidents. Bad input is refused and changes nothing.

mod common;

use common::TestHub;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tenfour_protocol::wire::{Board, Incident};

fn new_incident() -> Value {
    json!({
        "nature_code": "CARDIAC",
        "priority": 1,
        "address": "12 Elm Street",
        "latitude": 45.5,
        "longitude": -122.6,
        "caller_name": "Pat Doe",
        "callback": "+1 503 555 0100",
        "cautions": ["Aggressive dog"],
        "caller_notes": "Husband collapsed in the kitchen, not breathing."
    })
}

#[tokio::test]
async fn create_assign_note_and_close_an_incident() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let (status, created) = dispatch.post("/api/incidents", new_incident()).await;
    assert_eq!(status, StatusCode::CREATED);
    let incident: Incident = serde_json::from_value(created).unwrap();
    assert_eq!(
        incident.nature_text, "Cardiac or respiratory arrest",
        "label fills in"
    );
    assert_eq!(incident.cautions, vec!["Aggressive dog"]);
    assert_eq!(incident.notes.len(), 1);
    assert!(
        incident.number.ends_with("-00004"),
        "three demo incidents came first: {}",
        incident.number
    );

    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let m14 = common::unit_id(&board, "M14");
    let path = format!("/api/incidents/{}", incident.id);
    let (status, assigned) = dispatch
        .post(&format!("{path}/assignments"), json!({"unit_id": m14}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(assigned["assignments"][0]["callsign"], "M14");

    let (status, again) = dispatch
        .post(&format!("{path}/assignments"), json!({"unit_id": m14}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    let (status, noted) = dispatch
        .post(
            &format!("{path}/notes"),
            json!({"text": "Caller now doing CPR"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(noted["notes"][1]["text"], "Caller now doing CPR");
    assert_eq!(noted["notes"][1]["source"], "caller");

    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let unit = board.units.iter().find(|u| u.id == m14).unwrap();
    assert_eq!(unit.status.as_str(), "dispatched");
    assert_eq!(unit.incident_id, Some(incident.id));
    assert!(board.incidents.iter().any(|i| i.id == incident.id));

    let (status, closed) = dispatch.post(&format!("{path}/close"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(closed["state"], "closed");
    assert!(closed["assignments"][0]["cleared_at"].is_i64());
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    assert!(
        !board.incidents.iter().any(|i| i.id == incident.id),
        "closed leaves the board"
    );
    let unit = board.units.iter().find(|u| u.id == m14).unwrap();
    assert_eq!(unit.status.as_str(), "available");

    let (status, problem) = dispatch.post(&format!("{path}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(problem["detail"].as_str().unwrap().contains("closed"));
}

#[tokio::test]
async fn unassign_and_cancel_free_the_units() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let domestic = board
        .incidents
        .iter()
        .find(|i| i.nature_code == "DOMESTIC")
        .unwrap();
    let p7 = common::unit_id(&board, "P7");
    let path = format!("/api/incidents/{}", domestic.id);
    let unassigned: Incident = dispatch
        .ok(Method::DELETE, &format!("{path}/assignments/{p7}"), None)
        .await;
    let a = unassigned
        .assignments
        .iter()
        .find(|a| a.unit_id == p7)
        .unwrap();
    assert!(a.cancelled_at.is_some());
    let (status, _) = dispatch
        .send(Method::DELETE, &format!("{path}/assignments/{p7}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to unassign");

    let cancelled: Incident = dispatch
        .ok(Method::POST, &format!("{path}/cancel"), Some(json!({})))
        .await;
    assert_eq!(cancelled.state.as_str(), "cancelled");
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    for callsign in ["P7", "P9"] {
        let unit = board.units.iter().find(|u| u.callsign == callsign).unwrap();
        assert_eq!(unit.status.as_str(), "available", "{callsign}");
        assert_eq!(unit.incident_id, None);
    }
}

#[tokio::test]
async fn a_busy_unit_cannot_be_assigned_elsewhere() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let m12 = common::unit_id(&board, "M12");
    let incident: Incident = dispatch
        .ok(Method::POST, "/api/incidents", Some(new_incident()))
        .await;
    let (status, problem) = dispatch
        .post(
            &format!("/api/incidents/{}/assignments", incident.id),
            json!({"unit_id": m12}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(problem["detail"].as_str().unwrap().contains("M12"));
}

#[tokio::test]
async fn invalid_incidents_are_refused_with_the_reason_and_nothing_is_stored() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let before: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"nature_code": "UFO"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown nature code",
        ),
        (
            json!({"priority": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "priority 0",
        ),
        (
            json!({"priority": 9}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "priority 9",
        ),
        (
            json!({"priority": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "priority",
        ),
        (
            json!({"priority": "high"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "priority",
        ),
        (
            json!({"address": "   "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "address is empty",
        ),
        (
            json!({"latitude": 91.0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "latitude",
        ),
        (
            json!({"longitude": null}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "both latitude and longitude",
        ),
        (
            json!({"callback": "call me; DROP TABLE incidents"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callback",
        ),
        (
            json!({"cautions": vec!["x"; 13]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cautions",
        ),
        (
            json!({"caller_notes": "n".repeat(2001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit is 2000",
        ),
        (
            json!({"address": "a".repeat(201)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit is 200",
        ),
        (
            json!({"severity": "bad"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown field `severity`",
        ),
    ];
    for (patch, expected, words) in cases {
        let mut body = new_incident();
        for (key, value) in patch.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, problem) = dispatch.post("/api/incidents", body).await;
        assert_eq!(status, expected, "{patch}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(words), "{patch}: {detail}");
    }
    let huge = json!({"nature_code": "FALL", "priority": 1, "address": "x", "caller_notes": "x".repeat(1_100_000)});
    let (status, _) = dispatch.post("/api/incidents", huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let after: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    assert_eq!(before, after, "nothing changed");
}

#[tokio::test]
async fn notes_are_stored_as_text_exactly() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let id = board.incidents[0].id;
    let text = "<script>alert('x')</script> ' OR 1=1; -- \"quoted\" — ünïcødé 🚑";
    let incident: Incident = dispatch
        .ok(
            Method::POST,
            &format!("/api/incidents/{id}/notes"),
            Some(json!({"text": text})),
        )
        .await;
    assert_eq!(incident.notes.last().unwrap().text, text);
    let (status, _) = dispatch
        .post(&format!("/api/incidents/{id}/notes"), json!({"text": ""}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = dispatch
        .post("/api/incidents/99999/notes", json!({"text": "hi"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = dispatch
        .post("/api/incidents/abc/notes", json!({"text": "hi"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
}

#[tokio::test]
async fn lists_for_forms() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let (status, natures) = dispatch.get("/api/natures").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        natures
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["code"] == "MVC")
    );
    let (status, units) = dispatch.get("/api/units").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(units.as_array().unwrap().len(), 6);
}
