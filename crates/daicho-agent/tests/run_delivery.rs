//! The real agent binary against a collector double on loopback: outages, restarts and a
//! SIGKILL mid-delivery never lose a report, and every report is stored exactly once.

#[path = "common/agent_process.rs"]
mod agent_process;
#[path = "common/collector_double.rs"]
#[allow(dead_code)] // shared helpers; this file uses a subset
mod collector_double;

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use agent_process::{AgentProcess, pending_files, wait_until, write_config};
use collector_double::{CollectorDouble, Mode};
use uuid::Uuid;

const TOKEN: &str = "test-token-123";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_arrives_exactly_once_across_503_and_outage() {
    let dir = tempfile::tempdir().unwrap();
    let mut collector = CollectorDouble::start(TOKEN).await;
    collector.record.set_mode(Mode::Unavailable);
    let config = write_config(dir.path(), &collector.url(), "1s", "jitter = \"200ms\"");
    let agent = AgentProcess::start(&config, &[]);
    let long = Duration::from_mins(1);

    // Phase 1: the collector answers 503.
    wait_until(
        long,
        "2 reports spooled while the collector answers 503",
        || agent.ids("report spooled").len() >= 2,
    )
    .await;
    assert!(collector.record.refused.load(Ordering::SeqCst) >= 1);
    assert!(collector.record.ids().is_empty());

    // Phase 2: the collector is down (connection refused).
    collector.stop().await;
    let before = agent.ids("report spooled").len();
    wait_until(
        long,
        "2 more reports spooled while the collector is down",
        || agent.ids("report spooled").len() >= before + 2,
    )
    .await;
    assert!(
        pending_files(dir.path()).len() >= 4,
        "undelivered reports wait in the spool"
    );

    // Phase 3: back up; the backlog drains and new runs keep arriving.
    collector.record.set_mode(Mode::Accept);
    collector.restart().await;
    let target = agent.ids("report spooled").len() + 2;
    wait_until(long, "backlog delivered and 2 more runs", || {
        let spooled = agent.ids("report spooled");
        spooled.len() >= target && spooled.iter().all(|id| collector.record.count(*id) > 0)
    })
    .await;

    let mut agent = agent;
    agent.terminate();
    let status = agent.wait(Duration::from_secs(30));
    assert!(
        status.success(),
        "clean exit on SIGTERM: {status}\n{}",
        agent.dump()
    );

    let spooled: BTreeSet<Uuid> = agent.ids("report spooled").into_iter().collect();
    let stored: BTreeSet<Uuid> = collector.record.ids().into_iter().collect();
    assert!(spooled.len() >= 6, "{}", agent.dump());
    assert_eq!(
        spooled, stored,
        "every report the agent wrote, and nothing else, arrived"
    );
    for id in &stored {
        assert_eq!(
            collector.record.count(*id),
            1,
            "report {id} delivered more than once"
        );
    }
    assert!(pending_files(dir.path()).is_empty(), "spool drained");
    assert_eq!(
        std::fs::read_dir(dir.path().join("spool/rejected"))
            .unwrap()
            .count(),
        0
    );
    assert!(
        !agent
            .events("delivery failed; reports stay in the spool")
            .is_empty()
    );
    assert_eq!(collector.record.unauthorized.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_delivery_loses_nothing_and_dedup_sees_one_report() {
    let dir = tempfile::tempdir().unwrap();
    let collector = CollectorDouble::start(TOKEN).await;
    // The first report is stored but its acknowledgement never comes.
    collector.record.set_mode(Mode::RecordThenHang);
    let config = write_config(dir.path(), &collector.url(), "1h", "");
    let mut agent = AgentProcess::start(&config, &[]);
    let long = Duration::from_mins(1);

    wait_until(long, "the first report reaches the collector", || {
        !collector.record.ids().is_empty()
    })
    .await;
    let first = collector.record.ids()[0];
    assert_eq!(agent.ids("report spooled"), vec![first]);
    agent.child.kill().unwrap();
    agent.wait(Duration::from_secs(10));

    // The spool survived the kill: the report is still pending, unacknowledged.
    let pending = pending_files(dir.path());
    assert_eq!(pending.len(), 1);
    assert!(pending[0].to_string_lossy().contains(&first.to_string()));

    // Restart for one run: the backlog is delivered first, then the new report.
    let mut again = AgentProcess::start(&config, &["--once"]);
    let status = again.wait(long);
    assert!(status.success(), "{status}\n{}", again.dump());
    let second = again.ids("report spooled");
    assert_eq!(second.len(), 1);
    let second = second[0];
    assert_ne!(first, second);

    let stored: BTreeSet<Uuid> = collector.record.ids().into_iter().collect();
    assert_eq!(
        stored,
        BTreeSet::from([first, second]),
        "nothing lost, nothing extra"
    );
    // Delivered twice on the wire (the ack was lost), once as seen by the collector's dedup.
    assert_eq!(collector.record.count(first), 2);
    assert_eq!(collector.record.count(second), 1);
    let redelivery = again
        .events("report delivered")
        .into_iter()
        .find(|e| e["report_id"] == first.to_string())
        .expect("the spooled report was redelivered after restart");
    assert_eq!(redelivery["duplicate"], true);
    assert!(pending_files(dir.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_token_is_set_aside_not_retried_forever_and_once_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let collector = CollectorDouble::start("the-collector-wants-another-token").await;
    let config = write_config(dir.path(), &collector.url(), "1h", "");
    let mut agent = AgentProcess::start(&config, &["--once"]);
    let status = agent.wait(Duration::from_mins(1));
    // 1, not 0: a rejected report needs the operator (README, exit status).
    assert_eq!(status.code(), Some(1), "{}", agent.dump());
    assert_eq!(collector.record.unauthorized.load(Ordering::SeqCst), 1);
    assert!(pending_files(dir.path()).is_empty());
    let rejected: Vec<_> = std::fs::read_dir(dir.path().join("spool/rejected"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(rejected.len(), 2, "report and its reason: {rejected:?}");
    let loud = agent.dump();
    assert!(
        loud.contains("COLLECTOR REJECTED REPORT") && loud.contains("401"),
        "{loud}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_with_collector_down_keeps_the_report_and_exits_75() {
    let dir = tempfile::tempdir().unwrap();
    let mut collector = CollectorDouble::start(TOKEN).await;
    let url = collector.url();
    collector.stop().await;
    let config = write_config(dir.path(), &url, "1h", "");
    std::fs::write(
        &config,
        std::fs::read_to_string(&config)
            .unwrap()
            .replace("shutdown_grace = \"10s\"", "shutdown_grace = \"1s\""),
    )
    .unwrap();
    let mut agent = AgentProcess::start(&config, &["--once"]);
    let status = agent.wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(75), "{}", agent.dump());
    assert_eq!(pending_files(dir.path()).len(), 1);
}
