//! Alert batching through the real server: a report raising more than `[alerts] digest_after`
//! alerts sends one digest per channel (webhook, log) while every alert stays on record; a
//! small report alerts one by one as before; reminders of digested alerts are digested too.

#[path = "support/webhook.rs"]
mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use daicho_alert::AlertKind;
use daicho_collector::{Config, Server};
use daicho_ledger::{Ledger, Role};
use daicho_model::{AgentInfo, Host, OsGuess, ScanReport, Scope};
use reqwest::StatusCode;
use webhook::{Hooks, webhook_receiver};

struct Running {
    _dir: tempfile::TempDir,
    base: String,
    ledger: Arc<Ledger>,
    agent: String,
    hooks: Hooks,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Running {
    let (url, hooks) = webhook_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndatabase = \"{}\"\n\
         [alerts]\ncheck_interval_secs = 1\nlog = true\ndigest_after = 20\n\
         [alerts.webhook]\nurl = \"{url}\"\n",
        dir.path().join("c.db").display(),
    );
    let config = Config::parse(&text).unwrap();
    let server = Server::bind(&config).await.unwrap();
    let addr: SocketAddr = server.local_addr().unwrap();
    let ledger = server.ledger();
    let l = ledger.clone();
    let agent =
        tokio::task::spawn_blocking(move || l.create_token("ward3", Role::Agent).unwrap().1)
            .await
            .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    Running {
        _dir: dir,
        base: format!("http://{addr}"),
        ledger,
        agent,
        hooks,
        _stop: tx,
    }
}

/// A report of `n` hosts that nobody registered (no services, no OS: one flag each).
fn report(n: usize) -> ScanReport {
    let now = Utc::now();
    let mut r = ScanReport::new(
        AgentInfo {
            name: "ward3".into(),
            version: "test".into(),
            machine_id: None,
        },
        Scope {
            targets: vec!["10.20.0.0/16".into()],
            exclude: vec![],
            ports: None,
        },
        now,
    );
    r.finished_at = now;
    r.hosts = (0..n)
        .map(|i| Host {
            ip: format!("10.20.{}.{}", i / 250, i % 250 + 1)
                .parse()
                .unwrap(),
            mac: Some(
                format!("00:1b:21:00:{:02x}:{:02x}", i / 256, i % 256)
                    .parse()
                    .unwrap(),
            ),
            vendor: None,
            mac_randomized: false,
            hostname: None,
            os: OsGuess::default(),
            services: vec![],
            rtt_ms: None,
            ttl: None,
            discovered_by: vec!["arp".into()],
            local: None,
        })
        .collect();
    r
}

impl Running {
    async fn push(&self, report: &ScanReport) {
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/reports", self.base))
            .bearer_auth(&self.agent)
            .json(report)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    /// Waits until the webhook has `n` messages, then a little longer to catch any extra.
    async fn settle(&self, n: usize) {
        for _ in 0..150 {
            if self.hooks.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }

    async fn alerts(&self) -> Vec<daicho_ledger::alerts::AlertView> {
        let l = self.ledger.clone();
        tokio::task::spawn_blocking(move || {
            l.alerts(&daicho_ledger::SiteScope::All, true, 10_000)
                .unwrap()
        })
        .await
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_raising_500_alerts_sends_one_digest_per_channel() {
    let c = start().await;
    c.push(&report(500)).await;
    c.settle(1).await;

    let hooks = c.hooks.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1, "one webhook digest, not 500 messages");
    let digest = &hooks[0];
    assert_eq!(digest.kind, AlertKind::Digest);
    assert!(!digest.reminder);
    let summary = digest.digest.as_ref().unwrap();
    assert_eq!(summary.alerts, 500);
    assert_eq!(summary.by_flag, [("unregistered".to_owned(), 500)]);
    assert_eq!(summary.first.len(), 5);
    assert!(digest.subject.contains("500"), "{}", digest.subject);
    assert!(
        digest.text.contains("/triage") && digest.text.contains("/alerts"),
        "{}",
        digest.text
    );

    // Every alert is on record; only the first carries deliveries: the digest, once per
    // channel (log and webhook), delivered.
    let alerts = c.alerts().await;
    assert_eq!(alerts.len(), 500);
    let deliveries: Vec<_> = alerts.iter().flat_map(|a| &a.deliveries).collect();
    let channels: Vec<&str> = deliveries.iter().map(|d| d.channel.as_str()).collect();
    assert_eq!(channels, ["log", "webhook"]);
    assert!(deliveries.iter().all(|d| d.delivered_at.is_some()));
    let first = alerts.iter().min_by_key(|a| a.id).unwrap();
    assert_eq!(first.deliveries.len(), 2);
    assert_eq!(digest.alert_id, first.id);

    // A digested alert is acknowledged like any other.
    let (l, id) = (c.ledger.clone(), alerts[0].id);
    tokio::task::spawn_blocking(move || l.acknowledge_alert(id, "admin", Utc::now()).unwrap())
        .await
        .unwrap();

    // Reminders of the digested alerts fall due together and go out as one digest too.
    let (l, later) = (c.ledger.clone(), Utc::now() + chrono::Duration::hours(5));
    let (outcome, due) = tokio::task::spawn_blocking(move || {
        let outcome = daicho_collector::alerts::plan_alerts_digest(
            &l,
            later,
            &["log", "webhook"],
            Some(chrono::Duration::hours(4)),
            &[],
            20,
        )
        .unwrap();
        (
            outcome,
            daicho_collector::alerts::due_deliveries(&l, later, 10_000).unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(
        outcome.reminded, 499,
        "the acknowledged one is not reminded"
    );
    assert_eq!(outcome.digests, 1);
    assert_eq!(due.len(), 2, "{due:?}");
    for d in &due {
        assert!(d.message.reminder);
        assert_eq!(d.message.kind, AlertKind::Digest);
        assert_eq!(d.message.digest.as_ref().unwrap().alerts, 499);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_raising_5_alerts_sends_5() {
    let c = start().await;
    c.push(&report(5)).await;
    c.settle(5).await;
    let hooks = c.hooks.lock().unwrap().clone();
    assert_eq!(hooks.len(), 5);
    assert!(
        hooks
            .iter()
            .all(|m| m.kind == AlertKind::Unregistered && m.digest.is_none())
    );
    let alerts = c.alerts().await;
    assert_eq!(alerts.len(), 5);
    for a in &alerts {
        let channels: Vec<&str> = a.deliveries.iter().map(|d| d.channel.as_str()).collect();
        assert_eq!(channels, ["log", "webhook"], "{a:?}");
    }
}
