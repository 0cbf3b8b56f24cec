//! The audit log: every administrative change, every sign-in and failed sign-in, who, when,
//! what and from which address. Rows are only added (triggers refuse updates and deletes).

use crate::actor::Actor;
use crate::clock::now_ms;
use crate::db;
use tenfour_protocol::admin::AuditEntry;

/// Who a line names: an actor and where they acted from, or someone not signed in.
#[derive(Debug, Clone)]
pub struct Author {
    pub agency_id: i64,
    /// `None` for someone not signed in (a failed sign-in).
    pub user_id: Option<i64>,
    /// The display name, or for a failed sign-in the username that was tried.
    pub name: String,
    /// The client's address as the hub saw it (or as a trusted proxy reported it).
    pub address: Option<String>,
}

impl Author {
    pub fn of(actor: &Actor, address: Option<String>) -> Author {
        Author {
            agency_id: actor.agency_id,
            user_id: Some(actor.user_id),
            name: actor.display_name.clone(),
            address,
        }
    }
}

pub async fn record(
    conn: &mut db::Conn,
    author: &Author,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    db::execute!(
        conn,
        "INSERT INTO audit_log (agency_id, at, actor_id, actor, action, target, detail, address)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        author.agency_id,
        now,
        author.user_id,
        author.name,
        action,
        target,
        detail,
        author.address
    )?;
    Ok(())
}

/// Which lines to read, newest first.
#[derive(Debug, Default)]
pub struct Filter {
    /// Exact action name, e.g. `sign_in_failed`.
    pub action: Option<String>,
    /// Part of the actor's name or of the target, any case.
    pub text: Option<String>,
    /// Only lines older than this id (the next page).
    pub before: Option<i64>,
    pub limit: u32,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct Row {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
    address: Option<String>,
}

pub async fn list(
    conn: &mut db::Conn,
    agency_id: i64,
    filter: &Filter,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let text = filter
        .text
        .as_ref()
        .map(|t| format!("%{}%", t.to_lowercase()));
    let limit = i64::from(filter.limit);
    let rows: Vec<Row> = db::rows!(
        conn,
        fetch_all,
        Row,
        "SELECT id, at, actor, action, target, detail, address FROM audit_log
         WHERE agency_id = $1
           AND ($2 IS NULL OR action = $3)
           AND ($4 IS NULL OR lower(actor) LIKE $5 OR lower(target) LIKE $6)
           AND ($7 IS NULL OR id < $8)
         ORDER BY id DESC LIMIT $9",
        agency_id,
        filter.action,
        filter.action,
        text,
        text,
        text,
        filter.before,
        filter.before,
        limit
    )?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            detail: r.detail,
            address: r.address,
        })
        .collect())
}
