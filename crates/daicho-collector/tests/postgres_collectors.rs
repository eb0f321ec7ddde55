//! Two collectors serving one PostgreSQL ledger (as behind a load balancer): agents of two sites
//! push overlapping reports to both at once over loopback HTTP; every report is stored once and
//! every host is one device of its site, and a report sent again is a duplicate. Uses the test
//! PostgreSQL server (`scripts/postgres.sh`, started on first use; root).

#[path = "support/child_collector.rs"]
mod child_collector;
#[path = "support/command_line.rs"]
mod command_line;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use child_collector::Collector;
use chrono::{TimeZone, Utc};
use command_line::{BIN, run, stdout};
use daicho_ledger::{DeviceFilter, Ledger, LedgerOptions, SiteScope};
use daicho_model::api::ReportAccepted;
use daicho_model::{AgentInfo, Host, MacAddr, OsGuess, ScanReport, Scope};
use daicho_testlan::postgres::TestDatabase;

const HOSTS: u32 = 60;
const REPORTS_PER_AGENT: u32 = 6;

fn cli(config: &Path, args: &[&str]) -> String {
    stdout(&run(config, args)).trim().to_owned()
}

fn serve(config: &Path) -> Collector {
    child_collector::serve(BIN, config, Duration::from_mins(1))
}

/// Report `n` of `agent`: every host of the site's LAN, in an order of its own.
fn report(agent: &str, n: u32) -> ScanReport {
    let at =
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap() + chrono::Duration::minutes(n.into());
    let mut r = ScanReport::new(
        AgentInfo {
            name: agent.into(),
            version: "test".into(),
            machine_id: None,
        },
        Scope {
            targets: vec!["192.168.1.0/24".into()],
            exclude: vec![],
            ports: None,
        },
        at,
    );
    r.finished_at = at + chrono::Duration::seconds(30);
    let mut hosts: Vec<Host> = (0..HOSTS)
        .map(|i| Host {
            ip: format!("192.168.1.{}", 10 + i).parse().unwrap(),
            mac: Some(MacAddr([
                0x00,
                0x1b,
                0x21,
                0x00,
                0x01,
                u8::try_from(i).unwrap(),
            ])),
            vendor: Some("Intel Corporate".into()),
            mac_randomized: false,
            hostname: None,
            os: OsGuess::default(),
            services: vec![],
            rtt_ms: None,
            ttl: Some(64),
            discovered_by: vec!["arp".into()],
            local: None,
        })
        .collect();
    hosts.rotate_left(usize::try_from(n * 11 % HOSTS).unwrap());
    r.hosts = hosts;
    r
}

#[test]
fn two_collectors_on_one_database_lose_nothing_and_make_no_duplicate() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The test's own ledger reads use the blocking PostgreSQL client: outside the runtime.
    let db = TestDatabase::create().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("collector.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\nurl = \"{}\"\n",
            db.url()
        ),
    )
    .unwrap();
    cli(&config, &["site", "add", "east"]);
    cli(&config, &["site", "add", "west"]);
    // The same agent name and the same LAN at both hospitals; the token says which.
    let tokens = [
        cli(
            &config,
            &["--site", "east", "token", "create", "--agent", "ward"],
        ),
        cli(
            &config,
            &["--site", "west", "token", "create", "--agent", "ward"],
        ),
    ];
    let first = serve(&config);
    let second = serve(&config);
    let addrs = [first.addr.clone(), second.addr.clone()];

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(push_everything(&tokens, &addrs));
    drop(first);
    drop(second);

    let ledger = Ledger::open_postgres(db.url(), LedgerOptions::default()).unwrap();
    assert_eq!(
        ledger.report_count().unwrap(),
        u64::from(REPORTS_PER_AGENT) * 2
    );
    for site in ["east", "west"] {
        let id = ledger.site_named(site).unwrap().id;
        let page = ledger
            .list_devices(&DeviceFilter {
                scope: SiteScope::one(id),
                limit: Some(1000),
                ..DeviceFilter::default()
            })
            .unwrap();
        let macs: BTreeSet<_> = page.devices.iter().filter_map(|d| d.mac.clone()).collect();
        assert_eq!(page.total, u64::from(HOSTS), "{site}: one device per host");
        assert_eq!(macs.len(), HOSTS as usize, "{site}");
    }
}

/// Every agent's reports, each to one collector or the other, all at once; then one again.
async fn push_everything(tokens: &[String; 2], addrs: &[String; 2]) {
    let client = reqwest::Client::builder().build().unwrap();
    let mut pushes = Vec::new();
    let mut first_body = Vec::new();
    for n in 0..REPORTS_PER_AGENT {
        for (site, token) in tokens.iter().enumerate() {
            let url = format!(
                "http://{}/api/v1/reports",
                addrs[(usize::try_from(n).unwrap() + site) % 2]
            );
            let body = serde_json::to_vec(&report("ward", n)).unwrap();
            if n == 0 && site == 0 {
                first_body.clone_from(&body);
            }
            let (client, token) = (client.clone(), token.clone());
            pushes.push(tokio::spawn(async move {
                let resp = client
                    .post(url)
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), reqwest::StatusCode::CREATED);
                resp.json::<ReportAccepted>().await.unwrap()
            }));
        }
    }
    for p in pushes {
        let accepted = p.await.unwrap();
        assert_eq!(accepted.devices, HOSTS as usize);
    }
    // The same report again, to the other collector: a duplicate, nothing added.
    let again = client
        .post(format!("http://{}/api/v1/reports", addrs[1]))
        .bearer_auth(&tokens[0])
        .header("content-type", "application/json")
        .body(first_body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::OK);
}
