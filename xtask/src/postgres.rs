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
    folder: Folder,
    bin: PathBuf,
    port: u16,
    as_root: bool,
}

/// Where the server keeps its data: a scratch folder removed afterwards (tests), or one that
/// stays for the next run (`cargo xtask run --scale`).
enum Folder {
    Scratch(Scratch),
    Kept(PathBuf),
}

impl Folder {
    fn path(&self) -> &Path {
        match self {
            Folder::Scratch(scratch) => scratch.path(),
            Folder::Kept(path) => path,
        }
    }
}

impl Server {
    /// A new server in a scratch folder, gone when dropped.
    pub fn start() -> Result<Server, String> {
        Self::start_in(Folder::Scratch(Scratch::new("postgres")?))
    }

    /// The server whose data is kept in `folder` (made on first use).
    pub fn start_kept(folder: &Path) -> Result<Server, String> {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        Self::start_in(Folder::Kept(folder.to_path_buf()))
    }

    fn start_in(folder: Folder) -> Result<Server, String> {
        let bin = ensure_installed()?;
        let as_root = sh::output(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0");
        if as_root {
            sh::run(Command::new("chown").arg("postgres").arg(folder.path()))?;
        }
        let port = free_port()?;
        let server = Server {
            folder,
            bin,
            port,
            as_root,
        };
        let data = server.data();
        // A server left running by a run that was killed: stopped, then started afresh.
        let running = server
            .tool("pg_ctl")
            .arg("--pgdata")
            .arg(&data)
            .arg("status")
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if running {
            sh::run(
                server
                    .tool("pg_ctl")
                    .arg("--pgdata")
                    .arg(&data)
                    .args(["--mode", "fast", "--wait", "stop"]),
            )?;
        }
        if !data.join("PG_VERSION").exists() {
            sh::run(
                server
                    .tool("initdb")
                    .arg("--pgdata")
                    .arg(&data)
                    .args(["--username", "tenfour", "--auth", "trust"])
                    .args(["--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync"]),
            )?;
        }
        // Each hub holds up to ten connections, and the tests run a dozen hubs at once.
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400",
            server.folder.path().display()
        );
        sh::run(
            server
                .tool("pg_ctl")
                .arg("--pgdata")
                .arg(&data)
                .arg("--log")
                .arg(server.folder.path().join("server.log"))
                .args(["--options", &options, "--wait", "start"]),
        )?;
        println!("  ok  PostgreSQL on 127.0.0.1:{port}");
        Ok(server)
    }

    /// The server, without a database: `postgres://tenfour@127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("postgres://tenfour@127.0.0.1:{}", self.port)
    }

    /// A database named `name` on the server, made if missing: its URL.
    pub fn database(&self, name: &str) -> Result<String, String> {
        let found = sh::output(
            Command::new(self.bin.join("psql"))
                .args([
                    "--host",
                    "127.0.0.1",
                    "--username",
                    "tenfour",
                    "--dbname",
                    "postgres",
                ])
                .args([
                    "--port",
                    &self.port.to_string(),
                    "--tuples-only",
                    "--no-align",
                ])
                .arg("--command")
                .arg(format!(
                    "SELECT 1 FROM pg_database WHERE datname = '{name}'"
                )),
        )
        .unwrap_or_default();
        if found.trim() != "1" {
            sh::run(
                Command::new(self.bin.join("createdb"))
                    .args(["--host", "127.0.0.1", "--username", "tenfour"])
                    .args(["--port", &self.port.to_string(), name]),
            )?;
        }
        Ok(format!("{}/{name}", self.url()))
    }

    /// A shell command that restarts the server (fast: connections are cut), for tests.
    pub fn restart_command(&self) -> String {
        let pg_ctl = self.bin.join("pg_ctl");
        let prefix = if self.as_root {
            "runuser -u postgres -- "
        } else {
            ""
        };
        format!(
            "{prefix}{} --pgdata {} --log {} --mode fast --wait restart > /dev/null",
            pg_ctl.display(),
            self.data().display(),
            self.folder.path().join("server.log").display()
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn data(&self) -> PathBuf {
        self.folder.path().join("data")
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
        // Scratch data may go at once; kept data is shut down cleanly.
        let mode = match self.folder {
            Folder::Scratch(_) => "immediate",
            Folder::Kept(_) => "fast",
        };
        let _ = self
            .tool("pg_ctl")
            .arg("--pgdata")
            .arg(&data)
            .args(["--mode", mode, "--wait", "stop"])
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
