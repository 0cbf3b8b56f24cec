//! The unit status codes and which one may follow which.
//!
//! The same table drives the buttons the responder sees and the check the hub applies, so a
//! button is never offered for a transition the hub would refuse.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A unit's status. Codes follow NENA EIDO unit status; comments name the NERIS time each
/// one sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCode {
    /// Free for assignment (NERIS time_unit_clear).
    Available,
    /// Assigned by dispatch, not yet acknowledged (NERIS time_dispatch).
    Dispatched,
    /// The crew has seen the assignment.
    Acknowledged,
    /// NERIS time_enroute_to_scene.
    EnRoute,
    /// NERIS time_on_scene.
    OnScene,
    /// NERIS time_enroute_hospital.
    Transporting,
    /// NERIS time_arrived_hospital.
    AtHospital,
    OutOfService,
}

impl StatusCode {
    pub const ALL: [StatusCode; 8] = [
        StatusCode::Available,
        StatusCode::Dispatched,
        StatusCode::Acknowledged,
        StatusCode::EnRoute,
        StatusCode::OnScene,
        StatusCode::Transporting,
        StatusCode::AtHospital,
        StatusCode::OutOfService,
    ];

    /// The code as it travels on the wire and is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Available => "available",
            StatusCode::Dispatched => "dispatched",
            StatusCode::Acknowledged => "acknowledged",
            StatusCode::EnRoute => "en_route",
            StatusCode::OnScene => "on_scene",
            StatusCode::Transporting => "transporting",
            StatusCode::AtHospital => "at_hospital",
            StatusCode::OutOfService => "out_of_service",
        }
    }

    /// Words for a button or a board cell.
    pub fn label(self) -> &'static str {
        match self {
            StatusCode::Available => "Available",
            StatusCode::Dispatched => "Dispatched",
            StatusCode::Acknowledged => "Acknowledged",
            StatusCode::EnRoute => "En route",
            StatusCode::OnScene => "On scene",
            StatusCode::Transporting => "Transporting",
            StatusCode::AtHospital => "At hospital",
            StatusCode::OutOfService => "Out of service",
        }
    }

    pub fn parse(code: &str) -> Option<StatusCode> {
        StatusCode::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// Whether this status ties the unit to an incident.
    pub fn is_committed(self) -> bool {
        !matches!(self, StatusCode::Available | StatusCode::OutOfService)
    }

    /// The statuses a responder may press next, most likely first. `Dispatched` is never
    /// pressed: only an assignment from dispatch sets it.
    pub fn next(self) -> &'static [StatusCode] {
        use StatusCode::*;
        match self {
            Available => &[OutOfService],
            Dispatched => &[Acknowledged, EnRoute, OnScene, Available],
            Acknowledged => &[EnRoute, OnScene, Available],
            EnRoute => &[OnScene, Available],
            OnScene => &[Transporting, Available],
            Transporting => &[AtHospital, Available],
            AtHospital => &[Available],
            OutOfService => &[Available],
        }
    }

    /// The statuses a unit of `kind` may press next: the table above, less the statuses its
    /// kind never takes (a fire engine or a patrol car does not transport patients).
    pub fn next_for(self, kind: UnitKind) -> Vec<StatusCode> {
        self.next()
            .iter()
            .copied()
            .filter(|s| kind.takes(*s))
            .collect()
    }

    /// Checks a transition a responder of a unit of `kind` asked for.
    pub fn check_transition(self, to: StatusCode, kind: UnitKind) -> Result<(), TransitionError> {
        if self.next_for(kind).contains(&to) {
            Ok(())
        } else {
            Err(TransitionError {
                from: self,
                to,
                kind,
            })
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transition the state machine does not allow, worded for the responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    pub from: StatusCode,
    pub to: StatusCode,
    pub kind: UnitKind,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.kind.takes(self.to) {
            return write!(
                f,
                "{} is not a status of a {} unit",
                self.to.label(),
                self.kind.as_str()
            );
        }
        let allowed: Vec<&str> = self
            .from
            .next_for(self.kind)
            .iter()
            .map(|s| s.label())
            .collect();
        write!(
            f,
            "cannot go from {} to {}; from {} the next status can be: {}",
            self.from.label(),
            self.to.label(),
            self.from.label(),
            allowed.join(", ")
        )
    }
}

impl std::error::Error for TransitionError {}

crate::named! {
    /// What kind of unit a crew runs: it decides which statuses the unit takes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum UnitKind {
        Police = "police",
        Ems = "ems",
        Fire = "fire",
    }
}

impl UnitKind {
    /// Whether units of this kind take `status`: only EMS units transport patients.
    pub fn takes(self, status: StatusCode) -> bool {
        use StatusCode::{AtHospital, Transporting};
        self == UnitKind::Ems || !matches!(status, Transporting | AtHospital)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_runs_from_dispatch_to_available() {
        use StatusCode::*;
        let path = [
            Dispatched,
            Acknowledged,
            EnRoute,
            OnScene,
            Transporting,
            AtHospital,
            Available,
        ];
        for pair in path.windows(2) {
            assert_eq!(
                pair[0].check_transition(pair[1], UnitKind::Ems),
                Ok(()),
                "{} -> {}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn impossible_transition_explains_what_is_allowed() {
        let err = StatusCode::Available
            .check_transition(StatusCode::OnScene, UnitKind::Ems)
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("cannot go from Available to On scene"),
            "{text}"
        );
        assert!(text.contains("Out of service"), "{text}");
    }

    #[test]
    fn nobody_presses_dispatched() {
        for s in StatusCode::ALL {
            assert!(!s.next().contains(&StatusCode::Dispatched), "{s}");
        }
    }

    #[test]
    fn only_units_that_transport_are_offered_transporting_and_hospital() {
        use StatusCode::*;
        assert_eq!(OnScene.next_for(UnitKind::Ems), [Transporting, Available]);
        for kind in [UnitKind::Fire, UnitKind::Police] {
            assert_eq!(OnScene.next_for(kind), [Available], "{kind:?}");
            let err = OnScene.check_transition(Transporting, kind).unwrap_err();
            assert!(err.to_string().contains("not a status of a"), "{err}");
        }
    }

    #[test]
    fn wire_codes_round_trip() {
        for s in StatusCode::ALL {
            assert_eq!(StatusCode::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert!(serde_json::from_str::<StatusCode>("\"teleported\"").is_err());
    }
}
