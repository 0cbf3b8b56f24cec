//! A real hub process for tests: its own SQLite file and app folder in a temporary directory,
//! listening on a free port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct TestHub {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl TestHub {
    /// Starts a hub serving `dist` (relative files written before start).
    pub fn start(dist_files: &[(&str, &[u8])]) -> TestHub {
        let dir = tempfile::tempdir().expect("temporary directory");
        let dist = dir.path().join("dist");
        for (name, content) in dist_files {
            let path = dist.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        let (child, url) = spawn(&dir.path().join("hub.db"), &dist);
        TestHub { child, url, dir }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new().get(format!("{}{path}", self.url))
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(database: &Path, dist: &PathBuf) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenfour-hub"))
        .args(["--bind", "127.0.0.1:0", "--database"])
        .arg(database)
        .arg("--dist")
        .arg(dist)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
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
    (child, url)
}
