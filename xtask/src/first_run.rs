//! The README's `cargo xtask run` and `cargo xtask run --scale 3`, tried as a new user would:
//! on an empty data folder, every sign-in it prints must work (through nginx, for the
//! scaled run).
//!
//! It runs the command exactly as written. The free port and the empty data folder come
//! through the environment (`TENFOUR_BIND`, `TENFOUR_DATABASE`) that the command reads anyway,
//! so no flag is passed that a user would not pass.

use crate::sh;
use crate::sh::Tools;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// One printed `sign in: USER / PASSWORD  (role, name)` line.
#[derive(Debug, PartialEq)]
struct SignIn {
    username: String,
    password: String,
    role: String,
}

fn parse_sign_in(line: &str) -> Option<SignIn> {
    let rest = line.trim().strip_prefix("sign in: ")?;
    let (username, rest) = rest.split_once(" / ")?;
    let (password, rest) = rest.split_once("  (")?;
    let role = rest.split(',').next()?.trim();
    Some(SignIn {
        username: username.trim().to_owned(),
        password: password.trim().to_owned(),
        role: role.to_owned(),
    })
}

/// Kills the whole process group of `cargo xtask run` (cargo, xtask and the hub it becomes).
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        // `--`: procps' kill reads a bare negative number as an option, not a group.
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &group])
            .status();
        let _ = self.0.wait();
        // A scaled run stays until its hubs and PostgreSQL have stopped: wait for the whole
        // group (at most 30 s), so its data folder is free to remove.
        let alive = || {
            Command::new("kill")
                .args(["-0", "--", &group])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        for _ in 0..300 {
            if !alive() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

/// The number of printed sign-ins that worked. `scale`: `run --scale N` (nginx needs a port
/// of its own, so a free one is chosen rather than 0).
pub fn check(root: &Path, tools: &Tools, scale: Option<usize>) -> Result<u64, String> {
    let scratch = sh::Scratch::new(if scale.is_some() {
        "first-run-scaled"
    } else {
        "first-run"
    })?;
    // The data folder does not exist yet, as on a fresh clone.
    let database = scratch.path().join("data").join("tenfour.db");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = sh::command(&cargo, tools);
    command.args(["xtask", "run"]);
    let bind = match scale {
        Some(hubs) => {
            command.args(["--scale", &hubs.to_string()]);
            let free = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free port: {e}"))?;
            free.to_string()
        }
        None => "127.0.0.1:0".to_owned(),
    };
    command
        .current_dir(root)
        .env("TENFOUR_BIND", &bind)
        .env("TENFOUR_DATABASE", &database)
        .stdout(Stdio::piped())
        .process_group(0);
    let mut group = Group(
        command
            .spawn()
            .map_err(|e| format!("cannot start cargo xtask run: {e}"))?,
    );
    let stdout = group
        .0
        .stdout
        .take()
        .ok_or("cargo xtask run has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut sign_ins = Vec::new();
    let url = loop {
        let line = match lines.next() {
            Some(Ok(line)) => line,
            _ => return Err("cargo xtask run stopped before the hub listened".into()),
        };
        println!("{line}");
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.trim().to_owned();
        }
        // The scaled run: nginx's address.
        if let Some(rest) = line.strip_prefix("  open ") {
            break rest.split_whitespace().next().unwrap_or("").to_owned();
        }
        if let Some(sign_in) = parse_sign_in(&line) {
            sign_ins.push(sign_in);
        }
    };
    std::thread::spawn(move || lines.for_each(drop));

    for role in ["dispatcher", "admin", "responder"] {
        if !sign_ins.iter().any(|s| s.role == role) {
            return Err(format!(
                "cargo xtask run printed no {role} sign-in; it printed {sign_ins:?}"
            ));
        }
    }
    let address = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("the hub printed an address that is not http: {url}"))?;
    let mut failed = Vec::new();
    for sign_in in &sign_ins {
        let status = post_sign_in(address, sign_in)?;
        println!("  {} ({}) -> HTTP {status}", sign_in.username, sign_in.role);
        if status != 201 {
            failed.push(format!("{} answered {status}", sign_in.username));
        }
    }
    if !failed.is_empty() {
        return Err(format!(
            "printed sign-ins that do not work on a fresh database: {}",
            failed.join(", ")
        ));
    }
    println!(
        "first run{}: all {} printed sign-ins work on an empty data folder",
        scale.map_or(String::new(), |n| format!(" with {n} hubs behind nginx")),
        sign_ins.len()
    );
    // Stopped as Ctrl-C would: the run stops its hubs and PostgreSQL and exits.
    drop(group);
    Ok(sign_ins.len() as u64)
}

/// `POST /api/session`; the status code.
fn post_sign_in(address: &str, sign_in: &SignIn) -> Result<u16, String> {
    crate::http::sign_in(address, &sign_in.username, &sign_in.password, None).map(|(code, _)| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_printed_sign_in() {
        assert_eq!(
            parse_sign_in("  sign in: medic1 / tenfour-demo  (responder, Sam Okafor)"),
            Some(SignIn {
                username: "medic1".into(),
                password: "tenfour-demo".into(),
                role: "responder".into(),
            })
        );
        assert_eq!(parse_sign_in("listening on http://127.0.0.1:1"), None);
    }

    /// The README's table of demo sign-ins names every account the demo document creates.
    #[test]
    fn readme_lists_every_demo_account() {
        let root = crate::root();
        let document = std::fs::read_to_string(root.join("crates/hub/src/demo-agency.json"))
            .expect("demo agency document");
        let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
        let usernames: Vec<&str> = document
            .split("\"username\": \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(usernames.len() >= 3, "{usernames:?}");
        for username in usernames {
            assert!(
                readme.contains(&format!("`{username}`")),
                "README.md does not list the demo account {username}"
            );
        }
    }
}
