//! Administration of an agency: the wire types for users, units, incident natures, roster
//! import and the audit log, and the rules both ends check (the password policy, roster rows).

use crate::StatusCode;
use crate::wire::{MAX_FIELD_CHARS, Millis, Role, UnitKind, check_text};
use serde::{Deserialize, Serialize};

/// Shortest password accepted: long enough that a passphrase fits and guessing does not.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (the hash work grows with it).
pub const MAX_PASSWORD_CHARS: usize = 200;
/// Most roster rows in one import.
pub const MAX_ROSTER_ROWS: usize = 2000;
/// The header a roster file starts with.
pub const ROSTER_HEADER: &str = "type,username,display_name,role,callsign,unit_kind";

/// Passwords of twelve or more characters that lists of leaked passwords show most often
/// (compared without case, spaces or punctuation).
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456123456",
    "123123123123",
    "111111111111",
    "000000000000",
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "qwertyqwerty",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "iloveyou1234",
    "welcome12345",
    "welcome123456",
    "changeme1234",
    "letmein12345",
    "administrator",
    "administrator1",
    "abcdefghijkl",
    "abcd12345678",
    "abc123abc123",
    "asdfghjkl123",
    "trustno1trustno1",
    "correcthorsebatterystaple",
    "baseball1234",
    "football1234",
    "sunshine1234",
    "princess1234",
    "superman1234",
    "starwars1234",
    "monkey123456",
    "dragon123456",
    "master123456",
    "tenfourtenfour",
    "dispatch1234",
    "emergency911",
    "firefighter1",
    "paramedic123",
];

/// Checks a new password against the policy: at least `MIN_PASSWORD_CHARS` characters
/// (passphrases welcome), not a commonly used password, not the username, not one character
/// repeated. The message says what to do.
pub fn check_password(password: &str, username: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password has {chars} characters; use at least {MIN_PASSWORD_CHARS} \
             (a few words with spaces make a good one)"
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!(
            "the password has {chars} characters; use at most {MAX_PASSWORD_CHARS}"
        ));
    }
    if password.chars().any(char::is_control) {
        return Err("the password contains control characters".into());
    }
    let folded: String = password
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if COMMON_PASSWORDS.contains(&folded.as_str()) {
        return Err(
            "that password is one of the most commonly used; choose one nobody would guess".into(),
        );
    }
    let name: String = username
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if !name.is_empty() && folded.contains(&name) && folded.len() < name.len() + 8 {
        return Err("the password is too close to the username".into());
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err("the password repeats too few characters; choose a passphrase".into());
    }
    Ok(())
}

/// A username: 2 to 64 letters, digits, dots, dashes or underscores.
pub fn check_username(username: &str) -> Result<(), String> {
    let chars = username.chars().count();
    if !(2..=64).contains(&chars) {
        return Err(format!(
            "the username {username:?} must have 2 to 64 characters"
        ));
    }
    if !username
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(format!(
            "the username {username:?} may hold only letters, digits, '.', '-' and '_'"
        ));
    }
    Ok(())
}

/// A callsign: 1 to 16 letters, digits or dashes (e.g. `M12`, `E-3`).
pub fn check_callsign(callsign: &str) -> Result<(), String> {
    let chars = callsign.chars().count();
    if !(1..=16).contains(&chars)
        || !callsign
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!(
            "the callsign {callsign:?} must be 1 to 16 letters, digits or dashes"
        ));
    }
    Ok(())
}

/// A user as an administrator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    /// Signed in with a temporary password and must choose their own before anything else.
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

impl NewUser {
    pub fn check(&self) -> Result<(), String> {
        check_username(self.username.trim())?;
        check_text("the display name", &self.display_name, MAX_FIELD_CHARS)
    }
}

/// A user created or given a new temporary password: shown once to the administrator, who
/// hands it over; the user must change it at the next sign-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemporaryPassword {
    pub user: AdminUser,
    pub temporary_password: String,
}

/// What an administrator changes about a user; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// `true` disables the account (sign-in refused, open sessions ended), `false` enables it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// Anyone changing their own password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    pub callsign: String,
    pub kind: UnitKind,
}

/// What an administrator changes about a unit; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// `true` retires the unit: kept in history, no longer offered for a shift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<bool>,
}

/// A unit as an administrator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminUnit {
    pub id: i64,
    pub callsign: String,
    pub kind: UnitKind,
    pub retired: bool,
}

/// An incident nature of the agency, offered by the new-incident form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nature {
    pub code: String,
    pub label: String,
    pub default_priority: u8,
}

