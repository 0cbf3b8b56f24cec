//! An agency's administration: its users, units and incident natures, and roster import.
//! Every change is written to the audit log in the same transaction.
//!
//! Rules kept here: nothing reaches another agency (every query names the actor's agency);
//! nothing removes the last active admin; nothing erases history (users are disabled and
//! units retired, never deleted).

use crate::audit::{self, Author};
use crate::clock::now_ms;
use crate::db;
use crate::dispatch::Refusal;
use crate::passwords::hash_off_thread;
use crate::records;
use crate::sessions;
use rand_core::{OsRng, RngCore};
use tenfour_protocol::StatusCode;
use tenfour_protocol::admin::{
    AdminUnit, AdminUser, CheckInRule, Nature, NewUnit, NewUser, RosterError, RosterReport,
    RosterRow, SafetySettings, TemporaryPassword, UnitChange, UserChange, check_callsign,
};
use tenfour_protocol::natures::NATURES;
use tenfour_protocol::wire::{AgencyInfo, ChangeBody, MAX_FIELD_CHARS, Role, UnitKind, check_text};

type Outcome<T> = Result<Result<T, Refusal>, sqlx::Error>;

/// A temporary password: 16 letters and digits in four groups, easy to read out and type
/// (no 0/o or 1/l), about 80 bits.
pub fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    let mut out = String::with_capacity(19);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[*b as usize % ALPHABET.len()] as char);
    }
    out
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    disabled_at: Option<i64>,
    must_change_password: bool,
}

impl UserRow {
    fn into_user(self) -> AdminUser {
        AdminUser {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role: Role::parse(&self.role).unwrap_or(Role::Responder),
            disabled: self.disabled_at.is_some(),
            must_change_password: self.must_change_password,
        }
    }
}

pub async fn users(conn: &mut db::Conn, agency_id: i64) -> Result<Vec<AdminUser>, sqlx::Error> {
    let rows: Vec<UserRow> = db::rows!(
        conn,
        fetch_all,
        UserRow,
        "SELECT id AS id, username, display_name, role, disabled_at,
         must_change_password AS must_change_password
         FROM users WHERE agency_id = $1 ORDER BY username",
        agency_id
    )?;
    Ok(rows.into_iter().map(UserRow::into_user).collect())
}

async fn user(conn: &mut db::Conn, agency_id: i64, id: i64) -> Outcome<AdminUser> {
    let row: Option<UserRow> = db::rows!(
        conn,
        fetch_optional,
        UserRow,
        "SELECT id AS id, username, display_name, role, disabled_at,
         must_change_password AS must_change_password
         FROM users WHERE agency_id = $1 AND id = $2",
        agency_id,
        id
    )?;
    Ok(row
        .map(UserRow::into_user)
        .ok_or_else(|| Refusal::NotFound(format!("there is no user {id} in your agency"))))
}

async fn username_taken(conn: &mut db::Conn, username: &str) -> Result<bool, sqlx::Error> {
    db::scalar!(
        conn,
        fetch_one,
        bool,
        "SELECT EXISTS (SELECT 1
         FROM users WHERE username = $1 COLLATE NOCASE)",
        username
    )
}

/// Creates a user with a temporary password (hashed by the caller beforehand: `hash`).
pub async fn create_user(
    conn: &mut db::Conn,
    author: &Author,
    new: &NewUser,
    temporary: &str,
    hash: &str,
) -> Outcome<TemporaryPassword> {
    if let Err(reason) = new.check() {
        return Ok(Err(Refusal::Invalid(reason)));
    }
    let username = new.username.trim();
    if username_taken(conn, username).await? {
        return Ok(Err(Refusal::Conflict(format!(
            "the username {username} is taken; choose another"
        ))));
    }
    let display_name = new.display_name.trim();
    let role = new.role.as_str();
    let id: i64 = db::scalar!(
        conn,
        fetch_one,
        _,
        "INSERT INTO users (agency_id, username,
         display_name, role, password_hash, must_change_password)
         VALUES ($1, $2, $3, $4, $5, TRUE) RETURNING id",
        author.agency_id,
        username,
        display_name,
        role,
        hash
    )?;
    let detail = format!("{} ({})", new.display_name.trim(), new.role.as_str());
    audit::record(conn, author, "user_created", username, &detail).await?;
    let user = match user(conn, author.agency_id, id).await? {
        Ok(user) => user,
        Err(refusal) => return Ok(Err(refusal)),
    };
    Ok(Ok(TemporaryPassword {
        user,
        temporary_password: temporary.to_owned(),
    }))
}

