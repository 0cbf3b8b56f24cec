//! The emergency button: raised from a device's outbox (offline, then once), on every board
//! until a dispatcher acknowledges it, back on the device with who has it, ended by dispatch
//! or cancelled by the responder, and kept in the record. Only the unit's devices raise or
//! cancel; only dispatchers acknowledge and end.

mod common;

use common::{Client, Device, TestHub, query};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tenfour_protocol::StatusCode as StatusCode_;
use tenfour_protocol::admin::SafetySettings;
use tenfour_protocol::wire::{ChangeBody, ChangesPage, Emergency, PushResponse};

async fn push(client: &Client, entries: Vec<Value>) -> PushResponse {
    client.push(entries).await
}

/// The newest copy of each emergency the client may see.
async fn emergencies(client: &Client) -> Vec<Emergency> {
    let page: ChangesPage = client
        .ok(Method::GET, "/api/sync/changes?since=0&limit=500", None)
        .await;
    let mut newest: Vec<Emergency> = Vec::new();
    for change in page.changes {
        if let ChangeBody::Emergency(e) = change.body {
            newest.retain(|held| held.id != e.id);
            newest.push(e);
        }
    }
    newest
}

fn outcome(response: &PushResponse, index: usize) -> String {
    serde_json::to_value(response.results[index].outcome)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

async fn rows(hub: &TestHub) -> usize {
    query(hub, "SELECT id FROM emergencies").await.len()
}

#[tokio::test]
async fn an_emergency_arrives_once_alarms_dispatch_and_the_acknowledgement_reaches_the_unit() {
    let hub = TestHub::start();
    let p7 = hub.sign_in("officer1", Some("P7")).await;
    let p9 = hub.sign_in("officer2", Some("P9")).await;
    let m12 = hub.sign_in("medic1", Some("M12")).await;
    let dispatch = hub.sign_in("dispatch", None).await;

    // Pressed offline; the device sends it when the network returns, then again (the reply
    // was lost): one emergency.
    let mut device = Device::new();
    let press = device.entry(
        "emergency",
        json!({"location": {"latitude": 45.5302, "longitude": -122.6598, "accuracy_m": 8.0}}),
    );
    let first = push(&p7, vec![press.clone()]).await;
    assert_eq!(outcome(&first, 0), "applied");
    let again = push(&p7, vec![press]).await;
    assert_eq!(outcome(&again, 0), "duplicate");
    assert_eq!(rows(&hub).await, 1);

    let on_board = emergencies(&dispatch).await;
    assert_eq!(on_board.len(), 1);
    let emergency = &on_board[0];
    assert_eq!(emergency.callsign, "P7");
    assert_eq!(emergency.raised_by, "Chris Patel");
    assert!(emergency.is_unanswered());
    assert_eq!(emergency.pressed_at, 1_764_000_001_000);
    assert_eq!(
        emergency.location.as_ref().map(|l| l.latitude),
        Some(45.5302)
    );
    assert!(
        emergency.incident_id.is_some(),
        "P7 was on the domestic call"
    );
    // The other unit on that call sees it; a unit elsewhere does not.
    assert_eq!(emergencies(&p9).await.len(), 1);
    assert!(emergencies(&m12).await.is_empty());

    // Only dispatchers acknowledge.
    let id = emergency.id;
    let path = format!("/api/emergencies/{id}/acknowledge");
    let (status, problem) = p9.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let taken: Emergency = dispatch.ok(Method::POST, &path, None).await;
    assert_eq!(
        taken.acknowledged_by.as_deref(),
        Some("Dana Reyes (dispatch)")
    );
    let at = taken.acknowledged_at.unwrap();
    // A second acknowledgement keeps the first's time.
    let again: Emergency = dispatch.ok(Method::POST, &path, None).await;
    assert_eq!(again.acknowledged_at, Some(at));
    // The unit learns who has it.
    let mine = emergencies(&p7).await;
    assert_eq!(
        mine[0].acknowledged_by.as_deref(),
        Some("Dana Reyes (dispatch)")
    );

    // Pressing again while it is active adds no second emergency.
    let second = push(&p7, vec![device.entry("emergency", json!({}))]).await;
    assert_eq!(outcome(&second, 0), "applied");
    assert_eq!(rows(&hub).await, 1);

    // Dispatch ends it, with a reason; then it cannot be acknowledged or ended again.
    let end = format!("/api/emergencies/{id}/end");
    let (status, problem) = dispatch.post(&end, json!({"reason": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = p7.post(&end, json!({"reason": "I am fine"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let ended: Emergency = dispatch
        .ok(
            Method::POST,
            &end,
            Some(json!({"reason": "crew safe, confirmed by radio"})),
        )
        .await;
    assert!(!ended.is_active());
    assert_eq!(
        ended.end_reason.as_deref(),
        Some("crew safe, confirmed by radio")
    );
    let (status, problem) = dispatch.post(&end, json!({"reason": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, _) = dispatch.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, problem) = dispatch
        .post("/api/emergencies/999999/acknowledge", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    // The record stays, ended, on the unit's device too.
    assert!(!emergencies(&p7).await[0].is_active());
    assert_eq!(rows(&hub).await, 1);
}

#[tokio::test]
async fn only_the_unit_cancels_its_emergency_and_dispatch_sees_who_did() {
    let hub = TestHub::start();
    let p7 = hub.sign_in("officer1", Some("P7")).await;
    let p9 = hub.sign_in("officer2", Some("P9")).await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let mut p7_device = Device::new();
    let mut p9_device = Device::new();
    push(&p7, vec![p7_device.entry("emergency", json!({}))]).await;

    // P9's device cannot end P7's emergency: P9 has none, so its cancel is refused.
    let refused = push(&p9, vec![p9_device.entry("emergency_cancel", json!({}))]).await;
    assert_eq!(outcome(&refused, 0), "rejected");
    assert!(
        refused.results[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("P9 has no active emergency")
    );
    assert!(emergencies(&dispatch).await[0].is_active());

    let cancelled = push(&p7, vec![p7_device.entry("emergency_cancel", json!({}))]).await;
    assert_eq!(outcome(&cancelled, 0), "applied");
    let record = &emergencies(&dispatch).await[0];
    assert!(!record.is_active());
    assert_eq!(record.ended_by.as_deref(), Some("Chris Patel"));
    assert_eq!(
        record.end_reason.as_deref(),
        Some("cancelled by the responder")
    );
    // A new press after that is a new emergency.
    push(&p7, vec![p7_device.entry("emergency", json!({}))]).await;
    assert_eq!(rows(&hub).await, 2);
    assert_eq!(
        emergencies(&dispatch)
            .await
            .iter()
            .filter(|e| e.is_active())
            .count(),
        1
    );
}

#[tokio::test]
async fn an_active_emergency_and_a_running_timer_survive_a_hub_sigkill() {
    let mut hub = TestHub::start();
    let officer = hub.sign_in("officer1", Some("P7")).await;
    let incident = p7(&hub.sign_in("dispatch", None).await)
        .await
        .incident_id
        .unwrap();
    let mut device = Device::new();
    let on_scene = device.entry(
        "status",
        json!({"status": "on_scene", "incident_id": incident}),
    );
    let emergency = device.entry("emergency", json!({}));
    push(&officer, vec![on_scene, emergency]).await;
    let due = p7(&hub.sign_in("dispatch", None).await)
        .await
        .check_in_due_at;
    assert!(due.is_some());
    hub.restart();
    let dispatch = hub.sign_in("dispatch", None).await;
    let after = emergencies(&dispatch).await;
    assert_eq!(after.len(), 1);
    assert!(after[0].is_unanswered(), "the alarm is still up");
    assert_eq!(
        p7(&dispatch).await.check_in_due_at,
        due,
        "the timer still counts"
    );
}

#[tokio::test]
async fn a_dispatcher_escalates_an_unreachable_unit_to_an_emergency() {
    let hub = TestHub::start();
    let officer = hub.sign_in("officer1", Some("P7")).await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let unit = p7(&dispatch).await;
    let path = format!("/api/units/{}/emergency", unit.id);
    let (status, _) = officer.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let raised: Emergency = dispatch.ok(Method::POST, &path, None).await;
    assert_eq!(raised.callsign, "P7");
    assert_eq!(raised.raised_by, "escalated by Dana Reyes (dispatch)");
    assert!(raised.is_unanswered());
    // The crew's device has it too; a second escalation is refused.
    assert_eq!(emergencies(&officer).await.len(), 1);
    let (status, problem) = dispatch.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, _) = dispatch
        .post("/api/units/999999/emergency", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bad_emergency_payload_is_refused_with_a_reason() {
    let hub = TestHub::start();
    let p7 = hub.sign_in("officer1", Some("P7")).await;
    let mut device = Device::new();
    let (status, problem) = p7
        .post(
            "/api/sync/push",
            json!({"entries": [device.entry("emergency", json!({"location": {"latitude": 91.0, "longitude": 0.0}}))]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("latitude"));
    let (status, problem) = p7
        .post(
            "/api/sync/push",
            json!({"entries": [device.entry("emergency_cancel", json!({"why": "x"}))]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(rows(&hub).await, 0);
}

fn at(latitude: f64, longitude: f64) -> Value {
    json!({"location": {"latitude": latitude, "longitude": longitude, "accuracy_m": 6.0}})
}

#[tokio::test]
async fn positions_sent_during_an_emergency_follow_it_on_the_board_once_and_in_order() {
    let hub = TestHub::start();
    let officer = hub.sign_in("officer1", Some("P7")).await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let mut device = Device::new();

    // Before any emergency: the unit's position moves, no trail is kept for the record and
    // the dispatchers' feed is not crowded with positions.
    let before = device.entry("position", at(45.5200, -122.6800));
    push(&officer, vec![before]).await;
    let unit = p7(&dispatch).await;
    let fix = unit.position.expect("the board knows where P7 is");
    assert_eq!((fix.latitude, fix.at), (45.52, 1_764_000_001_000));

    // Pressed offline at one place, then moving: all of it goes in one push when the
    // network returns, and again (the reply was lost).
    let press = device.entry("emergency", at(45.5300, -122.6600));
    let moved = device.entry("position", at(45.5310, -122.6610));
    let further = device.entry("position", at(45.5320, -122.6620));
    let batch = vec![press, moved, further];
    let first = push(&officer, batch.clone()).await;
    assert!((0..3).all(|i| outcome(&first, i) == "applied"));
    let again = push(&officer, batch).await;
    assert!((0..3).all(|i| outcome(&again, i) == "duplicate"));

    let emergency = emergencies(&dispatch).await.remove(0);
    assert_eq!(emergency.location.as_ref().map(|l| l.latitude), Some(45.53));
    let trail: Vec<(f64, i64)> = emergency.trail.iter().map(|f| (f.latitude, f.at)).collect();
    assert_eq!(
        trail,
        vec![(45.531, 1_764_000_003_000), (45.532, 1_764_000_004_000)],
        "the positions after the press, each once, oldest first"
    );
    assert_eq!(
        emergency.last_position().map(|(l, _)| l.latitude),
        Some(45.532)
    );
    assert_eq!(
        p7(&dispatch).await.position.map(|f| f.latitude),
        Some(45.532)
    );

    // A position that arrives late (pressed before the newest) joins the trail in its
    // place but does not move the unit back.
    let mut late = device.entry("position", at(45.5315, -122.6615));
    late["at"] = json!(1_764_000_003_500_i64);
    push(&officer, vec![late]).await;
    let emergency = emergencies(&dispatch).await.remove(0);
    assert_eq!(emergency.trail.len(), 3);
    assert_eq!(emergency.trail[1].latitude, 45.5315);
    assert_eq!(
        p7(&dispatch).await.position.map(|f| f.latitude),
        Some(45.532)
    );

    // Once the emergency ends, positions no longer join it.
    push(&officer, vec![device.entry("emergency_cancel", json!({}))]).await;
    push(&officer, vec![device.entry("position", at(45.54, -122.67))]).await;
    let ended = emergencies(&dispatch).await.remove(0);
    assert!(!ended.is_active());
    assert_eq!(ended.trail.len(), 3);

    // The feed shows the press and the cancel, not the positions.
    let page: tenfour_protocol::wire::ChangesPage = dispatch
        .ok(Method::GET, "/api/sync/changes?since=0&limit=500", None)
        .await;
    let kinds: Vec<String> = page
        .changes
        .iter()
        .filter_map(|c| match &c.body {
            ChangeBody::FieldEvent(e) => Some(e.kind.as_str().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["emergency", "emergency_cancel"]);
}

#[tokio::test]
async fn a_position_off_the_globe_is_refused_with_a_reason() {
    let hub = TestHub::start();
    let officer = hub.sign_in("officer1", Some("P7")).await;
    let mut device = Device::new();
    for (payload, named) in [
        (at(45.5, 181.0), "longitude"),
        (
            json!({"location": {"latitude": 45.5, "longitude": 1.0, "accuracy_m": -3.0}}),
            "accuracy_m",
        ),
        (json!({}), "location"),
    ] {
        let (status, problem) = officer
            .post(
                "/api/sync/push",
                json!({"entries": [device.entry("position", payload)]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(named), "{detail}");
        device.seq -= 1;
    }
}

/// P7 as the board sees it now.
async fn p7(dispatch: &Client) -> tenfour_protocol::wire::Unit {
    let units: Vec<tenfour_protocol::wire::Unit> =
        dispatch.ok(Method::GET, "/api/units", None).await;
    units.into_iter().find(|u| u.callsign == "P7").unwrap()
}

#[tokio::test]
async fn a_timed_status_runs_the_check_in_timer_from_the_press_and_each_check_in() {
    // The demo agency times "on scene": every 20 min, asking 2 min before (P1: 10 min).
    let hub = TestHub::start();
    let officer = hub.sign_in("officer1", Some("P7")).await;
    let dispatch = hub.sign_in("dispatch", None).await;
    assert_eq!(
        p7(&dispatch).await.check_in_due_at,
        None,
        "dispatched is not timed"
    );

    let mut device = Device::new();
    let incident = p7(&dispatch).await.incident_id.unwrap();
    // Nothing to check in to yet: refused with the reason, and no timer starts.
    let early = device.entry("check_in", json!({}));
    let on_scene = device.entry(
        "status",
        json!({"status": "on_scene", "incident_id": incident}),
    );
    let pressed = on_scene["at"].as_i64().unwrap();
    let answers = push(&officer, vec![early, on_scene]).await;
    assert_eq!(outcome(&answers, 0), "rejected");
    assert!(
        answers.results[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("no check-in timer runs for P7")
    );
    assert_eq!(outcome(&answers, 1), "applied");
    let unit = p7(&dispatch).await;
    assert_eq!(unit.check_in_due_at, Some(pressed + 20 * 60_000));
    assert_eq!(unit.check_in_warn_at, Some(pressed + 18 * 60_000));

    // The crew checks in (offline, sent later): the timer runs again from the press.
    let check = device.entry("check_in", json!({}));
    let checked_at = check["at"].as_i64().unwrap();
    assert_eq!(
        outcome(&push(&officer, vec![check.clone()]).await, 0),
        "applied"
    );
    assert_eq!(outcome(&push(&officer, vec![check]).await, 0), "duplicate");
    assert_eq!(
        p7(&dispatch).await.check_in_due_at,
        Some(checked_at + 20 * 60_000)
    );

    // By radio: only dispatchers, and the timer runs from the hub's now.
    let path = format!("/api/units/{}/check-in", unit.id);
    let (status, _) = officer.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let radioed: tenfour_protocol::wire::Unit = dispatch.ok(Method::POST, &path, None).await;
    let due = radioed.check_in_due_at.unwrap();
    assert!(due >= before + 20 * 60_000, "{due} from {before}");

    // Leaving the timed status stops the timer; checking in by radio is then refused.
    let available = device.entry("status", json!({"status": "available"}));
    assert_eq!(
        outcome(&push(&officer, vec![available]).await, 0),
        "applied"
    );
    assert_eq!(p7(&dispatch).await.check_in_due_at, None);
    let (status, problem) = dispatch.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
}

#[tokio::test]
async fn an_administrator_sets_the_timers_and_running_timers_follow_at_once() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let officer = hub.sign_in("officer1", Some("P7")).await;

    // Only administrators read or change them.
    for client in [&dispatch, &officer] {
        let (status, _) = client.get("/api/admin/safety").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = client
            .send(
                Method::PUT,
                "/api/admin/safety",
                Some(json!({"emergency_phone": "", "check_in": []})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let demo: SafetySettings = admin.ok(Method::GET, "/api/admin/safety", None).await;
    assert_eq!(demo.emergency_phone, "+15035550100");
    assert!(
        demo.check_in
            .iter()
            .any(|r| r.status == StatusCode_::OnScene)
    );

    // P7 arrives on scene under the demo's 20 minutes (10 on a P1; P7's call is a P2).
    let incident = p7(&dispatch).await.incident_id.unwrap();
    let mut device = Device::new();
    let on_scene = device.entry(
        "status",
        json!({"status": "on_scene", "incident_id": incident}),
    );
    push(&officer, vec![on_scene]).await;
    let arrived = 1_764_000_001_000_i64;
    assert_eq!(
        p7(&dispatch).await.check_in_due_at,
        Some(arrived + 1_200_000)
    );

    // Refused with what to change; nothing changes.
    for (body, named) in [
        (
            json!({"emergency_phone": "", "check_in": [{"status": "on_scene", "every_seconds": 60, "warn_seconds": 60}]}),
            "warn_seconds",
        ),
        (
            json!({"emergency_phone": "", "check_in": [{"status": "available", "every_seconds": 60, "warn_seconds": 0}]}),
            "only statuses on a call",
        ),
        (
            json!({"emergency_phone": "call Bob", "check_in": []}),
            "emergency_phone",
        ),
        (
            json!({"emergency_phone": "", "check_in": [{"status": "dancing", "every_seconds": 60, "warn_seconds": 0}]}),
            "status",
        ),
    ] {
        let (status, problem) = admin
            .send(Method::PUT, "/api/admin/safety", Some(body))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(named), "{detail}");
    }
    let unchanged: SafetySettings = admin.ok(Method::GET, "/api/admin/safety", None).await;
    assert_eq!(unchanged, demo);

    // Every 5 minutes on scene, asked 1 minute before; a new number. P7's running timer
    // follows at once (from its arrival), on the board and on the crew's device.
    let wanted = json!({"emergency_phone": " +1 503 555 0199 ", "check_in": [
        {"status": "on_scene", "every_seconds": 300, "warn_seconds": 60}]});
    let saved: SafetySettings = admin
        .ok(Method::PUT, "/api/admin/safety", Some(wanted))
        .await;
    assert_eq!(saved.emergency_phone, "+1 503 555 0199");
    assert_eq!(saved.check_in.len(), 1);
    let unit = p7(&dispatch).await;
    assert_eq!(unit.check_in_due_at, Some(arrived + 300_000));
    assert_eq!(unit.check_in_warn_at, Some(arrived + 240_000));
    let page: ChangesPage = officer
        .ok(Method::GET, "/api/sync/changes?since=0&limit=500", None)
        .await;
    let mine = page.changes.iter().rev().find_map(|c| match &c.body {
        ChangeBody::Unit(u) if u.callsign == "P7" => Some(u.check_in_due_at),
        _ => None,
    });
    assert_eq!(mine, Some(Some(arrived + 300_000)));
    let phone = page.changes.iter().rev().find_map(|c| match &c.body {
        ChangeBody::Agency(a) => Some(a.emergency_phone.clone()),
        _ => None,
    });
    assert_eq!(
        phone.as_deref(),
        Some("+1 503 555 0199"),
        "devices learn the new number"
    );

    // No timers at all: P7's stops.
    let _: SafetySettings = admin
        .ok(
            Method::PUT,
            "/api/admin/safety",
            Some(json!({"emergency_phone": "+1 503 555 0199", "check_in": []})),
        )
        .await;
    assert_eq!(p7(&dispatch).await.check_in_due_at, None);
    let audit = query(
        &hub,
        "SELECT detail FROM audit_log WHERE action = 'safety_saved'",
    )
    .await;
    assert_eq!(audit.len(), 2);
}

#[tokio::test]
async fn an_administrator_chooses_how_often_crews_standing_still_send_positions() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let demo: SafetySettings = admin.ok(Method::GET, "/api/admin/safety", None).await;
    assert_eq!(demo.position_interval_s, 15, "the default");
    let (_, session) = medic.get("/api/session").await;
    assert_eq!(session["agency"]["position_interval_s"], 15);

    let with = |seconds: Value| {
        let mut body = serde_json::to_value(&demo).unwrap();
        body["position_interval_s"] = seconds;
        body
    };
    for wrong in [json!(9), json!(121), json!(0)] {
        let (status, problem) = admin
            .send(Method::PUT, "/api/admin/safety", Some(with(wrong.clone())))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{wrong}: {problem}"
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("position_interval_s") && detail.contains("between 10 and 120"),
            "{detail}"
        );
    }
    let (status, problem) = admin
        .send(Method::PUT, "/api/admin/safety", Some(with(json!(-5))))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let unchanged: SafetySettings = admin.ok(Method::GET, "/api/admin/safety", None).await;
    assert_eq!(unchanged, demo);

    let saved: SafetySettings = admin
        .ok(Method::PUT, "/api/admin/safety", Some(with(json!(30))))
        .await;
    assert_eq!(saved.position_interval_s, 30);
    assert_eq!(saved.emergency_phone, demo.emergency_phone, "the rest kept");
    // Devices learn it as they follow changes, and from their session.
    let page: ChangesPage = medic
        .ok(Method::GET, "/api/sync/changes?since=0&limit=500", None)
        .await;
    let told = page.changes.iter().rev().find_map(|c| match &c.body {
        ChangeBody::Agency(a) => Some(a.position_interval_s),
        _ => None,
    });
    assert_eq!(told, Some(30), "devices learn the new interval");
    let (_, session) = medic.get("/api/session").await;
    assert_eq!(session["agency"]["position_interval_s"], 30);
    let audit = query(
        &hub,
        "SELECT detail FROM audit_log WHERE action = 'safety_saved'",
    )
    .await;
    assert!(audit[0][0].contains("every 30 s"), "{:?}", audit);
}
