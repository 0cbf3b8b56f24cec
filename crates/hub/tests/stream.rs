//! The live stream: changes arrive as they commit, `Last-Event-ID` resumes exactly, and a
//! hub killed mid-stream comes back on the same file with nothing lost.

mod common;

use common::{Device, EventReader, TestHub};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use tenfour_protocol::wire::{Board, ChangesPage, PushResponse};

const WITHIN: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_field_update_reaches_the_dispatcher_stream() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let response = dispatch
        .request(Method::GET, "/api/sync/stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut events = EventReader::new(response);

    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let _: PushResponse = medic
        .ok(
            Method::POST,
            "/api/sync/push",
            Some(json!({"entries": [device.entry("status", json!({"status": "en_route"}))]})),
        )
        .await;
    let (_, change) = events
        .until_change(WITHIN, |c| c["type"] == "field_event")
        .await;
    assert_eq!(change["data"]["callsign"], "M12");
    assert_eq!(change["data"]["status"], "en_route");
    assert_eq!(change["data"]["outcome"], "applied");
}

#[tokio::test]
async fn a_new_assignment_reaches_the_responder_stream() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic2", Some("M14")).await;
    let mut events = EventReader::new(
        medic
            .request(Method::GET, "/api/sync/stream")
            .send()
            .await
            .unwrap(),
    );
    let dispatch = hub.sign_in("dispatch", None).await;
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let m14 = board.units.iter().find(|u| u.callsign == "M14").unwrap().id;
    let mvc = board
        .incidents
        .iter()
        .find(|i| i.nature_code == "MVC")
        .unwrap();
    let (status, _) = dispatch
        .post(
            &format!("/api/incidents/{}/assignments", mvc.id),
            json!({"unit_id": m14}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, change) = events
        .until_change(WITHIN, |c| c["type"] == "incident")
        .await;
    assert_eq!(change["data"]["id"], mvc.id);
    assert_eq!(
        change["data"]["notes"][0]["source"], "caller",
        "full details come along"
    );
}

