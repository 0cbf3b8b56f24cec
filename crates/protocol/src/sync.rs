//! The decisions of the sync protocol, as plain functions: how the hub judges each entry of
//! a device's push (apply, repeat the first answer, wait for a gap, refuse) and how the
//! device settles its outbox from the answers. No I/O: the hub (`field`) and the device
//! store call these around their own storage, and the hub's simulation test drives them
//! with the hub's real storage over a hostile network.

use crate::wire::{EntryResult, OutboxEntry, Outcome};

/// The hub's verdict on an entry's sequence number, given the last one it applied for the
/// device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqVerdict {
    /// `seq <= last_seq`: processed before; answer with the first outcome, change nothing.
    Duplicate,
    /// `seq == last_seq + 1`: process it now.
    Next,
    /// `seq > last_seq + 1`: an earlier entry is missing; refuse, keeping order.
    Gap { expected: u64 },
}

pub fn judge_seq(last_seq: u64, seq: u64) -> SeqVerdict {
    if seq <= last_seq {
        SeqVerdict::Duplicate
    } else if seq == last_seq + 1 {
        SeqVerdict::Next
    } else {
        SeqVerdict::Gap {
            expected: last_seq + 1,
        }
    }
}

/// Reads a change cursor as a client sends it (`Last-Event-ID`, or a stored `since`): a
/// whole number of at most 19 digits, surrounding spaces allowed. Anything else is refused
/// with a message that says what was expected.
pub fn parse_cursor(text: &str) -> Result<u64, String> {
    let digits = text.trim();
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        let shown: String = digits.chars().take(24).collect();
        return Err(format!(
            "a change cursor is a whole number such as 42; got {shown:?}"
        ));
    }
    digits
        .parse()
        .map_err(|_| format!("the change cursor {digits} is out of range"))
}

/// What the hub holds about the device that sent an entry, read before judging it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceState {
    /// The last `seq` the hub processed for this device number (0 for a new one).
    pub last_seq: u64,
    /// The user who first used this device number, if anyone has.
    pub owner: Option<i64>,
}

/// The hub's judgement of one entry, before any effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Judgement {
    /// Answer with this and record nothing: the entry waits (a gap) or is not this
    /// device's to send.
    Answer(EntryResult),
    /// A number processed before: answer with what became of it then ([`repeat`]).
    Repeat,
    /// Record the entry as rejected, with this reason, and apply nothing.
    Refuse(String),
    /// The device's next entry: apply it.
    Apply,
}

fn answer(
    entry: &OutboxEntry,
    outcome: Outcome,
    reason: String,
    expected: Option<u64>,
) -> EntryResult {
    EntryResult {
        seq: entry.seq,
        id: entry.id.clone(),
        outcome,
        original: None,
        reason: Some(reason),
        expected_seq: expected,
    }
}

/// Judges `entry` from `user`, given the answers already given to the entries before it in
/// the same push, what the hub holds for its device, and whether its id was used by any
/// action before. Order is kept: after a gap nothing later in the push applies.
pub fn judge(
    entry: &OutboxEntry,
    earlier: &[EntryResult],
    device: DeviceState,
    user: i64,
    id_used: bool,
) -> Judgement {
    if let Some(waiting) = waiting_behind_gap(earlier, entry) {
        return Judgement::Answer(waiting);
    }
    if device.owner.is_some_and(|owner| owner != user) {
        // Not recorded under that number: nobody can use up a device's numbers but its own
        // user (the app starts a new number when a different user signs in).
        let reason = format!(
            "device number {} belongs to another user's device; this action was not applied. \
             Sign out and in again to give this device its own number",
            entry.client_id
        );
        return Judgement::Answer(answer(entry, Outcome::Rejected, reason, None));
    }
    match judge_seq(device.last_seq, entry.seq) {
        SeqVerdict::Gap { expected } => {
            let reason = format!(
                "entry {} arrived before entry {expected} of this device; send from {expected}",
                entry.seq
            );
            Judgement::Answer(answer(entry, Outcome::Gap, reason, Some(expected)))
        }
        SeqVerdict::Duplicate => Judgement::Repeat,
        // Ids are unique across every device: a used one is a copy or a forgery, never a
        // retry (a retry reuses its seq too, and is a repeat).
        SeqVerdict::Next if id_used => Judgement::Refuse(format!(
            "the action id {} was already used by another action; this one was not applied",
            entry.id
        )),
        SeqVerdict::Next => Judgement::Apply,
    }
}

