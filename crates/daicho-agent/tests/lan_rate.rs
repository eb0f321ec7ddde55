//! The packet budget on the wire: a full inventory (`daicho-agent scan`: discovery, half-open
//! sweep, fingerprint conversations, names) of the test LAN at the default rates, captured
//! outbound in the scanner's namespace. In every 100 ms and every 1 s window the scanner sends
//! no more than the global limit allows, to each host no more than the per-host limit allows
//! (each plus the stated burst), and the excluded host receives nothing. Needs root; brings up
//! its own LAN.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "common/agent_copy.rs"]
mod agent_copy;

use agent_copy::agent_copy;
use daicho_model::{Protocol, ScanReport};
use daicho_testlan::capture::{self, Frame, FrameKind};
use daicho_testlan::{Segment, TestLan, require_root, unique_id};

/// The agent's defaults (`daicho_scan::gate`): 500 packets/s overall, 5 per host.
const GLOBAL_PPS: usize = 500;
const PER_HOST_PPS: usize = 5;

/// What a window may exceed its share by, and why. Every packet the scanner decides to send is
/// paid before it leaves, but two kinds leave in a pair or on the kernel's own time:
/// - a connect is paid as two packets (SYN and the handshake's ACK) at once, so the ACK can
///   follow the SYN within one pacing interval: one packet over;
/// - the kernel's own packets (the RST answering a half-open SYN/ACK, the ACKs of data a
///   service sends, the closing RST) are charged when the scanner sees what caused them, after
///   they left: at most a few are on the wire and not yet paid at any moment.
const GLOBAL_BURST_100MS: usize = 10;
const GLOBAL_BURST_1S: usize = 10;
const PER_HOST_BURST_1S: usize = 2;

