//! The SQLite database: opened in WAL mode with foreign keys on, migrated at start.

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
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

/// Two pools on one file. SQLite takes one writer at a time; giving writes their own
/// single connection queues them in the hub instead of failing them with SQLITE_BUSY, while
/// reads run beside them (WAL).
#[derive(Clone)]
pub struct Db {
    pub reader: SqlitePool,
    pub writer: SqlitePool,
}

impl Db {
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

pub async fn open(path: &Path) -> Result<Db, OpenError> {
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
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .map_err(OpenError::Connect)?;
    sqlx::migrate!("./migrations")
        .run(&writer)
        .await
        .map_err(OpenError::Migrate)?;
    let reader = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(OpenError::Connect)?;
    Ok(Db { reader, writer })
}
