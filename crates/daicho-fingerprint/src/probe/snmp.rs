//! SNMP v2c GET of sysDescr, sysObjectID and sysName, with a small BER encoder and a strict,
//! bounded BER decoder for the reply.

use crate::wire::clean_text;

/// sysDescr.0, sysObjectID.0, sysName.0.
pub const SYSTEM_OIDS: [&[u32]; 3] = [
    &[1, 3, 6, 1, 2, 1, 1, 1, 0],
    &[1, 3, 6, 1, 2, 1, 1, 2, 0],
    &[1, 3, 6, 1, 2, 1, 1, 5, 0],
];

/// UCD-SNMP-MIB versionTag.0: the Net-SNMP agent's own version. Asked for in a second GET,
/// only of agents whose sysObjectID says Net-SNMP, so other agents never see an OID they may
/// answer badly.
pub const NET_SNMP_VERSION_OID: &[u32] = &[1, 3, 6, 1, 4, 1, 2021, 100, 2, 0];

/// Largest datagram we read.
pub const MAX_DATAGRAM: usize = 8 * 1024;

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let len = content.len();
    if len < 0x80 {
        v.push(len as u8);
    } else if len < 0x100 {
        v.extend_from_slice(&[0x81, len as u8]);
    } else {
        v.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    v.extend_from_slice(content);
    v
}

fn integer(n: i64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    // Minimal two's-complement: drop leading bytes that only repeat the sign.
    let mut start = 0;
    while start < 7
        && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    tlv(0x02, &bytes[start..])
}

fn encode_oid(oid: &[u32]) -> Vec<u8> {
    let mut out = vec![(oid[0] * 40 + oid[1]) as u8];
    for &arc in &oid[2..] {
        let mut stack = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            stack.push(((rest & 0x7f) as u8) | 0x80);
            rest >>= 7;
        }
        out.extend(stack.iter().rev());
    }
    tlv(0x06, &out)
}

/// A v2c GetRequest for the system OIDs.
pub fn get_request(community: &str, request_id: i32) -> Vec<u8> {
    get_request_for(community, request_id, &SYSTEM_OIDS)
}

/// A v2c GetRequest for `oids`.
pub fn get_request_for(community: &str, request_id: i32, oids: &[&[u32]]) -> Vec<u8> {
    let mut binds = Vec::new();
    for oid in oids {
        binds.extend(tlv(0x30, &[encode_oid(oid), vec![0x05, 0x00]].concat()));
    }
    let pdu = tlv(
        0xa0,
        &[
            integer(i64::from(request_id)),
            integer(0),
            integer(0),
            tlv(0x30, &binds),
        ]
        .concat(),
    );
    tlv(
        0x30,
        &[integer(1), tlv(0x04, community.as_bytes()), pdu].concat(),
    )
}

/// One BER element: tag, contents, and what follows it.
fn split(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, head) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = head.checked_add(len)?;
    Some((tag, b.get(head..end)?, &b[end..]))
}

fn expect(b: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, c, rest) = split(b)?;
    (t == tag).then_some((c, rest))
}

fn decode_int(c: &[u8]) -> Option<i64> {
    if c.is_empty() || c.len() > 8 {
        return None;
    }
    let mut v: i64 = if c[0] & 0x80 != 0 { -1 } else { 0 };
    for &b in c {
        v = (v << 8) | i64::from(b);
    }
    Some(v)
}

fn decode_oid(c: &[u8]) -> Option<String> {
    let (&first, rest) = c.split_first()?;
    let mut arcs = vec![
        u64::from(first / 40).min(2),
        u64::from(first) - u64::from(first / 40).min(2) * 40,
    ];
    let mut acc: u64 = 0;
    for &b in rest.iter().take(128) {
        acc = acc.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// What an SNMP agent told us.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SnmpInfo {
    /// sysDescr.
    pub sys_descr: Option<String>,
    /// sysObjectID, dotted.
    pub sys_object_id: Option<String>,
    /// sysName.
    pub sys_name: Option<String>,
    /// Net-SNMP versionTag, when asked for and answered.
    pub agent_version: Option<String>,
}

/// Why a reply was not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnmpReplyError {
    /// Not a well-formed v2c GetResponse.
    Malformed,
    /// A response to some other request.
    WrongRequestId,
    /// The agent answered with an error status.
    ErrorStatus(i64),
}

