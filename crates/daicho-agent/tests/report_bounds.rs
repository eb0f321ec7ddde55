//! The agent bounds what devices supply before it spools a report, by the collector's own rule
//! (`daicho_model::bounds`): a host answering with a 40,000-character host name and 600
//! services is spooled with the name cut to 256 characters, 512 services, and one warning per
//! cut field in the report's `warnings`.

#[path = "common/config_run.rs"]
#[allow(dead_code)] // shared helpers; this file uses a subset
mod config_run;

use std::io::Read as _;
use std::sync::Arc;

use daicho_agent::config::{AgentConfig, ScanSettings};
use daicho_agent::runner::produce_report;
use daicho_agent::scan_step::{ScanOutcome, ScanStep, ScanStepError};
use daicho_agent::spool::Spool;
use daicho_model::bounds::{MAX_NAME_CHARS, MAX_SERVICES_PER_HOST};
use daicho_model::{Host, OsGuess, Protocol, ScanReport, Service};

use config_run::write_config;

/// One host with a 40,000-character host name and 600 services.
struct OversizedHost;

impl ScanStep for OversizedHost {
    async fn scan(&self, _settings: &ScanSettings) -> Result<ScanOutcome, ScanStepError> {
        let service = |port| Service {
            port,
            protocol: Protocol::Tcp,
            name: "http".into(),
            product: None,
            version: None,
            evidence: vec![],
        };
        Ok(ScanOutcome {
            hosts: vec![Host {
                ip: "198.18.0.10".parse().unwrap(),
                mac: None,
                vendor: None,
                mac_randomized: false,
                hostname: Some("h".repeat(40_000)),
                os: OsGuess::default(),
                services: (1..=600).map(service).collect(),
                rtt_ms: None,
                ttl: None,
                discovered_by: vec!["test".into()],
                local: None,
            }],
            methods: vec!["test".into()],
            warnings: vec!["the scan's own warning".into()],
            switches: Vec::new(),
        })
    }
}

fn config(dir: &std::path::Path) -> AgentConfig {
    let text = r#"[schedule]
interval = "1h"
[collector]
url = "http://127.0.0.1:9/"
token_file = "token"
[spool]
dir = "spool"
[scan]
targets = ["198.18.0.0/24"]
[inventory]
enabled = false
"#;
    AgentConfig::parse(&write_config(dir, text, 0o600), text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_host_is_spooled_bounded_with_a_warning_per_cut() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let spool = Arc::new(Spool::open(&config.spool.dir, 10, 1 << 30).unwrap());
    let id = produce_report(
        Arc::new(config),
        Some(Arc::new(OversizedHost)),
        Arc::clone(&spool),
    )
    .await
    .unwrap();

    let pending = spool.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].report_id, id);
    let mut json = String::new();
    flate2::read::GzDecoder::new(&spool.read(&pending[0]).unwrap()[..])
        .read_to_string(&mut json)
        .unwrap();
    let report: ScanReport = serde_json::from_str(&json).unwrap();

    let host = &report.hosts[0];
    let hostname = host.hostname.as_deref().unwrap();
    assert_eq!(hostname.chars().count(), MAX_NAME_CHARS);
    assert!(hostname.ends_with(" chars]"), "{hostname}");
    assert!(hostname.contains("…[truncated "), "{hostname}");
    assert_eq!(host.services.len(), MAX_SERVICES_PER_HOST);
    assert_eq!(host.services[0].port, 1, "the first services are kept");

    assert_eq!(report.warnings[0], "the scan's own warning");
    let cuts = &report.warnings[1..];
    assert_eq!(cuts.len(), 2, "{cuts:?}");
    assert!(cuts[0].starts_with("hosts[0].hostname: "), "{cuts:?}");
    assert!(
        cuts[1].starts_with("hosts[0].services: 600 entries"),
        "{cuts:?}"
    );
}
