//! Which switch port, on the test LAN with its two managed switches (root; the `lan` nextest
//! group): `lan.sh up --switches` makes sw-core (br0) and sw-2f (br2, uplinked to br0), each
//! answering SNMP v2c from its bridge's live forwarding table and LLDP data. The collector
//! serves in the scanner namespace; the real agent (`run --once`, with `[snmp]` community and
//! both switches) scans, reads the switches and delivers. Every host must be placed on the
//! switch and port the truth names, none on an uplink; then a host's veth is moved to the
//! other switch, and the next run moves the device, with a `port_moved` event. A wrong
//! community and an excluded switch are notes in the report, not failures, and the community
//! is in no file but the agent's configuration.

#[path = "support/agent_binary.rs"]
mod agent_binary;
#[path = "support/child_collector.rs"]
mod child_collector;
#[path = "support/lan_agents.rs"]
mod lan_agents;

use std::path::{Path, PathBuf};
use std::time::Instant;

use child_collector::agent_token;
use daicho_ledger::events::EventKind;
use daicho_ledger::{DeviceFilter, EventFilter, Ledger, LedgerOptions};
use daicho_testlan::{TestLan, require_root, unique_id};
use lan_agents::{COLLECTOR, loopback_collector_config, run_once, start_collector_in, token_file};

/// The collector's port inside the scanner namespace.
const PORT: u16 = 8641;

