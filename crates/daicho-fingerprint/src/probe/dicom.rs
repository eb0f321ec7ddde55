//! DICOM upper layer (PS3.8): an A-ASSOCIATE-RQ proposing only the Verification SOP class,
//! the reading of A-ASSOCIATE-AC / -RJ, then an A-RELEASE-RQ. No DIMSE message is ever sent:
//! no C-ECHO, and certainly no C-STORE or C-FIND.

use crate::wire::{be16, be32, clean_text};

/// Verification SOP class.
pub const VERIFICATION_SOP: &str = "1.2.840.10008.1.1";
const APPLICATION_CONTEXT: &str = "1.2.840.10008.3.1.1.1";
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
/// Our implementation class UID (a UUID-derived 2.25 UID, so it is unique without a registered root).
const OUR_IMPLEMENTATION_UID: &str = "2.25.161713553462306719283617385401219436541";
const OUR_VERSION_NAME: &str = "DAICHO_FP";

/// Largest PDU we read; associate replies are a few hundred bytes.
pub const MAX_PDU: usize = 16 * 1024;

fn ae_title(name: &str) -> [u8; 16] {
    let mut t = [b' '; 16];
    for (d, s) in t.iter_mut().zip(name.bytes()) {
        *d = s;
    }
    t
}

fn item(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![kind, 0];
    v.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// The A-ASSOCIATE-RQ PDU, from `calling` to `called` AE titles.
pub fn associate_request(calling: &str, called: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(&1u16.to_be_bytes()); // protocol version
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&ae_title(called));
    body.extend_from_slice(&ae_title(calling));
    body.extend_from_slice(&[0; 32]);
    body.extend_from_slice(&item(0x10, APPLICATION_CONTEXT.as_bytes()));
    let mut pc = vec![1, 0, 0, 0]; // presentation context id 1
    pc.extend_from_slice(&item(0x30, VERIFICATION_SOP.as_bytes()));
    pc.extend_from_slice(&item(0x40, IMPLICIT_LE.as_bytes()));
    body.extend_from_slice(&item(0x20, &pc));
    let mut user = item(0x51, &16384u32.to_be_bytes());
    user.extend_from_slice(&item(0x52, OUR_IMPLEMENTATION_UID.as_bytes()));
    user.extend_from_slice(&item(0x55, OUR_VERSION_NAME.as_bytes()));
    body.extend_from_slice(&item(0x50, &user));
    pdu(0x01, &body)
}

/// The A-RELEASE-RQ PDU.
pub fn release_request() -> Vec<u8> {
    pdu(0x05, &[0, 0, 0, 0])
}

