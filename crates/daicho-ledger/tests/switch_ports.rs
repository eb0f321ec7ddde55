//! Switch placements through ingest: a device gets its switch and port from a report's switch
//! readings (never an uplink), a move is a `port_moved` event, a late report changes nothing.
//! Runs on SQLite, and on PostgreSQL with `DAICHO_LEDGER_STORE=postgres`.

#[path = "support/fixtures.rs"]
mod fixtures;

use chrono::{DateTime, Duration, TimeZone, Utc};
use daicho_ledger::events::EventKind;
use daicho_ledger::{EventFilter, Ledger};
use daicho_model::{
    ForwardingEntry, LldpNeighbour, MacAddr, ScanReport, SwitchPort, SwitchReading,
};
use fixtures::{arp_host_of_example_corp, scan_report, temp_ledger};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()
}

const CORE: &str = "00:00:f4:00:00:0e";
const FLOOR: &str = "00:00:f4:00:00:fd";
const PC: &str = "e8:6a:64:00:00:15";
const PRINTER: &str = "00:80:77:00:00:12";

fn switch(ip: &str, name: &str, uplink: (u32, &str, &str), fdb: &[(&str, u32)]) -> SwitchReading {
    SwitchReading {
        address: ip.parse().unwrap(),
        name: Some(name.into()),
        description: None,
        chassis_id: None,
        ports: (1..=10)
            .map(|i| SwitchPort {
                index: i,
                name: if i == uplink.0 {
                    "uplink".into()
                } else {
                    format!("{i}")
                },
                alias: None,
            })
            .collect(),
        forwarding: fdb
            .iter()
            .map(|(m, port)| ForwardingEntry {
                mac: m.parse::<MacAddr>().unwrap(),
                port: *port,
                vlan: Some(1),
            })
            .collect(),
        neighbours: vec![LldpNeighbour {
            port: uplink.0,
            chassis_id: Some(uplink.1.into()),
            port_id: Some("uplink".into()),
            system_name: Some(uplink.2.into()),
        }],
        note: None,
    }
}

/// The LAN: sw-core (.14) with the printer on port 3; sw-2f (.253) behind its port 10, with the
/// PC on port `pc_port` of sw-2f, or of sw-core when `pc_on_core`.
fn report(at: DateTime<Utc>, pc_on_core: bool, pc_port: u32) -> ScanReport {
    let hosts = vec![
        arp_host_of_example_corp("198.18.0.14", CORE, None),
        arp_host_of_example_corp("198.18.0.253", FLOOR, None),
        arp_host_of_example_corp("198.18.0.15", PC, None),
        arp_host_of_example_corp("198.18.0.18", PRINTER, None),
    ];
    let mut r = scan_report("agent-1", at, None, hosts);
    let (mut core_fdb, mut floor_fdb) = (
        vec![(CORE, 1), (FLOOR, 10), (PRINTER, 3)],
        vec![(FLOOR, 1), (CORE, 10), (PRINTER, 10)],
    );
    if pc_on_core {
        core_fdb.push((PC, pc_port));
    } else {
        core_fdb.push((PC, 10));
        floor_fdb.push((PC, pc_port));
    }
    r.switches = vec![
        switch("198.18.0.14", "sw-core", (10, FLOOR, "sw-2f"), &core_fdb),
        switch("198.18.0.253", "sw-2f", (10, CORE, "sw-core"), &floor_fdb),
    ];
    r
}

fn device_of(ledger: &Ledger, ip: &str) -> i64 {
    let filter = daicho_ledger::DeviceFilter {
        q: Some(ip.into()),
        ..Default::default()
    };
    let page = ledger.list_devices(&filter).unwrap();
    page.devices
        .iter()
        .find(|d| d.ip.as_deref() == Some(ip))
        .unwrap()
        .id
}

