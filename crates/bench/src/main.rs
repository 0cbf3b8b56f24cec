//! `tenfour-bench`: drives a running hub the way a fleet of devices and a dispatch centre
//! would, does the same to `pouchdb-server` when one is given, and prints what it measured
//! as Markdown tables. Benchmarks report; they never pass or fail.
//!
//! - `tenfour-bench seed FILE UNITS` writes an agency with UNITS units for `--seed`.
//! - `tenfour-bench run HUB_URL HUB_PID [POUCH_URL POUCH_PID]` runs every scenario.
//! - `tenfour-bench soak HUB_URL HUB_PID MINUTES UNITS` holds a fleet connected for minutes.
//! - `tenfour-bench scale LABEL URL PID [LABEL URL PID…]` measures ingest and field to board
//!   at 2,000 units for each setup (one hub on SQLite, on PostgreSQL, several behind nginx)
//!   and prints them side by side.
//! - `tenfour-bench history DB` writes a simulated year into the bench agency (hub stopped);
//!   `tenfour-bench first-sync HUB_URL` times a new device's first pull.
//! - `tenfour-bench ingest HUB_URL` measures ingest alone (unbatched, then batched), for
//!   profiling the hub's write path.

mod history;
mod soak;
mod wire;

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenfour_protocol::wire::{PushResponse, SessionInfo};

const PASSWORD: &str = "bench-password";
const FANOUT_LEVELS: [usize; 4] = [100, 1000, 2000, 10_000];
/// Units in the position, emergency and past-one-machine scenarios.
const FLEET: usize = 2000;
/// Devices pushing at once in the ingest scenario.
const INGEST_DEVICES: usize = 16;
/// Ingest runs a setting, of which the median is the figure: one run on this machine varies by
/// a quarter from the next.
const INGEST_RUNS: usize = 5;
/// Field updates per fan-out level: 50 a second across the fleet for 6 seconds.
const FANOUT_UPDATES: usize = 300;
/// How long a fan-out level may take before the rest of its updates count as not delivered.
const FANOUT_BUDGET: Duration = Duration::from_secs(60);
/// The CouchDB database the PouchDB side writes to.
const POUCH_DB: &str = "bench";

type Result<T> = std::result::Result<T, String>;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pid = |i: usize| args.get(i).and_then(|p| p.parse().ok()).unwrap_or(0);
    let outcome = match args.first().map(String::as_str) {
        Some("seed") if args.len() == 3 => seed(&args[1], args[2].parse().unwrap_or(2000)),
        Some("run") if args.len() == 3 || args.len() == 5 => {
            let pouch = args.get(3).map(|url| (url.as_str(), pid(4)));
            run(&args[1], pid(2), pouch).await
        }
        Some("soak") if args.len() == 5 => {
            let minutes = args[3].parse().unwrap_or(30);
            let units = args[4].parse().unwrap_or(2000);
            soak::soak(&args[1], pid(2), minutes, units).await
        }
        Some("scale") if args.len() >= 4 && (args.len() - 1).is_multiple_of(3) => {
            let setups: Vec<(&str, &str, u32)> = args[1..]
                .chunks(3)
                .map(|s| (s[0].as_str(), s[1].as_str(), s[2].parse().unwrap_or(0)))
                .collect();
            scale(&setups).await
        }
        Some("ingest") if args.len() == 2 => ingest_only(&args[1]).await,
        Some("history") if args.len() == 2 => history::write_year(&args[1]).await,
        Some("first-sync") if args.len() == 2 => history::first_sync(&args[1]).await,
        Some("log") if args.len() == 2 => history::log_size(&args[1]).await,
        _ => Err(
            "usage: tenfour-bench seed FILE UNITS | run HUB_URL HUB_PID [POUCH_URL POUCH_PID] \
             | soak HUB_URL HUB_PID MINUTES UNITS | scale LABEL URL PID… | history DB \
             | first-sync HUB_URL | log DB | ingest HUB_URL"
                .into(),
        ),
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

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What is measured: the tenfour hub, or pouchdb-server doing the same work the way a
/// JavaScript team would do it (status documents written with `_bulk_docs`, everyone
/// following the database's continuous `_changes` feed).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Hub,
    Pouch,
}

