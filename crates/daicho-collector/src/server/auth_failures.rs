//! Failed logins and token checks per source address, and the pause each one earns, shared
//! by the API's bearer check and the console's login.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Sources remembered at most; at the bound the stalest is forgotten first.
pub const MAX_SOURCES: usize = 4096;
/// A source's failures are forgotten this long after its last one.
pub const FORGET_AFTER: Duration = Duration::from_mins(15);
/// The pause after a source's first failure; it doubles with each further one ...
pub const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// ... up to this.
pub const MAX_PAUSE: Duration = Duration::from_millis(3200);

/// Failed authentications per source address, and the pause each one earns: [`FIRST_PAUSE`]
/// doubling per failure up to [`MAX_PAUSE`]. At most [`MAX_SOURCES`] sources are kept (an IPv6
/// source counts by its /64, as one host can take any address in it), each forgotten
/// [`FORGET_AFTER`] its last failure. A success does not wipe a source's failures (a holder of
/// one good token must not be able to reset the count while guessing others); it is just never
/// paused.
///
/// Shared in [`AppState::auth_failures`](super::AppState): the API's bearer check and the
/// console's login count failures from a source together.
#[derive(Debug, Default)]
pub struct AuthFailures {
    sources: Mutex<HashMap<IpAddr, Strikes>>,
}

#[derive(Debug, Clone, Copy)]
struct Strikes {
    count: u32,
    last: Instant,
}

impl AuthFailures {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, Strikes>> {
        self.sources.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a failure from `source` (`None`: unknown, counted as one source); returns the
    /// source's failures in a row, this one included, and the pause to make before answering.
    pub fn failed(&self, source: Option<IpAddr>) -> (u32, Duration) {
        self.failed_at(source, Instant::now())
    }

    fn failed_at(&self, source: Option<IpAddr>, now: Instant) -> (u32, Duration) {
        let key = source_key(source);
        let mut sources = self.lock();
        if !sources.contains_key(&key) && sources.len() >= MAX_SOURCES {
            sources.retain(|_, s| now.saturating_duration_since(s.last) < FORGET_AFTER);
            if sources.len() >= MAX_SOURCES
                && let Some(stalest) = sources.iter().min_by_key(|(_, s)| s.last).map(|(k, _)| *k)
            {
                sources.remove(&stalest);
            }
        }
        let strikes = sources.entry(key).or_insert(Strikes {
            count: 0,
            last: now,
        });
        if now.saturating_duration_since(strikes.last) >= FORGET_AFTER {
            strikes.count = 0;
        }
        strikes.count = strikes.count.saturating_add(1);
        strikes.last = now;
        (strikes.count, pause_after(strikes.count))
    }

    /// The failures in a row recorded for `source` and not yet forgotten.
    pub fn failures(&self, source: Option<IpAddr>) -> u32 {
        self.lock()
            .get(&source_key(source))
            .filter(|s| s.last.elapsed() < FORGET_AFTER)
            .map_or(0, |s| s.count)
    }

    /// How many sources are remembered.
    pub fn sources(&self) -> usize {
        self.lock().len()
    }
}

/// The pause after the `failures`-th failure in a row.
pub fn pause_after(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_PAUSE.saturating_mul(1 << doublings).min(MAX_PAUSE)
}

/// What failures are counted under: the IPv4 address (also when IPv4-mapped), an IPv6 /64.
fn source_key(source: Option<IpAddr>) -> IpAddr {
    match source {
        None => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        Some(IpAddr::V4(v4)) => IpAddr::V4(v4),
        Some(IpAddr::V6(v6)) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                IpAddr::V4(v4)
            } else {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    #[test]
    fn the_pause_doubles_up_to_the_bound() {
        let pauses: Vec<u64> = (1..=8)
            .map(|n| u64::try_from(pause_after(n).as_millis()).unwrap())
            .collect();
        assert_eq!(pauses, [200, 400, 800, 1600, 3200, 3200, 3200, 3200]);
        assert_eq!(pause_after(u32::MAX), MAX_PAUSE);
    }

    #[test]
    fn failures_count_per_source_and_are_forgotten() {
        let f = AuthFailures::new();
        let a = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        let b = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)));
        let t0 = Instant::now();
        assert_eq!(f.failed_at(a, t0).0, 1);
        assert_eq!(f.failed_at(a, t0).0, 2);
        assert_eq!(f.failed_at(b, t0).0, 1);
        assert_eq!(f.failures(a), 2);
        // Long after: counted from one again.
        assert_eq!(f.failed_at(a, t0 + FORGET_AFTER), (1, FIRST_PAUSE));
    }

    #[test]
    fn an_ipv6_source_counts_by_its_64_and_a_mapped_ipv4_as_ipv4() {
        let f = AuthFailures::new();
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        f.failed(Some(one));
        assert_eq!(f.failed(Some(other)).0, 2);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        f.failed(Some(mapped));
        assert_eq!(f.failures(Some("192.0.2.7".parse().unwrap())), 1);
    }

    #[test]
    fn the_record_is_bounded() {
        let f = AuthFailures::new();
        let t0 = Instant::now();
        for i in 0..(MAX_SOURCES as u32 + 100) {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            f.failed_at(Some(ip), t0 + Duration::from_millis(u64::from(i)));
        }
        assert_eq!(f.sources(), MAX_SOURCES);
        // The stalest went first; the newest are kept.
        assert_eq!(f.failures(Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000)))), 0);
        let newest = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + MAX_SOURCES as u32 + 99));
        assert_eq!(f.failures(Some(newest)), 1);
    }
}
