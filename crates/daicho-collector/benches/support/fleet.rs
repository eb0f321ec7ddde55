//! Shared by the collector's benches (each includes it with `#[path]`): synthetic scan reports
//! to fill a ledger with many devices, and the latency figures printed from them.

#![allow(dead_code)] // each bench uses part of it

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use daicho_model::{
    AgentInfo, Host, MacAddr, OsFamily, OsGuess, Protocol, ScanReport, Scope, Service,
};

/// A report from `agent` over `target`, scanned at `at` for a minute, holding `hosts`.
pub fn scan_report(agent: &str, target: &str, at: DateTime<Utc>, hosts: Vec<Host>) -> ScanReport {
    let mut r = ScanReport::new(
        AgentInfo {
            name: agent.into(),
            version: "bench".into(),
            machine_id: None,
        },
        Scope {
            targets: vec![target.into()],
            exclude: vec![],
            ports: Some("1-1024".into()),
        },
        at,
    );
    r.finished_at = at + chrono::Duration::seconds(60);
    r.hosts = hosts;
    r
}

/// A service found open on `port`, with what showed it.
pub fn service(
    protocol: Protocol,
    port: u16,
    name: &str,
    product: Option<&str>,
    evidence: &str,
) -> Service {
    Service {
        port,
        protocol,
        name: name.into(),
        product: product.map(str::to_owned),
        version: None,
        evidence: vec![evidence.to_owned()],
    }
}

/// A report of `count` identical Windows 10 hosts in 10.0.0.0/8 numbered from `first`, scanned
/// `minutes` after 2026-06-01; every tenth host uses a randomized MAC.
pub fn report(agent: &str, first: u32, count: u32, minutes: i64) -> ScanReport {
    let at =
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(minutes);
    let hosts = (first..first + count)
        .map(|i| {
            let b = i.to_be_bytes();
            let randomized = i % 10 == 0;
            let mac = MacAddr([
                if randomized { 0xda } else { 0x00 },
                0x1b,
                b[0],
                b[1],
                b[2],
                b[3],
            ]);
            Host {
                ip: format!("10.{}.{}.{}", b[1], b[2], b[3]).parse().unwrap(),
                mac: Some(mac),
                vendor: (!randomized).then(|| "Intel Corporate".to_owned()),
                mac_randomized: randomized,
                hostname: Some(format!("pc-{i:06}")),
                os: OsGuess {
                    family: OsFamily::Windows,
                    name: Some("Windows 10".into()),
                    version: Some("10.0.19045".into()),
                    confidence: 0.7,
                    evidence: vec!["ttl 128".into(), "smb banner".into()],
                },
                services: [(135u16, "msrpc"), (139, "netbios-ssn"), (445, "smb")]
                    .iter()
                    .map(|(port, name)| {
                        service(
                            Protocol::Tcp,
                            *port,
                            name,
                            Some("Microsoft Windows"),
                            &format!("port {port} open"),
                        )
                    })
                    .collect(),
                rtt_ms: Some(0.4),
                ttl: Some(128),
                discovered_by: vec!["arp".into()],
                local: None,
            }
        })
        .collect();
    scan_report(agent, "10.0.0.0/8", at, hosts)
}

/// The `p` quantile (0–1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// `12.3 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Pushes `report` to `url` gzipped, as an agent does, and returns how long the collector took
/// to answer (the body compressed before the clock starts); panics on a refusal.
pub async fn push_gzip(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    report: &ScanReport,
) -> Duration {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&serde_json::to_vec(report).unwrap()).unwrap();
    let body = gz.finish().unwrap();
    let t = std::time::Instant::now();
    let resp = client
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    t.elapsed()
}