#[tokio::test]
async fn the_stream_authenticates_by_cookie_for_event_source() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let cookie = format!("tenfour_session={}", dispatch.token.clone().unwrap());
    let anonymous = hub.anonymous();
    let response = anonymous
        .request(Method::GET, "/api/sync/stream?since=0")
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // The cookie never authorises a change.
    let response = anonymous
        .request(Method::POST, "/api/incidents")
        .header("cookie", cookie)
        .json(&json!({"nature_code": "FALL", "priority": 1, "address": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn last_event_id_resumes_exactly_after_a_hub_crash() {
    let mut hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let mut events = EventReader::new(
        dispatch
            .request(Method::GET, "/api/sync/stream?since=0")
            .send()
            .await
            .unwrap(),
    );
    // Read the whole history, remembering the last id as a browser would.
    let head: ChangesPage = dispatch
        .ok(Method::GET, "/api/sync/changes?since=0&limit=500", None)
        .await;
    let mut last = 0;
    while last < head.cursor {
        let event = events.next(WITHIN).await;
        last = event.id.unwrap().parse().unwrap();
    }

    hub.restart();

    // While the dispatcher is disconnected, the field keeps working.
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let entries: Vec<_> = ["acknowledged", "en_route", "on_scene"]
        .iter()
        .map(|s| device.entry("status", json!({"status": s})))
        .collect();
    let pushed: PushResponse = medic
        .ok(
            Method::POST,
            "/api/sync/push",
            Some(json!({"entries": entries})),
        )
        .await;
    assert!(
        pushed
            .results
            .iter()
            .all(|r| r.outcome == tenfour_protocol::wire::Outcome::Applied)
    );

    // The session survived the crash (it is in the database), and the stream resumes.
    let response = dispatch
        .request(Method::GET, "/api/sync/stream")
        .header("last-event-id", last.to_string())
        .send()
        .await
        .unwrap();
    let mut events = EventReader::new(response);
    let mut cursors = Vec::new();
    let mut statuses = Vec::new();
    while statuses.len() < 3 {
        let event = events.next(WITHIN).await;
        let cursor: u64 = event.id.unwrap().parse().unwrap();
        cursors.push(cursor);
        let change: serde_json::Value = serde_json::from_str(&event.data).unwrap();
        if change["type"] == "field_event" {
            statuses.push(change["data"]["status"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(statuses, ["acknowledged", "en_route", "on_scene"]);
    assert_eq!(cursors[0], last + 1, "nothing skipped, nothing repeated");
    assert!(cursors.windows(2).all(|w| w[1] == w[0] + 1), "{cursors:?}");
}

#[tokio::test]
async fn bad_stream_requests_are_explained() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let response = dispatch
        .request(Method::GET, "/api/sync/stream")
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (status, _) = dispatch.get("/api/sync/stream?since=123456").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = hub.anonymous().get("/api/sync/stream").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A stream checks its session only when it opens; whatever ends the session must end it.
#[tokio::test]
async fn a_live_stream_ends_when_its_session_ends() {
    let hub = TestHub::start();
    let within = Duration::from_secs(1);

    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut stream = EventReader::new(
        medic
            .request(Method::GET, "/api/sync/stream")
            .send()
            .await
            .unwrap(),
    );
    let (status, _) = medic.send(Method::DELETE, "/api/session", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    tokio::time::timeout(within, stream.closed())
        .await
        .expect("signing out ends the stream");

    // A stream opened for one unit shows that unit's view: choosing another unit ends it.
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut stream = EventReader::new(
        medic
            .request(Method::GET, "/api/sync/stream")
            .send()
            .await
            .unwrap(),
    );
    let (status, _) = medic
        .send(
            Method::PUT,
            "/api/session/unit",
            Some(serde_json::json!({"unit": "M14"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::timeout(within, stream.closed())
        .await
        .expect("a change of unit ends the stream");
}

#[tokio::test]
async fn a_live_stream_ends_when_its_session_expires() {
    let hub = TestHub::start_with(&[], &["--session-ttl", "2"]);
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut stream = EventReader::new(
        medic
            .request(Method::GET, "/api/sync/stream")
            .send()
            .await
            .unwrap(),
    );
    tokio::time::timeout(Duration::from_secs(4), stream.closed())
        .await
        .expect("the stream ends when the session expires");
    let (status, _) = medic.get("/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// An idle stream beats every few seconds, so a page can tell a quiet hub from a dead one.
#[tokio::test]
async fn an_idle_stream_sends_heartbeats() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut events = EventReader::new(
        medic
            .request(Method::GET, "/api/sync/stream")
            .send()
            .await
            .unwrap(),
    );
    events.heartbeat(Duration::from_secs(2)).await;
    let started = std::time::Instant::now();
    events.heartbeat(Duration::from_secs(6)).await;
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "beats are spaced out"
    );
}

#[tokio::test]
async fn a_session_over_its_stream_cap_loses_its_oldest_stream_not_the_newest() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let open = || async {
        EventReader::new(
            dispatch
                .request(Method::GET, "/api/sync/stream")
                .send()
                .await
                .unwrap(),
        )
    };
    let mut oldest = open().await;
    let mut others = Vec::new();
    for _ in 0..4 {
        others.push(open().await);
    }
    let event = oldest.next(WITHIN).await;
    assert_eq!(event.event, "superseded");
    oldest.closed().await;
    // The four newest stay open and live.
    for stream in &mut others {
        stream.heartbeat(WITHIN).await;
    }
}

#[tokio::test]
async fn an_agency_at_its_stream_cap_is_refused_with_a_problem_until_one_closes() {
    let hub = TestHub::start_with(&[], &["--max-streams-per-agency", "2"]);
    let dispatch = hub.sign_in("dispatch", None).await;
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let first = EventReader::new(
        dispatch
            .request(Method::GET, "/api/sync/stream")
            .send()
            .await
            .unwrap(),
    );
    let _second = EventReader::new(
        medic
            .request(Method::GET, "/api/sync/stream")
            .send()
            .await
            .unwrap(),
    );
    let refused = medic
        .request(Method::GET, "/api/sync/stream")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "30");
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("syncs by pulling"),
        "{problem}"
    );

    // Another agency is not held back by this one.
    let other = hub.sign_in("other-medic", Some("X1")).await;
    let mut elsewhere = EventReader::new(
        other
            .request(Method::GET, "/api/sync/stream")
            .send()
            .await
            .unwrap(),
    );
    elsewhere.heartbeat(WITHIN).await;

    // Once a stream closes, its place is free again (the hub notices within a heartbeat).
    drop(first);
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        let again = medic
            .request(Method::GET, "/api/sync/stream")
            .send()
            .await
            .unwrap();
        if again.status() == StatusCode::OK {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place never came free"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn an_empty_last_event_id_is_no_id_and_a_wrong_one_is_explained() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let empty = dispatch
        .request(Method::GET, "/api/sync/stream")
        .header("last-event-id", "")
        .send()
        .await
        .unwrap();
    EventReader::new(empty).heartbeat(WITHIN).await;
    let (status, problem) = {
        let response = dispatch
            .request(Method::GET, "/api/sync/stream")
            .header("last-event-id", "12abc")
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Last-Event-ID: a change cursor is a whole number"),
        "{problem}"
    );
}
