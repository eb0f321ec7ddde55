//! The listening-socket tables of Windows' IP Helper API as `GetExtendedTcpTable` and
//! `GetExtendedUdpTable` fill their buffer, decoded by the documented layouts:
//!
//! - `MIB_TCPTABLE_OWNER_PID` (class `TCP_TABLE_OWNER_PID_LISTENER`, `AF_INET`): `dwNumEntries`,
//!   then `MIB_TCPROW_OWNER_PID` rows of six DWORDs: `dwState`, `dwLocalAddr`, `dwLocalPort`,
//!   `dwRemoteAddr`, `dwRemotePort`, `dwOwningPid`;
//! - `MIB_TCP6TABLE_OWNER_PID` (`AF_INET6`): `MIB_TCP6ROW_OWNER_PID` rows of `ucLocalAddr[16]`,
//!   `dwLocalScopeId`, `dwLocalPort`, `ucRemoteAddr[16]`, `dwRemoteScopeId`, `dwRemotePort`,
//!   `dwState`, `dwOwningPid`;
//! - `MIB_UDPTABLE_OWNER_PID` (class `UDP_TABLE_OWNER_PID`): `dwLocalAddr`, `dwLocalPort`,
//!   `dwOwningPid`; `MIB_UDP6TABLE_OWNER_PID`: `ucLocalAddr[16]`, `dwLocalScopeId`,
//!   `dwLocalPort`, `dwOwningPid`.
//!
//! DWORDs are in the machine's (little-endian) order; addresses are in network order as they
//! sit in memory; a port is the low 16 bits of its DWORD in network order.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use daicho_model::Protocol;

/// `MIB_TCP_STATE_LISTEN`.
pub const MIB_TCP_STATE_LISTEN: u32 = 2;

/// One listening socket and its owning process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedSocket {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// Local address.
    pub address: IpAddr,
    /// Local port.
    pub port: u16,
    /// Owning process id.
    pub pid: u32,
}

/// Why a table could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// The buffer is shorter than its entry count says.
    #[error("the socket table says {entries} rows of {row} bytes but holds {len} bytes")]
    Truncated {
        /// `dwNumEntries`.
        entries: u32,
        /// Bytes per row.
        row: usize,
        /// The buffer's length.
        len: usize,
    },
}

/// The kind of table in a buffer: which protocol and address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableKind {
    /// `MIB_TCPTABLE_OWNER_PID`.
    Tcp4,
    /// `MIB_TCP6TABLE_OWNER_PID`.
    Tcp6,
    /// `MIB_UDPTABLE_OWNER_PID`.
    Udp4,
    /// `MIB_UDP6TABLE_OWNER_PID`.
    Udp6,
}

impl TableKind {
    /// Bytes in one row.
    pub const fn row_len(self) -> usize {
        match self {
            Self::Tcp4 => 24,
            Self::Tcp6 => 56,
            Self::Udp4 => 12,
            Self::Udp6 => 28,
        }
    }

    /// The protocol of the table's sockets.
    pub const fn protocol(self) -> Protocol {
        match self {
            Self::Tcp4 | Self::Tcp6 => Protocol::Tcp,
            Self::Udp4 | Self::Udp6 => Protocol::Udp,
        }
    }
}

