//! Chaos across hubs. Devices push through nginx (the repository's `deploy/nginx.conf`) to
//! three hubs on one PostgreSQL database while one hub is SIGKILLed and later restarted and
//! PostgreSQL itself restarts. Every action applies exactly once, in each device's order,
//! and a dispatcher following the live stream through nginx, reconnecting with
//! `Last-Event-ID` to whichever hub nginx picks, misses nothing and sees nothing twice.
//!
//! Built only with the `postgres-tests` feature. `cargo xtask test postgres` runs it with
//! `TENFOUR_TEST_POSTGRES` (the server), `TENFOUR_TEST_POSTGRES_RESTART` (a command that
//! restarts it) and `TENFOUR_TEST_NGINX` (the nginx program).

mod common;

// Named so that the native layer, which has no PostgreSQL server, can leave these to the
// postgres layer while both share one build (`cargo test -- --skip needs_postgres::`).
mod needs_postgres {
    use super::common;

    use common::{Client, Device, TestHub, query};
    use reqwest::Method;
    use serde_json::{Value, json};
    use std::collections::{BTreeMap, HashSet};
    use std::process::{Child, Command, Stdio};
    use std::sync::Arc;
    use std::time::Duration;
    use tenfour_protocol::wire::{Board, Outcome, PushResponse};
    use tokio::sync::{Mutex, watch};

    /// Notes each device sends, a few to a push.
    const NOTES: usize = 40;
    const PER_PUSH: usize = 4;
    /// However the faults fall, everything is through within this.
    const WITHIN: Duration = Duration::from_secs(120);

    /// nginx in front of the hubs, with the repository's configuration.
    struct Nginx {
        child: Child,
        url: String,
        _state: tempfile::TempDir,
    }

