//! Delivery throughput: a backlog of real-size reports (this host's inventory) drains from the
//! spool to a collector double on loopback, each exactly once. Prints the rate.

#[path = "common/collector_double.rs"]
#[allow(dead_code)] // shared helpers; this file uses a subset
mod collector_double;

use std::time::{Duration, Instant};

use collector_double::CollectorDouble;
use daicho_agent::config::CollectorConfig;
use daicho_agent::delivery::{Collector, flush};
use daicho_agent::runner::gzip_json;
use daicho_agent::spool::Spool;
use daicho_model::{AgentInfo, ScanReport, Scope};

const BACKLOG: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backlog_drains_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "tok\n").unwrap();
    std::fs::set_permissions(
        dir.path().join("token"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let double = CollectorDouble::start("tok").await;
    let collector = Collector::new(&CollectorConfig {
        url: double.url().parse().unwrap(),
        token_file: dir.path().join("token"),
        ca_file: None,
        timeout: Duration::from_secs(10),
        retry_initial: Duration::from_millis(100),
        retry_max: Duration::from_secs(1),
    })
    .unwrap();
    let spool = Spool::open(&dir.path().join("spool"), 10_000, 1 << 30).unwrap();

    let started = Instant::now();
    let local =
        tokio::task::spawn_blocking(|| daicho_inventory::collect(&daicho_inventory::LiveHost))
            .await
            .unwrap();
    let inventory_ms = started.elapsed().as_millis();
    let agent = AgentInfo {
        name: "bench".into(),
        version: "0".into(),
        machine_id: None,
    };
    let mut ids = Vec::new();
    let mut bytes = 0;
    let started = Instant::now();
    for _ in 0..BACKLOG {
        let mut report = ScanReport::new(agent.clone(), Scope::default(), chrono::Utc::now());
        report.local = Some(local.clone());
        let body = gzip_json(&report);
        bytes += body.len();
        spool.put(report.report_id, &body).unwrap();
        ids.push(report.report_id);
    }
    let spool_ms = started.elapsed().as_millis();

    let started = Instant::now();
    let summary = flush(&spool, &collector).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(summary.delivered, BACKLOG);
    assert!(summary.failure.is_none());
    assert!(spool.pending().unwrap().is_empty());
    for id in &ids {
        assert_eq!(double.record.count(*id), 1);
    }
    let secs = elapsed.as_secs_f64();
    println!(
        "inventory {inventory_ms} ms ({} packages, {} processes); {BACKLOG} reports of {} KiB gzip: spooled (fsync'd) in {spool_ms} ms, delivered in {:.2} s = {:.0} reports/s, {:.1} MiB/s",
        local.packages.len(),
        local.processes.len(),
        bytes / BACKLOG / 1024,
        secs,
        BACKLOG as f64 / secs,
        bytes as f64 / secs / 1_048_576.0
    );
}
