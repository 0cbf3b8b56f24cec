//! The SQLite writer: one connection the hub holds itself and runs statements on in the
//! thread of whoever holds it.
//!
//! The driver behind the pools (`sqlx`) gives each SQLite connection a thread of its own and
//! hands every statement to it and the answer back: two thread switches a statement, which
//! on these machines cost more than the statement (a status press is about ten statements).
//! Writes queue for SQLite's one writer anyway, so the writer is a connection behind an
//! async lock: whoever holds it runs its statements at once, prepared once and kept
//! (`prepare_cached`). Reads stay on the pools, beside it (WAL).
//!
//! Statements are the same text as on the pools: `$N` parameters (bound by number, as the
//! pools' driver does) and rows read by column name into the same row types (via `serde`).

use rusqlite::types::ValueRef;
use serde::de::value::{Error as DecodeError, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use rusqlite::ToSql;

/// Distinct statements kept prepared (the hub has about a hundred and fifty).
const PREPARED: usize = 512;

/// The writer connection, shared by every handle (cloning shares it).
#[derive(Clone)]
pub struct Writer(Arc<Mutex<rusqlite::Connection>>);

impl Writer {
    /// Opens the file (already created and migrated) for writing.
    pub fn open(path: &Path) -> Result<Writer, sqlx::Error> {
        let conn = rusqlite::Connection::open(path).map_err(error)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(error)?;
        // WAL with NORMAL is durable across application crashes; only a power loss can
        // roll back the last transactions, never corrupt the file.
        // A page cache that holds the hot tables and indexes (32 MB). The writer never
        // checkpoints: a checkpoint copies the log into the file and waits for the disk
        // twice, and on the writer that wait lands on whichever commit crossed the mark
        // (the field-to-board p99). A thread of its own does it instead (`checkpoints`).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 0;
             PRAGMA journal_size_limit = 67108864;",
        )
        .map_err(error)?;
        conn.set_prepared_statement_cache_capacity(PREPARED);
        let writer = Arc::new(Mutex::new(conn));
        let checkpointer = rusqlite::Connection::open(path).map_err(error)?;
        checkpointer
            .busy_timeout(Duration::from_secs(5))
            .map_err(error)?;
        let watched = Arc::downgrade(&writer);
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || checkpoints(checkpointer, watched))
            .map_err(sqlx::Error::Io)?;
        Ok(Writer(writer))
    }

    /// The connection, once every earlier holder has let it go.
    pub async fn hold(&self) -> Held {
        self.0.clone().lock_owned().await
    }

    /// The connection inside a transaction, rolled back if dropped before [`Tx::commit`].
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let conn = self.hold().await;
        // IMMEDIATE: this is the only writer, so it never waits on another to upgrade.
        conn.execute_batch("BEGIN IMMEDIATE").map_err(error)?;
        Ok(Tx(Some(conn)))
    }
}

pub type Held = OwnedMutexGuard<rusqlite::Connection>;

/// How often the log is copied into the file while the hub writes.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Log pages past which a checkpoint that could not catch up holds the writer until it has.
const CATCH_UP_PAGES: i64 = 8000;

/// Copies the write-ahead log into the database file beside the writer, for as long as the
/// writer lives. PASSIVE never waits on the writer or a reader: it copies what no reader
/// still needs, and the writer starts the log over once all of it is copied. Only here
/// does SQLite wait for the disk on a checkpoint, so commits do not.
///
/// Under writes that never pause, each pass ends a little behind the writer and the log
/// would never start over; once it is long, one pass holds the writer while it copies the
/// last pages (the earlier passes already copied the rest).
fn checkpoints(conn: rusqlite::Connection, writer: std::sync::Weak<Mutex<rusqlite::Connection>>) {
    let pass = || {
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
        })
    };
    loop {
        std::thread::sleep(CHECKPOINT_EVERY);
        let Some(writer) = writer.upgrade() else {
            return;
        };
        let outcome =
            pass().and_then(
                |(log, copied)| match log >= CATCH_UP_PAGES && copied < log {
                    true => {
                        let _held = writer.blocking_lock();
                        pass().map(|_| ())
                    }
                    false => Ok(()),
                },
            );
        if let Err(err) = outcome {
            tracing::warn!(error = %err, "could not checkpoint the write-ahead log");
        }
    }
}

/// The writer inside a transaction.
pub struct Tx(Option<Held>);

impl Tx {
    pub fn conn(&mut self) -> &mut rusqlite::Connection {
        self.0
            .as_mut()
            .expect("a transaction holds its connection until it ends")
    }

    pub fn commit(mut self) -> Result<(), sqlx::Error> {
        self.conn().execute_batch("COMMIT").map_err(error)?;
        self.0 = None;
        Ok(())
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let Some(conn) = &self.0
            && !conn.is_autocommit()
            && let Err(err) = conn.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %err, "could not roll back a write transaction");
        }
    }
}

