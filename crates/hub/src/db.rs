//! The database: a SQLite file (the default) or PostgreSQL, chosen by `--database`.
//!
//! Every statement the hub runs is written once, in the SQL both databases accept
//! (`$1`-numbered parameters, `TRUE`/`FALSE`, no functions only one of them has), and runs on
//! the connection of whichever database the hub was started on: [`on!`] and the macros built
//! on it ([`execute!`], [`rows!`], [`scalar!`]) type-check each statement's parameters and
//! rows against both drivers. Each database has its own migrations (`migrations/sqlite`,
//! `migrations/postgres`), which build the same tables.
//!
//! On SQLite the writer is not a pool but one connection the hub holds itself ([`direct`]):
//! the statements of a write run in the thread that holds it, with no hand-off to a driver
//! thread for each one.

pub mod direct;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, Postgres};
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection, PgPool, SqlitePool, Transaction};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create its folder: {0}")]
    Folder(#[source] std::io::Error),
    #[error("{0}")]
    Connect(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// Where the hub keeps its records: `--database FILE` or `--database postgres://…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// A `postgres://` or `postgresql://` URL selects PostgreSQL; anything else is a file.
    pub fn parse(text: &str) -> Location {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_owned())
        } else {
            Location::Sqlite(PathBuf::from(text))
        }
    }

    /// The SQLite file, if the records are in one (map packs are kept beside it).
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

/// What to print or log: a PostgreSQL URL without its password.
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => {
                    let user = url[scheme + 3..at].split(':').next().unwrap_or("");
                    write!(f, "{}{user}{}", &url[..scheme + 3], &url[at..])
                }
                _ => write!(f, "{url}"),
            },
        }
    }
}

/// A pool of connections to one database.
#[derive(Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    /// SQLite's one writer.
    SqliteWriter(direct::Writer),
}

impl Pool {
    /// A connection of its own, outside any transaction.
    pub async fn acquire(&self) -> Result<Conn, sqlx::Error> {
        Ok(Conn(match self {
            Pool::Sqlite(pool) => Held::Sqlite(pool.acquire().await?),
            Pool::Postgres(pool) => Held::Postgres(pool.acquire().await?),
            Pool::SqliteWriter(writer) => Held::Direct(writer.hold().await),
        }))
    }

    /// A transaction: rolled back if dropped without [`Conn::commit`].
    pub async fn begin(&self) -> Result<Conn, sqlx::Error> {
        Ok(Conn(match self {
            Pool::Sqlite(pool) => Held::SqliteTx(pool.begin().await?),
            Pool::Postgres(pool) => Held::PostgresTx(pool.begin().await?),
            Pool::SqliteWriter(writer) => Held::DirectTx(writer.begin().await?),
        }))
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
            // Closed when the last handle is dropped.
            Pool::SqliteWriter(_) => {}
        }
    }
}

/// A connection taken from a [`Pool`], alone or inside a transaction.
pub struct Conn(Held);

enum Held {
    Sqlite(PoolConnection<Sqlite>),
    SqliteTx(Transaction<'static, Sqlite>),
    Postgres(PoolConnection<Postgres>),
    PostgresTx(Transaction<'static, Postgres>),
    Direct(direct::Held),
    DirectTx(direct::Tx),
}

/// The driver's own connection, for a statement to run on.
pub enum Backend<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
    /// SQLite's writer, run in this thread.
    Direct(&'a mut rusqlite::Connection),
}

impl Conn {
    pub fn backend(&mut self) -> Backend<'_> {
        match &mut self.0 {
            Held::Sqlite(conn) => Backend::Sqlite(conn),
            Held::SqliteTx(tx) => Backend::Sqlite(tx),
            Held::Postgres(conn) => Backend::Postgres(conn),
            Held::PostgresTx(tx) => Backend::Postgres(tx),
            Held::Direct(conn) => Backend::Direct(conn),
            Held::DirectTx(tx) => Backend::Direct(tx.conn()),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.0, Held::Postgres(_) | Held::PostgresTx(_))
    }

    /// Commits the transaction (a connection outside one has nothing to commit).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.0 {
            Held::SqliteTx(tx) => tx.commit().await,
            Held::PostgresTx(tx) => tx.commit().await,
            Held::DirectTx(tx) => tx.commit(),
            Held::Sqlite(_) | Held::Postgres(_) | Held::Direct(_) => Ok(()),
        }
    }

    /// Marks a point inside the transaction that [`Conn::roll_back_to`] returns to.
    pub async fn savepoint(&mut self, name: &str) -> Result<(), sqlx::Error> {
        execute!(self, &format!("SAVEPOINT {name}")).map(drop)
    }

    /// Keeps what was done since the savepoint (as part of the transaction).
    pub async fn release(&mut self, name: &str) -> Result<(), sqlx::Error> {
        execute!(self, &format!("RELEASE SAVEPOINT {name}")).map(drop)
    }

    /// Undoes what was done since the savepoint; the transaction goes on.
    pub async fn roll_back_to(&mut self, name: &str) -> Result<(), sqlx::Error> {
        execute!(self, &format!("ROLLBACK TO SAVEPOINT {name}")).map(drop)
    }

    /// Checks that the database answers.
    pub async fn ping(&mut self) -> Result<(), sqlx::Error> {
        match self.backend() {
            Backend::Sqlite(conn) => conn.ping().await,
            Backend::Postgres(conn) => conn.ping().await,
            Backend::Direct(conn) => direct::execute(conn, "SELECT 1", &[]).map(drop),
        }
    }
}

