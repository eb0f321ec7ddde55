//! The collector serving inside a test-LAN namespace and real agents delivering to it with
//! `daicho-agent run --once` (the `lan*` tests that run the whole product).

#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use daicho_testlan::TestLan;

use super::agent_binary::agent_binary;

/// The collector binary under test.
pub const COLLECTOR: &str = env!("CARGO_BIN_EXE_daicho-collector");

/// A collector serving in a namespace; killed when dropped.
pub struct ServingCollector(Child);

impl Drop for ServingCollector {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A collector configuration `dir/collector.toml` listening on `127.0.0.1:PORT` with its
/// SQLite ledger `dir/collector.db`; returns (configuration, database).
pub fn loopback_collector_config(dir: &Path, port: u16) -> (PathBuf, PathBuf) {
    let db = dir.join("collector.db");
    let config = dir.join("collector.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[storage]\ndatabase = \"{}\"\n",
            db.display()
        ),
    )
    .unwrap();
    (config, db)
}

/// Starts `daicho-collector --config CONFIG serve` in namespace `ns` of `lan` and waits until
/// `http://127.0.0.1:PORT/healthz` answers there.
pub fn start_collector_in(lan: &TestLan, ns: &str, config: &Path, port: u16) -> ServingCollector {
    let child = lan
        .command_in(ns, COLLECTOR)
        .unwrap()
        .arg("--config")
        .arg(config)
        .arg("serve")
        .spawn()
        .unwrap();
    let collector = ServingCollector(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let probe = lan
            .exec_in(ns, &["python3", "-c", &format!(
                "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{port}/healthz', timeout=1).status == 200 else 1)"
            )])
            .unwrap();
        if probe.status.success() {
            return collector;
        }
        assert!(Instant::now() < deadline, "the collector did not come up");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs the collector's command line `ARGS --config CONFIG` (in the root namespace, on the
/// same database file) and returns its stdout; panics when it fails.
pub fn collector_cli(config: &Path, args: &[&str]) -> String {
    let out = Command::new(COLLECTOR)
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Writes `token` 0600 to `dir/NAME.token`; the file's path.
pub fn token_file(dir: &Path, name: &str, token: &str) -> PathBuf {
    let path = dir.join(format!("{name}.token"));
    std::fs::write(&path, format!("{}\n", token.trim())).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path
}

/// An agent configuration `dir/FILE.toml` for agent `name` scanning `targets` (TCP 22, 80 and
/// 443, local inventory) and delivering to `url` with the token in `token`.
pub fn agent_config(
    dir: &Path,
    file: &str,
    name: &str,
    targets: &[&str],
    token: &Path,
    url: &str,
) -> PathBuf {
    let quoted: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
    let text = format!(
        "[agent]\nname = \"{name}\"\nlog_level = \"warn\"\n\
         [schedule]\ninterval = \"6h\"\nrun_at_start = true\n\
         [collector]\nurl = \"{url}\"\ntoken_file = \"{}\"\n\
         [spool]\ndir = \"{}\"\n\
         [inventory]\nenabled = true\n\
         [scan]\ntargets = [{}]\nports = \"T:22,80,443\"\nper_host_rate = 50\n",
        token.display(),
        dir.join(format!("spool-{file}")).display(),
        quoted.join(", ")
    );
    let path = dir.join(format!("{file}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `daicho-agent run --once --config CONFIG` in `lan`'s scanner namespace (a real scan,
/// the local inventory and the delivery) and asserts that it succeeded.
pub fn run_once(lan: &TestLan, config: &Path) {
    let started = Instant::now();
    let out = lan
        .command_in(lan.scanner_ns(), agent_binary(COLLECTOR))
        .unwrap()
        .args(["run", "--once", "--config"])
        .arg(config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "agent run --once failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "{}: run --once in {:.1} s",
        config.display(),
        started.elapsed().as_secs_f64()
    );
}
