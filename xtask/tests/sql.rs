//! Every statement the hub sends is checked at compile time, except the few listed here.
//!
//! The hub writes SQL with sqlx's `query!` macros, checked against the migrated schema
//! (`cargo xtask sql`). A statement assembled at run time cannot be: the ones below batch
//! several statements into one round trip on the push path, where the round trips are the
//! cost (see BENCHMARKS.md); the sync tests run each of them. A new unchecked statement fails
//! this test until it is a macro or is listed with its reason.

use std::collections::BTreeMap;
use std::path::Path;

/// File, number of unchecked statements, and why.
const UNCHECKED: &[(&str, usize, &str)] = &[
    (
        "field.rs",
        4,
        "the push path: one read of device, unit and head with the unit's columns \
         flattened into a shared row type; the entry's record, device and unit in one round \
         trip; a status event with its unit and assignment updates in one round trip \
         (statements chosen at run time), and the same insert alone",
    ),
    (
        "records.rs",
        1,
        "the change log: the cursor update and one multi-row insert of a batch's changes",
    ),
];

const UNCHECKED_CALLS: &[&str] = &[
    "sqlx::query(",
    "sqlx::query_as(",
    "sqlx::query_scalar(",
    "sqlx::query_as::<",
    "sqlx::query_scalar::<",
    "sqlx::QueryBuilder::new(",
    "sqlx::raw_sql(",
];

#[test]
fn the_hubs_statements_are_checked_at_compile_time_but_the_listed_few() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/hub/src");
    let mut found: BTreeMap<String, usize> = BTreeMap::new();
    let mut checked = 0;
    visit(&src, &mut |path, text| {
        // Inline tests may build throwaway schemas.
        let code = text.split("#[cfg(test)]").next().unwrap_or(text);
        let unchecked: usize = UNCHECKED_CALLS
            .iter()
            .map(|c| code.matches(c).count())
            .sum();
        checked += ["sqlx::query!(", "sqlx::query_as!(", "sqlx::query_scalar!("]
            .iter()
            .map(|c| code.matches(c).count())
            .sum::<usize>();
        if unchecked > 0 {
            let name = path.strip_prefix(&src).unwrap().display().to_string();
            found.insert(name, unchecked);
        }
    });
    let allowed: BTreeMap<String, usize> = UNCHECKED
        .iter()
        .map(|(file, n, _)| (file.to_string(), *n))
        .collect();
    println!("{checked} statements checked at compile time; unchecked: {found:?}");
    assert!(
        checked > 80,
        "only {checked} checked statements found: is the scan broken?"
    );
    assert_eq!(
        found, allowed,
        "statements outside sqlx's query! macros: write them as macros (cargo xtask sql \
         refreshes the query data), or list them in UNCHECKED with the reason"
    );
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
