//! Agency seed documents (the demo agency, or `tenfour-hub --seed FILE`): their shape and
//! every check that can be made before anything is written, so a wrong document is refused
//! with the line of it to fix, never half-applied or failed on a database constraint.

use crate::admin::{
    CheckInRule, check_callsign, check_password, check_phone, check_rules, check_username,
};
use crate::wire::{NewIncident, Role, UnitKind};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedAgency {
    pub slug: String,
    pub name: String,
    /// Called or texted by a responder whose emergency has not reached the hub.
    #[serde(default)]
    pub emergency_phone: String,
    pub users: Vec<SeedUser>,
    pub units: Vec<SeedUnit>,
    #[serde(default)]
    pub incidents: Vec<SeedIncident>,
    /// Check-in timers: while a unit is in `status` (on a call of `priority`, or any when
    /// none), it must check in every `every_seconds`; its device asks `warn_seconds` before.
    #[serde(default)]
    pub check_in: Vec<SeedCheckIn>,
}

/// A check-in timer in a seed document: the same as an administrator sets in the app.
pub type SeedCheckIn = CheckInRule;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUnit {
    pub callsign: String,
    pub kind: UnitKind,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedIncident {
    pub incident: NewIncident,
    /// Callsigns to assign at once.
    #[serde(default)]
    pub assign: Vec<String>,
}

/// Reads and checks a seed document. The error says what to change.
pub fn parse_seed(document: &str) -> Result<SeedAgency, String> {
    let agency: SeedAgency = serde_json::from_str(document)
        .map_err(|e| format!("the seed document is not valid: {e}"))?;
    agency.check()?;
    Ok(agency)
}

impl SeedAgency {
    pub fn check(&self) -> Result<(), String> {
        let slug_ok = (1..=64).contains(&self.slug.len())
            && self
                .slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !slug_ok {
            return Err(format!(
                "the agency slug {:?} must be 1 to 64 lowercase letters, digits or dashes",
                self.slug
            ));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err("the agency needs a name of 1 to 200 characters".into());
        }
        check_phone(&self.emergency_phone)?;
        check_rules(&self.check_in)?;
        let mut usernames: Vec<String> = Vec::new();
        for (i, user) in self.users.iter().enumerate() {
            let at = |e: String| format!("users[{i}]: {e}");
            check_username(&user.username).map_err(at)?;
            if user.display_name.trim().is_empty() || user.display_name.chars().count() > 100 {
                return Err(at("the display name must have 1 to 100 characters".into()));
            }
            check_password(&user.password, &user.username).map_err(at)?;
            let folded = user.username.to_lowercase();
            if usernames.contains(&folded) {
                return Err(at(format!(
                    "the username {:?} appears twice (usernames ignore case)",
                    user.username
                )));
            }
            usernames.push(folded);
        }
        let mut callsigns: Vec<&str> = Vec::new();
        for (i, unit) in self.units.iter().enumerate() {
            check_callsign(&unit.callsign).map_err(|e| format!("units[{i}]: {e}"))?;
            if callsigns.contains(&unit.callsign.as_str()) {
                return Err(format!(
                    "units[{i}]: the callsign {:?} appears twice",
                    unit.callsign
                ));
            }
            callsigns.push(&unit.callsign);
        }
        for (i, seeded) in self.incidents.iter().enumerate() {
            for callsign in &seeded.assign {
                if !callsigns.contains(&callsign.as_str()) {
                    return Err(format!(
                        "incidents[{i}]: assigns {callsign:?}, which is not among the units"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The emergency number goes into `tel:` and `sms:` links: digits with an optional leading
/// `+`, spaces and dashes allowed for reading; empty for none.
#[cfg(test)]
mod tests {
    use super::*;

    fn document(users: &str, units: &str, incidents: &str) -> String {
        format!(
            r#"{{"slug": "county", "name": "County", "users": [{users}], "units": [{units}], "incidents": [{incidents}]}}"#
        )
    }

    const USER: &str = r#"{"username": "medic", "display_name": "M", "role": "responder", "password": "long enough pass"}"#;

    #[test]
    fn a_sound_document_parses() {
        let text = document(USER, r#"{"callsign": "M1", "kind": "ems"}"#, "");
        let agency = parse_seed(&text).unwrap();
        assert_eq!(agency.users.len(), 1);
    }

    #[test]
    fn the_demo_document_passes_its_own_checks() {
        let demo = include_str!("../../hub/src/demo-agency.json");
        parse_seed(demo).unwrap();
    }

    #[test]
    fn wrong_documents_are_refused_with_the_place_to_fix() {
        let twice = format!("{USER}, {}", USER.replace("medic", "MEDIC"));
        let cases = [
            (
                document(&twice, "", ""),
                "users[1]: the username \"MEDIC\" appears twice",
            ),
            (document(&USER.replace("medic", ""), "", ""), "users[0]"),
            (
                document(&USER.replace("long enough pass", "short"), "", ""),
                "users[0]: the password",
            ),
            (
                document(
                    "",
                    r#"{"callsign": "M1", "kind": "ems"}, {"callsign": "M1", "kind": "fire"}"#,
                    "",
                ),
                "units[1]: the callsign \"M1\" appears twice",
            ),
            (
                document("", r#"{"callsign": "M 1", "kind": "ems"}"#, ""),
                "units[0]",
            ),
            (
                document(
                    "",
                    "",
                    r#"{"incident": {"nature_code": "FIRE", "priority": 1, "address": "1 Main"}, "assign": ["E9"]}"#,
                ),
                "incidents[0]: assigns \"E9\"",
            ),
            (
                "{\"slug\": \"Bad Slug\", \"name\": \"x\", \"users\": [], \"units\": []}".into(),
                "slug",
            ),
            ("not json".into(), "not valid"),
        ];
        for (text, wanted) in cases {
            let err = parse_seed(&text).unwrap_err();
            assert!(err.contains(wanted), "{err} should say {wanted}");
        }
    }

    #[test]
    fn the_emergency_number_must_dial() {
        assert!(check_phone("").is_ok());
        assert!(check_phone("+1 503-555-0100").is_ok());
        assert!(check_phone("911").is_ok());
        assert!(check_phone("call 911").is_err());
        assert!(check_phone("+1 503 555 0100?body=x").is_err());
        assert!(check_phone("5+5").is_err());
    }
}
