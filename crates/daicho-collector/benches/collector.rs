//! Collector benchmark (run: `cargo bench -p daicho-collector --bench collector`).
//!
//! Prints: ingest and merge of a 5,000-host report (goal ≤ 1 s); 50 concurrent agents pushing
//! over loopback HTTP (p50/p99 latency); a query by flag over a 50,000-device ledger
//! (goal ≤ 50 ms). Everything runs on 127.0.0.1 against a temporary database; loops are bounded.

use std::sync::Arc;
use std::time::Instant;

use daicho_collector::{Config, Server};
use daicho_ledger::{DeviceFilter, Ledger, LedgerOptions, Role};

#[path = "support/fleet.rs"]
mod fleet;

use fleet::{ms, percentile, push_gzip, report};

fn ingest_5000() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("b.db"), LedgerOptions::default()).unwrap();
    let first = report("a", 0, 5000, 0);
    let t = Instant::now();
    let out = ledger.ingest(&first, Some("a")).unwrap();
    let new = t.elapsed();
    let second = report("a", 0, 5000, 60);
    let t = Instant::now();
    ledger.ingest(&second, Some("a")).unwrap();
    let again = t.elapsed();
    println!(
        "ingest+merge 5,000-host report: {} into an empty ledger ({} new devices), {} re-scan of the same hosts (goal <= 1000 ms)",
        ms(new),
        out.new_devices,
        ms(again)
    );
}

async fn concurrent_agents() {
    const AGENTS: u32 = 50;
    const PUSHES: u32 = 10;
    const HOSTS: u32 = 100;
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.storage.database = dir.path().join("c.db");
    let server = Server::bind(&config).await.unwrap();
    let addr = server.local_addr().unwrap();
    let ledger = server.ledger();
    let tokens: Vec<String> = (0..AGENTS)
        .map(|i| {
            ledger
                .create_token(&format!("agent{i}"), Role::Agent)
                .unwrap()
                .1
        })
        .collect();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().build().unwrap();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let client = client.clone();
        let url = format!("http://{addr}/api/v1/reports");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for push in 0..PUSHES {
                let r = report(
                    &format!("agent{i}"),
                    i as u32 * HOSTS,
                    HOSTS,
                    i64::from(push) * 10,
                );
                latencies.push(push_gzip(&client, &url, &token, &r).await);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    all.sort();
    println!(
        "{AGENTS} concurrent agents x {PUSHES} pushes of {HOSTS}-host gzip reports over loopback HTTP: p50 {}, p99 {}, max {}, {:.0} reports/s, {} devices",
        ms(percentile(&all, 0.50)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().unwrap()),
        all.len() as f64 / wall.as_secs_f64(),
        ledger.device_count().unwrap()
    );
    let _ = stop.send(());
    let _ = serving.await;
}

async fn query_50000() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.storage.database = dir.path().join("q.db");
    let server = Server::bind(&config).await.unwrap();
    let addr = server.local_addr().unwrap();
    let ledger: Arc<Ledger> = server.ledger();
    let t = Instant::now();
    for chunk in 0..10u32 {
        ledger
            .ingest(&report("a", chunk * 5000, 5000, i64::from(chunk)), None)
            .unwrap();
    }
    println!(
        "built a {}-device ledger in {}",
        ledger.device_count().unwrap(),
        ms(t.elapsed())
    );
    let operator = ledger.create_token("bench", Role::Operator).unwrap().1;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    for (flag, limit) in [
        ("randomized_mac", 100),
        ("randomized_mac", 1000),
        ("unregistered", 100),
    ] {
        let filter = DeviceFilter {
            flag: Some(flag.into()),
            limit: Some(limit),
            ..DeviceFilter::default()
        };
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..20 {
            let t = Instant::now();
            let page = ledger.list_devices(&filter).unwrap();
            times.push(t.elapsed());
            total = page.total;
        }
        times.sort();
        println!(
            "query flag={flag} limit={limit} over 50,000 devices (library): median {}, max {} ({total} match) (goal <= 50 ms)",
            ms(percentile(&times, 0.5)),
            ms(*times.last().unwrap())
        );
    }
    let client = reqwest::Client::builder().build().unwrap();
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let resp = client
            .get(format!(
                "http://{addr}/api/v1/devices?flag=randomized_mac&limit=100"
            ))
            .bearer_auth(&operator)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
        let _ = resp.bytes().await.unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "GET /api/v1/devices?flag=randomized_mac&limit=100 over 50,000 devices (HTTP): median {}, max {}",
        ms(percentile(&times, 0.5)),
        ms(*times.last().unwrap())
    );
    let _ = stop.send(());
    let _ = serving.await;
}

fn main() {
    // `cargo test --benches` runs this binary with `--bench` absent; stay quick then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("collector bench: run with `cargo bench -p daicho-collector --bench collector`");
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    ingest_5000();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(concurrent_agents());
    rt.block_on(query_50000());
}