#[test]
fn a_full_inventory_at_the_defaults_stays_within_the_limits_on_the_wire() {
    if let Err(e) = require_root() {
        panic!("{e}");
    }
    let lan = TestLan::up(&unique_id('r'), None).unwrap_or_else(|e| panic!("LAN up: {e}"));
    let truth = lan.truth();
    let excluded = truth
        .hosts
        .iter()
        .find(|h| h.name == "reception-pc")
        .expect("the reception PC host");
    let dir = std::env::temp_dir().join(format!("daicho-rate-cap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("scanner.pcap");
    let out = dir.join("report.json");

    // The LAN's /24 and the routed role hosts: SYNs on the segment and through the router.
    let mut args: Vec<String> = vec!["--target".into(), truth.lan_cidr.clone()];
    for h in truth.hosts.iter().filter(|h| h.segment == Segment::Routed) {
        args.extend(["--target".into(), h.ip.to_string()]);
    }
    args.extend(["--exclude".into(), excluded.ip.to_string()]);
    let capture = lan
        .capture(lan.scanner_ns(), &pcap, &["-Q", "out"], None)
        .unwrap();
    let started = Instant::now();
    let status = lan
        .command_in(lan.scanner_ns(), agent_copy("rate-test"))
        .unwrap()
        .arg("scan")
        .args(&args)
        .args(["--format", "json", "--output"])
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let elapsed = started.elapsed();
    capture.stop(&lan).unwrap();
    assert!(status.success(), "scan failed: {status}");
    let report = ScanReport::from_json(&std::fs::read(&out).unwrap()).unwrap();

    // Everything the scanner sent, except the kernel's answers to the hosts' own ARP requests.
    let sent: Vec<Frame> = capture::frames(&pcap)
        .unwrap()
        .into_iter()
        .filter(|f| f.kind() != FrameKind::ArpReply)
        .collect();
    let mut by_kind: BTreeMap<FrameKind, usize> = BTreeMap::new();
    for f in &sent {
        *by_kind.entry(f.kind()).or_default() += 1;
    }
    let times: Vec<f64> = sent.iter().map(|f| f.at).collect();
    let (worst_100ms, worst_1s) = (
        capture::most_in_window(&times, 0.1),
        capture::most_in_window(&times, 1.0),
    );
    let mut per_host: BTreeMap<Ipv4Addr, Vec<f64>> = BTreeMap::new();
    for f in &sent {
        if let Some(dst) = f.destination() {
            per_host.entry(dst).or_default().push(f.at);
        }
    }
    // The resolver answers our reverse lookups and mDNS goes to its group: the global limit
    // only (documented in the README).
    let limited: Vec<(&Ipv4Addr, usize)> = per_host
        .iter()
        .filter(|(ip, _)| Some(**ip) != truth.dns_server && !ip.is_multicast())
        .map(|(ip, t)| (ip, capture::most_in_window(t, 1.0)))
        .collect();
    let (busiest, busiest_count) = limited
        .iter()
        .max_by_key(|(_, n)| *n)
        .map_or((None, 0), |(ip, n)| (Some(**ip), *n));
    eprintln!(
        "full inventory at the defaults: {} hosts, {} services in {:.1} s; {} packets sent \
         ({by_kind:?}); worst 100 ms window {worst_100ms} (limit {}), worst 1 s window \
         {worst_1s} (limit {GLOBAL_PPS}), worst 1 s window to one host {busiest_count} \
         (to {busiest:?}, limit {PER_HOST_PPS})",
        report.hosts.len(),
        report.hosts.iter().map(|h| h.services.len()).sum::<usize>(),
        elapsed.as_secs_f64(),
        sent.len(),
        GLOBAL_PPS / 10,
    );

    if let Some(ip) = busiest {
        // What the busiest host's worst second held, for the record.
        let to_it: Vec<&Frame> = sent
            .iter()
            .filter(|f| f.destination() == Some(ip))
            .collect();
        let start = to_it
            .iter()
            .position(|f| {
                to_it
                    .iter()
                    .filter(|g| g.at >= f.at && g.at < f.at + 1.0)
                    .count()
                    == busiest_count
            })
            .unwrap_or(0);
        for f in &to_it[start..(start + busiest_count).min(to_it.len())] {
            eprintln!("  {:.6} {}", f.at, f.text);
        }
    }

    // The capture saw the whole scan: the sweep's SYNs and the conversations after it.
    assert!(
        by_kind.get(&FrameKind::TcpSyn).copied().unwrap_or(0) > 2000,
        "too few SYNs captured: {by_kind:?}"
    );
    assert!(
        by_kind.get(&FrameKind::TcpData).copied().unwrap_or(0) > 10,
        "no conversation captured: {by_kind:?}"
    );
    assert!(
        worst_100ms <= GLOBAL_PPS / 10 + GLOBAL_BURST_100MS,
        "{worst_100ms} packets in 100 ms (limit {} + burst {GLOBAL_BURST_100MS})",
        GLOBAL_PPS / 10
    );
    assert!(
        worst_1s <= GLOBAL_PPS + GLOBAL_BURST_1S,
        "{worst_1s} packets in one second (limit {GLOBAL_PPS} + burst {GLOBAL_BURST_1S})"
    );
    for (ip, n) in &limited {
        assert!(
            *n <= PER_HOST_PPS + PER_HOST_BURST_1S,
            "{n} packets to {ip} in one second (limit {PER_HOST_PPS} + burst {PER_HOST_BURST_1S})"
        );
    }

    // Zero packets to the excluded host: none addressed to it, at any layer.
    assert!(
        !per_host.contains_key(&excluded.ip),
        "packets to the excluded host"
    );
    let to_excluded_mac = sent.iter().filter(|f| f.dst_mac == excluded.mac).count();
    assert_eq!(to_excluded_mac, 0, "frames to the excluded host's MAC");
    assert!(report.hosts.iter().all(|h| h.ip != excluded.ip));

    // Nothing was lost for it: every TCP service of every other scanned host was found.
    for host in truth.hosts.iter().filter(|h| h.ip != excluded.ip) {
        let Some(found) = report.hosts.iter().find(|h| h.ip == host.ip) else {
            panic!("{} ({}) not found", host.name, host.ip);
        };
        for service in host
            .services
            .iter()
            .filter(|s| s.protocol == daicho_testlan::Protocol::Tcp)
        {
            assert!(
                found
                    .services
                    .iter()
                    .any(|s| s.port == service.port && s.protocol == Protocol::Tcp),
                "{} ({}): tcp {} not found",
                host.name,
                host.ip,
                service.port
            );
        }
    }
    let _ = Command::new("rm").arg("-rf").arg(&dir).status();
}