    impl Nginx {
        fn start(hubs: &[&TestHub]) -> Nginx {
            let program = std::env::var("TENFOUR_TEST_NGINX")
                .expect("TENFOUR_TEST_NGINX names nginx (cargo xtask test postgres)");
            let state = tempfile::tempdir().unwrap();
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let template = std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../deploy/nginx.conf"
            ))
            .unwrap();
            let upstreams: String = hubs
                .iter()
                .map(|hub| {
                    format!(
                        "        server {} max_fails=1 fail_timeout=5s;\n",
                        hub.url.trim_start_matches("http://")
                    )
                })
                .collect();
            let config = template
                .replace("@STATE@", &state.path().display().to_string())
                .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
                .replace("@UPSTREAMS@\n", &upstreams);
            let path = state.path().join("nginx.conf");
            std::fs::write(&path, config).unwrap();
            // Its log goes to the state folder; nothing it starts may hold the test's output.
            let child = Command::new(program)
                .arg("-c")
                .arg(&path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start nginx");
            // nginx says nothing when it is ready: its port accepting is the sign.
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(std::time::Instant::now() < deadline, "nginx listens");
                std::thread::sleep(Duration::from_millis(20));
            }
            Nginx {
                child,
                url: format!("http://127.0.0.1:{port}"),
                _state: state,
            }
        }
    }

    impl Drop for Nginx {
        /// TERM, not KILL: the master stops its workers before it exits.
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let _ = self.child.wait();
        }
    }

    fn restart_postgres() {
        let command = std::env::var("TENFOUR_TEST_POSTGRES_RESTART").expect(
            "TENFOUR_TEST_POSTGRES_RESTART restarts the server (cargo xtask test postgres)",
        );
        let status = Command::new("sh").arg("-c").arg(&command).status().unwrap();
        assert!(status.success(), "PostgreSQL restarted: {command}");
    }

    /// A device's outbox: entries are sent in order, a few at a time, and each stays until the
    /// hub has answered for it (applied now or before); any failure is retried as it was.
    async fn send_all(
        client: Client,
        entries: Vec<Value>,
        acknowledged: Arc<watch::Sender<usize>>,
    ) {
        let mut pending: &[Value] = &entries;
        while !pending.is_empty() {
            let batch = &pending[..PER_PUSH.min(pending.len())];
            let answer = client
                .request(Method::POST, "/api/sync/push")
                .json(&json!({"entries": batch}))
                .timeout(Duration::from_secs(10))
                .send()
                .await;
            let response: Option<PushResponse> = match answer {
                Ok(r) if r.status().is_success() => r.json().await.ok(),
                _ => None,
            };
            let Some(response) = response else {
                // A hub gone, a database restarting: the next try may reach another hub.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let settled = response
                .results
                .iter()
                .take_while(|r| matches!(r.outcome, Outcome::Applied | Outcome::Duplicate))
                .count();
            for result in &response.results[..settled] {
                if result.outcome == Outcome::Duplicate {
                    assert_eq!(result.original, Some(Outcome::Applied), "{result:?}");
                }
            }
            assert!(
                response.results[settled..]
                    .iter()
                    .all(|r| r.outcome != Outcome::Rejected),
                "nothing is refused: {:?}",
                response.results
            );
            acknowledged.send_modify(|n| *n += settled);
            pending = &pending[settled..];
        }
    }

    /// Follows the dispatcher's stream through nginx until every wanted entry has come, starting
    /// again with `Last-Event-ID` whenever the connection ends; the changes, in arrival order.
    async fn follow(
        dispatch: Client,
        since: u64,
        wanted: HashSet<String>,
        seen: Arc<Mutex<Vec<(u64, Value)>>>,
    ) {
        let mut last = since;
        loop {
            let response = dispatch
                .request(Method::GET, "/api/sync/stream")
                .header("last-event-id", last.to_string())
                .send()
                .await;
            let Ok(mut response) = response.map_err(drop).and_then(|r| match r.status() {
                s if s.is_success() => Ok(r),
                _ => Err(()),
            }) else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let id = block.lines().find_map(|l| l.strip_prefix("id: "));
                    let data = block.lines().find_map(|l| l.strip_prefix("data: "));
                    let is_change = block.lines().any(|l| l == "event: change");
                    if let (true, Some(id), Some(data)) = (is_change, id, data) {
                        let cursor: u64 = id.parse().unwrap();
                        last = cursor;
                        let change: Value = serde_json::from_str(data).unwrap();
                        let mut seen = seen.lock().await;
                        seen.push((cursor, change));
                        let arrived: HashSet<&str> = seen
                            .iter()
                            .filter_map(|(_, c)| c["data"]["entry_id"].as_str())
                            .collect();
                        if wanted.iter().all(|w| arrived.contains(w.as_str())) {
                            return;
                        }
                    }
                }
            }
        }
    }

    #[tokio::test]
    async fn devices_behind_nginx_lose_nothing_when_a_hub_and_the_database_go_down() {
        let first = TestHub::start();
        assert!(first.is_postgres(), "run with TENFOUR_TEST_POSTGRES");
        let mut second = TestHub::start_beside(&first);
        let third = TestHub::start_beside(&first);
        let nginx = Nginx::start(&[&first, &second, &third]);
        let through = |client: Client| Client {
            base: nginx.url.clone(),
            ..client
        };

        let dispatch = through(first.sign_in("dispatch", None).await);
        let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
        // Three crews on calls, each with a device of its own.
        let crews = [("medic1", "M12"), ("officer1", "P7"), ("officer2", "P9")];
        let mut devices = Vec::new();
        let mut wanted = HashSet::new();
        for (user, unit) in crews {
            let call = board
                .incidents
                .iter()
                .find(|i| i.assignments.iter().any(|a| a.callsign == unit))
                .unwrap()
                .id;
            let client = through(first.sign_in(user, Some(unit)).await);
            let mut device = Device::new();
            let entries: Vec<Value> = (0..NOTES)
                .map(|i| {
                    device.entry(
                        "field_note",
                        json!({"incident_id": call, "text": format!("{unit} note {i}")}),
                    )
                })
                .collect();
            wanted.extend(entries.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
            devices.push((unit, client, entries));
        }
        let total = wanted.len();

        let seen: Arc<Mutex<Vec<(u64, Value)>>> = Arc::default();
        let follower = tokio::spawn(follow(
            dispatch.clone(),
            board.cursor,
            wanted.clone(),
            seen.clone(),
        ));
        let acknowledged = Arc::new(watch::Sender::new(0_usize));
        let senders: Vec<_> = devices
            .iter()
            .map(|(_, client, entries)| {
                tokio::spawn(send_all(
                    client.clone(),
                    entries.clone(),
                    acknowledged.clone(),
                ))
            })
            .collect();

        let faults = async {
            // Each fault once a share of the actions is through.
            let reached = |share: usize| {
                let mut progress = acknowledged.subscribe();
                async move {
                    let _ = progress.wait_for(|n| *n >= total * share / 4).await;
                }
            };
            reached(1).await;
            second.kill();
            reached(2).await;
            tokio::task::spawn_blocking(restart_postgres).await.unwrap();
            reached(3).await;
            tokio::task::spawn_blocking(move || {
                second.restart();
                second
            })
            .await
            .unwrap()
        };
        let everything = async {
            let second = faults.await;
            for sender in senders {
                sender.await.unwrap();
            }
            follower.await.unwrap();
            second
        };
        let _second = tokio::time::timeout(WITHIN, everything)
            .await
            .expect("every action acknowledged and followed in time");

        // Exactly once, in each device's order.
        for (unit, _, _) in &devices {
            let texts: Vec<String> = query(
                &first,
                &format!(
                    "SELECT n.text FROM notes n JOIN units u ON u.id = n.unit_id
                 WHERE u.callsign = '{unit}' AND n.source = 'field' ORDER BY n.id"
                ),
            )
            .await
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
            let expected: Vec<String> = (0..NOTES).map(|i| format!("{unit} note {i}")).collect();
            assert_eq!(texts, expected, "{unit}: each note once, in order");
        }
        // The follower: every change once, in cursor order, whichever hub served it.
        let seen = seen.lock().await;
        let cursors: Vec<u64> = seen.iter().map(|(c, _)| *c).collect();
        assert!(
            cursors.windows(2).all(|w| w[0] < w[1]),
            "no change twice, none out of order: {cursors:?}"
        );
        let mut per_entry: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, change) in seen.iter() {
            if let Some(id) = change["data"]["entry_id"].as_str() {
                *per_entry.entry(id).or_default() += 1;
            }
        }
        for id in &wanted {
            assert_eq!(
                per_entry.get(id.as_str()),
                Some(&1),
                "entry {id} followed once"
            );
        }
    }
}
