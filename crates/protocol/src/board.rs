//! What the dispatcher's board derives from the records: NERIS unit times, the merged
//! incident timeline, late (offline) field updates, and units that need a look.

use crate::StatusCode;
use crate::wire::{ActionKind, FieldEvent, Incident, Millis, NoteSource, Outcome, Unit};

/// A field update that reached the hub this long after it was pressed counts as delayed
/// (it was sent from offline): the feed says so.
pub const DELAYED_AFTER_MS: Millis = 10_000;

pub fn is_delayed(event: &FieldEvent) -> bool {
    event.received_at - event.at > DELAYED_AFTER_MS
}

/// NERIS unit times for one unit on one incident, from its assignment and status events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitTimes {
    pub unit_id: i64,
    pub callsign: String,
    pub dispatched: Option<Millis>,
    pub en_route: Option<Millis>,
    pub on_scene: Option<Millis>,
    pub transporting: Option<Millis>,
    pub at_hospital: Option<Millis>,
    pub cleared: Option<Millis>,
}

impl UnitTimes {
    /// Dispatch to en route.
    pub fn turnout(&self) -> Option<Millis> {
        Some(self.en_route? - self.dispatched?)
    }

    /// En route to on scene.
    pub fn travel(&self) -> Option<Millis> {
        Some(self.on_scene? - self.en_route?)
    }
}

/// One row per unit ever assigned to the incident, times from the earliest applied event of
/// each kind (device press times, so updates sent late still land where they happened).
pub fn neris_times(incident: &Incident, events: &[FieldEvent]) -> Vec<UnitTimes> {
    let mut rows: Vec<UnitTimes> = Vec::new();
    for assignment in &incident.assignments {
        let row = match rows.iter_mut().find(|r| r.unit_id == assignment.unit_id) {
            Some(row) => row,
            None => {
                rows.push(UnitTimes {
                    unit_id: assignment.unit_id,
                    callsign: assignment.callsign.clone(),
                    ..UnitTimes::default()
                });
                rows.last_mut().expect("just pushed")
            }
        };
        row.dispatched = earliest(row.dispatched, Some(assignment.dispatched_at));
        if assignment.cleared_at.is_some() {
            row.cleared = assignment.cleared_at;
        }
    }
    for event in events.iter().filter(|e| {
        e.incident_id == Some(incident.id)
            && e.outcome == Outcome::Applied
            && e.kind == ActionKind::Status
    }) {
        let Some(row) = rows.iter_mut().find(|r| r.unit_id == event.unit_id) else {
            continue;
        };
        let slot = match event.status {
            Some(StatusCode::EnRoute) => &mut row.en_route,
            Some(StatusCode::OnScene) => &mut row.on_scene,
            Some(StatusCode::Transporting) => &mut row.transporting,
            Some(StatusCode::AtHospital) => &mut row.at_hospital,
            _ => continue,
        };
        *slot = earliest(*slot, Some(event.at));
    }
    rows
}

fn earliest(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// One line of an incident's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub at: Millis,
    /// When the hub received it, for field updates (to show a delay).
    pub received_at: Option<Millis>,
    pub who: String,
    pub what: String,
    pub kind: TimelineKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineKind {
    CallerNote,
    DispatchNote,
    FieldNote,
    Status,
    Dispatch,
}

/// Caller notes, field notes, dispatches and unit status events, in the order they happened.
pub fn timeline(incident: &Incident, events: &[FieldEvent]) -> Vec<TimelineEntry> {
    let mut entries: Vec<TimelineEntry> = incident
        .notes
        .iter()
        .map(|note| TimelineEntry {
            at: note.at,
            received_at: (note.source == NoteSource::Field).then_some(note.received_at),
            who: note.author.clone(),
            what: note.text.clone(),
            kind: match note.source {
                NoteSource::Caller => TimelineKind::CallerNote,
                NoteSource::Dispatch => TimelineKind::DispatchNote,
                NoteSource::Field => TimelineKind::FieldNote,
            },
        })
        .collect();
    for assignment in &incident.assignments {
        entries.push(TimelineEntry {
            at: assignment.dispatched_at,
            received_at: None,
            who: assignment.callsign.clone(),
            what: "Dispatched".into(),
            kind: TimelineKind::Dispatch,
        });
    }
    for event in events.iter().filter(|e| {
        e.incident_id == Some(incident.id)
            && e.outcome == Outcome::Applied
            && e.kind != ActionKind::FieldNote
    }) {
        let what = event.status.map_or("Acknowledged", StatusCode::label);
        entries.push(TimelineEntry {
            at: event.at,
            received_at: Some(event.received_at),
            who: event.callsign.clone(),
            what: what.into(),
            kind: TimelineKind::Status,
        });
    }
    entries.sort_by_key(|e| e.at);
    entries
}

/// Why a unit deserves the dispatcher's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitFlag {
    /// On an active incident and its status has not changed for longer than allowed.
    StatusStale,
    /// Committed to an incident but its devices have not been heard from for that long.
    NotHeard,
    /// Its check-in timer ran out (the hub's due time has passed).
    CheckInOverdue,
}