/// The agent's configuration: the LAN segment, TCP 22 only (the switches are the point), the
/// switches' community and both switches; 0600, as it holds the community.
fn agent_config(dir: &Path, token: &Path, community: &str, switches: &[String]) -> PathBuf {
    let quoted: Vec<String> = switches.iter().map(|s| format!("\"{s}\"")).collect();
    let text = format!(
        "[agent]\nname = \"ward-sw\"\nlog_level = \"warn\"\n\
         [schedule]\ninterval = \"6h\"\n\
         [collector]\nurl = \"http://127.0.0.1:{PORT}/\"\ntoken_file = \"{}\"\n\
         [spool]\ndir = \"{}\"\n\
         [scan]\ntargets = [\"198.18.0.0/24\"]\nports = \"T:22\"\nrate = 2000\nper_host_rate = 100\n\
         [snmp]\ncommunity = \"{community}\"\nswitches = [{}]\n",
        token.display(),
        dir.join("spool").display(),
        quoted.join(", ")
    );
    let path = dir.join("agent.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path
}

/// Device id by current IP.
fn device_at(ledger: &Ledger, ip: &str) -> Option<i64> {
    ledger
        .list_devices(&DeviceFilter {
            limit: Some(1000),
            ..DeviceFilter::default()
        })
        .unwrap()
        .devices
        .iter()
        .find(|d| d.ip.as_deref() == Some(ip))
        .map(|d| d.id)
}

#[test]
fn every_host_is_placed_on_its_switch_port_and_a_moved_cable_is_an_event() {
    require_root().unwrap();
    let lan = TestLan::up_with_switches(&unique_id('w'), None).unwrap();
    let truth = lan.truth().clone();
    assert_eq!(truth.switches.len(), 2, "two managed switches");
    let community = truth.switches[0].community.clone();
    let dir = tempfile::tempdir().unwrap();
    let (collector_config, db) = loopback_collector_config(dir.path(), PORT);
    let token = token_file(
        dir.path(),
        "ward-sw",
        &agent_token(COLLECTOR, &collector_config, "ward-sw"),
    );
    let _collector = start_collector_in(&lan, lan.scanner_ns(), &collector_config, PORT);
    let switches: Vec<String> = truth.switches.iter().map(|s| s.ip.to_string()).collect();
    let config = agent_config(dir.path(), &token, &community, &switches);

    let started = Instant::now();
    run_once(&lan, &config);
    let first_run = started.elapsed();

    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    let uplinks: Vec<&str> = truth
        .switches
        .iter()
        .map(|s| s.uplink_port.as_str())
        .collect();
    let mut placed = 0;
    let mut wrong = Vec::new();
    for host in truth.hosts.iter().filter(|h| h.switch.is_some()) {
        let device = device_at(&ledger, &host.ip.to_string())
            .unwrap_or_else(|| panic!("{} ({}) is no device", host.name, host.ip));
        let place = ledger.device_port(device).unwrap();
        let got = place
            .as_ref()
            .map(|p| (p.switch_name.clone(), p.port_name.clone()));
        let want = (host.switch.clone(), host.port.clone().unwrap());
        if let Some(p) = &place {
            assert!(
                !uplinks.contains(&p.port_name.as_str()),
                "{} placed on the uplink {}",
                host.name,
                p.label()
            );
        }
        if got.as_ref() == Some(&want) {
            placed += 1;
        } else {
            wrong.push(format!("{}: {got:?}, truth {want:?}", host.name));
        }
    }
    assert!(wrong.is_empty(), "misplaced: {wrong:#?}");
    let on_floor = truth
        .hosts
        .iter()
        .filter(|h| h.switch.as_deref() == Some("sw-2f"))
        .count();
    assert!(on_floor >= 5, "hosts behind the uplink: {on_floor}");
    eprintln!(
        "{placed} hosts placed ({on_floor} behind the uplink on sw-2f) after a run of {:.1} s",
        first_run.as_secs_f64()
    );
    // The switch sw-core is itself a device, named as the placement's switch.
    let core = &truth.switches[0];
    let core_device = device_at(&ledger, &core.ip.to_string()).unwrap();
    let floor_host = truth
        .hosts
        .iter()
        .find(|h| h.switch.as_deref() == Some("sw-2f") && h.name != "sw-2f")
        .unwrap();
    let floor_device = device_at(&ledger, &floor_host.ip.to_string()).unwrap();
    let printer = truth
        .hosts
        .iter()
        .find(|h| h.switch.as_deref() == Some("sw-core") && h.name != "sw-core")
        .unwrap();
    let printer_place = ledger
        .device_port(device_at(&ledger, &printer.ip.to_string()).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(printer_place.switch_device_id, Some(core_device));
    drop(ledger);

    // Unplug a host from sw-2f and plug it into sw-core, on the same port name.
    let port = floor_host.port.clone().unwrap();
    lan.move_port(&port, &core.bridge).unwrap();
    run_once(&lan, &config);
    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    let now = ledger.device_port(floor_device).unwrap().unwrap();
    assert_eq!(
        (now.switch_name.as_deref(), now.port_name.as_str()),
        (Some("sw-core"), port.as_str()),
        "{} after the move",
        floor_host.name
    );
    let moves: Vec<String> = ledger
        .events(&EventFilter {
            device: Some(floor_device),
            kind: Some(EventKind::PortMoved),
            ..EventFilter::default()
        })
        .unwrap()
        .iter()
        .map(|e| e.detail["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        moves,
        [format!("sw-2f ポート {port} → sw-core ポート {port}")]
    );
    // Nothing else moved.
    let all_moves = ledger
        .events(&EventFilter {
            kind: Some(EventKind::PortMoved),
            ..EventFilter::default()
        })
        .unwrap();
    assert_eq!(all_moves.len(), 1, "{all_moves:?}");
    // A wrong community gets no answer (only the configured one does), an excluded switch not
    // a packet (the gate refuses): each is a note in the report, and the scan succeeds.
    let wrong = token_file(dir.path(), "wrong-community", "public");
    let out = lan
        .command_in(lan.scanner_ns(), agent_binary::agent_binary(COLLECTOR))
        .unwrap()
        .args(["scan", "--target", "198.18.0.0/24", "--exclude"])
        .arg(truth.switches[1].ip.to_string())
        .args(["--no-fingerprint", "--format", "json", "--switch"])
        .arg(core.ip.to_string())
        .arg("--switch")
        .arg(truth.switches[1].ip.to_string())
        .arg("--switch-community-file")
        .arg(&wrong)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: daicho_model::ScanReport = serde_json::from_slice(&out.stdout).unwrap();
    let notes: Vec<&str> = report
        .switches
        .iter()
        .map(|s| s.note.as_deref().unwrap_or_default())
        .collect();
    assert!(notes[0].contains("応答がありません"), "{notes:?}");
    assert!(notes[1].contains("送信できません"), "{notes:?}");
    assert!(report.switches.iter().all(|s| s.forwarding.is_empty()));
    assert!(report.hosts.len() > 20, "the scan itself went on");

    // The community is a password: in no report, ledger or spool file.
    drop(ledger);
    for path in walk(dir.path()) {
        if path.file_name().is_some_and(|n| n == "agent.toml") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes
                .windows(community.len())
                .any(|w| w == community.as_bytes()),
            "the community is in {}",
            path.display()
        );
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
