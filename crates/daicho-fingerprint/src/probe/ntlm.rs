//! NTLMSSP: the NEGOTIATE message we send (no credentials) and the CHALLENGE the server answers
//! with, which carries the Windows version and the NetBIOS/DNS names in its AV pairs.

use crate::wire::{le16, le32};

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// Flags asked for: Unicode, request target, NTLM, always sign, extended session security,
/// target info, version, 128/56-bit. The version flag makes the server include its OS version.
const NEGOTIATE_FLAGS: u32 = 0x0000_0001
    | 0x0000_0004
    | 0x0000_0200
    | 0x0000_8000
    | 0x0008_0000
    | 0x0080_0000
    | 0x0200_0000
    | 0x2000_0000
    | 0x8000_0000;

/// An NTLMSSP NEGOTIATE message with empty domain and workstation.
pub fn negotiate_message() -> Vec<u8> {
    let mut m = Vec::with_capacity(32);
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&NEGOTIATE_FLAGS.to_le_bytes());
    m.extend_from_slice(&[0u8; 16]); // domain and workstation fields: empty
    m
}

/// What a CHALLENGE told us.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NtlmInfo {
    /// OS major version.
    pub major: Option<u8>,
    /// OS minor version.
    pub minor: Option<u8>,
    /// OS build number.
    pub build: Option<u16>,
    /// Target name (usually the domain or computer name).
    pub target_name: Option<String>,
    /// NetBIOS computer name (AV pair 1).
    pub netbios_computer: Option<String>,
    /// NetBIOS domain name (AV pair 2).
    pub netbios_domain: Option<String>,
    /// DNS computer name (AV pair 3).
    pub dns_computer: Option<String>,
    /// DNS domain name (AV pair 4).
    pub dns_domain: Option<String>,
    /// DNS forest name (AV pair 5).
    pub dns_tree: Option<String>,
}

impl NtlmInfo {
    /// `10.0.17763` when the version was present.
    pub fn version_string(&self) -> Option<String> {
        Some(format!("{}.{}.{}", self.major?, self.minor?, self.build?))
    }
}

/// Finds an NTLMSSP CHALLENGE anywhere in `bytes` (raw, or wrapped in SPNEGO/SMB) and parses it.
pub fn find_challenge(bytes: &[u8]) -> Option<NtlmInfo> {
    let start = bytes
        .windows(SIGNATURE.len())
        .position(|w| w == SIGNATURE)?;
    parse_challenge(&bytes[start..])
}

/// Parses a CHALLENGE message that starts at `m[0]`.
pub fn parse_challenge(m: &[u8]) -> Option<NtlmInfo> {
    if !m.starts_with(SIGNATURE) || le32(m, 8)? != 2 {
        return None;
    }
    let flags = le32(m, 20)?;
    let mut info = NtlmInfo {
        target_name: field(m, 12).and_then(utf16),
        ..NtlmInfo::default()
    };
    // The version sits at offset 48 when the server set NEGOTIATE_VERSION and the payload
    // starts after it.
    let target_info_offset = le32(m, 44).unwrap_or(0) as usize;
    if flags & 0x0200_0000 != 0
        && m.len() >= 56
        && (target_info_offset == 0 || target_info_offset >= 56)
    {
        info.major = m.get(48).copied();
        info.minor = m.get(49).copied();
        info.build = le16(m, 50);
    }
    if let Some(mut pairs) = field(m, 40) {
        for _ in 0..64 {
            let (Some(id), Some(len)) = (le16(pairs, 0), le16(pairs, 2)) else {
                break;
            };
            let len = usize::from(len);
            let Some(value) = pairs.get(4..4 + len) else {
                break;
            };
            let text = || utf16(value);
            match id {
                0 => break,
                1 => info.netbios_computer = text(),
                2 => info.netbios_domain = text(),
                3 => info.dns_computer = text(),
                4 => info.dns_domain = text(),
                5 => info.dns_tree = text(),
                _ => {}
            }
            pairs = &pairs[4 + len..];
        }
    }
    Some(info)
}

