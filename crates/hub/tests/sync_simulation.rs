//! The sync protocol over a hostile network, run with the hub's own code and storage: each
//! push goes through the hub's push path (`field::apply_push`, which judges every entry with
//! `sync::judge`) into a real SQLite file, and each device settles its outbox with
//! `sync::settle`, as the app's store does. Messages are dropped, duplicated, delayed and
//! reordered; devices restart, and so does the hub (its database closed and opened again,
//! losing what was in flight). However the faults fall, once the network heals every action
//! is processed exactly once, in each device's order, and every device agrees with the hub
//! on each action's outcome.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tenfour_hub::actor::Actor;
use tenfour_hub::field::{self, Mode, Push};
use tenfour_hub::{db, seed};
use tenfour_protocol::sync::{self, Settlement, took_effect};
use tenfour_protocol::wire::{ActionKind, EntryResult, OutboxEntry, Outcome, Role};

const AGENCY: &str = r#"{
  "slug": "sim", "name": "Simulation County",
  "users": [{"username": "sim-medic", "display_name": "Sim Medic", "role": "responder",
             "password": "a long simulation password"}],
  "units": [{"callsign": "S1", "kind": "ems"}],
  "incidents": [{"incident": {"nature_code": "BREATHING", "priority": 1, "address": "1 Test Way"},
                 "assign": ["S1"]}]
}"#;

/// The hub: its database file, opened again on a restart, and the one medic on S1.
struct Hub {
    path: PathBuf,
    db: db::Db,
    actor: Actor,
    unit_id: i64,
    incident_id: i64,
}

impl Hub {
    async fn open(path: PathBuf) -> Hub {
        let db = db::open(&db::Location::Sqlite(path.clone()))
            .await
            .expect("the database opens");
        seed::seed(&db.writer, AGENCY)
            .await
            .expect("the agency seeds");
        let (agency_id, user_id): (i64, i64) =
            sqlx::query_as("SELECT agency_id, id FROM users WHERE username = 'sim-medic'")
                .fetch_one(reader(&db))
                .await
                .unwrap();
        let (unit_id, incident_id): (i64, i64) =
            sqlx::query_as("SELECT unit_id, incident_id FROM assignments LIMIT 1")
                .fetch_one(reader(&db))
                .await
                .unwrap();
        let actor = Actor {
            user_id,
            agency_id,
            role: Role::Responder,
            display_name: "Sim Medic".into(),
            unit_id: Some(unit_id),
        };
        Hub {
            path,
            db,
            actor,
            unit_id,
            incident_id,
        }
    }

    /// Requests in flight are lost; what was committed survives.
    async fn restart(&mut self) {
        self.db.close().await;
        self.db = db::open(&db::Location::Sqlite(self.path.clone()))
            .await
            .expect("the database opens again");
    }

    /// A push, as the push endpoint hands it to the writer: one transaction.
    async fn receive(&self, entries: &[OutboxEntry]) -> Vec<EntryResult> {
        let push = Push {
            actor: self.actor.clone(),
            unit_id: self.unit_id,
            entries: entries.to_vec(),
            actions: entries.iter().map(|e| e.check().unwrap()).collect(),
        };
        let mut tx = self.db.writer.begin().await.unwrap();
        let (results, _) = field::apply_push(&mut tx, &push, 1_764_000_000_000, Mode::Together)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        results
    }

    /// What the hub recorded for a device: each number's action id and outcome, in order.
    async fn processed(&self, client_id: &str) -> Vec<(u64, String, Outcome)> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT seq, entry_id, outcome FROM processed_entries WHERE client_id = ? ORDER BY seq",
        )
        .bind(client_id)
        .fetch_all(reader(&self.db))
        .await
        .unwrap();
        rows.into_iter()
            .map(|(seq, id, outcome)| {
                let outcome = match outcome.as_str() {
                    "applied" => Outcome::Applied,
                    _ => Outcome::Rejected,
                };
                (seq as u64, id, outcome)
            })
            .collect()
    }

    /// How many notes each of these action ids added.
    async fn notes(&self, ids: &[String]) -> BTreeMap<String, i64> {
        let mut counts = BTreeMap::new();
        for id in ids {
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM notes WHERE entry_id = ?")
                .bind(id)
                .fetch_one(reader(&self.db))
                .await
                .unwrap();
            counts.insert(id.clone(), count);
        }
        counts
    }
}

/// The hub's reading pool, to check what it stored.
fn reader(db: &db::Db) -> &sqlx::SqlitePool {
    match &db.reader {
        db::Pool::Sqlite(pool) => pool,
        _ => unreachable!("the simulation reads a SQLite file through its pool"),
    }
}

/// A device: its number, its durable outbox, what it created and what it was told.
struct Device {
    client_id: String,
    next_seq: u64,
    pending: Vec<OutboxEntry>,
    created: Vec<OutboxEntry>,
    settled: BTreeMap<u64, Outcome>,
}

impl Device {
    fn new() -> Device {
        Device {
            client_id: uuid::Uuid::new_v4().to_string(),
            next_seq: 1,
            pending: Vec::new(),
            created: Vec::new(),
            settled: BTreeMap::new(),
        }
    }