/// Active admins of the agency other than `except`.
async fn other_admins(
    conn: &mut db::Conn,
    agency_id: i64,
    except: i64,
) -> Result<i64, sqlx::Error> {
    db::scalar!(
        conn,
        fetch_one,
        _,
        "SELECT count(*) FROM users
         WHERE agency_id = $1 AND role = 'admin' AND disabled_at IS NULL AND id <> $2",
        agency_id,
        except
    )
}

/// Changes a user; returns the user as it now stands and the sessions that ended (a
/// disabled user's), whose live streams the caller closes.
pub async fn change_user(
    conn: &mut db::Conn,
    author: &Author,
    id: i64,
    change: &UserChange,
) -> Outcome<(AdminUser, Vec<Vec<u8>>)> {
    let before = match user(conn, author.agency_id, id).await? {
        Ok(user) => user,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let loses_admin = before.role == Role::Admin
        && !before.disabled
        && (change.role.is_some_and(|r| r != Role::Admin) || change.disabled == Some(true));
    if loses_admin && other_admins(conn, author.agency_id, id).await? == 0 {
        return Ok(Err(Refusal::Conflict(format!(
            "{} is the agency's last active admin; make someone else an admin first",
            before.username
        ))));
    }
    let mut ended = Vec::new();
    let now = now_ms();
    if let Some(name) = &change.display_name {
        if let Err(reason) = check_text("the display name", name, MAX_FIELD_CHARS) {
            return Ok(Err(Refusal::Invalid(reason)));
        }
        let name = name.trim();
        db::execute!(
            conn,
            "UPDATE users SET display_name = $1 WHERE id = $2",
            name,
            id
        )?;
        let detail = format!(
            "display name {:?} -> {:?}",
            before.display_name,
            name.trim()
        );
        audit::record(conn, author, "user_renamed", &before.username, &detail).await?;
    }
    if let Some(role) = change.role.filter(|r| *r != before.role) {
        let role_text = role.as_str();
        db::execute!(
            conn,
            "UPDATE users SET role = $1 WHERE id = $2",
            role_text,
            id
        )?;
        // A session's view (unit or whole agency) follows from the role it was opened with.
        ended.extend(sessions::revoke_all(conn, id, now).await?);
        let detail = format!("{} -> {}", before.role.as_str(), role.as_str());
        audit::record(conn, author, "user_role_changed", &before.username, &detail).await?;
    }
    match change.disabled {
        Some(true) if !before.disabled => {
            db::execute!(
                conn,
                "UPDATE users SET disabled_at = $1 WHERE id = $2",
                now,
                id
            )?;
            ended.extend(sessions::revoke_all(conn, id, now).await?);
            audit::record(conn, author, "user_disabled", &before.username, "").await?;
        }
        Some(false) if before.disabled => {
            db::execute!(
                conn,
                "UPDATE users SET disabled_at = NULL WHERE id = $1",
                id
            )?;
            audit::record(conn, author, "user_enabled", &before.username, "").await?;
        }
        _ => {}
    }
    let after = match user(conn, author.agency_id, id).await? {
        Ok(user) => user,
        Err(refusal) => return Ok(Err(refusal)),
    };
    Ok(Ok((after, ended)))
}

/// Gives a user a new temporary password (hashed beforehand) and ends their sessions.
pub async fn reset_password(
    conn: &mut db::Conn,
    author: &Author,
    id: i64,
    temporary: &str,
    hash: &str,
) -> Outcome<(TemporaryPassword, Vec<Vec<u8>>)> {
    let before = match user(conn, author.agency_id, id).await? {
        Ok(user) => user,
        Err(refusal) => return Ok(Err(refusal)),
    };
    db::execute!(
        conn,
        "UPDATE users SET password_hash = $1, must_change_password = TRUE WHERE id = $2",
        hash,
        id
    )?;
    let ended = sessions::revoke_all(conn, id, now_ms()).await?;
    audit::record(conn, author, "password_reset", &before.username, "").await?;
    let user = match user(conn, author.agency_id, id).await? {
        Ok(user) => user,
        Err(refusal) => return Ok(Err(refusal)),
    };
    Ok(Ok((
        TemporaryPassword {
            user,
            temporary_password: temporary.to_owned(),
        },
        ended,
    )))
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct UnitRow {
    id: i64,
    callsign: String,
    kind: String,
    retired_at: Option<i64>,
}

impl UnitRow {
    fn into_unit(self) -> AdminUnit {
        AdminUnit {
            id: self.id,
            callsign: self.callsign,
            kind: UnitKind::parse(&self.kind).unwrap_or(UnitKind::Police),
            retired: self.retired_at.is_some(),
        }
    }
}

pub async fn units(conn: &mut db::Conn, agency_id: i64) -> Result<Vec<AdminUnit>, sqlx::Error> {
    let rows: Vec<UnitRow> = db::rows!(
        conn,
        fetch_all,
        UnitRow,
        "SELECT id AS id, callsign, kind,
         retired_at FROM units WHERE agency_id = $1 ORDER BY callsign",
        agency_id
    )?;
    Ok(rows.into_iter().map(UnitRow::into_unit).collect())
}

async fn unit(conn: &mut db::Conn, agency_id: i64, id: i64) -> Outcome<AdminUnit> {
    let row: Option<UnitRow> = db::rows!(
        conn,
        fetch_optional,
        UnitRow,
        "SELECT id AS id, callsign, kind, retired_at FROM units WHERE agency_id = $1 AND id = $2",
        agency_id,
        id
    )?;
    Ok(row
        .map(UnitRow::into_unit)
        .ok_or_else(|| Refusal::NotFound(format!("there is no unit {id} in your agency"))))
}

async fn callsign_taken(
    conn: &mut db::Conn,
    agency_id: i64,
    callsign: &str,
) -> Result<bool, sqlx::Error> {
    db::scalar!(
        conn,
        fetch_one,
        bool,
        "SELECT EXISTS (SELECT 1
         FROM units WHERE agency_id = $1 AND callsign = $2 COLLATE NOCASE)",
        agency_id,
        callsign
    )
}

pub async fn create_unit(
    conn: &mut db::Conn,
    author: &Author,
    new: &NewUnit,
) -> Outcome<AdminUnit> {
    let callsign = new.callsign.trim().to_uppercase();
    if let Err(reason) = check_callsign(&callsign) {
        return Ok(Err(Refusal::Invalid(reason)));
    }
    if callsign_taken(conn, author.agency_id, &callsign).await? {
        return Ok(Err(Refusal::Conflict(format!(
            "your agency already has a unit {callsign}"
        ))));
    }
    let kind = new.kind.as_str();
    let now = now_ms();
    let id: i64 = db::scalar!(
        conn,
        fetch_one,
        _,
        "INSERT INTO units (agency_id, callsign, kind,
         status_at) VALUES ($1, $2, $3, $4) RETURNING id AS id",
        author.agency_id,
        callsign,
        kind,
        now
    )?;
    records::publish_unit(conn, author.agency_id, id, None).await?;
    audit::record(conn, author, "unit_created", &callsign, new.kind.as_str()).await?;
    unit(conn, author.agency_id, id).await
}

