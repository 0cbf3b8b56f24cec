//! `tenfour-bench`: drives a running hub the way a fleet of devices and a dispatch centre
//! would, and prints what it measured as Markdown tables. Benchmarks report; they never
//! pass or fail.
//!
//! - `tenfour-bench seed FILE UNITS` writes an agency with UNITS units for `--seed`.
//! - `tenfour-bench run URL HUB_PID` runs every scenario against the hub at URL.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenfour_protocol::wire::{PushResponse, SessionInfo};

const PASSWORD: &str = "bench-password";
const FANOUT_LEVELS: [usize; 3] = [100, 1000, 2000];

type Result<T> = std::result::Result<T, String>;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("seed") if args.len() == 3 => seed(&args[1], args[2].parse().unwrap_or(2000)),
        Some("run") if args.len() == 3 => run(&args[1], args[2].parse().unwrap_or(0)).await,
        _ => Err("usage: tenfour-bench seed FILE UNITS | run URL HUB_PID".into()),
    };
    if let Err(message) = outcome {
        eprintln!("tenfour-bench: {message}");
        std::process::exit(1);
    }
}

fn callsign(i: usize) -> String {
    format!("B{i:04}")
}

fn seed(path: &str, units: usize) -> Result<()> {
    let document = json!({
        "slug": "bench",
        "name": "Benchmark Agency",
        "users": [
            {"username": "bench-dispatch", "display_name": "Bench Dispatch", "role": "dispatcher", "password": PASSWORD},
            {"username": "bench-medic", "display_name": "Bench Medic", "role": "responder", "password": PASSWORD},
        ],
        "units": (0..units).map(|i| json!({"callsign": callsign(i), "kind": "ems"})).collect::<Vec<_>>(),
    });
    std::fs::write(path, document.to_string()).map_err(|e| format!("cannot write {path}: {e}"))
}

#[derive(Clone)]
struct Hub {
    url: String,
    http: reqwest::Client,
}

impl Hub {
    async fn sign_in(&self, username: &str, unit: Option<String>) -> Result<String> {
        let response = self
            .http
            .post(format!("{}/api/session", self.url))
            .json(&json!({"username": username, "password": PASSWORD, "unit": unit}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let info: SessionInfo = response.json().await.map_err(|e| e.to_string())?;
        info.token.ok_or_else(|| "no token".into())
    }

    async fn push(&self, token: &str, entries: Vec<Value>) -> Result<PushResponse> {
        let response = self
            .http
            .post(format!("{}/api/sync/push", self.url))
            .bearer_auth(token)
            .json(&json!({"entries": entries}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!(
                "push: {}",
                response.text().await.unwrap_or_default()
            ));
        }
        response.json().await.map_err(|e| e.to_string())
    }

    async fn stream(&self, token: &str) -> Result<reqwest::Response> {
        self.http
            .get(format!("{}/api/sync/stream", self.url))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| e.to_string())
    }
}

/// One simulated device: its id, counter, and the unit's status to toggle between two
/// statuses that may always follow each other.
struct Device {
    token: String,
    client_id: String,
    seq: u64,
    in_service: bool,
}

impl Device {
    fn new(token: String) -> Device {
        Device {
            token,
            client_id: uuid::Uuid::new_v4().to_string(),
            seq: 0,
            in_service: true,
        }
    }

