//! Checklist flags and alerts through the real server: pushes over loopback HTTP, alerts to a
//! webhook receiver and an SMTP sink run by the test, operator actions over the API.

#[path = "support/webhook.rs"]
mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use daicho_alert::test_support::SmtpSink;
use daicho_collector::{Config, Server};
use daicho_ledger::{DeviceFilter, Ledger, Role};
use daicho_model::{AgentInfo, Host, OsFamily, OsGuess, Protocol, ScanReport, Scope, Service};
use reqwest::StatusCode;
use webhook::{Hooks, webhook_receiver};

struct Running {
    _dir: tempfile::TempDir,
    base: String,
    ledger: Arc<Ledger>,
    agent: String,
    operator: String,
    client: reqwest::Client,
    hooks: Hooks,
    smtp: SmtpSink,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Running {
    let (url, hooks) = webhook_receiver().await;
    let smtp = SmtpSink::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndatabase = \"{}\"\n\
         [alerts]\ncheck_interval_secs = 1\nlog = true\n[alerts.webhook]\nurl = \"{url}\"\n\
         [alerts.email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\n\
         from = \"daicho@clinic.example\"\nto = [\"it@clinic.example\"]\n",
        dir.path().join("c.db").display(),
        smtp.port
    );
    let config = Config::parse(&text).unwrap();
    let server = Server::bind(&config).await.unwrap();
    let addr: SocketAddr = server.local_addr().unwrap();
    let ledger = server.ledger();
    let l = ledger.clone();
    let (agent, operator) = tokio::task::spawn_blocking(move || {
        (
            l.create_token("ward3", Role::Agent).unwrap().1,
            l.create_token("admin", Role::Operator).unwrap().1,
        )
    })
    .await
    .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let _ = rustls::crypto::ring::default_provider().install_default();
    Running {
        _dir: dir,
        base: format!("http://{addr}"),
        ledger,
        agent,
        operator,
        client: reqwest::Client::new(),
        hooks,
        smtp,
        _stop: tx,
    }
}

fn service(port: u16, name: &str) -> Service {
    Service {
        port,
        protocol: Protocol::Tcp,
        name: name.into(),
        product: None,
        version: None,
        evidence: vec![],
    }
}

fn host(ip: &str, mac: &str, services: Vec<Service>, os: Option<(&str, &str)>) -> Host {
    Host {
        ip: ip.parse().unwrap(),
        mac: Some(mac.parse().unwrap()),
        vendor: None,
        mac_randomized: false,
        hostname: None,
        os: os.map_or_else(OsGuess::default, |(name, version)| OsGuess {
            family: OsFamily::Network,
            name: Some(name.into()),
            version: Some(version.into()),
            confidence: 0.95,
            evidence: vec![format!("SNMP sysDescr: {name} {version}")],
        }),
        services,
        rtt_ms: None,
        ttl: None,
        discovered_by: vec!["arp".into()],
        local: None,
    }
}

fn scan() -> ScanReport {
    let now = Utc::now();
    let mut r = ScanReport::new(
        AgentInfo {
            name: "ward3".into(),
            version: "test".into(),
            machine_id: None,
        },
        Scope {
            targets: vec!["198.18.0.0/24".into()],
            exclude: vec![],
            ports: Some("default".into()),
        },
        now,
    );
    r.finished_at = now;
    r.hosts = vec![
        host(
            "198.18.0.20",
            "00:1b:21:00:00:20",
            vec![service(22, "ssh"), service(443, "https")],
            None,
        ),
        host(
            "198.18.0.21",
            "00:1b:21:00:00:21",
            vec![service(23, "telnet"), service(21, "ftp")],
            None,
        ),
        host(
            "198.18.0.22",
            "00:09:0f:00:00:22",
            vec![service(443, "https")],
            Some(("FortiOS", "6.0.4")),
        ),
    ];
    r
}

