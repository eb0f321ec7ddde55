//! Listening sockets and their owners.
//!
//! Linux: `/proc/net/{tcp,tcp6,udp,udp6}` give the sockets with their inode; the owner is the
//! process whose `/proc/PID/fd/*` links to `socket:[INODE]`. Windows: `netstat -ano` gives the
//! owning pid directly.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use daicho_model::Protocol;

/// One socket read from a `/proc/net` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcSocket {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// Local address.
    pub address: IpAddr,
    /// Local port.
    pub port: u16,
    /// The socket's inode, the key to its owner.
    pub inode: u64,
}

/// The kernel's TCP_LISTEN state number.
const TCP_LISTEN: &str = "0A";
/// TCP_CLOSE: what an unconnected, bound UDP socket shows.
const UDP_UNCONNECTED: &str = "07";

/// Parses one `/proc/net/{tcp,tcp6,udp,udp6}` table and keeps the listening sockets: LISTEN for
/// TCP; bound but unconnected (no remote port) for UDP.
pub fn parse_proc_net(text: &str, protocol: Protocol) -> Vec<ProcSocket> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, remote, state, inode) = (
                fields.get(1)?,
                fields.get(2)?,
                fields.get(3)?,
                fields.get(9)?,
            );
            let listening = match protocol {
                Protocol::Tcp => *state == TCP_LISTEN,
                Protocol::Udp => *state == UDP_UNCONNECTED && remote.ends_with(":0000"),
            };
            if !listening {
                return None;
            }
            let (address, port) = parse_hex_endpoint(local)?;
            Some(ProcSocket {
                protocol,
                address,
                port,
                inode: inode.parse().ok()?,
            })
        })
        .collect()
}

/// Parses `0100007F:1F90` (IPv4) or 32 hex digits + port (IPv6). The kernel prints each 32-bit
/// word of the network-order address as a native-endian number.
fn parse_hex_endpoint(text: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let chunk = addr.get(i * 8..i * 8 + 8)?;
        Some(u32::from_str_radix(chunk, 16).ok()?.to_ne_bytes())
    };
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut octets = [0u8; 16];
            for i in 0..4 {
                octets[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return None,
    };
    Some((ip, port))
}

/// Reads the inode out of an fd link target such as `socket:[12345]`.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// A listening socket as `netstat -ano` shows it on Windows, with its owning pid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetstatSocket {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// Local address.
    pub address: IpAddr,
    /// Local port.
    pub port: u16,
    /// Owning process id.
    pub pid: u32,
}

/// Parses Windows `netstat -ano` output: TCP rows in `LISTENING` state and every UDP row (UDP
/// rows have no state; a bound UDP socket is a listener).
pub fn parse_netstat(text: &str) -> Vec<NetstatSocket> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (protocol, pid) = match fields.as_slice() {
                ["TCP", _, _, "LISTENING", pid] => (Protocol::Tcp, pid),
                ["UDP", _, _, pid] => (Protocol::Udp, pid),
                _ => return None,
            };
            let (address, port) = parse_netstat_endpoint(fields[1])?;
            Some(NetstatSocket {
                protocol,
                address,
                port,
                pid: pid.parse().ok()?,
            })
        })
        .collect()
}

/// `0.0.0.0:135`, `[::]:445`, `[fe80::1%3]:123`.
fn parse_netstat_endpoint(text: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = text.rsplit_once(':')?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let addr = addr.split('%').next()?;
    Some((addr.parse().ok()?, port.parse().ok()?))
}

/// Maps socket inodes to owning pids from `(pid, fd link target)` pairs.
pub fn inode_owners<'a>(links: impl IntoIterator<Item = (u32, &'a str)>) -> HashMap<u64, u32> {
    links
        .into_iter()
        .filter_map(|(pid, link)| Some((socket_inode(link)?, pid)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from a little-endian host: the hex words are native-endian.
    #[cfg(target_endian = "little")]
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40001 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40002 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D3C2 01 00000000:00000000 00:00000000 00000000     0        0 40003 1 0000000000000000 20 4 30 10 -1
";

    #[cfg(target_endian = "little")]
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 50001 1 0000000000000000 100 0 0 10 0
   1: 000080FE00000000FF005452563412FE:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 50002 1 0000000000000000 100 0 0 10 0
";

    #[cfg(target_endian = "little")]
    const UDP: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 60001 2 0000000000000000 0
  101: 0A00000A:A1B2 0100000A:0035 01 00000000:00000000 00:00000000 00000000     0        0 60002 2 0000000000000000 0
";

    #[test]
    #[cfg(target_endian = "little")]
    fn tcp_keeps_only_listeners() {
        let sockets = parse_proc_net(TCP, Protocol::Tcp);
        assert_eq!(sockets.len(), 2);
        assert_eq!(sockets[0].address, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(sockets[0].port, 8080);
        assert_eq!(sockets[0].inode, 40001);
        assert_eq!(sockets[1].address, IpAddr::from([0, 0, 0, 0]));
        assert_eq!(sockets[1].port, 22);
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn tcp6_addresses_decode_word_by_word() {
        let sockets = parse_proc_net(TCP6, Protocol::Tcp);
        assert_eq!(sockets[0].address, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(sockets[0].port, 80);
        assert_eq!(
            sockets[1].address,
            "fe80::5254:ff:fe12:3456".parse::<IpAddr>().unwrap()
        );
        assert_eq!(sockets[1].port, 631);
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn udp_keeps_bound_unconnected_sockets() {
        let sockets = parse_proc_net(UDP, Protocol::Udp);
        assert_eq!(sockets.len(), 1);
        assert_eq!(sockets[0].port, 68);
        assert_eq!(sockets[0].inode, 60001);
    }

    #[test]
    fn malformed_lines_are_skipped() {
        assert!(
            parse_proc_net("header\n 0: zz:zz 00:00 0A x x x x x 1\n", Protocol::Tcp).is_empty()
        );
        assert!(parse_proc_net("", Protocol::Udp).is_empty());
    }

    #[test]
    fn fd_links_map_inodes_to_pids() {
        let owners = inode_owners([
            (10, "socket:[40001]"),
            (10, "/dev/null"),
            (11, "pipe:[777]"),
            (12, "socket:[40002]"),
        ]);
        assert_eq!(owners.len(), 2);
        assert_eq!(owners[&40001], 10);
        assert_eq!(owners[&40002], 12);
    }

    #[test]
    fn netstat_listeners_with_pids() {
        let out = "
Active Connections

  Proto  Local Address          Foreign Address        State           PID
  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1044
  TCP    10.0.0.5:50123         20.1.2.3:443           ESTABLISHED     5120
  TCP    [::]:445               [::]:0                 LISTENING       4
  UDP    0.0.0.0:123            *:*                                    1500
  UDP    [fe80::1%7]:1900       *:*                                    3100
";
        let sockets = parse_netstat(out);
        assert_eq!(sockets.len(), 4);
        assert_eq!(sockets[0].port, 135);
        assert_eq!(sockets[0].pid, 1044);
        assert_eq!(sockets[1].address, "::".parse::<IpAddr>().unwrap());
        assert_eq!(sockets[2].protocol, Protocol::Udp);
        assert_eq!(sockets[3].address, "fe80::1".parse::<IpAddr>().unwrap());
    }
}
