//! What changed on the incidents a unit is working, between two copies of the device's
//! records: the things a crew must not miss (a new note from the caller or dispatch, a
//! priority change, the call cancelled or closed, a unit added or taken off, the crew itself
//! taken off). A new assignment is not news here: it takes over the screen by itself.

use crate::view::active_assignment;
use crate::wire::{Incident, IncidentState, NoteSource};

#[derive(Debug, Clone, PartialEq)]
pub enum NewsKind {
    Note {
        author: String,
        text: String,
    },
    Priority {
        from: u8,
        to: u8,
    },
    Cancelled,
    Closed,
    /// Dispatch took this unit off the call.
    Unassigned,
    UnitAdded {
        callsign: String,
    },
    UnitRemoved {
        callsign: String,
    },
}

/// One change to an incident the unit was working.
#[derive(Debug, Clone, PartialEq)]
pub struct News {
    pub incident_id: i64,
    pub number: String,
    pub nature: String,
    pub kind: NewsKind,
}

impl News {
    /// One line for the banner.
    pub fn headline(&self) -> String {
        let what = match &self.kind {
            NewsKind::Note { author, text } => format!("New note from {author}: {text}"),
            NewsKind::Priority { from, to } if to < from => {
                format!("Priority raised to P{to} (was P{from})")
            }
            NewsKind::Priority { from, to } => format!("Priority lowered to P{to} (was P{from})"),
            NewsKind::Cancelled => "Dispatch CANCELLED this call".into(),
            NewsKind::Closed => "Dispatch CLOSED this call".into(),
            NewsKind::Unassigned => "Dispatch took your unit off this call".into(),
            NewsKind::UnitAdded { callsign } => format!("{callsign} added to the call"),
            NewsKind::UnitRemoved { callsign } => format!("{callsign} taken off the call"),
        };
        format!("{} {} — {what}", self.number, self.nature)
    }

    /// Whether the call ended for this unit: it needs the crew's eyes before anything else.
    pub fn is_ending(&self) -> bool {
        matches!(
            self.kind,
            NewsKind::Cancelled | NewsKind::Closed | NewsKind::Unassigned
        )
    }
}

