//! Host names: reverse DNS (PTR via the system's resolvers), the NetBIOS node status query
//! (UDP 137) and a unicast mDNS PTR query (UDP 5353), each where the host or resolver answers.
//! Every query leaves through the [`PacketGate`].

use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::Duration;

use daicho_fingerprint::probe::netbios::{node_status_request, parse_node_status};
#[cfg(unix)]
use daicho_model::MacAddr;

#[cfg(unix)]
use crate::frames;
use crate::gate::{Destination, GateError, PacketGate};
#[cfg(unix)]
use crate::link::{LinkIo, LocalInterface};

/// Where a name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NameSource {
    /// A PTR record from the DNS resolver.
    Dns,
    /// The host's NetBIOS node status answer.
    Netbios,
    /// The host's own mDNS responder.
    Mdns,
}

impl NameSource {
    /// The method label used in reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Dns => "rdns",
            Self::Netbios => "netbios",
            Self::Mdns => "mdns",
        }
    }
}

/// The reverse-lookup name of an address: `d.c.b.a.in-addr.arpa`.
pub fn reverse_name(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
}

/// A DNS (or mDNS, with `recursion` off) PTR query for `ip`.
pub fn ptr_query(id: u16, ip: Ipv4Addr, recursion: bool) -> Vec<u8> {
    let mut q = Vec::with_capacity(64);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&(if recursion { 0x0100u16 } else { 0 }).to_be_bytes());
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    for label in reverse_name(ip).split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&[0, 12, 0, 1]); // PTR, IN
    q
}

/// Reads a (possibly compressed) DNS name at `pos`; returns it and the position after it.
fn read_name(msg: &[u8], mut pos: usize) -> Option<(String, usize)> {
    let mut labels: Vec<String> = Vec::new();
    let mut end = None;
    // Bounded: a hostile answer could loop its compression pointers.
    for _ in 0..64 {
        let len = *msg.get(pos)? as usize;
        if len == 0 {
            return Some((labels.join("."), end.unwrap_or(pos + 1)));
        }
        if len & 0xc0 == 0xc0 {
            let ptr = ((len & 0x3f) << 8) | *msg.get(pos + 1)? as usize;
            end.get_or_insert(pos + 2);
            pos = ptr;
            continue;
        }
        let label = msg.get(pos + 1..pos + 1 + len)?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        pos += 1 + len;
    }
    None
}

/// The first PTR answer of a DNS message whose id is `id`, without its trailing dot.
pub fn parse_ptr_answer(msg: &[u8], id: Option<u16>) -> Option<String> {
    if msg.len() < 12 {
        return None;
    }
    if let Some(id) = id
        && u16::from_be_bytes([msg[0], msg[1]]) != id
    {
        return None;
    }
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    if flags & 0x8000 == 0 || flags & 0x000f != 0 {
        return None; // not a response, or an error
    }
    let qd = u16::from_be_bytes([msg[4], msg[5]]);
    let an = u16::from_be_bytes([msg[6], msg[7]]);
    let mut pos = 12;
    for _ in 0..qd {
        pos = read_name(msg, pos)?.1 + 4;
    }
    for _ in 0..an {
        let (_, after) = read_name(msg, pos)?;
        let rtype = u16::from_be_bytes([*msg.get(after)?, *msg.get(after + 1)?]);
        let rdlen = u16::from_be_bytes([*msg.get(after + 8)?, *msg.get(after + 9)?]) as usize;
        let rdata = after + 10;
        if rtype == 12 {
            let (name, _) = read_name(msg, rdata)?;
            let name = name.trim_end_matches('.').to_owned();
            return (!name.is_empty() && name.len() <= 253).then_some(name);
        }
        pos = rdata + rdlen;
    }
    None
}

/// True when `ip` already has a name from `source` or a source preferred to it.
fn named_by(
    answers: &BTreeMap<Ipv4Addr, BTreeMap<NameSource, String>>,
    ip: Ipv4Addr,
    source: NameSource,
) -> bool {
    answers
        .get(&ip)
        .is_some_and(|by| by.keys().any(|s| *s <= source))
}