impl Nature {
    pub fn check(&self) -> Result<(), String> {
        let code = &self.code;
        if code.is_empty()
            || code.len() > 24
            || !code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!(
                "the nature code {code:?} must be 1 to 24 capital letters, digits or dashes"
            ));
        }
        check_text("the nature label", &self.label, MAX_FIELD_CHARS)?;
        if !(1..=5).contains(&self.default_priority) {
            return Err(format!(
                "default priority {} is out of range; use 1 (most urgent) to 5",
                self.default_priority
            ));
        }
        Ok(())
    }
}

/// One line of the audit log: who did what, when, from where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Millis,
    /// The person who acted; for a failed sign-in, the username that was tried.
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub address: Option<String>,
}

/// What a roster import created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterReport {
    pub users: Vec<TemporaryPassword>,
    pub units: Vec<AdminUnit>,
}

/// One checked row of a roster file.
#[derive(Debug, Clone, PartialEq)]
pub enum RosterRow {
    User(NewUser),
    Unit(NewUnit),
}

/// A wrong row: its line in the file (1 is the header) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterError {
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for RosterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Reads a roster file (`ROSTER_HEADER`, then one user or unit a line). Every row is
/// checked; any wrong row makes the whole file wrong, and every wrong row is named, so the
/// administrator mends them all at once and nothing is half imported.
pub fn parse_roster(text: &str) -> Result<Vec<(usize, RosterRow)>, Vec<RosterError>> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let header = lines
        .next()
        .map(|(_, l)| l.trim_start_matches('\u{feff}').trim())
        .unwrap_or("");
    if header.to_lowercase().replace(' ', "") != ROSTER_HEADER {
        return Err(vec![RosterError {
            line: 1,
            reason: format!("the first line must be the header {ROSTER_HEADER}"),
        }]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut usernames: Vec<(String, usize)> = Vec::new();
    let mut callsigns: Vec<(String, usize)> = Vec::new();
    for (line, text) in lines {
        if text.trim().is_empty() {
            continue;
        }
        let mut fail = |reason: String| errors.push(RosterError { line, reason });
        let fields = match split_csv_line(text) {
            Ok(fields) => fields,
            Err(reason) => {
                fail(reason);
                continue;
            }
        };
        if fields.len() != 6 {
            fail(format!(
                "{} fields; each line has 6 ({ROSTER_HEADER})",
                fields.len()
            ));
            continue;
        }
        let field = |i: usize| fields[i].trim().to_owned();
        match field(0).to_lowercase().as_str() {
            "user" => {
                let role = match Role::parse(&field(3).to_lowercase()) {
                    Some(role) => role,
                    None => {
                        fail(format!(
                            "role {:?} is not one of responder, dispatcher, admin",
                            field(3)
                        ));
                        continue;
                    }
                };
                let user = NewUser {
                    username: field(1),
                    display_name: field(2),
                    role,
                };
                if let Err(reason) = user.check() {
                    fail(reason);
                    continue;
                }
                let key = user.username.to_lowercase();
                if let Some((_, first)) = usernames.iter().find(|(u, _)| *u == key) {
                    fail(format!(
                        "username {} is already on line {first}",
                        user.username
                    ));
                    continue;
                }
                usernames.push((key, line));
                rows.push((line, RosterRow::User(user)));
            }
            "unit" => {
                let kind = match UnitKind::parse(&field(5).to_lowercase()) {
                    Some(kind) => kind,
                    None => {
                        fail(format!(
                            "unit kind {:?} is not one of police, ems, fire",
                            field(5)
                        ));
                        continue;
                    }
                };
                let callsign = field(4).to_uppercase();
                if let Err(reason) = check_callsign(&callsign) {
                    fail(reason);
                    continue;
                }
                if let Some((_, first)) = callsigns.iter().find(|(c, _)| *c == callsign) {
                    fail(format!("callsign {callsign} is already on line {first}"));
                    continue;
                }
                callsigns.push((callsign.clone(), line));
                rows.push((line, RosterRow::Unit(NewUnit { callsign, kind })));
            }
            other => fail(format!("type {other:?} is neither user nor unit")),
        }
        if rows.len() + errors.len() > MAX_ROSTER_ROWS {
            errors.push(RosterError {
                line,
                reason: format!("a roster holds at most {MAX_ROSTER_ROWS} rows; split the file"),
            });
            break;
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(vec![RosterError {
            line: 1,
            reason: "the file has a header but no users or units".into(),
        }]);
    }
    Ok(rows)
}

/// Splits one CSV line (RFC 4180 quoting: `"a, b"` and `""` inside quotes).
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (_, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

/// A check-in (PAR / welfare) timer: while a unit is in `status` on a call (of `priority`,
/// or of any priority when none; a rule for the call's own priority wins), it checks in every
/// `every_seconds`; its device asks `warn_seconds` before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInRule {
    pub status: StatusCode,
    #[serde(default)]
    pub priority: Option<u8>,
    pub every_seconds: u32,
    pub warn_seconds: u32,
}

/// The shortest and longest check-in interval an agency can set.
pub const CHECK_IN_SECONDS: std::ops::RangeInclusive<u32> = 5..=86_400;

/// Checks a list of timers; the error names the rule and what to change.
pub fn check_rules(rules: &[CheckInRule]) -> Result<(), String> {
    for (i, rule) in rules.iter().enumerate() {
        let at = |e: &str| format!("check_in[{i}]: {e}");
        if !rule.status.is_committed() {
            return Err(at(&format!(
                "only statuses on a call can be timed, not {}",
                rule.status.label().to_lowercase()
            )));
        }
        if rule.priority.is_some_and(|p| !(1..=5).contains(&p)) {
            return Err(at("priority must be 1 to 5, or left out for any"));
        }
        if !CHECK_IN_SECONDS.contains(&rule.every_seconds)
            || rule.warn_seconds >= rule.every_seconds
        {
            return Err(at(
                "every_seconds must be 5 to 86400, and warn_seconds less than every_seconds",
            ));
        }
        let same = rules[..i]
            .iter()
            .any(|r| r.status == rule.status && r.priority == rule.priority);
        if same {
            return Err(at("a timer for this status and priority is already set"));
        }
    }
    Ok(())
}

/// The number a responder calls or texts while an emergency has not reached the hub.
pub fn check_phone(phone: &str) -> Result<(), String> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let shape_ok = phone
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (c == '+' && i == 0));
    if phone.is_empty() || (shape_ok && (3..=15).contains(&digits)) {
        Ok(())
    } else {
        Err(format!(
            "emergency_phone {phone:?} must be 3 to 15 digits, optionally after a + (spaces and \
             dashes allowed), or empty"
        ))
    }
}

