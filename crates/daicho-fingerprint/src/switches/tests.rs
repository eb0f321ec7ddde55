use std::sync::Mutex;

use super::*;
use crate::probe::snmp::SnmpValue;
use crate::probe::snmp::tests::{parse_request, response_with};

/// An SNMP agent in memory: answers GET, GETNEXT and (unless `bulk` is false) GETBULK from
/// `mib`, to `community` only; records the PDU tag of every request it got.
pub(crate) struct FakeAgent {
    pub community: &'static str,
    pub mib: Vec<(Vec<u32>, SnmpValue)>,
    pub bulk: bool,
    pub per_reply: usize,
    pub asked: Mutex<Vec<u8>>,
}

impl FakeAgent {
    pub fn new(mut mib: Vec<(Vec<u32>, SnmpValue)>) -> Self {
        mib.sort_by(|a, b| a.0.cmp(&b.0));
        Self {
            community: "ro-test",
            mib,
            bulk: true,
            per_reply: 10,
            asked: Mutex::new(Vec::new()),
        }
    }

    fn next_after(&self, oid: &[u32]) -> (Vec<u32>, SnmpValue) {
        self.mib
            .iter()
            .find(|(k, _)| k.as_slice() > oid)
            .cloned()
            .unwrap_or((oid.to_vec(), SnmpValue::EndOfMibView))
    }

    pub fn tags(&self) -> Vec<u8> {
        self.asked.lock().unwrap().clone()
    }
}

impl SnmpExchange for FakeAgent {
    async fn exchange(&self, request: &[u8]) -> io::Result<Option<Vec<u8>>> {
        let r = parse_request(request);
        self.asked.lock().unwrap().push(r.tag);
        if r.community != self.community.as_bytes() {
            return Ok(None);
        }
        let binds: Vec<(Vec<u32>, SnmpValue)> = match r.tag {
            0xa0 => r
                .oids
                .iter()
                .map(|o| {
                    let v = self
                        .mib
                        .iter()
                        .find(|(k, _)| k == o)
                        .map(|(_, v)| v.clone());
                    (o.clone(), v.unwrap_or(SnmpValue::NoSuch))
                })
                .collect(),
            0xa1 => r.oids.iter().map(|o| self.next_after(o)).collect(),
            0xa5 if self.bulk => {
                let mut at = r.oids[0].clone();
                let mut out = Vec::new();
                for _ in 0..(r.max_repetitions as usize).min(self.per_reply) {
                    let (k, v) = self.next_after(&at);
                    let end = v == SnmpValue::EndOfMibView;
                    at.clone_from(&k);
                    out.push((k, v));
                    if end {
                        break;
                    }
                }
                out
            }
            _ => return Ok(None),
        };
        Ok(Some(response_with(r.id, &binds)))
    }
}

fn oid(prefix: &[u32], index: &[u32]) -> Vec<u32> {
    [prefix, index].concat()
}

/// A switch "sw-2f": ports 4 (l015), 5 (l016), 9 (up-core, the uplink), bridge ports 1..3;
/// two stations, its own address, a multicast entry; LLDP names sw-core on the uplink.
pub(crate) fn sw_2f() -> Vec<(Vec<u32>, SnmpValue)> {
    let s = |t: &str| SnmpValue::Octets(t.as_bytes().to_vec());
    let i = SnmpValue::Integer;
    let mut mib = vec![
        (SYSTEM_OIDS[0].to_vec(), s("daicho test LAN switch sw-2f")),
        (SYSTEM_OIDS[2].to_vec(), s("sw-2f")),
        (LLDP_LOC_CHASSIS_SUBTYPE.to_vec(), i(4)),
        (
            LLDP_LOC_CHASSIS_ID.to_vec(),
            SnmpValue::Octets(vec![0, 0, 0xf4, 0xd3, 0xbf, 0xa9]),
        ),
    ];
    for (index, name, alias, bridge_port) in [
        (4, "l015", "", 1),
        (5, "l016", "", 2),
        (9, "up-core", "uplink-to-sw-core", 3),
    ] {
        mib.push((oid(IF_NAME, &[index]), s(name)));
        mib.push((oid(IF_DESCR, &[index]), s(name)));
        mib.push((oid(IF_ALIAS, &[index]), s(alias)));
        mib.push((oid(BASE_PORT_IFINDEX, &[bridge_port]), i(i64::from(index))));
    }
    for (mac, port, status) in [
        ([0xe8_u8, 0x6a, 0x64, 0x40, 0x9d, 0x1b], 1, 3),
        ([0x00, 0x01, 0x13, 0x01, 0x02, 0x03], 2, 3),
        ([0xac, 0xed, 0x5c, 0x62, 0xd1, 0x1e], 3, 3),
        ([0x52, 0x6c, 0xa4, 0x75, 0x67, 0x2b], 1, 4),
        ([0x01, 0x00, 0x5e, 0x00, 0x00, 0x01], 3, 3),
    ] {
        let key: Vec<u32> = mac.iter().map(|&b| u32::from(b)).collect();
        mib.push((oid(Q_TP_FDB_PORT, &oid(&[1], &key)), i(port)));
        mib.push((oid(Q_TP_FDB_STATUS, &oid(&[1], &key)), i(status)));
        mib.push((oid(TP_FDB_PORT, &key), i(port)));
        mib.push((oid(TP_FDB_STATUS, &key), i(status)));
    }
    let rem = |col: u32| oid(LLDP_REM_ENTRY, &[col, 0, 3, 1]);
    mib.push((rem(4), i(4)));
    mib.push((rem(5), SnmpValue::Octets(vec![0, 0, 0xf4, 9, 0x23, 0x6a])));
    mib.push((rem(6), i(5)));
    mib.push((rem(7), s("up-2f")));
    mib.push((rem(8), s("not read")));
    mib.push((rem(9), s("sw-core")));
    mib
}