/// The news between `before` and `after` for `unit_id`: only incidents the unit was on in
/// `before` (active, with an active assignment of this unit), in the order of `after`.
pub fn news(before: &[Incident], after: &[Incident], unit_id: i64) -> Vec<News> {
    let mut found = Vec::new();
    for new in after {
        let Some(old) = before.iter().find(|i| i.id == new.id) else {
            continue;
        };
        if old.state != IncidentState::Active || active_assignment(old, unit_id).is_none() {
            continue;
        }
        let mut push = |kind| {
            found.push(News {
                incident_id: new.id,
                number: new.number.clone(),
                nature: new.nature_text.clone(),
                kind,
            })
        };
        // Taken off by dispatch: the assignment the unit was on is now cancelled. (A unit
        // that cleared itself, by going available, has its assignment cleared instead: its
        // own doing is not news.)
        let taken_off = active_assignment(old, unit_id).is_some_and(|was| {
            new.assignments
                .iter()
                .any(|a| a.id == was.id && a.cancelled_at.is_some())
        });
        match new.state {
            IncidentState::Cancelled => push(NewsKind::Cancelled),
            IncidentState::Closed => push(NewsKind::Closed),
            IncidentState::Active if taken_off => push(NewsKind::Unassigned),
            IncidentState::Active => {}
        }
        if new.priority != old.priority {
            push(NewsKind::Priority {
                from: old.priority,
                to: new.priority,
            });
        }
        for note in &new.notes {
            let ours = note.source == NoteSource::Field && note.unit_id == Some(unit_id);
            if !ours && !old.notes.iter().any(|n| n.id == note.id) {
                push(NewsKind::Note {
                    author: note.author.clone(),
                    text: note.text.clone(),
                });
            }
        }
        for assignment in new.assignments.iter().filter(|a| a.unit_id != unit_id) {
            let was = old
                .assignments
                .iter()
                .find(|a| a.id == assignment.id)
                .is_some_and(|a| a.is_active());
            let callsign = assignment.callsign.clone();
            if assignment.is_active() && !was {
                push(NewsKind::UnitAdded { callsign });
            } else if !assignment.is_active() && was {
                push(NewsKind::UnitRemoved { callsign });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Assignment, Note};

    fn assignment(id: i64, unit_id: i64, callsign: &str) -> Assignment {
        Assignment {
            id,
            unit_id,
            callsign: callsign.into(),
            dispatched_at: 1,
            acknowledged_at: None,
            cleared_at: None,
            cancelled_at: None,
        }
    }

    fn note(id: i64, source: NoteSource, unit_id: Option<i64>, text: &str) -> Note {
        Note {
            id,
            source,
            author: "Dana Reyes".into(),
            unit_id,
            text: text.into(),
            at: 1,
            received_at: 1,
        }
    }

    fn incident() -> Incident {
        Incident {
            id: 7,
            number: "2026-00007".into(),
            nature_code: "BREATHING".into(),
            nature_text: "Difficulty breathing".into(),
            priority: 2,
            address: "418 Alder Street".into(),
            latitude: None,
            longitude: None,
            caller_name: String::new(),
            callback: String::new(),
            cautions: vec![],
            state: IncidentState::Active,
            created_at: 1,
            updated_at: 1,
            notes: vec![note(1, NoteSource::Caller, None, "Father, 81")],
            assignments: vec![assignment(1, 4, "M12")],
        }
    }

    #[test]
    fn a_dispatch_note_and_a_priority_change_are_news_our_own_note_is_not() {
        let before = incident();
        let mut after = before.clone();
        after.priority = 1;
        after.notes.push(note(
            2,
            NoteSource::Dispatch,
            None,
            "Now unresponsive, CPR instructions given",
        ));
        after
            .notes
            .push(note(3, NoteSource::Field, Some(4), "Two minutes out"));
        let found = news(&[before], &[after], 4);
        let kinds: Vec<_> = found.iter().map(|n| n.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                NewsKind::Priority { from: 2, to: 1 },
                NewsKind::Note {
                    author: "Dana Reyes".into(),
                    text: "Now unresponsive, CPR instructions given".into()
                }
            ]
        );
        assert!(found[0].headline().contains("Priority raised to P1"));
    }

    #[test]
    fn a_cancelled_call_and_being_taken_off_are_news_that_ends_the_call() {
        let before = incident();
        let mut cancelled = before.clone();
        cancelled.state = IncidentState::Cancelled;
        let found = news(std::slice::from_ref(&before), &[cancelled], 4);
        assert_eq!(found[0].kind, NewsKind::Cancelled);
        assert!(found[0].is_ending());

        let mut off = before.clone();
        off.assignments[0].cancelled_at = Some(5);
        assert_eq!(
            news(std::slice::from_ref(&before), &[off], 4)[0].kind,
            NewsKind::Unassigned
        );

        // Going available clears the unit's own assignment: that is not news.
        let mut cleared = before.clone();
        cleared.assignments[0].cleared_at = Some(5);
        assert!(news(&[before], &[cleared], 4).is_empty());
    }

    #[test]
    fn other_units_coming_and_going_are_news() {
        let mut before = incident();
        before.assignments.push(assignment(2, 9, "P9"));
        let mut after = before.clone();
        after.assignments[1].cleared_at = Some(9);
        after.assignments.push(assignment(3, 11, "E3"));
        let kinds: Vec<_> = news(&[before], &[after], 4)
            .into_iter()
            .map(|n| n.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                NewsKind::UnitRemoved {
                    callsign: "P9".into()
                },
                NewsKind::UnitAdded {
                    callsign: "E3".into()
                }
            ]
        );
    }

    #[test]
    fn calls_the_unit_was_not_on_bring_no_news() {
        let mut before = incident();
        before.assignments[0].unit_id = 99;
        let mut after = before.clone();
        after.priority = 1;
        assert!(news(&[before], &[after], 4).is_empty());
        // A call new to the device is the assignment alert's, not news.
        assert!(news(&[], &[incident()], 4).is_empty());
    }
}
