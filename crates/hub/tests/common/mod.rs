//! A real hub process for tests: its own SQLite file and app folder in a temporary directory,
//! listening on a free port, with the demo agency and a second agency ("other") seeded.
//!
//! With `TENFOUR_TEST_POSTGRES` set to a PostgreSQL server's URL (`postgres://USER@HOST:PORT`,
//! as `cargo xtask test postgres` sets it), each hub gets a new database of its own on that
//! server instead of the SQLite file: the same tests, on the other database.
#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const PASSWORD: &str = "tenfour-demo";

/// The second agency: nobody in "demo" may see or touch it, and the other way round.
const OTHER_AGENCY: &str = r#"{
  "slug": "other", "name": "Other Valley Dispatch",
  "users": [
    { "username": "other-dispatch", "display_name": "Olu Dispatch", "role": "dispatcher", "password": "tenfour-demo" },
    { "username": "other-medic", "display_name": "Oona Medic", "role": "responder", "password": "tenfour-demo" },
    { "username": "other-admin", "display_name": "Ola Admin", "role": "admin", "password": "tenfour-demo" }
  ],
  "units": [ { "callsign": "X1", "kind": "ems" } ],
  "incidents": [ { "incident": { "nature_code": "FALL", "priority": 3, "address": "1 Other Road",
                   "caller_notes": "Other agency's caller" }, "assign": ["X1"] } ]
}"#;

/// A new, empty database on the PostgreSQL server in `TENFOUR_TEST_POSTGRES`: its URL.
pub fn empty_postgres_database() -> String {
    let server = std::env::var("TENFOUR_TEST_POSTGRES")
        .expect("TENFOUR_TEST_POSTGRES names a PostgreSQL server (cargo xtask test postgres)");
    new_postgres_database(&server)
}

/// A new, empty database on the PostgreSQL server, named for this test: its URL.
fn new_postgres_database(server: &str) -> String {
    let server = server.trim_end_matches('/').to_owned();
    let name = format!("hub_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{server}/{name}");
    // Made on a thread of its own: the test may itself be running on a runtime.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                use sqlx::{Connection, Executor};
                let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                    .await
                    .expect("the PostgreSQL server in TENFOUR_TEST_POSTGRES answers");
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("a database for the test");
            })
    })
    .join()
    .unwrap();
    url
}

pub struct TestHub {
    child: Option<Child>,
    /// `--database`: the SQLite file, or the PostgreSQL database made for this hub.
    database: String,
    pub url: String,
    pub dir: tempfile::TempDir,
    extra_args: Vec<String>,
    /// Where the hub's log goes (debug level) instead of nowhere.
    log: Option<std::path::PathBuf>,
}

impl TestHub {
    /// Starts a hub with both agencies and no app files.
    pub fn start() -> TestHub {
        Self::start_with(&[], &[])
    }

    /// Starts a hub serving `dist_files`, with extra command-line arguments.
    pub fn start_with(dist_files: &[(&str, &[u8])], extra_args: &[&str]) -> TestHub {
        let database = match std::env::var("TENFOUR_TEST_POSTGRES") {
            Ok(server) if !server.is_empty() => Some(new_postgres_database(&server)),
            _ => None,
        };
        Self::start_on(database, dist_files, extra_args)
    }

    /// Starts a hub on a SQLite file of its own, whichever database the tests run on.
    pub fn start_on_sqlite() -> TestHub {
        Self::start_on(None, &[], &[])
    }

    /// Starts another hub on `first`'s database (PostgreSQL: hubs behind one load balancer),
    /// with a folder and a port of its own.
    pub fn start_beside(first: &TestHub) -> TestHub {
        Self::start_on_database(&first.database)
    }

    /// Starts a hub on this database (a SQLite file or a PostgreSQL URL).
    pub fn start_on_database(database: &str) -> TestHub {
        Self::start_on(Some(database.to_owned()), &[], &[])
    }

