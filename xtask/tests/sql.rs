//! The hub runs on SQLite or PostgreSQL with one set of statements (`crates/hub/src/db.rs`).
//! Every statement goes through the hub's `db::Conn`, so it is compiled against both drivers
//! and the hub's tests run it on both (`cargo xtask test native postgres`). This test keeps
//! what compiling cannot see out of the SQL: placeholders and functions only one of the two
//! databases understands.

use std::path::Path;

/// Driver types named outside `db.rs` would let a statement run on one database only.
const ONE_DATABASE: &[&str] = &[
    "SqliteConnection",
    "SqlitePool",
    "PgConnection",
    "PgPool",
    "Transaction<",
];

/// SQL that only one of the databases accepts, and what to write instead.
const NOT_PORTABLE: &[(&str, &str)] = &[
    (" ?", "number the parameters: $1, $2, …"),
    ("(?", "number the parameters: $1, $2, …"),
    ("instr(", "LIKE '%' || $1 || '%'"),
    (" glob ", "LIKE"),
    ("json_extract(", "a column of its own"),
    ("strftime(", "times in milliseconds from the hub's clock"),
    ("datetime(", "times in milliseconds from the hub's clock"),
    ("ifnull(", "COALESCE"),
    ("insert or ", "ON CONFLICT"),
    ("::", "CAST(x AS type)"),
    (" ilike ", "lower(x) LIKE"),
    ("greatest(", "CASE WHEN a > b THEN a ELSE b END"),
    ("last_insert_rowid", "RETURNING id"),
    ("pragma ", "nothing: settings belong in db.rs"),
];

#[test]
fn the_hubs_sql_runs_on_both_databases() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/hub/src");
    let mut statements = 0;
    let mut problems = Vec::new();
    visit(&src, &mut |path, text| {
        let name = path.strip_prefix(&src).unwrap().display().to_string();
        // Inline tests may build throwaway schemas on one database.
        let code = text.split("#[cfg(test)]").next().unwrap_or(text);
        // fanout.rs is PostgreSQL's own (it listens for the other hubs); migrate.rs reads
        // SQLite and writes PostgreSQL.
        if !matches!(
            name.as_str(),
            "db.rs" | "storage.rs" | "fanout.rs" | "migrate.rs"
        ) {
            for word in ONE_DATABASE {
                if code.contains(word) {
                    problems.push(format!("{name}: names {word}; use db::Conn"));
                }
            }
        }
        for sql in string_literals(code).filter(|s| is_sql(s)) {
            statements += 1;
            let lower = sql.to_lowercase();
            for (bad, instead) in NOT_PORTABLE {
                if lower.contains(bad) {
                    let start: String = sql.chars().take(60).collect();
                    problems.push(format!("{name}: {bad:?} in \"{start}…\"; write {instead}"));
                }
            }
            // SQLite's two-argument max/min is an aggregate in PostgreSQL.
            for function in ["max(", "min("] {
                for (at, _) in lower.match_indices(function) {
                    let inside = &lower[at + function.len()..];
                    let args = inside.split(')').next().unwrap_or("");
                    if args.contains(',') && !args.contains('(') {
                        problems.push(format!(
                            "{name}: {function}a, b) in \"{}…\"; write CASE WHEN a > b THEN a \
                             ELSE b END",
                            sql.chars().take(60).collect::<String>()
                        ));
                    }
                }
            }
        }
    });
    println!("{statements} statements read");
    assert!(
        statements > 100,
        "only {statements} statements found: is the scan broken?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn is_sql(text: &str) -> bool {
    let upper = text.trim_start().to_uppercase();
    ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH "]
        .iter()
        .any(|k| upper.starts_with(k))
}

/// The contents of the string literals in Rust source, raw strings included.
fn string_literals(code: &str) -> impl Iterator<Item = String> + '_ {
    let bytes = code.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let raw = bytes[i] == b'r'
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'))
                && bytes.get(i + 1).is_some_and(|b| *b == b'"' || *b == b'#');
            if raw {
                let hashes = bytes[i + 1..].iter().take_while(|b| **b == b'#').count();
                let open = i + 1 + hashes;
                if bytes.get(open) == Some(&b'"') {
                    let close = format!("\"{}", "#".repeat(hashes));
                    let end = code[open + 1..].find(&close)? + open + 1;
                    i = end + close.len();
                    return Some(code[open + 1..end].to_owned());
                }
            }
            if bytes[i] == b'\'' {
                // A char literal such as '"' must not open a string; lifetimes pass by.
                if bytes.get(i + 2) == Some(&b'\'') {
                    i += 3;
                    continue;
                }
                if bytes.get(i + 1) == Some(&b'\\') && bytes.get(i + 3) == Some(&b'\'') {
                    i += 4;
                    continue;
                }
            }
            if bytes[i] == b'"' {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let text = code[i + 1..j.min(bytes.len())].to_owned();
                i = j + 1;
                return Some(text);
            }
            i += 1;
        }
        None
    })
}

fn visit(dir: &Path, each: &mut dyn FnMut(&Path, &str)) {
    for entry in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
        if entry.is_dir() {
            visit(&entry, each);
        } else if entry.extension().is_some_and(|e| e == "rs") {
            each(&entry, &std::fs::read_to_string(&entry).unwrap());
        }
    }
}