impl Running {
    async fn push(&self, report: &ScanReport) {
        let res = self
            .client
            .post(format!("{}/api/v1/reports", self.base))
            .bearer_auth(&self.agent)
            .json(report)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    async fn device_id(&self, ip: &str) -> i64 {
        let l = self.ledger.clone();
        let ip = ip.to_owned();
        tokio::task::spawn_blocking(move || {
            let page = l
                .list_devices(&DeviceFilter {
                    q: Some(ip.clone()),
                    ..DeviceFilter::default()
                })
                .unwrap();
            page.devices
                .iter()
                .find(|d| d.ip.as_deref() == Some(ip.as_str()))
                .unwrap()
                .id
        })
        .await
        .unwrap()
    }

    async fn flags(&self, id: i64) -> Vec<String> {
        let l = self.ledger.clone();
        tokio::task::spawn_blocking(move || {
            l.device(id)
                .unwrap()
                .flag_details
                .into_iter()
                .map(|f| f.key)
                .collect()
        })
        .await
        .unwrap()
    }

    /// Waits until the webhook and the SMTP sink have each received `n` messages, then a
    /// little longer to catch any extra.
    async fn settle(&self, n: usize) {
        for _ in 0..100 {
            if self.hooks.lock().unwrap().len() >= n && self.smtp.received().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }

    fn hook_keys(&self) -> Vec<(String, String)> {
        let mut keys: Vec<_> = self
            .hooks
            .lock()
            .unwrap()
            .iter()
            .map(|m| (m.device_id.clone(), m.flag.key()))
            .collect();
        keys.sort();
        keys
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_flag_alerts_exactly_once_across_five_scans_on_webhook_and_email() {
    let c = start().await;
    for _ in 0..5 {
        c.push(&scan()).await;
    }
    let (clean, telnet, forti) = (
        c.device_id("198.18.0.20").await,
        c.device_id("198.18.0.21").await,
        c.device_id("198.18.0.22").await,
    );
    // 3 unregistered + telnet + ftp + FortiOS EOL + 4 FortiOS CVEs.
    c.settle(10).await;
    let mut expected: Vec<(String, String)> = vec![
        (clean.to_string(), "unregistered:unregistered:".into()),
        (telnet.to_string(), "unregistered:unregistered:".into()),
        (
            telnet.to_string(),
            "unneeded_service:telnet:telnet/tcp/23".into(),
        ),
        (telnet.to_string(), "unneeded_service:ftp:ftp/tcp/21".into()),
        (forti.to_string(), "unregistered:unregistered:".into()),
        (forti.to_string(), "eol_os:unsupported:".into()),
        (
            forti.to_string(),
            "vulnerable_firmware:CVE-2018-13379:".into(),
        ),
        (
            forti.to_string(),
            "vulnerable_firmware:CVE-2022-42475:".into(),
        ),
        (
            forti.to_string(),
            "vulnerable_firmware:CVE-2024-21762:".into(),
        ),
        (
            forti.to_string(),
            "vulnerable_firmware:CVE-2023-27997:".into(),
        ),
    ];
    expected.sort();
    assert_eq!(
        c.hook_keys(),
        expected,
        "each flag once, on the right device only"
    );
    let mails = c.smtp.received();
    assert_eq!(mails.len(), expected.len(), "one email per alert");
    assert!(mails.iter().all(|m| m.rcpt_to == ["it@clinic.example"]));
    assert!(
        mails
            .iter()
            .any(|m| m.body_text().contains("CVE-2018-13379")
                && m.body_text().contains("198.18.0.22")),
        "the FortiOS alert names the CVE and the device"
    );
    // Every delivery is on record as delivered.
    let l = c.ledger.clone();
    let alerts = tokio::task::spawn_blocking(move || {
        l.alerts(&daicho_ledger::SiteScope::All, true, 100).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(alerts.len(), expected.len());
    for a in &alerts {
        let channels: Vec<&str> = a.deliveries.iter().map(|d| d.channel.as_str()).collect();
        assert_eq!(channels, ["log", "webhook", "email"], "{a:?}");
        assert!(
            a.deliveries
                .iter()
                .all(|d| d.delivered_at.is_some() && d.attempts == 1),
            "{a:?}"
        );
    }

    // Registering the clean host clears its flag and closes its alert; no new alert is sent.
    let res = c
        .client
        .patch(format!("{}/api/v1/devices/{clean}", c.base))
        .bearer_auth(&c.operator)
        .json(&serde_json::json!({"asset_no": "001", "registered_on": "2026-11-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(c.flags(clean).await.is_empty());
    c.push(&scan()).await;
    c.settle(expected.len()).await;
    assert_eq!(
        c.hook_keys().len(),
        expected.len(),
        "no further alert after registering"
    );
    let l = c.ledger.clone();
    let open = tokio::task::spawn_blocking(move || {
        l.alerts(&daicho_ledger::SiteScope::All, true, 100).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        open.len(),
        expected.len() - 1,
        "the registered device's alert is closed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exception_silences_exactly_its_device_and_service_until_it_expires() {
    let c = start().await;
    let mut r = scan();
    // A second host with telnet: the exception must not touch it.
    r.hosts.push(host(
        "198.18.0.23",
        "00:1b:21:00:00:23",
        vec![service(23, "telnet")],
        None,
    ));
    c.push(&r).await;
    let (telnet, other) = (
        c.device_id("198.18.0.21").await,
        c.device_id("198.18.0.23").await,
    );
    let telnet_key = "unneeded_service:telnet:telnet/tcp/23".to_owned();
    assert!(c.flags(telnet).await.contains(&telnet_key));

    let tomorrow = (Utc::now() + chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let res = c
        .client
        .post(format!("{}/api/v1/exceptions", c.base))
        .bearer_auth(&c.operator)
        .json(&serde_json::json!({"device_id": telnet, "service": "telnet", "reason": "モダリティ保守で使用（ベンダー合意）",
                                  "approver": "情報システム課長", "expires": tomorrow}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let flags = c.flags(telnet).await;
    assert!(!flags.contains(&telnet_key), "silenced: {flags:?}");
    assert!(
        flags.contains(&"unneeded_service:ftp:ftp/tcp/21".to_owned()),
        "only telnet is excepted: {flags:?}"
    );
    assert!(
        c.flags(other).await.contains(&telnet_key),
        "another device's telnet still flagged"
    );

    // A later scan does not bring it back while the exception holds.
    r.report_id = uuid::Uuid::new_v4();
    c.push(&r).await;
    assert!(!c.flags(telnet).await.contains(&telnet_key));

    // The day after expiry, the periodic refresh raises it again.
    let l = c.ledger.clone();
    let later = Utc::now() + chrono::Duration::days(2);
    tokio::task::spawn_blocking(move || l.refresh_flags(later).unwrap())
        .await
        .unwrap();
    assert!(
        c.flags(telnet).await.contains(&telnet_key),
        "expired exception no longer silences"
    );

    // Bad requests are refused with the reason.
    let res = c
        .client
        .post(format!("{}/api/v1/exceptions", c.base))
        .bearer_auth(&c.operator)
        .json(&serde_json::json!({"device_id": telnet, "service": "telnet", "reason": "", "approver": "x", "expires": tomorrow}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("reason"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_allows_what_it_lists_and_an_unknown_role_is_refused() {
    let c = start().await;
    let mut r = scan();
    r.hosts.push(host(
        "198.18.0.24",
        "00:1b:21:00:00:24",
        vec![service(3389, "rdp")],
        None,
    ));
    c.push(&r).await;
    let pc = c.device_id("198.18.0.24").await;
    assert!(
        c.flags(pc)
            .await
            .contains(&"unneeded_service:rdp:rdp/tcp/3389".to_owned())
    );
    let put = |role: serde_json::Value| {
        c.client
            .put(format!("{}/api/v1/devices/{pc}/role", c.base))
            .bearer_auth(&c.operator)
            .json(&serde_json::json!({"role": role}))
            .send()
    };
    assert_eq!(
        put("ehr-server".into()).await.unwrap().status(),
        StatusCode::OK
    );
    assert!(
        !c.flags(pc)
            .await
            .iter()
            .any(|k| k.starts_with("unneeded_service"))
    );
    let res = put("toaster".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("unknown role"));
    assert_eq!(
        put(serde_json::Value::Null).await.unwrap().status(),
        StatusCode::OK
    );
    assert!(
        c.flags(pc)
            .await
            .contains(&"unneeded_service:rdp:rdp/tcp/3389".to_owned())
    );
}
