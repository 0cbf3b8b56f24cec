//! What the responder sees: the synced records with the pending outbox laid over them.
//!
//! The device never edits a synced record in place. A pending action is shown by deriving
//! the view from the records plus the outbox, so when the hub's answer arrives the view
//! simply follows the records, and a rejected action disappears from it with its reason.

use crate::StatusCode;
use crate::wire::{
    AcknowledgePayload, Action, Assignment, FieldNotePayload, Incident, IncidentState, Millis,
    OutboxEntry, Queued, StatusPayload, Unit,
};

/// The unit's status as the responder last set it: the newest pending status, else the
/// synced one.
pub fn unit_status(unit: &Unit, pending: &[Queued]) -> StatusCode {
    pending
        .iter()
        .rev()
        .find_map(|entry| match &entry.action {
            Ok(Action::Status(StatusPayload { status, .. })) => Some(*status),
            Ok(Action::Acknowledge(_)) if unit.status == StatusCode::Dispatched => {
                Some(StatusCode::Acknowledged)
            }
            _ => None,
        })
        .unwrap_or(unit.status)
}

/// Whether an action the hub has applied must still be laid over the synced records: until
/// a copy of the unit that arrived after the hub's answer shows its effect. Both times are
/// this device's own clock (when the answer was recorded, when the unit copy was stored), so
/// a device clock minutes off the hub's changes nothing; comparing the press time with the
/// hub's `status_at` would.
pub fn applied_not_yet_pulled(
    entry: &OutboxEntry,
    settled_at: Millis,
    unit_synced_at: Millis,
) -> bool {
    entry.kind != crate::wire::ActionKind::Status || settled_at >= unit_synced_at
}

/// The unit's active assignment on an incident, if any.
pub fn active_assignment(incident: &Incident, unit_id: i64) -> Option<&Assignment> {
    incident
        .assignments
        .iter()
        .rev()
        .find(|a| a.unit_id == unit_id && a.is_active())
}

/// The incidents the unit is working, most urgent first (priority, then oldest dispatch).
pub fn my_assignments(incidents: &[Incident], unit_id: i64) -> Vec<&Incident> {
    let mut mine: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.state == IncidentState::Active && active_assignment(i, unit_id).is_some())
        .collect();
    mine.sort_by_key(|i| {
        let dispatched = active_assignment(i, unit_id).map_or(0, |a| a.dispatched_at);
        (i.priority, dispatched)
    });
    mine
}

/// An assignment nobody on the device has acknowledged yet (it takes over the screen).
pub fn unacknowledged<'a>(
    incidents: &'a [Incident],
    unit_id: i64,
    pending: &[Queued],
) -> Option<(&'a Incident, &'a Assignment)> {
    my_assignments(incidents, unit_id)
        .into_iter()
        .filter_map(|i| active_assignment(i, unit_id).map(|a| (i, a)))
        .find(|(incident, a)| {
            a.acknowledged_at.is_none()
                && !pending.iter().any(|e| match &e.action {
                    Ok(Action::Acknowledge(AcknowledgePayload { assignment_id })) => {
                        *assignment_id == a.id
                    }
                    // Pressing any status for the incident also answers the alert.
                    Ok(Action::Status(StatusPayload { incident_id, .. })) => {
                        *incident_id == Some(incident.id)
                    }
                    _ => false,
                })
        })
}

/// A field note still in the outbox, shown in the timeline as waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingNote {
    pub seq: u64,
    pub text: String,
    pub at: Millis,
}

pub fn pending_notes(incident_id: i64, pending: &[Queued]) -> Vec<PendingNote> {
    pending
        .iter()
        .filter_map(|e| match &e.action {
            Ok(Action::FieldNote(FieldNotePayload {
                incident_id: id,
                text,
            })) if *id == incident_id => Some(PendingNote {
                seq: e.seq,
                text: text.clone(),
                at: e.at,
            }),
            _ => None,
        })
        .collect()
}

