//! The JSON the hub and its clients exchange. Request bodies reject unknown fields so that a
//! typo is an error the sender sees, never a value silently ignored.
//!
//! Times are Unix milliseconds (UTC); ids are the hub's integers; device ids are UUID text.

use crate::status::StatusCode;
pub use crate::status::UnitKind;
use serde::{Deserialize, Serialize};

/// Unix time in milliseconds.
pub type Millis = i64;

/// Longest note, caller or field, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Longest short text field (address, names, nature text, a caution), in characters.
pub const MAX_FIELD_CHARS: usize = 200;
/// Most cautions on one incident.
pub const MAX_CAUTIONS: usize = 12;
/// Most outbox entries in one push.
pub const MAX_PUSH_ENTRIES: usize = 100;
/// Most changes in one pull page.
pub const MAX_PAGE: u32 = 500;

crate::named! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Role {
        Responder = "responder",
        Dispatcher = "dispatcher",
        Admin = "admin",
    }
}

impl Role {
    /// Dispatchers and admins run the board and see the whole agency.
    pub fn dispatches(self) -> bool {
        matches!(self, Role::Dispatcher | Role::Admin)
    }
}

crate::named! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum IncidentState {
        Active = "active",
        Closed = "closed",
        Cancelled = "cancelled",
    }
}

crate::named! {
    /// Who wrote a note: the call-taker (the caller's account), a dispatcher, or a unit.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum NoteSource {
        Caller = "caller",
        Dispatch = "dispatch",
        Field = "field",
    }
}

// ---------------------------------------------------------------------------------------
// Sessions

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub username: String,
    pub password: String,
    /// A responder's unit for the shift (its callsign); can also be chosen afterwards.
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChooseUnit {
    pub unit: String,
}

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSubscription {
    pub endpoint: String,
    /// Browsers send it (usually null); the hub does not use it.
    #[serde(
        default,
        rename = "expirationTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration_time: Option<f64>,
    pub keys: PushKeys,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte authentication secret, base64url.
    pub auth: String,
}

/// The agency's VAPID public key: what a device subscribes with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushKey {
    pub public_key: String,
}

/// Whether this session has a push subscription, and where it points.
/// `GET /api/incidents/{id}/nearest-units`: a unit free to send, and how far it is from the
/// call in a straight line (`None` when it has not said where it is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearbyUnit {
    pub unit: Unit,
    pub distance_m: Option<f64>,
}

/// `GET /api/map`: the agency's map pack (a PMTiles archive of vector tiles), which a device
/// downloads whole from `GET /api/map/pack` in byte ranges and draws from offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapPack {
    /// Bytes in the archive.
    pub size: u64,
    /// Names this version of the pack; a resumed download sends it as `If-Range`.
    pub etag: String,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// The area it covers, in degrees.
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
    /// Where a map opens when it has nothing to show.
    pub center_zoom: u8,
    pub center_longitude: f64,
    pub center_latitude: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushStatus {
    pub endpoint: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Present only in the sign-in answer: the bearer token. The hub keeps only its hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub expires_at: Millis,
    pub user: UserInfo,
    pub agency: AgencyInfo,
    pub unit: Option<Unit>,
    /// Signed in with a temporary password: the app asks for a new one before anything else.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

/// How often (seconds) a crew's device on a call sends its position when standing still,
/// unless the agency chose otherwise (`position::INTERVAL_RANGE_S`).
pub const DEFAULT_POSITION_INTERVAL_S: u32 = 15;

/// For serde: an agency saved before the interval could be chosen has the default.
pub fn default_position_interval_s() -> u32 {
    DEFAULT_POSITION_INTERVAL_S
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgencyInfo {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The number a responder calls (`tel:`) or texts (`sms:`) while an emergency has not
    /// reached the hub; empty when the agency has none.
    #[serde(default)]
    pub emergency_phone: String,
    /// How often (seconds) a crew's device on a call sends its position when it has not
    /// moved 50 m.
    #[serde(default = "default_position_interval_s")]
    pub position_interval_s: u32,
}

// ---------------------------------------------------------------------------------------
// Dispatch records

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: i64,
    pub callsign: String,
    pub kind: UnitKind,
    pub status: StatusCode,
    pub incident_id: Option<i64>,
    /// When the current status began (device press time for field updates).
    pub status_at: Millis,
    /// When the hub last received anything from this unit's devices.
    pub last_heard_at: Option<Millis>,
    /// Retired by an administrator: kept for the history, no longer offered for a shift.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
    /// While a check-in timer runs (the agency times this status): when the crew must have
    /// checked in by. The hub sets it from the status time or the last check-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in_due_at: Option<Millis>,
    /// When the crew's device starts asking for the check-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in_warn_at: Option<Millis>,
    /// Where the unit's device last said it was (sent only while location is on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Fix>,
}

/// A position at a time: where a unit's device was when it said so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    /// By the device's clock.
    pub at: Millis,
}

