use daicho_model::{ForwardingEntry, LldpNeighbour, SwitchPort};

use super::*;

fn mac(n: u8) -> MacAddr {
    MacAddr([0x00, 0x80, 0x77, 0, 0, n])
}

fn switch_mac(n: u8) -> MacAddr {
    MacAddr([0x00, 0x00, 0xf4, 0, 0, n])
}

/// A switch at 198.18.0.N with ports 1..=ports named `portK`, the stations `fdb` (MAC, port).
fn reading(n: u8, ports: u32, fdb: &[(MacAddr, u32)]) -> SwitchReading {
    SwitchReading {
        address: format!("198.18.0.{n}").parse().unwrap(),
        name: Some(format!("sw-{n}")),
        description: None,
        chassis_id: None,
        ports: (1..=ports)
            .map(|i| SwitchPort {
                index: i,
                name: format!("port{i}"),
                alias: None,
            })
            .collect(),
        forwarding: fdb
            .iter()
            .map(|&(mac, port)| ForwardingEntry {
                mac,
                port,
                vlan: Some(1),
            })
            .collect(),
        neighbours: Vec::new(),
        note: None,
    }
}

fn switch_known(n: u8) -> KnownSwitch {
    KnownSwitch {
        macs: [switch_mac(n)].into(),
        chassis_id: Some(switch_mac(n).to_string()),
        name: Some(format!("sw-{n}")),
    }
}

fn placed(p: &[Placement]) -> Vec<(MacAddr, usize, &str)> {
    p.iter()
        .map(|p| (p.mac, p.switch, p.port_name.as_str()))
        .collect()
}

#[test]
fn an_lldp_neighbour_that_is_another_switch_makes_an_uplink() {
    // sw-14 port 9 leads to sw-20 (LLDP, chassis id); it learnt PC 2 through it. No switch MAC
    // is in either table, so only LLDP can tell.
    let mut core = reading(14, 9, &[(mac(1), 3), (mac(2), 9)]);
    core.neighbours.push(LldpNeighbour {
        port: 9,
        chassis_id: Some(switch_mac(20).to_string()),
        port_id: Some("up".into()),
        system_name: None,
    });
    let floor = reading(20, 9, &[(mac(1), 9), (mac(2), 4)]);
    let mut floor_lldp = floor.clone();
    floor_lldp.neighbours.push(LldpNeighbour {
        port: 9,
        chassis_id: Some("not a mac".into()),
        port_id: None,
        system_name: Some("sw-14".into()),
    });
    let readings = [core, floor_lldp];
    let known = [switch_known(14), switch_known(20)];
    assert_eq!(
        uplink_ports(&readings, &known, 0, UPLINK_MAC_THRESHOLD),
        [(9, UplinkReason::LldpSwitch)].into()
    );
    // By system name on the other side.
    assert_eq!(
        uplink_ports(&readings, &known, 1, UPLINK_MAC_THRESHOLD),
        [(9, UplinkReason::LldpSwitch)].into()
    );
    assert_eq!(
        placed(&place(&readings, &known, UPLINK_MAC_THRESHOLD)),
        [(mac(1), 0, "port3"), (mac(2), 1, "port4")]
    );
    // An LLDP neighbour that is no switch of the report (an IP phone) is not an uplink.
    let mut phone = reading(14, 9, &[(mac(1), 3)]);
    phone.neighbours.push(LldpNeighbour {
        port: 3,
        chassis_id: Some(mac(1).to_string()),
        port_id: None,
        system_name: Some("phone".into()),
    });
    assert!(uplink_ports(&[phone], &[switch_known(14)], 0, UPLINK_MAC_THRESHOLD).is_empty());
}

#[test]
fn a_port_that_learnt_another_switch_mac_is_an_uplink_but_its_own_is_not() {
    // No LLDP anywhere: sw-14's port 5 learnt sw-20's MAC; sw-14's own MAC on port 1 (its
    // management interface) makes no uplink.
    let core = reading(
        14,
        8,
        &[
            (switch_mac(14), 1),
            (switch_mac(20), 5),
            (mac(7), 5),
            (mac(8), 2),
        ],
    );
    let floor = reading(20, 8, &[(switch_mac(14), 8), (mac(8), 8), (mac(7), 2)]);
    let readings = [core, floor];
    let known = [switch_known(14), switch_known(20)];
    assert_eq!(
        uplink_ports(&readings, &known, 0, UPLINK_MAC_THRESHOLD),
        [(5, UplinkReason::SwitchMac)].into()
    );
    assert_eq!(
        uplink_ports(&readings, &known, 1, UPLINK_MAC_THRESHOLD),
        [(8, UplinkReason::SwitchMac)].into()
    );
    assert_eq!(
        placed(&place(&readings, &known, UPLINK_MAC_THRESHOLD)),
        [
            (switch_mac(14), 0, "port1"),
            (mac(7), 1, "port2"),
            (mac(8), 0, "port2"),
        ]
    );
}

#[test]
fn a_port_with_more_macs_than_the_threshold_is_an_uplink() {
    // One switch, no LLDP, no other switch known: port 24 carries 5 MACs (threshold 4), port 2
    // carries 4 (a hub under a desk): only port 24 is an uplink.
    let mut fdb: Vec<(MacAddr, u32)> = (10..15).map(|n| (mac(n), 24)).collect();
    fdb.extend((20..24).map(|n| (mac(n), 2)));
    let readings = [reading(14, 24, &fdb)];
    let known = [switch_known(14)];
    assert_eq!(
        uplink_ports(&readings, &known, 0, 4),
        [(24, UplinkReason::ManyMacs)].into()
    );
    let p = place(&readings, &known, 4);
    assert_eq!(p.len(), 4);
    assert!(p.iter().all(|p| p.port_name == "port2"));
}

#[test]
fn seen_on_two_access_ports_the_less_crowded_one_wins() {
    // Two switches nothing links (no LLDP, no switch MACs): a MAC on a crowded port of one and
    // alone on a port of the other is placed where it is alone.
    let a = reading(14, 4, &[(mac(1), 1), (mac(2), 1), (mac(3), 1)]);
    let b = reading(20, 4, &[(mac(1), 3)]);
    let p = place(
        &[a, b],
        &[switch_known(14), switch_known(20)],
        UPLINK_MAC_THRESHOLD,
    );
    assert_eq!(placed(&p)[0], (mac(1), 1, "port3"));
}

#[test]
fn a_port_the_switch_did_not_name_is_named_by_its_index_and_the_label_reads_japanese() {
    let mut r = reading(14, 0, &[(mac(1), 17)]);
    r.name = None;
    let p = place(&[r], &[KnownSwitch::default()], UPLINK_MAC_THRESHOLD);
    assert_eq!(p[0].port_name, "17");
    let place = DevicePort {
        switch_address: "198.18.0.14".into(),
        switch_name: None,
        switch_device_id: None,
        port_name: "17".into(),
        port_alias: None,
        vlan: None,
        seen_at: "t".into(),
    };
    assert_eq!(place.label(), "198.18.0.14 ポート 17");
    let named = DevicePort {
        switch_name: Some("sw-2f".into()),
        port_name: "14".into(),
        ..place
    };
    assert_eq!(named.label(), "sw-2f ポート 14");
}
