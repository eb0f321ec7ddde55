//! SMB2: NEGOTIATE (dialects 2.0.2–3.0.2), then SESSION_SETUP carrying an NTLMSSP NEGOTIATE in
//! SPNEGO. The server's CHALLENGE names its Windows version and NetBIOS/DNS names. No
//! credentials are ever sent: the exchange stops at the challenge.

use crate::probe::ntlm::{self, NtlmInfo};
use crate::wire::{be32, le16, le32};

/// Largest SMB message we accept (NetBIOS length field); anything larger is treated as garbage.
pub const MAX_MESSAGE: usize = 64 * 1024;

const DIALECTS: [u16; 4] = [0x0202, 0x0210, 0x0300, 0x0302];

/// A 64-byte SMB2 sync header for `command` with message id `id`.
fn header(command: u16, id: u64) -> Vec<u8> {
    let mut h = Vec::with_capacity(64);
    h.extend_from_slice(b"\xfeSMB");
    h.extend_from_slice(&64u16.to_le_bytes()); // structure size
    h.extend_from_slice(&0u16.to_le_bytes()); // credit charge
    h.extend_from_slice(&0u32.to_le_bytes()); // status
    h.extend_from_slice(&command.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // credits requested
    h.extend_from_slice(&0u32.to_le_bytes()); // flags
    h.extend_from_slice(&0u32.to_le_bytes()); // next command
    h.extend_from_slice(&id.to_le_bytes());
    h.extend_from_slice(&0xfeffu32.to_le_bytes()); // process id
    h.extend_from_slice(&0u32.to_le_bytes()); // tree id
    h.extend_from_slice(&0u64.to_le_bytes()); // session id
    h.extend_from_slice(&[0u8; 16]); // signature
    h
}

/// Frames an SMB message with its 4-byte NetBIOS session header.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut m = (body.len() as u32).to_be_bytes().to_vec();
    m[0] = 0;
    m.extend_from_slice(body);
    m
}

/// The NEGOTIATE request.
pub fn negotiate_request() -> Vec<u8> {
    let mut m = header(0, 0);
    m.extend_from_slice(&36u16.to_le_bytes());
    m.extend_from_slice(&(DIALECTS.len() as u16).to_le_bytes());
    m.extend_from_slice(&1u16.to_le_bytes()); // signing enabled
    m.extend_from_slice(&0u16.to_le_bytes());
    m.extend_from_slice(&0u32.to_le_bytes()); // capabilities
    m.extend_from_slice(b"daicho-fp-client"); // client GUID (16 bytes, fixed)
    m.extend_from_slice(&0u64.to_le_bytes());
    for d in DIALECTS {
        m.extend_from_slice(&d.to_le_bytes());
    }
    frame(&m)
}

/// DER tag-length-value with short or two-byte long lengths (our tokens are small).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
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

/// SPNEGO NegTokenInit offering NTLMSSP, with the NTLM NEGOTIATE as its mechanism token.
fn spnego_ntlm_negotiate() -> Vec<u8> {
    const SPNEGO_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    const NTLMSSP_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
    let mech_types = der(0xa0, &der(0x30, &der(0x06, NTLMSSP_OID)));
    let mech_token = der(0xa2, &der(0x04, &ntlm::negotiate_message()));
    let init = der(0xa0, &der(0x30, &[mech_types, mech_token].concat()));
    der(0x60, &[der(0x06, SPNEGO_OID), init].concat())
}

/// The SESSION_SETUP request carrying the NTLMSSP NEGOTIATE.
pub fn session_setup_request() -> Vec<u8> {
    let token = spnego_ntlm_negotiate();
    let mut m = header(1, 1);
    m.extend_from_slice(&25u16.to_le_bytes());
    m.push(0); // flags
    m.push(1); // security mode: signing enabled
    m.extend_from_slice(&0u32.to_le_bytes()); // capabilities
    m.extend_from_slice(&0u32.to_le_bytes()); // channel
    m.extend_from_slice(&(64u16 + 24).to_le_bytes()); // security buffer offset
    m.extend_from_slice(&(token.len() as u16).to_le_bytes());
    m.extend_from_slice(&0u64.to_le_bytes()); // previous session
    m.extend_from_slice(&token);
    frame(&m)
}

/// The length announced by a NetBIOS session header, refusing oversize or non-message frames.
pub fn frame_length(header: &[u8]) -> Option<usize> {
    let raw = be32(header, 0)?;
    if raw >> 24 != 0 {
        return None;
    }
    let len = (raw & 0x00ff_ffff) as usize;
    (4..=MAX_MESSAGE).contains(&len).then_some(len)
}

/// What the NEGOTIATE response said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateInfo {
    /// Chosen dialect, e.g. `3.0.2`; `1` when the server answered in SMB1.
    pub dialect: String,
    /// True when the server requires message signing.
    pub signing_required: bool,
}

