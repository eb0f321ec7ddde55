//! SNMP v2c: the one BER encoder and strict, bounded decoder of the project. Requests (GET,
//! GETNEXT, GETBULK), a response's variable bindings ([`parse_varbinds`]), and the fingerprint's
//! GET of sysDescr, sysObjectID and sysName ([`parse_response`]); the switch walker
//! (`crate::switches`) reads tables with the same code.

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
    request(0xa0, community, request_id, 0, 0, oids)
}

/// A v2c GetNextRequest: the binding after each of `oids`.
pub fn get_next_request(community: &str, request_id: i32, oids: &[&[u32]]) -> Vec<u8> {
    request(0xa1, community, request_id, 0, 0, oids)
}

/// A v2c GetBulkRequest (no non-repeaters): up to `max_repetitions` bindings after each of
/// `oids`.
pub fn get_bulk_request(
    community: &str,
    request_id: i32,
    max_repetitions: u32,
    oids: &[&[u32]],
) -> Vec<u8> {
    request(
        0xa5,
        community,
        request_id,
        0,
        i64::from(max_repetitions),
        oids,
    )
}

/// A v2c request PDU `tag`; `a`/`b` are error-status/index, or non-repeaters/max-repetitions.
fn request(tag: u8, community: &str, request_id: i32, a: i64, b: i64, oids: &[&[u32]]) -> Vec<u8> {
    let mut binds = Vec::new();
    for oid in oids {
        binds.extend(tlv(0x30, &[encode_oid(oid), vec![0x05, 0x00]].concat()));
    }
    let pdu = tlv(
        tag,
        &[
            integer(i64::from(request_id)),
            integer(a),
            integer(b),
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

/// The arcs of an OID's contents; `None` when malformed or an arc exceeds 32 bits (SMI's limit).
fn decode_oid(c: &[u8]) -> Option<Vec<u32>> {
    let (&first, rest) = c.split_first()?;
    let top = u32::from(first / 40).min(2);
    let mut arcs = vec![top, u32::from(first) - top * 40];
    let mut acc: u32 = 0;
    for &b in rest.iter().take(128) {
        acc = acc.checked_mul(128)? | u32::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    Some(arcs)
}

/// An OID in dotted form (`1.3.6.1.2.1.1.1.0`).
pub fn oid_text(arcs: &[u32]) -> String {
    arcs.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// A binding's value, as far as this project reads values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnmpValue {
    /// INTEGER.
    Integer(i64),
    /// OCTET STRING (text or bytes, such as a MAC).
    Octets(Vec<u8>),
    /// OBJECT IDENTIFIER.
    ObjectId(Vec<u32>),
    /// Counter32, Gauge32, TimeTicks, Counter64.
    Unsigned(u64),
    /// noSuchObject or noSuchInstance: nothing at that OID.
    NoSuch,
    /// endOfMibView: nothing after that OID.
    EndOfMibView,
    /// Anything else (NULL, IpAddress, Opaque, …), by its tag.
    Other(u8),
}

/// One variable binding of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarBind {
    /// Its OID's arcs.
    pub oid: Vec<u32>,
    /// Its value.
    pub value: SnmpValue,
}

/// Most bindings read from one response (an 8 KiB datagram holds fewer).
pub const MAX_VARBINDS: usize = 1024;

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

/// Decodes a GetResponse to the request with `request_id` into its bindings (at most
/// [`MAX_VARBINDS`]).
pub fn parse_varbinds(d: &[u8], request_id: i32) -> Result<Vec<VarBind>, SnmpReplyError> {
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
    let mut out = Vec::new();
    while !binds.is_empty() && out.len() < MAX_VARBINDS {
        let (bind, next) = expect(binds, 0x30).ok_or(Malformed)?;
        binds = next;
        let (oid, value) = expect(bind, 0x06).ok_or(Malformed)?;
        let oid = decode_oid(oid).ok_or(Malformed)?;
        let (tag, content, _) = split(value).ok_or(Malformed)?;
        // A value that does not decode is kept as `Other`: one bad binding spoils no other.
        let value = match tag {
            0x02 => decode_int(content).map(SnmpValue::Integer),
            0x04 => Some(SnmpValue::Octets(content.to_vec())),
            0x06 => decode_oid(content).map(SnmpValue::ObjectId),
            0x41..=0x43 | 0x46 => decode_unsigned(content).map(SnmpValue::Unsigned),
            0x80 | 0x81 => Some(SnmpValue::NoSuch),
            0x82 => Some(SnmpValue::EndOfMibView),
            _ => None,
        }
        .unwrap_or(SnmpValue::Other(tag));
        out.push(VarBind { oid, value });
    }
    Ok(out)
}

fn decode_unsigned(c: &[u8]) -> Option<u64> {
    // Unsigned types carry a leading 0 byte when the top bit is set: up to 9 bytes.
    let c = if c.len() > 1 && c[0] == 0 { &c[1..] } else { c };
    if c.is_empty() || c.len() > 8 {
        return None;
    }
    Some(c.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
}

/// Decodes a GetResponse to the request with `request_id`: the system OIDs and Net-SNMP's
/// version.
pub fn parse_response(d: &[u8], request_id: i32) -> Result<SnmpInfo, SnmpReplyError> {
    let mut info = SnmpInfo::default();
    for bind in parse_varbinds(d, request_id)?.into_iter().take(16) {
        let text = |content: &[u8]| {
            let s = clean_text(&String::from_utf8_lossy(content), 255);
            (!s.is_empty()).then_some(s)
        };
        match (oid_text(&bind.oid).as_str(), &bind.value) {
            ("1.3.6.1.2.1.1.1.0", SnmpValue::Octets(c)) => info.sys_descr = text(c),
            ("1.3.6.1.2.1.1.5.0", SnmpValue::Octets(c)) => info.sys_name = text(c),
            ("1.3.6.1.4.1.2021.100.2.0", SnmpValue::Octets(c)) => info.agent_version = text(c),
            ("1.3.6.1.2.1.1.2.0", SnmpValue::ObjectId(arcs)) => {
                info.sys_object_id = Some(oid_text(arcs));
            }
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

    /// A decoded request: PDU tag, request id, the two integers after it, community, OIDs.
    pub(crate) struct Request {
        pub tag: u8,
        pub id: i32,
        pub max_repetitions: i64,
        pub community: Vec<u8>,
        pub oids: Vec<Vec<u32>>,
    }

    /// Decodes a request as an agent would (tests' fake agents).
    pub(crate) fn parse_request(d: &[u8]) -> Request {
        let (msg, _) = expect(d, 0x30).unwrap();
        let (_version, rest) = expect(msg, 0x02).unwrap();
        let (community, rest) = expect(rest, 0x04).unwrap();
        let (tag, pdu, _) = split(rest).unwrap();
        let (id, rest) = expect(pdu, 0x02).unwrap();
        let (_a, rest) = expect(rest, 0x02).unwrap();
        let (b, rest) = expect(rest, 0x02).unwrap();
        let (mut binds, _) = expect(rest, 0x30).unwrap();
        let mut oids = Vec::new();
        while !binds.is_empty() {
            let (bind, next) = expect(binds, 0x30).unwrap();
            binds = next;
            oids.push(decode_oid(expect(bind, 0x06).unwrap().0).unwrap());
        }
        Request {
            tag,
            id: decode_int(id).unwrap() as i32,
            max_repetitions: decode_int(b).unwrap(),
            community: community.to_vec(),
            oids,
        }
    }

    /// A GetResponse with these bindings.
    pub(crate) fn response_with(id: i32, binds: &[(Vec<u32>, SnmpValue)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (oid, value) in binds {
            let v = match value {
                SnmpValue::Integer(n) => integer(*n),
                SnmpValue::Octets(b) => tlv(0x04, b),
                SnmpValue::ObjectId(o) => encode_oid(o),
                SnmpValue::Unsigned(n) => tlv(0x41, &n.to_be_bytes()[4..]),
                SnmpValue::NoSuch => vec![0x81, 0],
                SnmpValue::EndOfMibView => vec![0x82, 0],
                SnmpValue::Other(t) => vec![*t, 0],
            };
            out.extend(tlv(0x30, &[encode_oid(oid), v].concat()));
        }
        let pdu = tlv(
            0xa2,
            &[
                integer(i64::from(id)),
                integer(0),
                integer(0),
                tlv(0x30, &out),
            ]
            .concat(),
        );
        tlv(0x30, &[integer(1), tlv(0x04, b"c"), pdu].concat())
    }

    #[test]
    fn bulk_and_next_requests_round_trip() {
        let root: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 5];
        let r = parse_request(&get_bulk_request("ro-x", 7, 24, &[root]));
        assert_eq!((r.tag, r.id, r.max_repetitions), (0xa5, 7, 24));
        assert_eq!(r.community, b"ro-x");
        assert_eq!(r.oids, vec![root.to_vec()]);
        let r = parse_request(&get_next_request("ro-x", 8, &[root]));
        assert_eq!((r.tag, r.id), (0xa1, 8));
        let binds = vec![
            (root.to_vec(), SnmpValue::Octets(vec![0, 0, 0xf4, 1, 2, 3])),
            (
                vec![1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2, 1],
                SnmpValue::Integer(4),
            ),
            (
                vec![1, 3, 6, 1, 2, 1, 1, 3, 0],
                SnmpValue::Unsigned(4_000_000_000),
            ),
            (vec![1, 3, 6, 1, 9], SnmpValue::EndOfMibView),
        ];
        assert_eq!(
            parse_varbinds(&response_with(9, &binds), 9).unwrap(),
            binds
                .iter()
                .map(|(oid, value)| VarBind {
                    oid: oid.clone(),
                    value: value.clone()
                })
                .collect::<Vec<_>>()
        );
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
