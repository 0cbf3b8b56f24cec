//! The sync protocol over a hostile network: messages are dropped, duplicated, delayed and
//! reordered, and devices and the hub restart. However the faults fall, once the network
//! heals every action is processed exactly once, in each device's order, and every device
//! agrees with the hub on each action's outcome.

use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};
use tenfour_protocol::sync::{Outbox, SeqVerdict, judge_seq};
use tenfour_protocol::wire::{EntryResult, Outcome};

/// An action is a number unique across the run; the hub rejects multiples of 7 (an action
/// that can never apply, like acknowledging a cancelled assignment).
type Action = u32;

#[derive(Debug, Clone)]
enum Message {
    Push {
        device: usize,
        entries: Vec<(u64, Action)>,
    },
    Reply {
        device: usize,
        results: Vec<EntryResult>,
    },
}

#[derive(Default)]
struct Hub {
    last_seq: HashMap<usize, u64>,
    outcomes: HashMap<(usize, u64), Outcome>,
    /// Every processing, in the order it happened.
    processed: Vec<(usize, u64, Action)>,
}

impl Hub {
    fn receive(&mut self, device: usize, entries: &[(u64, Action)]) -> Vec<EntryResult> {
        let mut results = Vec::new();
        let mut blocked: Option<u64> = None;
        for &(seq, action) in entries {
            let result = |outcome, original, expected_seq| EntryResult {
                seq,
                id: action.to_string(),
                outcome,
                original,
                reason: None,
                expected_seq,
            };
            if let Some(expected) = blocked {
                results.push(result(Outcome::Gap, None, Some(expected)));
                continue;
            }
            let last = self.last_seq.get(&device).copied().unwrap_or(0);
            match judge_seq(last, seq) {
                SeqVerdict::Duplicate => {
                    let original = self.outcomes[&(device, seq)];
                    results.push(result(Outcome::Duplicate, Some(original), None));
                }
                SeqVerdict::Next => {
                    let outcome = if action % 7 == 0 {
                        Outcome::Rejected
                    } else {
                        Outcome::Applied
                    };
                    self.last_seq.insert(device, seq);
                    self.outcomes.insert((device, seq), outcome);
                    self.processed.push((device, seq, action));
                    results.push(result(outcome, None, None));
                }
                SeqVerdict::Gap { expected } => {
                    blocked = Some(expected);
                    results.push(result(Outcome::Gap, None, Some(expected)));
                }
            }
        }
        results
    }
}

struct Device {
    outbox: Outbox<Action>,
    created: Vec<Action>,
    /// What the device was told became of each of its seqs.
    settled: BTreeMap<u64, Outcome>,
}

impl Device {
    fn hear(&mut self, results: &[EntryResult]) {
        for result in self.outbox.settle(results) {
            let outcome = match result.outcome {
                Outcome::Duplicate => result.original.expect("duplicate carries the original"),
                other => other,
            };
            if let Some(before) = self.settled.insert(result.seq, outcome) {
                assert_eq!(
                    before, outcome,
                    "the hub changed its answer for seq {}",
                    result.seq
                );
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Act(usize),
    Send(usize, usize),
    Deliver(usize),
    Duplicate(usize),
    Drop(usize),
    RestartDevice(usize),
    RestartHub,
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..devices).prop_map(Op::Act),
        3 => (0..devices, 1usize..5).prop_map(|(d, n)| Op::Send(d, n)),
        4 => any::<usize>().prop_map(Op::Deliver),
        1 => any::<usize>().prop_map(Op::Duplicate),
        2 => any::<usize>().prop_map(Op::Drop),
        1 => (0..devices).prop_map(Op::RestartDevice),
        1 => Just(Op::RestartHub),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Op>)> {
    (1usize..4).prop_flat_map(|devices| (Just(devices), prop::collection::vec(op(devices), 1..200)))
}

fn deliver(message: Message, hub: &mut Hub, devices: &mut [Device], network: &mut Vec<Message>) {
    match message {
        Message::Push { device, entries } => {
            let results = hub.receive(device, &entries);
            network.push(Message::Reply { device, results });
        }
        Message::Reply { device, results } => devices[device].hear(&results),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_action_lands_exactly_once_in_order((count, ops) in scenario()) {
        let mut hub = Hub::default();
        let mut devices: Vec<Device> = (0..count)
            .map(|_| Device { outbox: Outbox::new(1), created: Vec::new(), settled: BTreeMap::new() })
            .collect();
        let mut network: Vec<Message> = Vec::new();
        let mut next_action: Action = 1;

        for op in ops {
            match op {
                Op::Act(d) => {
                    devices[d].outbox.push(next_action);
                    devices[d].created.push(next_action);
                    next_action += 1;
                }
                Op::Send(d, n) => {
                    let entries = devices[d].outbox.batch(n);
                    if !entries.is_empty() {
                        network.push(Message::Push { device: d, entries });
                    }
                }
                Op::Deliver(i) if !network.is_empty() => {
                    let message = network.remove(i % network.len());
                    deliver(message, &mut hub, &mut devices, &mut network);
                }
                Op::Duplicate(i) if !network.is_empty() => {
                    let copy = network[i % network.len()].clone();
                    network.push(copy);
                }
                Op::Drop(i) if !network.is_empty() => {
                    network.remove(i % network.len());
                }
                Op::RestartDevice(d) => {
                    // Its connections die; its outbox is durable (IndexedDB) and survives.
                    network.retain(|m| !matches!(m, Message::Reply { device, .. } if *device == d));
                }
                Op::RestartHub => {
                    // Requests not yet processed are lost; committed state survives.
                    network.retain(|m| matches!(m, Message::Reply { .. }));
                }
                Op::Deliver(_) | Op::Duplicate(_) | Op::Drop(_) => {}
            }
        }

        // The network heals: old messages may still arrive, then devices drain their outboxes.
        while let Some(message) = network.pop() {
            deliver(message, &mut hub, &mut devices, &mut network);
        }
        for round in 0.. {
            prop_assert!(round < 1000, "outboxes did not drain");
            let mut sent = false;
            for (d, device) in devices.iter_mut().enumerate() {
                let entries = device.outbox.batch(4);
                if !entries.is_empty() {
                    sent = true;
                    let results = hub.receive(d, &entries);
                    device.hear(&results);
                }
            }
            if !sent {
                break;
            }
        }

        for (d, device) in devices.iter().enumerate() {
            let processed: Vec<(u64, Action)> = hub
                .processed
                .iter()
                .filter(|(pd, _, _)| *pd == d)
                .map(|(_, seq, action)| (*seq, *action))
                .collect();
            // Exactly once and in the device's order: seqs 1..=n, each action in creation order.
            let expected: Vec<(u64, Action)> = device
                .created
                .iter()
                .enumerate()
                .map(|(i, action)| (i as u64 + 1, *action))
                .collect();
            prop_assert_eq!(&processed, &expected, "device {}", d);
            // Converged: the device knows the hub's outcome for every one of its actions.
            let hub_view: BTreeMap<u64, Outcome> = hub
                .outcomes
                .iter()
                .filter(|((hd, _), _)| *hd == d)
                .map(|((_, seq), outcome)| (*seq, *outcome))
                .collect();
            prop_assert_eq!(&device.settled, &hub_view, "device {}", d);
            prop_assert!(device.outbox.is_empty());
        }
    }
}
