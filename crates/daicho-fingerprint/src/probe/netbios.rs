//! NetBIOS name service node status (NBSTAT, RFC 1002 §4.2.17–18) over UDP 137: a read-only
//! query for the names a host has registered — its computer name and workgroup or domain.

use crate::wire::{be16, clean_text};

/// Largest datagram we read.
pub const MAX_DATAGRAM: usize = 2048;

/// A node status request for the wildcard name `*`.
pub fn node_status_request(transaction_id: u16) -> Vec<u8> {
    let mut m = Vec::with_capacity(50);
    m.extend_from_slice(&transaction_id.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]); // flags 0, one question
    m.push(0x20);
    let mut name = [0u8; 16];
    name[0] = b'*';
    for b in name {
        // First-level encoding: each nibble as a letter from 'A'.
        m.push(b'A' + (b >> 4));
        m.push(b'A' + (b & 0x0f));
    }
    m.push(0);
    m.extend_from_slice(&[0x00, 0x21, 0x00, 0x01]); // NBSTAT, IN
    m
}

/// What a node status answer said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeStatus {
    /// The unique name with suffix 0x00: the computer name.
    pub computer: Option<String>,
    /// The group name with suffix 0x00: workgroup or domain.
    pub workgroup: Option<String>,
    /// The unit id the host reports (its MAC; Samba reports all zeros).
    pub unit_id: [u8; 6],
    /// Every name, with its suffix, e.g. `PC01<20>`.
    pub names: Vec<String>,
}

/// Parses a node status response to `transaction_id`.
pub fn parse_node_status(d: &[u8], transaction_id: u16) -> Option<NodeStatus> {
    if be16(d, 0)? != transaction_id || d.get(2)? & 0x80 == 0 || be16(d, 6)? == 0 {
        return None;
    }
    // Answer name: a full encoded name or a compression pointer.
    let mut at = 12;
    match *d.get(at)? {
        0xc0..=0xff => at += 2,
        len => {
            at += 1 + usize::from(len);
            while *d.get(at)? != 0 {
                at += 1 + usize::from(*d.get(at)?);
            }
            at += 1;
        }
    }
    if be16(d, at)? != 0x21 {
        return None;
    }
    let rdlength = usize::from(be16(d, at + 8)?);
    let rdata = d.get(at + 10..at + 10 + rdlength)?;
    let count = usize::from(*rdata.first()?);
    let mut status = NodeStatus::default();
    for i in 0..count.min(64) {
        let entry = rdata.get(1 + i * 18..1 + (i + 1) * 18)?;
        let name = clean_text(&String::from_utf8_lossy(&entry[..15]), 15);
        let suffix = entry[15];
        let group = entry[16] & 0x80 != 0;
        if suffix == 0 && !name.is_empty() {
            if group {
                status.workgroup.get_or_insert_with(|| name.clone());
            } else {
                status.computer.get_or_insert_with(|| name.clone());
            }
        }
        status.names.push(format!("{name}<{suffix:02x}>"));
    }
    if let Some(unit) = rdata.get(1 + count * 18..1 + count * 18 + 6) {
        status.unit_id.copy_from_slice(unit);
    }
    Some(status)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A node status response as Windows would send it.
    pub(crate) fn response(id: u16, names: &[(&str, u8, bool)], unit: [u8; 6]) -> Vec<u8> {
        let mut m = id.to_be_bytes().to_vec();
        m.extend_from_slice(&[0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0]);
        m.extend_from_slice(&node_status_request(id)[12..46]); // the same encoded name
        m.extend_from_slice(&[0x00, 0x21, 0x00, 0x01, 0, 0, 0, 0]);
        let mut rdata = vec![names.len() as u8];
        for (name, suffix, group) in names {
            let mut n = [b' '; 15];
            n[..name.len()].copy_from_slice(name.as_bytes());
            rdata.extend_from_slice(&n);
            rdata.push(*suffix);
            rdata.extend_from_slice(&[if *group { 0x84 } else { 0x04 }, 0x00]);
        }
        rdata.extend_from_slice(&unit);
        rdata.extend_from_slice(&[0; 40]); // statistics
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(&rdata);
        m
    }

    #[test]
    fn request_encodes_the_wildcard() {
        let r = node_status_request(0x1234);
        assert_eq!(r.len(), 50);
        assert_eq!(&r[13..15], b"CK", "'*' is 0x2a -> C K");
        assert_eq!(&r[15..17], b"AA");
    }

    #[test]
    fn parses_names_and_unit_id() {
        let d = response(
            7,
            &[
                ("RECEPTION-PC", 0x00, false),
                ("HOSPITAL", 0x00, true),
                ("RECEPTION-PC", 0x20, false),
            ],
            [0xe8, 0x6a, 0x64, 1, 2, 3],
        );
        let s = parse_node_status(&d, 7).unwrap();
        assert_eq!(s.computer.as_deref(), Some("RECEPTION-PC"));
        assert_eq!(s.workgroup.as_deref(), Some("HOSPITAL"));
        assert_eq!(s.unit_id, [0xe8, 0x6a, 0x64, 1, 2, 3]);
        assert_eq!(s.names.len(), 3);
        assert!(parse_node_status(&d, 8).is_none(), "other transaction");
        for cut in 0..d.len() {
            let _ = parse_node_status(&d[..cut], 7);
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_node_status(&data, 7);
            let mut d = vec![0, 7, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
            d.extend_from_slice(&data);
            let _ = parse_node_status(&d, 7);
        }
    }
}
