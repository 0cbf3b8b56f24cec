//! The device store in a real browser (IndexedDB in Chromium): outbox order and atomicity,
//! settling, the upgrade from the previous schema keeping queued actions, and a cursor that
//! never goes backwards.

#![cfg(target_arch = "wasm32")]

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use serde_json::json;
use tenfour::store::{CURSOR_BACKWARDS, SavedSession, Store, new_uuid};
use tenfour_protocol::StatusCode;
use tenfour_protocol::wire::{
    Action, ActionKind, AgencyInfo, Change, ChangeBody, EntryResult, FieldEvent, FieldNotePayload,
    Incident, IncidentNote, IncidentState, Note, NoteSource, Outcome, Role, SessionInfo,
    StatusPayload, Unit, UnitKind, UserInfo,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn fresh() -> (Store, String) {
    let name = format!("test-{}", new_uuid());
    (Store::open_named(&name).await.unwrap(), name)
}

fn status(status: StatusCode) -> Action {
    Action::Status(StatusPayload {
        status,
        incident_id: Some(1),
        location: None,
    })
}

fn result(entry_seq: u64, id: &str, outcome: Outcome, reason: Option<&str>) -> EntryResult {
    EntryResult {
        seq: entry_seq,
        id: id.to_owned(),
        outcome,
        original: None,
        reason: reason.map(str::to_owned),
        expected_seq: None,
    }
}

#[wasm_bindgen_test]
async fn actions_queue_in_order_under_one_device_id() {
    let (store, _) = fresh().await;
    let a = store
        .queue(&status(StatusCode::EnRoute), 1000)
        .await
        .unwrap();
    let b = store
        .queue(
            &Action::FieldNote(FieldNotePayload {
                incident_id: 1,
                text: "hello".into(),
            }),
            2000,
        )
        .await
        .unwrap();
    let c = store
        .queue(&status(StatusCode::OnScene), 3000)
        .await
        .unwrap();
    let outbox = store.outbox().await.unwrap();
    let seqs: Vec<u64> = outbox.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(outbox, vec![a.clone(), b, c]);
    assert!(outbox.iter().all(|e| e.client_id == a.client_id));
    assert_eq!(outbox[2].action().unwrap(), status(StatusCode::OnScene));
}

#[wasm_bindgen_test]
async fn a_failed_write_leaves_neither_the_entry_nor_a_used_number() {
    let (store, name) = fresh().await;
    store
        .queue(&status(StatusCode::EnRoute), 1000)
        .await
        .unwrap();
    // Occupy key 2 behind the store's back so the next queue's write fails.
    let raw = Database::open(name.as_str()).await.unwrap();
    let tx = raw
        .transaction("outbox")
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    tx.object_store("outbox")
        .unwrap()
        .put("squatter")
        .with_key(2.0f64)
        .primitive()
        .unwrap()
        .await
        .unwrap();
    tx.commit().await.unwrap();
    raw.close();

    assert!(
        store
            .queue(&status(StatusCode::OnScene), 2000)
            .await
            .is_err()
    );
    // The counter did not advance: the transaction rolled back as a whole.
    let raw = Database::open(name.as_str()).await.unwrap();
    let tx = raw.transaction("meta").build().unwrap();
    let last: Option<String> = tx
        .object_store("meta")
        .unwrap()
        .get("last_seq")
        .primitive()
        .unwrap()
        .await
        .unwrap();
    assert_eq!(last.as_deref(), Some("1"));
}

#[wasm_bindgen_test]
async fn settled_entries_leave_the_outbox_and_rejections_keep_their_reason() {
    let (store, _) = fresh().await;
    let a = store
        .queue(&status(StatusCode::EnRoute), 1000)
        .await
        .unwrap();
    let b = store
        .queue(&status(StatusCode::AtHospital), 2000)
        .await
        .unwrap();
    let c = store
        .queue(&status(StatusCode::OnScene), 3000)
        .await
        .unwrap();
    store
        .settle(&[
            result(a.seq, &a.id, Outcome::Applied, None),
            result(
                b.seq,
                &b.id,
                Outcome::Rejected,
                Some("cannot go from En route to At hospital"),
            ),
            result(c.seq, &c.id, Outcome::Gap, None),
        ])
        .await
        .unwrap();
    let outbox = store.outbox().await.unwrap();
    assert_eq!(outbox, vec![c], "only the unsettled entry stays");
    let rejected = store.rejected().await.unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].entry, b);
    assert!(rejected[0].reason.contains("At hospital"));
    let delivered = store.delivered().await.unwrap();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].entry, a);
}

