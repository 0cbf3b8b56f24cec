//! The `api` test layer: Schemathesis with every check, against a real hub's own
//! /api/openapi.json, with a dispatcher's, a responder's and an administrator's token.
//! Schemathesis comes from PyPI at a pinned version, in a virtual environment of its own.

use crate::sh::Tools;
use crate::tally::{self, Tally};
use crate::{http, hub, sh};
use std::path::{Path, PathBuf};
use std::process::Command;

const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Fixed so a failure can be replayed; `TENFOUR_API_SEED` explores others.
const DEFAULT_SEED: &str = "1";

fn venv() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(format!(
        ".cache/tenfour-tools/schemathesis-{SCHEMATHESIS_VERSION}"
    ))
}

/// The `st` program, installed into its own virtual environment unless it is there.
fn ensure_schemathesis() -> Result<PathBuf, String> {
    let venv = venv();
    let st = venv.join("bin/st");
    let wanted = format!("st, version {SCHEMATHESIS_VERSION}");
    if sh::output(Command::new(&st).arg("--version")).is_some_and(|v| v.trim() == wanted) {
        println!("  ok  schemathesis {SCHEMATHESIS_VERSION}");
        return Ok(st);
    }
    println!("  ..  installing schemathesis {SCHEMATHESIS_VERSION} from PyPI");
    let _ = std::fs::remove_dir_all(&venv);
    sh::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    sh::run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
    ]))?;
    Ok(st)
}

/// Signs `username` in and returns the token.
fn token(address: &str, username: &str, unit: Option<&str>) -> Result<String, String> {
    let (code, body) = http::sign_in(address, username, "tenfour-demo", unit)?;
    if code != 201 {
        return Err(format!(
            "signing in {username} answered {code}: {body:.300}"
        ));
    }
    http::token_of(&body).ok_or_else(|| format!("no token in the sign-in answer: {body:.300}"))
}

/// Runs Schemathesis once per role; the test cases it generated and passed.
pub fn check(root: &Path, tools: &Tools, hub_bin: &Path) -> Result<Tally, String> {
    let mut total = Tally::default();
    let st = ensure_schemathesis()?;
    let seed = std::env::var("TENFOUR_API_SEED").unwrap_or_else(|_| DEFAULT_SEED.into());
    let map = crate::hub::demo_map(root, tools)?.display().to_string();
    for (username, unit) in [("dispatch", None), ("medic1", Some("M12")), ("admin", None)] {
        sh::banner(&format!(
            "api: Schemathesis --checks all as {username} (seed {seed})"
        ));
        // A fresh hub for each caller, so one run's changes cannot hide the other's failures.
        let scratch = sh::Scratch::new(&format!("api-{username}"))?;
        let running = hub::spawn(
            hub_bin,
            tools,
            (
                "127.0.0.1:0",
                &scratch.path().join("tenfour.db"),
                &root.join("dist"),
            ),
            &["--demo", "--map", &map],
            hub::Logs::Quiet,
        )?;
        let address = running.url().trim_start_matches("http://").to_owned();
        let result = token(&address, username, unit).and_then(|main| {
            // Signing out ends a session: that operation gets a session of its own.
            let sign_out = token(&address, username, unit)?;
            tally::run(
                Command::new(&st)
                    .arg("--config-file")
                    .arg(root.join("tests/api/schemathesis.toml"))
                    .arg("run")
                    .arg(format!("{}/api/openapi.json", running.url()))
                    .args(["--checks", "all", "--max-examples", "10", "--seed", &seed])
                    .env("TENFOUR_TOKEN", main)
                    .env("TENFOUR_SIGNOUT_TOKEN", sign_out)
                    .env("NO_COLOR", "1")
                    .current_dir(scratch.path()),
            )
        });
        running.stop();
        total.add(result?);
    }
    Ok(total)
}