pub fn unit_flags(unit: &Unit, now: Millis, stale_after: Millis) -> Vec<UnitFlag> {
    let mut flags = Vec::new();
    if !unit.status.is_committed() {
        return flags;
    }
    if now - unit.status_at > stale_after {
        flags.push(UnitFlag::StatusStale);
    }
    let heard = unit.last_heard_at.unwrap_or(unit.status_at);
    if now - heard > stale_after {
        flags.push(UnitFlag::NotHeard);
    }
    if matches!(
        crate::safety::check_in(unit, now),
        Some(crate::safety::CheckIn::Overdue { .. })
    ) {
        flags.push(UnitFlag::CheckInOverdue);
    }
    flags
}

/// Why an active incident deserves the dispatcher's attention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentFlag {
    /// No unit is on it.
    NoUnit,
    /// A P1 or P2 call whose units (callsigns) have not acknowledged within the allowed time.
    NotAcknowledged(Vec<String>),
}

/// Priorities at or under this number must be acknowledged in time.
pub const ACK_WATCHED_PRIORITY: u8 = 2;

/// The flags of an incident at `now`; `ack_within` is how long a P1/P2 assignment may stay
/// unacknowledged.
pub fn incident_flags(incident: &Incident, now: Millis, ack_within: Millis) -> Vec<IncidentFlag> {
    let mut flags = Vec::new();
    if incident.state != crate::wire::IncidentState::Active {
        return flags;
    }
    let active: Vec<_> = incident
        .assignments
        .iter()
        .filter(|a| a.is_active())
        .collect();
    if active.is_empty() {
        flags.push(IncidentFlag::NoUnit);
    }
    if incident.priority <= ACK_WATCHED_PRIORITY {
        let late: Vec<String> = active
            .iter()
            .filter(|a| a.acknowledged_at.is_none() && now - a.dispatched_at > ack_within)
            .map(|a| a.callsign.clone())
            .collect();
        if !late.is_empty() {
            flags.push(IncidentFlag::NotAcknowledged(late));
        }
    }
    flags
}

