//! Building the app (`trunk build --release`), once for a given source. Trunk takes half a
//! minute even when nothing changed (wasm-bindgen, wasm-opt, brotli at its best), and one
//! test run needs the app in several layers.
//!
//! Two bundles: the board (`board.html`, the `tenfour-board` binary) is built first, then the
//! field app (`index.html`), whose post-build hook takes the board in as `dist/board/` before
//! it lists what the service worker keeps.

use crate::sh;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

/// `trunk build --release` of the board, then of the field app into `dist/` (Trunk runs the
/// post-build hook for the service worker's precache list and the precompressed copies),
/// unless this command built it from the same sources already.
pub fn build(root: &Path, tools: &sh::Tools) -> Result<(), String> {
    let stamp_file = sh::target_dir(root).join("xtask-app-built");
    let sources = sources_hash(root, tools)?;
    if std::fs::read_to_string(&stamp_file).ok() == Some(stamp(root, &sources)) {
        sh::banner("the app: dist/ is already built from these sources");
        return Ok(());
    }
    let board = sh::target_dir(root).join("board-dist");
    sh::banner("building the board: trunk build --release board.html");
    sh::run(
        sh::command(&tools.trunk.display().to_string(), tools)
            .args(["build", "--release", "--public-url", "/board/", "--dist"])
            .arg(&board)
            .arg("board.html")
            .current_dir(root),
    )?;
    sh::banner("building the field app: trunk build --release");
    sh::run(
        sh::command(&tools.trunk.display().to_string(), tools)
            .args(["build", "--release"])
            .env("TENFOUR_BOARD_DIST", &board)
            .current_dir(root),
    )?;
    if let Some(folder) = stamp_file.parent() {
        let _ = std::fs::create_dir_all(folder);
    }
    // Only a cache: without it the next build runs Trunk again.
    let _ = std::fs::write(&stamp_file, stamp(root, &sources));
    Ok(())
}

/// What a build leaves: which folder, from which sources, and when Trunk last wrote its
/// `index.html` (a build run by hand, `trunk serve` for one, makes the stamp stale).
fn stamp(root: &Path, sources: &str) -> String {
    let dist = root.join("dist");
    let written = std::fs::metadata(dist.join("index.html"))
        .and_then(|m| m.modified())
        .map(|t| format!("{t:?}"))
        .unwrap_or_default();
    format!("{}\n{sources}\n{written}\n", dist.display())
}

/// Everything Trunk reads, and the tools and flags it runs with.
fn sources_hash(root: &Path, tools: &sh::Tools) -> Result<String, String> {
    let mut files = Vec::new();
    for item in [
        "index.html",
        "board.html",
        "Trunk.toml",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
        "xtask/post-build.sh",
        "src",
        "style",
        // The map code comes from public/map/node_modules, pinned by its package-lock.json.
        "public",
        "crates/protocol",
    ] {
        collect(&root.join(item), &mut files)?;
    }
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in &files {
        file.strip_prefix(root).unwrap_or(file).hash(&mut hasher);
        std::fs::read(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?
            .hash(&mut hasher);
    }
    tools.trunk.hash(&mut hasher);
    std::env::var_os("RUSTFLAGS").hash(&mut hasher);
    Ok(format!("{:016x}", hasher.finish()))
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_file() {
        files.push(path.to_owned());
    } else if path.is_dir() {
        let entries =
            std::fs::read_dir(path).map_err(|e| format!("cannot list {}: {e}", path.display()))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name != "node_modules" && name != "target" {
                collect(&entry.path(), files)?;
            }
        }
    }
    Ok(())
}