/// Decodes a GetResponse to the request with `request_id`.
pub fn parse_response(d: &[u8], request_id: i32) -> Result<SnmpInfo, SnmpReplyError> {
    use SnmpReplyError::Malformed;
    let (msg, _) = expect(d, 0x30).ok_or(Malformed)?;
    let (version, rest) = expect(msg, 0x02).ok_or(Malformed)?;
    if decode_int(version) != Some(1) {
        return Err(Malformed);
    }
    let (_community, rest) = expect(rest, 0x04).ok_or(Malformed)?;
    let (pdu, _) = expect(rest, 0xa2).ok_or(Malformed)?;
    let (id, rest) = expect(pdu, 0x02).ok_or(Malformed)?;
    if decode_int(id) != Some(i64::from(request_id)) {
        return Err(SnmpReplyError::WrongRequestId);
    }
    let (status, rest) = expect(rest, 0x02).ok_or(Malformed)?;
    let status = decode_int(status).ok_or(Malformed)?;
    if status != 0 {
        return Err(SnmpReplyError::ErrorStatus(status));
    }
    let (_index, rest) = expect(rest, 0x02).ok_or(Malformed)?;
    let (mut binds, _) = expect(rest, 0x30).ok_or(Malformed)?;
    let mut info = SnmpInfo::default();
    for _ in 0..16 {
        if binds.is_empty() {
            break;
        }
        let (bind, next) = expect(binds, 0x30).ok_or(Malformed)?;
        binds = next;
        let (oid, value) = expect(bind, 0x06).ok_or(Malformed)?;
        let oid = decode_oid(oid).ok_or(Malformed)?;
        let (tag, content, _) = split(value).ok_or(Malformed)?;
        let text = || {
            let s = clean_text(&String::from_utf8_lossy(content), 255);
            (!s.is_empty()).then_some(s)
        };
        match (oid.as_str(), tag) {
            ("1.3.6.1.2.1.1.1.0", 0x04) => info.sys_descr = text(),
            ("1.3.6.1.2.1.1.5.0", 0x04) => info.sys_name = text(),
            ("1.3.6.1.4.1.2021.100.2.0", 0x04) => info.agent_version = text(),
            ("1.3.6.1.2.1.1.2.0", 0x06) => info.sys_object_id = decode_oid(content),
            _ => {} // noSuchObject and friends: nothing to record
        }
    }
    Ok(info)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A GetResponse as an agent would send it.
    pub(crate) fn response(request_id: i32, descr: &str, object_id: &[u32], name: &str) -> Vec<u8> {
        let bind = |oid: &[u32], value: Vec<u8>| tlv(0x30, &[encode_oid(oid), value].concat());
        let binds = [
            bind(SYSTEM_OIDS[0], tlv(0x04, descr.as_bytes())),
            bind(SYSTEM_OIDS[1], encode_oid(object_id)),
            bind(SYSTEM_OIDS[2], tlv(0x04, name.as_bytes())),
        ]
        .concat();
        let pdu = tlv(
            0xa2,
            &[
                integer(i64::from(request_id)),
                integer(0),
                integer(0),
                tlv(0x30, &binds),
            ]
            .concat(),
        );
        tlv(0x30, &[integer(1), tlv(0x04, b"public"), pdu].concat())
    }

    #[test]
    fn request_encodes_as_expected() {
        let r = get_request("public", 0x1234);
        // SEQUENCE, version 1 (v2c), community "public", GetRequest PDU.
        assert_eq!(&r[2..5], &[0x02, 0x01, 0x01]);
        assert_eq!(&r[5..13], b"\x04\x06public");
        assert_eq!(r[13], 0xa0);
        assert_eq!(
            &encode_oid(&[1, 3, 6, 1, 4, 1, 12356, 101, 1])[..],
            &[0x06, 0x09, 0x2b, 6, 1, 4, 1, 0xe0, 0x44, 0x65, 1]
        );
        assert_eq!(integer(128), vec![2, 2, 0, 128]);
        assert_eq!(integer(-1), vec![2, 1, 0xff]);
    }

    #[test]
    fn decodes_a_response() {
        let d = response(
            77,
            "FortiGate-60E v6.0.4,build0231,190107 (GA)",
            &[1, 3, 6, 1, 4, 1, 12356, 101, 1, 60],
            "fg-edge",
        );
        let info = parse_response(&d, 77).unwrap();
        assert_eq!(
            info.sys_descr.as_deref(),
            Some("FortiGate-60E v6.0.4,build0231,190107 (GA)")
        );
        assert_eq!(
            info.sys_object_id.as_deref(),
            Some("1.3.6.1.4.1.12356.101.1.60")
        );
        assert_eq!(info.sys_name.as_deref(), Some("fg-edge"));
        assert_eq!(parse_response(&d, 78), Err(SnmpReplyError::WrongRequestId));
        assert_eq!(
            parse_response(&d[..d.len() - 3], 77),
            Err(SnmpReplyError::Malformed)
        );
        let long = "x".repeat(300);
        let d = response(5, &long, &[1, 3, 6, 1], "n");
        assert_eq!(parse_response(&d, 5).unwrap().sys_descr.unwrap().len(), 255);
        let bind = tlv(
            0x30,
            &[encode_oid(NET_SNMP_VERSION_OID), tlv(0x04, b"5.9.3")].concat(),
        );
        let pdu = tlv(
            0xa2,
            &[integer(9), integer(0), integer(0), tlv(0x30, &bind)].concat(),
        );
        let d = tlv(0x30, &[integer(1), tlv(0x04, b"public"), pdu].concat());
        assert_eq!(
            parse_response(&d, 9).unwrap().agent_version.as_deref(),
            Some("5.9.3")
        );
        let r = get_request_for("public", 9, &[NET_SNMP_VERSION_OID]);
        assert!(
            r.windows(5).any(|w| w == [0x8f, 0x65, 0x64, 0x02, 0x00]),
            "2021 encodes as 8f 65"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_response(&data, 1);
            let mut d = vec![0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x01];
            d.extend_from_slice(&data);
            let _ = parse_response(&d, 1);
        }

        #[test]
        fn round_trips(id in proptest::num::i32::ANY, descr in "[ -~]{0,200}") {
            let d = response(id, &descr, &[1, 3, 6, 1, 4, 1, 9], "n");
            let info = parse_response(&d, id).unwrap();
            proptest::prop_assert_eq!(info.sys_descr, Some(descr.trim().to_owned()).filter(|s| !s.is_empty()));
        }
    }
}

#[cfg(test)]
mod fortigate_reply {
    /// A FortiGate-style answer (long-form lengths, a multi-byte enterprise arc), as captured
    /// from the test LAN's appliance.
    #[test]
    fn parses_a_fortigate_answer() {
        let hex = "30818102010104067075626c6963a2740204444100000201000201003066303606082b06010201010100042a466f727469476174652d3630452076362e302e342c6275696c64303233312c3139303130392028474129301706082b06010201010200060b2b06010401e04465018430301306082b0601020101050004076667742d363065";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let info = super::parse_response(&bytes, 0x4441_0000).unwrap();
        assert_eq!(
            info.sys_descr.as_deref(),
            Some("FortiGate-60E v6.0.4,build0231,190109 (GA)")
        );
        assert_eq!(
            info.sys_object_id.as_deref(),
            Some("1.3.6.1.4.1.12356.101.1.560")
        );
        assert_eq!(info.sys_name.as_deref(), Some("fgt-60e"));
    }
}