impl Fix {
    pub fn new(location: &Location, at: Millis) -> Self {
        Fix {
            latitude: location.latitude,
            longitude: location.longitude,
            accuracy_m: location.accuracy_m,
            at,
        }
    }

    pub fn location(&self) -> Location {
        Location {
            latitude: self.latitude,
            longitude: self.longitude,
            accuracy_m: self.accuracy_m,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: i64,
    pub source: NoteSource,
    pub author: String,
    pub unit_id: Option<i64>,
    pub text: String,
    /// When it was written (device time for field notes).
    pub at: Millis,
    pub received_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub id: i64,
    pub unit_id: i64,
    pub callsign: String,
    pub dispatched_at: Millis,
    pub acknowledged_at: Option<Millis>,
    pub cleared_at: Option<Millis>,
    pub cancelled_at: Option<Millis>,
}

impl Assignment {
    pub fn is_active(&self) -> bool {
        self.cleared_at.is_none() && self.cancelled_at.is_none()
    }
}

/// An incident with its notes and assignments: the unit of sync for incident data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: i64,
    pub number: String,
    pub nature_code: String,
    pub nature_text: String,
    pub priority: u8,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub caller_name: String,
    pub callback: String,
    pub cautions: Vec<String>,
    pub state: IncidentState,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub notes: Vec<Note>,
    pub assignments: Vec<Assignment>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub nature_code: String,
    #[serde(default)]
    pub nature_text: Option<String>,
    pub priority: u8,
    pub address: String,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub callback: String,
    #[serde(default)]
    pub cautions: Vec<String>,
    #[serde(default)]
    pub caller_notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    pub unit_id: i64,
}

/// What the dispatcher's board starts from; the stream keeps it current.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub cursor: u64,
    pub units: Vec<Unit>,
    pub incidents: Vec<Incident>,
}

/// A field action as the dispatcher's feed shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEvent {
    pub entry_id: String,
    pub unit_id: i64,
    pub callsign: String,
    pub kind: ActionKind,
    pub incident_id: Option<i64>,
    pub status: Option<StatusCode>,
    pub text: Option<String>,
    /// Pressed on the device.
    pub at: Millis,
    /// Received by the hub; far after `at` when the device was offline.
    pub received_at: Millis,
    pub outcome: Outcome,
    pub reason: Option<String>,
}

/// A responder's emergency: raised from the device (offline too), acknowledged and ended
/// by dispatch, or cancelled by the responder. Kept for the record once ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Emergency {
    pub id: i64,
    pub unit_id: i64,
    pub callsign: String,
    /// Who pressed the button.
    pub raised_by: String,
    /// The call the unit was on, if any.
    pub incident_id: Option<i64>,
    /// Pressed on the device.
    pub pressed_at: Millis,
    /// Reached the hub.
    pub received_at: Millis,
    pub location: Option<Location>,
    /// Where the unit's device said it was since the press, oldest first (the newest
    /// [`TRAIL_SENT`] of them; the hub keeps them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trail: Vec<Fix>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<Millis>,
    pub ended_by: Option<String>,
    pub ended_at: Option<Millis>,
    pub end_reason: Option<String>,
}

/// How many of an emergency's newest positions travel with it.
pub const TRAIL_SENT: usize = 30;

impl Emergency {
    /// The newest position known: the trail's last, or where the button was pressed.
    pub fn last_position(&self) -> Option<(Location, Millis)> {
        match self.trail.last() {
            Some(fix) => Some((fix.location(), fix.at)),
            None => self.location.clone().map(|l| (l, self.pressed_at)),
        }
    }

