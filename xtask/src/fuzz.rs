//! Coverage-guided fuzzing with cargo fuzz (libFuzzer) on the stable toolchain: `-s none`
//! builds without a sanitizer, so no nightly flag is needed. Every target in
//! `crates/fuzz/fuzz_targets` runs for the given time from the committed seed corpus and
//! regression inputs; what it learns goes to a scratch folder, so the repository stays clean.

use crate::sh;
use crate::sh::Tools;
use std::path::{Path, PathBuf};
use std::process::Command;

const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Installs cargo-fuzz at the pinned version unless it is there.
pub fn ensure_cargo_fuzz(root: &Path, tools: &Tools) -> Result<(), String> {
    let found = sh::output(sh::cargo(root, tools).args(["fuzz", "--version"]));
    if found.is_some_and(|v| v.trim() == format!("cargo-fuzz {CARGO_FUZZ_VERSION}")) {
        println!("  ok  cargo-fuzz {CARGO_FUZZ_VERSION}");
        return Ok(());
    }
    println!("  ..  installing cargo-fuzz {CARGO_FUZZ_VERSION} from crates.io");
    sh::run(sh::cargo(root, tools).args([
        "install",
        "cargo-fuzz",
        "--version",
        CARGO_FUZZ_VERSION,
        "--locked",
    ]))
}

/// The fuzz targets, by file name.
fn targets(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join("crates/fuzz/fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".rs")
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    Ok(names)
}

/// Where fuzz builds go: beside the usual target folder (their flags differ, and sharing
/// one folder would rebuild everything each time).
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(format!("{}-fuzz", PathBuf::from(dir).display())),
        None => root.join("target/fuzz"),
    }
}

/// Runs every target for `seconds` and returns how many ran clean. libFuzzer's progress
/// lines (thousands a target) go to a log; its final statistics are printed, and on a
/// failure the end of the log. A failure names the input that caused it and where to put it
/// so that it becomes a regression test.
pub fn run_all(root: &Path, tools: &Tools, seconds: u64) -> Result<u64, String> {
    ensure_cargo_fuzz(root, tools)?;
    let scratch = sh::Scratch::new("fuzz")?;
    let fuzz_dir = root.join("crates/fuzz");
    let mut ran = 0;
    for target in targets(root)? {
        sh::banner(&format!("fuzz: {target} for {seconds} s"));
        let learned = scratch.path().join("corpus").join(&target);
        let artifacts = scratch.path().join("artifacts").join(&target);
        for dir in [&learned, &artifacts] {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let log_path = scratch.path().join(format!("{target}.log"));
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let mut command: Command = sh::cargo(root, tools);
        command
            .env("CARGO_TARGET_DIR", target_dir(root))
            .args(["fuzz", "run", "--fuzz-dir"])
            .arg(&fuzz_dir)
            .args(["-s", "none", &target])
            .arg(&learned)
            .arg(fuzz_dir.join("corpus").join(&target))
            .arg(fuzz_dir.join("regressions").join(&target))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            .arg("-print_final_stats=1")
            .stderr(log);
        let result = sh::run(&mut command);
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        if result.is_ok() {
            for line in lines.iter().filter(|l| {
                l.starts_with("stat::number_of_executed_units")
                    || l.starts_with("stat::new_units_added")
                    || l.starts_with("Done ")
            }) {
                println!("  {line}");
            }
        } else {
            for line in &lines[lines.len().saturating_sub(80)..] {
                println!("  {line}");
            }
        }
        if let Err(failure) = result {
            let found: Vec<String> = std::fs::read_dir(&artifacts)
                .map(|d| {
                    d.filter_map(|e| Some(e.ok()?.path().display().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            // Keep the inputs: the scratch folder goes away when this returns.
            let kept = root.join("target/fuzz-failures").join(&target);
            let _ = std::fs::create_dir_all(&kept);
            for path in &found {
                let from = Path::new(path);
                if let Some(name) = from.file_name() {
                    let _ = std::fs::copy(from, kept.join(name));
                }
            }
            return Err(format!(
                "{failure}\nthe failing inputs are in {}; fix the cause, then copy them into \
                 crates/fuzz/regressions/{target}/ so `cargo test` replays them",
                kept.display()
            ));
        }
        ran += 1;
    }
    Ok(ran)
}
