//! The hub's SQL, checked at compile time.
//!
//! The hub writes its statements with sqlx's `query!` macros. A normal build reads what each
//! statement returns from the query data committed in `crates/hub/.sqlx` (`SQLX_OFFLINE=true`
//! in `.cargo/config.toml`), so it needs no database. `cargo xtask sql` rebuilds that data:
//! it applies the migrations to an empty SQLite file and compiles the hub against it, which
//! checks every statement (tables, columns, types, the number of arguments) against the real
//! schema. `cargo xtask sql --check` does the same into a scratch folder and fails when the
//! committed data differs — the equivalent of `cargo sqlx prepare --check`, run by the lint
//! layer of `cargo xtask test`.

use crate::sh::{self, Tools};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const QUERY_DATA: &str = "crates/hub/.sqlx";

/// Rebuilds the committed query data (`write`), or checks it is current.
pub fn prepare(root: &Path, tools: &Tools, write: bool) -> Result<(), String> {
    let scratch = sh::Scratch::new("sql")?;
    let schema = scratch.path().join("schema.db");
    apply_migrations(root, &schema)?;
    let out = scratch.path().join("query-data");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    // The macros run again only if the crate is compiled again.
    let lib = root.join("crates/hub/src/lib.rs");
    let text = std::fs::read(&lib).map_err(|e| format!("{}: {e}", lib.display()))?;
    std::fs::write(&lib, text).map_err(|e| format!("{}: {e}", lib.display()))?;
    sh::run(
        sh::cargo(root, tools)
            .args(["check", "--package", "tenfour-hub", "--lib", "--quiet"])
            .env("SQLX_OFFLINE", "false")
            .env("DATABASE_URL", format!("sqlite:{}", schema.display()))
            .env("SQLX_OFFLINE_DIR", &out),
    )?;
    let fresh = read_dir(&out)?;
    if fresh.is_empty() {
        return Err(
            "compiling the hub produced no query data: are its statements written \
                    with sqlx::query! macros?"
                .into(),
        );
    }
    let committed_dir = root.join(QUERY_DATA);
    if write {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir)
            .map_err(|e| format!("{}: {e}", committed_dir.display()))?;
        for (name, text) in &fresh {
            let path = committed_dir.join(name);
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        println!(
            "sql: {} statements checked against the schema; query data written to {QUERY_DATA}",
            fresh.len()
        );
        return Ok(());
    }
    let committed = read_dir(&committed_dir)?;
    let stale: Vec<&String> = fresh
        .keys()
        .filter(|name| committed.get(*name) != fresh.get(*name))
        .chain(committed.keys().filter(|name| !fresh.contains_key(*name)))
        .collect();
    if !stale.is_empty() {
        return Err(format!(
            "the committed query data in {QUERY_DATA} does not match the hub's statements \
             ({} files differ, e.g. {}); run `cargo xtask sql` and commit the result",
            stale.len(),
            stale[0]
        ));
    }
    println!(
        "sql: {} statements checked against the migrated schema; {QUERY_DATA} is current",
        fresh.len()
    );
    Ok(())
}

/// The hub's migrations, in order, on a new SQLite file.
fn apply_migrations(root: &Path, schema: &Path) -> Result<(), String> {
    let dir = root.join("crates/hub/migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    if sh::output(Command::new("sqlite3").arg("-version")).is_none() {
        return Err(
            "sqlite3 is not installed: `cargo xtask bootstrap` installs it (or \
                    apt-get install sqlite3)"
                .into(),
        );
    }
    for file in files {
        let sql = std::fs::File::open(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        sh::run(Command::new("sqlite3").arg("-bail").arg(schema).stdin(sql))
            .map_err(|e| format!("applying {}: {e}", file.display()))?;
    }
    Ok(())
}

fn read_dir(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(BTreeMap::new());
    };
    let mut files = BTreeMap::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "json") {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.insert(entry.file_name().to_string_lossy().into_owned(), text);
        }
    }
    Ok(files)
}
