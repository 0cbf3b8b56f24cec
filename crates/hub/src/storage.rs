//! What a storage failure means for the request that met it.
//!
//! A stored-record constraint that refuses a write (an id or a name used twice, a record that
//! does not exist, a value out of range) is about what the client sent: it becomes a refusal
//! the client can act on (409 or 422, or an entry's rejection on the sync path). A database
//! that is busy, full or gone is unavailable for now (503, try again). Anything else is the
//! hub's own failure (500, logged with its cause).

use crate::dispatch::Refusal;
use sqlx::error::ErrorKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Refused by a constraint: the request's fault, in words for whoever sent it.
    Refused(Refusal),
    /// The database cannot take work now; nothing was changed.
    Unavailable,
    /// A failure of the hub itself.
    Internal,
}

/// Sorts a storage error.
pub fn classify(err: &sqlx::Error) -> Failure {
    match err {
        sqlx::Error::Database(db) => {
            let named = named(db.as_ref());
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    Failure::Refused(Refusal::Conflict(match named.as_str() {
                        "" => "a record with the same identity already exists; nothing was \
                               changed"
                            .to_owned(),
                        named => format!(
                            "another record already has this {named}; choose another (nothing \
                             was changed)"
                        ),
                    }))
                }
                ErrorKind::ForeignKeyViolation => Failure::Refused(Refusal::Invalid(
                    "this refers to a record that does not exist (or no longer does); reload \
                     and try again (nothing was changed)"
                        .to_owned(),
                )),
                ErrorKind::NotNullViolation => Failure::Refused(Refusal::Invalid(format!(
                    "{named} is required (nothing was changed)"
                ))),
                ErrorKind::CheckViolation => Failure::Refused(Refusal::Invalid(format!(
                    "a value is outside what the hub accepts ({named}); nothing was changed"
                ))),
                _ if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                    || db
                        .try_downcast_ref::<crate::db::direct::SqliteFailure>()
                        .is_some() =>
                {
                    match db.code().and_then(|code| code.parse::<i32>().ok()) {
                        Some(code) if sqlite_busy(code) => Failure::Unavailable,
                        _ => Failure::Internal,
                    }
                }
                // PostgreSQL's SQLSTATE classes: 22, a value it cannot take (a NUL character
                // in text, a number out of range); 08 and 53, connection lost or resources
                // exhausted; 57P01-03, the server shutting down or starting; 40, a deadlock
                // or serialization failure between two hubs' transactions (the client's
                // retry goes through).
                _ => match db.code().as_deref().unwrap_or("") {
                    code if code.starts_with("22") => Failure::Refused(Refusal::Invalid(
                        "a value holds something the hub cannot store (such as a NUL \
                         character in text); nothing was changed"
                            .to_owned(),
                    )),
                    code if code.starts_with("08")
                        || code.starts_with("53")
                        || code.starts_with("57P")
                        || code.starts_with("40") =>
                    {
                        Failure::Unavailable
                    }
                    _ => Failure::Internal,
                },
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            Failure::Unavailable
        }
        // A record read as certain to exist is gone (removed between two requests).
        sqlx::Error::RowNotFound => Failure::Refused(Refusal::NotFound(
            "the record this refers to does not exist (any more); reload and try again".to_owned(),
        )),
        _ => Failure::Internal,
    }
}

/// The refusal, when a constraint refused the write.
pub fn refusal(err: &sqlx::Error) -> Option<Refusal> {
    match classify(err) {
        Failure::Refused(refusal) => Some(refusal),
        _ => None,
    }
}

/// SQLite's primary result codes for a database that cannot take work now: busy, locked,
/// out of memory, read-only, I/O error, full, cannot open.
fn sqlite_busy(extended: i32) -> bool {
    matches!(extended & 0xff, 5 | 6 | 7 | 8 | 10 | 13 | 14)
}

/// The fields a refused write names, without their tables and without the agency. SQLite
/// names the columns in its message; PostgreSQL names the column (a missing value) or the
/// constraint, e.g. `units_agency_id_callsign_key` on `units`, which gives "callsign".
fn named(db: &dyn sqlx::error::DatabaseError) -> String {
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        if let Some(column) = pg.column() {
            return column.replace('_', " ");
        }
        let Some(constraint) = pg.constraint() else {
            return String::new();
        };
        let table = pg.table().unwrap_or("");
        let bare = constraint
            .strip_prefix(table)
            .map_or(constraint, |rest| rest.trim_start_matches('_'));
        let bare = ["_key", "_check", "_fkey"]
            .iter()
            .find_map(|suffix| bare.strip_suffix(suffix))
            .unwrap_or(bare);
        return bare
            .strip_prefix("agency_id_")
            .unwrap_or(bare)
            .replace('_', " ");
    }
    fields(db.message())
}