    /// `database` `None`: a SQLite file in the hub's folder.
    fn start_on(
        database: Option<String>,
        dist_files: &[(&str, &[u8])],
        extra_args: &[&str],
    ) -> TestHub {
        let dir = tempfile::tempdir().expect("temporary directory");
        let dist = dir.path().join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        for (name, content) in dist_files {
            let path = dist.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        std::fs::write(dir.path().join("other.json"), OTHER_AGENCY).unwrap();
        let database = database.unwrap_or_else(|| dir.path().join("hub.db").display().to_string());
        let mut hub = TestHub {
            child: None,
            database,
            url: String::new(),
            dir,
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
            log: None,
        };
        hub.launch(None);
        hub
    }

    /// `--database`: the SQLite file or the PostgreSQL URL.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Starts a hub whose debug log is written to `log`.
    pub fn start_logging(log: &std::path::Path) -> TestHub {
        let mut hub = TestHub::start();
        hub.kill();
        hub.log = Some(log.to_path_buf());
        hub.launch(None);
        hub
    }

    fn launch(&mut self, bind: Option<&str>) {
        let dir = self.dir.path();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tenfour-hub"))
            .arg("--bind")
            .arg(bind.unwrap_or("127.0.0.1:0"))
            .arg("--database")
            .arg(&self.database)
            .arg("--maps")
            .arg(dir.join("maps"))
            .arg("--dist")
            .arg(dir.join("dist"))
            .arg("--demo")
            .arg("--seed")
            .arg(dir.join("other.json"))
            .args(&self.extra_args)
            .env(
                "RUST_LOG",
                if self.log.is_some() { "debug" } else { "warn" },
            )
            .stdout(Stdio::piped())
            .stderr(match &self.log {
                Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
                None => Stdio::inherit(),
            })
            .spawn()
            .expect("start tenfour-hub");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // The hub prints this line only once it is listening: no sleep needed.
        let url = loop {
            let line = lines
                .next()
                .expect("hub exited before listening")
                .expect("read hub stdout");
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.to_owned();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        self.url = url;
        self.child = Some(child);
    }

    /// SIGKILL, as a crash or a power cut would stop it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the hub and starts it again on the same database and the same port.
    pub fn restart(&mut self) {
        self.kill();
        let addr = self.url.trim_start_matches("http://").to_owned();
        self.launch(Some(&addr));
    }

    /// Kills the hub and starts it again on the same database and port with other arguments.
    pub fn restart_with(&mut self, extra_args: &[&str]) {
        self.extra_args = extra_args.iter().map(|s| s.to_string()).collect();
        self.restart();
    }

    /// Whether this hub runs on PostgreSQL (`TENFOUR_TEST_POSTGRES`) rather than SQLite.
    pub fn is_postgres(&self) -> bool {
        self.database.starts_with("postgres://")
    }

    /// Runs one statement on the hub's database beside the running hub, as another program
    /// with access to it could (SQLite in WAL mode takes it, as PostgreSQL does).
    pub async fn execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        use sqlx::Connection;
        if self.database.starts_with("postgres://") {
            let mut conn = sqlx::PgConnection::connect(&self.database).await?;
            Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
        } else {
            let url = format!("sqlite://{}", self.database);
            let mut conn = sqlx::SqliteConnection::connect(&url).await?;
            Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
        }
    }

    pub fn anonymous(&self) -> Client {
        Client {
            base: self.url.clone(),
            token: None,
            http: reqwest::Client::new(),
        }
    }

    /// Signs in (for responders, to `unit`) and returns a client carrying the token.
    pub async fn sign_in(&self, username: &str, unit: Option<&str>) -> Client {
        self.sign_in_with(username, PASSWORD, unit).await
    }

    /// Signs in with a password of one's own.
    pub async fn sign_in_with(&self, username: &str, password: &str, unit: Option<&str>) -> Client {
        let mut client = self.anonymous();
        let (status, body) = client
            .send(
                Method::POST,
                "/api/session",
                Some(json!({"username": username, "password": password, "unit": unit})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "sign in {username}: {body}");
        client.token = Some(body["token"].as_str().unwrap().to_owned());
        client
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub token: Option<String>,
    pub http: reqwest::Client,
}

impl Client {
    /// The same session, talking to another hub (hubs on one database share sessions).
    pub fn on(&self, hub: &TestHub) -> Client {
        Client {
            base: hub.url.clone(),
            token: self.token.clone(),
            http: self.http.clone(),
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request
    }

    /// Sends JSON (or nothing) and returns the status and the JSON answer (Null if none).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request reaches the hub");
        let status = response.status();
        let is_error = status.is_client_error() || status.is_server_error();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        if is_error {
            assert_eq!(content_type, "application/problem+json", "{status}: {text}");
        }
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        if is_error {
            assert_eq!(
                value["status"],
                status.as_u16(),
                "problem status matches: {value}"
            );
            assert!(
                value["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "problem has a detail: {value}"
            );
        }
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }

    /// One page (up to 500) of the changes this client may pull after `since`.
    pub async fn pull(&self, since: u64) -> tenfour_protocol::wire::ChangesPage {
        self.ok(
            Method::GET,
            &format!("/api/sync/changes?since={since}&limit=500"),
            None,
        )
        .await
    }

    /// Pushes outbox entries; the hub's answer for each.
    pub async fn push(&self, entries: Vec<Value>) -> tenfour_protocol::wire::PushResponse {
        self.ok(
            Method::POST,
            "/api/sync/push",
            Some(json!({"entries": entries})),
        )
        .await
    }

    pub async fn ok<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> T {
        let (status, value) = self.send(method, path, body).await;
        assert!(status.is_success(), "{path}: {status} {value}");
        serde_json::from_value(value).unwrap()
    }
}

/// A device identity: its client id and its outbox counter.
pub struct Device {
    pub client_id: String,
    pub seq: u64,
}

impl Device {
    pub fn new() -> Device {
        Device {
            client_id: uuid(),
            seq: 0,
        }
    }

    /// The next outbox entry of this device.
    pub fn entry(&mut self, kind: &str, payload: Value) -> Value {
        self.seq += 1;
        json!({
            "client_id": self.client_id,
            "seq": self.seq,
            "id": uuid(),
            "at": 1_764_000_000_000_i64 + self.seq as i64 * 1000,
            "kind": kind,
            "payload": payload,
        })
    }
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Reads Server-Sent Events from a live stream response.
pub struct EventReader {
    response: reqwest::Response,
    buffer: String,
}

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl EventReader {
    pub fn new(response: reqwest::Response) -> EventReader {
        assert_eq!(response.status(), StatusCode::OK);
        EventReader {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments and heartbeats are skipped). Fails the test if none
    /// arrives within `within`: a bound on waiting, not a sleep.
    pub async fn next(&mut self, within: Duration) -> SseEvent {
        tokio::time::timeout(within, async {
            loop {
                let event = self.next_inner().await;
                if event.event != "heartbeat" {
                    return event;
                }
            }
        })
        .await
        .expect("an event arrives in time")
    }

    /// The next heartbeat, skipping anything else; fails the test if none comes `within`.
    pub async fn heartbeat(&mut self, within: Duration) -> SseEvent {
        tokio::time::timeout(within, async {
            loop {
                let event = self.next_inner().await;
                if event.event == "heartbeat" {
                    return event;
                }
            }
        })
        .await
        .expect("a heartbeat arrives in time")
    }

    async fn next_inner(&mut self) -> SseEvent {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent {
                    id: None,
                    event: "message".into(),
                    data: String::new(),
                };
                let mut has_field = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        event.id = Some(v.trim().to_owned());
                        has_field = true;
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event.event = v.trim().to_owned();
                        has_field = true;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        if !event.data.is_empty() {
                            event.data.push('\n');
                        }
                        event.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                        has_field = true;
                    }
                }
                if has_field {
                    return event;
                }
                continue;
            }
            let chunk = self
                .response
                .chunk()
                .await
                .expect("stream readable")
                .expect("stream still open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Resolves when the hub ends the stream (reading and dropping whatever comes first).
    pub async fn closed(&mut self) {
        while let Ok(Some(_)) = self.response.chunk().await {}
    }

    /// Reads events until one of type `change` whose data satisfies `wanted`.
    pub async fn until_change(
        &mut self,
        within: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) -> (u64, Value) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next(left).await;
            if event.event == "change" {
                let value: Value = serde_json::from_str(&event.data).unwrap();
                if wanted(&value) {
                    let cursor = event.id.unwrap().parse().unwrap();
                    return (cursor, value);
                }
            }
        }
    }
}

/// Reads the hub's database directly, as an auditor would; every value as text.
pub async fn query(hub: &TestHub, sql: &str) -> Vec<Vec<String>> {
    use sqlx::{Connection, Row};
    macro_rules! texts {
        ($rows:expr) => {
            $rows
                .iter()
                .map(|row| {
                    (0..row.columns().len())
                        .map(|i| {
                            row.try_get::<String, _>(i)
                                .or_else(|_| row.try_get::<i64, _>(i).map(|v| v.to_string()))
                                .or_else(|_| row.try_get::<i32, _>(i).map(|v| v.to_string()))
                                .or_else(|_| {
                                    row.try_get::<bool, _>(i).map(|v| (v as i64).to_string())
                                })
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .collect()
        };
    }
    if hub.database.starts_with("postgres://") {
        let mut conn = sqlx::PgConnection::connect(&hub.database).await.unwrap();
        let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
        texts!(rows)
    } else {
        let url = format!("sqlite://{}?mode=ro", hub.database);
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
        texts!(rows)
    }
}

/// The id of the unit with this callsign on the board.
pub fn unit_id(board: &tenfour_protocol::wire::Board, callsign: &str) -> i64 {
    board
        .units
        .iter()
        .find(|u| u.callsign == callsign)
        .unwrap_or_else(|| panic!("no unit {callsign} on the board"))
        .id
}

/// The callsigns of the units a page of changes carries, in order, once each.
pub fn unit_callsigns(page: &tenfour_protocol::wire::ChangesPage) -> Vec<String> {
    let callsigns: std::collections::BTreeSet<String> = page
        .changes
        .iter()
        .filter_map(|c| match &c.body {
            tenfour_protocol::wire::ChangeBody::Unit(u) => Some(u.callsign.clone()),
            _ => None,
        })
        .collect();
    callsigns.into_iter().collect()
}
