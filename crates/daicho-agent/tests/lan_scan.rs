//! `daicho-agent scan` against the test LAN (tests/lan/lan.sh): every host found with the right
//! MAC and vendor on repeated runs, zero packets to an excluded host, the packet rate within
//! its limits, and bad input refused. The agent binary runs inside the LAN's scanner namespace.
//! Needs root (CI runs as root); each test brings up its own LAN.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::{Output, Stdio};

#[path = "common/agent_copy.rs"]
mod agent_copy;

use agent_copy::agent_copy;
use daicho_model::ScanReport;
use daicho_testlan::capture::{self, Frame, FrameKind};
use daicho_testlan::{Role, Segment, TestLan, require_root, unique_id};

fn agent() -> PathBuf {
    agent_copy("scan-test")
}

fn lan(hosts: Option<usize>) -> TestLan {
    if let Err(e) = require_root() {
        panic!("{e}");
    }
    TestLan::up(&unique_id('s'), hosts).unwrap_or_else(|e| panic!("LAN up: {e}"))
}

fn scan(lan: &TestLan, args: &[&str]) -> Output {
    lan.command_in(lan.scanner_ns(), agent())
        .unwrap()
        .arg("scan")
        .args(args)
        // These tests are about discovery; the fingerprint phase has its own (lan_fingerprint).
        .arg("--no-fingerprint")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn scan_json(lan: &TestLan, args: &[&str]) -> ScanReport {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = scan(lan, &all);
    assert!(
        out.status.success(),
        "scan {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    ScanReport::from_json(&out.stdout).unwrap_or_else(|e| panic!("report: {e}"))
}

fn v4(ip: IpAddr) -> Ipv4Addr {
    match ip {
        IpAddr::V4(v) => v,
        IpAddr::V6(v) => panic!("unexpected IPv6 {v}"),
    }
}

#[test]
fn every_host_found_with_mac_and_vendor_on_repeated_runs() {
    let lan = lan(Some(230));
    let truth = lan.truth();
    let on_lan: Vec<_> = truth
        .hosts
        .iter()
        .filter(|h| h.segment == Segment::Lan)
        .collect();
    assert!(on_lan.len() >= 200, "the /24 must hold at least 200 hosts");
    assert!(on_lan.iter().any(|h| h.mac_randomized));
    // A virtual machine's locally administered NIC (QEMU/KVM 52:54:00) that is not randomized,
    // and blocks assigned after the 2022 registry, are among the hosts checked below.
    let kvm = truth.host_by_name("kvm-guest").expect("kvm-guest");
    assert!(kvm.mac.starts_with("52:54:00") && !kvm.mac_randomized);
    assert_eq!(kvm.vendor.as_deref(), Some("QEMU/KVM virtual machine"));
    for name in ["mon-mindray", "printer-epson"] {
        assert!(
            truth.host_by_name(name).is_some_and(|h| h.vendor.is_some()),
            "{name}"
        );
    }
    for run in 1..=3 {
        let report = scan_json(&lan, &["--target", &truth.lan_cidr]);
        let found: BTreeMap<Ipv4Addr, _> = report.hosts.iter().map(|h| (v4(h.ip), h)).collect();
        for t in &on_lan {
            let h = found
                .get(&t.ip)
                .unwrap_or_else(|| panic!("run {run}: {} ({}) missed", t.ip, t.name));
            let mac = h.mac.map(|m| m.to_string());
            assert_eq!(
                mac.as_deref(),
                Some(t.mac.as_str()),
                "run {run}: MAC of {}",
                t.ip
            );
            assert_eq!(h.vendor, t.vendor, "run {run}: vendor of {}", t.ip);
            assert_eq!(
                h.mac_randomized, t.mac_randomized,
                "run {run}: randomized {}",
                t.ip
            );
            // Discovery only sends no TTL echo (only the fingerprint phase's OS guess uses it).
            assert_eq!(h.ttl, None, "run {run}: TTL of {}", t.ip);
            assert!(h.rtt_ms.is_some(), "run {run}: RTT of {}", t.ip);
            if let Some(name) = &t.hostname {
                assert_eq!(
                    h.hostname.as_ref(),
                    Some(name),
                    "run {run}: name of {}",
                    t.ip
                );
            }
        }
        // Nothing invented: every reported host is a LAN host or the scanner itself.
        for ip in found.keys() {
            assert!(
                *ip == truth.scanner.ip || on_lan.iter().any(|t| t.ip == *ip),
                "run {run}: {ip} reported but does not exist"
            );
        }
        assert!(report.methods.iter().any(|m| m == "arp"));
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    }
}

#[test]
fn routed_hosts_found_by_icmp_and_tcp() {
    let lan = lan(None);
    let truth = lan.truth();
    let report = scan_json(&lan, &["--target", &truth.routed_cidr, "--no-names"]);
    let found: BTreeMap<Ipv4Addr, _> = report.hosts.iter().map(|h| (v4(h.ip), h)).collect();
    for t in truth.hosts.iter().filter(|h| h.segment == Segment::Routed) {
        let h = found
            .get(&t.ip)
            .unwrap_or_else(|| panic!("{} missed", t.ip));
        assert_eq!(h.mac, None, "no MAC across a router");
        // One router hop, except for the router's own far-side address.
        let hops = u8::from(t.role != Role::Router);
        assert_eq!(h.ttl, Some(t.ttl - hops), "TTL of {}", t.ip);
    }
    assert!(report.methods.iter().any(|m| m == "icmp"));
}

#[test]
fn excluded_host_receives_no_packet() {
    let lan = lan(None);
    let truth = lan.truth();
    let victim = truth
        .hosts
        .iter()
        .find(|h| h.name == "endoscope")
        .expect("the endoscope host");
    let dir = tempdir();
    let pcap = dir.join("victim.pcap");
    let capture = lan.capture(&victim.ns, &pcap, &[], None).unwrap();
    let report = scan_json(
        &lan,
        &[
            "--target",
            &truth.lan_cidr,
            "--exclude",
            &victim.ip.to_string(),
        ],
    );
    capture.stop(&lan).unwrap();
    assert!(report.hosts.iter().all(|h| v4(h.ip) != victim.ip));
    assert_eq!(report.scope.exclude, vec![victim.ip.to_string()]);
    let frames = capture::frames(&pcap).unwrap();
    let from_scanner: Vec<_> = frames
        .iter()
        .filter(|f| f.src_mac == truth.scanner.mac)
        .collect();
    // The capture works: the broadcast ARP requests for the other targets reach every port of
    // the segment, so the victim's NIC sees them (none of them asks for the victim).
    assert!(
        from_scanner.len() > 100,
        "capture saw only {} frames",
        from_scanner.len()
    );
    let ip = victim.ip.to_string();
    for Frame {
        dst_mac: dst,
        text: what,
        ..
    } in &from_scanner
    {
        assert_ne!(
            dst, &victim.mac,
            "a frame was addressed to the excluded host: {what}"
        );
        assert!(
            !what.contains(&format!("who-has {ip} ")),
            "ARP for the excluded host: {what}"
        );
        assert!(
            !what.contains(&format!("> {ip}.")),
            "IP packet to the excluded host: {what}"
        );
        assert!(
            !what.contains(&format!("> {ip}:")),
            "IP packet to the excluded host: {what}"
        );
        assert_eq!(
            dst, "ff:ff:ff:ff:ff:ff",
            "only broadcasts may reach the victim's port: {what}"
        );
    }
}

#[test]
fn packet_rate_never_above_the_limits() {
    let lan = lan(Some(120));
    let truth = lan.truth();
    let dir = tempdir();
    let pcap = dir.join("scanner.pcap");
    let (rate, per_host) = (150.0, 2.0);
    let capture = lan
        .capture(lan.scanner_ns(), &pcap, &["-Q", "out"], None)
        .unwrap();
    let report = scan_json(
        &lan,
        &[
            "--target",
            &truth.lan_cidr,
            "--rate",
            &rate.to_string(),
            "--per-host-rate",
            &per_host.to_string(),
        ],
    );
    capture.stop(&lan).unwrap();
    assert!(report.hosts.len() >= 120);
    // Everything the scanner sent except the kernel's answers to others' ARP requests.
    let sent: Vec<Frame> = capture::frames(&pcap)
        .unwrap()
        .into_iter()
        .filter(|f| f.kind() != FrameKind::ArpReply)
        .collect();
    assert!(
        sent.len() > 300,
        "only {} packets captured ({:?} bytes of capture)",
        sent.len(),
        std::fs::metadata(&pcap).map(|m| m.len())
    );
    let times: Vec<f64> = sent.iter().map(|f| f.at).collect();
    let worst = capture::most_in_window(&times, 1.0);
    assert!(
        worst as f64 <= rate,
        "{worst} packets in one second (limit {rate})"
    );
    // Per destination: the ARP target or the IP destination.
    let mut per_dst: BTreeMap<Ipv4Addr, Vec<f64>> = BTreeMap::new();
    for f in &sent {
        if let Some(dst) = f.destination() {
            per_dst.entry(dst).or_default().push(f.at);
        }
    }
    for (dst, times) in &per_dst {
        if Some(*dst) == truth.dns_server {
            // The resolver answers our reverse lookups: global limit only (documented).
            continue;
        }
        let worst = capture::most_in_window(times, 1.0);
        assert!(
            worst as f64 <= per_host,
            "{worst} packets to {dst} in one second"
        );
    }
    let _ = report;
}

/// A fresh directory for captures, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> TempDir {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("daicho-scan-cap-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

#[test]
fn bad_input_is_refused_with_a_clear_error() {
    let lan = lan(None);
    let cases: [(&[&str], &str); 6] = [
        (&[], "no target given"),
        (&["--target", "198.18.0.0/33"], "not a valid target"),
        (
            &["--target", "198.18.0.0/24", "--exclude", "198.18.0.0/23"],
            "excluded",
        ),
        (&["--target", ""], "empty"),
        (
            &["--target", "198.18.0.0/24", "--interface", "nosuch0"],
            "no network interface named `nosuch0`",
        ),
        (&["--target", "198.18.0.0/24", "--rate", "0"], "positive"),
    ];
    for (args, message) in cases {
        let out = scan(&lan, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed a report");
    }
    // No raw-socket privilege: raw methods refuse, the default falls back and says so.
    let nobody = |extra: &[&str]| -> Output {
        lan.command_in(lan.scanner_ns(), "setpriv")
            .unwrap()
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
            ])
            .arg(agent())
            .args([
                "scan",
                "--target",
                "198.18.0.10-198.18.0.23",
                "--no-names",
                "--no-fingerprint",
                "--format",
                "json",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = nobody(&["--method", "raw"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("raw-socket privilege"), "{err}");
    let out = nobody(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = ScanReport::from_json(&out.stdout).unwrap();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("no raw-socket privilege"))
    );
    assert!(report.methods.iter().any(|m| m == "neighbour-table"));
    let truth = lan.truth();
    for t in truth
        .hosts
        .iter()
        .filter(|h| h.segment == Segment::Lan && (10..=23).contains(&h.ip.octets()[3]))
    {
        let h = report
            .hosts
            .iter()
            .find(|h| v4(h.ip) == t.ip)
            .unwrap_or_else(|| panic!("fallback missed {}", t.ip));
        assert_eq!(
            h.mac.map(|m| m.to_string()).as_deref(),
            Some(t.mac.as_str())
        );
    }
}
