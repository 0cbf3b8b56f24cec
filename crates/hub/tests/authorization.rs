//! Who may do what: agencies are sealed from each other, responders act only for their own
//! unit and never reach dispatcher endpoints.

mod common;

use common::{Device, TestHub};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tenfour_protocol::wire::{Board, ChangeBody, ChangesPage, Incident};

#[tokio::test]
async fn responders_cannot_call_dispatcher_endpoints() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let calls = [
        (Method::GET, "/api/board"),
        (Method::POST, "/api/incidents"),
        (Method::GET, "/api/incidents/1"),
        (Method::POST, "/api/incidents/1/notes"),
        (Method::POST, "/api/incidents/1/assignments"),
        (Method::DELETE, "/api/incidents/1/assignments/4"),
        (Method::POST, "/api/incidents/1/cancel"),
        (Method::POST, "/api/incidents/1/close"),
    ];
    let body =
        json!({"text": "x", "unit_id": 1, "nature_code": "FALL", "priority": 1, "address": "x"});
    for (method, path) in calls {
        let needs_body = method == Method::POST;
        let (status, _) = medic
            .send(method.clone(), path, needs_body.then(|| body.clone()))
            .await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path}: {status}"
        );
        assert_ne!(status, StatusCode::OK);
    }
    // Nothing was created, cancelled or closed by any of that.
    let dispatch = hub.sign_in("dispatch", None).await;
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    assert_eq!(board.incidents.len(), 3);
    assert!(board.incidents.iter().all(|i| i.notes.len() == 1));
}

#[tokio::test]
async fn dispatchers_push_no_field_actions() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let mut device = Device::new();
    let (status, _) = dispatch
        .post(
            "/api/sync/push",
            json!({"entries": [device.entry("status", json!({"status": "available"}))]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn agencies_are_sealed_from_each_other() {
    let hub = TestHub::start();
    let other = hub.sign_in("other-dispatch", None).await;
    let other_board: Board = other.ok(Method::GET, "/api/board", None).await;
    let other_incident = &other_board.incidents[0];
    let other_unit = other_board.units[0].id;

    let dispatch = hub.sign_in("dispatch", None).await;
    let demo_board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    assert!(demo_board.units.iter().all(|u| u.callsign != "X1"));
    assert!(
        demo_board
            .incidents
            .iter()
            .all(|i| i.id != other_incident.id)
    );
    let id = other_incident.id;
    for (method, path) in [
        (Method::GET, format!("/api/incidents/{id}")),
        (Method::POST, format!("/api/incidents/{id}/notes")),
        (Method::POST, format!("/api/incidents/{id}/cancel")),
        (
            Method::DELETE,
            format!("/api/incidents/{id}/assignments/{other_unit}"),
        ),
    ] {
        let body = (method == Method::POST).then(|| json!({"text": "hello"}));
        let (status, _) = dispatch.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    // Assigning another agency's unit to one's own incident: that unit does not exist here.
    let own = demo_board
        .incidents
        .iter()
        .find(|i| i.nature_code == "MVC")
        .unwrap();
    let (status, _) = dispatch
        .post(
            &format!("/api/incidents/{}/assignments", own.id),
            json!({"unit_id": other_unit}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A demo responder cannot note on, or acknowledge, the other agency's records.
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let response: tenfour_protocol::wire::PushResponse = medic
        .ok(
            Method::POST,
            "/api/sync/push",
            Some(json!({"entries": [
                device.entry("field_note", json!({"incident_id": id, "text": "sneaky"})),
                device.entry("acknowledge", json!({"assignment_id": other_incident.assignments[0].id})),
            ]})),
        )
        .await;
    assert!(
        response.results.iter().all(|r| r.rejection().is_some()),
        "{response:?}"
    );
    let page: ChangesPage = medic
        .ok(Method::GET, "/api/sync/changes?since=0", None)
        .await;
    for change in page.changes {
        if let ChangeBody::Incident(i) = change.body {
            assert_ne!(i.id, id);
        }
    }
    let after: Incident = other
        .ok(Method::GET, &format!("/api/incidents/{id}"), None)
        .await;
    assert_eq!(&after, other_incident, "untouched");
}

#[tokio::test]
async fn a_responder_cannot_act_for_another_unit() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let domestic = board
        .incidents
        .iter()
        .find(|i| i.nature_code == "DOMESTIC")
        .unwrap();
    let p7_assignment = domestic
        .assignments
        .iter()
        .find(|a| a.callsign == "P7")
        .unwrap();
    // Signed in to M12, the medic tries P7's assignment and P7's incident.
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let response: tenfour_protocol::wire::PushResponse = medic
        .ok(
            Method::POST,
            "/api/sync/push",
            Some(json!({"entries": [
                device.entry("acknowledge", json!({"assignment_id": p7_assignment.id})),
                device.entry("status", json!({"status": "en_route", "incident_id": domestic.id})),
                device.entry("field_note", json!({"incident_id": domestic.id, "text": "not mine"})),
            ]})),
        )
        .await;
    assert!(
        response.results.iter().all(|r| r.rejection().is_some()),
        "{response:?}"
    );
    let after: Incident = dispatch
        .ok(
            Method::GET,
            &format!("/api/incidents/{}", domestic.id),
            None,
        )
        .await;
    assert_eq!(after.notes.len(), domestic.notes.len());
    assert!(
        after
            .assignments
            .iter()
            .all(|a| a.acknowledged_at.is_none())
    );
}