    pub fn is_active(&self) -> bool {
        self.ended_at.is_none()
    }

    /// Active and no dispatcher has taken it yet: the board's alarm sounds.
    pub fn is_unanswered(&self) -> bool {
        self.is_active() && self.acknowledged_at.is_none()
    }
}

/// A dispatcher ends an emergency, saying why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndEmergency {
    pub reason: String,
}

/// The longest reason for ending an emergency.
pub const MAX_REASON_CHARS: usize = 500;

// ---------------------------------------------------------------------------------------
// Sync: push

crate::named! {
    /// What a device's outbox entry asks for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ActionKind {
        Acknowledge = "acknowledge",
        Status = "status",
        FieldNote = "field_note",
        /// The responder's emergency button ("officer down", "crew needs help").
        Emergency = "emergency",
        /// The responder ends their own emergency.
        EmergencyCancel = "emergency_cancel",
        /// "We're OK": answers the unit's check-in timer.
        CheckIn = "check_in",
        /// Where the unit is now (sent while on a call or in an emergency, location on).
        Position = "position",
    }
}

/// One durable action from a device's outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxEntry {
    pub client_id: String,
    pub seq: u64,
    pub id: String,
    /// When the responder pressed the button, by the device clock.
    pub at: Millis,
    pub kind: ActionKind,
    pub payload: serde_json::Value,
}

/// An outbox entry as the device holds it: the entry exactly as stored and sent, with its
/// action decoded once, when it is read or queued, instead of on every screen that looks at
/// it. Stored and sent as the plain entry (the hub reads the raw payload leniently, so a
/// malformed action is refused alone). `action` is the decoding error for a payload this
/// app cannot read (written by an older version): such an entry is still kept and sent, and
/// the hub's answer says why it cannot be applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "OutboxEntry", into = "OutboxEntry")]
pub struct Queued {
    pub entry: OutboxEntry,
    pub action: Result<Action, String>,
}

impl From<OutboxEntry> for Queued {
    fn from(entry: OutboxEntry) -> Self {
        let action = entry.action();
        Queued { entry, action }
    }
}

impl From<Queued> for OutboxEntry {
    fn from(queued: Queued) -> Self {
        queued.entry
    }
}

/// A queued entry is read like the entry it carries (`seq`, `id`, `at`, `kind`).
impl std::ops::Deref for Queued {
    type Target = OutboxEntry;

    fn deref(&self) -> &OutboxEntry {
        &self.entry
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgePayload {
    pub assignment_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusPayload {
    pub status: StatusCode,
    #[serde(default)]
    pub incident_id: Option<i64>,
    #[serde(default)]
    pub location: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldNotePayload {
    pub incident_id: i64,
    pub text: String,
}

/// The emergency button: the device's last known position at the press, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyPayload {
    #[serde(default)]
    pub location: Option<Location>,
}

/// Ends the unit's active emergency (the responder is safe).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyCancelPayload {}

/// A check-in: the crew is OK, at the press time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInPayload {}

/// Where the device is, at the entry's time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionPayload {
    pub location: Location,
}

/// An outbox entry's payload, decoded according to its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Acknowledge(AcknowledgePayload),
    Status(StatusPayload),
    FieldNote(FieldNotePayload),
    Emergency(EmergencyPayload),
    EmergencyCancel(EmergencyCancelPayload),
    CheckIn(CheckInPayload),
    Position(PositionPayload),
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Acknowledge(_) => ActionKind::Acknowledge,
            Action::Status(_) => ActionKind::Status,
            Action::FieldNote(_) => ActionKind::FieldNote,
            Action::Emergency(_) => ActionKind::Emergency,
            Action::EmergencyCancel(_) => ActionKind::EmergencyCancel,
            Action::CheckIn(_) => ActionKind::CheckIn,
            Action::Position(_) => ActionKind::Position,
        }
    }

    pub fn payload(&self) -> serde_json::Value {
        let value = match self {
            Action::Acknowledge(p) => serde_json::to_value(p),
            Action::Status(p) => serde_json::to_value(p),
            Action::FieldNote(p) => serde_json::to_value(p),
            Action::Emergency(p) => serde_json::to_value(p),
            Action::EmergencyCancel(p) => serde_json::to_value(p),
            Action::CheckIn(p) => serde_json::to_value(p),
            Action::Position(p) => serde_json::to_value(p),
        };
        value.unwrap_or(serde_json::Value::Null)
    }
}

