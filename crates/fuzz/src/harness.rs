//! What each fuzz target checks, on any bytes: the decoder never panics, and whatever it
//! accepts keeps the promises the hub and the device rely on. Used by the fuzz targets and,
//! through `crates/protocol/tests/fuzz_regressions.rs`, by `cargo test` on every committed
//! regression input.

use tenfour_protocol::admin::{RosterRow, check_callsign, parse_roster};
use tenfour_protocol::seed::parse_seed;
use tenfour_protocol::sync::parse_cursor;
use tenfour_protocol::wire::{ChangeBody, ChangesPage, OutboxEntry, PushRequest};

/// A target's check of one input.
pub type Check = fn(&[u8]);

/// Every target by name, for the regression test.
pub const TARGETS: [(&str, Check); 5] = [
    ("push_entry", push_entry),
    ("changes_page", changes_page),
    ("cursor", cursor),
    ("seed_document", seed_document),
    ("roster", roster),
];

/// A device's push as the hub reads it: an entry the checks accept decodes to an action,
/// and re-encodes to an entry that is accepted again as the same action.
pub fn push_entry(data: &[u8]) {
    let Ok(push) = serde_json::from_slice::<PushRequest>(data) else {
        return;
    };
    for entry in &push.entries {
        let Ok(action) = entry.check() else { continue };
        assert_eq!(action.kind(), entry.kind);
        let again: OutboxEntry =
            serde_json::from_str(&serde_json::to_string(entry).expect("encodes"))
                .expect("an accepted entry decodes again");
        assert_eq!(again.check().expect("still accepted"), action);
    }
}

/// A page of changes as the device reads it: what decodes, re-encodes to the same page (less
/// the kinds it does not know, which it skips).
pub fn changes_page(data: &[u8]) {
    let Ok(mut page) = serde_json::from_slice::<ChangesPage>(data) else {
        return;
    };
    // A kind this version does not know is skipped; the rest re-encodes to the same page.
    page.changes.retain(|c| c.body != ChangeBody::Unknown);
    let text = serde_json::to_string(&page).expect("encodes");
    let again: ChangesPage = serde_json::from_str(&text).expect("a decoded page decodes again");
    // Floats may lose a last digit through text; compare the re-encoded forms.
    assert_eq!(serde_json::to_string(&again).expect("encodes"), text);
}

/// `Last-Event-ID` and `since`: a cursor that parses prints back to the same number.
pub fn cursor(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = parse_cursor(text) {
        assert_eq!(parse_cursor(&n.to_string()), Ok(n));
        assert!(text.trim().bytes().all(|b| b.is_ascii_digit()));
    }
}

/// A seed document: accepted means no username twice (ignoring case) and no callsign twice.
pub fn seed_document(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(agency) = parse_seed(text) else { return };
    let mut names: Vec<String> = agency
        .users
        .iter()
        .map(|u| u.username.to_lowercase())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), agency.users.len());
    let mut callsigns: Vec<&str> = agency.units.iter().map(|u| u.callsign.as_str()).collect();
    callsigns.sort();
    callsigns.dedup();
    assert_eq!(callsigns.len(), agency.units.len());
}

/// A roster file: accepted rows pass the same checks as a single create, lines increase,
/// and an error names a line of the file.
pub fn roster(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count().max(1);
    match parse_roster(text) {
        Ok(rows) => {
            let mut last = 1;
            for (line, row) in rows {
                assert!(line > last && line <= lines, "line {line} of {lines}");
                last = line;
                match row {
                    RosterRow::User(user) => user.check().expect("an accepted user passes"),
                    RosterRow::Unit(unit) => {
                        check_callsign(&unit.callsign).expect("an accepted callsign passes")
                    }
                }
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for error in errors {
                assert!(error.line >= 1 && error.line <= lines, "{error}");
            }
        }
    }
}