/// "9 min ago" style age of a record, from two Unix-millisecond times.
pub fn age(now: Millis, then: Millis) -> String {
    let seconds = (now - then).max(0) / 1000;
    match seconds {
        0..=44 => "just now".into(),
        45..=89 => "1 min ago".into(),
        90..=3599 => format!("{} min ago", (seconds + 30) / 60),
        3600..=86_399 => format!("{} h ago", seconds / 3600),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{ActionKind, UnitKind};
    use serde_json::json;

    fn unit(status: StatusCode) -> Unit {
        Unit {
            id: 4,
            callsign: "M12".into(),
            kind: UnitKind::Ems,
            status,
            incident_id: Some(1),
            status_at: 0,
            last_heard_at: None,
            retired: false,
            check_in_due_at: None,
            check_in_warn_at: None,
            position: None,
        }
    }

    fn entry(seq: u64, kind: ActionKind, payload: serde_json::Value) -> Queued {
        Queued::from(OutboxEntry {
            client_id: "0b1c9a8e-64a4-4c1a-9c55-2a3f1e9b7d10".into(),
            seq,
            id: "9f0e6b1e-8d4e-4b5e-a4d7-1c2b3a4d5e6f".into(),
            at: 1000 * seq as i64,
            kind,
            payload,
        })
    }

    fn incident(id: i64, priority: u8, acknowledged: bool) -> Incident {
        Incident {
            id,
            number: format!("2026-{id:05}"),
            nature_code: "FALL".into(),
            nature_text: "Fall".into(),
            priority,
            address: "x".into(),
            latitude: None,
            longitude: None,
            caller_name: String::new(),
            callback: String::new(),
            cautions: vec![],
            state: IncidentState::Active,
            created_at: 0,
            updated_at: 0,
            notes: vec![],
            assignments: vec![Assignment {
                id: id * 10,
                unit_id: 4,
                callsign: "M12".into(),
                dispatched_at: id,
                acknowledged_at: acknowledged.then_some(5),
                cleared_at: None,
                cancelled_at: None,
            }],
        }
    }

    #[test]
    fn the_newest_pending_status_wins() {
        let pending = vec![
            entry(1, ActionKind::Status, json!({"status": "en_route"})),
            entry(
                2,
                ActionKind::FieldNote,
                json!({"incident_id": 1, "text": "hi"}),
            ),
            entry(3, ActionKind::Status, json!({"status": "on_scene"})),
        ];
        assert_eq!(
            unit_status(&unit(StatusCode::Dispatched), &pending),
            StatusCode::OnScene
        );
        assert_eq!(
            unit_status(&unit(StatusCode::Dispatched), &[]),
            StatusCode::Dispatched
        );
    }

    #[test]
    fn assignments_sort_by_priority_and_alert_until_acknowledged() {
        let incidents = vec![incident(1, 3, true), incident(2, 1, false)];
        let mine: Vec<i64> = my_assignments(&incidents, 4).iter().map(|i| i.id).collect();
        assert_eq!(mine, [2, 1]);
        assert_eq!(
            unacknowledged(&incidents, 4, &[]).map(|(i, _)| i.id),
            Some(2)
        );
        let ack = entry(1, ActionKind::Acknowledge, json!({"assignment_id": 20}));
        assert!(unacknowledged(&incidents, 4, &[ack]).is_none());
    }

    #[test]
    fn pending_notes_belong_to_their_incident() {
        let pending = vec![
            entry(
                1,
                ActionKind::FieldNote,
                json!({"incident_id": 1, "text": "one"}),
            ),
            entry(
                2,
                ActionKind::FieldNote,
                json!({"incident_id": 2, "text": "two"}),
            ),
        ];
        let notes = pending_notes(2, &pending);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].text, "two");
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(10_000, 0), "just now");
        assert_eq!(age(9 * 60_000, 0), "9 min ago");
        assert_eq!(age(3 * 3_600_000, 0), "3 h ago");
    }
}

#[cfg(test)]
mod applied_tests {
    use super::applied_not_yet_pulled;
    use crate::wire::{ActionKind, OutboxEntry};

    fn status_entry(at: i64) -> OutboxEntry {
        OutboxEntry {
            client_id: "c".into(),
            seq: 1,
            id: "i".into(),
            at,
            kind: ActionKind::Status,
            payload: serde_json::json!({"status": "en_route"}),
        }
    }

    #[test]
    fn an_applied_status_shows_until_a_later_copy_of_the_unit_arrives_whatever_the_clocks() {
        // The device clock runs ten minutes behind the hub: the press time is "older" than
        // the status_at the hub keeps, yet until a newer copy arrives the press must show.
        let pressed = 1_000_000;
        let settled = pressed + 300;
        assert!(applied_not_yet_pulled(
            &status_entry(pressed),
            settled,
            settled - 5_000
        ));
        // Once a copy stored after the answer is there, the synced record speaks.
        assert!(!applied_not_yet_pulled(
            &status_entry(pressed),
            settled,
            settled + 200
        ));
    }
}