#[derive(Clone)]
struct Server {
    kind: Kind,
    url: String,
    pid: u32,
    http: reqwest::Client,
}

impl Server {
    fn new(kind: Kind, url: &str, pid: u32) -> Result<Server> {
        Ok(Server {
            kind,
            url: url.trim_end_matches('/').to_owned(),
            pid,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .map_err(|e| e.to_string())?,
        })
    }

    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Hub => "tenfour",
            Kind::Pouch => "pouchdb-server",
        }
    }

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

    /// A device per unit: signed in on the hub; on pouchdb-server, which has no sessions
    /// here, just the unit's callsign. The last one is the dispatcher's.
    async fn devices(&self, units: usize) -> Result<Vec<Device>> {
        let started = Instant::now();
        let mut devices = Vec::with_capacity(units + 1);
        let indices: Vec<usize> = (0..=units).collect();
        for chunk in indices.chunks(16) {
            let signs = chunk.iter().map(|&i| {
                let server = self.clone();
                async move {
                    let (user, unit) = match i == units {
                        true => ("bench-dispatch", None),
                        false => ("bench-medic", Some(callsign(i))),
                    };
                    let token = match server.kind {
                        Kind::Hub => server.sign_in(user, unit.clone()).await?,
                        Kind::Pouch => String::new(),
                    };
                    Ok::<Device, String>(Device::new(token, unit.unwrap_or_default()))
                }
            });
            for device in join_all(signs).await {
                devices.push(device?);
            }
        }
        eprintln!(
            "{}: {units} units ready in {:.1} s",
            self.name(),
            started.elapsed().as_secs_f64()
        );
        Ok(devices)
    }

    /// Waits until the server answers (pouchdb-server prints nothing when it is up) and
    /// creates the database the PouchDB side writes to.
    async fn prepare(&self) -> Result<()> {
        if self.kind == Kind::Hub {
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.http.get(format!("{}/", self.url)).send().await {
                Ok(response) if response.status().is_success() => break,
                _ if Instant::now() > deadline => {
                    return Err(format!("pouchdb-server at {} never answered", self.url));
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let created = self
            .http
            .put(format!("{}/{POUCH_DB}", self.url))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        match created.status().is_success() {
            true => Ok(()),
            false => Err(format!("pouchdb-server: cannot create {POUCH_DB}")),
        }
    }

    /// Sends updates in one request and checks that the server has them for good.
    async fn push(&self, device: &Sender, updates: &[Update]) -> Result<()> {
        let request = self.push_request(device, updates);
        let mut http = self
            .http
            .post(format!("{}{}", self.url, request.path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request.body);
        if let Some(token) = &request.token {
            http = http.bearer_auth(token);
        }
        let response = http.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        self.check_push(status, &body)
    }

    /// The same, over the device's own lean connection (the ingest scenario).
    async fn push_over(
        &self,
        connection: &mut wire::Connection,
        device: &Sender,
        updates: &[Update],
    ) -> Result<()> {
        let request = self.push_request(device, updates);
        let (status, body) = connection.post(&request).await?;
        self.check_push(status, &body)
    }

    /// The request that sends updates: the hub's push, or pouchdb-server's `_bulk_docs`.
    fn push_request(&self, device: &Sender, updates: &[Update]) -> wire::Request {
        match self.kind {
            Kind::Hub => {
                let entries: Vec<Value> = updates
                    .iter()
                    .map(|u| {
                        let (kind, payload) = match u.status {
                            "emergency" | "emergency_cancel" => (u.status, json!({})),
                            // A unit moving through Florence, a few metres a report.
                            "position" => (
                                "position",
                                json!({"location": {
                                    "latitude": 43.77 + (u.seq % 500) as f64 * 0.00005,
                                    "longitude": 11.25, "accuracy_m": 8.0}}),
                            ),
                            status => ("status", json!({"status": status})),
                        };
                        json!({
                            "client_id": device.client_id, "seq": u.seq, "id": u.id, "at": u.at,
                            "kind": kind, "payload": payload,
                        })
                    })
                    .collect();
                wire::Request {
                    path: "/api/sync/push".into(),
                    token: Some(device.token.clone()),
                    body: json!({"entries": entries}).to_string().into_bytes(),
                }
            }
            Kind::Pouch => {
                let docs: Vec<Value> = updates
                    .iter()
                    .map(|u| {
                        json!({
                            "_id": u.id, "type": "status", "unit": device.unit,
                            "client_id": device.client_id, "seq": u.seq, "at": u.at,
                            "status": u.status,
                        })
                    })
                    .collect();
                wire::Request {
                    path: format!("/{POUCH_DB}/_bulk_docs"),
                    token: None,
                    body: json!({"docs": docs}).to_string().into_bytes(),
                }
            }
        }
    }

    /// Whether the server's answer to a push says it has every update for good.
    fn check_push(&self, status: u16, body: &[u8]) -> Result<()> {
        if !(200..300).contains(&status) {
            return Err(format!(
                "{} push: {status} {}",
                self.name(),
                String::from_utf8_lossy(body)
            ));
        }
        let all_kept = match self.kind {
            Kind::Hub => {
                let answer: PushResponse =
                    serde_json::from_slice(body).map_err(|e| e.to_string())?;
                answer.results.iter().all(|r| r.is_settled())
            }
            Kind::Pouch => {
                let answer: Vec<Value> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
                answer.iter().all(|r| r["ok"] == true)
            }
        };
        match all_kept {
            true => Ok(()),
            false => Err(format!("{}: a push was not kept", self.name())),
        }
    }

    /// Opens the device's live feed: the hub's stream, or the database's continuous
    /// `_changes` feed with the documents.
    async fn listen(&self, device: &Sender) -> Result<reqwest::Response> {
        let request = match self.kind {
            Kind::Hub => self
                .http
                .get(format!("{}/api/sync/stream", self.url))
                .bearer_auth(&device.token),
            Kind::Pouch => self.http.get(format!(
                "{}/{POUCH_DB}/_changes?feed=continuous&since=now&include_docs=true&heartbeat=10000",
                self.url
            )),
        };
        let response = request.send().await.map_err(|e| {
            let mut message = format!("{}: cannot open a feed: {e}", self.name());
            let mut cause = std::error::Error::source(&e);
            while let Some(inner) = cause {
                message.push_str(&format!(": {inner}"));
                cause = inner.source();
            }
            message
        })?;
        match response.status().is_success() {
            true => Ok(response),
            false => Err(format!(
                "{}: feed refused: {}",
                self.name(),
                response.status()
            )),
        }
    }

    /// Takes the complete messages off the front of a feed's buffer and returns the ids of
    /// the status updates among them.
    fn arrived(&self, buffer: &mut String) -> Vec<String> {
        let (separator, mut ids) = match self.kind {
            Kind::Hub => ("\n\n", Vec::new()),
            Kind::Pouch => ("\n", Vec::new()),
        };
        while let Some(end) = buffer.find(separator) {
            let message: String = buffer.drain(..end + separator.len()).collect();
            let data = match self.kind {
                Kind::Hub => message.lines().find_map(|l| l.strip_prefix("data: ")),
                Kind::Pouch => Some(message.trim()),
            };
            let Some(Ok(change)) = data.map(serde_json::from_str::<Value>) else {
                continue;
            };
            let id = match self.kind {
                Kind::Hub if change["type"] == "field_event" => &change["data"]["entry_id"],
                Kind::Hub => continue,
                Kind::Pouch => &change["id"],
            };
            if let Some(id) = id.as_str() {
                ids.push(id.to_owned());
            }
        }
        ids
    }
}

struct Update {
    id: String,
    seq: u64,
    at: i64,
    /// A status, or "emergency" / "emergency_cancel" (the hub only).
    status: &'static str,
}

/// Who sends: the session, the unit and the device's id.
struct Sender {
    token: String,
    unit: String,
    client_id: String,
}

/// One simulated device: who it is, its counter, and the unit's status, toggled between two
/// statuses that may always follow each other.
struct Device {
    sender: Arc<Sender>,
    seq: u64,
    in_service: bool,
    in_emergency: bool,
}

impl Device {
    fn new(token: String, unit: String) -> Device {
        let client_id = uuid::Uuid::new_v4().to_string();
        Device {
            sender: Arc::new(Sender {
                token,
                unit,
                client_id,
            }),
            seq: 0,
            in_service: true,
            in_emergency: false,
        }
    }

    /// The emergency button, then its cancel, alternately.
    fn next_emergency(&mut self) -> Update {
        self.seq += 1;
        self.in_emergency = !self.in_emergency;
        Update {
            id: uuid::Uuid::new_v4().to_string(),
            seq: self.seq,
            at: now_ms(),
            status: match self.in_emergency {
                true => "emergency",
                false => "emergency_cancel",
            },
        }
    }

    /// The next position report.
    fn next_position(&mut self) -> Update {
        self.seq += 1;
        Update {
            id: uuid::Uuid::new_v4().to_string(),
            seq: self.seq,
            at: now_ms(),
            status: "position",
        }
    }

    fn updates(&mut self, count: usize) -> Vec<Update> {
        (0..count).map(|_| self.next()).collect()
    }

    /// The next status update (available and out of service alternate).
    fn next(&mut self) -> Update {
        self.seq += 1;
        self.in_service = !self.in_service;
        Update {
            id: uuid::Uuid::new_v4().to_string(),
            seq: self.seq,
            at: now_ms(),
            status: match self.in_service {
                true => "available",
                false => "out_of_service",
            },
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// The machine's CPU time so far (all cores, every process), busy and in all, in ticks
/// (`/proc/stat`): what hubs, database, proxy and load generator share on one machine.
fn cpu_times() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|t| t.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let idle = ticks.get(3)? + ticks.get(4)?;
    let all: u64 = ticks.iter().take(8).sum();
    Some((all - idle, all))
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

/// Waits for every future (a small join_all, to avoid a dependency for one function).
async fn join_all<F, T>(futures: impl IntoIterator<Item = F>) -> Vec<T>
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

/// One server's figures, kept to print side by side.
#[derive(Default)]
struct Figures {
    /// Events per second, each run: unbatched, batched.
    ingest: Vec<Vec<f64>>,
    fanout: Vec<Result<Fanout>>,
    /// Seconds to drain 1,000 queued actions (the hub only).
    drain_seconds: Option<f64>,
    /// Resident size once every unit had signed in, before the feeds opened.
    rss_signed_in_kb: Option<u64>,
    /// The hub's emergency presses with every unit connected: units, figures.
    alarm: Option<(usize, Result<Fanout>)>,
    /// Position reports per second with every unit reporting at once: units, reports, rate.
    positions: Option<(usize, usize, f64)>,
}

struct Fanout {
    delivered: usize,
    p50: f64,
    p99: f64,
    max: f64,
    rss_per_unit_kb: Option<f64>,
    rss_kb: Option<u64>,
}

async fn run(hub_url: &str, hub_pid: u32, pouch: Option<(&str, u32)>) -> Result<()> {
    let hub = Server::new(Kind::Hub, hub_url, hub_pid)?;
    let mut servers = vec![hub.clone()];
    if let Some((url, pid)) = pouch {
        servers.push(Server::new(Kind::Pouch, url, pid)?);
    }
    let max_units = *FANOUT_LEVELS.iter().max().unwrap_or(&100);
    let mut all = Vec::new();
    for server in &servers {
        server.prepare().await?;
        let mut devices = server.devices(max_units).await?;
        let dispatcher = devices.pop().ok_or("no dispatcher")?;
        let mut figures = Figures::default();
        // Ingest and drain run as further devices of units that also take part below.
        let fresh = |count: usize| -> Vec<Device> {
            devices[..count]
                .iter()
                .map(|d| Device::new(d.sender.token.clone(), d.sender.unit.clone()))
                .collect()
        };
        for (per_push, pushes) in [(1, 250), (50, 25)] {
            let mut rates = Vec::with_capacity(INGEST_RUNS);
            for _ in 0..INGEST_RUNS {
                // After the sign-ins (and each run), the server's own work winds down first.
                settle().await;
                let rate = ingest(server, fresh(INGEST_DEVICES), per_push, pushes).await?;
                eprintln!("  {rate:.0} events/s");
                rates.push(rate);
            }
            figures.ingest.push(rates);
        }
        if server.kind == Kind::Hub {
            let device = fresh(1).pop().ok_or("no device for the drain")?;
            figures.drain_seconds = Some(drain(server, device).await?);
            let units = FLEET.min(devices.len());
            let (reports, rate) = positions(server, fresh(units)).await?;
            eprintln!("  {rate:.0} position reports/s");
            figures.positions = Some((units, reports, rate));
        }
        // Memory per connected unit: against the server's size before any feed was open
        // (an allocator keeps what an earlier level freed, so a per-level delta would hide it).
        let baseline = rss_kb(server.pid);
        figures.rss_signed_in_kb = baseline;
        for &units in &FANOUT_LEVELS {
            // A server that cannot hold this many feeds is a figure too, not the end of the run.
            let level = fanout(server, &mut devices[..units], &dispatcher, baseline, false);
            let outcome = tokio::time::timeout(FANOUT_BUDGET * 3, level)
                .await
                .unwrap_or_else(|_| Err(format!("not done within {:?}", FANOUT_BUDGET * 3)));
            match &outcome {
                Ok(f) => eprintln!(
                    "  delivered {}/{FANOUT_UPDATES}, p50 {:.1} ms, p99 {:.1} ms",
                    f.delivered, f.p50, f.p99
                ),
                Err(message) => eprintln!("  {message}"),
            }
            figures.fanout.push(outcome);
        }
        if server.kind == Kind::Hub {
            // The emergency button with the whole fleet connected: press to the board's alarm.
            let units = FLEET.min(devices.len());
            let level = fanout(server, &mut devices[..units], &dispatcher, baseline, true);
            let outcome = tokio::time::timeout(FANOUT_BUDGET * 3, level)
                .await
                .unwrap_or_else(|_| Err(format!("not done within {:?}", FANOUT_BUDGET * 3)));
            figures.alarm = Some((units, outcome));
        }
        all.push(figures);
    }
    print_ingest(&servers, &all);
    if let Some(seconds) = all.first().and_then(|f| f.drain_seconds) {
        println!("\n### Reconnect drain\n");
        println!("| queued actions | seconds until all acknowledged |");
        println!("|---:|---:|");
        println!("| 1000 | {seconds:.2} |");
    }
    if let Some((units, reports, rate)) = all.first().and_then(|f| f.positions) {
        println!("\n### Position reports ({units} units reporting at once, one report a push)\n");
        println!("| reports | per second | a unit may report every (at this rate) |");
        println!("|---:|---:|---:|");
        println!(
            "| {reports} | {rate:.0} | {:.1} s |",
            units as f64 / rate.max(f64::MIN_POSITIVE)
        );
    }
    print_fanout(&servers, &all);
    if let Some((units, outcome)) = all.first().and_then(|f| f.alarm.as_ref()) {
        println!(
            "\n### Emergency button to the board's alarm ({units} units holding a live feed)\n"
        );
        println!("| presses | delivered | p50 ms | p99 ms | max ms |");
        println!("|---:|---:|---:|---:|---:|");
        match outcome {
            Ok(f) => println!(
                "| {FANOUT_UPDATES} | {} | {:.1} | {:.1} | {:.1} |",
                f.delivered, f.p50, f.p99, f.max
            ),
            Err(message) => println!("| {FANOUT_UPDATES} | failed: {message} | | | |"),
        }
    }
    Ok(())
}

/// The same load on each setup: ingest unbatched and batched, then field to board with
/// every unit holding a live feed, at the largest fan-out level.
async fn scale(setups: &[(&str, &str, u32)]) -> Result<()> {
    let units = FLEET;
    let mut rows = Vec::new();
    for &(label, url, pid) in setups {
        eprintln!("{label}:");
        let server = Server::new(Kind::Hub, url, pid)?;
        let mut devices = server.devices(units).await?;
        let dispatcher = devices.pop().ok_or("no dispatcher")?;
        let fresh = |count: usize| -> Vec<Device> {
            devices[..count]
                .iter()
                .map(|d| Device::new(d.sender.token.clone(), d.sender.unit.clone()))
                .collect()
        };
        let mut ingest_rates = Vec::new();
        for (per_push, pushes) in [(1, 250), (50, 25)] {
            let rate = ingest(&server, fresh(INGEST_DEVICES), per_push, pushes).await?;
            eprintln!("  {rate:.0} events/s");
            ingest_rates.push(rate);
        }
        let level = fanout(&server, &mut devices[..units], &dispatcher, None, false);
        let before = cpu_times();
        let outcome = tokio::time::timeout(FANOUT_BUDGET * 3, level)
            .await
            .unwrap_or_else(|_| Err(format!("not done within {:?}", FANOUT_BUDGET * 3)));
        let busy = before
            .zip(cpu_times())
            .map(|((busy0, all0), (busy1, all1))| {
                100.0 * (busy1 - busy0) as f64 / (all1 - all0).max(1) as f64
            });
        rows.push((label, ingest_rates, outcome, busy));
    }
    println!(
        "\n### One hub on SQLite, one on PostgreSQL, several behind nginx ({units} units, the \
         same load generator)\n"
    );
    println!(
        "| setup | ingest, 1 a push (events/s) | ingest, 50 a push (events/s) | field to board delivered | p50 ms | p99 ms | max ms | machine's CPU busy, field to board |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (label, rates, outcome, busy) in rows {
        let busy = busy.map_or_else(|| "n/a".into(), |b| format!("{b:.0} %"));
        let fanout = match outcome {
            Ok(f) => format!(
                "{}/{FANOUT_UPDATES} | {:.1} | {:.1} | {:.1}",
                f.delivered, f.p50, f.p99, f.max
            ),
            Err(message) => format!("failed: {message} | | |"),
        };
        println!(
            "| {label} | {:.0} | {:.0} | {fanout} | {busy} |",
            rates[0], rates[1]
        );
    }
    Ok(())
}

/// Ingest alone, unbatched then batched, on a hub seeded by `seed`.
async fn ingest_only(hub_url: &str) -> Result<()> {
    let server = Server::new(Kind::Hub, hub_url, 0)?;
    let devices = server.devices(INGEST_DEVICES).await?;
    for (per_push, pushes) in [(1, 250), (50, 25)] {
        let fresh = devices[..INGEST_DEVICES]
            .iter()
            .map(|d| Device::new(d.sender.token.clone(), d.sender.unit.clone()))
            .collect();
        let rate = ingest(&server, fresh, per_push, pushes).await?;
        println!("{per_push} a push: {rate:.0} events/s");
    }
    Ok(())
}

/// Waits (up to a minute) until the machine is nearly idle over half a second: what a server
/// still does after the load before (checkpointing its log, compacting) is not charged to the
/// next measurement.
async fn settle() {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some((busy, all)) = cpu_times() else {
            return;
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Some((busy_after, all_after)) = cpu_times() else {
            return;
        };
        let share = (busy_after - busy) as f64 / (all_after - all).max(1) as f64;
        if share < 0.10 {
            return;
        }
    }
}

/// The middle run of some (an odd number).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, 50.0)
}

/// Durable status events per second with `INGEST_DEVICES` devices pushing at once, each over
/// a lean keep-alive connection of its own (`wire`).
async fn ingest(
    server: &Server,
    devices: Vec<Device>,
    per_push: usize,
    pushes: usize,
) -> Result<f64> {
    eprintln!("{}: ingest, {per_push} per push", server.name());
    let started = Instant::now();
    let tasks = devices.into_iter().map(|mut device| {
        let server = server.clone();
        async move {
            let mut connection = wire::Connection::new(&server.url)?;
            for _ in 0..pushes {
                let updates = device.updates(per_push);
                server
                    .push_over(&mut connection, &device.sender, &updates)
                    .await?;
            }
            Ok::<usize, String>(per_push * pushes)
        }
    });
    let mut events = 0;
    for result in join_all(tasks).await {
        events += result?;
    }
    Ok(events as f64 / started.elapsed().as_secs_f64())
}

/// Every unit's device sends `POSITION_REPORTS` positions, one a push, all at once (as a
/// fleet on calls does every 15 s): position reports per second the hub keeps.
async fn positions(server: &Server, devices: Vec<Device>) -> Result<(usize, f64)> {
    const POSITION_REPORTS: usize = 5;
    eprintln!(
        "{}: {} units reporting positions",
        server.name(),
        devices.len()
    );
    let started = Instant::now();
    let tasks = devices.into_iter().map(|mut device| {
        let server = server.clone();
        async move {
            for _ in 0..POSITION_REPORTS {
                let report = device.next_position();
                server.push(&device.sender, &[report]).await?;
            }
            Ok::<usize, String>(POSITION_REPORTS)
        }
    });
    let mut reports = 0;
    for result in join_all(tasks).await {
        reports += result?;
    }
    Ok((reports, reports as f64 / started.elapsed().as_secs_f64()))
}

/// A device comes back with 1,000 queued actions and sends them as the app does (50 a
/// push); seconds until the hub has acknowledged them all.
async fn drain(hub: &Server, mut device: Device) -> Result<f64> {
    let started = Instant::now();
    for _ in 0..1000 / 50 {
        let updates = device.updates(50);
        hub.push(&device.sender, &updates).await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// The units' open feeds, each read by a task; closed when dropped, however the level ends.
struct Feeds(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Feeds {
    fn drop(&mut self) {
        for feed in &self.0 {
            feed.abort();
        }
    }
}

/// Every unit holds a live feed; the dispatcher's feed records when each update arrives.
async fn fanout(
    server: &Server,
    devices: &mut [Device],
    dispatcher: &Device,
    before: Option<u64>,
    emergency: bool,
) -> Result<Fanout> {
    let units = devices.len();
    eprintln!("{}: field to board, {units} units", server.name());
    // Feeds open 500 at a time (Node's accept backlog is 511): pouchdb-server answers a
    // continuous feed only with its first heartbeat, so one by one would take a heartbeat each.
    let mut feeds = Feeds(Vec::with_capacity(units));
    let open_by = tokio::time::Instant::now() + FANOUT_BUDGET;
    for group in devices.chunks(500) {
        let opening = group.iter().map(|device| {
            let (server, sender) = (server.clone(), device.sender.clone());
            async move { server.listen(&sender).await }
        });
        let opened = tokio::time::timeout_at(open_by, join_all(opening))
            .await
            .map_err(|_| format!("{units} feeds were not all open after {FANOUT_BUDGET:?}"))?;
        for opened in opened {
            let mut response = opened?;
            feeds.0.push(tokio::spawn(async move {
                while let Ok(Some(_)) = response.chunk().await {}
            }));
        }
    }
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let board = server.listen(&dispatcher.sender).await?;
    let after = rss_kb(server.pid);
    let lat_r = latencies.clone();
    let reader = follow_board(server.clone(), board, sent.clone(), move |ms| {
        if let Ok(mut l) = lat_r.lock() {
            l.push(ms);
        }
    });
    // Whatever the server manages within the budget is what it delivered.
    let deadline = tokio::time::Instant::now() + FANOUT_BUDGET;
    // In flight; dropped (so aborted) with this function however it ends.
    let mut pushes = tokio::task::JoinSet::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(20));
    for i in 0..FANOUT_UPDATES {
        ticker.tick().await;
        if tokio::time::Instant::now() > deadline {
            break;
        }
        let device = &mut devices[i % units];
        let update = match emergency {
            true => device.next_emergency(),
            false => device.next(),
        };
        let (server, sender, sent) = (server.clone(), device.sender.clone(), sent.clone());
        pushes.spawn(async move {
            if let Ok(mut s) = sent.lock() {
                s.insert(update.id.clone(), Instant::now());
            }
            server.push(&sender, &[update]).await
        });
        // A unit's numbering must stay gap-free: its next update waits for this one.
        if i % units == units - 1 {
            while let Ok(Some(_)) = tokio::time::timeout_at(deadline, pushes.join_next()).await {}
        }
    }
    while let Ok(Some(_)) = tokio::time::timeout_at(deadline, pushes.join_next()).await {}
    pushes.abort_all();
    // Then wait for the stragglers, at most 10 s.
    let straggling = Instant::now() + Duration::from_secs(10);
    let delivered = || latencies.lock().map(|l| l.len()).unwrap_or(0);
    while Instant::now() < straggling && delivered() < FANOUT_UPDATES {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    reader.abort();
    drop(feeds);
    let mut l = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    l.sort_by(|a, b| a.total_cmp(b));
    Ok(Fanout {
        delivered: l.len(),
        p50: percentile(&l, 50.0),
        p99: percentile(&l, 99.0),
        max: l.last().copied().unwrap_or(f64::NAN),
        rss_per_unit_kb: before
            .zip(after)
            .map(|(b, a)| (a as f64 - b as f64) / units as f64),
        rss_kb: after,
    })
}

/// Reads the dispatcher's feed and reports, for each update in `sent`, how long it took to
/// arrive (ms).
fn follow_board(
    server: Server,
    mut board: reqwest::Response,
    sent: Arc<Mutex<HashMap<String, Instant>>>,
    arrived_ms: impl Fn(f64) + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = board.chunk().await {
            let arrived = Instant::now();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            for id in server.arrived(&mut buffer) {
                if let Some(at) = sent.lock().ok().and_then(|mut s| s.remove(&id)) {
                    arrived_ms(arrived.duration_since(at).as_secs_f64() * 1000.0);
                }
            }
        }
    })
}

fn ratio(ours: f64, theirs: f64) -> String {
    match theirs > 0.0 && ours.is_finite() && theirs.is_finite() {
        true => format!("{:.2}", ours / theirs),
        false => "n/a".into(),
    }
}

fn print_ingest(servers: &[Server], all: &[Figures]) {
    println!(
        "\n### Ingest: durable status events per second ({INGEST_DEVICES} devices pushing at once)\n"
    );
    let names: Vec<&str> = servers.iter().map(Server::name).collect();
    println!(
        "| pushes | {} | tenfour / pouchdb-server |",
        names.join(" | ")
    );
    println!("|---|{}---:|", "---:|".repeat(names.len()));
    for (row, label) in ["1 update a push (unbatched)", "50 updates a push (batched)"]
        .iter()
        .enumerate()
    {
        let values: Vec<f64> = all.iter().map(|f| median(&f.ingest[row])).collect();
        let cells: Vec<String> = values.iter().map(|v| format!("{v:.0}")).collect();
        let compared = match values[..] {
            [ours, theirs] => ratio(ours, theirs),
            _ => "n/a".into(),
        };
        println!("| {label} | {} | {compared} |", cells.join(" | "));
    }
    println!(
        "\nEach figure is the median of {INGEST_RUNS} runs, each after the machine had settled:\n"
    );
    for (server, figures) in servers.iter().zip(all) {
        for (label, rates) in ["unbatched", "batched"].iter().zip(&figures.ingest) {
            let runs: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
            println!("- {}, {label}: {}", server.name(), runs.join(" · "));
        }
    }
}

fn print_fanout(servers: &[Server], all: &[Figures]) {
    println!(
        "\n### Field to board: push to the dispatcher's feed, every unit holding a live feed\n"
    );
    println!(
        "| units | server | delivered | p50 ms | p99 ms | max ms | resident | per connected unit | p99 tenfour / pouchdb-server |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for (level, &units) in FANOUT_LEVELS.iter().enumerate() {
        let ours = all.first().and_then(|f| f.fanout.get(level)?.as_ref().ok());
        for (server, figures) in servers.iter().zip(all) {
            let name = server.name();
            match figures.fanout.get(level) {
                Some(Ok(f)) => {
                    let compared = match (server.kind, ours) {
                        (Kind::Pouch, Some(ours)) => ratio(ours.p99, f.p99),
                        _ => String::new(),
                    };
                    let per_unit = f.rss_per_unit_kb.map_or("n/a".into(), |kb| match kb > 0.0 {
                        true => format!("{kb:.1} KB"),
                        // The allocator reused what the sign-ins had freed.
                        false => "none above the size before".into(),
                    });
                    let rss = f
                        .rss_kb
                        .map_or("n/a".into(), |kb| format!("{:.0} MB", kb as f64 / 1024.0));
                    println!(
                        "| {units} | {name} | {}/{FANOUT_UPDATES} | {:.1} | {:.1} | {:.1} | {rss} | {per_unit} | {compared} |",
                        f.delivered, f.p50, f.p99, f.max,
                    );
                }
                Some(Err(message)) => {
                    println!("| {units} | {name} | failed: {message} | | | | | | |");
                }
                None => {}
            }
        }
    }
    for (server, figures) in servers.iter().zip(all) {
        if let Some(kb) = figures.rss_signed_in_kb {
            println!(
                "\n{} resident before any feed opened: {:.0} MB.",
                server.name(),
                kb as f64 / 1024.0
            );
        }
    }
}
