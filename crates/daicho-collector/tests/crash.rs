//! SIGKILL of the collector process in the middle of an ingest: the database must reopen clean
//! with nothing of the report, and the agent's retry must store it whole.

#[path = "support/child_collector.rs"]
mod child_collector;

use std::path::Path;
use std::time::Duration;

use child_collector::{Collector, agent_token};
use chrono::{TimeZone, Utc};
use daicho_ledger::{Ledger, LedgerOptions};
use daicho_model::api::ReportAccepted;
use daicho_model::{AgentInfo, Host, MacAddr, OsGuess, Protocol, ScanReport, Scope, Service};

const BIN: &str = env!("CARGO_BIN_EXE_daicho-collector");

/// How many hosts: enough that ingest takes a while even in an optimised build.
const HOSTS: u32 = 20_000;

fn big_report() -> ScanReport {
    let at = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
    let mut r = ScanReport::new(
        AgentInfo {
            name: "big".into(),
            version: "test".into(),
            machine_id: None,
        },
        Scope {
            targets: vec!["10.0.0.0/16".into()],
            exclude: vec![],
            ports: Some("1-1024".into()),
        },
        at,
    );
    r.finished_at = at + chrono::Duration::minutes(5);
    r.hosts = (0..HOSTS)
        .map(|i| {
            let b = i.to_be_bytes();
            Host {
                ip: format!("10.{}.{}.{}", b[1], b[2], b[3]).parse().unwrap(),
                mac: Some(MacAddr([0x00, 0x1b, 0x21, b[1], b[2], b[3]])),
                vendor: Some("Intel Corporate".into()),
                mac_randomized: false,
                hostname: Some(format!("pc{i:05}")),
                os: OsGuess::default(),
                services: [22u16, 80, 443]
                    .iter()
                    .map(|p| Service {
                        port: *p,
                        protocol: Protocol::Tcp,
                        name: "http".into(),
                        product: None,
                        version: None,
                        evidence: vec![],
                    })
                    .collect(),
                rtt_ms: None,
                ttl: Some(64),
                discovered_by: vec!["arp".into()],
                local: None,
            }
        })
        .collect();
    r
}

fn serve(config: &Path) -> Collector {
    child_collector::serve(BIN, config, Duration::from_mins(2))
}

async fn push(addr: &str, token: &str, body: Vec<u8>) -> reqwest::Result<reqwest::Response> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .build()
        .unwrap()
        .post(format!("http://{addr}/api/v1/reports"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_ingest_leaves_nothing_partial_and_the_retry_completes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/collector.db");
    let config = dir.path().join("collector.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndatabase = \"{}\"\n",
            db.display()
        ),
    )
    .unwrap();
    let token = agent_token(BIN, &config, "big");
    let report = big_report();
    let body = serde_json::to_vec(&report).unwrap();

    let mut collector = serve(&config);
    let addr = collector.addr.clone();
    let (t, b) = (token.clone(), body.clone());
    let inflight = tokio::spawn(async move { push(&addr, &t, b).await });
    collector.wait_for("ingest started");
    // Let it write a good part of the transaction, then kill it hard.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !collector.saw("ingest committed"),
        "ingest finished before the kill; the test proves nothing"
    );
    collector.child.kill().unwrap(); // SIGKILL
    collector.child.wait().unwrap();
    let result = inflight.await.unwrap();
    assert!(result.is_err() || !result.unwrap().status().is_success());

    {
        let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
        assert_eq!(ledger.integrity_check().unwrap(), vec!["ok".to_owned()]);
        assert_eq!(
            ledger.report_count().unwrap(),
            0,
            "a partial report was stored"
        );
        assert_eq!(
            ledger.device_count().unwrap(),
            0,
            "partial devices were stored"
        );
    }

    let collector = serve(&config);
    let resp = push(&collector.addr, &token, body.clone()).await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED);
    let accepted: ReportAccepted = resp.json().await.unwrap();
    assert_eq!(accepted.report_id, report.report_id);
    assert!(!accepted.duplicate);
    assert_eq!(accepted.devices, HOSTS as usize);
    let resp = push(&collector.addr, &token, body).await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let again: ReportAccepted = resp.json().await.unwrap();
    assert!(again.duplicate);
    drop(collector);
    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    assert_eq!(ledger.integrity_check().unwrap(), vec!["ok".to_owned()]);
    assert_eq!(ledger.report_count().unwrap(), 1);
    assert_eq!(ledger.device_count().unwrap(), u64::from(HOSTS));
}
