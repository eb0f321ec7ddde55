//! What the ledger knows of the network's shape (`network_facts`): scan ranges, the agent's
//! interface addresses, every address of each device, the devices seen without a MAC; one
//! site's only.

#[path = "support/fixtures.rs"]
mod fixtures;

use chrono::{TimeZone, Utc};
use daicho_ledger::SiteId;
use daicho_model::LocalInventory;
use daicho_model::inventory::Interface;
use fixtures::{arp_host_of_example_corp, scan_report, temp_ledger};

#[test]
fn scan_ranges_interfaces_addresses_and_routed_devices_are_read_back() {
    let t = temp_ledger();
    let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    let mut agent = arp_host_of_example_corp("198.18.0.2", "00:11:22:00:00:02", Some("agent"));
    agent.local = Some(LocalInventory {
        interfaces: vec![Interface {
            name: "eth0".into(),
            mac: Some("00:11:22:00:00:02".parse().unwrap()),
            addresses: vec!["198.18.0.2/24".into(), "fe80::2/64".into()],
        }],
        ..LocalInventory::default()
    });
    let lan = arp_host_of_example_corp("198.18.0.20", "00:11:22:00:00:20", Some("pc-20"));
    let mut routed = arp_host_of_example_corp("198.18.1.10", "00:11:22:00:01:10", Some("srv"));
    routed.mac = None;
    routed.vendor = None;
    routed.discovered_by = vec!["icmp".into()];
    let mut report = scan_report("agent", at, None, vec![agent, lan, routed]);
    report.scope.targets = vec!["198.18.0.0/24".into(), "198.18.1.0/24".into()];
    t.ledger.ingest(&report, None).unwrap();
    // The same LAN PC later on a second address.
    let again = scan_report(
        "agent",
        at + chrono::Duration::hours(1),
        None,
        vec![arp_host_of_example_corp(
            "198.18.0.21",
            "00:11:22:00:00:20",
            Some("pc-20"),
        )],
    );
    t.ledger.ingest(&again, None).unwrap();

    let facts = t.ledger.network_facts(SiteId::DEFAULT).unwrap();
    assert_eq!(facts.scan_targets, ["198.18.0.0/24", "198.18.1.0/24"]);
    let devices = t.ledger.checklist_devices(SiteId::DEFAULT).unwrap();
    let id_of = |name: &str| {
        devices
            .iter()
            .find(|d| d.hostname == name)
            .unwrap()
            .device_id
    };
    assert_eq!(
        facts.agent_addresses,
        [
            (id_of("agent"), "198.18.0.2/24".to_owned()),
            (id_of("agent"), "fe80::2/64".to_owned())
        ]
    );
    let pc: Vec<String> = facts
        .device_addresses
        .iter()
        .filter(|(id, _)| *id == id_of("pc-20"))
        .map(|(_, ip)| ip.to_string())
        .collect();
    assert_eq!(pc, ["198.18.0.20", "198.18.0.21"]);
    assert_eq!(facts.routed_devices, [id_of("srv")]);
    let mut segment = vec![id_of("agent"), id_of("pc-20")];
    segment.sort_unstable();
    assert_eq!(facts.segment_devices, segment);
    // Another site has none of it.
    let other = t.ledger.add_site("east", Some("東病院")).unwrap();
    assert_eq!(
        t.ledger.network_facts(other.id).unwrap(),
        daicho_ledger::network_facts::NetworkFacts::default()
    );
}