/// Runs `f` on a current-thread runtime (the fake agents answer at once).
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_switch_is_read_whole() {
    let agent = FakeAgent::new(sw_2f());
    let address: IpAddr = "198.18.0.253".parse().unwrap();
    let r = block_on(read_switch(
        &agent,
        address,
        "ro-test",
        &WalkLimits::default(),
    ));
    assert_eq!(r.note, None);
    assert_eq!(r.name.as_deref(), Some("sw-2f"));
    assert_eq!(r.chassis_id.as_deref(), Some("00:00:f4:d3:bf:a9"));
    let names: Vec<(u32, &str, Option<&str>)> = r
        .ports
        .iter()
        .map(|p| (p.index, p.name.as_str(), p.alias.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            (4, "l015", None),
            (5, "l016", None),
            (9, "up-core", Some("uplink-to-sw-core"))
        ]
    );
    // Stations by ifIndex; the switch's own address and the multicast entry left out.
    let fdb: Vec<(String, u32, Option<u16>)> = r
        .forwarding
        .iter()
        .map(|f| (f.mac.to_string(), f.port, f.vlan))
        .collect();
    assert_eq!(
        fdb,
        [
            ("00:01:13:01:02:03".to_owned(), 5, Some(1)),
            ("ac:ed:5c:62:d1:1e".to_owned(), 9, Some(1)),
            ("e8:6a:64:40:9d:1b".to_owned(), 4, Some(1)),
        ]
    );
    assert_eq!(r.neighbours.len(), 1);
    let n = &r.neighbours[0];
    assert_eq!(n.port, 9);
    assert_eq!(n.chassis_id.as_deref(), Some("00:00:f4:09:23:6a"));
    assert_eq!(n.port_id.as_deref(), Some("up-2f"));
    assert_eq!(n.system_name.as_deref(), Some("sw-core"));
    // GETBULK all along once the GET answered.
    assert!(
        agent.tags()[1..].iter().all(|&t| t == 0xa5),
        "{:?}",
        agent.tags()
    );
}

#[test]
fn without_q_bridge_the_bridge_mib_is_read() {
    let mib = sw_2f()
        .into_iter()
        .filter(|(k, _)| !k.starts_with(&Q_TP_FDB_PORT[..10]))
        .collect();
    let agent = FakeAgent::new(mib);
    let r = block_on(read_switch(
        &agent,
        "198.18.0.253".parse().unwrap(),
        "ro-test",
        &WalkLimits::default(),
    ));
    assert_eq!(r.note, None);
    assert_eq!(r.forwarding.len(), 3);
    assert!(r.forwarding.iter().all(|f| f.vlan.is_none()));
}

#[test]
fn a_wrong_community_is_a_note_not_a_failure() {
    let agent = FakeAgent::new(sw_2f());
    let limits = WalkLimits {
        tries: 2,
        ..WalkLimits::default()
    };
    let r = block_on(read_switch(
        &agent,
        "198.18.0.14".parse().unwrap(),
        "public",
        &limits,
    ));
    assert!(r.name.is_none() && r.ports.is_empty() && r.forwarding.is_empty());
    let note = r.note.unwrap();
    assert!(
        note.contains("198.18.0.14") && note.contains("応答がありません"),
        "{note}"
    );
    assert!(
        !note.contains("public"),
        "the community is a secret: {note}"
    );
    // Only the GET, tried twice: no walk after a silent switch.
    assert_eq!(agent.tags(), [0xa0, 0xa0]);
}