impl OutboxEntry {
    /// Decodes and checks the payload; the error says what to fix.
    pub fn action(&self) -> Result<Action, String> {
        fn decode<T: serde::de::DeserializeOwned>(
            kind: ActionKind,
            value: &serde_json::Value,
        ) -> Result<T, String> {
            T::deserialize(value)
                .or_else(|e| {
                    // 5.0 for 5 (JSON Schema calls both integers): decode again, mended.
                    let mut mended = value.clone();
                    if whole_numbers_as_integers(&mut mended) {
                        T::deserialize(&mended).map_err(|_| e)
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| format!("payload of a {} entry: {e}", kind.as_str()))
        }
        let action = match self.kind {
            ActionKind::Acknowledge => Action::Acknowledge(decode(self.kind, &self.payload)?),
            ActionKind::Status => Action::Status(decode(self.kind, &self.payload)?),
            ActionKind::FieldNote => Action::FieldNote(decode(self.kind, &self.payload)?),
            ActionKind::Emergency => Action::Emergency(decode(self.kind, &self.payload)?),
            ActionKind::EmergencyCancel => {
                Action::EmergencyCancel(decode(self.kind, &self.payload)?)
            }
            ActionKind::CheckIn => Action::CheckIn(decode(self.kind, &self.payload)?),
            ActionKind::Position => Action::Position(decode(self.kind, &self.payload)?),
        };
        match &action {
            Action::FieldNote(note) => check_text("note", &note.text, MAX_NOTE_CHARS)?,
            Action::Status(StatusPayload {
                location: Some(location),
                ..
            })
            | Action::Emergency(EmergencyPayload {
                location: Some(location),
            })
            | Action::Position(PositionPayload { location }) => check_location(location)?,
            Action::Status(_)
            | Action::Emergency(_)
            | Action::Acknowledge(_)
            | Action::EmergencyCancel(_)
            | Action::CheckIn(_) => {}
        }
        Ok(action)
    }

    /// Checks what can be checked without the hub's records.
    pub fn check(&self) -> Result<Action, String> {
        if !is_uuid(&self.client_id) {
            return Err(format!("client_id {:?} is not a UUID", self.client_id));
        }
        if !is_uuid(&self.id) {
            return Err(format!("id {:?} is not a UUID", self.id));
        }
        if self.seq == 0 || self.seq > i64::MAX as u64 {
            return Err(format!(
                "seq {} is out of range: a device counts from 1",
                self.seq
            ));
        }
        if !(0..=MAX_MILLIS).contains(&self.at) {
            return Err(format!("at {} is not a time in Unix milliseconds", self.at));
        }
        self.action()
    }
}

/// Rewrites every whole number written with a fraction (`5.0`) as an integer, in place;
/// whether it changed anything. JSON does not tell the two apart and JSON Schema calls both
/// integers, so a client may send either.
pub fn whole_numbers_as_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            // Within the integers an f64 holds exactly.
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                *value = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |m, v| whole_numbers_as_integers(v) | m),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |m, v| whole_numbers_as_integers(v) | m),
        _ => false,
    }
}

/// The year 3000 in Unix milliseconds: later than any honest device clock.
const MAX_MILLIS: Millis = 32_503_680_000_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub entries: Vec<OutboxEntry>,
}

/// What became of an outbox entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Applied now.
    Applied,
    /// Processed now, but it can never apply; `reason` says why. It is kept in the record.
    Rejected,
    /// Processed before (a retry): nothing changed. `original` and `reason` repeat the first
    /// answer.
    Duplicate,
    /// Not processed: an earlier entry is missing; send from `expected_seq`.
    Gap,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryResult {
    pub seq: u64,
    pub id: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_seq: Option<u64>,
}