/// An agency's safety settings, as an administrator sees and sets them in one piece.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetySettings {
    /// Called or texted while an emergency has not reached the hub; empty for none.
    pub emergency_phone: String,
    pub check_in: Vec<CheckInRule>,
    /// Pocket alerts may show a dispatcher's note text on the lock screen (off: they say only
    /// that there is a new note).
    #[serde(default)]
    pub push_details: bool,
    /// How often (seconds) a crew's device on a call sends its position when it has not
    /// moved 50 m (`position::INTERVAL_RANGE_S`).
    #[serde(default = "crate::wire::default_position_interval_s")]
    pub position_interval_s: u32,
}

impl SafetySettings {
    pub fn check(&self) -> Result<(), String> {
        check_phone(self.emergency_phone.trim())?;
        crate::position::check_interval(self.position_interval_s)?;
        check_rules(&self.check_in)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_policy_takes_passphrases_and_refuses_the_common_ones() {
        assert!(check_password("correct horse battery", "medic1").is_ok());
        assert!(check_password("Ambulance at dawn 7", "medic1").is_ok());
        let short = check_password("short1!", "medic1").unwrap_err();
        assert!(short.contains("at least 12"), "{short}");
        let common = check_password("Password1234", "medic1").unwrap_err();
        assert!(common.contains("commonly used"), "{common}");
        assert!(check_password("qwerty 123456", "x").is_err());
        assert!(check_password("aaaaaaaaaaaaaaa", "x").is_err());
        assert!(check_password("medic1medic1", "medic1").is_err());
    }

    #[test]
    fn a_roster_is_read_with_quoted_names() {
        let text = "type,username,display_name,role,callsign,unit_kind\n\
                    user,medic3,\"Doe, Pat\",responder,,\n\
                    unit,,,,m16,EMS\n";
        let rows = parse_roster(text).unwrap();
        assert_eq!(
            rows,
            vec![
                (
                    2,
                    RosterRow::User(NewUser {
                        username: "medic3".into(),
                        display_name: "Doe, Pat".into(),
                        role: Role::Responder
                    })
                ),
                (
                    3,
                    RosterRow::Unit(NewUnit {
                        callsign: "M16".into(),
                        kind: UnitKind::Ems
                    })
                ),
            ]
        );
    }

    #[test]
    fn every_wrong_roster_row_is_named_with_its_line() {
        let text = "type,username,display_name,role,callsign,unit_kind\n\
                    user,medic3,Pat Doe,responder,,\n\
                    user,medic4,Jo Roe,medik,,\n\
                    unit,,,,M16,boat\n\
                    user,medic3,Again,responder,,\n";
        let errors = parse_roster(text).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5], "{errors:?}");
        assert!(errors[0].reason.contains("medik"));
        assert!(errors[2].reason.contains("line 2"));
    }

    #[test]
    fn a_roster_without_its_header_is_refused() {
        let errors = parse_roster("user,medic3,Pat,responder,,\n").unwrap_err();
        assert_eq!(errors[0].line, 1);
    }
}
