//! The full inventory scan (`daicho-agent scan`: discovery, ports, services, OS) against the
//! test LAN (tests/lan/lan.sh): accuracy against the ground truth, hostile services, and the
//! medical safe mode seen on the wire. Needs root (CI runs as root); each test brings up its own
//! LAN. The agent runs inside the LAN's scanner namespace.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/agent_copy.rs"]
mod agent_copy;

use agent_copy::agent_copy;
use daicho_model::ScanReport;
use daicho_testlan::{Capture, TestLan, require_root, unique_id};

fn agent() -> PathBuf {
    agent_copy("fp-test")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lan() -> TestLan {
    if let Err(e) = require_root() {
        panic!("{e}");
    }
    TestLan::up(&unique_id('f'), None).unwrap_or_else(|e| panic!("LAN up: {e}"))
}

/// Runs `daicho-agent scan ARGS --format json -o FILE` in the scanner; returns the report, the
/// wall time, the peak resident memory (VmHWM, KiB) and stderr.
fn scan(lan: &TestLan, args: &[&str], out: &Path) -> (ScanReport, Duration, u64, String) {
    let started = Instant::now();
    let mut child = lan
        .command_in(lan.scanner_ns(), agent())
        .unwrap()
        .arg("scan")
        .args(args)
        .args(["--format", "json", "--output"])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut s);
        s
    });
    // `ip netns exec` / nsenter exec()s the agent, so the child's pid is the agent's.
    let mut peak_kib = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(kib);
        }
        assert!(
            started.elapsed() < Duration::from_mins(5),
            "scan {args:?} still running after 300 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let elapsed = started.elapsed();
    let stderr = reader.join().unwrap();
    assert!(status.success(), "scan {args:?} failed: {stderr}");
    let bytes = std::fs::read(out).unwrap();
    let report = ScanReport::from_json(&bytes).unwrap_or_else(|e| panic!("report: {e}"));
    (report, elapsed, peak_kib, stderr)
}

fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("daicho-fp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const TARGETS: [&str; 4] = ["-t", "198.18.0.0/24", "-t", "198.18.1.0/24"];
/// Faster than the polite defaults so the test fits CI; the pacing itself is tested elsewhere.
const FAST: [&str; 4] = ["--rate", "2000", "--per-host-rate", "200"];

#[test]
fn full_scan_matches_the_ground_truth() {
    let lan = lan();
    let dir = tempdir("acc");
    let out = dir.join("report.json");
    let mut args = TARGETS.to_vec();
    args.extend(FAST);
    args.extend(["--snmp-community", "public", "--probe-medical"]);
    let (report, elapsed, peak, _) = scan(&lan, &args, &out);
    eprintln!(
        "full scan: {} hosts in {elapsed:?}, peak RSS {peak} KiB",
        report.hosts.len()
    );
    // The report names every port probed, so the collector can tell closed from not probed.
    let ports = report.scope.ports.as_deref().expect("scope.ports");
    assert!(
        ports.starts_with("T:20-23,25,")
            && ports.contains(",11112,")
            && ports.ends_with(",U:53,137,161"),
        "{ports}"
    );
    let truth_file = lan.truth().run_dir.join("truth.json");
    let scored = Command::new("python3")
        .arg(repo_root().join("tests/bench/score.py"))
        .arg("--truth")
        .arg(&truth_file)
        .arg("--daicho")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&scored.stdout);
    eprintln!("{text}");
    assert!(
        scored.status.success(),
        "{}",
        String::from_utf8_lossy(&scored.stderr)
    );
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("SCORES "))
        .expect("scores line");
    let scores: serde_json::Value = serde_json::from_str(line).unwrap();
    let score = scores["daicho"]["score"].as_f64().unwrap();
    assert!(
        scores["daicho"]["total"].as_u64().unwrap() >= 60,
        "too few checks"
    );
    assert!(score >= 0.95, "accuracy {score:.3} below 95 %");
    // Evidence behind every conclusion.
    for h in &report.hosts {
        for s in &h.services {
            assert!(!s.evidence.is_empty(), "{} {}: no evidence", h.ip, s.port);
        }
    }
    let fgt = report
        .hosts
        .iter()
        .find(|h| h.ip.to_string() == "198.18.0.25")
        .expect("the FortiGate");
    assert_eq!(
        (fgt.os.name.as_deref(), fgt.os.version.as_deref()),
        (Some("FortiOS"), Some("6.0.4"))
    );
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&truth_file).unwrap()).unwrap();
    let devices = check_devices(&truth, &report);
    assert!(
        devices >= 5,
        "FortiGate, YAMAHA router and switch, NEC router, NetScaler: {devices} checked"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every truth host that imitates a maker's device (network gear, VPN appliances): the agent
/// names it as the truth does — family, OS name and firmware version, the device line of the
/// evidence (vendor, model, kind) — and each of its services' product. Returns how many.
fn check_devices(truth: &serde_json::Value, report: &ScanReport) -> usize {
    let mut checked = 0;
    for t in truth["hosts"].as_array().unwrap() {
        let Some(device) = t["device"].as_object() else {
            continue;
        };
        let name = t["name"].as_str().unwrap();
        let host = report
            .hosts
            .iter()
            .find(|h| h.ip.to_string() == t["ip"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{name} not reported"));
        assert_eq!(
            (
                host.os.family.as_str(),
                host.os.name.as_deref(),
                host.os.version.as_deref()
            ),
            (
                t["os_family"].as_str().unwrap(),
                t["os_name"].as_str(),
                t["os_version"].as_str()
            ),
            "{name}: {:?}",
            host.os
        );
        let line = format!(
            "device: {} {}, {}",
            device["vendor"].as_str().unwrap(),
            device["model"].as_str().unwrap(),
            device["kind"].as_str().unwrap()
        );
        assert!(
            host.os.evidence.contains(&line),
            "{name}: no '{line}' in {:?}",
            host.os.evidence
        );
        for s in t["services"].as_array().unwrap() {
            let port = u16::try_from(s["port"].as_u64().unwrap()).unwrap();
            let seen = host
                .services
                .iter()
                .find(|x| x.port == port && x.name == s["name"].as_str().unwrap())
                .unwrap_or_else(|| panic!("{name}: {port}/{} not reported", s["name"]));
            let want = s["product"].as_str().unwrap();
            assert!(
                seen.product.as_deref().is_some_and(|p| p.contains(want)),
                "{name} {port}: product {:?}, the truth says {want}",
                seen.product
            );
        }
        checked += 1;
    }
    checked
}

#[test]
fn hostile_services_cannot_hold_or_crash_the_scan() {
    let lan = lan();
    let dir = tempdir("hostile");
    let out = dir.join("report.json");
    // The hostile host plus well-behaved neighbours, everything probed (medical opt-in too, so
    // the malformed DICOM answer is read).
    let mut args = vec!["-t", "198.18.0.24-198.18.0.28", "-t", "198.18.0.10"];
    args.extend(FAST);
    args.extend(["--snmp-community", "public", "--probe-medical"]);
    let (report, elapsed, peak_kib, stderr) = scan(&lan, &args, &out);
    eprintln!("hostile scan: {elapsed:?}, peak RSS {peak_kib} KiB");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(elapsed < Duration::from_secs(90), "took {elapsed:?}");
    assert!(peak_kib > 0, "no memory reading");
    // A 10 MB banner and an endless stream must not be buffered whole.
    assert!(
        peak_kib < 150 * 1024,
        "peak RSS {peak_kib} KiB: replies are not bounded"
    );
    let host = |ip: &str| {
        report
            .hosts
            .iter()
            .find(|h| h.ip.to_string() == ip)
            .unwrap_or_else(|| panic!("{ip} not reported"))
    };
    let hostile = host("198.18.0.28");
    let ports: Vec<u16> = hostile.services.iter().map(|s| s.port).collect();
    for p in [21, 25, 104, 110, 443, 445, 8080] {
        assert!(
            ports.contains(&p),
            "hostile port {p} not reported: {ports:?}"
        );
    }
    // The others are still fully identified.
    let win = host("198.18.0.24");
    assert!(
        win.services
            .iter()
            .any(|s| s.name == "smb" && s.version.as_deref() == Some("10.0.17763"))
    );
    let file = host("198.18.0.10");
    assert!(
        file.services
            .iter()
            .any(|s| s.name == "ssh" && s.product.as_deref() == Some("OpenSSH"))
    );
    assert_eq!(
        host("198.18.0.26").os.version.as_deref(),
        Some("16.04"),
        "old Ubuntu from its OpenSSH package revision"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// (destination port, payload length, first payload byte) of every TCP segment the scanner sent.
fn payloads_from_scanner(file: &Path) -> Vec<(u16, usize, Option<u8>)> {
    let text = daicho_testlan::capture::read(file, "src host 198.18.0.2", &["-x"]).unwrap();
    let mut segments = Vec::new();
    let mut current: Option<(u16, usize)> = None;
    let mut hex = String::new();
    let mut finish = |current: Option<(u16, usize)>, hex: &str| {
        if let Some((port, len)) = current {
            // IPv4 header (20) + TCP header (data offset) precede the payload.
            let bytes: Vec<u8> = hex
                .as_bytes()
                .chunks(2)
                .filter_map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
                .collect();
            let tcp_header = bytes.get(32).map_or(20, |b| usize::from(b >> 4) * 4);
            let first = bytes.get(20 + tcp_header).copied().filter(|_| len > 0);
            segments.push((port, len, first));
        }
    };
    for line in text.lines() {
        if line.starts_with('\t') || line.starts_with(' ') {
            if let Some((_, rest)) = line.split_once(':') {
                hex.extend(rest.chars().filter(char::is_ascii_hexdigit));
            }
            continue;
        }
        finish(current.take(), &hex);
        hex.clear();
        // "12:00:00.000 IP 198.18.0.2.40000 > 198.18.0.11.104: Flags [P.], ..., length 68"
        let port = line
            .split(" > ")
            .nth(1)
            .and_then(|d| d.split(':').next())
            .and_then(|d| d.rsplit('.').next())
            .and_then(|p| p.parse().ok());
        let len = line
            .rsplit("length ")
            .next()
            .and_then(|l| l.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|l| l.parse().ok());
        if let (Some(port), Some(len)) = (port, len) {
            current = Some((port, len));
        }
    }
    finish(current.take(), &hex);
    segments
}

#[test]
fn medical_hosts_get_connects_only_unless_opted_in() {
    let lan = lan();
    let dir = tempdir("medical");
    // pacs-fuji (DICOM 104 + HTTP), modality-ct (DICOM 11112), monitor-gw (HL7 2575), and
    // mon-mindray: HTTP only, medical by its MAC alone, from a block assigned after the 2022
    // registry (its vendor in the truth comes from the shipped registry, not from daicho).
    let watched = [
        ("pacs-fuji", 104u16),
        ("modality-ct", 11112),
        ("monitor-gw", 2575),
        ("mon-mindray", 80),
    ];
    let mindray = lan
        .truth()
        .host_by_name("mon-mindray")
        .expect("mon-mindray");
    assert_eq!(mindray.vendor.as_deref(), Some("Mindray Co., Ltd."));
    let mindray_ip = mindray.ip.to_string();
    let namespaces: Vec<String> = watched
        .iter()
        .map(|(name, _)| {
            lan.truth()
                .host_by_name(name)
                .unwrap_or_else(|| panic!("{name} in the truth"))
                .ns
                .clone()
        })
        .collect();

    for opted_in in [false, true] {
        let caps: Vec<Capture> = namespaces
            .iter()
            .enumerate()
            .map(|(i, ns)| {
                let file = dir.join(format!("{i}-{opted_in}.pcap"));
                lan.capture(ns, &file, &[], Some("tcp")).unwrap()
            })
            .collect();
        let out = dir.join(format!("report-{opted_in}.json"));
        let mut args = vec!["-t", "198.18.0.11-198.18.0.13", "-t", &mindray_ip];
        args.extend(FAST);
        args.extend(["--snmp-community", "public"]);
        if opted_in {
            args.push("--probe-medical");
        }
        let (report, _, _, _) = scan(&lan, &args, &out);
        let mut all = Vec::new();
        for capture in caps {
            all.push(payloads_from_scanner(&capture.stop(&lan).unwrap()));
        }
        for ((name, port), segments) in watched.iter().zip(&all) {
            let to_port: Vec<_> = segments.iter().filter(|s| s.0 == *port).collect();
            assert!(
                !to_port.is_empty(),
                "{name}: no connect to {port} seen at all"
            );
            let with_data: Vec<_> = to_port.iter().filter(|s| s.1 > 0).collect();
            if !opted_in || *port == 2575 {
                // Safe mode (and HL7 always): a handshake and a close, not one payload byte.
                assert!(
                    with_data.is_empty(),
                    "{name}: payload sent to {port} (opted in: {opted_in}): {with_data:?}"
                );
            } else if *port == 80 {
                // Opted in: the HTTP request went out.
                assert!(
                    !with_data.is_empty(),
                    "{name}: no HTTP request when opted in"
                );
            } else {
                // Opted in: the DICOM A-ASSOCIATE-RQ (PDU type 0x01) went out.
                assert!(
                    with_data.iter().any(|s| s.2 == Some(0x01)),
                    "{name}: no A-ASSOCIATE-RQ to {port}: {with_data:?}"
                );
            }
        }
        let pacs = report
            .hosts
            .iter()
            .find(|h| h.ip.to_string() == "198.18.0.11")
            .expect("pacs-fuji reported");
        // The post-2022 block resolves to its maker, which makes it medical: safe mode.
        let mon = report
            .hosts
            .iter()
            .find(|h| h.ip.to_string() == mindray_ip)
            .expect("mon-mindray reported");
        assert_eq!(mon.vendor, mindray.vendor);
        assert_eq!(
            mon.os.family,
            daicho_model::OsFamily::Medical,
            "{:?}",
            mon.os
        );
        let http = mon.services.iter().find(|s| s.port == 80).expect("80");
        assert_eq!(
            http.evidence.iter().any(|e| e.contains("safe mode")),
            !opted_in,
            "{http:?}"
        );
        let dicom = pacs.services.iter().find(|s| s.port == 104).expect("104");
        if opted_in {
            assert_eq!(dicom.product.as_deref(), Some("DCMTK"));
        } else {
            assert!(dicom.product.is_none(), "{dicom:?}");
            assert!(
                dicom.evidence.iter().any(|e| e.contains("safe mode")),
                "{dicom:?}"
            );
            // Nothing at all beyond connects to a medical host: its HTTP port is not asked either.
            assert!(
                all[0].iter().all(|s| s.1 == 0),
                "payload to pacs-fuji in safe mode: {:?}",
                all[0].iter().filter(|s| s.1 > 0).collect::<Vec<_>>()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
