//! SSH identification string (`SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6`), RFC 4253 §4.2.

use crate::wire::clean_text;

/// A parsed SSH identification string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshBanner {
    /// The whole line as sent, printable, without the line end.
    pub line: String,
    /// Protocol version (`2.0`, `1.99`).
    pub protocol: String,
    /// Product name, e.g. `OpenSSH`, `Dropbear sshd`.
    pub product: String,
    /// Product version, e.g. `8.9p1`.
    pub version: Option<String>,
    /// The comment after the first space, e.g. `Ubuntu-3ubuntu0.6` or `Debian-5+deb11u3`.
    pub comment: Option<String>,
}

/// Finds and parses the identification line. Servers may print other lines first; the
/// identification line is the first that starts with `SSH-`. Lines are cut at 255 bytes.
pub fn parse_banner(bytes: &[u8]) -> Option<SshBanner> {
    let line = bytes
        .split(|&b| b == b'\n')
        .take(32)
        .find(|l| l.starts_with(b"SSH-"))?;
    let line = &line[..line.len().min(255)];
    let text = String::from_utf8_lossy(line);
    let text = clean_text(text.trim_end_matches('\r'), 255);
    let rest = text.strip_prefix("SSH-")?;
    let (protocol, software_and_comment) = rest.split_once('-')?;
    if protocol.is_empty() || !protocol.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let (software, comment) = match software_and_comment.split_once(' ') {
        Some((s, c)) => (s, Some(c.trim().to_owned()).filter(|c| !c.is_empty())),
        None => (software_and_comment, None),
    };
    if software.is_empty() {
        return None;
    }
    let (product, version) = split_software(software);
    Some(SshBanner {
        line: text.clone(),
        protocol: protocol.to_owned(),
        product,
        version,
        comment,
    })
}

/// `OpenSSH_8.9p1` → (`OpenSSH`, `8.9p1`); known names get their usual spelling.
fn split_software(software: &str) -> (String, Option<String>) {
    let (name, version) = match software.split_once(['_', '-']) {
        Some((n, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => (n, Some(v.to_owned())),
        _ => (software, None),
    };
    let product = match name.to_ascii_lowercase().as_str() {
        "openssh" => "OpenSSH",
        "dropbear" => "Dropbear sshd",
        "cisco" => "Cisco SSH",
        "rosssh" => "MikroTik RouterOS sshd",
        "libssh" => "libssh",
        "paramiko" => "Paramiko",
        "mod_sftp" => "ProFTPD mod_sftp",
        _ => name,
    };
    (product.to_owned(), version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_banners() {
        let b = parse_banner(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n").unwrap();
        assert_eq!(b.protocol, "2.0");
        assert_eq!(b.product, "OpenSSH");
        assert_eq!(b.version.as_deref(), Some("8.9p1"));
        assert_eq!(b.comment.as_deref(), Some("Ubuntu-3ubuntu0.6"));
        let b = parse_banner(b"SSH-2.0-dropbear_2020.81\r\n").unwrap();
        assert_eq!(
            (b.product.as_str(), b.version.as_deref()),
            ("Dropbear sshd", Some("2020.81"))
        );
        let b = parse_banner(b"SSH-1.99-Cisco-1.25\n").unwrap();
        assert_eq!(
            (b.product.as_str(), b.version.as_deref()),
            ("Cisco SSH", Some("1.25"))
        );
        let b = parse_banner(b"SSH-2.0-OpenSSH_5.3\r\n").unwrap();
        assert_eq!(b.comment, None);
    }

    #[test]
    fn skips_preamble_and_refuses_garbage() {
        let b = parse_banner(b"Welcome\r\nSSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n").unwrap();
        assert_eq!(b.comment.as_deref(), Some("Debian-2+deb12u3"));
        assert!(parse_banner(b"HTTP/1.1 400 Bad Request\r\n").is_none());
        assert!(parse_banner(b"SSH-").is_none());
        assert!(parse_banner(b"SSH-x-y").is_none());
        assert!(parse_banner(b"SSH-2.0-").is_none());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_stays_short(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            if let Some(b) = parse_banner(&data) {
                proptest::prop_assert!(b.line.len() <= 255 * 4);
            }
            let mut prefixed = b"SSH-2.0-".to_vec();
            prefixed.extend_from_slice(&data);
            let _ = parse_banner(&prefixed);
        }
    }
}
