//! Responder safety on the device: what the emergency panel tells the crew, worked out from
//! the outbox (what has not left the device) and the hub's record (what dispatch has).

use crate::wire::{ActionKind, Emergency, Location, Millis, Queued, Unit};

/// What the responder's emergency panel says.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// Durable on the device, but dispatch has NOT received it: call or text instead.
    NotDelivered { pressed_at: Millis },
    /// On the hub, on every board; no dispatcher has answered yet.
    Delivered { pressed_at: Millis },
    /// A dispatcher has it.
    Acknowledged { by: String, at: Millis },
    /// The responder cancelled; the cancel has not reached the hub yet.
    Cancelling,
}

/// The newest emergency press or cancel among `entries` (oldest first).
fn newest(entries: &[Queued]) -> Option<&Queued> {
    entries
        .iter()
        .rev()
        .find(|e| matches!(e.kind, ActionKind::Emergency | ActionKind::EmergencyCancel))
}

/// The panel for this device. `pending` is its outbox (oldest first); `unpulled` the
/// entries the hub applied whose effect has not come back in a pull yet; `mine` the hub's
/// newest emergency for its unit, if the device holds one.
pub fn notice(pending: &[Queued], unpulled: &[Queued], mine: Option<&Emergency>) -> Option<Notice> {
    let on_hub = |e: &Emergency| match (&e.acknowledged_by, e.acknowledged_at) {
        (Some(by), Some(at)) => Notice::Acknowledged { by: by.clone(), at },
        _ => Notice::Delivered {
            pressed_at: e.pressed_at,
        },
    };
    let active = mine.filter(|e| e.is_active());
    match newest(pending) {
        Some(e) if e.kind == ActionKind::EmergencyCancel => return Some(Notice::Cancelling),
        // A second press while dispatch has the first changes nothing.
        Some(e) => return Some(active.map_or(Notice::NotDelivered { pressed_at: e.at }, on_hub)),
        None => {}
    }
    match newest(unpulled) {
        Some(e) if e.kind == ActionKind::EmergencyCancel => None,
        Some(e) => Some(active.map_or(Notice::Delivered { pressed_at: e.at }, on_hub)),
        None => active.map(on_hub),
    }
}

/// The text message a responder sends when the press has not reached dispatch: who, when
/// and where, so the person reading it needs nothing else.
pub fn sms_body(callsign: &str, name: &str, time: &str, location: Option<&Location>) -> String {
    let place = match location {
        Some(l) => {
            let accuracy = l
                .accuracy_m
                .map(|a| format!(" (±{} m)", a.round()))
                .unwrap_or_default();
            format!("at {:.5},{:.5}{accuracy}", l.latitude, l.longitude)
        }
        None => "position unknown".to_owned(),
    };
    format!(
        "EMERGENCY {callsign} ({name}) pressed {time}, {place}. Sent by text: the app could not reach dispatch."
    )
}

/// Where a unit's check-in timer stands at `now` (the hub's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckIn {
    /// Running; nothing to do until `warn_at`.
    Running { due_at: Millis },
    /// The crew's device asks now.
    Asking { due_at: Millis },
    /// Past due: the board raises the alarm.
    Overdue { due_at: Millis },
}

/// `None` while no timer runs for the unit's status.
pub fn check_in(unit: &Unit, now: Millis) -> Option<CheckIn> {
    let due_at = unit.check_in_due_at?;
    let warn_at = unit.check_in_warn_at.unwrap_or(due_at);
    Some(if now > due_at {
        CheckIn::Overdue { due_at }
    } else if now >= warn_at {
        CheckIn::Asking { due_at }
    } else {
        CheckIn::Running { due_at }
    })
}

