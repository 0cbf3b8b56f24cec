//! Several hubs on one PostgreSQL database with nginx in front (`deploy/nginx.conf`): what
//! `cargo xtask run --scale N` starts on the address `run` would use, and what the benchmark
//! measures beside a single hub.

use crate::hub::{self, Logs, Running};
use crate::sh::{self, Tools};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Hubs on one PostgreSQL database and nginx in front of them.
pub struct Cluster {
    pub hubs: Vec<Running>,
    nginx: Child,
    pub url: String,
}

impl Cluster {
    /// Starts `hubs` hubs on `database` (a PostgreSQL URL) and nginx on `bind`, its files in
    /// `state`; uploaded map packs go to `maps`.
    pub fn start(
        hub_bin: &Path,
        tools: &Tools,
        (bind, database, dist): (&str, &str, &Path),
        (state, maps): (&Path, &Path),
        hubs: usize,
        hub_args: &[&str],
    ) -> Result<Cluster, String> {
        let maps = maps.display().to_string();
        let mut running = Vec::with_capacity(hubs);
        // One after the other: the first creates the tables and the agencies.
        for i in 0..hubs {
            // The demo agency (and its printed sign-ins) once.
            let mut args: Vec<&str> = vec!["--maps", &maps];
            args.extend(
                hub_args
                    .iter()
                    .copied()
                    .filter(|a| i == 0 || *a != "--demo"),
            );
            running.push(hub::spawn(
                hub_bin,
                tools,
                ("127.0.0.1:0", Path::new(database), dist),
                &args,
                Logs::Info,
            )?);
        }
        let nginx = start_nginx(state, bind, &running)?;
        Ok(Cluster {
            hubs: running,
            nginx,
            url: format!("http://{bind}"),
        })
    }

    /// Waits until nginx ends: Ctrl-C (or a TERM to the process group) reaches nginx and the
    /// hubs, while this process stays to stop PostgreSQL, which runs in a session of its own.
    pub fn wait(mut self) -> Result<(), String> {
        // SAFETY: setting a signal's disposition to "ignore" installs no handler code.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            libc::signal(libc::SIGTERM, libc::SIG_IGN);
        }
        let status = self.nginx.wait().map_err(|e| e.to_string())?;
        println!("xtask: nginx stopped ({status}); stopping the hubs and PostgreSQL");
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // TERM, not KILL: the master stops its workers before it exits.
        // SAFETY: kill(2) on our own child's pid sends a signal and touches no memory.
        unsafe {
            libc::kill(self.nginx.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.nginx.wait();
        for hub in self.hubs.drain(..) {
            hub.stop();
        }
    }
}

/// nginx with the repository's configuration, the hubs as its upstream servers.
fn start_nginx(state: &Path, bind: &str, hubs: &[Running]) -> Result<Child, String> {
    let nginx = ensure_nginx()?;
    std::fs::create_dir_all(state)
        .map_err(|e| format!("cannot create {}: {e}", state.display()))?;
    let template = std::fs::read_to_string(crate::root().join("deploy/nginx.conf"))
        .map_err(|e| format!("cannot read deploy/nginx.conf: {e}"))?;
    let upstreams: String = hubs
        .iter()
        .map(|hub| {
            format!(
                "        server {} max_fails=1 fail_timeout=5s;\n",
                hub.url().trim_start_matches("http://")
            )
        })
        .collect();
    let config = template
        .replace("@STATE@", &state.display().to_string())
        .replace("@LISTEN@", bind)
        .replace("@UPSTREAMS@\n", &upstreams);
    let path = state.join("nginx.conf");
    std::fs::write(&path, config).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    sh::run(
        Command::new(&nginx)
            .arg("-t")
            .arg("-q")
            .arg("-c")
            .arg(&path),
    )?;
    // Its log goes to the state folder; nothing it starts may hold this process's output.
    // Each live stream holds two of nginx's files (the device's connection and the hub's):
    // it runs with the highest open-file limit this process may give it.
    let child = Command::new("sh")
        .args(["-c", r#"ulimit -n "$(ulimit -Hn)" && exec "$0" "$@""#])
        .arg(&nginx)
        .arg("-c")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start nginx: {e}"))?;
    wait_for_port(bind)?;
    Ok(child)
}

/// nginx from Debian's package, installed when missing.
pub fn ensure_nginx() -> Result<PathBuf, String> {
    let nginx = PathBuf::from("/usr/sbin/nginx");
    if !nginx.exists() {
        crate::bootstrap::install_debian_packages(&["nginx"])?;
    }
    println!("  ok  nginx");
    Ok(nginx)
}

/// Waits (at most 10 s) until something accepts connections on `bind`.
fn wait_for_port(bind: &str) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(bind).is_ok() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(format!("nginx did not listen on {bind} within 10 s"))
}