/// The IPv4 name servers of `/etc/resolv.conf`.
pub fn system_resolvers() -> Vec<Ipv4Addr> {
    std::fs::read_to_string("/etc/resolv.conf")
        .map(|text| parse_resolv_conf(&text))
        .unwrap_or_default()
}

/// The IPv4 `nameserver` lines of a resolv.conf text.
pub fn parse_resolv_conf(text: &str) -> Vec<Ipv4Addr> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("nameserver"))
                .then(|| words.next()?.parse().ok())
                .flatten()
        })
        .collect()
}

/// Which name sources to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameConfig {
    /// Resolvers for reverse DNS; empty to skip it.
    pub resolvers: Vec<Ipv4Addr>,
    /// Ask hosts for their NetBIOS name.
    pub netbios: bool,
    /// Ask hosts' mDNS responders.
    pub mdns: bool,
    /// How long to wait for answers after the last query.
    pub wait: Duration,
}

/// A link on which some hosts can be reached with frames (Unix: raw frames need pnet).
#[cfg(unix)]
pub struct DirectLink<'a> {
    /// The link.
    pub link: &'a mut dyn LinkIo,
    /// Our addresses on it.
    pub iface: &'a LocalInterface,
    /// Hosts on it and their MACs.
    pub macs: &'a BTreeMap<Ipv4Addr, MacAddr>,
}

#[cfg(unix)]
impl DirectLink<'_> {
    fn send(
        &mut self,
        gate: &PacketGate,
        ip: Ipv4Addr,
        src_port: u16,
        dst_port: u16,
        payload: &[u8],
    ) -> Option<Result<usize, GateError>> {
        let mac = *self.macs.get(&ip)?;
        let frame = frames::udp_frame(
            self.iface.mac,
            self.iface.ip,
            mac,
            ip,
            src_port,
            dst_port,
            payload,
        );
        Some(gate.send_frame(self.link, &frame).map(|_| payload.len()))
    }
}