/// Parses a NEGOTIATE response body (without the NetBIOS header).
pub fn parse_negotiate(body: &[u8]) -> Option<NegotiateInfo> {
    if body.starts_with(b"\xffSMB") {
        return Some(NegotiateInfo {
            dialect: "1".to_owned(),
            signing_required: false,
        });
    }
    if !body.starts_with(b"\xfeSMB") || le16(body, 12)? != 0 || le32(body, 8)? != 0 {
        return None;
    }
    if le16(body, 64)? != 65 {
        return None;
    }
    let security_mode = le16(body, 66)?;
    let dialect = le16(body, 68)?;
    let dialect = match dialect {
        0x0202 => "2.0.2".to_owned(),
        0x0210 => "2.1".to_owned(),
        0x0300 => "3.0".to_owned(),
        0x0302 => "3.0.2".to_owned(),
        0x0311 => "3.1.1".to_owned(),
        0x02ff => "2.??".to_owned(),
        other => format!("0x{other:04x}"),
    };
    Some(NegotiateInfo {
        dialect,
        signing_required: security_mode & 2 != 0,
    })
}

/// Parses a SESSION_SETUP response body: the NTLM challenge inside it, if any.
pub fn parse_session_setup(body: &[u8]) -> Option<NtlmInfo> {
    if !body.starts_with(b"\xfeSMB") || le16(body, 12)? != 1 {
        return None;
    }
    ntlm::find_challenge(body.get(64..)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A NEGOTIATE response body as a server would send it.
    pub(crate) fn negotiate_response(dialect: u16, signing_required: bool) -> Vec<u8> {
        let mut m = header(0, 0);
        m.extend_from_slice(&65u16.to_le_bytes());
        m.extend_from_slice(&(if signing_required { 3u16 } else { 1 }).to_le_bytes());
        m.extend_from_slice(&dialect.to_le_bytes());
        m.extend_from_slice(&0u16.to_le_bytes());
        m.extend_from_slice(&[0x42; 16]);
        m.extend_from_slice(&[0; 4 + 4 + 4 + 4 + 8 + 8 + 2 + 2 + 4]);
        m
    }

    /// A SESSION_SETUP response wrapping `token`.
    pub(crate) fn session_setup_response(token: &[u8]) -> Vec<u8> {
        let mut m = header(1, 1);
        m[8..12].copy_from_slice(&0xc000_0016u32.to_le_bytes());
        m.extend_from_slice(&9u16.to_le_bytes());
        m.extend_from_slice(&0u16.to_le_bytes());
        m.extend_from_slice(&72u16.to_le_bytes());
        m.extend_from_slice(&(token.len() as u16).to_le_bytes());
        m.extend_from_slice(token);
        m
    }

    pub(crate) fn framed(body: &[u8]) -> Vec<u8> {
        frame(body)
    }

    #[test]
    fn requests_are_well_formed() {
        let n = negotiate_request();
        assert_eq!(frame_length(&n), Some(n.len() - 4));
        assert_eq!(&n[4..8], b"\xfeSMB");
        assert_eq!(le16(&n, 4 + 64), Some(36));
        let s = session_setup_request();
        assert_eq!(frame_length(&s), Some(s.len() - 4));
        let token = &s[4 + 88..];
        assert_eq!(token[0], 0x60);
        assert_eq!(
            usize::from(token[1]) + 2,
            token.len(),
            "DER length covers the token"
        );
        assert!(
            ntlm::find_challenge(token).is_none(),
            "we send a NEGOTIATE, not a challenge"
        );
        assert!(token.windows(8).any(|w| w == b"NTLMSSP\0"));
    }

    #[test]
    fn parses_responses() {
        let n = parse_negotiate(&negotiate_response(0x0302, true)).unwrap();
        assert_eq!(n.dialect, "3.0.2");
        assert!(n.signing_required);
        assert_eq!(parse_negotiate(b"\xffSMBr\0\0\0\0").unwrap().dialect, "1");
        assert!(parse_negotiate(b"\xfeSMB").is_none());
        let token = ntlm::tests::challenge(10, 0, 20348, "DC01", "HOSP");
        let info = parse_session_setup(&session_setup_response(&token)).unwrap();
        assert_eq!(info.version_string().as_deref(), Some("10.0.20348"));
        assert_eq!(info.netbios_computer.as_deref(), Some("DC01"));
    }

    #[test]
    fn frame_lengths_are_bounded() {
        assert_eq!(frame_length(&[0, 0, 0, 100]), Some(100));
        assert_eq!(frame_length(&[0, 0x10, 0, 0]), None, "1 MiB is refused");
        assert_eq!(
            frame_length(&[0x85, 0, 0, 0]),
            None,
            "keep-alive/other frame types"
        );
        assert_eq!(frame_length(&[0, 0]), None);
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let mut m = b"\xfeSMB".to_vec();
            m.extend_from_slice(&data);
            let _ = parse_negotiate(&m);
            let _ = parse_session_setup(&m);
            let _ = parse_negotiate(&data);
            let _ = frame_length(&data);
        }
    }
}