/// Runs `$body` with `$c` bound to the driver's connection behind `$conn` (a [`Conn`]),
/// once for each of the pools' databases (the body is type-checked against both drivers),
/// or `$direct` with `$d` bound to SQLite's writer.
macro_rules! on {
    ($conn:expr, $c:ident => $body:expr, $d:ident => $direct:expr) => {
        match $conn.backend() {
            $crate::db::Backend::Sqlite($c) => $body,
            $crate::db::Backend::Postgres($c) => $body,
            $crate::db::Backend::Direct($d) => $direct,
        }
    };
}

/// Runs a statement with its parameters: the number of rows it changed.
macro_rules! execute {
    ($conn:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::db::on!($conn,
            c => ::sqlx::query($sql)
                $(.bind(&$arg))*
                .execute(&mut *c)
                .await
                .map(|done| done.rows_affected()),
            d => $crate::db::direct::execute(d, $sql,
                &[$(&$arg as &dyn $crate::db::direct::ToSql),*]))
    };
}

/// Runs a query and reads its rows as `$row` (`fetch_one`, `fetch_optional` or `fetch_all`).
macro_rules! rows {
    ($conn:expr, $fetch:ident, $row:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::db::on!($conn,
            c => ::sqlx::query_as::<_, $row>($sql)
                $(.bind(&$arg))*
                .$fetch(&mut *c)
                .await,
            d => $crate::db::direct::$fetch::<$row>(d, $sql,
                &[$(&$arg as &dyn $crate::db::direct::ToSql),*]))
    };
}

/// Runs a query and reads the first column of its rows as `$ty`.
macro_rules! scalar {
    ($conn:expr, $fetch:ident, $ty:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::db::on!($conn,
            c => ::sqlx::query_scalar::<_, $ty>($sql)
                $(.bind(&$arg))*
                .$fetch(&mut *c)
                .await,
            d => $crate::db::direct::scalar::$fetch::<$ty>(d, $sql,
                &[$(&$arg as &dyn $crate::db::direct::ToSql),*]))
    };
}

pub(crate) use {execute, on, rows, scalar};

/// Two pools on one database. SQLite takes one writer at a time; giving writes their own
/// single connection queues them in the hub instead of failing them with SQLITE_BUSY, while
/// reads run beside them (WAL). On PostgreSQL the writer is one connection too, so a hub's
/// writes keep the same order; several hubs are kept apart by row locks.
#[derive(Clone)]
pub struct Db {
    pub reader: Pool,
    pub writer: Pool,
}

impl Db {
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.writer, Pool::Postgres(_))
    }
}

pub async fn open(location: &Location) -> Result<Db, OpenError> {
    match location {
        Location::Sqlite(path) => open_sqlite(path).await,
        Location::Postgres(url) => open_postgres(url).await,
    }
}

async fn open_sqlite(path: &Path) -> Result<Db, OpenError> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(OpenError::Folder)?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL with NORMAL is durable across application crashes; only a power loss can
        // roll back the last transactions, never corrupt the file.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let migrating = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .map_err(OpenError::Connect)?;
    sqlx::migrate!("./migrations/sqlite")
        .run(&migrating)
        .await
        .map_err(OpenError::Migrate)?;
    migrating.close().await;
    let writer = direct::Writer::open(path).map_err(OpenError::Connect)?;
    let reader = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(OpenError::Connect)?;
    Ok(Db {
        reader: Pool::Sqlite(reader),
        writer: Pool::SqliteWriter(writer),
    })
}

async fn open_postgres(url: &str) -> Result<Db, OpenError> {
    let options = PgConnectOptions::from_str(url).map_err(OpenError::Connect)?;
    let writer = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.clone())
        .await
        .map_err(OpenError::Connect)?;
    sqlx::migrate!("./migrations/postgres")
        .run(&writer)
        .await
        .map_err(OpenError::Migrate)?;
    // One more than SQLite's readers: `fanout.rs` keeps one to listen on.
    let reader = PgPoolOptions::new()
        .max_connections(9)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(OpenError::Connect)?;
    Ok(Db {
        reader: Pool::Postgres(reader),
        writer: Pool::Postgres(writer),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_selects_postgres_and_anything_else_is_a_file() {
        assert_eq!(
            Location::parse("data/tenfour.db"),
            Location::Sqlite("data/tenfour.db".into())
        );
        let pg = Location::parse("postgres://hub:secret@127.0.0.1:5432/tenfour");
        assert!(pg.file().is_none());
        assert_eq!(pg.to_string(), "postgres://hub@127.0.0.1:5432/tenfour");
        assert_eq!(
            Location::parse("postgresql://127.0.0.1/t").to_string(),
            "postgresql://127.0.0.1/t"
        );
    }
}
