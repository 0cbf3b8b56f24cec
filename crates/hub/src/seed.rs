//! Seeding an agency from a JSON document: the built-in demo agency, or a file of one's own
//! (`--seed FILE`). An agency whose slug already exists is left as it is.

use crate::clock::now_ms;
use crate::db;
use crate::passwords::hash_off_thread;
use crate::{dispatch, records};
pub use tenfour_protocol::seed::{SeedAgency, parse_seed};

pub const DEMO: &str = include_str!("demo-agency.json");

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{0}")]
    Document(String),
    #[error("cannot hash a password: {0}")]
    Password(String),
    #[error("seed refers to unknown unit {0}")]
    UnknownUnit(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The sign-ins a seed document creates, one line each (`sign in: USER / PASSWORD  ROLE  NAME`),
/// for the hub to print at start: read from the very document that seeds them, so the list
/// and the accounts cannot drift apart.
pub fn sign_in_lines(document: &str) -> Result<Vec<String>, SeedError> {
    let agency = parse_seed(document).map_err(SeedError::Document)?;
    Ok(agency
        .users
        .iter()
        .map(|u| {
            format!(
                "sign in: {} / {}  ({}, {})",
                u.username,
                u.password,
                u.role.as_str(),
                u.display_name
            )
        })
        .collect())
}

/// Creates the agency described by `document` unless its slug exists. Returns whether it
/// created it.
pub async fn seed(db: &db::Pool, document: &str) -> Result<bool, SeedError> {
    let agency: SeedAgency = parse_seed(document).map_err(SeedError::Document)?;
    let exists: Option<i64> = db::scalar!(
        db.acquire().await?,
        fetch_optional,
        _,
        "SELECT id AS id FROM agencies WHERE slug = $1",
        agency.slug
    )?;
    if exists.is_some() {
        return Ok(false);
    }
    // Hashing holds a core for tens of milliseconds each: off the async threads, before the
    // transaction, so the writer is held only for the writes (the slug's uniqueness still
    // refuses a second creation that raced this one).
    let mut hashes = Vec::with_capacity(agency.users.len());
    for user in &agency.users {
        hashes.push(
            hash_off_thread(user.password.clone())
                .await
                .map_err(SeedError::Password)?,
        );
    }
    let mut tx = db.begin().await?;
    let now = now_ms();
    let agency_id: i64 = db::scalar!(
        tx,
        fetch_one,
        _,
        "INSERT INTO agencies (slug, name,
         emergency_phone) VALUES ($1, $2, $3) RETURNING id AS id",
        agency.slug,
        agency.name,
        agency.emergency_phone
    )?;
    // Before any unit moves, so the first timed status already runs its timer.
    crate::admin::insert_check_in_rules(&mut tx, agency_id, &agency.check_in).await?;
    for (user, hash) in agency.users.iter().zip(hashes) {
        let role = user.role.as_str();
        db::execute!(
            tx,
            "INSERT INTO users (agency_id, username, display_name, role, password_hash)
             VALUES ($1, $2, $3, $4, $5)",
            agency_id,
            user.username,
            user.display_name,
            role,
            hash
        )?;
    }
    for unit in &agency.units {
        let kind = unit.kind.as_str();
        db::execute!(
            tx,
            "INSERT INTO units (agency_id, callsign, kind, status_at) VALUES ($1, $2, $3, $4)",
            agency_id,
            unit.callsign,
            kind,
            now
        )?;
    }
    for unit in records::load_units(&mut tx, agency_id).await? {
        records::publish_unit(&mut tx, agency_id, unit.id, None).await?;
    }
    for seeded in &agency.incidents {
        let incident_id =
            dispatch::create_incident(&mut tx, agency_id, "Call-taker", &seeded.incident, now)
                .await?
                .map_err(|r| SeedError::Invalid(r.to_string()))?;
        for callsign in &seeded.assign {
            let unit_id: i64 = db::scalar!(
                tx,
                fetch_optional,
                _,
                "SELECT id AS id FROM units WHERE agency_id = $1 AND callsign = $2",
                agency_id,
                callsign
            )?
            .ok_or_else(|| SeedError::UnknownUnit(callsign.clone()))?;
            dispatch::assign(&mut tx, agency_id, incident_id, unit_id, now)
                .await?
                .map_err(|r| SeedError::Invalid(r.to_string()))?;
        }
    }
    tx.commit().await?;
    Ok(true)
}
