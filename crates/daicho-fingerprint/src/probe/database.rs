//! Database greetings: MySQL/MariaDB handshake, PostgreSQL SSLRequest, MSSQL PRELOGIN.
//!
//! PostgreSQL: we send only an SSLRequest and read the one-byte answer (`S` or `N`). A startup
//! message would elicit an error naming the server but also an authentication failure in the
//! server's log; the SSLRequest identifies the protocol without touching authentication. The
//! version is not learned this way, a deliberate trade for politeness.

use crate::wire::{be16, clean_text, le16};

/// What a MySQL-protocol server said first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MysqlGreeting {
    /// A protocol-10 handshake with the server version string.
    Handshake {
        /// Product: `MySQL` or `MariaDB`.
        product: String,
        /// Version, e.g. `8.0.36` or `10.11.6`.
        version: String,
        /// The version string exactly as sent.
        raw_version: String,
    },
    /// An error packet (e.g. "Host … is not allowed to connect").
    Error {
        /// Error code.
        code: u16,
        /// Message text.
        message: String,
    },
}

/// Parses the first packet of a MySQL/MariaDB connection.
pub fn parse_mysql_greeting(b: &[u8]) -> Option<MysqlGreeting> {
    let len = usize::from(le16(b, 0)?) | (usize::from(*b.get(2)?) << 16);
    if *b.get(3)? != 0 || !(5..=4096).contains(&len) {
        return None;
    }
    let payload = b.get(4..(4 + len).min(b.len()))?;
    match *payload.first()? {
        0x0a => {
            let end = payload[1..].iter().position(|&c| c == 0)?;
            let raw = clean_text(&String::from_utf8_lossy(&payload[1..=end]), 64);
            if raw.is_empty() || !raw.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            // MariaDB prefixes "5.5.5-" for old clients: "5.5.5-10.11.6-MariaDB-0+deb12u1".
            let trimmed = raw.strip_prefix("5.5.5-").unwrap_or(&raw);
            let product = if raw.contains("MariaDB") {
                "MariaDB"
            } else {
                "MySQL"
            };
            let version: String = trimmed
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            Some(MysqlGreeting::Handshake {
                product: product.to_owned(),
                version,
                raw_version: raw,
            })
        }
        0xff => Some(MysqlGreeting::Error {
            code: le16(payload, 1)?,
            message: clean_text(&String::from_utf8_lossy(payload.get(3..)?), 120),
        }),
        _ => None,
    }
}

/// True when the first bytes could be the start of a MySQL packet (so the reader waits for it).
pub fn mysql_packet_complete(b: &[u8]) -> bool {
    match (le16(b, 0), b.get(2)) {
        (Some(lo), Some(&hi)) => b.len() >= 4 + (usize::from(lo) | (usize::from(hi) << 16)),
        _ => false,
    }
}

/// PostgreSQL SSLRequest: length 8, code 80877103.
pub const POSTGRES_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Reads the SSLRequest answer: `Some(true)` for `S` (TLS offered), `Some(false)` for `N`.
pub fn parse_postgres_ssl_answer(b: &[u8]) -> Option<bool> {
    match b {
        [b'S'] => Some(true),
        [b'N'] => Some(false),
        _ => None,
    }
}