/// Runs a statement: the number of rows it changed (rows it returns are read and dropped).
pub fn execute(
    conn: &mut rusqlite::Connection,
    sql: &str,
    args: &[&dyn ToSql],
) -> Result<u64, sqlx::Error> {
    run(conn, sql, args, |_| Ok(()))?;
    Ok(conn.changes())
}

/// The first row, which must exist.
pub fn fetch_one<T: DeserializeOwned>(
    conn: &mut rusqlite::Connection,
    sql: &str,
    args: &[&dyn ToSql],
) -> Result<T, sqlx::Error> {
    fetch_optional(conn, sql, args)?.ok_or(sqlx::Error::RowNotFound)
}

/// The first row, if any.
pub fn fetch_optional<T: DeserializeOwned>(
    conn: &mut rusqlite::Connection,
    sql: &str,
    args: &[&dyn ToSql],
) -> Result<Option<T>, sqlx::Error> {
    let mut first = None;
    run(conn, sql, args, |row| {
        if first.is_none() {
            first = Some(T::deserialize(RowReader(row))?);
        }
        Ok(())
    })?;
    Ok(first)
}

/// Every row.
pub fn fetch_all<T: DeserializeOwned>(
    conn: &mut rusqlite::Connection,
    sql: &str,
    args: &[&dyn ToSql],
) -> Result<Vec<T>, sqlx::Error> {
    let mut rows = Vec::new();
    run(conn, sql, args, |row| {
        rows.push(T::deserialize(RowReader(row))?);
        Ok(())
    })?;
    Ok(rows)
}

/// The same, reading the first column of each row.
pub mod scalar {
    use super::{ToSql, fetch_all as all};
    use serde::de::{DeserializeOwned, Deserializer};

    /// The first column, read as `T`.
    struct First<T>(T);

    impl<'de, T: DeserializeOwned> serde::Deserialize<'de> for First<T> {
        fn deserialize<D: Deserializer<'de>>(row: D) -> Result<Self, D::Error> {
            // A row reader asked for a tuple of one gives its first column.
            row.deserialize_tuple(1, FirstVisitor(std::marker::PhantomData))
                .map(First)
        }
    }

    struct FirstVisitor<T>(std::marker::PhantomData<T>);

    impl<'de, T: DeserializeOwned> serde::de::Visitor<'de> for FirstVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a row with a column")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
            seq.next_element()?
                .ok_or_else(|| serde::de::Error::invalid_length(0, &self))
        }
    }

    pub fn fetch_one<T: DeserializeOwned>(
        conn: &mut rusqlite::Connection,
        sql: &str,
        args: &[&dyn ToSql],
    ) -> Result<T, sqlx::Error> {
        super::fetch_one::<First<T>>(conn, sql, args).map(|first| first.0)
    }

    pub fn fetch_optional<T: DeserializeOwned>(
        conn: &mut rusqlite::Connection,
        sql: &str,
        args: &[&dyn ToSql],
    ) -> Result<Option<T>, sqlx::Error> {
        super::fetch_optional::<First<T>>(conn, sql, args).map(|first| first.map(|f| f.0))
    }

    pub fn fetch_all<T: DeserializeOwned>(
        conn: &mut rusqlite::Connection,
        sql: &str,
        args: &[&dyn ToSql],
    ) -> Result<Vec<T>, sqlx::Error> {
        all::<First<T>>(conn, sql, args).map(|rows| rows.into_iter().map(|f| f.0).collect())
    }
}

/// Prepares (once) and runs a statement, handing each row it returns to `each`.
fn run(
    conn: &mut rusqlite::Connection,
    sql: &str,
    args: &[&dyn ToSql],
    mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), DecodeError>,
) -> Result<(), sqlx::Error> {
    let mut statement = conn.prepare_cached(sql).map_err(error)?;
    let mut unnumbered = 0;
    for index in 1..=statement.parameter_count() {
        // `$N` and `?N` name argument N; a bare `?` takes the next one.
        let number = match statement.parameter_name(index) {
            Some(name) => name[1..].parse::<usize>().map_err(|_| {
                sqlx::Error::Protocol(format!("parameter {name} is not of the form $N"))
            })?,
            None => {
                unnumbered += 1;
                unnumbered
            }
        };
        let arg = args.get(number - 1).ok_or_else(|| {
            sqlx::Error::Protocol(format!(
                "the statement names parameter {number} but has {} arguments",
                args.len()
            ))
        })?;
        statement.raw_bind_parameter(index, arg).map_err(error)?;
    }
    let mut rows = statement.raw_query();
    while let Some(row) = rows.next().map_err(error)? {
        each(row).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    }
    Ok(())
}