#[wasm_bindgen_test]
async fn upgrading_from_schema_1_keeps_queued_actions() {
    let name = format!("test-{}", new_uuid());
    // Version 1 as an earlier build created it, with one action waiting.
    let v1 = Database::open(name.as_str())
        .with_version(1u32)
        .with_on_upgrade_needed(|_, db| {
            for store in ["meta", "outbox", "incidents", "units"] {
                db.create_object_store(store).build()?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let queued = json!({
        "client_id": "0b1c9a8e-64a4-4c1a-9c55-2a3f1e9b7d10", "seq": 1,
        "id": "9f0e6b1e-8d4e-4b5e-a4d7-1c2b3a4d5e6f", "at": 1000,
        "kind": "status", "payload": {"status": "en_route"}
    });
    let tx = v1
        .transaction(["meta", "outbox"])
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    tx.object_store("outbox")
        .unwrap()
        .put(queued.to_string())
        .with_key(1.0f64)
        .primitive()
        .unwrap()
        .await
        .unwrap();
    let meta = tx.object_store("meta").unwrap();
    meta.put("\"0b1c9a8e-64a4-4c1a-9c55-2a3f1e9b7d10\"")
        .with_key("client_id")
        .primitive()
        .unwrap()
        .await
        .unwrap();
    meta.put("1")
        .with_key("last_seq")
        .primitive()
        .unwrap()
        .await
        .unwrap();
    tx.commit().await.unwrap();
    v1.close();

    let store = Store::open_named(&name).await.unwrap();
    let outbox = store.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(
        outbox[0].action().unwrap(),
        status_without_incident(StatusCode::EnRoute)
    );
    let next = store
        .queue(&status(StatusCode::OnScene), 2000)
        .await
        .unwrap();
    assert_eq!(next.seq, 2, "numbering continues");
    assert_eq!(next.client_id, "0b1c9a8e-64a4-4c1a-9c55-2a3f1e9b7d10");
    assert!(
        store.rejected().await.unwrap().is_empty(),
        "the new stores exist"
    );
}

fn status_without_incident(status: StatusCode) -> Action {
    Action::Status(StatusPayload {
        status,
        incident_id: None,
        location: None,
    })
}

fn unit_change(cursor: u64, status: StatusCode) -> Change {
    Change {
        cursor,
        body: ChangeBody::Unit(Unit {
            id: 4,
            callsign: "M12".into(),
            kind: UnitKind::Ems,
            status,
            incident_id: None,
            status_at: 0,
            last_heard_at: None,
            retired: false,
            check_in_due_at: None,
            check_in_warn_at: None,
            position: None,
        }),
    }
}

#[wasm_bindgen_test]
async fn the_cursor_never_goes_backwards_and_old_changes_never_win() {
    let (store, _) = fresh().await;
    store
        .apply_changes(&[unit_change(10, StatusCode::OnScene)], 10)
        .await
        .unwrap();
    assert_eq!(store.cursor().await.unwrap(), 10);

    let err = store
        .apply_changes(&[unit_change(5, StatusCode::Available)], 5)
        .await
        .unwrap_err();
    assert_eq!(err.0, CURSOR_BACKWARDS);
    assert_eq!(store.cursor().await.unwrap(), 10);
    assert_eq!(
        store.units().await.unwrap()[0].record.status,
        StatusCode::OnScene
    );

    // A page whose cursor is newer but that carries an older copy of a record keeps the newer,
    // and tells the screens it wrote nothing (they patch only what a page wrote).
    let written = store
        .apply_changes(&[unit_change(7, StatusCode::Available)], 12)
        .await
        .unwrap();
    assert!(written.is_empty(), "{written:?}");
    assert_eq!(store.cursor().await.unwrap(), 12);
    let units = store.units().await.unwrap();
    assert_eq!(units[0].record.status, StatusCode::OnScene);
    assert_eq!(units[0].cursor, 10);

    // What a page wrote is what the store now holds.
    let written = store
        .apply_changes(&[unit_change(13, StatusCode::Available)], 13)
        .await
        .unwrap();
    assert_eq!(written.units, store.units().await.unwrap());
    assert_eq!(written.units[0].record.status, StatusCode::Available);
}

fn session_of(user_id: i64) -> SavedSession {
    SavedSession {
        token: format!("token-{user_id}"),
        expired: false,
        info: SessionInfo {
            token: None,
            expires_at: 9_999_999_999_999,
            user: UserInfo {
                id: user_id,
                username: format!("user{user_id}"),
                display_name: format!("User {user_id}"),
                role: Role::Responder,
            },
            agency: AgencyInfo {
                id: 1,
                slug: "demo".into(),
                name: "Demo".into(),
                emergency_phone: String::new(),
                position_interval_s: 15,
            },
            unit: None,
            must_change_password: false,
        },
    }
}

#[wasm_bindgen_test]
async fn another_user_on_a_shared_device_gets_a_device_number_of_their_own() {
    let (store, _) = fresh().await;
    store.save_session(&session_of(1)).await.unwrap();
    let first = store
        .queue(&status(StatusCode::EnRoute), 1000)
        .await
        .unwrap();
    let waiting = store
        .queue(&status(StatusCode::OnScene), 2000)
        .await
        .unwrap();
    store
        .settle(&[result(first.seq, &first.id, Outcome::Applied, None)])
        .await
        .unwrap();
    // Signing out keeps the same user: nothing changes.
    let mut signed_out = session_of(1);
    signed_out.expired = true;
    store.save_session(&signed_out).await.unwrap();
    assert_eq!(store.outbox().await.unwrap(), vec![waiting.clone()]);

    // Another user signs in: the waiting entry moves, with its id, to a new number from 1.
    store.save_session(&session_of(2)).await.unwrap();
    let moved = store.outbox().await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_ne!(moved[0].client_id, waiting.client_id);
    assert_eq!((moved[0].seq, &moved[0].id), (1, &waiting.id));
    let next = store
        .queue(&status(StatusCode::Transporting), 3000)
        .await
        .unwrap();
    assert_eq!(
        (next.client_id.as_str(), next.seq),
        (moved[0].client_id.as_str(), 2)
    );

    // Settling under the new numbers keeps the earlier delivered record and adds these.
    store
        .settle(&[
            result(1, &waiting.id, Outcome::Applied, None),
            result(2, &next.id, Outcome::Rejected, Some("not allowed")),
        ])
        .await
        .unwrap();
    assert!(store.outbox().await.unwrap().is_empty());
    let delivered: Vec<String> = store
        .delivered()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.entry.id.clone())
        .collect();
    assert_eq!(delivered, [first.id.clone(), waiting.id.clone()]);
    let rejected = store.rejected().await.unwrap();
    assert_eq!(rejected.len(), 1);
    store.dismiss_rejected(&next.id).await.unwrap();
    assert!(store.rejected().await.unwrap().is_empty());
}

fn incident_change(cursor: u64, id: i64, state: IncidentState) -> Change {
    Change {
        cursor,
        body: ChangeBody::Incident(Incident {
            id,
            number: format!("26-{id}"),
            nature_code: "FALL".into(),
            nature_text: "Fall".into(),
            priority: 2,
            address: "1 Main St".into(),
            latitude: None,
            longitude: None,
            caller_name: String::new(),
            callback: String::new(),
            cautions: Vec::new(),
            state,
            created_at: 0,
            updated_at: 0,
            notes: Vec::new(),
            assignments: Vec::new(),
        }),
    }
}

fn feed_change(cursor: u64) -> Change {
    Change {
        cursor,
        body: ChangeBody::FieldEvent(FieldEvent {
            entry_id: new_uuid(),
            unit_id: 4,
            callsign: "M12".into(),
            kind: ActionKind::Status,
            incident_id: None,
            status: Some(StatusCode::Available),
            text: None,
            at: 0,
            received_at: 0,
            outcome: Outcome::Applied,
            reason: None,
        }),
    }
}

#[wasm_bindgen_test]
async fn the_device_forgets_calls_closed_long_ago_and_the_oldest_feed_but_never_the_outbox() {
    let (store, _) = fresh().await;
    store.queue(&status(StatusCode::EnRoute), 1).await.unwrap();
    let changes = vec![
        incident_change(1, 1, IncidentState::Active),
        incident_change(2, 2, IncidentState::Closed),
        feed_change(3),
        feed_change(4),
        feed_change(5),
        feed_change(6),
        feed_change(7),
    ];
    store.apply_changes(&changes, 7).await.unwrap();
    let arrived = store.incidents().await.unwrap()[0].synced_at;

    // Closed an hour ago: still shown.
    let hour = 3_600_000;
    assert!(!store.forget_old(arrived + hour, 10).await.unwrap());
    assert_eq!(store.incidents().await.unwrap().len(), 2);

    // Thirteen hours on: the closed call goes, the open one stays, the feed keeps its newest 3.
    assert!(store.forget_old(arrived + 13 * hour, 3).await.unwrap());
    let left: Vec<i64> = store
        .incidents()
        .await
        .unwrap()
        .iter()
        .map(|i| i.record.id)
        .collect();
    assert_eq!(left, [1]);
    let feed: Vec<u64> = store
        .feed_after(0)
        .await
        .unwrap()
        .iter()
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(feed, [5, 6, 7]);
    assert_eq!(
        store.outbox().await.unwrap().len(),
        1,
        "the outbox is never forgotten"
    );
    assert!(
        !store.forget_old(arrived + 13 * hour, 3).await.unwrap(),
        "nothing more"
    );
}

fn note_change(cursor: u64, incident_id: i64, note_id: i64) -> Change {
    Change {
        cursor,
        body: ChangeBody::Note(IncidentNote {
            incident_id,
            note: Note {
                id: note_id,
                source: NoteSource::Caller,
                author: "Dana Reyes (dispatch)".into(),
                unit_id: None,
                text: format!("note {note_id}"),
                at: 10,
                received_at: 10,
            },
        }),
    }
}

#[wasm_bindgen_test]
async fn a_note_that_arrives_by_itself_joins_the_stored_incident() {
    let (store, _) = fresh().await;
    store
        .apply_changes(&[incident_change(1, 1, IncidentState::Active)], 1)
        .await
        .unwrap();
    let written = store
        .apply_changes(&[note_change(2, 1, 7), note_change(3, 99, 8)], 3)
        .await
        .unwrap();
    // The screens are handed the incident as it now stands; a note on a call this device
    // does not hold changes nothing.
    assert_eq!(written.incidents.len(), 1);
    assert_eq!(written.incidents[0].record.notes[0].text, "note 7");
    let stored = store.incidents().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].cursor, 2);
    assert_eq!(stored[0].record.notes.len(), 1);
    // An older copy of the incident, without the note, never replaces it; the same note
    // again is one note.
    store
        .apply_changes(&[incident_change(1, 1, IncidentState::Active)], 4)
        .await
        .unwrap();
    store
        .apply_changes(&[note_change(5, 1, 7)], 5)
        .await
        .unwrap();
    let stored = store.incidents().await.unwrap();
    assert_eq!(stored[0].record.notes.len(), 1);
}

