use super::*;

fn row(
    asset: &str,
    ip: Option<&str>,
    mac: Option<&str>,
    status: Option<DeviceStatus>,
) -> LedgerRow {
    LedgerRow {
        asset_no: asset.into(),
        computer_name: format!("PC-{asset}"),
        ip: ip.map(|s| s.parse().unwrap()),
        mac: mac.map(|s| s.parse().unwrap()),
        status,
        ..LedgerRow::default()
    }
}

fn sample() -> Allowlist {
    let rows = vec![
        row(
            "003",
            Some("192.168.1.30"),
            Some("00:1b:21:00:00:03"),
            Some(DeviceStatus::Active),
        ),
        row(
            "001",
            Some("192.168.1.10"),
            Some("00:1b:21:00:00:01"),
            Some(DeviceStatus::Active),
        ),
        row(
            "002",
            Some("192.168.2.10"),
            Some("00:1b:21:00:00:02"),
            Some(DeviceStatus::Stopped),
        ),
        row("004", None, Some("00:1b:21:00:00:04"), None),
        row("005", Some("192.168.1.50"), None, None),
        row(
            "006",
            Some("192.168.1.60"),
            Some("00:1b:21:00:00:06"),
            Some(DeviceStatus::Disposed),
        ),
        row("007", Some("192.168.1.70"), Some("01:00:5e:00:00:01"), None),
        row("008", Some("192.168.1.80"), Some("00:1b:21:00:00:01"), None),
        row(
            "受付",
            Some("192.168.1.90"),
            Some("00:1b:21:00:00:09"),
            None,
        ),
    ];
    let subnets: Vec<IpNet> = vec![
        "192.168.1.0/24".parse().unwrap(),
        "192.168.2.0/24".parse().unwrap(),
    ];
    build_allowlist(&rows, &subnets)
}

#[test]
fn groups_per_subnet_and_says_what_it_left_out() {
    let list = sample();
    let titles: Vec<String> = list.groups.iter().map(group_title).collect();
    assert_eq!(
        titles,
        vec!["192.168.1.0/24", "192.168.2.0/24", "サブネット外・IP なし"]
    );
    let first: Vec<&str> = list.groups[0]
        .entries
        .iter()
        .map(|e| e.asset_no.as_str())
        .collect();
    assert_eq!(first, vec!["001", "003", "受付"]);
    let skipped: Vec<&str> = list.skipped.iter().map(|s| s.asset_no.as_str()).collect();
    assert_eq!(skipped, vec!["005", "006", "007", "008"]);
    assert_eq!(list.len(), 5);
}

#[test]
fn most_specific_subnet_wins() {
    let rows = vec![row("1", Some("10.0.5.1"), Some("00:1b:21:00:00:01"), None)];
    let subnets: Vec<IpNet> = vec![
        "10.0.0.0/16".parse().unwrap(),
        "10.0.5.0/24".parse().unwrap(),
    ];
    let list = build_allowlist(&rows, &subnets);
    assert_eq!(list.groups[0].subnet, Some("10.0.5.0/24".parse().unwrap()));
}

#[test]
fn plain_and_csv() {
    let list = sample();
    let plain = render_plain(&list);
    assert!(
        plain.starts_with("# 192.168.1.0/24 (3 台)\n00:1b:21:00:00:01\n00:1b:21:00:00:03\n"),
        "{plain}"
    );
    let csv = String::from_utf8(render_csv(&list)).unwrap();
    assert!(csv.starts_with("\u{feff}サブネット,MACアドレス,管理番号"));
    assert!(
        csv.contains("192.168.2.0/24,00:1b:21:00:00:02,002,PC-002,192.168.2.10,\r\n"),
        "{csv}"
    );
    assert!(csv.contains(",00:1b:21:00:00:04,004,PC-004,,\r\n"), "{csv}");
}

