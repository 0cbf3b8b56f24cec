//! `tenfour-hub migrate --from FILE --to postgres://…`: moves a hub's records from its SQLite
//! file into an empty PostgreSQL database, for an agency that outgrows one machine.
//!
//! Both databases are brought to the current schema first (each by its own migrations). The
//! copy is one PostgreSQL transaction: every table in the order its references need, then the
//! id counters set past the copied ids, then each table's rows counted on both sides. Any
//! difference, or a target that already holds records, and nothing is written. The hub
//! should be stopped while it runs (devices keep their actions queued meanwhile).

use crate::db::{self, Location};
use sqlx::postgres::{PgPool, Postgres};
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Row};
use std::path::PathBuf;
use tokio_stream::StreamExt;

/// Every table, parents before the tables that refer to them.
const TABLES: [&str; 19] = [
    "agencies",
    "users",
    "incidents",
    "units",
    "sessions",
    "notes",
    "assignments",
    "status_events",
    "devices",
    "processed_entries",
    "changes",
    "natures",
    "audit_log",
    "emergencies",
    "check_in_rules",
    "positions",
    "vapid_keys",
    "push_subscriptions",
    "push_attempts",
];

/// Rows per insert: PostgreSQL takes at most 65,535 parameters in one statement.
const BATCH: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{0}")]
    Usage(String),
    #[error("there is no SQLite database at {0}")]
    NoSource(String),
    #[error("cannot open {what}: {source}")]
    Open { what: String, source: db::OpenError },
    #[error(
        "{url} already holds records ({table}: {rows} rows); migrate only into an empty \
         database (nothing was written)"
    )]
    NotEmpty {
        url: String,
        table: &'static str,
        rows: i64,
    },
    #[error("{table}: {from} rows in the SQLite file but {to} copied; nothing was written")]
    Counts {
        table: &'static str,
        from: i64,
        to: i64,
    },
    #[error("copying {table} failed: {source}; nothing was written")]
    Copy {
        table: &'static str,
        source: sqlx::Error,
    },
}

pub const USAGE: &str =
    "usage: tenfour-hub migrate --from FILE --to postgres://USER:PASSWORD@HOST:PORT/DATABASE
  copies every record of the SQLite database FILE into the empty PostgreSQL database, checks
  the counts, and writes nothing if the target is not empty or a count differs";

/// The command line after `migrate`: the SQLite file and the PostgreSQL URL.
pub fn parse_args(args: &[String]) -> Result<(PathBuf, String), MigrateError> {
    let (mut from, mut to) = (None, None);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest
            .next()
            .ok_or_else(|| MigrateError::Usage(format!("{flag} needs a value")))?;
        match flag.as_str() {
            "--from" => from = Some(PathBuf::from(value)),
            "--to" => to = Some(value.clone()),
            other => return Err(MigrateError::Usage(format!("unknown argument {other:?}"))),
        }
    }
    match (from, to) {
        (Some(from), Some(to)) if matches!(Location::parse(&to), Location::Postgres(_)) => {
            Ok((from, to))
        }
        (Some(_), Some(to)) => Err(MigrateError::Usage(format!(
            "--to {to:?} is not a PostgreSQL URL (postgres://…)"
        ))),
        _ => Err(MigrateError::Usage("give both --from and --to".into())),
    }
}

/// Copies everything; the rows copied per table.
pub async fn run(from: PathBuf, to: String) -> Result<Vec<(&'static str, i64)>, MigrateError> {
    if !from.is_file() {
        return Err(MigrateError::NoSource(from.display().to_string()));
    }
    let source_location = Location::Sqlite(from);
    let target_location = Location::Postgres(to);
    let source = db::open(&source_location)
        .await
        .map_err(|source| MigrateError::Open {
            what: source_location.to_string(),
            source,
        })?;
    let target = db::open(&target_location)
        .await
        .map_err(|source| MigrateError::Open {
            what: target_location.to_string(),
            source,
        })?;
    let (db::Pool::Sqlite(source_pool), db::Pool::Postgres(target_pool)) =
        (&source.reader, &target.writer)
    else {
        unreachable!("the locations name one SQLite file and one PostgreSQL database");
    };
    let copied = copy(source_pool, target_pool, &target_location.to_string()).await;
    source.close().await;
    target.close().await;
    copied
}