#[wasm_bindgen_test]
async fn one_page_that_changes_a_record_several_times_keeps_the_newest() {
    let (store, _) = fresh().await;
    // A first sync's page: the incident and then its notes, a unit twice (the newer change
    // first, as a page merged from two sources could hold), and the cursor after them.
    let page = [
        incident_change(1, 1, IncidentState::Active),
        note_change(2, 1, 7),
        unit_change(4, StatusCode::OnScene),
        note_change(5, 1, 8),
        unit_change(3, StatusCode::EnRoute),
    ];
    let written = store.apply_changes(&page, 5).await.unwrap();
    let incidents = store.incidents().await.unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].cursor, 5);
    let notes: Vec<_> = incidents[0].record.notes.iter().map(|n| n.id).collect();
    assert_eq!(notes, [7, 8]);
    let units = store.units().await.unwrap();
    assert_eq!(units.len(), 1);
    assert_eq!(
        (units[0].cursor, units[0].record.status),
        (4, StatusCode::OnScene)
    );
    // The screens are handed each record as it stood after each change, in order; the
    // unit's older change is not among them.
    let cursors: Vec<_> = written.incidents.iter().map(|i| i.cursor).collect();
    assert_eq!(cursors, [1, 2, 5]);
    assert_eq!(written.units.len(), 1);
    assert_eq!(store.cursor().await.unwrap(), 5);
}