#[test]
fn yamaha_rtx() {
    let out = render_yamaha_rtx(&sample(), &RtxOptions::default()).unwrap();
    let commands: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        commands,
        vec![
            "ethernet filter 1 pass-nolog 00:1b:21:00:00:01 *",
            "ethernet filter 2 pass-nolog 00:1b:21:00:00:03 *",
            "ethernet filter 3 pass-nolog 00:1b:21:00:00:09 *",
            "ethernet filter 4 pass-nolog 00:1b:21:00:00:02 *",
            "ethernet filter 5 pass-nolog 00:1b:21:00:00:04 *",
            "ethernet filter 6 reject-log * *",
            "ethernet lan1 filter in 1 2 3 4 5 6",
        ]
    );
    // Japanese asset numbers stay out of the console comments.
    assert!(out.contains("# 001 PC-001\n"));
    assert!(!out.contains("受付"));

    let old = RtxOptions {
        first_filter: 98,
        last_filter: 100,
        ..RtxOptions::default()
    };
    assert_eq!(
        render_yamaha_rtx(&sample(), &old),
        Err(AllowlistError::TooManyFilters {
            needed: 6,
            first: 98,
            last: 100,
            capacity: 3
        })
    );
    assert_eq!(
        render_yamaha_rtx(&Allowlist::default(), &RtxOptions::default()),
        Err(AllowlistError::Empty)
    );
    let bad = RtxOptions {
        interface: "lan1\nclear config".into(),
        ..RtxOptions::default()
    };
    assert!(matches!(
        render_yamaha_rtx(&sample(), &bad),
        Err(AllowlistError::BadOption(_))
    ));
}

#[test]
fn cisco_port_security() {
    let options = CiscoOptions {
        interfaces: vec![(
            "192.168.1.0/24".parse().unwrap(),
            "GigabitEthernet1/0/1".into(),
        )],
        violation: CiscoViolation::Restrict,
    };
    let out = render_cisco_port_security(&sample(), &options).unwrap();
    let expected_block = "interface GigabitEthernet1/0/1\n switchport mode access\n switchport port-security\n switchport port-security maximum 3\n switchport port-security violation restrict\n switchport port-security mac-address 001b.2100.0001\n switchport port-security mac-address 001b.2100.0003\n switchport port-security mac-address 001b.2100.0009\n!\n";
    assert!(out.contains(expected_block), "{out}");
    assert!(
        out.contains("! 192.168.2.0/24: 1 devices not written"),
        "{out}"
    );
    // Every non-comment line belongs to the one configured interface.
    assert_eq!(
        out.lines().filter(|l| l.starts_with("interface")).count(),
        1
    );
}

#[test]
fn yamaha_swx_port_security() {
    let options = SwxOptions {
        ports: vec![("192.168.1.0/24".parse().unwrap(), "port1.5".into())],
        vlan: 10,
    };
    let out = render_yamaha_swx(&sample(), &options).unwrap();
    let expected_block = "! 192.168.1.0/24: 3 devices\ninterface port1.5\n port-security enable\nexit\nport-security mac-address 001B.2100.0001 forward port1.5 vlan 10\nport-security mac-address 001B.2100.0003 forward port1.5 vlan 10\nport-security mac-address 001B.2100.0009 forward port1.5 vlan 10\n!\n";
    assert!(out.contains(expected_block), "{out}");
    assert!(
        out.contains("! 192.168.2.0/24: 1 devices not written, no port given"),
        "{out}"
    );
    assert_eq!(
        out.lines()
            .filter(|l| !l.starts_with('!') && !l.starts_with(' '))
            .filter(|l| !l.starts_with("port-security mac-address") || l.contains("forward port1.5"))
            .count(),
        5,
        "one interface, its exit and three addresses, nothing else applied: {out}"
    );
    for (ports, vlan, needle) in [
        (
            vec![(
                "192.168.1.0/24".parse().unwrap(),
                "port1.1\nreload".to_owned(),
            )],
            1,
            "port",
        ),
        (options.ports.clone(), 0, "VLAN 0"),
    ] {
        let err = render_yamaha_swx(&sample(), &SwxOptions { ports, vlan }).unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    assert!(matches!(
        render_yamaha_swx(&Allowlist::default(), &options),
        Err(AllowlistError::Empty)
    ));
}

#[test]
fn aruba_local_mac_auth() {
    let options = ArubaOptions {
        vlan: 10,
        ports: "1-24".into(),
    };
    let out = render_aruba_lma(&sample(), &options).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "aaa port-access local-mac mac-group daicho-192-168-1-0-24"
    );
    assert_eq!(
        lines[1],
        "aaa port-access local-mac mac-group daicho-192-168-1-0-24 mac-addr 001B21-000001"
    );
    assert!(
        lines.contains(&"aaa port-access local-mac mac-group daicho-other mac-addr 001B21-000004")
    );
    assert!(lines.contains(&"aaa port-access local-mac profile daicho-vlan10 vlan untagged 10"));
    assert!(lines.contains(
        &"aaa port-access local-mac apply profile daicho-vlan10 mac-group daicho-192-168-2-0-24"
    ));
    assert_eq!(lines.last(), Some(&"aaa port-access local-mac 1-24"));
    assert!(matches!(
        render_aruba_lma(
            &sample(),
            &ArubaOptions {
                vlan: 0,
                ports: "1".into()
            }
        ),
        Err(AllowlistError::BadOption(_))
    ));
}