/// After a gap in a push, the answer for each later entry: it waits for the missing one.
pub fn waiting_behind_gap(earlier: &[EntryResult], entry: &OutboxEntry) -> Option<EntryResult> {
    let gap = earlier.last().filter(|r| r.outcome == Outcome::Gap)?;
    Some(EntryResult {
        seq: entry.seq,
        id: entry.id.clone(),
        outcome: Outcome::Gap,
        original: None,
        reason: Some("waiting for an earlier entry of this device".into()),
        expected_seq: gap.expected_seq,
    })
}

/// What the hub recorded the first time it processed a device's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstAnswer {
    pub id: String,
    /// Applied or rejected.
    pub outcome: Outcome,
    pub reason: Option<String>,
}

/// The answer to a number processed before: the first outcome again when it is the same
/// action (a retry after a lost reply), a refusal when the number was reused for another.
pub fn repeat(entry: &OutboxEntry, first: Option<&FirstAnswer>) -> EntryResult {
    match first {
        Some(first) if first.id == entry.id => EntryResult {
            seq: entry.seq,
            id: entry.id.clone(),
            outcome: Outcome::Duplicate,
            original: Some(first.outcome),
            reason: first.reason.clone(),
            expected_seq: None,
        },
        _ => answer(
            entry,
            Outcome::Rejected,
            format!(
                "this device already used number {} for another action; this one was not applied",
                entry.seq
            ),
            None,
        ),
    }
}

/// What becomes of a device's queued entry once the hub has answered for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// It took effect on the hub (now, or the first time it arrived).
    Delivered,
    /// It never will: the reason to show the responder.
    Refused(String),
}

/// Settles `entry` from the hub's `result`: `None` while it must stay queued (a gap, or an
/// answer that is not about this entry).
pub fn settle(entry: &OutboxEntry, result: &EntryResult) -> Option<Settlement> {
    if !result.is_settled() || result.seq != entry.seq || result.id != entry.id {
        return None;
    }
    Some(if took_effect(result) {
        Settlement::Delivered
    } else {
        Settlement::Refused(
            result.reason.clone().unwrap_or_else(|| {
                "dispatch did not apply this action and gave no reason".to_owned()
            }),
        )
    })
}

/// Whether a result means the action took effect on the hub (now or earlier).
pub fn took_effect(result: &EntryResult) -> bool {
    match result.outcome {
        Outcome::Applied => true,
        Outcome::Duplicate => result.original == Some(Outcome::Applied),
        Outcome::Rejected | Outcome::Gap => false,
    }
}

/// How long a closed incident (or an ended emergency) stays on devices after it closed: a
/// new device's snapshot carries those closed more recently, and a device forgets older ones,
/// so its storage stays flat over months of calls.
pub const CLOSED_KEPT_MS: crate::wire::Millis = 12 * 60 * 60 * 1000;

