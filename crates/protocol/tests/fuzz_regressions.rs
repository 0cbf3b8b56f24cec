//! Every input the fuzzers were seeded with or ever failed on, replayed through the same
//! checks the fuzz targets run (`crates/fuzz/src/harness.rs`), so a fixed crash stays fixed
//! in an ordinary `cargo test`. A new crash goes into `crates/fuzz/regressions/<target>/`.

#[path = "../../fuzz/src/harness.rs"]
mod harness;

use std::path::Path;

#[test]
fn every_seed_and_regression_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut replayed = 0;
    for (target, check) in harness::TARGETS {
        for folder in ["corpus", "regressions"] {
            let dir = root.join(folder).join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                if path.file_name().is_some_and(|n| n == ".gitkeep") {
                    continue;
                }
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(outcome.is_ok(), "{target} fails on {}", path.display());
                replayed += 1;
            }
        }
    }
    // Each target has at least its committed seed.
    assert!(
        replayed >= harness::TARGETS.len(),
        "only {replayed} inputs found"
    );
}