fn dword(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// The port in a `dw*Port` field: network order in the DWORD's first two bytes.
fn port(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

fn ipv6(bytes: &[u8], at: usize) -> IpAddr {
    let mut octets = [0u8; 16];
    octets.copy_from_slice(&bytes[at..at + 16]);
    IpAddr::V6(Ipv6Addr::from(octets))
}

/// Decodes a table buffer and keeps the listening sockets: TCP rows in `LISTEN` state (a
/// listener-class table holds only those, but an all-connections one is filtered the same way)
/// and every UDP row (a bound UDP socket is a listener).
pub fn parse_table(kind: TableKind, buf: &[u8]) -> Result<Vec<OwnedSocket>, TableError> {
    if buf.len() < 4 {
        return Ok(Vec::new());
    }
    let entries = dword(buf, 0);
    let row = kind.row_len();
    let needed = (entries as usize)
        .checked_mul(row)
        .and_then(|n| n.checked_add(4));
    if needed.is_none_or(|n| n > buf.len()) {
        return Err(TableError::Truncated {
            entries,
            row,
            len: buf.len(),
        });
    }
    let sockets = buf[4..]
        .chunks_exact(row)
        .take(entries as usize)
        .filter_map(|r| {
            let (state, address, port, pid) = match kind {
                TableKind::Tcp4 => (
                    Some(dword(r, 0)),
                    IpAddr::V4(Ipv4Addr::new(r[4], r[5], r[6], r[7])),
                    port(r, 8),
                    dword(r, 20),
                ),
                TableKind::Tcp6 => (Some(dword(r, 48)), ipv6(r, 0), port(r, 20), dword(r, 52)),
                TableKind::Udp4 => (
                    None,
                    IpAddr::V4(Ipv4Addr::new(r[0], r[1], r[2], r[3])),
                    port(r, 4),
                    dword(r, 8),
                ),
                TableKind::Udp6 => (None, ipv6(r, 0), port(r, 20), dword(r, 24)),
            };
            state
                .is_none_or(|s| s == MIB_TCP_STATE_LISTEN)
                .then_some(OwnedSocket {
                    protocol: kind.protocol(),
                    address,
                    port,
                    pid,
                })
        })
        .collect();
    Ok(sockets)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Sample tables built byte by byte from the documented MIB_*_OWNER_PID layouts (not captured
    // from a real machine).

    fn port_dword(p: u16) -> [u8; 4] {
        let [hi, lo] = p.to_be_bytes();
        [hi, lo, 0, 0]
    }

    fn table(rows: &[Vec<u8>]) -> Vec<u8> {
        let mut buf = (rows.len() as u32).to_le_bytes().to_vec();
        for r in rows {
            buf.extend(r);
        }
        buf
    }

    fn tcp4_row(state: u32, local: [u8; 4], lport: u16, pid: u32) -> Vec<u8> {
        let mut r = state.to_le_bytes().to_vec();
        r.extend(local);
        r.extend(port_dword(lport));
        r.extend([0u8; 4]);
        r.extend([0u8; 4]);
        r.extend(pid.to_le_bytes());
        r
    }

    #[test]
    fn tcp4_listeners_with_their_pid() {
        let buf = table(&[
            tcp4_row(MIB_TCP_STATE_LISTEN, [0, 0, 0, 0], 135, 1044),
            // ESTABLISHED (5) is not a listener.
            tcp4_row(5, [10, 0, 0, 5], 50123, 5120),
            tcp4_row(MIB_TCP_STATE_LISTEN, [127, 0, 0, 1], 8080, 4),
        ]);
        let sockets = parse_table(TableKind::Tcp4, &buf).unwrap();
        assert_eq!(
            sockets,
            vec![
                OwnedSocket {
                    protocol: Protocol::Tcp,
                    address: IpAddr::from([0, 0, 0, 0]),
                    port: 135,
                    pid: 1044
                },
                OwnedSocket {
                    protocol: Protocol::Tcp,
                    address: IpAddr::from([127, 0, 0, 1]),
                    port: 8080,
                    pid: 4
                },
            ]
        );
    }

    #[test]
    fn tcp6_rows_read_address_scope_port_state_pid() {
        let mut r = "fe80::1".parse::<Ipv6Addr>().unwrap().octets().to_vec();
        r.extend(7u32.to_le_bytes()); // scope id
        r.extend(port_dword(445));
        r.extend([0u8; 16]);
        r.extend(0u32.to_le_bytes());
        r.extend(port_dword(0));
        r.extend(MIB_TCP_STATE_LISTEN.to_le_bytes());
        r.extend(4u32.to_le_bytes());
        assert_eq!(r.len(), TableKind::Tcp6.row_len());
        let sockets = parse_table(TableKind::Tcp6, &table(&[r])).unwrap();
        assert_eq!(sockets[0].address, "fe80::1".parse::<IpAddr>().unwrap());
        assert_eq!(sockets[0].port, 445);
        assert_eq!(sockets[0].pid, 4);
    }

    #[test]
    fn udp_rows_are_all_listeners() {
        let mut r4 = vec![0, 0, 0, 0];
        r4.extend(port_dword(123));
        r4.extend(1500u32.to_le_bytes());
        let sockets = parse_table(TableKind::Udp4, &table(&[r4])).unwrap();
        assert_eq!(sockets[0].protocol, Protocol::Udp);
        assert_eq!(sockets[0].port, 123);
        assert_eq!(sockets[0].pid, 1500);

        let mut r6 = Ipv6Addr::UNSPECIFIED.octets().to_vec();
        r6.extend(0u32.to_le_bytes());
        r6.extend(port_dword(5353));
        r6.extend(3100u32.to_le_bytes());
        let sockets = parse_table(TableKind::Udp6, &table(&[r6])).unwrap();
        assert_eq!(sockets[0].address, "::".parse::<IpAddr>().unwrap());
        assert_eq!(sockets[0].port, 5353);
        assert_eq!(sockets[0].pid, 3100);
    }

    #[test]
    fn a_short_buffer_is_an_error_and_an_empty_one_is_no_sockets() {
        let mut buf = table(&[tcp4_row(MIB_TCP_STATE_LISTEN, [0; 4], 1, 1)]);
        buf.truncate(20);
        assert!(matches!(
            parse_table(TableKind::Tcp4, &buf),
            Err(TableError::Truncated { entries: 1, .. })
        ));
        assert_eq!(parse_table(TableKind::Udp4, &[]).unwrap(), vec![]);
        assert_eq!(
            parse_table(TableKind::Udp4, &0u32.to_le_bytes()).unwrap(),
            vec![]
        );
        // An absurd entry count cannot overflow the size check.
        assert!(parse_table(TableKind::Tcp6, &u32::MAX.to_le_bytes()).is_err());
    }
}