/// A SQLite failure, as the pools' driver reports one: its extended code and message, so
/// that `storage::classify` sorts the writer's failures as it sorts the readers'.
#[derive(Debug)]
pub struct SqliteFailure {
    code: i32,
    message: String,
}

impl SqliteFailure {
    /// SQLite's extended result code.
    pub fn code(&self) -> i32 {
        self.code
    }
}

impl std::fmt::Display for SqliteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (SQLite code {})", self.message, self.code)
    }
}

impl std::error::Error for SqliteFailure {}

impl sqlx::error::DatabaseError for SqliteFailure {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        use sqlx::error::ErrorKind;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

fn error(err: rusqlite::Error) -> sqlx::Error {
    match err {
        rusqlite::Error::SqliteFailure(failure, message) => {
            sqlx::Error::Database(Box::new(SqliteFailure {
                code: failure.extended_code,
                message: message.unwrap_or_else(|| failure.to_string()),
            }))
        }
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// A row read by column name (into a struct) or in order (into a tuple).
struct RowReader<'a, 'r>(&'a rusqlite::Row<'r>);

impl<'a, 'r> RowReader<'a, 'r> {
    fn columns(&self) -> usize {
        self.0.as_ref().column_count()
    }

    fn value(&self, index: usize) -> Result<ValueReader<'a>, DecodeError> {
        self.0
            .get_ref(index)
            .map(ValueReader)
            .map_err(|e| de::Error::custom(e.to_string()))
    }
}

impl<'de> de::Deserializer<'de> for RowReader<'_, '_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_map(Columns { row: self, next: 0 })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_seq(Columns { row: self, next: 0 })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct tuple_struct enum identifier ignored_any
    }
}

/// A row's columns, as map entries (name, value) or as a sequence of values.
struct Columns<'a, 'r> {
    row: RowReader<'a, 'r>,
    next: usize,
}

impl<'de> de::MapAccess<'de> for Columns<'_, '_> {
    type Error = DecodeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        if self.next >= self.row.columns() {
            return Ok(None);
        }
        let name = self
            .row
            .0
            .as_ref()
            .column_name(self.next)
            .map_err(|e| de::Error::custom(e.to_string()))?;
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let value = self.row.value(self.next)?;
        self.next += 1;
        seed.deserialize(value)
    }
}

impl<'de> de::SeqAccess<'de> for Columns<'_, '_> {
    type Error = DecodeError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        if self.next >= self.row.columns() {
            return Ok(None);
        }
        let value = self.row.value(self.next)?;
        self.next += 1;
        seed.deserialize(value).map(Some)
    }
}

/// One column's value. SQLite has no booleans (an integer is read as one) and keeps blobs as
/// bytes (read as a `Vec<u8>`'s sequence).
struct ValueReader<'a>(ValueRef<'a>);