/// Whether the crew already answered the current ask: a check-in pressed at or after the
/// moment the device started asking, still on the device or not yet shown by the hub.
/// Presses carry the device's clock, the ask the hub's: `hub_ahead_ms` is how far the device
/// reads the hub's clock ahead of its own (as it did to start asking), so a press the moment
/// the ask appears answers it even on a device whose clock is behind the hub's.
pub fn answered(unit: &Unit, waiting: &[Queued], hub_ahead_ms: Millis) -> bool {
    let Some(warn_at) = unit.check_in_warn_at else {
        return false;
    };
    waiting
        .iter()
        .any(|e| e.kind == ActionKind::CheckIn && e.at.saturating_add(hub_ahead_ms) >= warn_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::OutboxEntry;
    use serde_json::json;

    fn entry(seq: u64, kind: ActionKind, at: Millis) -> Queued {
        Queued::from(OutboxEntry {
            client_id: "c".into(),
            seq,
            id: format!("id-{seq}"),
            at,
            kind,
            payload: json!({}),
        })
    }

    fn on_hub(acknowledged: Option<(&str, Millis)>) -> Emergency {
        Emergency {
            id: 1,
            unit_id: 4,
            callsign: "M12".into(),
            raised_by: "Sam Okafor".into(),
            incident_id: None,
            pressed_at: 1_000,
            received_at: 1_500,
            location: None,
            trail: Vec::new(),
            acknowledged_by: acknowledged.map(|(by, _)| by.to_owned()),
            acknowledged_at: acknowledged.map(|(_, at)| at),
            ended_by: None,
            ended_at: None,
            end_reason: None,
        }
    }

    #[test]
    fn a_press_still_on_the_device_is_not_delivered() {
        let waiting = [
            entry(1, ActionKind::Status, 500),
            entry(2, ActionKind::Emergency, 900),
        ];
        assert_eq!(
            notice(&waiting, &[], None),
            Some(Notice::NotDelivered { pressed_at: 900 })
        );
        assert_eq!(notice(&[entry(1, ActionKind::Status, 5)], &[], None), None);
        // Applied, and the hub's record not pulled yet: delivered, not "not delivered".
        assert_eq!(
            notice(&[], &waiting[1..], None),
            Some(Notice::Delivered { pressed_at: 900 })
        );
    }

    #[test]
    fn the_hub_record_says_delivered_then_who_has_it() {
        assert_eq!(
            notice(&[], &[], Some(&on_hub(None))),
            Some(Notice::Delivered { pressed_at: 1_000 })
        );
        // A second press still waiting changes nothing: dispatch has the first.
        assert_eq!(
            notice(
                &[entry(3, ActionKind::Emergency, 2_000)],
                &[],
                Some(&on_hub(Some(("Dana Reyes", 1_800))))
            ),
            Some(Notice::Acknowledged {
                by: "Dana Reyes".into(),
                at: 1_800
            })
        );
    }

    #[test]
    fn a_cancel_waiting_to_leave_and_an_ended_emergency() {
        let waiting = [
            entry(1, ActionKind::Emergency, 900),
            entry(2, ActionKind::EmergencyCancel, 950),
        ];
        assert_eq!(
            notice(&waiting, &[], Some(&on_hub(None))),
            Some(Notice::Cancelling)
        );
        // The cancel applied, the ended record not pulled yet: the panel goes.
        assert_eq!(notice(&[], &waiting, Some(&on_hub(None))), None);
        let mut ended = on_hub(Some(("Dana Reyes", 1_800)));
        ended.ended_at = Some(2_000);
        assert_eq!(notice(&[], &[], Some(&ended)), None);
    }

    #[test]
    fn the_text_message_says_who_when_and_where() {
        let location = Location {
            latitude: 45.512_345,
            longitude: -122.678_901,
            accuracy_m: Some(12.4),
        };
        assert_eq!(
            sms_body("M12", "Sam Okafor", "14:02", Some(&location)),
            "EMERGENCY M12 (Sam Okafor) pressed 14:02, at 45.51235,-122.67890 (±12 m). \
             Sent by text: the app could not reach dispatch."
        );
        assert!(sms_body("P7", "Chris Patel", "03:10", None).contains("position unknown"));
    }

    fn timed(due: Option<Millis>, warn: Option<Millis>) -> Unit {
        Unit {
            id: 4,
            callsign: "P7".into(),
            kind: crate::wire::UnitKind::Police,
            status: crate::StatusCode::OnScene,
            incident_id: Some(2),
            status_at: 0,
            last_heard_at: None,
            retired: false,
            check_in_due_at: due,
            check_in_warn_at: warn,
            position: None,
        }
    }

    #[test]
    fn a_check_in_asks_at_the_warning_and_is_overdue_only_after_the_due_time() {
        let unit = timed(Some(20_000), Some(18_000));
        assert_eq!(
            check_in(&unit, 17_999),
            Some(CheckIn::Running { due_at: 20_000 })
        );
        assert_eq!(
            check_in(&unit, 18_000),
            Some(CheckIn::Asking { due_at: 20_000 })
        );
        assert_eq!(
            check_in(&unit, 20_000),
            Some(CheckIn::Asking { due_at: 20_000 })
        );
        assert_eq!(
            check_in(&unit, 20_001),
            Some(CheckIn::Overdue { due_at: 20_000 })
        );
        assert_eq!(check_in(&timed(None, None), 99_999), None);
    }

    #[test]
    fn a_check_in_pressed_since_the_ask_answers_it() {
        let unit = timed(Some(20_000), Some(18_000));
        assert!(!answered(
            &unit,
            &[entry(1, ActionKind::CheckIn, 17_000)],
            0
        ));
        assert!(answered(&unit, &[entry(2, ActionKind::CheckIn, 18_500)], 0));
        assert!(!answered(&unit, &[entry(3, ActionKind::Status, 18_500)], 0));
        // A device 700 ms behind the hub starts asking at 17,300 by its own clock, and a
        // press then answers; one before it does not.
        assert!(answered(
            &unit,
            &[entry(4, ActionKind::CheckIn, 17_300)],
            700
        ));
        assert!(!answered(
            &unit,
            &[entry(5, ActionKind::CheckIn, 17_200)],
            700
        ));
    }
}