#[test]
fn freeradius_users() {
    let out = render_freeradius_users(&sample(), RadiusMacFormat::NoDelimiter, false).unwrap();
    let entries: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries.len(), 5);
    assert_eq!(
        entries[0],
        "001b21000001 Cleartext-Password := \"001b21000001\""
    );
    let mac: MacAddr = "00:1b:21:0a:0b:0c".parse().unwrap();
    assert_eq!(
        RadiusMacFormat::SingleDash.format(mac, true),
        "001B21-0A0B0C"
    );
    assert_eq!(
        RadiusMacFormat::MultiDash.format(mac, false),
        "00-1b-21-0a-0b-0c"
    );
    assert_eq!(
        RadiusMacFormat::MultiColon.format(mac, false),
        "00:1b:21:0a:0b:0c"
    );
    assert_eq!(
        render_freeradius_users(&Allowlist::default(), RadiusMacFormat::default(), false),
        Err(AllowlistError::Empty)
    );
}

#[test]
fn placed_devices_go_on_their_own_switch_port_in_the_port_bound_formats() {
    let mut list = sample();
    let place = |switch: &str, port: &str| SwitchPlace {
        switch: switch.into(),
        port: port.into(),
    };
    let places: std::collections::HashMap<MacAddr, SwitchPlace> = [
        ("00:1b:21:00:00:01", place("sw-2f", "port1.14")),
        ("00:1b:21:00:00:03", place("sw-2f", "port1.3")),
        // A port name that would inject a command: not used, the subnet's port is.
        ("00:1b:21:00:00:09", place("sw-2f", "port1.9\nreload")),
    ]
    .into_iter()
    .map(|(m, p)| (m.parse().unwrap(), p))
    .collect();
    list.place(&places);
    let options = SwxOptions {
        ports: vec![("192.168.1.0/24".parse().unwrap(), "port1.5".into())],
        vlan: 10,
    };
    let out = render_yamaha_swx(&list, &options).unwrap();
    assert!(
        out.contains("! switch sw-2f: devices on the port their MAC was learnt on"),
        "{out}"
    );
    assert!(
        out.contains("interface port1.14\n port-security enable\nexit\nport-security mac-address 001B.2100.0001 forward port1.14 vlan 10\n"),
        "{out}"
    );
    assert!(
        out.contains("port-security mac-address 001B.2100.0003 forward port1.3 vlan 10"),
        "{out}"
    );
    // The rest of the subnet stays on the operator's port.
    assert!(
        out.contains("! 192.168.1.0/24: 1 devices\ninterface port1.5\n port-security enable\nexit\nport-security mac-address 001B.2100.0009 forward port1.5 vlan 10\n"),
        "{out}"
    );
    assert!(!out.contains("reload"), "{out}");
    let cisco = render_cisco_port_security(
        &list,
        &CiscoOptions {
            interfaces: vec![],
            violation: CiscoViolation::Restrict,
        },
    )
    .unwrap();
    assert!(
        cisco.contains("interface port1.14\n switchport mode access\n switchport port-security\n switchport port-security maximum 1\n"),
        "{cisco}"
    );
    // Without a mapping the unplaced ones are comments only.
    assert!(
        cisco.contains("! 192.168.1.0/24: 1 devices not written"),
        "{cisco}"
    );
}
