use super::*;

fn bind(oid: Vec<u32>, value: SnmpValue) -> VarBind {
    VarBind { oid, value }
}

#[test]
fn bridge_ports_map_to_if_indexes_and_unmapped_ones_are_taken_as_if_indexes() {
    let base = base_ports(&column(
        &[
            bind(
                [BASE_PORT_IFINDEX, &[1]].concat(),
                SnmpValue::Integer(10101),
            ),
            bind(
                [BASE_PORT_IFINDEX, &[2]].concat(),
                SnmpValue::Integer(10102),
            ),
        ],
        BASE_PORT_IFINDEX,
    ));
    let mac = [0x00, 0x80, 0x77, 1, 2, 3];
    let key: Vec<u32> = mac.iter().map(|&b| u32::from(b)).collect();
    let other: Vec<u32> = vec![0, 0x80, 0x77, 9, 9, 9];
    let ports = column(
        &[
            bind([TP_FDB_PORT, &key].concat(), SnmpValue::Integer(2)),
            bind([TP_FDB_PORT, &other].concat(), SnmpValue::Integer(7)),
            // Port 0: the switch does not know the port; not a placement.
            bind(
                [TP_FDB_PORT, &[0, 0x80, 0x77, 5, 5, 5]].concat(),
                SnmpValue::Integer(0),
            ),
        ],
        TP_FDB_PORT,
    );
    let fdb = forwarding_dot1d(&ports, &Column::new(), &base);
    assert_eq!(fdb.len(), 2);
    assert_eq!(fdb[0].mac, MacAddr(mac));
    assert_eq!(fdb[0].port, 10102);
    assert_eq!(fdb[1].port, 7);
}

#[test]
fn q_bridge_rows_carry_the_vlan_and_drop_bad_indexes() {
    let ports = column(
        &[
            bind(
                [Q_TP_FDB_PORT, &[20, 0, 1, 2, 3, 4, 5]].concat(),
                SnmpValue::Integer(3),
            ),
            // An arc over 255 is no MAC octet; a short index is no MAC.
            bind(
                [Q_TP_FDB_PORT, &[20, 0, 1, 2, 3, 4, 300]].concat(),
                SnmpValue::Integer(3),
            ),
            bind([Q_TP_FDB_PORT, &[20, 0, 1]].concat(), SnmpValue::Integer(3)),
            bind(
                [Q_TP_FDB_PORT, &[1, 0, 1, 2, 3, 4, 6]].concat(),
                SnmpValue::Octets(vec![1]),
            ),
        ],
        Q_TP_FDB_PORT,
    );
    let fdb = forwarding_q(&ports, &Column::new(), &BTreeMap::new());
    assert_eq!(fdb.len(), 1);
    assert_eq!(fdb[0].vlan, Some(20));
    assert_eq!(fdb[0].mac.to_string(), "00:01:02:03:04:05");
}

#[test]
fn lldp_ids_are_macs_text_or_hex() {
    assert_eq!(
        lldp_id(
            Some(4),
            &SnmpValue::Octets(vec![0, 0xa0, 0xde, 1, 2, 3]),
            CHASSIS_MAC
        )
        .as_deref(),
        Some("00:a0:de:01:02:03")
    );
    assert_eq!(
        lldp_id(
            Some(7),
            &SnmpValue::Octets(b"Gi1/0/24".to_vec()),
            CHASSIS_MAC
        )
        .as_deref(),
        Some("Gi1/0/24")
    );
    assert_eq!(
        lldp_id(
            Some(5),
            &SnmpValue::Octets(vec![0xff, 0x00, 0x1b]),
            PORT_MAC
        )
        .as_deref(),
        Some("ff:00:1b")
    );
    assert_eq!(lldp_id(Some(5), &SnmpValue::Octets(vec![]), PORT_MAC), None);
}

#[test]
fn device_text_is_cleaned_and_bounded() {
    let long = format!("port\u{7}{}", "x".repeat(400));
    let t = text(&SnmpValue::Octets(long.into_bytes())).unwrap();
    assert!(t.starts_with("port x"));
    assert_eq!(t.chars().count(), MAX_NAME_CHARS);
    assert_eq!(text(&SnmpValue::Octets(b"  ".to_vec())), None);
    assert_eq!(text(&SnmpValue::Integer(3)), None);
}

#[test]
fn ports_take_if_name_over_if_descr() {
    let names = column(
        &[bind(
            [IF_NAME, &[3]].concat(),
            SnmpValue::Octets(b"port3".to_vec()),
        )],
        IF_NAME,
    );
    let descriptions = column(
        &[
            bind(
                [IF_DESCR, &[3]].concat(),
                SnmpValue::Octets(b"Ethernet 3".to_vec()),
            ),
            bind(
                [IF_DESCR, &[4]].concat(),
                SnmpValue::Octets(b"Ethernet 4".to_vec()),
            ),
        ],
        IF_DESCR,
    );
    let aliases = column(
        &[bind(
            [IF_ALIAS, &[4]].concat(),
            SnmpValue::Octets(b"2F nurse station".to_vec()),
        )],
        IF_ALIAS,
    );
    let p = ports(&names, &descriptions, &aliases);
    assert_eq!(p.len(), 2);
    assert_eq!((p[0].index, p[0].name.as_str()), (3, "port3"));
    assert_eq!(p[1].alias.as_deref(), Some("2F nurse station"));
}
