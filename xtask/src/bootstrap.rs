//! Installs what the build and the tests need, each at a pinned version, only when missing.
//!
//! These machines reach package registries only (see ../shared/TOOLCHAIN.md): Trunk must not
//! download its tools, so wasm-bindgen comes from crates.io at exactly the Cargo.lock version
//! and wasm-opt from npm (binaryen 132; Debian's 108 builds a wasm that crashes at start).

use crate::sh::{self, Tools, cargo_home};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const TRUNK_VERSION: &str = "0.21.14";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Debian packages and the program each provides: the browser and its driver for the tests,
/// brotli for measuring sizes. (PostgreSQL is installed by the test layer that uses it.)
const DEBIAN_PACKAGES: [(&str, &str); 3] = [
    ("chromium", "chromium"),
    ("chromium-driver", "chromedriver"),
    ("brotli", "brotli"),
];

pub fn ensure_all(root: &Path) -> Result<Tools, String> {
    let started = Instant::now();
    sh::banner("bootstrap: checking tools");
    let cargo_bin = cargo_home().join("bin");
    let tools = Tools {
        trunk: cargo_bin.join("trunk"),
        cargo_bin,
        node_bin: root.join("tests/e2e/node_modules/.bin"),
    };
    ensure_wasm_target()?;
    ensure_debian_packages()?;
    ensure_npm_packages(root)?;
    ensure_trunk(&tools)?;
    ensure_wasm_bindgen(root, &tools)?;
    // Trunk builds with `cargo --offline`: every crate must already be in the local registry.
    sh::run(sh::cargo(root, &tools).args(["fetch", "--quiet"]))?;
    println!(
        "bootstrap: ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(tools)
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = sh::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .ok_or("rustup is needed to add the wasm32 target; install Rust with rustup")?;
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        println!("  ok  rust target {WASM_TARGET}");
        return Ok(());
    }
    println!("  ..  adding rust target {WASM_TARGET}");
    sh::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn ensure_debian_packages() -> Result<(), String> {
    let present = |bin: &str| Path::new("/usr/bin").join(bin).exists();
    let missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .filter(|(_, bin)| !present(bin))
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        println!("  ok  chromium, chromedriver, brotli (Debian)");
        return Ok(());
    }
    install_debian_packages(&missing)
}

/// Installs Debian packages with apt-get (as root on Debian), or says how to.
pub fn install_debian_packages(missing: &[&str]) -> Result<(), String> {
    let is_root = sh::output(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0");
    let is_debian = Path::new("/etc/debian_version").exists();
    if !(is_root && is_debian) {
        return Err(format!(
            "missing Debian packages: {}. Install them (apt-get install -y --no-install-recommends {}) and run again",
            missing.join(", "),
            missing.join(" ")
        ));
    }
    println!("  ..  installing {} with apt-get", missing.join(", "));
    sh::run(Command::new("apt-get").args(["update", "-qq"]))?;
    sh::run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// Playwright and binaryen, and the map's renderer, each from its committed lock. A copy of
/// the lock inside node_modules records what was installed, so an unchanged lock skips npm.
fn ensure_npm_packages(root: &Path) -> Result<(), String> {
    ensure_npm_dir(
        &root.join("tests/e2e"),
        "npm packages (playwright, binaryen)",
    )?;
    // The map's renderer, copied into the app by Trunk.
    ensure_npm_dir(
        &root.join("public/map"),
        "map code (leaflet, protomaps-leaflet, pmtiles)",
    )
}

/// `npm ci` in `dir` from its committed lock, unless that very lock is already installed.
pub fn ensure_npm_dir(dir: &Path, label: &str) -> Result<(), String> {
    let lock = std::fs::read(dir.join("package-lock.json"))
        .map_err(|e| format!("cannot read {}/package-lock.json: {e}", dir.display()))?;
    let stamp = dir.join("node_modules/.tenfour-installed-lock.json");
    if std::fs::read(&stamp).ok().as_deref() == Some(lock.as_slice()) {
        println!("  ok  {label}");
        return Ok(());
    }
    println!("  ..  npm ci in {}", dir.display());
    sh::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir),
    )?;
    std::fs::write(&stamp, &lock).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

fn ensure_trunk(tools: &Tools) -> Result<(), String> {
    let version = sh::output(Command::new(&tools.trunk).arg("--version"));
    if version.as_deref().map(str::trim) == Some(&format!("trunk {TRUNK_VERSION}")) {
        println!("  ok  trunk {TRUNK_VERSION}");
        return Ok(());
    }
    println!("  ..  installing trunk {TRUNK_VERSION} (about 3½ minutes on 2 cores)");
    // Unoptimised: Trunk only hands the work to cargo, wasm-bindgen and wasm-opt, so it
    // builds the same app as fast (measured: 20 s either way, the same files), while its own
    // build takes 3 min 24 s instead of 6 min 28 s (its release profile asks for fat LTO).
    sh::run(
        Command::new("cargo")
            .args(["install", "--locked", "trunk", "--version", TRUNK_VERSION])
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256"),
    )
}

fn ensure_wasm_bindgen(root: &Path, tools: &Tools) -> Result<(), String> {
    let wanted = locked_version(root, "wasm-bindgen")?;
    let have = |bin: &str| {
        sh::output(Command::new(tools.cargo_bin.join(bin)).arg("--version"))
            .is_some_and(|v| v.split_whitespace().nth(1) == Some(wanted.as_str()))
    };
    if have("wasm-bindgen") && have("wasm-bindgen-test-runner") {
        println!("  ok  wasm-bindgen-cli {wanted}");
        return Ok(());
    }
    println!("  ..  installing wasm-bindgen-cli {wanted} (about 2 minutes)");
    // No --locked: the CLI's own lock names a webpki-roots the registry does not have.
    sh::run(Command::new("cargo").args([
        "install",
        "--force",
        "wasm-bindgen-cli",
        "--version",
        &wanted,
    ]))
}

/// The version of `package` that Cargo.lock pins.
fn locked_version(root: &Path, package: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line
            && let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    Err(format!("Cargo.lock has no {package}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_locked_wasm_bindgen_version() {
        let version = locked_version(&crate::root(), "wasm-bindgen").unwrap();
        assert!(version.starts_with("0.2."), "{version}");
    }
}
