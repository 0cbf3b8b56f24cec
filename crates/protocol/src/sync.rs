//! The pure sync core: how the hub judges an entry's `seq`, and a device outbox that only
//! forgets an entry once the hub has settled it. No I/O: the hub and the app wrap these in
//! their own storage, and the property tests run them over a hostile simulated network.

use crate::wire::{EntryResult, Outcome};
use std::collections::VecDeque;

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

/// A device's queue of actions waiting for the hub, in `seq` order.
#[derive(Debug, Clone)]
pub struct Outbox<T> {
    next_seq: u64,
    pending: VecDeque<(u64, T)>,
}

impl<T: Clone> Outbox<T> {
    /// An empty outbox whose next entry gets `next_seq` (1 for a new device).
    pub fn new(next_seq: u64) -> Self {
        Self {
            next_seq,
            pending: VecDeque::new(),
        }
    }

    /// Queues an action and returns its seq.
    pub fn push(&mut self, action: T) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pending.push_back((seq, action));
        seq
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The oldest `max` entries: what the next push sends.
    pub fn batch(&self, max: usize) -> Vec<(u64, T)> {
        self.pending.iter().take(max).cloned().collect()
    }

    /// Forgets every entry the hub has settled (applied, rejected or duplicate). Returns the
    /// settled results, in order, for the caller to show (e.g. rejections).
    pub fn settle<'r>(&mut self, results: &'r [EntryResult]) -> Vec<&'r EntryResult> {
        let settled: Vec<&EntryResult> = results.iter().filter(|r| r.is_settled()).collect();
        self.pending
            .retain(|(seq, _)| !settled.iter().any(|r| r.seq == *seq));
        settled
    }
}

/// Whether a result means the action took effect on the hub (now or earlier).
pub fn took_effect(result: &EntryResult) -> bool {
    match result.outcome {
        Outcome::Applied => true,
        Outcome::Duplicate => result.original == Some(Outcome::Applied),
        Outcome::Rejected | Outcome::Gap => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_verdicts() {
        assert_eq!(judge_seq(0, 1), SeqVerdict::Next);
        assert_eq!(judge_seq(5, 5), SeqVerdict::Duplicate);
        assert_eq!(judge_seq(5, 2), SeqVerdict::Duplicate);
        assert_eq!(judge_seq(5, 8), SeqVerdict::Gap { expected: 6 });
    }

    #[test]
    fn outbox_keeps_what_is_not_settled() {
        let mut outbox = Outbox::new(1);
        for action in ["a", "b", "c"] {
            outbox.push(action);
        }
        let result = |seq, outcome| EntryResult {
            seq,
            id: String::new(),
            outcome,
            original: None,
            reason: None,
            expected_seq: None,
        };
        outbox.settle(&[result(1, Outcome::Applied), result(2, Outcome::Gap)]);
        assert_eq!(outbox.batch(10), vec![(2, "b"), (3, "c")]);
        assert_eq!(outbox.push("d"), 4);
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