/// A (length, max length, offset) field at `at`, resolved to its bytes when in bounds.
fn field(m: &[u8], at: usize) -> Option<&[u8]> {
    let len = usize::from(le16(m, at)?);
    let offset = le32(m, at + 4)? as usize;
    if len == 0 {
        return None;
    }
    m.get(offset..offset.checked_add(len)?)
}

/// UTF-16LE to a printable string of at most 64 characters.
fn utf16(bytes: &[u8]) -> Option<String> {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take(256)
        .collect();
    let s = crate::wire::clean_text(&String::from_utf16_lossy(&units), 64);
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// Builds a CHALLENGE as a Windows server would, for tests and the corpus.
    pub(crate) fn challenge(
        major: u8,
        minor: u8,
        build: u16,
        computer: &str,
        domain: &str,
    ) -> Vec<u8> {
        let target = utf16le(domain);
        let mut pairs = Vec::new();
        for (id, v) in [
            (2u16, domain),
            (1, computer),
            (4, "example.local"),
            (3, "pc.example.local"),
        ] {
            let v = utf16le(v);
            pairs.extend_from_slice(&id.to_le_bytes());
            pairs.extend_from_slice(&(v.len() as u16).to_le_bytes());
            pairs.extend_from_slice(&v);
        }
        pairs.extend_from_slice(&[0, 0, 0, 0]);
        let mut m = Vec::new();
        m.extend_from_slice(SIGNATURE);
        m.extend_from_slice(&2u32.to_le_bytes());
        let target_off = 56u32;
        m.extend_from_slice(&(target.len() as u16).to_le_bytes());
        m.extend_from_slice(&(target.len() as u16).to_le_bytes());
        m.extend_from_slice(&target_off.to_le_bytes());
        m.extend_from_slice(&(NEGOTIATE_FLAGS | 0x0002_0000).to_le_bytes());
        m.extend_from_slice(&[0x11; 8]); // server challenge
        m.extend_from_slice(&[0; 8]);
        let info_off = target_off + target.len() as u32;
        m.extend_from_slice(&(pairs.len() as u16).to_le_bytes());
        m.extend_from_slice(&(pairs.len() as u16).to_le_bytes());
        m.extend_from_slice(&info_off.to_le_bytes());
        m.extend_from_slice(&[major, minor]);
        m.extend_from_slice(&build.to_le_bytes());
        m.extend_from_slice(&[0, 0, 0, 15]);
        m.extend_from_slice(&target);
        m.extend_from_slice(&pairs);
        m
    }

    #[test]
    fn negotiate_has_no_credentials() {
        let m = negotiate_message();
        assert_eq!(m.len(), 32);
        assert!(m.starts_with(SIGNATURE));
        assert!(
            m[16..].iter().all(|&b| b == 0),
            "no domain or workstation sent"
        );
    }

    #[test]
    fn parses_version_and_names() {
        let mut wrapped = b"\xa1\x81\xc0junk".to_vec();
        wrapped.extend_from_slice(&challenge(10, 0, 17763, "WIN-SRV01", "HOSPITAL"));
        let info = find_challenge(&wrapped).unwrap();
        assert_eq!(info.version_string().as_deref(), Some("10.0.17763"));
        assert_eq!(info.netbios_computer.as_deref(), Some("WIN-SRV01"));
        assert_eq!(info.netbios_domain.as_deref(), Some("HOSPITAL"));
        assert_eq!(info.dns_computer.as_deref(), Some("pc.example.local"));
        assert_eq!(info.target_name.as_deref(), Some("HOSPITAL"));
    }

    #[test]
    fn truncated_and_lying_challenges_do_not_panic() {
        let full = challenge(6, 1, 7601, "PC", "WG");
        for cut in 0..full.len() {
            let _ = parse_challenge(&full[..cut]);
        }
        let mut lying = full.clone();
        lying[40] = 0xff; // target info length far past the end
        lying[41] = 0xff;
        let info = parse_challenge(&lying).unwrap();
        assert_eq!(info.netbios_computer, None);
        assert_eq!(info.build, Some(7601));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let mut m = SIGNATURE.to_vec();
            m.extend_from_slice(&2u32.to_le_bytes());
            m.extend_from_slice(&data);
            let _ = parse_challenge(&m);
            let _ = find_challenge(&data);
        }
    }
}
