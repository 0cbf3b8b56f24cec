//! A PostgreSQL server of the tests' own: Debian's package (installed when missing), a data
//! folder made by `initdb` in a scratch folder, started by `pg_ctl` on a free port of
//! 127.0.0.1 and stopped when dropped. Nothing on these machines runs a database by itself.
//!
//! PostgreSQL refuses to run as root, which these machines are: as root the server runs as
//! the `postgres` user the package creates.

use crate::sh::{self, Scratch};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Server {
    scratch: Scratch,
    bin: PathBuf,
    port: u16,
    as_root: bool,
}

impl Server {
    pub fn start() -> Result<Server, String> {
        let bin = ensure_installed()?;
        let scratch = Scratch::new("postgres")?;
        let as_root = sh::output(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0");
        if as_root {
            sh::run(Command::new("chown").arg("postgres").arg(scratch.path()))?;
        }
        let port = free_port()?;
        let server = Server {
            scratch,
            bin,
            port,
            as_root,
        };
        let data = server.data();
        sh::run(
            server
                .tool("initdb")
                .arg("--pgdata")
                .arg(&data)
                .args(["--username", "tenfour", "--auth", "trust"])
                .args(["--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync"]),
        )?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1",
            server.scratch.path().display()
        );
        sh::run(
            server
                .tool("pg_ctl")
                .arg("--pgdata")
                .arg(&data)
                .arg("--log")
                .arg(server.scratch.path().join("server.log"))
                .args(["--options", &options, "--wait", "start"]),
        )?;
        println!("  ok  PostgreSQL on 127.0.0.1:{port}");
        Ok(server)
    }

    /// The server, without a database: `postgres://tenfour@127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("postgres://tenfour@127.0.0.1:{}", self.port)
    }

    fn data(&self) -> PathBuf {
        self.scratch.path().join("data")
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .tool("pg_ctl")
            .arg("--pgdata")
            .arg(&data)
            .args(["--mode", "immediate", "--wait", "stop"])
            .status();
    }
}

/// The folder of PostgreSQL's server programs, installing Debian's package if there is none.
fn ensure_installed() -> Result<PathBuf, String> {
    if let Some(bin) = find_bin() {
        println!("  ok  PostgreSQL ({})", bin.display());
        return Ok(bin);
    }
    crate::bootstrap::install_debian_packages(&["postgresql"])?;
    find_bin().ok_or_else(|| {
        "the postgresql package installed, but no /usr/lib/postgresql/*/bin/initdb".to_owned()
    })
}

/// The newest `/usr/lib/postgresql/VERSION/bin` that has `initdb`.
fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(Path::new("/usr/lib/postgresql"))
        .ok()?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let version = path.file_name()?.to_str()?.parse().ok()?;
            let bin = path.join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}
