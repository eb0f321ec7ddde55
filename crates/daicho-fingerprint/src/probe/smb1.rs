//! SMB1 for old Windows (XP, 2003, embedded consoles) that do not speak SMB2: NEGOTIATE with
//! `NT LM 0.12`, then SESSION_SETUP_ANDX with an NTLMSSP NEGOTIATE. The reply names the OS in
//! its NativeOS string ("Windows 5.1", "Windows Server 2003 3790 Service Pack 2") and carries the
//! NTLM challenge. No credentials are sent.

use crate::probe::ntlm::{self, NtlmInfo};
use crate::wire::{clean_text, le16, le32};

/// Flags2: Unicode, NT status codes, extended security, long names.
const FLAGS2: u16 = 0x8000 | 0x4000 | 0x0800 | 0x0001;
const CAP_UNICODE: u32 = 0x0004;
const CAP_NT_STATUS: u32 = 0x0040;
const CAP_EXTENDED_SECURITY: u32 = 0x8000_0000;

fn header(command: u8, mid: u16) -> Vec<u8> {
    let mut h = Vec::with_capacity(32);
    h.extend_from_slice(b"\xffSMB");
    h.push(command);
    h.extend_from_slice(&[0; 4]); // status
    h.push(0x18); // flags: case-insensitive, canonical names
    h.extend_from_slice(&FLAGS2.to_le_bytes());
    h.extend_from_slice(&[0; 12]); // pid high, security features, reserved
    h.extend_from_slice(&0u16.to_le_bytes()); // tid
    h.extend_from_slice(&0xfeffu16.to_le_bytes()); // pid
    h.extend_from_slice(&0u16.to_le_bytes()); // uid
    h.extend_from_slice(&mid.to_le_bytes());
    h
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut m = (body.len() as u32).to_be_bytes().to_vec();
    m[0] = 0;
    m.extend_from_slice(body);
    m
}

/// NEGOTIATE offering only the NT LM 0.12 dialect.
pub fn negotiate_request() -> Vec<u8> {
    let mut m = header(0x72, 1);
    m.push(0); // word count
    let dialects = b"\x02NT LM 0.12\0";
    m.extend_from_slice(&(dialects.len() as u16).to_le_bytes());
    m.extend_from_slice(dialects);
    frame(&m)
}

/// SESSION_SETUP_ANDX (extended security) carrying a raw NTLMSSP NEGOTIATE.
pub fn session_setup_request() -> Vec<u8> {
    let blob = ntlm::negotiate_message();
    let mut m = header(0x73, 2);
    m.push(12); // word count
    m.extend_from_slice(&[0xff, 0, 0, 0]); // no AndX command, reserved, offset
    m.extend_from_slice(&16644u16.to_le_bytes()); // max buffer
    m.extend_from_slice(&2u16.to_le_bytes()); // max mpx
    m.extend_from_slice(&1u16.to_le_bytes()); // vc number
    m.extend_from_slice(&0u32.to_le_bytes()); // session key
    m.extend_from_slice(&(blob.len() as u16).to_le_bytes());
    m.extend_from_slice(&0u32.to_le_bytes()); // reserved
    m.extend_from_slice(&(CAP_UNICODE | CAP_NT_STATUS | CAP_EXTENDED_SECURITY).to_le_bytes());
    let mut bytes = blob;
    if (m.len() + 2 + bytes.len()) % 2 == 1 {
        bytes.push(0); // align the Unicode strings
    }
    bytes.extend_from_slice(&[0, 0, 0, 0]); // empty NativeOS and NativeLanMan
    m.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    m.extend_from_slice(&bytes);
    frame(&m)
}

/// What an SMB1 NEGOTIATE response said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiate1 {
    /// True when the server chose NT LM 0.12 (index 0).
    pub nt_lm: bool,
    /// True when the server offers extended security (NTLMSSP in session setup).
    pub extended_security: bool,
    /// Domain name from a non-extended response.
    pub domain: Option<String>,
    /// Server name from a non-extended response.
    pub server: Option<String>,
}

/// Parses an SMB1 NEGOTIATE response body.
pub fn parse_negotiate(b: &[u8]) -> Option<Negotiate1> {
    if !b.starts_with(b"\xffSMB") || *b.get(4)? != 0x72 || le32(b, 5)? != 0 {
        return None;
    }
    let wc = usize::from(*b.get(32)?);
    if wc < 17 {
        return Some(Negotiate1 {
            nt_lm: false,
            extended_security: false,
            domain: None,
            server: None,
        });
    }
    let words = b.get(33..33 + wc * 2)?;
    let dialect = le16(words, 0)?;
    let caps = le32(words, 19)?;
    let challenge_len = usize::from(*words.get(33)?);
    let byte_count = usize::from(le16(b, 33 + wc * 2)?);
    let bytes = b.get(35 + wc * 2..(35 + wc * 2 + byte_count).min(b.len()))?;
    let extended = caps & CAP_EXTENDED_SECURITY != 0;
    let (mut domain, mut server) = (None, None);
    if !extended && bytes.len() > challenge_len {
        let mut strings = utf16_strings(&bytes[challenge_len..]);
        domain = strings.next();
        server = strings.next();
    }
    Some(Negotiate1 {
        nt_lm: dialect == 0,
        extended_security: extended,
        domain,
        server,
    })
}

/// What an SMB1 SESSION_SETUP_ANDX response said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionSetup1 {
    /// NativeOS, e.g. `Windows 5.1`.
    pub native_os: Option<String>,
    /// NativeLanMan, e.g. `Windows 2000 LAN Manager`, `Samba 4.17.12-Debian`.
    pub native_lanman: Option<String>,
    /// The NTLM challenge in the security blob.
    pub ntlm: Option<NtlmInfo>,
}