/// Lays records that arrived over a list the device holds in key order (its copy of the
/// units, the incidents): each replaces the held record with the same key only when it is
/// newer (`version`, the cursor of the change that wrote it), and a new key is inserted in
/// place. Returns whether the list changed, so a screen is redrawn only for a real change —
/// the device patches what a change touched instead of reading every record again.
pub fn patch_keyed<T: PartialEq>(
    list: &mut Vec<T>,
    incoming: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> i64,
    version: impl Fn(&T) -> u64,
) -> bool {
    let mut changed = false;
    for record in incoming {
        match list.binary_search_by_key(&key(&record), &key) {
            Ok(at) => {
                if version(&record) > version(&list[at]) && list[at] != record {
                    list[at] = record;
                    changed = true;
                }
            }
            Err(at) => {
                list.insert(at, record);
                changed = true;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patching_replaces_only_with_newer_and_inserts_in_key_order() {
        // (key, version, text)
        let key = |r: &(i64, u64, &str)| r.0;
        let version = |r: &(i64, u64, &str)| r.1;
        let mut list = vec![(1, 5, "one"), (3, 7, "three"), (9, 2, "nine")];
        assert!(!patch_keyed(&mut list, [], key, version), "nothing came");
        assert!(
            !patch_keyed(&mut list, [(3, 6, "stale three")], key, version),
            "an older copy never replaces a newer one"
        );
        assert!(
            !patch_keyed(&mut list, [(3, 7, "three")], key, version),
            "the same copy again changes nothing"
        );
        assert!(patch_keyed(
            &mut list,
            [(3, 8, "three again"), (5, 8, "five"), (0, 8, "zero")],
            key,
            version
        ));
        assert_eq!(
            list,
            vec![
                (0, 8, "zero"),
                (1, 5, "one"),
                (3, 8, "three again"),
                (5, 8, "five"),
                (9, 2, "nine")
            ]
        );
        // Two copies of one record in one page: the later wins, in either order.
        assert!(patch_keyed(
            &mut list,
            [(1, 10, "ten"), (1, 9, "nine")],
            key,
            version
        ));
        assert_eq!(list[1], (1, 10, "ten"));
    }

    #[test]
    fn seq_verdicts() {
        assert_eq!(judge_seq(0, 1), SeqVerdict::Next);
        assert_eq!(judge_seq(5, 5), SeqVerdict::Duplicate);
        assert_eq!(judge_seq(5, 2), SeqVerdict::Duplicate);
        assert_eq!(judge_seq(5, 8), SeqVerdict::Gap { expected: 6 });
    }

    fn entry(seq: u64, id: &str) -> OutboxEntry {
        OutboxEntry {
            client_id: "c".into(),
            seq,
            id: id.into(),
            at: 0,
            kind: crate::wire::ActionKind::CheckIn,
            payload: serde_json::json!({}),
        }
    }

    const NEW: DeviceState = DeviceState {
        last_seq: 0,
        owner: None,
    };

    #[test]
    fn the_hub_applies_the_next_entry_and_makes_later_ones_wait_behind_a_gap() {
        assert_eq!(judge(&entry(1, "a"), &[], NEW, 7, false), Judgement::Apply);
        let Judgement::Answer(gap) = judge(&entry(3, "c"), &[], NEW, 7, false) else {
            panic!("a gap is answered");
        };
        assert_eq!((gap.outcome, gap.expected_seq), (Outcome::Gap, Some(1)));
        let Judgement::Answer(waiting) = judge(&entry(4, "d"), &[gap], NEW, 7, false) else {
            panic!("behind a gap, an entry waits");
        };
        assert_eq!(
            (waiting.outcome, waiting.expected_seq),
            (Outcome::Gap, Some(1))
        );
    }

    #[test]
    fn another_users_number_and_a_reused_id_are_refused() {
        let theirs = DeviceState {
            last_seq: 0,
            owner: Some(8),
        };
        let Judgement::Answer(refused) = judge(&entry(1, "a"), &[], theirs, 7, false) else {
            panic!("refused without a record");
        };
        assert_eq!(refused.outcome, Outcome::Rejected);
        assert!(matches!(
            judge(&entry(1, "a"), &[], NEW, 7, true),
            Judgement::Refuse(reason) if reason.contains("already used")
        ));
    }

    #[test]
    fn a_repeat_gets_the_first_answer_unless_the_number_was_reused() {
        let seen = DeviceState {
            last_seq: 5,
            owner: Some(7),
        };
        assert_eq!(judge(&entry(5, "e"), &[], seen, 7, true), Judgement::Repeat);
        let first = FirstAnswer {
            id: "e".into(),
            outcome: Outcome::Rejected,
            reason: Some("cancelled".into()),
        };
        let again = repeat(&entry(5, "e"), Some(&first));
        assert_eq!(
            (again.outcome, again.original),
            (Outcome::Duplicate, Some(Outcome::Rejected))
        );
        assert_eq!(
            repeat(&entry(5, "other"), Some(&first)).outcome,
            Outcome::Rejected
        );
    }

    #[test]
    fn the_device_keeps_what_is_not_settled() {
        let (a, b) = (entry(1, "a"), entry(2, "b"));
        let applied = EntryResult {
            seq: 1,
            id: "a".into(),
            outcome: Outcome::Applied,
            original: None,
            reason: None,
            expected_seq: None,
        };
        assert_eq!(settle(&a, &applied), Some(Settlement::Delivered));
        assert_eq!(settle(&b, &applied), None, "an answer about another entry");
        let gap = EntryResult {
            seq: 2,
            id: "b".into(),
            outcome: Outcome::Gap,
            ..applied.clone()
        };
        assert_eq!(settle(&b, &gap), None);
        let repeat_of_refused = EntryResult {
            seq: 2,
            id: "b".into(),
            outcome: Outcome::Duplicate,
            original: Some(Outcome::Rejected),
            reason: Some("cleared".into()),
            expected_seq: None,
        };
        assert_eq!(
            settle(&b, &repeat_of_refused),
            Some(Settlement::Refused("cleared".into()))
        );
    }
}

#[cfg(test)]
mod cursor_tests {
    use super::parse_cursor;

    #[test]
    fn cursors_are_whole_numbers_only() {
        assert_eq!(parse_cursor(" 42 "), Ok(42));
        assert_eq!(parse_cursor("0"), Ok(0));
        assert_eq!(parse_cursor("9223372036854775807"), Ok(i64::MAX as u64));
        for bad in [
            "",
            " ",
            "-1",
            "+1",
            "1.0",
            "1e3",
            "42abc",
            "99999999999999999999",
            "٤٢",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?} accepted");
        }
    }
}
