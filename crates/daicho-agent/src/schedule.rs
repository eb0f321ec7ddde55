//! When the next run happens: a fixed interval or a cron expression (local time), plus jitter.

use std::time::Duration;

use chrono::{DateTime, Local, Utc};

use crate::config::{ScheduleConfig, ScheduleKind};

/// Computes run times from the configured rule.
#[derive(Debug, Clone)]
pub struct Scheduler {
    config: ScheduleConfig,
    last_planned: Option<DateTime<Utc>>,
}

impl Scheduler {
    /// A scheduler that has not run yet.
    pub fn new(config: ScheduleConfig) -> Self {
        Self {
            config,
            last_planned: None,
        }
    }

    /// The next run time after `now`, before jitter. The first run is `now` when
    /// `run_at_start` is set. Interval runs keep their cadence (`previous + interval`) unless a
    /// run overran it, in which case the next one starts now instead of piling up.
    pub fn next_planned(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        let planned = match (&self.config.kind, self.last_planned) {
            (_, None) if self.config.run_at_start => now,
            (ScheduleKind::Interval(every), None) => now + to_chrono(*every),
            (ScheduleKind::Interval(every), Some(previous)) => {
                (previous + to_chrono(*every)).max(now)
            }
            (ScheduleKind::Cron(cron), _) => cron
                .find_next_occurrence(&now.with_timezone(&Local), false)
                .map_or(now + chrono::Duration::hours(1), |t| t.with_timezone(&Utc)),
        };
        self.last_planned = Some(planned);
        planned
    }

    /// A random delay in `0..jitter`.
    pub fn jitter(&self) -> Duration {
        self.config.jitter.mul_f64(fastrand::f64())
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Timelike};

    use super::*;
    use crate::config::parse_cron;

    fn config(kind: ScheduleKind, run_at_start: bool) -> ScheduleConfig {
        ScheduleConfig {
            kind,
            jitter: Duration::from_secs(10),
            run_at_start,
        }
    }

    #[test]
    fn interval_keeps_cadence_and_does_not_pile_up() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut s = Scheduler::new(config(ScheduleKind::Interval(Duration::from_mins(1)), true));
        assert_eq!(s.next_planned(t0), t0);
        // The run took 5 s: the next one is still on the minute.
        let t1 = s.next_planned(t0 + chrono::Duration::seconds(5));
        assert_eq!(t1, t0 + chrono::Duration::seconds(60));
        // A run overran by far: start now, not three catch-up runs.
        let late = t1 + chrono::Duration::seconds(200);
        assert_eq!(s.next_planned(late), late);
    }

    #[test]
    fn interval_without_run_at_start_waits_one_interval() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut s = Scheduler::new(config(
            ScheduleKind::Interval(Duration::from_mins(1)),
            false,
        ));
        assert_eq!(s.next_planned(t0), t0 + chrono::Duration::seconds(60));
    }

    #[test]
    fn cron_finds_the_next_matching_local_minute() {
        let cron = parse_cron("*/15 * * * *").unwrap();
        let mut s = Scheduler::new(config(ScheduleKind::Cron(Box::new(cron)), false));
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 10, 7, 30).unwrap();
        let next = s.next_planned(now).with_timezone(&Local);
        assert_eq!(next.minute() % 15, 0);
        assert_eq!(next.second(), 0);
        assert!(next.with_timezone(&Utc) > now);
        assert!(next.with_timezone(&Utc) - now <= chrono::Duration::minutes(15));
    }

    #[test]
    fn jitter_stays_within_bound() {
        let s = Scheduler::new(config(ScheduleKind::Interval(Duration::from_mins(1)), true));
        for _ in 0..100 {
            assert!(s.jitter() < Duration::from_secs(10));
        }
    }
}