/// The columns a constraint message names, without their tables and without the agency
/// (every record is per agency): "UNIQUE constraint failed: units.agency_id, units.callsign"
/// gives "callsign".
fn fields(message: &str) -> String {
    let Some((_, list)) = message.split_once(": ") else {
        return String::new();
    };
    list.split(',')
        .map(|f| f.trim().rsplit('.').next().unwrap_or("").replace('_', " "))
        .filter(|f| !f.is_empty() && f != "agency id")
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

    /// An agency and a unit, with each kind of constraint a write can break.
    const SCHEMA: &str = "CREATE TABLE agencies (id INTEGER PRIMARY KEY);
        CREATE TABLE units (
            id INTEGER PRIMARY KEY,
            agency_id INTEGER NOT NULL REFERENCES agencies(id),
            callsign TEXT NOT NULL,
            crew INTEGER CONSTRAINT crew_size CHECK (crew BETWEEN 1 AND 8),
            UNIQUE (agency_id, callsign));
        INSERT INTO agencies (id) VALUES (1);
        INSERT INTO units (agency_id, callsign, crew) VALUES (1, 'M1', 2);";

    async fn database() -> SqliteConnection {
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true);
        let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::raw_sql(SCHEMA).execute(&mut conn).await.unwrap();
        conn
    }

    async fn insert(conn: &mut SqliteConnection, sql: &str) -> Failure {
        classify(&sqlx::query(sql).execute(conn).await.unwrap_err())
    }

    #[tokio::test]
    async fn constraints_become_refusals_that_name_the_field() {
        let mut conn = database().await;
        assert_eq!(
            insert(
                &mut conn,
                "INSERT INTO units (agency_id, callsign) VALUES (1, 'M1')"
            )
            .await,
            Failure::Refused(Refusal::Conflict(
                "another record already has this callsign; choose another (nothing was changed)"
                    .into()
            ))
        );
        assert!(matches!(
            insert(&mut conn, "INSERT INTO units (agency_id, callsign) VALUES (9, 'M2')").await,
            Failure::Refused(Refusal::Invalid(m)) if m.contains("does not exist")
        ));
        assert!(matches!(
            insert(&mut conn, "INSERT INTO units (agency_id) VALUES (1)").await,
            Failure::Refused(Refusal::Invalid(m)) if m.starts_with("callsign is required")
        ));
        assert!(matches!(
            insert(&mut conn, "INSERT INTO units (agency_id, callsign, crew) VALUES (1, 'M3',
         40)").await,
            Failure::Refused(Refusal::Invalid(m)) if m.contains("(crew size)")
        ));
    }

    /// The same refusals from SQLite's writer, which runs statements itself.
    #[test]
    fn the_writers_failures_are_sorted_the_same_way() {
        use crate::db::direct;
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let mut insert = |sql: &str, args: &[&dyn direct::ToSql]| {
            classify(&direct::execute(&mut conn, sql, args).unwrap_err())
        };
        let sql = "INSERT INTO units (agency_id, callsign, crew) VALUES ($1, $2, $3)";
        assert_eq!(
            insert(sql, &[&1, &"M1", &2]),
            Failure::Refused(Refusal::Conflict(
                "another record already has this callsign; choose another (nothing was changed)"
                    .into()
            ))
        );
        assert!(matches!(
            insert(sql, &[&9, &"M2", &2]),
            Failure::Refused(Refusal::Invalid(m)) if m.contains("does not exist")
        ));
        assert!(matches!(
            insert(sql, &[&1, &None::<String>, &2]),
            Failure::Refused(Refusal::Invalid(m)) if m.starts_with("callsign is required")
        ));
        assert!(matches!(
            insert(sql, &[&1, &"M3", &40]),
            Failure::Refused(Refusal::Invalid(m)) if m.contains("(crew size)")
        ));
        assert_eq!(
            insert("INSERT INTO nowhere VALUES ($1)", &[&1]),
            Failure::Internal
        );
    }

    #[tokio::test]
    async fn a_closed_or_broken_database_is_not_the_clients_fault() {
        let mut conn = database().await;
        assert_eq!(
            insert(&mut conn, "INSERT INTO nowhere VALUES (1)").await,
            Failure::Internal
        );
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), Failure::Unavailable);
        assert!(matches!(
            classify(&sqlx::Error::RowNotFound),
            Failure::Refused(Refusal::NotFound(_))
        ));
    }
}
