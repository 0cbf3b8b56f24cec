//! Running commands with the bootstrapped tools first on PATH, and scratch folders.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn banner(title: &str) {
    println!("\n==> {title}");
}

/// Where the bootstrapped tools are; every command xtask runs gets `path_env()`.
pub struct Tools {
    pub trunk: PathBuf,
    pub cargo_bin: PathBuf,
    pub node_bin: PathBuf,
}

impl Tools {
    /// The tool folders without installing anything (for commands that need only cargo).
    pub fn minimal() -> Tools {
        let cargo_bin = cargo_home().join("bin");
        Tools {
            trunk: cargo_bin.join("trunk"),
            cargo_bin,
            node_bin: PathBuf::new(),
        }
    }

    pub fn path_env(&self) -> OsString {
        let mut paths = vec![self.node_bin.clone(), self.cargo_bin.clone()];
        if let Some(existing) = std::env::var_os("PATH") {
            paths.extend(std::env::split_paths(&existing));
        }
        std::env::join_paths(paths).unwrap_or_default()
    }
}

pub fn cargo_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(home);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".cargo")
}

/// A command whose PATH starts with the project's tool folders.
pub fn command(program: &str, tools: &Tools) -> Command {
    let mut command = Command::new(program);
    command.env("PATH", tools.path_env());
    command
}

/// `cargo` in the workspace root.
pub fn cargo(root: &Path, tools: &Tools) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = command(&cargo, tools);
    command.current_dir(root);
    command
}

/// Runs to completion with inherited output; a non-zero exit is an error naming the command.
pub fn run(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot start {}: {e}", describe(command)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", describe(command)))
    }
}

/// Runs with stderr shown and returns stdout (also echoed), failing on a non-zero exit.
pub fn capture(command: &mut Command) -> Result<String, String> {
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {}: {e}", describe(command)))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{text}");
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{} failed ({})", describe(command), out.status))
    }
}

/// Runs quietly and returns stdout, or `None` when the program is missing or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// A temporary folder removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(label: &str) -> Result<Scratch, String> {
        let path = std::env::temp_dir().join(format!("tenfour-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Scratch(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Cargo's target folder, as the builds xtask runs see it.
pub fn target_dir(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    if target.is_relative() {
        root.join(target)
    } else {
        target
    }
}