/// Asks for the names of `hosts`; returns the best name per host with its source.
/// Preference: DNS (the operator's own records), then NetBIOS, then mDNS.
///
/// Hosts listed in `direct` (on the link, MAC known) get their queries as frames on that link,
/// so the kernel sends no ARP of its own; the others go through ordinary UDP sockets (all of
/// them on Windows, which has no raw link).
pub fn resolve_names(
    gate: &PacketGate,
    hosts: &[Ipv4Addr],
    config: &NameConfig,
    #[cfg(unix)] mut direct: Option<DirectLink<'_>>,
) -> Result<BTreeMap<Ipv4Addr, (String, NameSource)>, GateError> {
    let bind = || -> io::Result<UdpSocket> {
        let s = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))?;
        s.set_nonblocking(true)?;
        Ok(s)
    };
    let dns = bind()?;
    let nb = bind()?;
    let mdns = bind()?;
    let resolver = config.resolvers.first().copied();
    let mut answers: BTreeMap<Ipv4Addr, BTreeMap<NameSource, String>> = BTreeMap::new();
    let base_id = (std::process::id() as u16).wrapping_mul(31);

    let drain = |answers: &mut BTreeMap<Ipv4Addr, BTreeMap<NameSource, String>>| {
        let mut buf = [0u8; 1500];
        while let Ok((n, SocketAddr::V4(from))) = dns.recv_from(&mut buf) {
            let id = u16::from_be_bytes([buf[0], buf[1]]).wrapping_sub(base_id);
            if let Some(&ip) = hosts.get(id as usize)
                && let Some(name) = parse_ptr_answer(&buf[..n], None)
                && Some(*from.ip()) == resolver
            {
                answers.entry(ip).or_default().insert(NameSource::Dns, name);
            }
        }
        while let Ok((n, SocketAddr::V4(from))) = nb.recv_from(&mut buf) {
            if let Some(name) = parse_node_status(&buf[..n], base_id).and_then(|s| s.computer) {
                answers
                    .entry(*from.ip())
                    .or_default()
                    .insert(NameSource::Netbios, name);
            }
        }
        while let Ok((n, SocketAddr::V4(from))) = mdns.recv_from(&mut buf) {
            if let Some(name) = parse_ptr_answer(&buf[..n], Some(base_id)) {
                let short = name.strip_suffix(".local").unwrap_or(&name).to_owned();
                answers
                    .entry(*from.ip())
                    .or_default()
                    .insert(NameSource::Mdns, short);
            }
        }
    };

    let quiet = |r: Result<usize, GateError>| -> Result<(), GateError> {
        match r {
            Err(GateError::Io(e)) if e.kind() == io::ErrorKind::PermissionDenied => {
                Err(GateError::Io(e))
            }
            // Sent; or an unreachable resolver or host, or a refusal by the gate: no name
            // from there.
            _ => Ok(()),
        }
    };
    // A query as a frame on the link, for a host whose MAC is known there (Unix); `None` means
    // the query goes through a UDP socket (always on Windows: no raw link).
    #[cfg(unix)]
    let mut via_link = |ip: Ipv4Addr, src: u16, dst: u16, payload: &[u8]| {
        direct
            .as_mut()
            .and_then(|d| d.send(gate, ip, src, dst, payload))
    };
    #[cfg(not(unix))]
    let via_link = |_: Ipv4Addr, _: u16, _: u16, _: &[u8]| None::<Result<usize, GateError>>;
    // One pass per kind of query, so that a host's per-host limit has recovered by the time
    // its next query is due instead of stalling the loop.
    if let Some(server) = resolver {
        for (i, &ip) in hosts.iter().enumerate() {
            drain(&mut answers);
            let q = ptr_query(base_id.wrapping_add(i as u16), ip, true);
            // The first query may make the kernel ARP for the resolver: charge that packet.
            let cost = if i == 0 { 2 } else { 1 };
            quiet(gate.emit(Destination::Service(server), cost, || {
                dns.send_to(&q, SocketAddrV4::new(server, 53))
            }))?;
        }
    }
    if config.netbios {
        let q = node_status_request(base_id);
        let port = nb.local_addr()?.port();
        for &ip in hosts {
            drain(&mut answers);
            if named_by(&answers, ip, NameSource::Dns) {
                continue; // the preferred name is known: spare the device a query
            }
            let sent = via_link(ip, port, 137, &q);
            quiet(sent.unwrap_or_else(|| {
                gate.emit(Destination::Target(ip), 1, || {
                    nb.send_to(&q, SocketAddrV4::new(ip, 137))
                })
            }))?;
        }
    }
    if config.mdns {
        let port = mdns.local_addr()?.port();
        for &ip in hosts {
            drain(&mut answers);
            if named_by(&answers, ip, NameSource::Netbios) {
                continue;
            }
            let q = ptr_query(base_id, ip, false);
            let sent = via_link(ip, port, 5353, &q);
            quiet(sent.unwrap_or_else(|| {
                gate.emit(Destination::Target(ip), 1, || {
                    mdns.send_to(&q, SocketAddrV4::new(ip, 5353))
                })
            }))?;
        }
    }
    let clock = std::sync::Arc::clone(gate.clock());
    let until = clock.now() + config.wait;
    while clock.now() < until {
        drain(&mut answers);
        clock.sleep_until((clock.now() + Duration::from_millis(5)).min(until));
    }
    drain(&mut answers);
    Ok(answers
        .into_iter()
        .filter_map(|(ip, by_source)| {
            by_source
                .into_iter()
                .next()
                .map(|(source, name)| (ip, (name, source)))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ptr_query_layout() {
        let q = ptr_query(0xabcd, Ipv4Addr::new(198, 18, 0, 10), true);
        assert_eq!(&q[..4], &[0xab, 0xcd, 0x01, 0x00]);
        assert_eq!(&q[12..15], b"\x0210");
        assert!(q.windows(11).any(|w| w == b"\x07in-addr\x04ar"));
        assert_eq!(&q[q.len() - 4..], &[0, 12, 0, 1]);
    }

    /// A response as a resolver would send it: the question echoed, one compressed PTR answer.
    fn ptr_response(id: u16, ip: Ipv4Addr, name: &str) -> Vec<u8> {
        let mut r = ptr_query(id, ip, true);
        r[2] = 0x81;
        r[3] = 0x80;
        r[7] = 1;
        r.extend_from_slice(&[0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 60]);
        let mut rdata = Vec::new();
        for label in name.split('.') {
            rdata.push(label.len() as u8);
            rdata.extend_from_slice(label.as_bytes());
        }
        rdata.push(0);
        r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        r.extend_from_slice(&rdata);
        r
    }

    #[test]
    fn ptr_answer_round_trip() {
        let ip = Ipv4Addr::new(198, 18, 0, 10);
        let r = ptr_response(7, ip, "file-srv.lan");
        assert_eq!(
            parse_ptr_answer(&r, Some(7)).as_deref(),
            Some("file-srv.lan")
        );
        assert_eq!(parse_ptr_answer(&r, Some(8)), None);
        // NXDOMAIN and questions are not answers.
        let mut nx = r.clone();
        nx[3] = 0x83;
        assert_eq!(parse_ptr_answer(&nx, None), None);
        assert_eq!(parse_ptr_answer(&ptr_query(7, ip, true), None), None);
    }

    #[test]
    fn hostile_dns_does_not_hang_or_panic() {
        let ip = Ipv4Addr::new(198, 18, 0, 10);
        let mut r = ptr_response(7, ip, "x");
        // Point the answer's name at itself.
        let at = r.len() - 3 - 10 - 2;
        r[at] = 0xc0;
        r[at + 1] = at as u8;
        let _ = parse_ptr_answer(&r, None);
        for cut in 0..r.len() {
            let _ = parse_ptr_answer(&r[..cut], None);
        }
    }

    #[test]
    fn a_node_status_answer_names_the_computer() {
        let q = node_status_request(0x1234);
        // A response: header, name, type/class/ttl/rdlength, two names (group first), unit id.
        let mut r = vec![0x12, 0x34, 0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0];
        r.extend_from_slice(&q[12..46]);
        r.extend_from_slice(&[0, 0x21, 0, 1, 0, 0, 0, 0, 0, 43, 2]);
        r.extend_from_slice(b"WORKGROUP      \x00\x84\x00");
        r.extend_from_slice(b"RECEPTION-PC   \x00\x04\x00");
        r.extend_from_slice(&[0x52, 0x54, 0, 0, 0, 0x0f]);
        let computer = |r: &[u8], id| parse_node_status(r, id).and_then(|s| s.computer);
        assert_eq!(computer(&r, 0x1234).as_deref(), Some("RECEPTION-PC"));
        assert_eq!(computer(&r, 0x1235), None);
    }

    #[test]
    fn a_preferred_name_spares_the_later_queries() {
        let ip = Ipv4Addr::new(198, 18, 0, 10);
        let mut answers: BTreeMap<Ipv4Addr, BTreeMap<NameSource, String>> = BTreeMap::new();
        assert!(!named_by(&answers, ip, NameSource::Dns));
        answers
            .entry(ip)
            .or_default()
            .insert(NameSource::Netbios, "PC".into());
        assert!(!named_by(&answers, ip, NameSource::Dns));
        assert!(named_by(&answers, ip, NameSource::Netbios));
        assert!(named_by(&answers, ip, NameSource::Mdns));
    }

    #[test]
    fn resolv_conf() {
        let text =
            "# c\nsearch lan\nnameserver 192.0.2.53\nnameserver ::1\nnameserver 198.18.0.1 # x\n";
        assert_eq!(
            parse_resolv_conf(text),
            vec![Ipv4Addr::new(192, 0, 2, 53), Ipv4Addr::new(198, 18, 0, 1)]
        );
    }
}
