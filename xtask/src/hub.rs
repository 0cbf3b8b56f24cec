//! Building and starting `tenfour-hub`.

use crate::sh;
use crate::sh::Tools;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub enum Profile {
    /// Shares the test build's artefacts: fast to build, used by the tests and `run`.
    Dev,
    /// The `hub` profile: optimised, for benchmarks and for service.
    Optimized,
}

/// The hub's features in every test build (its tests across hubs included), so that the
/// native and postgres layers and the hub they start share one build.
pub const TEST_FEATURES: &str = "postgres-tests";

/// Builds the hub and returns the path of its binary.
pub fn build(root: &Path, profile: Profile) -> Result<PathBuf, String> {
    // The test build's binary: `cargo build` alone would leave out the dev-dependencies'
    // features and so compile the hub's library a second time (a minute on two cores).
    let (args, folder): (&[&str], &str) = match profile {
        Profile::Dev => (&["test", "--features", TEST_FEATURES, "--no-run"], "debug"),
        Profile::Optimized => (&["build", "--profile", "hub"], "hub"),
    };
    sh::banner("building the hub");
    let tools_path = std::env::var_os("PATH").unwrap_or_default();
    sh::run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .env("PATH", tools_path)
            .args(&args[..1])
            .args(["--package", "tenfour-hub"])
            .args(&args[1..]),
    )?;
    Ok(sh::target_dir(root).join(folder).join("tenfour-hub"))
}

fn hub_command(bin: &Path, tools: &Tools, bind: &str, database: &Path, dist: &Path) -> Command {
    let mut command = sh::command(&bin.display().to_string(), tools);
    command
        .arg("--bind")
        .arg(bind)
        .arg("--database")
        .arg(database)
        .arg("--dist")
        .arg(dist);
    command
}

/// Replaces this process with the hub, so Ctrl-C reaches it directly and it shuts down
/// cleanly.
pub fn exec(
    bin: &Path,
    tools: &Tools,
    bind: &str,
    database: &Path,
    dist: &Path,
    extra_args: &[&str],
) -> Result<(), String> {
    let mut command = hub_command(bin, tools, bind, database, dist);
    command.args(extra_args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = command.exec();
        Err(format!("cannot start {}: {err}", bin.display()))
    }
    #[cfg(not(unix))]
    {
        sh::run(&mut command)
    }
}

/// A hub running in the background for tests.
pub struct Running {
    child: Child,
    url: String,
}

impl Running {
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How much a background hub logs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Logs {
    /// Its usual info lines.
    Info,
    /// Warnings and errors only, for runs that make thousands of refused requests on purpose.
    Quiet,
}

/// Starts the hub and waits for its `listening on URL` line.
pub fn spawn(
    bin: &Path,
    tools: &Tools,
    (bind, database, dist): (&str, &Path, &Path),
    extra_args: &[&str],
    logs: Logs,
) -> Result<Running, String> {
    let mut command = hub_command(bin, tools, bind, database, dist);
    command.args(extra_args);
    if logs == Logs::Quiet {
        command.env("RUST_LOG", "warn");
    }
    start(command, bin)
}

fn start(mut command: Command, bin: &Path) -> Result<Running, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().ok_or("the hub has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("listening on ") {
                    break url.trim().to_owned();
                }
                // What the hub says before it listens (the demo sign-ins) is for the user.
                println!("{line}");
            }
            _ => {
                let _ = child.kill();
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                return Err(format!(
                    "the hub exited before listening ({status}); its log is above"
                ));
            }
        }
    };
    // Keep draining stdout so the hub never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    println!("xtask: hub at {url}");
    Ok(Running { child, url })
}

/// The demo agency's map pack: the vector PMTiles archive of Florence (OpenStreetMap data,
/// ODbL) that the crate `pmtiles2` 0.3.2 ships among its test files. xtask lists that crate
/// as a dependency no target ever builds, so `cargo fetch` brings it from the registry and
/// `cargo metadata` says where it is unpacked.
pub fn demo_map(root: &Path, tools: &Tools) -> Result<PathBuf, String> {
    const CRATE: &str = "pmtiles2-0.3.2";
    const FILE: &str = "test/protomaps(vector)ODbL_firenze.pmtiles";
    let metadata = sh::cargo(root, tools)
        .args(["metadata", "--format-version", "1", "--offline"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    let text = String::from_utf8_lossy(&metadata.stdout);
    // The one manifest path that ends in the crate's folder; no JSON parser needed for it.
    let manifest = format!("{CRATE}{}Cargo.toml\"", std::path::MAIN_SEPARATOR);
    let path = text
        .split("\"manifest_path\":\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(path, _)| path))
        .find(|path| format!("{path}\"").ends_with(&manifest))
        .ok_or_else(|| {
            format!("cargo metadata does not list {CRATE} (the demo map); run `cargo fetch`")
        })?;
    let pack = Path::new(path)
        .parent()
        .ok_or("a manifest path without a folder")?
        .join(FILE);
    if !pack.is_file() {
        return Err(format!("the demo map is missing: {}", pack.display()));
    }
    Ok(pack)
}
