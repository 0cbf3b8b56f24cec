//! Devices push their outbox exactly once, in order, and pull what they may see.

mod common;

use common::{Client, Device, TestHub, query};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tenfour_protocol::wire::{Board, ChangeBody, ChangesPage, Incident, PushResponse};

async fn board(hub: &TestHub) -> Board {
    hub.sign_in("dispatch", None)
        .await
        .ok(Method::GET, "/api/board", None)
        .await
}

fn incident<'a>(board: &'a Board, nature: &str) -> &'a Incident {
    board
        .incidents
        .iter()
        .find(|i| i.nature_code == nature)
        .unwrap()
}

async fn push(client: &Client, entries: Vec<Value>) -> PushResponse {
    client.push(entries).await
}

fn outcomes(response: &PushResponse) -> Vec<String> {
    response
        .results
        .iter()
        .map(|r| {
            serde_json::to_value(r.outcome)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Status events the hub holds for a unit's devices, in the order it applied them.
async fn status_history(hub: &TestHub, callsign: &str) -> Vec<(String, i64, String)> {
    let sql = format!(
        "SELECT s.status, s.at, s.outcome FROM status_events s JOIN units u ON u.id = s.unit_id
         WHERE u.callsign = '{callsign}' AND s.entry_id IS NOT NULL ORDER BY s.id"
    );
    query(hub, &sql)
        .await
        .into_iter()
        .map(|row| (row[0].clone(), row[1].parse().unwrap(), row[2].clone()))
        .collect()
}

/// M12 on the BREATHING call: the board as dispatch first sees it, the incident, M12's
/// assignment, and M12's medic and a dispatcher signed in.
struct Scene {
    board: Board,
    incident_id: i64,
    assignment: i64,
    medic: Client,
    dispatch: Client,
}

async fn m12_on_breathing(hub: &TestHub) -> Scene {
    let board = board(hub).await;
    let breathing = incident(&board, "BREATHING");
    let (incident_id, assignment) = (breathing.id, breathing.assignments[0].id);
    Scene {
        board,
        incident_id,
        assignment,
        medic: hub.sign_in("medic1", Some("M12")).await,
        dispatch: hub.sign_in("dispatch", None).await,
    }
}

#[tokio::test]
async fn the_same_batch_three_times_applies_once() {
    let hub = TestHub::start();
    let b = board(&hub).await;
    let breathing = incident(&b, "BREATHING");
    let assignment = breathing.assignments[0].id;
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let batch = vec![
        device.entry("acknowledge", json!({"assignment_id": assignment})),
        device.entry("status", json!({"status": "en_route"})),
        device.entry("field_note", json!({"incident_id": breathing.id, "text": "Two minutes out"})),
        device.entry("status", json!({"status": "on_scene", "location": {"latitude": 45.52, "longitude": -122.67, "accuracy_m": 8.0}})),
    ];
    let first = push(&medic, batch.clone()).await;
    assert_eq!(outcomes(&first), ["applied"; 4]);
    for _ in 0..2 {
        let again = push(&medic, batch.clone()).await;
        assert_eq!(outcomes(&again), ["duplicate"; 4]);
        assert!(
            again
                .results
                .iter()
                .all(|r| r.original == Some(tenfour_protocol::wire::Outcome::Applied))
        );
    }
    let history = status_history(&hub, "M12").await;
    let statuses: Vec<&str> = history.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(statuses, ["acknowledged", "en_route", "on_scene"]);
    // The device's press times are kept, not the hub's receive time.
    assert_eq!(history[1].1, batch[1]["at"].as_i64().unwrap());
    let notes = query(&hub, "SELECT text FROM notes WHERE source = 'field'").await;
    assert_eq!(notes, vec![vec!["Two minutes out".to_owned()]]);
    let located = query(
        &hub,
        "SELECT COUNT(*) FROM status_events WHERE latitude IS NOT NULL",
    )
    .await;
    assert_eq!(located[0][0], "1");
}

/// The hub carries a unit and its device from one entry of a push to the next rather than
/// reading them again: each entry must still see what the one before it left.
#[tokio::test]
async fn each_entry_of_a_push_sees_the_unit_the_one_before_left() {
    let hub = TestHub::start();
    let Scene {
        board: b,
        incident_id,
        assignment,
        medic,
        dispatch,
    } = m12_on_breathing(&hub).await;
    let mut device = Device::new();
    let here = json!({"latitude": 45.52, "longitude": -122.67, "accuracy_m": 8.0});
    let batch = vec![
        device.entry("acknowledge", json!({"assignment_id": assignment})),
        device.entry("status", json!({"status": "en_route"})),
        device.entry(
            "field_note",
            json!({"incident_id": incident_id, "text": "Two minutes out"}),
        ),
        device.entry("status", json!({"status": "on_scene", "location": here})),
        // Refused from on scene (allowed from where the unit stood before the push), and
        // the queue moves on to a status allowed only from on scene.
        device.entry("status", json!({"status": "en_route"})),
        device.entry("status", json!({"status": "transporting"})),
    ];
    let first = push(&medic, batch).await;
    assert_eq!(
        outcomes(&first),
        [
            "applied", "applied", "applied", "applied", "rejected", "applied"
        ]
    );
    // Dispatch receives the unit as each entry left it, in order.
    let copies = unit_changes(&dispatch, b.cursor, "M12").await;
    let expected = [
        ("acknowledged", false),
        ("en_route", false),
        ("en_route", false),
        ("on_scene", true),
        ("on_scene", true),
        ("transporting", true),
    ]
    .map(|(status, located)| (status.to_owned(), located));
    assert_eq!(copies, expected);
    // The device's number is the push's last entry: the next push follows on.
    let next = device.entry("status", json!({"status": "at_hospital"}));
    assert_eq!(outcomes(&push(&medic, vec![next]).await), ["applied"]);
    let statuses: Vec<String> = status_history(&hub, "M12")
        .await
        .into_iter()
        .filter(|(_, _, outcome)| outcome == "applied")
        .map(|(status, _, _)| status)
        .collect();
    assert_eq!(
        statuses,
        [
            "acknowledged",
            "en_route",
            "on_scene",
            "transporting",
            "at_hospital"
        ]
    );
}

/// An entry the stored records refuse (a rule added to the database that the hub's own checks
/// do not know) is recorded as rejected with its reason; the entries around it in the push
/// apply in order, and dispatch receives every change they made, numbered without a gap.
#[tokio::test]
async fn an_entry_the_database_refuses_is_rejected_and_the_rest_of_its_push_applies() {
    let hub = TestHub::start();
    let Scene {
        board: b,
        incident_id,
        assignment,
        medic,
        dispatch,
    } = m12_on_breathing(&hub).await;
    hub.execute("CREATE UNIQUE INDEX notes_said_once ON notes (text) WHERE text LIKE 'once:%'")
        .await
        .unwrap();
    let mut device = Device::new();
    let note = |device: &mut Device, text: &str| {
        device.entry(
            "field_note",
            json!({"incident_id": incident_id, "text": text}),
        )
    };
    let batch = vec![
        device.entry("acknowledge", json!({"assignment_id": assignment})),
        device.entry("status", json!({"status": "en_route"})),
        note(&mut device, "once: gate code 4411"),
        note(&mut device, "once: gate code 4411"),
        device.entry("status", json!({"status": "on_scene"})),
        note(&mut device, "Patient conscious"),
    ];
    let first = push(&medic, batch).await;
    assert_eq!(
        outcomes(&first),
        [
            "applied", "applied", "applied", "rejected", "applied", "applied"
        ]
    );
    let reason = first.results[3].reason.clone().unwrap_or_default();
    assert!(reason.contains("not applied"), "{reason}");
    let notes = query(
        &hub,
        "SELECT text FROM notes WHERE source = 'field' ORDER BY id",
    )
    .await;
    let texts: Vec<&str> = notes.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(texts, ["once: gate code 4411", "Patient conscious"]);
    // Dispatch receives the push's changes numbered one after another, the unit as each
    // entry left it, and the refused entry in the field feed with its reason.
    let page = dispatch.pull(b.cursor).await;
    let cursors: Vec<u64> = page.changes.iter().map(|c| c.cursor).collect();
    let expected: Vec<u64> = (b.cursor + 1..=b.cursor + cursors.len() as u64).collect();
    assert_eq!(cursors, expected);
    let statuses: Vec<String> = page
        .changes
        .iter()
        .filter_map(|c| match &c.body {
            ChangeBody::Unit(u) if u.callsign == "M12" => Some(u.status.as_str().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "acknowledged",
            "en_route",
            "en_route",
            "en_route",
            "on_scene",
            "on_scene"
        ]
    );
    let refused: Vec<_> = page
        .changes
        .iter()
        .filter_map(|c| match &c.body {
            ChangeBody::FieldEvent(e) if e.reason.is_some() => Some(e.entry_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(refused, [first.results[3].id.clone()]);
    // The device's next push follows on.
    let next = device.entry("status", json!({"status": "transporting"}));
    assert_eq!(outcomes(&push(&medic, vec![next]).await), ["applied"]);
}

#[tokio::test]
async fn concurrent_retries_from_two_connections_apply_once() {
    let hub = TestHub::start();
    let medic_a = hub.sign_in("medic1", Some("M12")).await;
    let medic_b = hub.sign_in("medic1", Some("M12")).await;
    let b = board(&hub).await;
    let breathing = incident(&b, "BREATHING");
    let mut device = Device::new();
    let batch: Vec<Value> = (0..20)
        .map(|i| {
            device.entry(
                "field_note",
                json!({"incident_id": breathing.id, "text": format!("note {i}")}),
            )
        })
        .collect();
    let (a, b2) = tokio::join!(push(&medic_a, batch.clone()), push(&medic_b, batch.clone()));
    for i in 0..20 {
        let pair = [&a.results[i].outcome, &b2.results[i].outcome];
        let applied = pair
            .iter()
            .filter(|o| ***o == tenfour_protocol::wire::Outcome::Applied)
            .count();
        assert_eq!(applied, 1, "entry {i} applied once: {pair:?}");
    }
    let notes = query(
        &hub,
        "SELECT text FROM notes WHERE source = 'field' ORDER BY id",
    )
    .await;
    let texts: Vec<String> = notes.into_iter().map(|r| r[0].clone()).collect();
    let expected: Vec<String> = (0..20).map(|i| format!("note {i}")).collect();
    assert_eq!(texts, expected, "each once, in the device's order");
}

#[tokio::test]
async fn a_gap_is_refused_with_the_expected_seq_and_nothing_after_it_applies() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let first = device.entry("status", json!({"status": "acknowledged"}));
    let _lost = device.entry("status", json!({"status": "en_route"}));
    let third = device.entry("status", json!({"status": "on_scene"}));
    let fourth = device.entry("status", json!({"status": "transporting"}));
    let response = push(&medic, vec![first]).await;
    assert_eq!(outcomes(&response), ["applied"]);
    let response = push(&medic, vec![third, fourth]).await;
    assert_eq!(outcomes(&response), ["gap", "gap"]);
    assert_eq!(response.results[0].expected_seq, Some(2));
    assert_eq!(status_history(&hub, "M12").await.len(), 1);
}

#[tokio::test]
async fn an_entry_that_can_never_apply_is_recorded_with_its_reason() {
    let hub = TestHub::start();
    let b = board(&hub).await;
    let breathing = incident(&b, "BREATHING");
    let dispatch = hub.sign_in("dispatch", None).await;
    let m12 = breathing.assignments[0].unit_id;
    dispatch
        .ok::<Incident>(
            Method::DELETE,
            &format!("/api/incidents/{}/assignments/{m12}", breathing.id),
            None,
        )
        .await;
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let ack = device.entry(
        "acknowledge",
        json!({"assignment_id": breathing.assignments[0].id}),
    );
    let bad_transition = device.entry("status", json!({"status": "at_hospital"}));
    let fine = device.entry("status", json!({"status": "out_of_service"}));
    let response = push(&medic, vec![ack.clone(), bad_transition, fine]).await;
    assert_eq!(
        outcomes(&response),
        ["rejected", "rejected", "applied"],
        "the queue never jams"
    );
    let reason = response.results[0].reason.as_deref().unwrap();
    assert!(reason.contains("cancelled"), "{reason}");
    let reason = response.results[1].reason.as_deref().unwrap();
    assert!(
        reason.contains("cannot go from Available to At hospital"),
        "{reason}"
    );
    // The refused press stays in the history with its reason.
    let history = status_history(&hub, "M12").await;
    assert_eq!(history[0].0, "at_hospital");
    assert_eq!(history[0].2, "rejected");
    // A retry after a lost reply still tells the reason.
    let again = push(&medic, vec![ack]).await;
    assert_eq!(
        again.results[0].rejection().unwrap(),
        response.results[0].reason.as_deref().unwrap()
    );
}

#[tokio::test]
async fn malformed_batches_change_nothing() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let good = device.entry("status", json!({"status": "acknowledged"}));
    let mut bad = device.entry("status", json!({"status": "teleporting"}));
    let cases = vec![
        (
            json!({"entries": [good.clone(), bad.clone()]}),
            "unknown variant `teleporting`",
        ),
        (
            json!({"entries": [good.clone()], "extra": 1}),
            "unknown field `extra`",
        ),
        (json!({"entries": "all of them"}), "entries"),
        (json!({"entries": vec![good.clone(); 101]}), "at most 100"),
    ];
    for (body, words) in cases {
        let (status, problem) = medic.post("/api/sync/push", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(words),
            "{problem}"
        );
    }
    bad["payload"] = json!({"status": "en_route"});
    bad["client_id"] = json!("not-a-uuid");
    let (status, _) = medic
        .post("/api/sync/push", json!({"entries": [bad]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(status_history(&hub, "M12").await.is_empty());
    // The good entry still applies afterwards as seq 1.
    assert_eq!(outcomes(&push(&medic, vec![good]).await), ["applied"]);
}

#[tokio::test]
async fn responders_pull_their_own_incidents_and_the_units_on_them() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let page: ChangesPage = medic
        .ok(Method::GET, "/api/sync/changes?since=0", None)
        .await;
    let mut incidents = Vec::new();
    let mut units = std::collections::BTreeSet::new();
    for change in &page.changes {
        match &change.body {
            ChangeBody::Incident(i) => incidents.push(i.nature_code.clone()),
            ChangeBody::Unit(u) => {
                units.insert(u.callsign.clone());
            }
            ChangeBody::FieldEvent(_) => panic!("the field feed is for dispatchers"),
            ChangeBody::Emergency(e) => panic!("no emergency was raised here: {e:?}"),
            ChangeBody::Agency(a) => panic!("no administrator changed the agency: {a:?}"),
            ChangeBody::Note(n) => panic!("no note was added after the seed: {n:?}"),
            ChangeBody::Unknown => panic!("the hub sends only kinds it knows"),
        }
    }
    incidents.dedup();
    assert_eq!(incidents, ["BREATHING"], "only M12's incident");
    assert_eq!(
        units.into_iter().collect::<Vec<_>>(),
        ["M12"],
        "its own unit (alone on its call): not the agency's other five"
    );
    // P7 and P9 share a call: each is shown the other.
    let p9 = hub.sign_in("officer2", Some("P9")).await;
    let page: ChangesPage = p9.ok(Method::GET, "/api/sync/changes?since=0", None).await;
    assert_eq!(common::unit_callsigns(&page), ["P7", "P9"]);
    assert!(!page.more);

    let dispatch = hub.sign_in("dispatch", None).await;
    let all: ChangesPage = dispatch
        .ok(Method::GET, "/api/sync/changes?since=0", None)
        .await;
    let natures: std::collections::BTreeSet<String> = all
        .changes
        .iter()
        .filter_map(|c| match &c.body {
            ChangeBody::Incident(i) => Some(i.nature_code.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(natures.len(), 3);
    assert_eq!(all.cursor, page.cursor, "both end at the head");
}

/// Every page of the changes the client may see after the first (from 0, a device gets a
/// snapshot instead: the newest copy of each record).
async fn all_pages(client: &Client, limit: u32) -> Vec<ChangesPage> {
    let (mut since, mut pages) = (1, Vec::new());
    loop {
        let page: ChangesPage = client
            .ok(
                Method::GET,
                &format!("/api/sync/changes?since={since}&limit={limit}"),
                None,
            )
            .await;
        assert!(page.cursor >= since, "the cursor never goes back");
        since = page.cursor;
        let more = page.more;
        pages.push(page);
        if !more {
            return pages;
        }
    }
}

#[tokio::test]
async fn pages_follow_each_other_without_gaps_or_repeats() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let pages = all_pages(&dispatch, 3).await;
    assert!(pages.iter().all(|p| p.changes.len() <= 3));
    let seen: Vec<u64> = pages
        .iter()
        .flat_map(|p| p.changes.iter().map(|c| c.cursor))
        .collect();
    let head = pages.last().map_or(0, |p| p.cursor);
    assert_eq!(seen, (2..=head).collect::<Vec<u64>>());
}

#[tokio::test]
async fn bad_cursors_are_explained() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let (status, problem) = medic.get("/api/sync/changes?since=999999").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("ahead of this hub")
    );
    for query in [
        "since=-1",
        "since=abc",
        "limit=0",
        "limit=100000",
        "sinse=3",
    ] {
        let (status, problem) = medic.get(&format!("/api/sync/changes?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {problem}");
    }
}

/// Pushes from many devices at once are committed together; each device's entries must still
/// apply once and in its order, and every change must get its own number.
#[tokio::test]
async fn many_devices_pushing_at_once_apply_once_in_order_with_one_number_per_change() {
    let hub = TestHub::start();
    let b = board(&hub).await;
    let free: Vec<String> = b
        .units
        .iter()
        .filter(|u| u.status == tenfour_protocol::StatusCode::Available)
        .map(|u| u.callsign.clone())
        .collect();
    assert!(
        free.len() >= 3,
        "the demo agency has available units: {free:?}"
    );
    const PUSHES: usize = 30;
    let mut crews = Vec::new();
    for callsign in &free {
        let client = hub.sign_in("medic1", Some(callsign)).await;
        crews.push(tokio::spawn(async move {
            let mut device = Device::new();
            let mut ids = Vec::new();
            for i in 0..PUSHES {
                let status = if i % 2 == 0 {
                    "out_of_service"
                } else {
                    "available"
                };
                let entry = device.entry("status", json!({"status": status}));
                ids.push(entry["id"].as_str().unwrap().to_owned());
                let first = push(&client, vec![entry.clone()]).await;
                assert_eq!(outcomes(&first), ["applied"], "push {i}");
                if i % 10 == 0 {
                    // A retry after a lost reply, while the others keep pushing.
                    let again = push(&client, vec![entry]).await;
                    assert_eq!(outcomes(&again), ["duplicate"], "retry of push {i}");
                }
            }
            ids
        }));
    }
    let mut pushed = Vec::new();
    for crew in crews {
        pushed.push(crew.await.unwrap());
    }

    for callsign in &free {
        let statuses: Vec<String> = status_history(&hub, callsign)
            .await
            .into_iter()
            .map(|(status, _, outcome)| {
                assert_eq!(outcome, "applied");
                status
            })
            .collect();
        let expected: Vec<&str> = (0..PUSHES)
            .map(|i| {
                if i % 2 == 0 {
                    "out_of_service"
                } else {
                    "available"
                }
            })
            .collect();
        assert_eq!(statuses, expected, "{callsign}: every press once, in order");
    }

    // The change log: numbers 2..=head after the first with no gap or repeat, and each press
    // in the field feed exactly once.
    let dispatch = hub.sign_in("dispatch", None).await;
    let pages = all_pages(&dispatch, 500).await;
    let since = pages.last().map_or(0, |p| p.cursor);
    let changes: Vec<_> = pages.iter().flat_map(|p| &p.changes).collect();
    let cursors: Vec<u64> = changes.iter().map(|c| c.cursor).collect();
    let mut feed: Vec<String> = changes
        .iter()
        .filter_map(|c| match &c.body {
            ChangeBody::FieldEvent(event) => Some(event.entry_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(cursors, (2..=since).collect::<Vec<u64>>());
    let mut expected: Vec<String> = pushed.into_iter().flatten().collect();
    expected.sort();
    feed.sort();
    assert_eq!(feed, expected, "each press in the feed once");
}

/// Each of `entries` is refused with a reason, and an ordinary entry after them still applies:
/// no entry a device can send holds its queue.
async fn refused_then_queue_moves_on(
    medic: &Client,
    device: &mut Device,
    entries: Vec<Value>,
    reason_contains: &str,
) {
    let count = entries.len();
    let mut batch = entries;
    batch.push(device.entry("status", json!({"status": "en_route"})));
    let answer = push(medic, batch.clone()).await;
    let mut expected = vec!["rejected"; count];
    expected.push("applied");
    assert_eq!(outcomes(&answer), expected, "{answer:?}");
    for result in &answer.results[..count] {
        let reason = result.reason.as_deref().unwrap_or_default();
        assert!(reason.contains(reason_contains), "{reason}");
    }
    // The retry after a lost answer repeats the first answers and changes nothing.
    let again = push(medic, batch).await;
    assert_eq!(outcomes(&again), vec!["duplicate"; count + 1]);
}

#[tokio::test]
async fn a_status_naming_an_incident_that_does_not_exist_is_refused_and_the_queue_moves_on() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let entries = vec![
        device.entry(
            "status",
            json!({"status": "en_route", "incident_id": 999_999}),
        ),
        device.entry("status", json!({"status": "available", "incident_id": -1})),
    ];
    refused_then_queue_moves_on(
        &medic,
        &mut device,
        entries,
        "does not exist in your agency",
    )
    .await;
    let history = status_history(&hub, "M12").await;
    let outcomes: Vec<&str> = history.iter().map(|h| h.2.as_str()).collect();
    assert_eq!(outcomes, ["rejected", "rejected", "applied"]);
}

#[tokio::test]
async fn an_entry_id_used_before_is_refused_and_the_queue_moves_on() {
    let hub = TestHub::start();
    let b = board(&hub).await;
    let breathing = incident(&b, "BREATHING").id;
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let note = device.entry(
        "field_note",
        json!({"incident_id": breathing, "text": "first"}),
    );
    assert_eq!(
        outcomes(&push(&medic, vec![note.clone()]).await),
        ["applied"]
    );

    // The same id under another seq of the same device, and from a device of another agency.
    let mut copy = device.entry(
        "field_note",
        json!({"incident_id": breathing, "text": "copy"}),
    );
    copy["id"] = note["id"].clone();
    refused_then_queue_moves_on(&medic, &mut device, vec![copy], "already used").await;

    let other = hub.sign_in("other-medic", Some("X1")).await;
    let mut other_device = Device::new();
    let mut forged = other_device.entry("status", json!({"status": "out_of_service"}));
    forged["id"] = note["id"].clone();
    refused_then_queue_moves_on(&other, &mut other_device, vec![forged], "already used").await;

    let notes = query(&hub, "SELECT text FROM notes WHERE source = 'field'").await;
    assert_eq!(notes, [["first".to_owned()]]);
}

#[tokio::test]
async fn a_status_naming_another_agencys_incident_is_refused_and_kept_out_of_the_feed() {
    let hub = TestHub::start();
    let theirs: i64 = query(
        &hub,
        "SELECT i.id FROM incidents i JOIN agencies a ON a.id = i.agency_id WHERE a.slug = 'other'",
    )
    .await[0][0]
        .parse()
        .unwrap();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let entries = vec![
        device.entry(
            "status",
            json!({"status": "available", "incident_id": theirs}),
        ),
        device.entry(
            "status",
            json!({"status": "on_scene", "incident_id": theirs}),
        ),
    ];
    refused_then_queue_moves_on(
        &medic,
        &mut device,
        entries,
        "does not exist in your agency",
    )
    .await;
    let named = query(
        &hub,
        &format!(
            "SELECT count(*) FROM status_events s JOIN units u ON u.id = s.unit_id
             WHERE u.callsign = 'M12' AND s.incident_id = {theirs}"
        ),
    )
    .await;
    assert_eq!(named, [["0".to_owned()]]);
    let dispatch = hub.sign_in("dispatch", None).await;
    let pages = all_pages(&dispatch, 500).await;
    for change in pages.iter().flat_map(|p| &p.changes) {
        if let ChangeBody::FieldEvent(event) = &change.body {
            assert_ne!(event.incident_id, Some(theirs), "{event:?}");
        }
    }
}

/// The documented maxima fit the body limit in any script: 100 notes of 2,000 characters
/// that take 4 bytes each.
#[tokio::test]
async fn a_full_batch_of_the_longest_notes_in_a_four_byte_script_fits() {
    let hub = TestHub::start();
    let b = board(&hub).await;
    let breathing = incident(&b, "BREATHING").id;
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let text = "𝄞".repeat(tenfour_protocol::wire::MAX_NOTE_CHARS);
    let batch: Vec<Value> = (0..tenfour_protocol::wire::MAX_PUSH_ENTRIES)
        .map(|_| {
            device.entry(
                "field_note",
                json!({"incident_id": breathing, "text": text}),
            )
        })
        .collect();
    let answer = push(&medic, batch).await;
    assert_eq!(
        outcomes(&answer),
        vec!["applied"; tenfour_protocol::wire::MAX_PUSH_ENTRIES]
    );
}

/// The hub applies the same per-kind table as the buttons: a fire engine never transports.
#[tokio::test]
async fn a_fire_engine_cannot_report_transporting() {
    let hub = TestHub::start();
    let fire = hub.sign_in("fire1", Some("E3")).await;
    let mut device = Device::new();
    let answer = push(
        &fire,
        vec![device.entry("status", json!({"status": "transporting"}))],
    )
    .await;
    assert_eq!(outcomes(&answer), ["rejected"]);
    let reason = answer.results[0].reason.as_deref().unwrap();
    assert!(reason.contains("not a status of a fire unit"), "{reason}");
}

#[tokio::test]
async fn a_device_number_serves_only_the_user_who_first_used_it() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    let first = device.entry("status", json!({"status": "en_route"}));
    let answer = push(&medic, vec![first]).await;
    assert_eq!(outcomes(&answer), ["applied"], "{answer:?}");

    // Another responder pushes under medic1's device number, with the numbers that come next.
    let intruder = hub.sign_in("medic2", Some("M14")).await;
    let mut forged_device = Device {
        client_id: device.client_id.clone(),
        seq: device.seq,
    };
    let forged = vec![
        forged_device.entry("status", json!({"status": "on_scene"})),
        forged_device.entry("status", json!({"status": "en_route"})),
    ];
    let answer = push(&intruder, forged).await;
    assert_eq!(outcomes(&answer), ["rejected", "rejected"], "{answer:?}");
    let reason = answer.results[0].reason.as_deref().unwrap_or_default();
    assert!(reason.contains("another user's device"), "{reason}");

    // medic1's genuine next entry still has its number.
    let genuine = device.entry("status", json!({"status": "on_scene"}));
    let answer = push(&medic, vec![genuine]).await;
    assert_eq!(outcomes(&answer), ["applied"], "{answer:?}");
    let history = status_history(&hub, "M12").await;
    assert_eq!(history.len(), 2);
    assert!(status_history(&hub, "M14").await.is_empty());
}

/// A unit's status and position go to dispatch, the unit itself and the units on its call:
/// responders show other units only on their own call (with 2,000 units connected, a press
/// is not 2,000 copies). A unit put on a call is shown the units already there.
#[tokio::test]
async fn a_units_changes_reach_dispatch_itself_and_its_crew_only() {
    let hub = TestHub::start();
    let m14 = hub.sign_in("medic2", Some("M14")).await;
    let p11 = hub.sign_in("officer3", Some("P11")).await;
    let m12 = hub.sign_in("medic1", Some("M12")).await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let start: ChangesPage = p11
        .ok(Method::GET, "/api/sync/changes?since=0&limit=500", None)
        .await;
    assert!(!start.more);
    let mut device = Device::new();
    let fix = json!({"location": {"latitude": 43.77, "longitude": 11.25, "accuracy_m": 10.0}});
    let position = device.entry("position", fix.clone());
    let off = device.entry("status", json!({"status": "out_of_service"}));
    let answers = m14.push(vec![position, off]).await;
    assert_eq!(outcomes(&answers), ["applied", "applied"]);
    assert!(
        unit_changes(&p11, start.cursor, "M14").await.is_empty(),
        "another crew, on no call with M14: nothing"
    );
    let both = [
        ("available".to_owned(), true),
        ("out_of_service".to_owned(), true),
    ];
    assert_eq!(
        unit_changes(&m14, start.cursor, "M14").await,
        both,
        "itself"
    );
    assert_eq!(
        unit_changes(&dispatch, start.cursor, "M14").await,
        both,
        "dispatch"
    );

    // Both on one call: each sees the other, from the assignment on.
    let back = device.entry("status", json!({"status": "available"}));
    assert_eq!(outcomes(&m14.push(vec![back]).await), ["applied"]);
    let (status, created) = dispatch.post("/api/incidents", new_incident()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let incident: Incident = serde_json::from_value(created).unwrap();
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let id = |callsign: &str| {
        board
            .units
            .iter()
            .find(|u| u.callsign == callsign)
            .unwrap()
            .id
    };
    let assignments = format!("/api/incidents/{}/assignments", incident.id);
    for unit in ["P11", "M14"] {
        let (status, body) = dispatch
            .post(&assignments, json!({"unit_id": id(unit)}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let on_call: ChangesPage = p11
        .ok(
            Method::GET,
            &format!("/api/sync/changes?since={}&limit=500", start.cursor),
            None,
        )
        .await;
    let en_route = device.entry("status", json!({"status": "en_route"}));
    let moved = device.entry("position", fix);
    let answers = m14.push(vec![en_route, moved]).await;
    assert_eq!(outcomes(&answers), ["applied", "applied"]);
    let seen = unit_changes(&p11, on_call.cursor, "M14").await;
    assert_eq!(
        seen,
        [("en_route".to_owned(), true), ("en_route".to_owned(), true)],
        "P11, on the call: M14's status and its position"
    );
    let shown = unit_changes(&m14, start.cursor, "P11").await;
    assert_eq!(
        shown.last().map(|(status, _)| status.as_str()),
        Some("dispatched"),
        "M14, put on the call after P11, is shown P11: {shown:?}"
    );
    assert!(
        unit_changes(&m12, start.cursor, "M14").await.is_empty(),
        "M12, on another call: nothing of M14"
    );
}

fn new_incident() -> Value {
    json!({
        "nature_code": "CARDIAC", "priority": 1, "address": "Piazza della Signoria",
        "latitude": 43.7696, "longitude": 11.2558, "caller_name": "Pat Doe",
        "callback": "+39 055 555 0100", "caller_notes": "Fell on the steps."
    })
}

/// The copies of a unit a client may pull after `since`: (status, has a position).
async fn unit_changes(client: &Client, since: u64, callsign: &str) -> Vec<(String, bool)> {
    client
        .pull(since)
        .await
        .changes
        .into_iter()
        .filter_map(|c| match c.body {
            ChangeBody::Unit(u) if u.callsign == callsign => {
                Some((u.status.as_str().to_owned(), u.position.is_some()))
            }
            _ => None,
        })
        .collect()
}
