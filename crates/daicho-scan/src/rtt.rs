//! The reply window of a probe, from the round trips measured so far: RFC 6298's estimator
//! (SRTT + 4 RTTVAR), clamped by the caller's bounds. Callers apply Karn's rule themselves: only
//! answers to a first attempt are unambiguous samples. Used by the ARP sweep (one estimate for
//! the whole sweep) and the half-open SYN sweep (one per host).

use std::time::Duration;

/// A smoothed round trip and its variation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rtt {
    /// The smoothed round trip; `None` until the first sample (or hint).
    pub(crate) srtt: Option<Duration>,
    rttvar: Duration,
}

impl Rtt {
    /// An estimate starting from `hint` (a round trip measured earlier), or from nothing.
    pub(crate) fn new(hint: Option<Duration>) -> Self {
        Self {
            srtt: hint,
            rttvar: hint.map_or(Duration::ZERO, |h| h / 2),
        }
    }

    /// Takes in one measured round trip.
    pub(crate) fn sample(&mut self, rtt: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            Some(srtt) => {
                let delta = srtt.abs_diff(rtt);
                self.rttvar = (self.rttvar * 3 + delta) / 4;
                self.srtt = Some((srtt * 7 + rtt) / 8);
            }
        }
    }

    /// How long to wait for an answer: SRTT + 4 RTTVAR within `[min, max]`, and `max` while
    /// nothing has been measured.
    pub(crate) fn window(&self, min: Duration, max: Duration) -> Duration {
        self.srtt
            .map_or(max, |s| (s + self.rttvar * 4).clamp(min, max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(1);

    #[test]
    fn unmeasured_waits_the_longest() {
        assert_eq!(Rtt::new(None).window(MIN, MAX), MAX);
    }

    #[test]
    fn window_follows_the_samples_within_the_bounds() {
        let mut rtt = Rtt::new(None);
        rtt.sample(Duration::from_millis(200));
        // 200 + 4 * 100.
        assert_eq!(rtt.window(MIN, MAX), Duration::from_millis(600));
        for _ in 0..50 {
            rtt.sample(Duration::from_millis(200));
        }
        let settled = rtt.window(MIN, MAX);
        assert!(settled >= Duration::from_millis(200) && settled < Duration::from_millis(210));
        let mut fast = Rtt::new(Some(Duration::from_millis(1)));
        fast.sample(Duration::from_millis(1));
        assert_eq!(fast.window(MIN, MAX), MIN);
        let mut slow = Rtt::new(None);
        slow.sample(Duration::from_secs(2));
        assert_eq!(slow.window(MIN, MAX), MAX);
    }
}
