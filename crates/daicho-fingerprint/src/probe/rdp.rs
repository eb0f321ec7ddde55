//! RDP: an X.224 Connection Request with an RDP negotiation request (TLS or CredSSP), read the
//! Connection Confirm and its negotiation response or failure ([MS-RDPBCGR] 2.2.1.1–2.2.1.2).

use crate::wire::{be16, le32};

/// Protocols we offer: TLS (1) and CredSSP (2). Offering them lets the server say which it uses.
const REQUESTED_PROTOCOLS: u32 = 0x3;

/// The TPKT-framed X.224 Connection Request carrying an RDP_NEG_REQ.
pub fn connection_request() -> Vec<u8> {
    let mut x224 = vec![0u8, 0xe0, 0, 0, 0, 0, 0]; // LI (set below), CR, dst-ref, src-ref, class 0
    x224.extend_from_slice(&[0x01, 0x00, 0x08, 0x00]); // RDP_NEG_REQ, flags, length 8
    x224.extend_from_slice(&REQUESTED_PROTOCOLS.to_le_bytes());
    x224[0] = (x224.len() - 1) as u8;
    let total = (4 + x224.len()) as u16;
    let mut m = vec![3, 0];
    m.extend_from_slice(&total.to_be_bytes());
    m.extend_from_slice(&x224);
    m
}

/// What the Connection Confirm said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdpConfirm {
    /// The selected security protocol: `rdp` (standard), `tls`, `credssp`, `credssp-early`,
    /// or `none` when the confirm carried no negotiation response (pre-Windows-2003 style).
    pub selected: Option<String>,
    /// The failure code of an RDP_NEG_FAILURE, if the server refused our offer.
    pub failure: Option<u32>,
}

/// The TPKT length of a reply header (4 bytes), when it is a TPKT v3 header with a sane size.
pub fn tpkt_length(header: &[u8]) -> Option<usize> {
    if header.first() != Some(&3) {
        return None;
    }
    let len = usize::from(be16(header, 2)?);
    (7..=4096).contains(&len).then_some(len)
}

/// Parses a whole TPKT packet holding an X.224 Connection Confirm.
pub fn parse_confirm(packet: &[u8]) -> Option<RdpConfirm> {
    let len = tpkt_length(packet)?;
    let packet = packet.get(..len)?;
    let li = usize::from(*packet.get(4)?);
    if packet.get(5)? & 0xf0 != 0xd0 || li < 6 {
        return None;
    }
    let neg = packet.get(11..);
    let mut confirm = RdpConfirm {
        selected: None,
        failure: None,
    };
    match neg {
        Some(n) if n.len() >= 8 && n[0] == 0x02 => {
            confirm.selected = Some(
                match le32(n, 4)? {
                    0 => "rdp",
                    1 => "tls",
                    2 => "credssp",
                    8 => "rdstls",
                    0x0a | 0x0b => "credssp-early",
                    _ => "other",
                }
                .to_owned(),
            );
        }
        Some(n) if n.len() >= 8 && n[0] == 0x03 => confirm.failure = Some(le32(n, 4)?),
        _ => confirm.selected = Some("none".to_owned()),
    }
    Some(confirm)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Connection Confirm selecting `protocol`.
    pub(crate) fn confirm(protocol: u32) -> Vec<u8> {
        let mut m = vec![
            3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 0x02, 0x1f, 0x08, 0x00,
        ];
        m.extend_from_slice(&protocol.to_le_bytes());
        m
    }

    #[test]
    fn request_is_well_formed() {
        let r = connection_request();
        assert_eq!(tpkt_length(&r), Some(r.len()));
        assert_eq!(r[5], 0xe0);
        assert_eq!(usize::from(r[4]), r.len() - 5);
    }

    #[test]
    fn parses_confirms_and_failures() {
        let c = parse_confirm(&confirm(2)).unwrap();
        assert_eq!(c.selected.as_deref(), Some("credssp"));
        let mut failure = confirm(5);
        failure[11] = 0x03;
        assert_eq!(parse_confirm(&failure).unwrap().failure, Some(5));
        let bare = [3, 0, 0, 11, 6, 0xd0, 0, 0, 0x12, 0x34, 0];
        assert_eq!(
            parse_confirm(&bare).unwrap().selected.as_deref(),
            Some("none")
        );
        assert!(parse_confirm(b"HTTP/1.1 400").is_none());
        assert!(parse_confirm(&[3, 0, 0xff, 0xff]).is_none());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let mut m = vec![3, 0, 0, data.len() as u8 + 4];
            m.extend_from_slice(&data);
            let _ = parse_confirm(&m);
            let _ = parse_confirm(&data);
        }
    }
}