    /// The next status entry (available and out of service alternate).
    fn entry(&mut self) -> (String, Value) {
        self.seq += 1;
        self.in_service = !self.in_service;
        let status = if self.in_service {
            "available"
        } else {
            "out_of_service"
        };
        let id = uuid::Uuid::new_v4().to_string();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let entry = json!({
            "client_id": self.client_id, "seq": self.seq, "id": id, "at": now,
            "kind": "status", "payload": {"status": status},
        });
        (id, entry)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

async fn run(url: &str, hub_pid: u32) -> Result<()> {
    let hub = Hub {
        url: url.trim_end_matches('/').to_owned(),
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| e.to_string())?,
    };
    let max_units = *FANOUT_LEVELS.iter().max().unwrap_or(&100);
    eprintln!("signing in {max_units} unit sessions…");
    let started = Instant::now();
    let mut tokens = Vec::with_capacity(max_units);
    for chunk in (0..max_units).collect::<Vec<_>>().chunks(16) {
        let signs = chunk.iter().map(|&i| {
            let hub = hub.clone();
            async move { hub.sign_in("bench-medic", Some(callsign(i))).await }
        });
        for token in futures_join_all(signs).await {
            tokens.push(token?);
        }
    }
    eprintln!("signed in in {:.1} s", started.elapsed().as_secs_f64());

    ingest(&hub, &tokens[..16]).await?;
    drain(&hub, &tokens[16]).await?;
    fanout(&hub, &tokens, hub_pid).await?;
    Ok(())
}

/// Waits for every future (a small join_all, to avoid a dependency for one function).
async fn futures_join_all<F, T>(futures: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        if let Ok(value) = handle.await {
            out.push(value);
        }
    }
    out
}

/// Durable status events per second, one entry per push and 50 per push, 16 devices at once.
async fn ingest(hub: &Hub, tokens: &[String]) -> Result<()> {
    println!("\n### Ingest: durable status events per second (16 devices pushing at once)\n");
    println!("| pushes | events | seconds | events/s |");
    println!("|---|---:|---:|---:|");
    for (label, per_push, pushes_per_device) in [
        ("1 entry each (unbatched)", 1usize, 250usize),
        ("50 entries each (batched)", 50, 25),
    ] {
        let started = Instant::now();
        let tasks = tokens.iter().cloned().map(|token| {
            let hub = hub.clone();
            async move {
                let mut device = Device::new(token);
                for _ in 0..pushes_per_device {
                    let entries: Vec<Value> = (0..per_push).map(|_| device.entry().1).collect();
                    hub.push(&device.token, entries).await?;
                }
                Ok::<usize, String>(per_push * pushes_per_device)
            }
        });
        let mut events = 0;
        for result in futures_join_all(tasks).await {
            events += result?;
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "| {label} | {events} | {seconds:.2} | {:.0} |",
            events as f64 / seconds
        );
    }
    Ok(())
}

/// A device comes back with 1,000 queued actions and sends them as the app does (50 a push).
async fn drain(hub: &Hub, token: &str) -> Result<()> {
    let mut device = Device::new(token.to_owned());
    let queued: Vec<Value> = (0..1000).map(|_| device.entry().1).collect();
    let started = Instant::now();
    for batch in queued.chunks(50) {
        let response = hub.push(token, batch.to_vec()).await?;
        if response.results.iter().any(|r| !r.is_settled()) {
            return Err("drain: the hub did not settle a batch".into());
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("\n### Reconnect drain\n");
    println!("| queued actions | seconds until all acknowledged |");
    println!("|---:|---:|");
    println!("| 1000 | {seconds:.2} |");
    Ok(())
}

/// Units hold live streams; a dispatcher stream records when each field update arrives.
async fn fanout(hub: &Hub, tokens: &[String], hub_pid: u32) -> Result<()> {
    println!(
        "\n### Field to board: push to the dispatcher's stream, every unit holding a live stream\n"
    );
    println!("| units | updates | p50 ms | p99 ms | max ms | hub RSS per connected unit |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let dispatcher = hub.sign_in("bench-dispatch", None).await?;
    for &units in &FANOUT_LEVELS {
        let before = rss_kb(hub_pid);
        let mut streams = Vec::with_capacity(units);
        for token in &tokens[..units] {
            let mut response = hub.stream(token).await?;
            streams.push(tokio::spawn(async move {
                while let Ok(Some(_)) = response.chunk().await {}
            }));
        }
        // Every unit's stream is open once its first keep-alive could flow; the dispatcher
        // stream is opened last and read below.
        let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
        let mut board = hub.stream(&dispatcher).await?;
        let after = rss_kb(hub_pid);
        let (sent_r, lat_r) = (sent.clone(), latencies.clone());
        let reader = tokio::spawn(async move {
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = board.chunk().await {
                let arrived = Instant::now();
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else {
                        continue;
                    };
                    let Ok(change) = serde_json::from_str::<Value>(data) else {
                        continue;
                    };
                    if change["type"] != "field_event" {
                        continue;
                    }
                    let id = change["data"]["entry_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    if let Some(at) = sent_r.lock().map(|mut s| s.remove(&id)).ok().flatten()
                        && let Ok(mut l) = lat_r.lock()
                    {
                        l.push(arrived.duration_since(at).as_secs_f64() * 1000.0);
                    }
                }
            }
        });
        // 50 updates a second across the fleet for 6 seconds.
        let updates = 300;
        let mut devices: Vec<Device> = tokens[..units].iter().cloned().map(Device::new).collect();
        let interval = Duration::from_millis(20);
        let mut ticker = tokio::time::interval(interval);
        let mut pushes = Vec::with_capacity(updates);
        for i in 0..updates {
            ticker.tick().await;
            let device = &mut devices[i % units];
            // A unit's device numbering must stay gap-free: each unit pushes in order.
            let (id, entry) = device.entry();
            let token = device.token.clone();
            let hub = hub.clone();
            let sent = sent.clone();
            pushes.push(tokio::spawn(async move {
                if let Ok(mut s) = sent.lock() {
                    s.insert(id, Instant::now());
                }
                hub.push(&token, vec![entry]).await
            }));
            // Keep one unit's pushes in order when it comes round again.
            if i + 1 >= units && i % units == units - 1 {
                for push in pushes.drain(..) {
                    let _ = push.await;
                }
            }
        }
        for push in pushes {
            let _ = push.await;
        }
        // Wait for the stragglers, at most 10 s.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && latencies.lock().map(|l| l.len()).unwrap_or(0) < updates
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        reader.abort();
        for stream in streams {
            stream.abort();
        }
        let mut l = latencies.lock().map(|l| l.clone()).unwrap_or_default();
        l.sort_by(|a, b| a.total_cmp(b));
        let per_unit = match (before, after) {
            (Some(b), Some(a)) => format!("{:.1} KB", a.saturating_sub(b) as f64 / units as f64),
            _ => "n/a".into(),
        };
        println!(
            "| {units} | {}/{updates} | {:.1} | {:.1} | {:.1} | {per_unit} |",
            l.len(),
            percentile(&l, 50.0),
            percentile(&l, 99.0),
            l.last().copied().unwrap_or(f64::NAN),
        );
    }
    Ok(())
}
