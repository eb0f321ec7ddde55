//! The whole product on the test LAN (root; the `lan` nextest group): the collector serves
//! inside the scanner namespace, two agents with overlapping scopes run `daicho-agent run
//! --once` there (real scans, local inventory, delivery over HTTP), repeatedly; the ledger must
//! hold exactly one device per real host. Then a host changes its IP and a phone rejoins with a
//! new randomised MAC: still one device each.

#[path = "support/agent_binary.rs"]
mod agent_binary;
#[path = "support/child_collector.rs"]
mod child_collector;
#[path = "support/lan_agents.rs"]
mod lan_agents;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use child_collector::agent_token;
use daicho_ledger::{DeviceFilter, DeviceSummary, EventFilter, Ledger, LedgerOptions};
use daicho_testlan::{Segment, TestLan, require_root, unique_id};
use lan_agents::{COLLECTOR, loopback_collector_config, start_collector_in, token_file};

/// The collector's port inside the scanner namespace (a fresh namespace: always free).
const PORT: u16 = 8640;

/// A new token for `agent`, written 0600 to `dir/AGENT.token`; the file's path.
fn token(config: &Path, agent: &str, dir: &Path) -> PathBuf {
    token_file(dir, agent, &agent_token(COLLECTOR, config, agent))
}

fn agent_config(dir: &Path, name: &str, targets: &[&str], token: &Path) -> PathBuf {
    lan_agents::agent_config(
        dir,
        name,
        name,
        targets,
        token,
        &format!("http://127.0.0.1:{PORT}/"),
    )
}

fn run_once(lan: &TestLan, config: &Path) {
    lan_agents::run_once(lan, config);
}

fn devices(db: &Path) -> Vec<DeviceSummary> {
    let ledger = Ledger::open(db, LedgerOptions::default()).unwrap();
    let page = ledger
        .list_devices(&DeviceFilter {
            limit: Some(1000),
            ..DeviceFilter::default()
        })
        .unwrap();
    assert_eq!(page.total as usize, page.devices.len());
    page.devices
}

fn by_ip(devices: &[DeviceSummary]) -> HashMap<String, Vec<&DeviceSummary>> {
    let mut map: HashMap<String, Vec<&DeviceSummary>> = HashMap::new();
    for d in devices {
        map.entry(d.ip.clone().unwrap_or_default())
            .or_default()
            .push(d);
    }
    map
}

#[test]
fn two_overlapping_agents_and_repeated_runs_give_one_device_per_host() {
    require_root().unwrap();
    let lan = TestLan::up(&unique_id('e'), None).unwrap();
    let truth = lan.truth().clone();
    let dir = tempfile::tempdir().unwrap();
    let (collector_config, db) = loopback_collector_config(dir.path(), PORT);
    let token_a = token(&collector_config, "ward-a", dir.path());
    let token_b = token(&collector_config, "ward-b", dir.path());
    let _collector = start_collector_in(&lan, lan.scanner_ns(), &collector_config, PORT);

    // Overlapping scopes: A the whole LAN, B its lower half plus the routed subnet.
    let a = agent_config(dir.path(), "ward-a", &["198.18.0.0/24"], &token_a);
    let b = agent_config(
        dir.path(),
        "ward-b",
        &["198.18.0.0/25", "198.18.1.0/24"],
        &token_b,
    );
    for config in [&a, &b, &a, &b] {
        run_once(&lan, config);
    }

    // Every answering address of the LAN is one device, plus the agents' own host (both agents
    // run on it and report the same machine id).
    let all = devices(&db);
    let map = by_ip(&all);
    let mut missing = Vec::new();
    for host in &truth.hosts {
        match map.get(&host.ip.to_string()).map(Vec::as_slice) {
            Some([device]) => {
                if host.segment == Segment::Lan {
                    assert_eq!(
                        device.mac.as_deref(),
                        Some(host.mac.as_str()),
                        "{}: MAC",
                        host.name
                    );
                }
            }
            Some(several) => panic!("{} ({}) is {} devices", host.name, host.ip, several.len()),
            None => missing.push(format!("{} {}", host.name, host.ip)),
        }
    }
    assert!(missing.is_empty(), "hosts with no device: {missing:?}");
    assert_eq!(
        all.len(),
        truth.hosts.len() + 1,
        "one device per host plus the agents' own host"
    );
    let own = map
        .get(&truth.scanner.ip.to_string())
        .expect("the agents' own host is a device");
    assert_eq!(own.len(), 1);

    // A host moves to a new address: same device, an ip_changed event.
    let nas = truth
        .hosts
        .iter()
        .find(|h| h.name == "nas")
        .expect("the LAN has a NAS");
    let moved = "198.18.0.199";
    let step = |cmd: &[&str]| {
        let out = lan.exec_in(&nas.ns, cmd).unwrap();
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    step(&["ip", "addr", "flush", "dev", "eth0"]);
    step(&["ip", "addr", "add", &format!("{moved}/24"), "dev", "eth0"]);
    // A phone rejoins with a fresh randomised MAC (same address, same name).
    let phone = truth
        .hosts
        .iter()
        .find(|h| h.mac_randomized && h.hostname.is_some())
        .expect("a named phone");
    let new_mac = "da:a1:19:42:42:42";
    let out = lan
        .exec_in(
            &phone.ns,
            &["ip", "link", "set", "dev", "eth0", "address", new_mac],
        )
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    run_once(&lan, &a);

    let after = devices(&db);
    assert_eq!(
        after.len(),
        all.len(),
        "no device was added by an IP change or a MAC rotation"
    );
    let nas_device = after
        .iter()
        .find(|d| d.mac.as_deref() == Some(nas.mac.as_str()))
        .expect("the NAS");
    assert_eq!(nas_device.ip.as_deref(), Some(moved));
    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    let events = ledger
        .events(&EventFilter {
            device: Some(nas_device.id),
            ..EventFilter::default()
        })
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == daicho_ledger::events::EventKind::IpChanged),
        "{events:?}"
    );
    let phone_devices: Vec<&DeviceSummary> = after
        .iter()
        .filter(|d| d.ip.as_deref() == Some(phone.ip.to_string().as_str()))
        .collect();
    assert_eq!(phone_devices.len(), 1, "{phone_devices:?}");
    assert_eq!(
        phone_devices[0].mac.as_deref(),
        Some(new_mac),
        "the phone's device follows its new MAC"
    );
}
