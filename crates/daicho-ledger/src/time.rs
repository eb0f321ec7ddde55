//! What time it is, once: the [`WallClock`] a [`crate::Ledger`] holds (the system's, or a
//! test's [`ManualWallClock`]), asked through `Ledger::now` by the ledger and by the collector
//! above it. And timestamps as stored: RFC 3339 UTC with microseconds and a `Z`, so that text
//! order is time order and SQLite can compare them directly.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// A source of the current (wall-clock) time. Not the scanner's pacing clock
/// (`daicho_scan::clock::Clock`, monotonic).
pub trait WallClock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move, for tests of what time alone changes
/// (lockouts, session expiry, devices going missing).
#[derive(Debug)]
pub struct ManualWallClock(Mutex<DateTime<Utc>>);

impl ManualWallClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl WallClock for ManualWallClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Formats a time the way the database stores it.
pub fn to_db(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads a stored time; `None` when the text is not a time (it always is when written by us).
pub fn from_db(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_time_order() {
        let a = DateTime::parse_from_rfc3339("2026-01-02T03:04:05+09:00")
            .unwrap()
            .with_timezone(&Utc);
        let b = a + chrono::Duration::microseconds(1);
        assert!(to_db(a) < to_db(b));
        assert_eq!(from_db(&to_db(a)), Some(a));
        assert_eq!(to_db(a), "2026-01-01T18:04:05.000000Z");
    }
}
