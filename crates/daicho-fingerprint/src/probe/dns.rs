//! DNS: the read-only CHAOS-class `version.bind` TXT query most servers (dnsmasq, BIND, Unbound,
//! Knot) answer with their name and version. Over UDP as is, over TCP with the 2-byte length.

use crate::wire::{be16, clean_text};

/// The query for `version.bind` TXT in class CHAOS, with transaction id `id`.
pub fn version_query(id: u16) -> Vec<u8> {
    let mut m = Vec::with_capacity(30);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD, one question
    for label in ["version", "bind"] {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&[0, 16, 0, 3]); // TXT, CHAOS
    m
}

/// Skips a (possibly compressed) name at `at`; returns the offset after it.
fn skip_name(m: &[u8], mut at: usize) -> Option<usize> {
    for _ in 0..128 {
        let len = *m.get(at)?;
        if len == 0 {
            return Some(at + 1);
        }
        if len & 0xc0 == 0xc0 {
            return Some(at + 2);
        }
        at += 1 + usize::from(len);
    }
    None
}

/// The first TXT string of the answer to our query `id`, if the server gave one.
pub fn parse_version(m: &[u8], id: u16) -> Option<String> {
    if be16(m, 0)? != id || m.get(2)? & 0x80 == 0 || m.get(3)? & 0x0f != 0 {
        return None;
    }
    let questions = be16(m, 4)?;
    let answers = be16(m, 6)?;
    let mut at = 12;
    for _ in 0..questions.min(4) {
        at = skip_name(m, at)? + 4;
    }
    for _ in 0..answers.min(8) {
        at = skip_name(m, at)?;
        let kind = be16(m, at)?;
        let rdlen = usize::from(be16(m, at + 8)?);
        let rdata = m.get(at + 10..at + 10 + rdlen)?;
        at += 10 + rdlen;
        if kind == 16 {
            let len = usize::from(*rdata.first()?);
            let text = String::from_utf8_lossy(rdata.get(1..1 + len)?);
            let text = clean_text(&text, 80);
            return (!text.is_empty()).then_some(text);
        }
    }
    None
}

/// Product and version from a `version.bind` text: `dnsmasq-2.90`, `unbound 1.17.1`,
/// `9.18.24-1-Debian` (BIND says only its version).
pub fn product_of(text: &str) -> (Option<String>, Option<String>) {
    let lower = text.to_ascii_lowercase();
    for (prefix, product) in [
        ("dnsmasq-", "dnsmasq"),
        ("unbound ", "Unbound"),
        ("knot dns ", "Knot DNS"),
        ("powerdns recursor ", "PowerDNS Recursor"),
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            let v = rest.split_whitespace().next().map(str::to_owned);
            return (Some(product.to_owned()), v);
        }
    }
    if text.starts_with(|c: char| c.is_ascii_digit()) && text.contains('.') {
        let v = text.split(['-', ' ']).next().map(str::to_owned);
        return (Some("ISC BIND".to_owned()), v);
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: u16, txt: &str) -> Vec<u8> {
        let q = version_query(id);
        let mut m = q.clone();
        m[2] = 0x85;
        m[3] = 0x80;
        m[7] = 1;
        m.extend_from_slice(&[0xc0, 0x0c, 0, 16, 0, 3, 0, 0, 0, 0]);
        m.extend_from_slice(&((txt.len() + 1) as u16).to_be_bytes());
        m.push(txt.len() as u8);
        m.extend_from_slice(txt.as_bytes());
        m
    }

    #[test]
    fn reads_the_version_text() {
        let m = answer(0x4444, "dnsmasq-2.90");
        assert_eq!(parse_version(&m, 0x4444).as_deref(), Some("dnsmasq-2.90"));
        assert_eq!(parse_version(&m, 0x4445), None);
        assert_eq!(
            product_of("dnsmasq-2.90"),
            (Some("dnsmasq".into()), Some("2.90".into()))
        );
        assert_eq!(
            product_of("9.18.24-1-Debian"),
            (Some("ISC BIND".into()), Some("9.18.24".into()))
        );
        assert_eq!(product_of("none of your business"), (None, None));
        for cut in 0..m.len() {
            let _ = parse_version(&m[..cut], 0x4444);
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse_version(&data, 0x4444);
        }
    }
}