    /// A field note on the unit's call; every seventh action acknowledges an assignment that
    /// does not exist, which the hub refuses.
    fn act(&mut self, n: u32, incident_id: i64) {
        let (kind, payload) = if n.is_multiple_of(7) {
            (
                ActionKind::Acknowledge,
                serde_json::json!({"assignment_id": 999_999}),
            )
        } else {
            let text = format!("note {n}");
            (
                ActionKind::FieldNote,
                serde_json::json!({"incident_id": incident_id, "text": text}),
            )
        };
        let entry = OutboxEntry {
            client_id: self.client_id.clone(),
            seq: self.next_seq,
            id: uuid::Uuid::new_v4().to_string(),
            at: 1_764_000_000_000 + i64::from(n),
            kind,
            payload,
        };
        self.next_seq += 1;
        self.pending.push(entry.clone());
        self.created.push(entry);
    }

    fn batch(&self, max: usize) -> Vec<OutboxEntry> {
        self.pending.iter().take(max).cloned().collect()
    }

    /// The hub's answers, settled as the app's store settles them.
    fn hear(&mut self, results: &[EntryResult]) {
        for result in results.iter().filter(|r| r.is_settled()) {
            let outcome = if took_effect(result) {
                Outcome::Applied
            } else {
                Outcome::Rejected
            };
            if let Some(before) = self.settled.insert(result.seq, outcome) {
                assert_eq!(
                    before, outcome,
                    "the hub changed its answer for seq {}",
                    result.seq
                );
            }
            if let Some(at) = self
                .pending
                .iter()
                .position(|e| sync::settle(e, result).is_some())
            {
                let entry = self.pending.remove(at);
                let settlement = sync::settle(&entry, result);
                assert_eq!(
                    settlement == Some(Settlement::Delivered),
                    outcome == Outcome::Applied
                );
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Message {
    Push {
        device: usize,
        entries: Vec<OutboxEntry>,
    },
    Reply {
        device: usize,
        results: Vec<EntryResult>,
    },
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

async fn deliver(message: Message, hub: &Hub, devices: &mut [Device], network: &mut Vec<Message>) {
    match message {
        Message::Push { device, entries } => {
            let results = hub.receive(&entries).await;
            network.push(Message::Reply { device, results });
        }
        Message::Reply { device, results } => devices[device].hear(&results),
    }
}

async fn run(hub: &mut Hub, count: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut devices: Vec<Device> = (0..count).map(|_| Device::new()).collect();
    let mut network: Vec<Message> = Vec::new();
    let mut next_action = 1u32;
    for op in ops {
        match op {
            Op::Act(d) => {
                devices[d].act(next_action, hub.incident_id);
                next_action += 1;
            }
            Op::Send(d, n) => {
                let entries = devices[d].batch(n);
                if !entries.is_empty() {
                    network.push(Message::Push { device: d, entries });
                }
            }
            Op::Deliver(i) if !network.is_empty() => {
                let message = network.remove(i % network.len());
                deliver(message, hub, &mut devices, &mut network).await;
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
                network.retain(|m| matches!(m, Message::Reply { .. }));
                hub.restart().await;
            }
            Op::Deliver(_) | Op::Duplicate(_) | Op::Drop(_) => {}
        }
    }

    // The network heals: old messages may still arrive, then devices drain their outboxes.
    while let Some(message) = network.pop() {
        deliver(message, hub, &mut devices, &mut network).await;
    }
    for round in 0.. {
        prop_assert!(round < 1000, "outboxes did not drain");
        let mut sent = false;
        for device in &mut devices {
            let entries = device.batch(4);
            if !entries.is_empty() {
                sent = true;
                let results = hub.receive(&entries).await;
                device.hear(&results);
            }
        }
        if !sent {
            break;
        }
    }

    for (d, device) in devices.iter().enumerate() {
        // Exactly once and in the device's order: numbers 1..=n, each its action, in order.
        let processed = hub.processed(&device.client_id).await;
        let order: Vec<(u64, &str)> = processed
            .iter()
            .map(|(s, id, _)| (*s, id.as_str()))
            .collect();
        let expected: Vec<(u64, &str)> = device
            .created
            .iter()
            .map(|e| (e.seq, e.id.as_str()))
            .collect();
        prop_assert_eq!(order, expected, "device {}", d);
        // Each note is in the incident once; refused actions changed nothing.
        let ids: Vec<String> = device.created.iter().map(|e| e.id.clone()).collect();
        let notes = hub.notes(&ids).await;
        for entry in &device.created {
            let wanted = i64::from(entry.kind == ActionKind::FieldNote);
            prop_assert_eq!(notes[&entry.id], wanted, "notes from action {}", &entry.id);
        }
        // Converged: the device knows the hub's outcome for every one of its actions.
        let hub_view: BTreeMap<u64, Outcome> = processed.iter().map(|(s, _, o)| (*s, *o)).collect();
        prop_assert_eq!(&device.settled, &hub_view, "device {}", d);
        prop_assert!(device.pending.is_empty());
    }
    Ok(())
}

#[test]
fn every_action_lands_exactly_once_in_order_through_the_hubs_own_push_path() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // In memory-backed storage where the machine has it: the same SQLite file format and
    // code, without waiting on the disk for each of the thousands of commits.
    let shm = std::path::Path::new("/dev/shm");
    let folder = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let hub = RefCell::new(runtime.block_on(Hub::open(folder.path().join("hub.db"))));
    let mut runner = TestRunner::new(Config {
        cases: 100,
        ..Config::default()
    });
    runner
        .run(&scenario(), |(count, ops)| {
            runtime.block_on(run(&mut hub.borrow_mut(), count, ops))
        })
        .unwrap();
    runtime.block_on(hub.borrow().db.close());
}