fn pdu(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![kind, 0];
    v.extend_from_slice(&(body.len() as u32).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// The PDU type and body length from a 6-byte PDU header, refusing oversize PDUs.
pub fn pdu_header(h: &[u8]) -> Option<(u8, usize)> {
    let kind = *h.first()?;
    let len = be32(h, 2)? as usize;
    ((1..=7).contains(&kind) && len <= MAX_PDU).then_some((kind, len))
}

/// The outcome of an association attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssociateReply {
    /// A-ASSOCIATE-AC.
    Accepted {
        /// The far side's implementation class UID.
        implementation_uid: Option<String>,
        /// Its implementation version name.
        version_name: Option<String>,
        /// Whether the Verification presentation context was accepted (result 0).
        verification_accepted: bool,
    },
    /// A-ASSOCIATE-RJ.
    Rejected {
        /// 1 permanent, 2 transient.
        result: u8,
        /// 1 service user, 2 provider (ACSE), 3 provider (presentation).
        source: u8,
        /// Reason code; with source 1, 3 = calling AE not recognised, 7 = called AE not recognised.
        reason: u8,
    },
    /// A-ABORT.
    Aborted,
}

/// Parses an A-ASSOCIATE-AC, -RJ or A-ABORT given its type and body.
pub fn parse_reply(kind: u8, body: &[u8]) -> Option<AssociateReply> {
    match kind {
        0x02 => {
            let mut implementation_uid = None;
            let mut version_name = None;
            let mut verification_accepted = false;
            let mut rest = body.get(68..)?;
            for _ in 0..32 {
                let Some((t, value, next)) = split_item(rest) else {
                    break;
                };
                match t {
                    0x21 => verification_accepted |= value.get(2) == Some(&0),
                    0x50 => {
                        let mut sub = value;
                        for _ in 0..32 {
                            let Some((st, sv, snext)) = split_item(sub) else {
                                break;
                            };
                            match st {
                                0x52 => implementation_uid = text(sv),
                                0x55 => version_name = text(sv),
                                _ => {}
                            }
                            sub = snext;
                        }
                    }
                    _ => {}
                }
                rest = next;
            }
            Some(AssociateReply::Accepted {
                implementation_uid,
                version_name,
                verification_accepted,
            })
        }
        0x03 => Some(AssociateReply::Rejected {
            result: *body.get(1)?,
            source: *body.get(2)?,
            reason: *body.get(3)?,
        }),
        0x07 => Some(AssociateReply::Aborted),
        _ => None,
    }
}

/// Splits one item (type, reserved, u16 length, value) off the front of `b`.
fn split_item(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let t = *b.first()?;
    let len = usize::from(be16(b, 2)?);
    let value = b.get(4..4 + len)?;
    Some((t, value, &b[4 + len..]))
}

fn text(v: &[u8]) -> Option<String> {
    let s = clean_text(&String::from_utf8_lossy(v).replace('\0', ""), 64);
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An A-ASSOCIATE-AC as DCMTK's storescp would answer.
    pub(crate) fn accept(uid: &str, version: &str) -> Vec<u8> {
        let mut body = vec![0, 1, 0, 0];
        body.extend_from_slice(&ae_title("ANY-SCP"));
        body.extend_from_slice(&ae_title("DAICHO"));
        body.extend_from_slice(&[0; 32]);
        body.extend_from_slice(&item(0x10, APPLICATION_CONTEXT.as_bytes()));
        let mut pc = vec![1, 0, 0, 0];
        pc.extend_from_slice(&item(0x40, IMPLICIT_LE.as_bytes()));
        body.extend_from_slice(&item(0x21, &pc));
        let mut user = item(0x51, &16384u32.to_be_bytes());
        user.extend_from_slice(&item(0x52, uid.as_bytes()));
        user.extend_from_slice(&item(0x55, version.as_bytes()));
        body.extend_from_slice(&item(0x50, &user));
        pdu(0x02, &body)
    }

    #[test]
    fn request_proposes_only_verification() {
        let rq = associate_request("DAICHO", "ANY-SCP");
        let (kind, len) = pdu_header(&rq).unwrap();
        assert_eq!((kind, len), (1, rq.len() - 6));
        let text = String::from_utf8_lossy(&rq);
        assert!(text.contains(VERIFICATION_SOP));
        // Storage and query classes start 1.2.840.10008.5.1.4; none may appear.
        assert!(!text.contains("1.2.840.10008.5.1.4"));
        assert_eq!(release_request(), vec![5, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    }

    #[test]
    fn parses_accept_and_reject() {
        let ac = accept("1.2.276.0.7230010.3.0.3.6.7", "OFFIS_DCMTK_367");
        let (kind, len) = pdu_header(&ac).unwrap();
        let r = parse_reply(kind, &ac[6..6 + len]).unwrap();
        assert_eq!(
            r,
            AssociateReply::Accepted {
                implementation_uid: Some("1.2.276.0.7230010.3.0.3.6.7".into()),
                version_name: Some("OFFIS_DCMTK_367".into()),
                verification_accepted: true,
            }
        );
        let rj = parse_reply(3, &[0, 1, 1, 7]).unwrap();
        assert_eq!(
            rj,
            AssociateReply::Rejected {
                result: 1,
                source: 1,
                reason: 7
            }
        );
        assert!(parse_reply(3, &[0, 1]).is_none());
        assert!(
            pdu_header(&[2, 0, 0xff, 0xff, 0xff, 0xff]).is_none(),
            "4 GiB PDU refused"
        );
        assert!(pdu_header(b"HTTP/1").is_none());
    }

    #[test]
    fn truncated_accepts_do_not_panic() {
        let ac = accept("1.2.3", "X");
        for cut in 0..ac.len() {
            let _ = parse_reply(2, &ac[6.min(cut)..cut]);
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(kind in 0u8..9, data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse_reply(kind, &data);
            let _ = pdu_header(&data);
        }
    }
}