/// An MSSQL PRELOGIN packet (TDS type 0x12) with version, encryption "not supported",
/// instance, thread id and MARS options. It asks nothing of the server but its version.
pub fn mssql_prelogin() -> Vec<u8> {
    let options: [(u8, &[u8]); 5] = [
        (0x00, &[0, 0, 0, 0, 0, 0]),
        (0x01, &[0x02]),
        (0x02, &[0x00]),
        (0x03, &[0, 0, 0, 0]),
        (0x04, &[0x00]),
    ];
    let table_len = options.len() * 5 + 1;
    let mut table = Vec::new();
    let mut data = Vec::new();
    for (token, value) in options {
        table.push(token);
        table.extend_from_slice(&((table_len + data.len()) as u16).to_be_bytes());
        table.extend_from_slice(&(value.len() as u16).to_be_bytes());
        data.extend_from_slice(value);
    }
    table.push(0xff);
    let total = 8 + table.len() + data.len();
    let mut m = vec![0x12, 0x01];
    m.extend_from_slice(&(total as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    m.extend_from_slice(&table);
    m.extend_from_slice(&data);
    m
}

/// The TDS packet length from an 8-byte header, for a tabular-result packet.
pub fn tds_length(h: &[u8]) -> Option<usize> {
    if *h.first()? != 0x04 {
        return None;
    }
    let len = usize::from(be16(h, 2)?);
    (9..=8192).contains(&len).then_some(len)
}

/// SQL Server version from a PRELOGIN response: (major, minor, build).
pub fn parse_mssql_prelogin(packet: &[u8]) -> Option<(u8, u8, u16)> {
    let len = tds_length(packet)?;
    let payload = packet.get(8..len.min(packet.len()))?;
    let mut at = 0;
    for _ in 0..32 {
        let token = *payload.get(at)?;
        if token == 0xff {
            return None;
        }
        let offset = usize::from(be16(payload, at + 1)?);
        let size = usize::from(be16(payload, at + 3)?);
        if token == 0x00 && size >= 6 {
            let v = payload.get(offset..offset + 6)?;
            return Some((v[0], v[1], u16::from_be_bytes([v[2], v[3]])));
        }
        at += 5;
    }
    None
}

/// Marketing name of an SQL Server major.minor.
pub fn mssql_release(major: u8, minor: u8) -> Option<&'static str> {
    Some(match (major, minor) {
        (17, _) => "2025",
        (16, _) => "2022",
        (15, _) => "2019",
        (14, _) => "2017",
        (13, _) => "2016",
        (12, _) => "2014",
        (11, _) => "2012",
        (10, 50) => "2008 R2",
        (10, _) => "2008",
        (9, _) => "2005",
        (8, _) => "2000",
        _ => return None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn mysql_handshake(version: &str) -> Vec<u8> {
        let mut payload = vec![0x0a];
        payload.extend_from_slice(version.as_bytes());
        payload.push(0);
        payload.extend_from_slice(&[
            1, 0, 0, 0, b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h', 0,
        ]);
        let mut m = (payload.len() as u32).to_le_bytes()[..3].to_vec();
        m.push(0);
        m.extend_from_slice(&payload);
        m
    }

    pub(crate) fn mssql_response(major: u8, minor: u8, build: u16) -> Vec<u8> {
        let mut p = mssql_prelogin();
        p[0] = 0x04;
        let v = build.to_be_bytes();
        p[8 + 26..8 + 32].copy_from_slice(&[major, minor, v[0], v[1], 0, 0]);
        p
    }

    #[test]
    fn mysql_and_mariadb() {
        let g = parse_mysql_greeting(&mysql_handshake("8.0.36-0ubuntu0.22.04.1")).unwrap();
        assert_eq!(
            g,
            MysqlGreeting::Handshake {
                product: "MySQL".into(),
                version: "8.0.36".into(),
                raw_version: "8.0.36-0ubuntu0.22.04.1".into()
            }
        );
        let g = parse_mysql_greeting(&mysql_handshake("5.5.5-10.11.6-MariaDB-0+deb12u1")).unwrap();
        assert!(
            matches!(g, MysqlGreeting::Handshake { ref product, ref version, .. } if product == "MariaDB" && version == "10.11.6")
        );
        let err = b"\x30\x00\x00\x00\xff\x6a\x04Host '198.18.0.2' is not allowed to connect";
        assert!(matches!(
            parse_mysql_greeting(err),
            Some(MysqlGreeting::Error { code: 1130, .. })
        ));
        assert!(parse_mysql_greeting(b"SSH-2.0-x\r\n").is_none());
        assert!(mysql_packet_complete(&mysql_handshake("8.0.1")));
        assert!(!mysql_packet_complete(&mysql_handshake("8.0.1")[..10]));
    }

    #[test]
    fn mssql_prelogin_round_trip() {
        let p = mssql_prelogin();
        assert_eq!(usize::from(be16(&p, 2).unwrap()), p.len());
        assert_eq!(
            parse_mssql_prelogin(&mssql_response(15, 0, 2000)),
            Some((15, 0, 2000))
        );
        assert_eq!(mssql_release(15, 0), Some("2019"));
        assert_eq!(mssql_release(10, 50), Some("2008 R2"));
        assert!(
            parse_mssql_prelogin(&p).is_none(),
            "a request is not a response"
        );
    }

    #[test]
    fn postgres_answers() {
        assert_eq!(parse_postgres_ssl_answer(b"S"), Some(true));
        assert_eq!(parse_postgres_ssl_answer(b"N"), Some(false));
        assert_eq!(parse_postgres_ssl_answer(b"E"), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse_mysql_greeting(&data);
            let _ = mysql_packet_complete(&data);
            let _ = parse_mssql_prelogin(&data);
            let mut t = vec![0x04, 0x01, 0x00, (data.len() + 8).min(255) as u8, 0, 0, 0, 0];
            t.extend_from_slice(&data);
            let _ = parse_mssql_prelogin(&t);
        }
    }
}
