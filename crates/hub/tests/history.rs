//! A new device starts from now, not from the agency's first change: its first pull is the
//! newest copy of each record it may see, and the hub drops history older than it keeps
//! (copies a newer one replaced, old field events), sending a device whose cursor is older
//! than that a snapshot and its stream a resync. Real hub, real SQLite file.

mod common;

use common::{Client, Device, EventReader, TestHub, query};
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use tenfour_protocol::wire::{ChangeBody, ChangesPage, IncidentState};

const WITHIN: Duration = Duration::from_secs(10);

/// How many copies of each record (kind and id) a page carries, and its field events.
fn copies(page: &ChangesPage) -> (BTreeMap<(String, i64), usize>, usize) {
    let mut records = BTreeMap::new();
    let mut feed = 0;
    for change in &page.changes {
        let key = match &change.body {
            ChangeBody::Incident(i) => ("incident", i.id),
            ChangeBody::Unit(u) => ("unit", u.id),
            ChangeBody::Emergency(e) => ("emergency", e.id),
            ChangeBody::Agency(a) => ("agency", a.id),
            ChangeBody::FieldEvent(_) | ChangeBody::Note(_) | ChangeBody::Unknown => {
                feed += matches!(change.body, ChangeBody::FieldEvent(_)) as usize;
                continue;
            }
        };
        *records.entry((key.0.to_owned(), key.1)).or_insert(0) += 1;
    }
    (records, feed)
}

/// Twenty status presses from P11: twenty copies of the unit and twenty field events.
async fn twenty_presses(officer: &Client, device: &mut Device) {
    for i in 0..20 {
        let status = if i % 2 == 0 {
            "out_of_service"
        } else {
            "available"
        };
        let answer = officer
            .push(vec![device.entry("status", json!({"status": status}))])
            .await;
        assert_eq!(answer.results.len(), 1);
    }
}