pub async fn change_unit(
    conn: &mut db::Conn,
    author: &Author,
    id: i64,
    change: &UnitChange,
) -> Outcome<AdminUnit> {
    let before = match unit(conn, author.agency_id, id).await? {
        Ok(unit) => unit,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if let Some(callsign) = &change.callsign {
        let callsign = callsign.trim().to_uppercase();
        if let Err(reason) = check_callsign(&callsign) {
            return Ok(Err(Refusal::Invalid(reason)));
        }
        if !callsign.eq_ignore_ascii_case(&before.callsign)
            && callsign_taken(conn, author.agency_id, &callsign).await?
        {
            return Ok(Err(Refusal::Conflict(format!(
                "your agency already has a unit {callsign}"
            ))));
        }
        db::execute!(
            conn,
            "UPDATE units SET callsign = $1 WHERE id = $2",
            callsign,
            id
        )?;
        let detail = format!("{} -> {callsign}", before.callsign);
        audit::record(conn, author, "unit_renamed", &before.callsign, &detail).await?;
    }
    match change.retired {
        Some(true) if !before.retired => {
            let now = now_ms();
            db::execute!(
                conn,
                "UPDATE units SET retired_at = $1 WHERE id = $2",
                now,
                id
            )?;
            audit::record(conn, author, "unit_retired", &before.callsign, "").await?;
        }
        Some(false) if before.retired => {
            db::execute!(conn, "UPDATE units SET retired_at = NULL WHERE id = $1", id)?;
            audit::record(conn, author, "unit_returned", &before.callsign, "").await?;
        }
        _ => {}
    }
    records::publish_unit(conn, author.agency_id, id, None).await?;
    unit(conn, author.agency_id, id).await
}

/// Adds or changes one nature. The first change copies the common list into the agency's
/// own, so editing one nature never makes the others disappear.
pub async fn put_nature(conn: &mut db::Conn, author: &Author, nature: &Nature) -> Outcome<Nature> {
    if let Err(reason) = nature.check() {
        return Ok(Err(Refusal::Invalid(reason)));
    }
    let own: i64 = db::scalar!(
        conn,
        fetch_one,
        _,
        "SELECT count(*) FROM natures WHERE agency_id = $1",
        author.agency_id
    )?;
    if own == 0 {
        for (code, label) in NATURES {
            db::execute!(
                conn,
                "INSERT INTO natures (agency_id, code, text, default_priority) VALUES ($1, $2,
         $3, 3)",
                author.agency_id,
                code,
                label
            )?;
        }
    }
    let label = nature.label.trim();
    let default_priority = nature.default_priority as i64;
    db::execute!(
        conn,
        "INSERT INTO natures (agency_id, code, text, default_priority) VALUES ($1, $2, $3, $4)
         ON CONFLICT (agency_id, code) DO UPDATE SET text = excluded.text,
             default_priority = excluded.default_priority",
        author.agency_id,
        nature.code,
        label,
        default_priority
    )?;
    let detail = format!("{} (P{})", nature.label.trim(), nature.default_priority);
    audit::record(conn, author, "nature_saved", &nature.code, &detail).await?;
    Ok(Ok(nature.clone()))
}