impl<'de> de::Deserializer<'de> for ValueReader<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            ValueRef::Null => visitor.visit_unit(),
            ValueRef::Integer(i) => visitor.visit_i64(i),
            ValueRef::Real(f) => visitor.visit_f64(f),
            ValueRef::Text(text) => match std::str::from_utf8(text) {
                Ok(text) => visitor.visit_str(text),
                Err(_) => Err(de::Error::custom("a text column is not UTF-8")),
            },
            ValueRef::Blob(bytes) => visitor.visit_bytes(bytes),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            ValueRef::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            ValueRef::Integer(i) => visitor.visit_bool(i != 0),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            ValueRef::Blob(bytes) => visitor.visit_seq(SeqDeserializer::<_, DecodeError>::new(
                bytes.iter().copied(),
            )),
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// Reads SQLite's integer 0/1 as a boolean wherever `serde` reads a value through its own
/// buffer (a `#[serde(flatten)]`ed row), which sees only the integer.
pub fn flag<'de, D: de::Deserializer<'de>>(value: D) -> Result<bool, D::Error> {
    struct Flag;

    impl Visitor<'_> for Flag {
        type Value = bool;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a boolean or 0/1")
        }

        fn visit_bool<E: de::Error>(self, value: bool) -> Result<bool, E> {
            Ok(value)
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<bool, E> {
            Ok(value != 0)
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<bool, E> {
            Ok(value != 0)
        }
    }

    value.deserialize_any(Flag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Unit {
        id: i64,
        callsign: String,
        #[serde(deserialize_with = "flag")]
        retired: bool,
        latitude: Option<f64>,
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct WithDevice {
        #[serde(flatten)]
        unit: Unit,
        last_seq: Option<i64>,
        id_used: bool,
    }

    fn database() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE units (id INTEGER PRIMARY KEY, callsign TEXT NOT NULL,
                 retired BOOLEAN NOT NULL, latitude REAL, token BLOB);",
        )
        .unwrap();
        conn
    }

    #[test]
    fn parameters_are_bound_by_number_and_rows_read_by_name() {
        let mut conn = database();
        // `$2` comes first in the text: it is still the second argument.
        let sql = "INSERT INTO units (callsign, id, retired, latitude, token)
                   VALUES ($2, $1, $3, $4, $5)";
        let token: Vec<u8> = vec![0, 1, 255];
        let changed = execute(&mut conn, sql, &[&7, &"M14", &true, &43.77, &token]).unwrap();
        assert_eq!(changed, 1);
        execute(
            &mut conn,
            sql,
            &[&8, &"E3", &false, &None::<f64>, &None::<Vec<u8>>],
        )
        .unwrap();

        let units: Vec<Unit> = fetch_all(
            &mut conn,
            "SELECT id, callsign, retired, latitude FROM units ORDER BY id",
            &[],
        )
        .unwrap();
        assert_eq!(
            units,
            [
                Unit {
                    id: 7,
                    callsign: "M14".into(),
                    retired: true,
                    latitude: Some(43.77)
                },
                Unit {
                    id: 8,
                    callsign: "E3".into(),
                    retired: false,
                    latitude: None
                },
            ]
        );
        let with: WithDevice = fetch_one(
            &mut conn,
            "SELECT id, callsign, retired, latitude, NULL AS last_seq,
                EXISTS (SELECT 1 FROM units WHERE id = $1) AS id_used
             FROM units WHERE id = $1",
            &[&7],
        )
        .unwrap();
        assert_eq!(with.unit.callsign, "M14");
        assert!(with.unit.retired && with.id_used);
        assert_eq!(with.last_seq, None);

        let stored: Vec<u8> =
            scalar::fetch_one(&mut conn, "SELECT token FROM units WHERE id = $1", &[&7]).unwrap();
        assert_eq!(stored, token);
        let pair: (String, bool) = fetch_one(
            &mut conn,
            "SELECT callsign, retired FROM units WHERE id = 8",
            &[],
        )
        .unwrap();
        assert_eq!(pair, ("E3".to_owned(), false));
        let none: Option<i64> =
            scalar::fetch_optional(&mut conn, "SELECT id FROM units WHERE id = 99", &[]).unwrap();
        assert_eq!(none, None);
        assert!(matches!(
            fetch_one::<Unit>(&mut conn, "SELECT * FROM units WHERE id = 99", &[]),
            Err(sqlx::Error::RowNotFound)
        ));
    }

    #[tokio::test]
    async fn a_transaction_dropped_before_commit_leaves_nothing() {
        let folder = std::env::temp_dir().join(format!("tenfour-direct-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("writer.db");
        let _ = std::fs::remove_file(&path);
        let writer = Writer::open(&path).unwrap();
        let mut conn = writer.hold().await;
        execute(&mut conn, "CREATE TABLE notes (text TEXT)", &[]).unwrap();
        drop(conn);

        let mut tx = writer.begin().await.unwrap();
        execute(tx.conn(), "INSERT INTO notes VALUES ($1)", &[&"lost"]).unwrap();
        drop(tx);
        let mut tx = writer.begin().await.unwrap();
        execute(tx.conn(), "INSERT INTO notes VALUES ($1)", &[&"kept"]).unwrap();
        tx.commit().unwrap();

        let mut conn = writer.hold().await;
        let texts: Vec<String> =
            scalar::fetch_all(&mut conn, "SELECT text FROM notes", &[]).unwrap();
        assert_eq!(texts, ["kept"]);
        drop(conn);
        let _ = std::fs::remove_dir_all(&folder);
    }
    #[tokio::test]
    async fn committed_pages_reach_the_database_file_without_the_writer_copying_them() {
        let folder = std::env::temp_dir().join(format!("tenfour-wal-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("writer.db");
        let writer = Writer::open(&path).unwrap();
        let mut tx = writer.begin().await.unwrap();
        execute(tx.conn(), "CREATE TABLE notes (text BLOB)", &[]).unwrap();
        let page = vec![7u8; 4000];
        for _ in 0..1000 {
            execute(tx.conn(), "INSERT INTO notes VALUES ($1)", &[&page]).unwrap();
        }
        tx.commit().unwrap();
        // The writer never checkpoints, so only the checkpoint thread can grow the file.
        let size = || std::fs::metadata(&path).map_or(0, |m| m.len());
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while size() < 4_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the log was not copied into the file: {} bytes",
                size()
            );
            tokio::time::sleep(CHECKPOINT_EVERY).await;
        }
        drop(writer);
        let _ = std::fs::remove_dir_all(&folder);
    }
}