/// The priority in words, shown beside its number and colour.
pub fn priority_word(priority: u8) -> &'static str {
    match priority {
        1 => "Emergency",
        2 => "Urgent",
        3 => "Prompt",
        4 => "Routine",
        _ => "Low",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Assignment, IncidentState, Note, UnitKind};

    fn incident() -> Incident {
        Incident {
            id: 7,
            number: "2026-00007".into(),
            nature_code: "FALL".into(),
            nature_text: "Fall".into(),
            priority: 2,
            address: "x".into(),
            latitude: None,
            longitude: None,
            caller_name: String::new(),
            callback: String::new(),
            cautions: vec![],
            state: IncidentState::Active,
            created_at: 0,
            updated_at: 0,
            notes: vec![Note {
                id: 1,
                source: NoteSource::Caller,
                author: "Call-taker".into(),
                unit_id: None,
                text: "fell".into(),
                at: 50,
                received_at: 50,
            }],
            assignments: vec![Assignment {
                id: 1,
                unit_id: 4,
                callsign: "M12".into(),
                dispatched_at: 100,
                acknowledged_at: Some(110),
                cleared_at: Some(900),
                cancelled_at: None,
            }],
        }
    }

    fn event(status: StatusCode, at: Millis, received_at: Millis) -> FieldEvent {
        FieldEvent {
            entry_id: format!("e{at}"),
            unit_id: 4,
            callsign: "M12".into(),
            kind: ActionKind::Status,
            incident_id: Some(7),
            status: Some(status),
            text: None,
            at,
            received_at,
            outcome: Outcome::Applied,
            reason: None,
        }
    }

    #[test]
    fn neris_times_come_from_press_times() {
        // On scene was pressed offline and arrived long after; its time is the press time.
        let events = vec![
            event(StatusCode::EnRoute, 160, 161),
            event(StatusCode::OnScene, 400, 100_000),
            event(StatusCode::Transporting, 600, 100_001),
        ];
        let times = neris_times(&incident(), &events);
        assert_eq!(times.len(), 1);
        let t = &times[0];
        assert_eq!(
            (t.dispatched, t.en_route, t.on_scene),
            (Some(100), Some(160), Some(400))
        );
        assert_eq!(t.transporting, Some(600));
        assert_eq!(t.cleared, Some(900));
        assert_eq!(t.turnout(), Some(60));
        assert_eq!(t.travel(), Some(240));
        assert!(is_delayed(&events[1]));
        assert!(!is_delayed(&events[0]));
    }

    #[test]
    fn the_timeline_is_in_the_order_things_happened() {
        let events = vec![
            event(StatusCode::OnScene, 400, 100_000),
            event(StatusCode::EnRoute, 160, 161),
        ];
        let lines: Vec<String> = timeline(&incident(), &events)
            .into_iter()
            .map(|e| format!("{} {}", e.at, e.what))
            .collect();
        assert_eq!(
            lines,
            ["50 fell", "100 Dispatched", "160 En route", "400 On scene"]
        );
    }

    #[test]
    fn committed_units_that_go_quiet_are_flagged() {
        let unit = Unit {
            id: 4,
            callsign: "M12".into(),
            kind: UnitKind::Ems,
            status: StatusCode::OnScene,
            incident_id: Some(7),
            status_at: 1_000,
            last_heard_at: Some(5_000),
            retired: false,
            check_in_due_at: None,
            check_in_warn_at: None,
            position: None,
        };
        assert!(unit_flags(&unit, 2_000, 3_000).is_empty());
        assert_eq!(unit_flags(&unit, 6_000, 3_000), vec![UnitFlag::StatusStale]);
        assert_eq!(
            unit_flags(&unit, 9_000, 3_000),
            vec![UnitFlag::StatusStale, UnitFlag::NotHeard]
        );
        let available = Unit {
            status: StatusCode::Available,
            ..unit
        };
        assert!(unit_flags(&available, 9_000, 3_000).is_empty());
    }

    #[test]
    fn incidents_without_a_unit_and_late_acknowledgements_are_flagged() {
        let mut call = incident();
        call.assignments.clear();
        assert_eq!(
            incident_flags(&call, 10_000, 60_000),
            [IncidentFlag::NoUnit]
        );

        call.assignments.push(Assignment {
            id: 1,
            unit_id: 4,
            callsign: "M12".into(),
            dispatched_at: 1_000,
            acknowledged_at: None,
            cleared_at: None,
            cancelled_at: None,
        });
        // P2, within the time allowed: nothing yet; past it: flagged with the callsign.
        assert!(incident_flags(&call, 60_000, 60_000).is_empty());
        assert_eq!(
            incident_flags(&call, 61_001, 60_000),
            [IncidentFlag::NotAcknowledged(vec!["M12".into()])]
        );
        // Acknowledged, or a P3: no acknowledgement flag.
        call.priority = 3;
        assert!(incident_flags(&call, 600_000, 60_000).is_empty());
        call.priority = 1;
        call.assignments[0].acknowledged_at = Some(2_000);
        assert!(incident_flags(&call, 600_000, 60_000).is_empty());
        // A cleared unit leaves the call without a unit.
        call.assignments[0].cleared_at = Some(3_000);
        assert_eq!(
            incident_flags(&call, 600_000, 60_000),
            [IncidentFlag::NoUnit]
        );
        // Closed calls are not flagged.
        call.state = IncidentState::Closed;
        assert!(incident_flags(&call, 600_000, 60_000).is_empty());
    }
}
