//! Taking a press once. After a status or acknowledge press, the buttons ignore presses for
//! `SETTLE_MS`: long enough that the second tap of a double tap (150 ms apart, longer with
//! gloves) cannot land on the button that appears under the finger, short enough that a crew
//! pressing "En route" and then, deliberately, "On scene" never notices.

/// How long after a taken press further presses are ignored, in milliseconds.
pub const SETTLE_MS: f64 = 800.0;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PressGuard {
    /// When the last press was taken (a monotonic clock, in milliseconds).
    taken_at: Option<f64>,
}

impl PressGuard {
    /// Whether a press at `now` counts; if it does, it starts a new settling time.
    pub fn take(&mut self, now: f64) -> bool {
        if self.settling(now) {
            return false;
        }
        self.taken_at = Some(now);
        true
    }

    /// Whether presses at `now` are still ignored.
    pub fn settling(&self, now: f64) -> bool {
        self.taken_at
            .is_some_and(|at| now >= at && now - at < SETTLE_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_double_tap_is_one_press() {
        let mut guard = PressGuard::default();
        assert!(guard.take(1_000.0));
        assert!(!guard.take(1_150.0), "the second tap of a double tap");
        assert!(!guard.take(1_000.0 + SETTLE_MS - 1.0));
        assert!(guard.take(1_000.0 + SETTLE_MS), "a deliberate next press");
    }

    #[test]
    fn an_ignored_tap_does_not_extend_the_settling_time() {
        let mut guard = PressGuard::default();
        assert!(guard.take(0.0));
        assert!(!guard.take(500.0));
        assert!(guard.take(SETTLE_MS + 1.0));
    }

    #[test]
    fn a_clock_that_went_backwards_does_not_lock_the_buttons() {
        let mut guard = PressGuard::default();
        assert!(guard.take(5_000.0));
        assert!(guard.take(10.0));
    }
}
