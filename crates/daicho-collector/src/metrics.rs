//! Counters exposed at `GET /metrics` in the Prometheus text format (version 0.0.4).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the ingest-duration histogram buckets.
const BUCKETS: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Why a push was refused, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 401/403.
    Auth,
    /// 413.
    TooLarge,
    /// 400.
    Malformed,
    /// 415.
    Unsupported,
    /// 5xx.
    Internal,
}

impl Rejection {
    const ALL: [Self; 5] = [
        Self::Auth,
        Self::TooLarge,
        Self::Malformed,
        Self::Unsupported,
        Self::Internal,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::TooLarge => "too_large",
            Self::Malformed => "malformed",
            Self::Unsupported => "unsupported",
            Self::Internal => "internal",
        }
    }
}

/// The collector's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    accepted: AtomicU64,
    duplicate: AtomicU64,
    rejected: [AtomicU64; 5],
    hosts: AtomicU64,
    ingest_micros: AtomicU64,
    ingest_buckets: [AtomicU64; 9],
    ingest_count: AtomicU64,
    timeouts: AtomicU64,
}

impl Metrics {
    /// A report was stored.
    pub fn accepted(&self, hosts: usize, took: Duration) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.hosts.fetch_add(hosts as u64, Ordering::Relaxed);
        self.ingest_count.fetch_add(1, Ordering::Relaxed);
        self.ingest_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.ingest_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A report id was already stored.
    pub fn duplicate(&self) {
        self.duplicate.fetch_add(1, Ordering::Relaxed);
    }

    /// A push was refused.
    pub fn rejected(&self, why: Rejection) {
        let i = Rejection::ALL.iter().position(|r| *r == why).unwrap_or(0);
        self.rejected[i].fetch_add(1, Ordering::Relaxed);
    }

    /// A request hit the timeout.
    pub fn timed_out(&self) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition, with the ledger's gauges.
    pub fn render(&self, devices: Option<u64>, reports: Option<u64>) -> String {
        let mut out = String::new();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(out, "# HELP daicho_reports_accepted_total Reports stored.");
        let _ = writeln!(out, "# TYPE daicho_reports_accepted_total counter");
        let _ = writeln!(out, "daicho_reports_accepted_total {}", get(&self.accepted));
        let _ = writeln!(
            out,
            "# HELP daicho_reports_duplicate_total Pushes of an already stored report id."
        );
        let _ = writeln!(out, "# TYPE daicho_reports_duplicate_total counter");
        let _ = writeln!(
            out,
            "daicho_reports_duplicate_total {}",
            get(&self.duplicate)
        );
        let _ = writeln!(
            out,
            "# HELP daicho_reports_rejected_total Pushes refused, by reason."
        );
        let _ = writeln!(out, "# TYPE daicho_reports_rejected_total counter");
        for (r, n) in Rejection::ALL.iter().zip(&self.rejected) {
            let _ = writeln!(
                out,
                "daicho_reports_rejected_total{{reason=\"{}\"}} {}",
                r.label(),
                get(n)
            );
        }
        let _ = writeln!(
            out,
            "# HELP daicho_report_hosts_total Hosts in stored reports."
        );
        let _ = writeln!(out, "# TYPE daicho_report_hosts_total counter");
        let _ = writeln!(out, "daicho_report_hosts_total {}", get(&self.hosts));
        let _ = writeln!(
            out,
            "# HELP daicho_ingest_duration_seconds Time to merge one report."
        );
        let _ = writeln!(out, "# TYPE daicho_ingest_duration_seconds histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.ingest_buckets) {
            let _ = writeln!(
                out,
                "daicho_ingest_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let count = get(&self.ingest_count);
        let _ = writeln!(
            out,
            "daicho_ingest_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "daicho_ingest_duration_seconds_sum {}",
            get(&self.ingest_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "daicho_ingest_duration_seconds_count {count}");
        let _ = writeln!(
            out,
            "# HELP daicho_request_timeouts_total Requests answered 408."
        );
        let _ = writeln!(out, "# TYPE daicho_request_timeouts_total counter");
        let _ = writeln!(out, "daicho_request_timeouts_total {}", get(&self.timeouts));
        if let Some(d) = devices {
            let _ = writeln!(out, "# HELP daicho_devices Devices in the ledger.");
            let _ = writeln!(out, "# TYPE daicho_devices gauge");
            let _ = writeln!(out, "daicho_devices {d}");
        }
        if let Some(r) = reports {
            let _ = writeln!(out, "# HELP daicho_reports_stored Reports in the database.");
            let _ = writeln!(out, "# TYPE daicho_reports_stored gauge");
            let _ = writeln!(out, "daicho_reports_stored {r}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.accepted(10, Duration::from_millis(30));
        m.accepted(10, Duration::from_millis(700));
        m.rejected(Rejection::TooLarge);
        let text = m.render(Some(5), Some(2));
        assert!(
            text.contains("daicho_ingest_duration_seconds_bucket{le=\"0.05\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("daicho_ingest_duration_seconds_bucket{le=\"1\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("daicho_ingest_duration_seconds_count 2\n"));
        assert!(text.contains("daicho_reports_rejected_total{reason=\"too_large\"} 1\n"));
        assert!(text.contains("daicho_devices 5\n"));
    }
}