/// A change of unit `id`.
fn unit_change_of(id: i64, cursor: u64, status: StatusCode) -> Change {
    let mut change = unit_change(cursor, status);
    if let ChangeBody::Unit(unit) = &mut change.body {
        unit.id = id;
        unit.callsign = format!("U{id}");
    }
    change
}

#[wasm_bindgen_test]
async fn a_page_of_many_units_keeps_each_units_newest_copy() {
    let (store, _) = fresh().await;
    // The device holds units 1 to 30 as of cursor 100.
    let held: Vec<_> = (1..=30)
        .map(|id| unit_change_of(id, 100, StatusCode::Available))
        .collect();
    store.apply_changes(&held, 100).await.unwrap();
    // A page about units 21 to 60: the ones it holds, older (odd) or newer (even), and
    // 30 it does not hold yet.
    let page: Vec<_> = (21..=60)
        .map(|id| match (id <= 30, id % 2 == 0) {
            (true, false) => unit_change_of(id, 50, StatusCode::OutOfService),
            _ => unit_change_of(id, 200, StatusCode::OnScene),
        })
        .collect();
    let written = store.apply_changes(&page, 200).await.unwrap();
    // 5 newer copies of held units and 30 new units; the 5 older copies are not written.
    assert_eq!(written.units.len(), 35);
    let units = store.units().await.unwrap();
    assert_eq!(units.len(), 60);
    for unit in &units {
        let id = unit.record.id;
        let expected = if id <= 20 || (id <= 30 && id % 2 == 1) {
            (100, StatusCode::Available)
        } else {
            (200, StatusCode::OnScene)
        };
        assert_eq!((unit.cursor, unit.record.status), expected, "unit {id}");
    }
}