/// Parses an SMB1 SESSION_SETUP_ANDX response body (extended security).
pub fn parse_session_setup(b: &[u8]) -> Option<SessionSetup1> {
    if !b.starts_with(b"\xffSMB") || *b.get(4)? != 0x73 {
        return None;
    }
    let wc = usize::from(*b.get(32)?);
    let words = b.get(33..33 + wc * 2)?;
    let byte_count = usize::from(le16(b, 33 + wc * 2)?);
    let start = 35 + wc * 2;
    let bytes = b.get(start..(start + byte_count).min(b.len()))?;
    let blob_len = if wc >= 4 {
        usize::from(le16(words, 6)?)
    } else {
        0
    };
    let blob = bytes.get(..blob_len.min(bytes.len()))?;
    let mut at = start + blob.len();
    if at % 2 == 1 {
        at += 1; // Unicode strings are aligned from the header start
    }
    let mut strings = utf16_strings(b.get(at..start + bytes.len()).unwrap_or(&[]));
    Some(SessionSetup1 {
        native_os: strings.next(),
        native_lanman: strings.next(),
        ntlm: ntlm::find_challenge(blob),
    })
}

/// Null-terminated UTF-16LE strings, each printable and at most 96 characters.
fn utf16_strings(b: &[u8]) -> impl Iterator<Item = String> + '_ {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take(1024)
        .collect();
    let parts: Vec<String> = units
        .split(|&u| u == 0)
        .take(4)
        .map(|s| clean_text(&String::from_utf16_lossy(s), 96))
        .collect();
    parts.into_iter().filter(|s| !s.is_empty())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn utf16z(s: &str) -> Vec<u8> {
        let mut v: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        v.extend_from_slice(&[0, 0]);
        v
    }

    /// A NEGOTIATE response with extended security, as XP SP2+ sends.
    pub(crate) fn negotiate_response() -> Vec<u8> {
        let mut m = header(0x72, 1);
        m[9] = 0x98;
        m.push(17);
        let mut w = Vec::new();
        w.extend_from_slice(&0u16.to_le_bytes()); // dialect index
        w.push(3); // security mode
        w.extend_from_slice(&[50, 0, 1, 0]);
        w.extend_from_slice(&4356u32.to_le_bytes());
        w.extend_from_slice(&65536u32.to_le_bytes());
        w.extend_from_slice(&0u32.to_le_bytes());
        w.extend_from_slice(&(CAP_EXTENDED_SECURITY | CAP_UNICODE | CAP_NT_STATUS).to_le_bytes());
        w.extend_from_slice(&[0; 8]);
        w.extend_from_slice(&0i16.to_le_bytes());
        w.push(0);
        m.extend_from_slice(&w);
        let bytes = [0x42u8; 16];
        m.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        m.extend_from_slice(&bytes);
        m
    }

    /// A SESSION_SETUP_ANDX response with an NTLM challenge and NativeOS strings.
    pub(crate) fn session_setup_response(native_os: &str, lanman: &str) -> Vec<u8> {
        let blob = ntlm::tests::challenge(5, 1, 2600, "XP-CONSOLE", "WORKGROUP");
        let mut m = header(0x73, 2);
        m[5..9].copy_from_slice(&0xc000_0016u32.to_le_bytes());
        m.push(4);
        m.extend_from_slice(&[0xff, 0, 0, 0, 0, 0]);
        m.extend_from_slice(&(blob.len() as u16).to_le_bytes());
        let mut bytes = blob;
        if (m.len() + 2 + bytes.len()) % 2 == 1 {
            bytes.push(0);
        }
        bytes.extend_from_slice(&utf16z(native_os));
        bytes.extend_from_slice(&utf16z(lanman));
        m.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        m.extend_from_slice(&bytes);
        m
    }

    pub(crate) fn framed(body: &[u8]) -> Vec<u8> {
        frame(body)
    }

    #[test]
    fn requests_are_well_formed() {
        let n = negotiate_request();
        assert_eq!(&n[4..8], b"\xffSMB");
        assert_eq!(crate::probe::smb::frame_length(&n), Some(n.len() - 4));
        let s = session_setup_request();
        assert_eq!(crate::probe::smb::frame_length(&s), Some(s.len() - 4));
        assert!(
            s.windows(12).any(|w| w == b"NTLMSSP\0\x01\0\0\0"),
            "an NTLM NEGOTIATE, nothing more"
        );
    }

    #[test]
    fn parses_xp_replies() {
        let n = parse_negotiate(&negotiate_response()).unwrap();
        assert!(n.nt_lm && n.extended_security);
        let s = parse_session_setup(&session_setup_response(
            "Windows 5.1",
            "Windows 2000 LAN Manager",
        ))
        .unwrap();
        assert_eq!(s.native_os.as_deref(), Some("Windows 5.1"));
        assert_eq!(s.native_lanman.as_deref(), Some("Windows 2000 LAN Manager"));
        assert_eq!(
            s.ntlm.unwrap().netbios_computer.as_deref(),
            Some("XP-CONSOLE")
        );
        let full = session_setup_response("Windows 5.1", "x");
        for cut in 0..full.len() {
            let _ = parse_session_setup(&full[..cut]);
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            for cmd in [0x72u8, 0x73] {
                let mut m = header(cmd, 1);
                m.extend_from_slice(&data);
                let _ = parse_negotiate(&m);
                let _ = parse_session_setup(&m);
            }
        }
    }
}