/// A roster's rows as they will be written: users with their temporary password and hash.
pub struct RosterWrite {
    pub users: Vec<(usize, NewUser, String, String)>,
    pub units: Vec<(usize, NewUnit)>,
}

/// Imports a checked roster: first every row is checked against what the agency holds; if
/// any is wrong nothing is written and each wrong row is named. Then all are written.
pub async fn import_roster(
    conn: &mut db::Conn,
    author: &Author,
    roster: &RosterWrite,
) -> Result<Result<RosterReport, Vec<RosterError>>, sqlx::Error> {
    let mut errors = Vec::new();
    for (line, user, _, _) in &roster.users {
        if username_taken(conn, user.username.trim()).await? {
            errors.push(RosterError {
                line: *line,
                reason: format!("the username {} is taken", user.username.trim()),
            });
        }
    }
    for (line, unit) in &roster.units {
        if callsign_taken(conn, author.agency_id, &unit.callsign).await? {
            errors.push(RosterError {
                line: *line,
                reason: format!("your agency already has a unit {}", unit.callsign),
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Ok(Err(errors));
    }
    let mut report = RosterReport {
        users: Vec::new(),
        units: Vec::new(),
    };
    for (line, user, temporary, hash) in &roster.users {
        match create_user(conn, author, user, temporary, hash).await? {
            Ok(created) => report.users.push(created),
            Err(refusal) => {
                return Ok(Err(vec![RosterError {
                    line: *line,
                    reason: refusal.to_string(),
                }]));
            }
        }
    }
    for (line, unit) in &roster.units {
        match create_unit(conn, author, unit).await? {
            Ok(created) => report.units.push(created),
            Err(refusal) => {
                return Ok(Err(vec![RosterError {
                    line: *line,
                    reason: refusal.to_string(),
                }]));
            }
        }
    }
    let detail = format!("{} users, {} units", report.users.len(), report.units.len());
    audit::record(conn, author, "roster_imported", "", &detail).await?;
    Ok(Ok(report))
}

/// Splits parsed rows into what `import_roster` writes, hashing each temporary password.
pub async fn prepare_roster(rows: Vec<(usize, RosterRow)>) -> Result<RosterWrite, String> {
    let mut write = RosterWrite {
        users: Vec::new(),
        units: Vec::new(),
    };
    for (line, row) in rows {
        match row {
            RosterRow::User(user) => {
                let temporary = temporary_password();
                let hash = hash_off_thread(temporary.clone()).await?;
                write.users.push((line, user, temporary, hash));
            }
            RosterRow::Unit(unit) => write.units.push((line, unit)),
        }
    }
    Ok(write)
}

/// The agency's emergency number and check-in timers.
pub async fn safety_settings(
    conn: &mut db::Conn,
    agency_id: i64,
) -> Result<SafetySettings, sqlx::Error> {
    let (emergency_phone, push_details, interval) = db::rows!(
        conn,
        fetch_one,
        (String, bool, i64),
        "SELECT emergency_phone, push_details, position_interval_s FROM agencies WHERE id = $1",
        agency_id
    )?;
    let rows = db::rows!(
        conn,
        fetch_all,
        (String, Option<i64>, i64, i64),
        "SELECT status, priority, interval_s, warning_s FROM check_in_rules
         WHERE agency_id = $1 ORDER BY status, COALESCE(priority, 0)",
        agency_id
    )?;
    let check_in = rows
        .into_iter()
        .filter_map(|(status, priority, interval_s, warning_s)| {
            Some(CheckInRule {
                status: StatusCode::parse(&status)?,
                priority: priority.and_then(|p| u8::try_from(p).ok()),
                every_seconds: u32::try_from(interval_s).ok()?,
                warn_seconds: u32::try_from(warning_s).ok()?,
            })
        })
        .collect();
    Ok(SafetySettings {
        emergency_phone,
        check_in,
        push_details,
        position_interval_s: position_interval(interval),
    })
}

/// The stored interval (kept within range by the table's check).
pub fn position_interval(stored: i64) -> u32 {
    u32::try_from(stored).unwrap_or(tenfour_protocol::position::DEFAULT_INTERVAL_S)
}

/// Adds check-in timers to the agency (checked already).
pub async fn insert_check_in_rules(
    conn: &mut db::Conn,
    agency_id: i64,
    rules: &[CheckInRule],
) -> Result<(), sqlx::Error> {
    for rule in rules {
        let status = rule.status.as_str();
        let priority = rule.priority.map(i64::from);
        let every = i64::from(rule.every_seconds);
        let warn = i64::from(rule.warn_seconds);
        db::execute!(
            conn,
            "INSERT INTO check_in_rules (agency_id, status, priority, interval_s, warning_s)
             VALUES ($1, $2, $3, $4, $5)",
            agency_id,
            status,
            priority,
            every,
            warn
        )?;
    }
    Ok(())
}

/// Replaces the agency's emergency number and check-in timers. Every unit's running timer is
/// worked out again from its status time or last check-in under the new rules, so the
/// boards and the crews' devices see the new due times at once.
pub async fn put_safety_settings(
    conn: &mut db::Conn,
    author: &Author,
    settings: &SafetySettings,
) -> Outcome<SafetySettings> {
    if let Err(reason) = settings.check() {
        return Ok(Err(Refusal::Invalid(reason)));
    }
    let agency_id = author.agency_id;
    let before = safety_settings(conn, agency_id).await?;
    let phone = settings.emergency_phone.trim();
    db::execute!(
        conn,
        "UPDATE agencies SET emergency_phone = $1, push_details = $2, position_interval_s = $3
         WHERE id = $4",
        phone,
        settings.push_details,
        i64::from(settings.position_interval_s),
        agency_id
    )?;
    db::execute!(
        conn,
        "DELETE FROM check_in_rules WHERE agency_id = $1",
        agency_id
    )?;
    insert_check_in_rules(conn, agency_id, &settings.check_in).await?;
    // Touching status_at fires the trigger that keeps each unit's due time.
    let old = due_times(conn, agency_id).await?;
    db::execute!(
        conn,
        "UPDATE units SET status_at = status_at WHERE agency_id = $1",
        agency_id
    )?;
    let new = due_times(conn, agency_id).await?;
    for (unit, _, _) in new.iter().filter(|row| !old.contains(row)) {
        records::publish_unit(conn, agency_id, *unit, None).await?;
    }
    // What devices keep of the agency: its number and how often they send positions.
    if phone != before.emergency_phone || settings.position_interval_s != before.position_interval_s
    {
        let (slug, name) = db::rows!(
            conn,
            fetch_one,
            (String, String),
            "SELECT slug, name FROM agencies WHERE id = $1",
            agency_id
        )?;
        let info = AgencyInfo {
            id: agency_id,
            slug,
            name,
            emergency_phone: phone.to_owned(),
            position_interval_s: settings.position_interval_s,
        };
        records::record_change(
            conn,
            agency_id,
            records::Audience::All,
            ChangeBody::Agency(info),
        )
        .await?;
    }
    let detail = format!(
        "emergency number {}; {} check-in timer(s); note text in pocket alerts {}; positions \
         every {} s standing still",
        if phone.is_empty() { "none" } else { phone },
        settings.check_in.len(),
        if settings.push_details { "on" } else { "off" },
        settings.position_interval_s
    );
    audit::record(conn, author, "safety_saved", "agency", &detail).await?;
    Ok(Ok(safety_settings(conn, agency_id).await?))
}

/// Each unit's check-in due and warning times, by unit id.
async fn due_times(
    conn: &mut db::Conn,
    agency_id: i64,
) -> Result<Vec<(i64, Option<i64>, Option<i64>)>, sqlx::Error> {
    db::rows!(
        conn,
        fetch_all,
        (i64, Option<i64>, Option<i64>),
        "SELECT id, check_in_due_at, check_in_warn_at FROM units WHERE agency_id = $1 ORDER BY id",
        agency_id
    )
}
