//! The real agent's scan of the test LAN from the LAN's scanner namespace, written as a JSON
//! report (the `lan*` tests).

#![allow(dead_code)] // each test file uses part of it

use std::path::Path;
use std::time::{Duration, Instant};

use daicho_testlan::TestLan;

/// The scan arguments for the LAN's 198.18.0.0/24, fast: the test LAN is ours.
pub const FAST_SCAN_OF_THE_24: [&str; 6] = [
    "--target",
    "198.18.0.0/24",
    "--rate",
    "5000",
    "--per-host-rate",
    "300",
];

/// Runs `AGENT scan ARGS --format json --output OUT` in the LAN's scanner namespace and
/// asserts that it succeeded; returns the report's JSON (read back from `out`) and how long
/// the scan took.
pub fn scan_lan_to_json(
    lan: &TestLan,
    agent: &Path,
    args: &[&str],
    out: &Path,
) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let output = lan
        .command_in(lan.scanner_ns(), agent)
        .unwrap()
        .arg("scan")
        .args(args)
        .args(["--format", "json", "--output"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "agent scan failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let took = started.elapsed();
    (std::fs::read(out).unwrap(), took)
}
