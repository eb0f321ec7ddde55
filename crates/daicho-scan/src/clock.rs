//! Time as the scanner sees it, behind a trait so that pacing and timeouts can be tested with a
//! simulated clock instead of real sleeps.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A source of time that can also wait.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Instant;
    /// Returns no earlier than `deadline`.
    fn sleep_until(&self, deadline: Instant);
}

/// The real monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) {
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
    }
}

/// A simulated clock: time moves only when someone sleeps or calls [`ManualClock::advance`].
#[derive(Debug)]
pub struct ManualClock {
    base: Instant,
    offset: Mutex<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A clock starting now.
    pub fn new() -> Self {
        Self {
            base: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves time forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().expect("clock lock") += by;
    }

    /// Time elapsed since the clock was made.
    pub fn elapsed(&self) -> Duration {
        *self.offset.lock().expect("clock lock")
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.base + *self.offset.lock().expect("clock lock")
    }

    fn sleep_until(&self, deadline: Instant) {
        let mut offset = self.offset.lock().expect("clock lock");
        let target = deadline.saturating_duration_since(self.base);
        if target > *offset {
            *offset = target;
        }
    }
}