impl EntryResult {
    /// The device may forget the entry: the hub has it, applied or rejected, for good.
    pub fn is_settled(&self) -> bool {
        !matches!(self.outcome, Outcome::Gap)
    }

    /// The reason to show the responder, when the entry did not (and will not) apply.
    pub fn rejection(&self) -> Option<&str> {
        let rejected = self.outcome == Outcome::Rejected
            || (self.outcome == Outcome::Duplicate && self.original == Some(Outcome::Rejected));
        if rejected {
            self.reason.as_deref()
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<EntryResult>,
}

// ---------------------------------------------------------------------------------------
// Sync: pull and stream

/// A committed change, numbered by the agency's cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub cursor: u64,
    #[serde(flatten)]
    pub body: ChangeBody,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ChangeBody {
    /// The whole incident as it now stands.
    Incident(Incident),
    /// A unit as it now stands.
    Unit(Unit),
    /// A field action, for dispatchers' feeds.
    FieldEvent(FieldEvent),
    /// An emergency as it now stands (raised, acknowledged, ended).
    Emergency(Emergency),
    /// The agency's settings devices use (its emergency number), after an administrator
    /// changed them.
    Agency(AgencyInfo),
    /// A note added to an incident: it travels and is stored as itself, not as a new copy of
    /// the incident with every note it has, so a call's traffic grows with its notes, not
    /// with their square. The device adds it to its copy of the incident.
    Note(IncidentNote),
    /// A kind of change this version does not know (a newer hub): skipped, so that one new
    /// kind never stops a device's sync. The hub never sends it.
    #[serde(skip_serializing)]
    Unknown,
}

/// Read by its `type`: a known kind must be well formed (an error names what is wrong), an
/// unknown kind is `Unknown`.
impl<'de> Deserialize<'de> for ChangeBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Tagged {
            #[serde(rename = "type")]
            kind: String,
            #[serde(default)]
            data: serde_json::Value,
        }
        fn data<T: serde::de::DeserializeOwned, E: serde::de::Error>(
            value: serde_json::Value,
        ) -> Result<T, E> {
            T::deserialize(value).map_err(E::custom)
        }
        let Tagged { kind, data: value } = Tagged::deserialize(deserializer)?;
        Ok(match kind.as_str() {
            "incident" => ChangeBody::Incident(data(value)?),
            "unit" => ChangeBody::Unit(data(value)?),
            "field_event" => ChangeBody::FieldEvent(data(value)?),
            "emergency" => ChangeBody::Emergency(data(value)?),
            "agency" => ChangeBody::Agency(data(value)?),
            "note" => ChangeBody::Note(data(value)?),
            _ => ChangeBody::Unknown,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentNote {
    pub incident_id: i64,
    pub note: Note,
}

impl Incident {
    /// Adds a note that arrived by itself, in the hub's order (time written, then id); false
    /// when the incident already shows it.
    pub fn add_note(&mut self, note: Note) -> bool {
        if self.notes.iter().any(|n| n.id == note.id) {
            return false;
        }
        let at = self
            .notes
            .partition_point(|n| (n.at, n.id) < (note.at, note.id));
        self.updated_at = self.updated_at.max(note.received_at);
        self.notes.insert(at, note);
        true
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    /// Pass as `since` for the next page.
    pub cursor: u64,
    /// More changes are waiting after `cursor`.
    pub more: bool,
}

/// The `resync` stream event: the subscriber fell too far behind; pull from its cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resync {
    pub head: u64,
}

// ---------------------------------------------------------------------------------------
// Checks shared by the app's forms and the hub

/// A non-blank text of at most `max` characters.
pub fn check_text(what: &str, text: &str, max: usize) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("{what} is empty"));
    }
    check_length(what, text, max)
}

pub fn check_length(what: &str, text: &str, max: usize) -> Result<(), String> {
    let chars = text.chars().count();
    if chars > max {
        return Err(format!(
            "{what} is {chars} characters long; the limit is {max}"
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(format!("{what} contains control characters"));
    }
    Ok(())
}

/// A device's position: coordinates on the globe and an accuracy that is a distance.
pub fn check_location(location: &Location) -> Result<(), String> {
    check_coordinates(Some(location.latitude), Some(location.longitude))?;
    match location.accuracy_m {
        Some(a) if !(a >= 0.0 && a.is_finite()) => {
            Err(format!("accuracy_m {a} is not a distance in metres"))
        }
        _ => Ok(()),
    }
}

pub fn check_coordinates(latitude: Option<f64>, longitude: Option<f64>) -> Result<(), String> {
    match (latitude, longitude) {
        (None, None) => Ok(()),
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) {
                return Err(format!("latitude {lat} is outside -90..90"));
            }
            if !(-180.0..=180.0).contains(&lon) {
                return Err(format!("longitude {lon} is outside -180..180"));
            }
            Ok(())
        }
        _ => Err("give both latitude and longitude, or neither".into()),
    }
}

/// Canonical hyphenated UUID text (any version).
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `as_str` gives are the ones serde writes and reads.
    #[test]
    fn named_values_travel_by_the_names_they_are_stored_by() {
        fn check<T: Copy + PartialEq + std::fmt::Debug + Serialize + for<'de> Deserialize<'de>>(
            all: &[T],
            name: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            for value in all {
                let text = name(*value);
                assert_eq!(serde_json::to_value(value).unwrap(), text);
                assert_eq!(serde_json::from_value::<T>(text.into()).unwrap(), *value);
                assert_eq!(parse(text), Some(*value));
            }
            assert_eq!(parse("nonsense"), None);
        }
        check(Role::ALL, Role::as_str, Role::parse);
        check(
            IncidentState::ALL,
            IncidentState::as_str,
            IncidentState::parse,
        );
        check(NoteSource::ALL, NoteSource::as_str, NoteSource::parse);
        check(ActionKind::ALL, ActionKind::as_str, ActionKind::parse);
        check(UnitKind::ALL, UnitKind::as_str, UnitKind::parse);
    }
    use serde_json::json;

