//! Counting what the test layers ran, so `cargo xtask test` ends on one line that says how
//! many checks passed across every layer (`xtask: N passed, 0 failed`), not only that each
//! layer's command exited 0.
//!
//! Each runner's own summary is read as its output streams past: cargo test's
//! `test result:` lines, Playwright's `N passed (…)`, Schemathesis's `N generated, N passed`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }

    /// The closing line: `N passed, N failed` (`, N skipped` when any were).
    pub fn line(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed, self.failed);
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        line
    }
}

/// The number just before `word` in `text` (`"12 passed"` → 12).
fn count_before(text: &str, word: &str) -> Option<u64> {
    let at = text.find(word)?;
    let before = text[..at].trim_end();
    let digits: String = before
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

/// What one line of a runner's output reports, if it is a summary line.
pub fn parse_line(line: &str) -> Option<Tally> {
    let line = line.trim();
    // cargo test / wasm-bindgen-test-runner
    if let Some(rest) = line.strip_prefix("test result: ") {
        return Some(Tally {
            passed: count_before(rest, " passed")?,
            failed: count_before(rest, " failed").unwrap_or(0),
            skipped: count_before(rest, " ignored").unwrap_or(0),
        });
    }
    // Schemathesis: "1358 generated, 1358 passed, 39 skipped" (its skips are generated cases
    // it chose not to send, not tests left out)
    if line.contains(" generated, ") {
        return Some(Tally {
            passed: count_before(line, " passed")?,
            failed: count_before(line, " failed").unwrap_or(0),
            skipped: 0,
        });
    }
    // Playwright's list reporter: "18 passed (2.0m)", "1 failed", "2 skipped" — short lines
    let words: Vec<&str> = line.split_whitespace().collect();
    let (Some(n), Some(word)) = (words.first()?.parse::<u64>().ok(), words.get(1)) else {
        return None;
    };
    if line.len() >= 40 {
        return None;
    }
    match *word {
        "passed" if line.contains(" passed (") => Some(Tally {
            passed: n,
            ..Tally::default()
        }),
        "failed" => Some(Tally {
            failed: n,
            ..Tally::default()
        }),
        "skipped" => Some(Tally {
            skipped: n,
            ..Tally::default()
        }),
        _ => None,
    }
}

/// Runs `command`, echoing its standard output line by line, and adds up the summary lines
/// it prints. A non-zero exit is an error naming the command.
pub fn run(command: &mut Command) -> Result<Tally, String> {
    let name = format!("{:?}", command.get_program());
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no standard output")?;
    let mut tally = Tally::default();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        println!("{line}");
        if let Some(found) = parse_line(&line) {
            tally.add(found);
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {name}: {e}"))?;
    if status.success() {
        Ok(tally)
    } else {
        Err(format!("{name} failed ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargo_test_summaries() {
        assert_eq!(
            parse_line(
                "test result: ok. 41 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 3.21s"
            ),
            Some(Tally {
                passed: 41,
                failed: 0,
                skipped: 2
            })
        );
        assert_eq!(
            parse_line("test result: FAILED. 3 passed; 1 failed; 0 ignored"),
            Some(Tally {
                passed: 3,
                failed: 1,
                skipped: 0
            })
        );
    }

    #[test]
    fn reads_playwright_and_schemathesis_summaries() {
        assert_eq!(
            parse_line("  18 passed (2.0m)"),
            Some(Tally {
                passed: 18,
                ..Tally::default()
            })
        );
        assert_eq!(
            parse_line("  1358 generated, 1358 passed, 39 skipped"),
            Some(Tally {
                passed: 1358,
                ..Tally::default()
            })
        );
        assert_eq!(
            parse_line("  ✓   3 specs/board.spec.js:16:1 › the board follows the field"),
            None
        );
        assert_eq!(
            parse_line("first run: all 8 printed sign-ins work on an empty data folder"),
            None
        );
        assert_eq!(
            parse_line("      ✅ 29 passed"),
            None,
            "Schemathesis's per-phase lines are not counted twice"
        );
    }

    #[test]
    fn closing_line_is_the_plain_form() {
        let mut tally = Tally {
            passed: 5,
            ..Tally::default()
        };
        tally.add(Tally {
            passed: 2,
            failed: 0,
            skipped: 0,
        });
        assert_eq!(tally.line(), "7 passed, 0 failed");
    }
}
