//! Connections cannot be held open for nothing: a client that says nothing, sends its
//! headers or body too slowly, or sends a broken chunked body is answered or cut off, and the
//! hub goes on serving everyone else.

mod common;

use common::TestHub;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn connect(hub: &TestHub) -> TcpStream {
    let stream = TcpStream::connect(hub.url.trim_start_matches("http://")).unwrap();
    // A bound on this test's wait, well past the hub's own limits.
    stream
        .set_read_timeout(Some(Duration::from_secs(45)))
        .unwrap();
    stream
}

/// Reads until the hub closes the connection; what it sent, and how long that took.
fn until_closed(mut stream: TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn an_idle_connection_and_slow_headers_are_closed() {
    let hub = TestHub::start();
    let idle = connect(&hub);
    let mut slow = connect(&hub);
    slow.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (idle, slow) = tokio::join!(
        tokio::task::spawn_blocking(move || until_closed(idle)),
        tokio::task::spawn_blocking(move || until_closed(slow)),
    );
    let (_, idle_for) = idle.unwrap();
    let (_, slow_for) = slow.unwrap();
    assert!(idle_for < Duration::from_secs(20), "idle held {idle_for:?}");
    assert!(
        slow_for < Duration::from_secs(20),
        "slow headers held {slow_for:?}"
    );
    // Everyone else is still served.
    let (status, _) = hub.anonymous().get("/api/health").await;
    assert!(status.is_success());
}

#[tokio::test]
async fn a_slow_body_is_answered_408_as_a_problem() {
    let hub = TestHub::start();
    let mut stream = connect(&hub);
    stream
        .write_all(
            b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"username\":",
        )
        .unwrap();
    let (answer, took) = tokio::task::spawn_blocking(move || until_closed(stream))
        .await
        .unwrap();
    assert!(took < Duration::from_secs(40), "held {took:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

#[tokio::test]
async fn a_chunk_size_past_any_limit_gets_an_answer() {
    let hub = TestHub::start();
    let mut stream = connect(&hub);
    stream
        .write_all(
            b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{\"username\":",
        )
        .unwrap();
    let (answer, _) = tokio::task::spawn_blocking(move || until_closed(stream))
        .await
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 4"),
        "a client error, not silence: {answer:?}"
    );
}

/// A hub started with the soft open-file limit many systems default to (far too few for
/// thousands of live streams) raises it to the hard limit before serving.
#[cfg(target_os = "linux")]
#[test]
fn the_hub_raises_its_open_file_limit_at_start() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -Sn 256 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_tenfour-hub"))
        .args(["--bind", "127.0.0.1:0", "--database"])
        .arg(dir.path().join("hub.db"))
        .arg("--dist")
        .arg(dir.path().join("dist"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Listening means it has started; no sleep needed.
    let listening = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("listening on "));
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening, "the hub started");
    let open_files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .skip(3)
        .take(2)
        .collect();
    assert_ne!(open_files[0], "256", "the soft limit was raised: {limits}");
    assert_eq!(
        open_files[0], open_files[1],
        "soft limit = hard limit: {limits}"
    );
}