async fn copy(
    source: &SqlitePool,
    target: &PgPool,
    url: &str,
) -> Result<Vec<(&'static str, i64)>, MigrateError> {
    let failed = |table| move |source| MigrateError::Copy { table, source };
    let mut tx = target.begin().await.map_err(failed("the target"))?;
    for table in TABLES {
        let rows = count(&mut tx, table).await.map_err(failed(table))?;
        if rows > 0 {
            return Err(MigrateError::NotEmpty {
                url: url.to_owned(),
                table,
                rows,
            });
        }
    }
    let mut report = Vec::new();
    for table in TABLES {
        let columns = columns(&mut tx, table).await.map_err(failed(table))?;
        copy_table(source, &mut tx, table, &columns)
            .await
            .map_err(failed(table))?;
        if columns.iter().any(|(name, _)| name == "id") {
            // The next id PostgreSQL gives is past every copied one.
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                               COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
            ))
            .execute(&mut *tx)
            .await
            .map_err(failed(table))?;
        }
        let from: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(source)
            .await
            .map_err(failed(table))?;
        let to = count(&mut tx, table).await.map_err(failed(table))?;
        if from != to {
            return Err(MigrateError::Counts { table, from, to });
        }
        report.push((table, to));
    }
    tx.commit().await.map_err(failed("the target"))?;
    Ok(report)
}

async fn count(conn: &mut sqlx::PgConnection, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(conn)
        .await
}

/// The table's columns on PostgreSQL and their types, in order; natures' `rowid` is left
/// out (PostgreSQL numbers it as the rows arrive, in SQLite's order).
async fn columns(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    table: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name, data_type FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await?;
    Ok(columns
        .into_iter()
        .filter(|(name, _)| !(table == "natures" && name == "rowid"))
        .collect())
}

/// One value, read from SQLite as the PostgreSQL column's type wants it.
enum Value {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Flag(Option<bool>),
}

fn read(row: &sqlx::sqlite::SqliteRow, column: &str, kind: &str) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        "bigint" | "integer" | "smallint" => Value::Int(row.try_get(column)?),
        "double precision" | "real" => Value::Real(row.try_get(column)?),
        "bytea" => Value::Bytes(row.try_get(column)?),
        "boolean" => Value::Flag(row.try_get(column)?),
        _ => Value::Text(row.try_get(column)?),
    })
}

async fn copy_table(
    source: &SqlitePool,
    tx: &mut sqlx::Transaction<'_, Postgres>,
    table: &str,
    columns: &[(String, String)],
) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
    let select = format!("SELECT {} FROM {table} ORDER BY rowid", names.join(", "));
    let mut rows = sqlx::query(&select).fetch(source);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(BATCH);
    while let Some(row) = rows.next().await {
        let row = row?;
        debug_assert_eq!(row.columns().len(), columns.len());
        batch.push(
            columns
                .iter()
                .map(|(name, kind)| read(&row, name, kind))
                .collect::<Result<_, _>>()?,
        );
        if batch.len() == BATCH {
            insert(tx, table, &names, std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        insert(tx, table, &names, batch).await?;
    }
    Ok(())
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    table: &str,
    names: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), sqlx::Error> {
    let mut insert =
        QueryBuilder::<Postgres>::new(format!("INSERT INTO {table} ({}) ", names.join(", ")));
    insert.push_values(rows, |mut row, values| {
        for value in values {
            match value {
                Value::Int(v) => row.push_bind(v),
                Value::Real(v) => row.push_bind(v),
                Value::Text(v) => row.push_bind(v),
                Value::Bytes(v) => row.push_bind(v),
                Value::Flag(v) => row.push_bind(v),
            };
        }
    });
    insert.build().execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_command_line_names_a_file_and_a_postgres_url() {
        assert_eq!(
            parse_args(&args("--from data/tenfour.db --to postgres://h/t")).unwrap(),
            (
                PathBuf::from("data/tenfour.db"),
                "postgres://h/t".to_owned()
            )
        );
        for bad in [
            "--from a.db",
            "--to postgres://h/t",
            "--from a.db --to b.db",
            "--from a.db --to",
            "--from a.db --to postgres://h/t --force yes",
        ] {
            assert!(parse_args(&args(bad)).is_err(), "{bad}");
        }
    }
}