fn moves(ledger: &Ledger, device: i64) -> Vec<String> {
    ledger
        .events(&EventFilter {
            device: Some(device),
            kind: Some(EventKind::PortMoved),
            ..Default::default()
        })
        .unwrap()
        .iter()
        .map(|e| e.detail["text"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn devices_are_placed_on_access_ports_and_a_move_is_an_event() {
    let t = temp_ledger();
    let ledger = &t.ledger;
    ledger.ingest(&report(t0(), false, 5), None).unwrap();
    let pc = device_of(ledger, "198.18.0.15");
    let printer = device_of(ledger, "198.18.0.18");
    let core = device_of(ledger, "198.18.0.14");
    let place = ledger.device_port(pc).unwrap().unwrap();
    assert_eq!(place.label(), "sw-2f ポート 5", "not sw-core's uplink");
    assert_eq!(place.vlan, Some(1));
    let printer_place = ledger.device_port(printer).unwrap().unwrap();
    assert_eq!(printer_place.label(), "sw-core ポート 3");
    assert_eq!(
        printer_place.switch_device_id,
        Some(core),
        "the switch is a device"
    );
    // The API body carries it.
    let detail = ledger.device(pc).unwrap();
    assert_eq!(detail.port.as_ref().unwrap().port_name, "5");
    assert!(moves(ledger, pc).is_empty(), "a first placement is no move");

    // Same place again: no event. Then plugged into sw-core port 7: one event.
    ledger
        .ingest(&report(t0() + Duration::hours(1), false, 5), None)
        .unwrap();
    assert!(moves(ledger, pc).is_empty());
    let outcome = ledger
        .ingest(&report(t0() + Duration::hours(2), true, 7), None)
        .unwrap();
    assert!(outcome.events >= 1);
    assert_eq!(
        ledger.device_port(pc).unwrap().unwrap().label(),
        "sw-core ポート 7"
    );
    assert_eq!(moves(ledger, pc), ["sw-2f ポート 5 → sw-core ポート 7"]);
    assert!(moves(ledger, printer).is_empty());

    // A report from before (an agent's backlog) does not move it back.
    let mut late = report(t0() + Duration::minutes(90), false, 5);
    late.report_id = uuid::Uuid::new_v4();
    ledger.ingest(&late, None).unwrap();
    assert_eq!(
        ledger.device_port(pc).unwrap().unwrap().label(),
        "sw-core ポート 7"
    );
    // The ledger export's 接続先 column.
    let rows = ledger
        .export_rows(daicho_ledger::SiteId::DEFAULT, false)
        .unwrap();
    let pc_row = rows
        .iter()
        .find(|r| r.ledger.ip.map(|ip| ip.to_string()).as_deref() == Some("198.18.0.15"))
        .unwrap();
    assert_eq!(pc_row.switch_port, "sw-core ポート 7");
    assert_eq!(
        ledger
            .device_ports(&[pc, printer, core, pc + 1000])
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn an_operator_merge_carries_the_placement_to_the_kept_device() {
    let t = temp_ledger();
    let ledger = &t.ledger;
    ledger.ingest(&report(t0(), false, 5), None).unwrap();
    let pc = device_of(ledger, "198.18.0.15");
    // The same PC's other record (a second NIC seen by another agent), with no placement.
    let other = scan_report(
        "agent-2",
        t0() + Duration::minutes(5),
        None,
        vec![arp_host_of_example_corp(
            "198.18.0.40",
            "e8:6a:64:00:00:40",
            None,
        )],
    );
    ledger.ingest(&other, None).unwrap();
    let kept = device_of(ledger, "198.18.0.40");
    assert!(ledger.device_port(kept).unwrap().is_none());
    ledger.merge_devices(kept, pc).unwrap();
    assert_eq!(
        ledger.device_port(kept).unwrap().unwrap().label(),
        "sw-2f ポート 5"
    );
    assert!(
        ledger.device_port(pc).unwrap().is_none(),
        "no placement left on the merged record"
    );
}