    fn entry(kind: ActionKind, payload: serde_json::Value) -> OutboxEntry {
        OutboxEntry {
            client_id: "0b1c9a8e-64a4-4c1a-9c55-2a3f1e9b7d10".into(),
            seq: 1,
            id: "9f0e6b1e-8d4e-4b5e-a4d7-1c2b3a4d5e6f".into(),
            at: 1_764_000_000_000,
            kind,
            payload,
        }
    }

    #[test]
    fn payload_decodes_by_kind() {
        let e = entry(
            ActionKind::Status,
            json!({"status": "en_route", "incident_id": 4}),
        );
        assert_eq!(
            e.check().unwrap(),
            Action::Status(StatusPayload {
                status: StatusCode::EnRoute,
                incident_id: Some(4),
                location: None
            })
        );
    }

    fn note(id: i64, at: Millis) -> Note {
        Note {
            id,
            source: NoteSource::Field,
            author: "M12 (Ana)".into(),
            unit_id: Some(4),
            text: format!("note {id}"),
            at,
            received_at: at + 5,
        }
    }

    #[test]
    fn a_change_of_a_kind_this_version_does_not_know_is_skipped_not_a_failed_page() {
        let page: ChangesPage = serde_json::from_value(json!({
            "changes": [
                {"cursor": 7, "type": "weather", "data": {"wind": "40 kn"}},
                {"cursor": 8, "type": "agency", "data": {
                    "id": 1, "slug": "demo", "name": "Demo", "emergency_phone": ""}}
            ],
            "cursor": 8, "more": false
        }))
        .unwrap();
        assert_eq!(page.changes[0].body, ChangeBody::Unknown);
        assert_eq!(page.changes[0].cursor, 7);
        assert!(matches!(page.changes[1].body, ChangeBody::Agency(_)));
    }

