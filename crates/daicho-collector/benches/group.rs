//! Group-scale benchmark (run: `cargo bench -p daicho-collector --bench group`, as root: the
//! PostgreSQL side uses the test server of `scripts/postgres.sh`, started when needed).
//!
//! A hospital group of 100 sites × 2,000 devices (every site reusing the same addresses), on
//! SQLite and on PostgreSQL side by side: building it, a 5,000-host report ingested into a new
//! site, 50 agents of 50 sites pushing at once over loopback HTTP (p50/p99), a device query by
//! flag over all 200,000 devices, and the group summary (every site's checklist).
//! `DAICHO_BENCH_SITES` and `DAICHO_BENCH_DEVICES` scale it down. Loops are bounded; everything
//! runs on 127.0.0.1.

use std::sync::Arc;
use std::time::{Duration, Instant};

use daicho_collector::evidence::group_summary;
use daicho_collector::{Config, Server};
use daicho_ledger::{DeviceFilter, Ledger, LedgerOptions, Role, Site};
use daicho_testlan::postgres::TestDatabase;

#[path = "support/fleet.rs"]
mod fleet;

use fleet::{ms, percentile, push_gzip, report};

fn scale(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One store under test: its configuration (for the HTTP part) and a ledger on it.
struct Store {
    name: &'static str,
    config: Config,
    /// Keeps the SQLite file's directory or the PostgreSQL database alive.
    _keep: Box<dyn std::any::Any>,
}

impl Store {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        config.storage.database = dir.path().join("group.db");
        Self {
            name: "SQLite",
            config,
            _keep: Box::new(dir),
        }
    }

    fn postgres() -> Self {
        let db = TestDatabase::create().unwrap();
        let mut config = Config::default();
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        config.storage.url = Some(db.url().to_owned());
        Self {
            name: "PostgreSQL",
            config,
            _keep: Box::new(db),
        }
    }

    fn open(&self) -> Ledger {
        Ledger::open_storage(&self.config.storage.storage(), LedgerOptions::default()).unwrap()
    }
}

/// The figures of one store, printed side by side at the end.
#[derive(Default)]
struct Figures {
    build: Duration,
    devices: u64,
    ingest_5000: Duration,
    agents_p50: Duration,
    agents_p99: Duration,
    agents_rate: f64,
    query_flag: Duration,
    query_total: u64,
    summary: Duration,
    summary_sites: usize,
}

fn build(ledger: &Ledger, sites: u32, devices: u32) -> Vec<Site> {
    let mut out = Vec::new();
    for s in 0..sites {
        let site = ledger.add_site(&format!("h{s:03}"), None).unwrap();
        ledger
            .ingest_at(
                site.id,
                &report(&format!("agent-h{s:03}"), 0, devices, 0),
                None,
            )
            .unwrap();
        out.push(site);
        if s % 10 == 9 {
            eprint!(".");
        }
    }
    eprintln!();
    out
}

async fn agents(store: &Store, sites: &[Site], figures: &mut Figures) {
    const AGENTS: usize = 50;
    const PUSHES: u32 = 5;
    const HOSTS: u32 = 100;
    let server = Server::bind(&store.config).await.unwrap();
    let addr = server.local_addr().unwrap();
    let ledger = server.ledger();
    let site_ids: Vec<_> = sites.iter().map(|s| s.id).collect();
    // Ledger calls block: off the async threads, as the collector makes them.
    let tokens: Vec<String> = tokio::task::spawn_blocking(move || {
        (0..AGENTS)
            .map(|i| {
                ledger
                    .create_site_token(
                        &format!("push{i}"),
                        Role::Agent,
                        &[site_ids[i % site_ids.len()]],
                    )
                    .unwrap()
                    .1
            })
            .collect()
    })
    .await
    .unwrap();
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
                // A rescan of part of the site's devices, an hour after the first scan.
                let first = u32::try_from(i).unwrap() * HOSTS;
                let r = report(&format!("push{i}"), first, HOSTS, 60 + i64::from(push));
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
    figures.agents_p50 = percentile(&all, 0.50);
    figures.agents_p99 = percentile(&all, 0.99);
    #[allow(clippy::cast_precision_loss)] // a few hundred reports
    let rate = all.len() as f64 / wall.as_secs_f64();
    figures.agents_rate = rate;
    let _ = stop.send(());
    let _ = serving.await;
}

fn run_store(store: &Store, sites: u32, devices: u32, rt: &tokio::runtime::Runtime) -> Figures {
    let mut figures = Figures::default();
    eprintln!("{}: building {sites} sites x {devices} devices", store.name);
    let ledger = Arc::new(store.open());
    let t = Instant::now();
    let built = build(&ledger, sites, devices);
    figures.build = t.elapsed();
    figures.devices = ledger.device_count().unwrap();

    let fresh = ledger.add_site("new-hospital", None).unwrap();
    let t = Instant::now();
    ledger
        .ingest_at(fresh.id, &report("new", 0, 5000, 0), None)
        .unwrap();
    figures.ingest_5000 = t.elapsed();

    rt.block_on(agents(store, &built, &mut figures));

    let filter = DeviceFilter {
        flag: Some("unregistered".into()),
        limit: Some(100),
        ..DeviceFilter::default()
    };
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        figures.query_total = ledger.list_devices(&filter).unwrap().total;
        times.push(t.elapsed());
    }
    times.sort();
    figures.query_flag = percentile(&times, 0.5);

    let all_sites = ledger.sites().unwrap();
    let t = Instant::now();
    figures.summary_sites = group_summary(&ledger, all_sites).unwrap().len();
    figures.summary = t.elapsed();
    figures
}

fn main() {
    // `cargo test --benches` runs this binary with `--bench` absent; stay quick then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("group bench: run with `cargo bench -p daicho-collector --bench group` (root)");
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sites = scale("DAICHO_BENCH_SITES", 100);
    let devices = scale("DAICHO_BENCH_DEVICES", 2000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let stores = [Store::sqlite(), Store::postgres()];
    let figures: Vec<Figures> = stores
        .iter()
        .map(|s| run_store(s, sites, devices, &rt))
        .collect();
    println!("group of {sites} sites x {devices} devices (every site on the same addresses)");
    println!("{:<58} {:>14} {:>14}", "", stores[0].name, stores[1].name);
    let row = |what: &str, f: &dyn Fn(&Figures) -> String| {
        println!("{what:<58} {:>14} {:>14}", f(&figures[0]), f(&figures[1]));
    };
    row("build (one report per site)", &|f| ms(f.build));
    row("devices", &|f| f.devices.to_string());
    row("5,000-host report into a new site", &|f| ms(f.ingest_5000));
    row("50 agents of 50 sites x 5 pushes, 100 hosts: p50", &|f| {
        ms(f.agents_p50)
    });
    row("                                              p99", &|f| {
        ms(f.agents_p99)
    });
    row("                                      reports/s", &|f| {
        format!("{:.0}", f.agents_rate)
    });
    row(
        "device query flag=unregistered limit=100, all sites",
        &|f| format!("{} ({})", ms(f.query_flag), f.query_total),
    );
    row("group summary (every site's checklist)", &|f| {
        format!("{} ({})", ms(f.summary), f.summary_sites)
    });
}
