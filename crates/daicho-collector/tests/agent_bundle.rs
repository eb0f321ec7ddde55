//! Agents follow the collector's data bundle: after a delivery whose answer names a newer
//! bundle, `daicho-agent run --once` fetches it (with its agent token), verifies it against its
//! own trusted keys and installs it; an agent that does not trust the bundle's key refuses it.
//! A real collector serving on loopback and the real agent binary (inventory only, no scan).

#[path = "support/agent_binary.rs"]
mod agent_binary;
#[path = "support/child_collector.rs"]
mod child_collector;
#[path = "support/command_line.rs"]
mod command_line;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use child_collector::{Collector, agent_token};
use chrono::{NaiveDate, Utc};
use daicho_bundle::{DataSet, DataSetName, Manifest, SigningKey, seal};

const BIN: &str = env!("CARGO_BIN_EXE_daicho-collector");
const REGISTRY: &str = include_str!("../../daicho-oui/data/ieee-prefixes.tsv");

fn write_agent(dir: &Path, url: &str, token: &str, trusted: Option<&str>) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let data = trusted.map_or_else(String::new, |k| {
        format!("[data]\ntrusted_keys = [\"{k}\"]\n")
    });
    let config = dir.join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "[agent]\nname = \"ward-7\"\n[schedule]\ninterval = \"1h\"\n[collector]\nurl = \"{url}\"\n\
             token_file = \"token\"\n[spool]\ndir = \"spool\"\n{data}"
        ),
    )
    .unwrap();
    config
}

fn run_once(agent: &Path, config: &Path) -> String {
    let out = Command::new(agent)
        .args(["run", "--once", "--config"])
        .arg(config)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

#[test]
fn an_agent_fetches_verifies_and_installs_the_collectors_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndatabase = \"{}\"\n[data]\ntrusted_keys = [\"{}\"]\n",
            dir.path().join("c.db").display(),
            key.public().to_hex()
        ),
    )
    .unwrap();
    let date = "2027-01-15";
    let registry = REGISTRY.replacen(
        &format!("# registry-date: {}", daicho_oui::registry_date()),
        &format!("# registry-date: {date}"),
        1,
    );
    let bundle = seal(
        &Manifest {
            serial: 5,
            created_at: Utc::now(),
            datasets: vec![DataSet::new(
                DataSetName::IeeeRegistry,
                NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
                "test",
                registry,
            )],
        },
        &key,
    );
    let bundle_file = dir.path().join("x.bundle");
    std::fs::write(&bundle_file, &bundle).unwrap();
    command_line::stdout(&command_line::run(
        &config,
        &["data", "import", bundle_file.to_str().unwrap()],
    ));

    let mut serve = Command::new(BIN);
    serve
        .args(["serve", "--config"])
        .arg(&config)
        .env("NO_COLOR", "1");
    let collector = Collector::start(serve, Duration::from_mins(1));
    let url = format!("http://{}/", collector.addr);
    let token = agent_token(BIN, &config, "ward-7");
    let agent = agent_binary::agent_binary(BIN);

    // Trusting the publisher's key: fetched after the delivery, installed, used at next start.
    let trusting = dir.path().join("trusting");
    let agent_config = write_agent(&trusting, &url, &token, Some(&key.public().to_hex()));
    let log = run_once(&agent, &agent_config);
    assert!(
        log.contains("data bundle from the collector in use"),
        "{log}"
    );
    assert_eq!(
        std::fs::read(trusting.join("spool/data/current.bundle")).unwrap(),
        bundle,
        "the agent keeps the bundle exactly as signed"
    );
    let log = run_once(&agent, &agent_config);
    assert!(log.contains("data bundle in use"), "{log}");
    assert!(!log.contains("from the collector"), "fetched twice: {log}");
    let status = |args: &[&str]| {
        command_line::stdout(
            &Command::new(&agent)
                .args(["data", "status"])
                .args(args)
                .output()
                .unwrap(),
        )
    };
    let registry_line = |table: String| {
        table
            .lines()
            .find(|l| l.starts_with("ieee-registry"))
            .unwrap()
            .to_owned()
    };
    assert!(
        registry_line(status(&["--config", agent_config.to_str().unwrap()])).contains(date),
        "data status --config shows the fetched registry"
    );
    assert!(
        !registry_line(status(&[])).contains(date),
        "without --config: compiled in"
    );

    // Not trusting it: refused, nothing installed, the report still delivered.
    let wary = dir.path().join("wary");
    let agent_config = write_agent(&wary, &url, &token, None);
    let log = run_once(&agent, &agent_config);
    assert!(
        log.contains("not installed") && log.contains("not trusted"),
        "{log}"
    );
    assert!(!wary.join("spool/data/current.bundle").exists());
    drop(collector);
}