    #[test]
    fn a_note_that_arrives_by_itself_joins_the_incident_once_in_the_hub_s_order() {
        let change: Change = serde_json::from_value(json!({
            "cursor": 9, "type": "incident", "data": {
                "id": 1, "number": "26-1", "nature_code": "FALL", "nature_text": "Fall",
                "priority": 2, "address": "1 Main St", "latitude": null, "longitude": null,
                "caller_name": "", "callback": "", "cautions": [], "state": "active",
                "created_at": 0, "updated_at": 0, "notes": [], "assignments": []
            }
        }))
        .unwrap();
        let ChangeBody::Incident(mut incident) = change.body else {
            panic!("an incident")
        };
        assert!(incident.add_note(note(5, 200)));
        assert!(
            incident.add_note(note(3, 100)),
            "written earlier, arrived later"
        );
        assert!(incident.add_note(note(4, 200)));
        assert!(
            !incident.add_note(note(5, 200)),
            "the same note twice is one note"
        );
        let order: Vec<i64> = incident.notes.iter().map(|n| n.id).collect();
        assert_eq!(order, [3, 4, 5]);
        assert_eq!(incident.updated_at, 205);
        // On the wire: `note`, with the incident it belongs to.
        let wire = serde_json::to_value(Change {
            cursor: 10,
            body: ChangeBody::Note(IncidentNote {
                incident_id: 1,
                note: note(6, 300),
            }),
        })
        .unwrap();
        assert_eq!(wire["type"], "note");
        assert_eq!(wire["data"]["incident_id"], 1);
    }

    #[test]
    fn a_queued_entry_is_stored_as_the_plain_entry_and_decoded_once_when_read() {
        let plain = entry(
            ActionKind::Status,
            json!({"status": "en_route", "incident_id": 4}),
        );
        let text = serde_json::to_string(&plain).unwrap();
        let queued: Queued = serde_json::from_str(&text).unwrap();
        assert_eq!(queued.action, plain.action());
        assert_eq!(queued.seq, 1, "read like the entry it carries");
        assert_eq!(serde_json::to_string(&queued).unwrap(), text);
        // A payload this app cannot read is kept, with the reason, and stored unchanged.
        let odd = entry(ActionKind::Status, json!({"status": "flying"}));
        let text = serde_json::to_string(&odd).unwrap();
        let queued: Queued = serde_json::from_str(&text).unwrap();
        assert!(queued.action.as_ref().unwrap_err().contains("flying"));
        assert_eq!(serde_json::to_string(&queued).unwrap(), text);
    }

    #[test]
    fn unknown_payload_fields_and_values_are_named() {
        let e = entry(
            ActionKind::Status,
            json!({"status": "en_route", "speed": 3}),
        );
        assert!(e.check().unwrap_err().contains("unknown field `speed`"));
        let e = entry(ActionKind::Status, json!({"status": "flying"}));
        assert!(e.check().unwrap_err().contains("unknown variant `flying`"));
    }

    #[test]
    fn notes_are_bounded() {
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        let e = entry(
            ActionKind::FieldNote,
            json!({"incident_id": 1, "text": long}),
        );
        assert!(e.check().unwrap_err().contains("limit is 2000"));
        let e = entry(
            ActionKind::FieldNote,
            json!({"incident_id": 1, "text": "  "}),
        );
        assert!(e.check().unwrap_err().contains("empty"));
    }

    #[test]
    fn ids_and_times_are_checked() {
        let mut e = entry(ActionKind::Acknowledge, json!({"assignment_id": 1}));
        e.client_id = "not-a-uuid".into();
        assert!(e.check().unwrap_err().contains("client_id"));
        let mut e = entry(ActionKind::Acknowledge, json!({"assignment_id": 1}));
        e.seq = 0;
        assert!(e.check().unwrap_err().contains("seq 0"));
        let mut e = entry(ActionKind::Acknowledge, json!({"assignment_id": 1}));
        e.at = -5;
        assert!(e.check().unwrap_err().contains("at -5"));
    }

    #[test]
    fn change_wire_shape_is_flat() {
        let change = Change {
            cursor: 7,
            body: ChangeBody::Unit(Unit {
                id: 1,
                callsign: "M12".into(),
                kind: UnitKind::Ems,
                status: StatusCode::Available,
                incident_id: None,
                status_at: 5,
                last_heard_at: None,
                retired: false,
                check_in_due_at: None,
                check_in_warn_at: None,
                position: None,
            }),
        };
        let value = serde_json::to_value(&change).unwrap();
        assert_eq!(value["cursor"], 7);
        assert_eq!(value["type"], "unit");
        assert_eq!(value["data"]["callsign"], "M12");
        assert_eq!(serde_json::from_value::<Change>(value).unwrap(), change);
    }
}