#[tokio::test]
async fn a_new_device_starts_from_the_newest_copy_of_each_record_not_the_history() {
    let hub = TestHub::start();
    let officer = hub.sign_in("officer3", Some("P11")).await;
    let mut device = Device::new();
    twenty_presses(&officer, &mut device).await;
    let dispatch = hub.sign_in("dispatch", None).await;

    let first = dispatch.pull(0).await;
    let (records, feed) = copies(&first);
    assert!(
        records.values().all(|n| *n == 1),
        "one copy of each record: {records:?}"
    );
    assert!(!first.more, "a snapshot is one page");
    assert_eq!(feed, 20, "the feed's newest events come too (all 20 here)");
    let p11 = first
        .changes
        .iter()
        .find_map(|c| match &c.body {
            ChangeBody::Unit(u) if u.callsign == "P11" => Some(u.clone()),
            _ => None,
        })
        .expect("P11 is in the snapshot");
    assert_eq!(
        p11.status.as_str(),
        "available",
        "the newest copy: the last press"
    );
    // It ends at the head: nothing is missed after it.
    let after = dispatch.pull(first.cursor).await;
    assert!(after.changes.is_empty(), "{:?}", after.changes);
    assert_eq!(after.cursor, first.cursor);
    // The history it replaces is longer.
    let history = dispatch.pull(1).await;
    assert!(history.changes.len() > first.changes.len() + 19);

    // A responder's snapshot: its unit and the units on its call, only its own calls, no
    // field feed.
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let theirs = medic.pull(0).await;
    let (records, feed) = copies(&theirs);
    assert_eq!(feed, 0, "the field feed is for dispatchers");
    assert!(records.values().all(|n| *n == 1));
    let board: tenfour_protocol::wire::Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let call = board
        .units
        .iter()
        .find(|u| u.callsign == "M12")
        .unwrap()
        .incident_id;
    assert!(call.is_some(), "the demo puts M12 on a call");
    let mut crew: Vec<String> = board
        .units
        .iter()
        .filter(|u| u.incident_id == call)
        .map(|u| u.callsign.clone())
        .collect();
    crew.sort();
    assert_eq!(
        common::unit_callsigns(&theirs),
        crew,
        "M12 and the units on its call: {records:?}"
    );
    for change in &theirs.changes {
        if let ChangeBody::Incident(i) = &change.body {
            assert!(
                i.assignments.iter().any(|a| a.callsign == "M12"),
                "only M12's calls: {i:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_call_closed_half_a_day_ago_is_not_in_a_new_device_s_snapshot() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let board: tenfour_protocol::wire::Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let (closing, open) = (&board.incidents[0], &board.incidents[1]);
    let (status, closed) = dispatch
        .post(&format!("/api/incidents/{}/close", closing.id), json!({}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{closed}");

    let incidents = |page: &ChangesPage| -> Vec<(i64, IncidentState)> {
        page.changes
            .iter()
            .filter_map(|c| match &c.body {
                ChangeBody::Incident(i) => Some((i.id, i.state)),
                _ => None,
            })
            .collect()
    };
    // Closed a moment ago: still shown (the crew may still be reading it).
    let now = incidents(&dispatch.pull(0).await);
    assert!(
        now.contains(&(closing.id, IncidentState::Closed)),
        "{now:?}"
    );

    // Its last change recorded 13 hours ago, by the hub's clock.
    let thirteen_hours_ago = now_ms() - 13 * 3_600_000;
    sqlx_update(
        &hub,
        &format!(
            "UPDATE changes SET recorded_at = {thirteen_hours_ago}
             WHERE kind = 'incident' AND record_id = {}",
            closing.id
        ),
    )
    .await;
    let later = incidents(&dispatch.pull(0).await);
    assert!(
        !later.iter().any(|(id, _)| *id == closing.id),
        "closed 13 h ago: left out ({later:?})"
    );
    assert!(
        later.iter().any(|(id, _)| *id == open.id),
        "open calls stay"
    );
}

#[tokio::test]
async fn history_older_than_kept_is_dropped_and_a_device_that_far_behind_starts_again() {
    let mut hub = TestHub::start();
    let officer = hub.sign_in("officer3", Some("P11")).await;
    let mut device = Device::new();
    let dispatch = hub.sign_in("dispatch", None).await;
    let behind = dispatch.pull(0).await.cursor;
    twenty_presses(&officer, &mut device).await;
    let head = dispatch.pull(behind).await.cursor;

    // Keep nothing older than now: at start the hub drops every replaced copy and every
    // field event recorded before it.
    hub.restart_with(&["--keep-changes", "0"]);
    let left = query(
        &hub,
        "SELECT kind, record_id, count(*) FROM changes WHERE agency_id = 1
         GROUP BY kind, record_id HAVING count(*) > 1 OR kind = 'field_event'",
    )
    .await;
    assert!(
        left.is_empty(),
        "one copy per record and no old events: {left:?}"
    );
    let floor = query(&hub, "SELECT compacted_to FROM agencies WHERE id = 1").await;
    assert_eq!(floor, [[head.to_string()]]);

    // The device that stopped before the presses cannot replay them: it gets the newest
    // copies, up to the head.
    let dispatch = hub.sign_in("dispatch", None).await;
    let caught_up = dispatch.pull(behind).await;
    assert_eq!(caught_up.cursor, head);
    let (records, _) = copies(&caught_up);
    assert!(records.values().all(|n| *n == 1));
    assert!(caught_up.changes.iter().any(|c| matches!(
        &c.body,
        ChangeBody::Unit(u) if u.callsign == "P11" && u.status.as_str() == "available"
    )));
    // Its live stream says to pull instead of sending what it no longer has.
    let response = dispatch
        .request(Method::GET, &format!("/api/sync/stream?since={behind}"))
        .send()
        .await
        .unwrap();
    let mut stream = EventReader::new(response);
    let first = stream.next(WITHIN).await;
    assert_eq!(first.event, "resync", "{first:?}");

    // What happens next is followed change by change as before.
    let officer = hub.sign_in("officer3", Some("P11")).await;
    officer
        .push(vec![
            device.entry("status", json!({"status": "out_of_service"})),
        ])
        .await;
    let next = dispatch.pull(head).await;
    assert!(next.changes.iter().any(|c| matches!(
        &c.body,
        ChangeBody::Unit(u) if u.callsign == "P11" && u.status.as_str() == "out_of_service"
    )));
    assert!(next.changes.iter().all(|c| c.cursor > head));
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// One write to the hub's database beside the running hub (SQLite in WAL mode takes it).
async fn sqlx_update(hub: &TestHub, sql: &str) {
    hub.execute(sql).await.unwrap();
}

/// The incident as a new device rebuilds it from a snapshot: the newest copy, then the notes
/// that came after it.
fn rebuilt(page: &ChangesPage, incident_id: i64) -> tenfour_protocol::wire::Incident {
    let mut incident = None;
    for change in &page.changes {
        match &change.body {
            ChangeBody::Incident(i) if i.id == incident_id => incident = Some(i.clone()),
            ChangeBody::Note(n) if n.incident_id == incident_id => {
                incident
                    .as_mut()
                    .expect("a note comes after its incident")
                    .add_note(n.note.clone());
            }
            _ => {}
        }
    }
    incident.expect("the incident is in the snapshot")
}

#[tokio::test]
async fn a_note_travels_as_itself_however_many_notes_the_call_has() {
    let mut hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let board: tenfour_protocol::wire::Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let call = board
        .incidents
        .iter()
        .find(|i| i.assignments.iter().any(|a| a.callsign == "M12"))
        .unwrap()
        .id;
    let text = "Caller says the patient is breathing but not answering; door code 4411.";
    for _ in 0..199 {
        let (status, body) = dispatch
            .post(
                &format!("/api/incidents/{call}/notes"),
                json!({ "text": text }),
            )
            .await;
        assert!(status.is_success(), "{status}: {body}");
    }
    let before = dispatch.pull(0).await.cursor;
    // The 200th: a note from the crew on the call.
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let mut device = Device::new();
    medic
        .push(vec![device.entry(
            "field_note",
            json!({"incident_id": call, "text": "Patient conscious, going to St. Mary's."}),
        )])
        .await;

    // What the crew's devices and the board are sent: the note, not the call with 200 notes.
    let page = medic.pull(before).await;
    let note = page
        .changes
        .iter()
        .find(|c| matches!(&c.body, ChangeBody::Note(n) if n.incident_id == call))
        .expect("the note comes as a note");
    let note_bytes = serde_json::to_string(note).unwrap().len();
    assert!(
        !page
            .changes
            .iter()
            .any(|c| matches!(&c.body, ChangeBody::Incident(_))),
        "no new copy of the incident"
    );
    let whole = rebuilt(&medic.pull(0).await, call);
    let whole_bytes = serde_json::to_string(&whole).unwrap().len();
    assert!(
        whole_bytes > 50 * note_bytes,
        "a note change ({note_bytes} bytes) is far smaller than the call ({whole_bytes} bytes)"
    );
    // A new device rebuilds the call whole: its newest copy, then the notes after it.
    assert_eq!(
        whole.notes.len(),
        201,
        "every note once: the caller's, 199 from dispatch and the crew's"
    );
    assert!(
        whole
            .notes
            .iter()
            .any(|n| n.text == "Patient conscious, going to St. Mary's.")
    );

    // Compaction keeps what the snapshot needs: the notes no copy of the call shows yet.
    hub.restart_with(&["--keep-changes", "0"]);
    let dispatch = hub.sign_in("dispatch", None).await;
    let after = rebuilt(&dispatch.pull(0).await, call);
    assert_eq!(after.notes, whole.notes);
}
