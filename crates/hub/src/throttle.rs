//! Slowing password guessing without letting anyone lock a user out.
//!
//! Failures are counted per username *and* client address. After `FREE_FAILURES` the next
//! attempt from that pair must wait a delay that doubles with each failure, up to
//! `MAX_DELAY`; the right password after the wait signs in. Nobody else is affected, so
//! five wrong guesses from one phone never keep the dispatch desk out. A global cap on
//! failures a minute slows a guessing run spread over many accounts: past it, addresses
//! that have failed recently wait a minute, while addresses with no failure still pass.
//! Kept in memory and bounded: a restart forgives.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures before any delay: a person mistyping twice never waits.
const FREE_FAILURES: u32 = 3;
/// The longest delay asked of one username and address.
const MAX_DELAY: Duration = Duration::from_secs(60);
/// A pair's failures are forgotten this long after the last one.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Failures a minute across the hub before recently failing addresses are made to wait.
const GLOBAL_PER_MINUTE: usize = 300;
/// Pairs tracked at most; the oldest are forgotten first.
const MAX_TRACKED: usize = 50_000;

#[derive(Default)]
pub struct SignInThrottle {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    pairs: HashMap<(String, String), Failures>,
    /// When recent failures happened, oldest first (at most `GLOBAL_PER_MINUTE` + 1 kept).
    recent: std::collections::VecDeque<Instant>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    fn delay(self) -> Duration {
        let over = self.count.saturating_sub(FREE_FAILURES);
        if over == 0 {
            return Duration::ZERO;
        }
        Duration::from_secs(1u64 << over.min(6)).min(MAX_DELAY)
    }
}

/// Whole seconds, rounded up: a client that waits exactly this long is let through.
fn seconds_up(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

fn key(username: &str, address: Option<&str>) -> (String, String) {
    (username.to_lowercase(), address.unwrap_or("-").to_owned())
}

impl SignInThrottle {
    /// `Err(seconds to wait)` when this username and address must wait before trying again.
    pub fn check(&self, username: &str, address: Option<&str>) -> Result<(), u64> {
        self.check_at(username, address, Instant::now())
    }

    fn check_at(&self, username: &str, address: Option<&str>, now: Instant) -> Result<(), u64> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let pair = inner.pairs.get(&key(username, address)).copied();
        let Some(pair) = pair.filter(|p| now.duration_since(p.last) < FORGET_AFTER) else {
            return Ok(());
        };
        let wait_until = pair.last + pair.delay();
        if now < wait_until {
            return Err(seconds_up(wait_until.duration_since(now)));
        }
        // Many failures across the hub: an address that failed within the minute waits.
        while inner
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            inner.recent.pop_front();
        }
        if inner.recent.len() >= GLOBAL_PER_MINUTE
            && now.duration_since(pair.last) < Duration::from_secs(60)
        {
            let minute_after = pair.last + Duration::from_secs(60);
            return Err(seconds_up(minute_after.duration_since(now)));
        }
        Ok(())
    }

    pub fn failed(&self, username: &str, address: Option<&str>) {
        self.failed_at(username, address, Instant::now());
    }

    fn failed_at(&self, username: &str, address: Option<&str>, now: Instant) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.pairs.len() >= MAX_TRACKED {
            inner
                .pairs
                .retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
            if inner.pairs.len() >= MAX_TRACKED {
                // Still full of fresh failures: forget the older half.
                let mut lasts: Vec<Instant> = inner.pairs.values().map(|f| f.last).collect();
                lasts.sort_unstable();
                let cut = lasts[lasts.len() / 2];
                inner.pairs.retain(|_, f| f.last > cut);
            }
        }
        let entry = inner
            .pairs
            .entry(key(username, address))
            .or_insert(Failures {
                count: 0,
                last: now,
            });
        if now.duration_since(entry.last) >= FORGET_AFTER {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = now;
        inner.recent.push_back(now);
        if inner.recent.len() > GLOBAL_PER_MINUTE + 1 {
            inner.recent.pop_front();
        }
    }

    pub fn succeeded(&self, username: &str, address: Option<&str>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.pairs.remove(&key(username, address));
    }

    /// Pairs tracked now (bounded by `MAX_TRACKED`).
    pub fn tracked(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pairs
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: Option<&str> = Some("10.0.0.5");
    const ELSEWHERE: Option<&str> = Some("10.0.0.9");

    #[test]
    fn the_delay_grows_with_failures_and_never_passes_a_minute() {
        let throttle = SignInThrottle::default();
        let start = Instant::now();
        for i in 0..FREE_FAILURES {
            throttle.failed_at("dispatch", HOME, start);
            assert_eq!(
                throttle.check_at("dispatch", HOME, start),
                Ok(()),
                "failure {i}"
            );
        }
        throttle.failed_at("dispatch", HOME, start);
        assert_eq!(throttle.check_at("dispatch", HOME, start), Err(2));
        throttle.failed_at("dispatch", HOME, start);
        assert_eq!(throttle.check_at("dispatch", HOME, start), Err(4));
        for _ in 0..20 {
            throttle.failed_at("dispatch", HOME, start);
        }
        assert_eq!(throttle.check_at("dispatch", HOME, start), Err(60));
        assert_eq!(
            throttle.check_at("dispatch", HOME, start + MAX_DELAY),
            Ok(())
        );
    }

    #[test]
    fn failures_from_one_address_never_lock_the_user_out_elsewhere() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for _ in 0..50 {
            throttle.failed_at("dispatch", HOME, now);
        }
        assert!(throttle.check_at("dispatch", HOME, now).is_err());
        assert_eq!(throttle.check_at("dispatch", ELSEWHERE, now), Ok(()));
        assert_eq!(throttle.check_at("medic1", HOME, now), Ok(()));
    }

    #[test]
    fn a_spread_out_guessing_run_slows_only_the_addresses_that_fail() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for i in 0..GLOBAL_PER_MINUTE {
            throttle.failed_at(&format!("user{i}"), Some("10.9.9.9"), now);
        }
        assert!(throttle.check_at("user1", Some("10.9.9.9"), now).is_err());
        assert_eq!(throttle.check_at("user1", ELSEWHERE, now), Ok(()));
        let later = now + Duration::from_secs(61);
        assert_eq!(throttle.check_at("user1", Some("10.9.9.9"), later), Ok(()));
    }

    #[test]
    fn the_table_stays_bounded() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for i in 0..(MAX_TRACKED + 10) {
            throttle.failed_at(
                "x",
                Some(&i.to_string()),
                now + Duration::from_millis(i as u64),
            );
        }
        assert!(throttle.tracked() <= MAX_TRACKED);
    }
}
