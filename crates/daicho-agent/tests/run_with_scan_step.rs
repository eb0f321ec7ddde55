//! `run_agent` with a test implementation of the `ScanStep` trait (the real scanner plugs into
//! the same trait): scan results reach the collector with the inventory, a failed scan never
//! reads as "no hosts in scope", and a shutdown mid-scan abandons the run cleanly.

#[path = "common/collector_double.rs"]
#[allow(dead_code)] // shared helpers; this file uses a subset
mod collector_double;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use collector_double::CollectorDouble;
use daicho_agent::config::{AgentConfig, ScanSettings};
use daicho_agent::runner::{RunMode, run_agent};
use daicho_agent::scan_step::{ScanOutcome, ScanStep, ScanStepError};
use daicho_model::{Host, OsGuess, SwitchReading};

/// Returns fixed hosts after `delay`, or fails.
struct FixedScan {
    delay: Duration,
    fail: bool,
    calls: Arc<AtomicUsize>,
}

impl ScanStep for FixedScan {
    async fn scan(&self, settings: &ScanSettings) -> Result<ScanOutcome, ScanStepError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        if self.fail {
            return Err(ScanStepError("no raw-socket privilege".into()));
        }
        assert_eq!(settings.targets, vec!["198.18.0.0/24".to_owned()]);
        let host = |ip: &str| Host {
            ip: ip.parse().unwrap(),
            mac: None,
            vendor: None,
            mac_randomized: false,
            hostname: None,
            os: OsGuess::default(),
            services: Vec::new(),
            rtt_ms: None,
            ttl: None,
            discovered_by: vec!["test".into()],
            local: None,
        };
        Ok(ScanOutcome {
            hosts: vec![host("198.18.0.10"), host("198.18.0.11")],
            methods: vec!["test".into()],
            warnings: Vec::new(),
            switches: vec![SwitchReading {
                name: Some("sw-core".into()),
                ..SwitchReading::unread("198.18.0.14".parse().unwrap())
            }],
        })
    }
}

fn config(dir: &std::path::Path, url: &str) -> AgentConfig {
    std::fs::write(dir.join("token"), "tok\n").unwrap();
    std::fs::set_permissions(
        dir.join("token"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let text = format!(
        r#"[agent]
shutdown_grace = "2s"
[schedule]
interval = "1h"
[collector]
url = "{url}"
token_file = "token"
retry_initial = "100ms"
retry_max = "200ms"
[spool]
dir = "spool"
[scan]
targets = ["198.18.0.0/24"]
exclude = ["198.18.0.5"]
ports = "22,80"
"#
    );
    AgentConfig::parse(&dir.join("agent.toml"), &text).unwrap()
}

/// True when the spool holds no pending report.
fn spooled_nothing(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir.join("spool/pending"))
        .unwrap()
        .count()
        == 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_results_and_inventory_arrive_together() {
    let dir = tempfile::tempdir().unwrap();
    let collector = CollectorDouble::start("tok").await;
    let calls = Arc::new(AtomicUsize::new(0));
    let scan = FixedScan {
        delay: Duration::ZERO,
        fail: false,
        calls: Arc::clone(&calls),
    };
    let summary = run_agent(
        config(dir.path(), &collector.url()),
        Some(scan),
        RunMode::Once,
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(summary.reports, 1);
    assert_eq!(summary.final_flush.remaining, 0);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let stored = collector.record.reports();
    assert_eq!(stored.len(), 1);
    let report = &stored[0];
    assert_eq!(report.scope.targets, vec!["198.18.0.0/24"]);
    assert_eq!(report.scope.exclude, vec!["198.18.0.5"]);
    let ips: BTreeSet<String> = report.hosts.iter().map(|h| h.ip.to_string()).collect();
    assert_eq!(
        ips,
        BTreeSet::from(["198.18.0.10".into(), "198.18.0.11".into()])
    );
    assert!(
        report
            .local
            .as_ref()
            .is_some_and(|l| !l.packages.is_empty())
    );
    assert_eq!(report.methods, vec!["test"]);
    // The switches read travel in the report.
    assert_eq!(report.switches.len(), 1);
    assert_eq!(report.switches[0].name.as_deref(), Some("sw-core"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_scan_sends_inventory_with_empty_scope_and_warning() {
    let dir = tempfile::tempdir().unwrap();
    let collector = CollectorDouble::start("tok").await;
    let scan = FixedScan {
        delay: Duration::ZERO,
        fail: true,
        calls: Arc::new(AtomicUsize::new(0)),
    };
    run_agent(
        config(dir.path(), &collector.url()),
        Some(scan),
        RunMode::Once,
        std::future::pending(),
    )
    .await
    .unwrap();
    let stored = collector.record.reports();
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].scope.targets.is_empty(),
        "no claim about the scope"
    );
    assert!(stored[0].hosts.is_empty());
    assert!(stored[0].warnings[0].contains("no raw-socket privilege"));
    assert!(stored[0].local.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_mid_scan_abandons_the_run_and_returns_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let collector = CollectorDouble::start("tok").await;
    let calls = Arc::new(AtomicUsize::new(0));
    let scan = FixedScan {
        delay: Duration::from_mins(5),
        fail: false,
        calls: Arc::clone(&calls),
    };
    let started = Instant::now();
    let summary = run_agent(
        config(dir.path(), &collector.url()),
        Some(scan),
        RunMode::Scheduled,
        tokio::time::sleep(Duration::from_millis(500)),
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the scan had started");
    assert_eq!(summary.reports, 0);
    assert!(collector.record.reports().is_empty());
    assert!(spooled_nothing(dir.path()), "nothing half-done was spooled");
}
