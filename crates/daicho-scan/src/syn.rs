//! The half-open port sweep: one raw SYN per (host, port) through the [`PacketGate`], SYN/ACK
//! means open, RST means closed, silence is retried once the host's own reply window has passed.
//!
//! Why: a TCP connect costs three packets per port, open or closed, and makes the application
//! see a connection; a SYN costs one. Only the ports that answered SYN/ACK get a full connect
//! later (the fingerprint phase), so a closed port costs one packet and a service sees a
//! connection only where it listens.
//!
//! What is charged, so the limits hold on the wire (checked by capture in the test LAN):
//! - each SYN, first sends and retransmissions alike: one packet, paid before it leaves;
//! - the kernel's RST that answers a SYN/ACK (no socket owns our half-open connection): one
//!   packet, post-paid with [`PacketGate::charge`] when the SYN/ACK arrives;
//! - the kernel's ARP request before the first SYN to an on-link host that is not yet in its
//!   neighbour table (the ARP sweep talks on a raw link the kernel does not learn from): one
//!   packet, added to that first SYN. Later SYNs to a host that has answered are sent with
//!   `MSG_CONFIRM`, so the kernel does not re-probe the neighbour while the sweep runs.
//!
//! Pacing: every send picks, among the hosts with ports left, the one whose per-host slot comes
//! first, so the global budget is spent across hosts instead of one host's ports being
//! serialised behind the per-host limit. While no slot is open the sweep listens. Raw I/O sits
//! behind [`SynIo`]; the scheduling is tested with a simulated network and clock. The raw path
//! ([`RawSyn`]) is Unix only: Windows does not let a raw socket send TCP.

use std::collections::{BTreeMap, VecDeque};
use std::io;
#[cfg(unix)]
use std::io::Read;
use std::net::Ipv4Addr;
#[cfg(unix)]
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};

#[cfg(unix)]
use pnet::packet::Packet;
#[cfg(unix)]
use pnet::packet::ip::IpNextHeaderProtocols;
#[cfg(unix)]
use pnet::packet::ipv4::Ipv4Packet;
#[cfg(unix)]
use pnet::packet::tcp::{MutableTcpPacket, TcpFlags, TcpOption, TcpPacket};
#[cfg(unix)]
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::gate::{Destination, GateError, PacketGate};
#[cfg(unix)]
use crate::nonblocking::wait_until;
use crate::rtt::Rtt;

/// One SYN to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynProbe {
    /// The host probed.
    pub dst: Ipv4Addr,
    /// The port probed.
    pub port: u16,
    /// Our sequence number: it identifies the probe in the answer's acknowledgement.
    pub seq: u32,
    /// The host has answered before: tell the kernel its neighbour entry is confirmed.
    pub confirm: bool,
}

/// What kind of answer a probe got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynAnswer {
    /// SYN/ACK: something listens.
    Open,
    /// RST: nothing listens, the host is there.
    Closed,
}

/// A TCP segment that answers one of our SYNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynReply {
    /// Who answered.
    pub src: Ipv4Addr,
    /// The port it answered from (the port probed).
    pub port: u16,
    /// Its acknowledgement number (our sequence number plus one).
    pub ack: u32,
    /// Open or closed.
    pub answer: SynAnswer,
    /// When it arrived.
    pub at: Instant,
}

/// Raw SYNs out, answers in. Only [`syn_sweep`] calls it, always through the gate.
pub trait SynIo: Send {
    /// Sends one SYN from the sweep's source port.
    fn send_syn(&mut self, probe: &SynProbe) -> io::Result<()>;
    /// The next answer to the sweep's source port, waiting at most `timeout`.
    fn recv(&mut self, timeout: Duration) -> io::Result<Option<SynReply>>;
}

/// One host to sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynTarget {
    /// Its address.
    pub ip: Ipv4Addr,
    /// A round trip measured by discovery, to start the reply window from.
    pub rtt: Option<Duration>,
    /// Packets the kernel sends before our first SYN can leave (an ARP request for an on-link
    /// host it has not resolved yet), charged with that SYN.
    pub first_extra: u32,
}

/// How hard the sweep tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynConfig {
    /// SYNs per port that stays silent, first one included.
    pub attempts: u32,
    /// The shortest reply window, however fast the host answered before.
    pub min_wait: Duration,
    /// The longest reply window, and the window of a host that has not answered yet and came
    /// with no round trip from discovery.
    pub max_wait: Duration,
}

impl Default for SynConfig {
    fn default() -> Self {
        Self {
            attempts: 2,
            min_wait: Duration::from_millis(100),
            max_wait: Duration::from_secs(1),
        }
    }
}

/// What the sweep learnt about one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SynHost {
    /// Ports that answered SYN/ACK, ascending.
    pub open: Vec<u16>,
    /// Ports that answered RST.
    pub closed: usize,
    /// Ports that stayed silent through every attempt.
    pub silent: usize,
    /// Smoothed round trip of its answers.
    pub srtt: Option<Duration>,
}

/// Progress of a sweep: probes answered or given up, of all (host, port) pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynProgress {
    /// Pairs finished.
    pub done: usize,
    /// All pairs.
    pub total: usize,
    /// Open ports found so far.
    pub open: usize,
}

impl SynProgress {
    /// `pairs` more (host, port) pairs decided, `open` or not; the new state.
    fn decided(&mut self, pairs: usize, open: bool) -> Self {
        self.done += pairs;
        if open {
            self.open += pairs;
        }
        *self
    }
}

struct HostState {
    target: SynTarget,
    /// Ports to send, with the SYNs each has had already.
    queue: VecDeque<(u16, u32)>,
    /// Port → (sent at, attempts so far).
    waiting: BTreeMap<u16, (Instant, u32)>,
    rtt: Rtt,
    answered: bool,
    result: SynHost,
}

/// The sequence number of the probe of `port` on `ip`: keyed so that a stray segment cannot
/// pass for an answer.
fn seq_for(key: u32, ip: Ipv4Addr, port: u16) -> u32 {
    let mut x = u64::from(u32::from(ip)) << 16 | u64::from(port);
    x ^= u64::from(key) << 32 | u64::from(key);
    // splitmix64's finaliser: cheap and well mixed.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (x ^ (x >> 31)) as u32
}

/// Sweeps `ports` on every target and returns each target's answers. Targets the gate refuses
/// (excluded, out of scope) are skipped with the gate's warning; a send error other than an
/// unreachable destination ends the sweep with that error. `key` keys the sequence numbers.
pub fn syn_sweep(
    io: &mut dyn SynIo,
    gate: &PacketGate,
    targets: &[SynTarget],
    ports: &[u16],
    config: &SynConfig,
    key: u32,
    mut progress: impl FnMut(SynProgress),
) -> Result<BTreeMap<Ipv4Addr, SynHost>, GateError> {
    let clock = std::sync::Arc::clone(gate.clock());
    let attempts = config.attempts.max(1);
    let mut hosts: Vec<HostState> = targets
        .iter()
        .map(|t| HostState {
            target: *t,
            queue: ports.iter().map(|&p| (p, 0)).collect(),
            waiting: BTreeMap::new(),
            rtt: Rtt::new(t.rtt),
            answered: false,
            result: SynHost::default(),
        })
        .collect();
    let index: BTreeMap<Ipv4Addr, usize> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.target.ip, i))
        .collect();
    let mut tally = SynProgress {
        done: 0,
        total: hosts.len() * ports.len(),
        open: 0,
    };
    let mut next_pick = 0usize;

    loop {
        // Everything that has arrived.
        while let Some(reply) = io.recv(Duration::ZERO)? {
            if heard(&mut hosts, &index, gate, key, &reply) {
                progress(tally.decided(1, reply.answer == SynAnswer::Open));
            }
        }
        let now = clock.now();
        // Silent probes whose window has closed: again, or given up.
        for host in &mut hosts {
            let window = host.rtt.window(config.min_wait, config.max_wait);
            let expired: Vec<(u16, u32)> = host
                .waiting
                .iter()
                .filter(|(_, (sent, _))| now.saturating_duration_since(*sent) >= window)
                .map(|(&port, &(_, n))| (port, n))
                .collect();
            for (port, n) in expired {
                host.waiting.remove(&port);
                if n < attempts {
                    // Retried before the host's untried ports: its answer decides sooner.
                    host.queue.push_front((port, n));
                } else {
                    host.result.silent += 1;
                    progress(tally.decided(1, false));
                }
            }
        }
        // The host whose slot opens first, round robin among equals.
        let pick = (0..hosts.len())
            .map(|k| (next_pick + k) % hosts.len())
            .filter(|&i| !hosts[i].queue.is_empty())
            .min_by_key(|&i| {
                gate.host_ready_at(hosts[i].target.ip)
                    .unwrap_or(now)
                    .max(now)
            });
        // Nothing left to send: listen until the last window closes. A host whose slot is not
        // open yet: listen until it opens (or a window closes). Then decide again.
        let ready = pick.map(|i| gate.ready_at(hosts[i].target.ip));
        let listen_until = match ready {
            None => match next_deadline(&hosts, config) {
                Some(deadline) => Some(deadline),
                None => break,
            },
            Some(ready) if ready > now => {
                Some(next_deadline(&hosts, config).map_or(ready, |d| d.min(ready)))
            }
            Some(_) => None,
        };
        if let Some(until) = listen_until {
            if let Some(reply) = io.recv(until.saturating_duration_since(now))?
                && heard(&mut hosts, &index, gate, key, &reply)
            {
                progress(tally.decided(1, reply.answer == SynAnswer::Open));
            }
            if ready.is_none_or(|ready| clock.now() < ready) {
                continue;
            }
        }
        let Some(i) = pick else { continue };
        next_pick = i + 1;
        let host = &mut hosts[i];
        let ip = host.target.ip;
        let (port, tries) = host
            .queue
            .pop_front()
            .expect("picked a host with ports left");
        let probe = SynProbe {
            dst: ip,
            port,
            seq: seq_for(key, ip, port),
            confirm: host.answered,
        };
        // Only the first SYN to a host pays for what the kernel sends before it; every error
        // below ends the host's sweep, so taking it before the send loses nothing.
        let cost = 1 + std::mem::take(&mut host.target.first_extra);
        match gate.emit(Destination::Target(ip), cost, || {
            let at = clock.now();
            io.send_syn(&probe).map(|()| at)
        }) {
            Ok(at) => {
                host.waiting.insert(port, (at, tries + 1));
            }
            // Missing privilege and the like: the whole sweep cannot go on.
            Err(GateError::Io(e)) if !is_unreachable(&e) => return Err(GateError::Io(e)),
            Err(e) => {
                // No route (every port would fail the same way), or the gate refused the host
                // and said why: nothing more goes to it.
                let left = host.queue.len() + 1 + host.waiting.len();
                if let GateError::Io(e) = &e {
                    tracing::debug!(%ip, "half-open sweep: {e}");
                    host.result.silent += left;
                }
                host.queue.clear();
                host.waiting.clear();
                progress(tally.decided(left, false));
            }
        }
    }
    Ok(hosts
        .into_iter()
        .map(|mut h| {
            h.result.open.sort_unstable();
            h.result.srtt = h.rtt.srtt;
            (h.target.ip, h.result)
        })
        .collect())
}

/// Records `reply` if it answers a probe still waiting; true when it did. An open port's
/// SYN/ACK makes the kernel answer with an RST: that packet is charged here.
fn heard(
    hosts: &mut [HostState],
    index: &BTreeMap<Ipv4Addr, usize>,
    gate: &PacketGate,
    key: u32,
    reply: &SynReply,
) -> bool {
    let Some(&i) = index.get(&reply.src) else {
        return false;
    };
    if reply.ack != seq_for(key, reply.src, reply.port).wrapping_add(1) {
        return false;
    }
    if reply.answer == SynAnswer::Open {
        // Our kernel resets every SYN/ACK, repeated ones included.
        gate.charge(Destination::Target(reply.src), 1);
    }
    let host = &mut hosts[i];
    host.answered = true;
    let Some((sent, attempt)) = host.waiting.remove(&reply.port) else {
        // A late answer to a probe queued again: the port is decided without the retry. An
        // answer to a port already decided (or given up) changes nothing.
        let Some(pos) = host.queue.iter().position(|&(p, _)| p == reply.port) else {
            return false;
        };
        host.queue.remove(pos);
        record(host, reply.port, reply.answer);
        return true;
    };
    if attempt == 1 {
        host.rtt.sample(reply.at.saturating_duration_since(sent));
    }
    record(host, reply.port, reply.answer);
    true
}

fn record(host: &mut HostState, port: u16, answer: SynAnswer) {
    match answer {
        SynAnswer::Open => host.result.open.push(port),
        SynAnswer::Closed => host.result.closed += 1,
    }
}

/// When the next silent probe's window closes.
fn next_deadline(hosts: &[HostState], config: &SynConfig) -> Option<Instant> {
    hosts
        .iter()
        .filter_map(|h| {
            let window = h.rtt.window(config.min_wait, config.max_wait);
            h.waiting.values().map(|(sent, _)| *sent + window).min()
        })
        .min()
}

fn is_unreachable(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(ENETUNREACH | EHOSTUNREACH))
}

const ENETUNREACH: i32 = 101;
const EHOSTUNREACH: i32 = 113;
#[cfg(unix)]
const MSG_CONFIRM: i32 = 0x800;

/// The real SYN path: a raw IPv4 TCP socket (the kernel writes the IP header and routes), and
/// a TCP socket bound to the source port so that no connection of this host is given the
/// port while the sweep uses it. Needs `CAP_NET_RAW`.
#[cfg(unix)]
pub struct RawSyn {
    raw: Socket,
    /// Holds the source port; never listens, so the kernel resets every SYN/ACK (charged).
    _port_guard: Socket,
    port: u16,
    sources: BTreeMap<Ipv4Addr, Ipv4Addr>,
}

#[cfg(unix)]
impl std::fmt::Debug for RawSyn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawSyn")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

#[cfg(unix)]
impl RawSyn {
    /// Opens the sockets; `PermissionDenied` without raw-socket privilege.
    pub fn new() -> io::Result<Self> {
        let raw = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::TCP))?;
        // Read without blocking: see `nonblocking`.
        raw.set_nonblocking(true)?;
        let guard = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
        guard.bind(&SockAddr::from(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)))?;
        let port = guard
            .local_addr()?
            .as_socket_ipv4()
            .ok_or_else(|| io::Error::other("source port guard is not IPv4"))?
            .port();
        Ok(Self {
            raw,
            _port_guard: guard,
            port,
            sources: BTreeMap::new(),
        })
    }

    /// The address the kernel sends to `dst` from: a connected UDP socket's local address
    /// (connecting a datagram socket only looks up the route; nothing is sent).
    fn source_for(&mut self, dst: Ipv4Addr) -> io::Result<Ipv4Addr> {
        if let Some(src) = self.sources.get(&dst) {
            return Ok(*src);
        }
        let udp = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
        udp.connect(&SockAddr::from(SocketAddrV4::new(dst, 9)))?;
        let src = *udp
            .local_addr()?
            .as_socket_ipv4()
            .ok_or_else(|| io::Error::other("route lookup gave no IPv4 source"))?
            .ip();
        self.sources.insert(dst, src);
        Ok(src)
    }
}

/// A SYN segment: TCP header with the MSS option, checksummed for `src` → `dst`.
#[cfg(unix)]
pub fn syn_segment(src: Ipv4Addr, sport: u16, probe: &SynProbe) -> Vec<u8> {
    let mut buf = vec![0u8; 24];
    let mut tcp = MutableTcpPacket::new(&mut buf).expect("24 bytes hold a TCP header");
    tcp.set_source(sport);
    tcp.set_destination(probe.port);
    tcp.set_sequence(probe.seq);
    tcp.set_data_offset(6);
    tcp.set_flags(TcpFlags::SYN);
    tcp.set_window(1024);
    // Some stacks ignore a SYN without options; MSS is what every client sends.
    tcp.set_options(&[TcpOption::mss(1460)]);
    let sum = pnet::packet::tcp::ipv4_checksum(&tcp.to_immutable(), &src, &probe.dst);
    tcp.set_checksum(sum);
    buf
}

/// Reads an IPv4 packet as an answer to the sweep's source port `sport`, if it is one.
#[cfg(unix)]
pub fn parse_reply(packet: &[u8], sport: u16, at: Instant) -> Option<SynReply> {
    let ip = Ipv4Packet::new(packet)?;
    if ip.get_next_level_protocol() != IpNextHeaderProtocols::Tcp {
        return None;
    }
    let tcp = TcpPacket::new(ip.payload())?;
    if tcp.get_destination() != sport {
        return None;
    }
    let flags = tcp.get_flags();
    let answer = if flags & TcpFlags::RST != 0 {
        SynAnswer::Closed
    } else if flags & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN | TcpFlags::ACK {
        SynAnswer::Open
    } else {
        return None;
    };
    Some(SynReply {
        src: ip.get_source(),
        port: tcp.get_source(),
        ack: tcp.get_acknowledgement(),
        answer,
        at,
    })
}

#[cfg(unix)]
impl SynIo for RawSyn {
    fn send_syn(&mut self, probe: &SynProbe) -> io::Result<()> {
        let src = self.source_for(probe.dst)?;
        let segment = syn_segment(src, self.port, probe);
        let flags = if probe.confirm { MSG_CONFIRM } else { 0 };
        let to = SockAddr::from(SocketAddrV4::new(probe.dst, 0));
        // The socket is non-blocking (for `recv`): a full send buffer is waited out briefly.
        let give_up = Instant::now() + Duration::from_secs(1);
        loop {
            match self.raw.send_to_with_flags(&segment, &to, flags) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < give_up => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn recv(&mut self, timeout: Duration) -> io::Result<Option<SynReply>> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 1500];
        wait_until(deadline, || {
            loop {
                match (&self.raw).read(&mut buf) {
                    Ok(n) => {
                        if let Some(reply) = parse_reply(&buf[..n], self.port, Instant::now()) {
                            return Ok(Some(reply));
                        }
                        // Other TCP traffic of this host: read on, unless the wait is over.
                        if Instant::now() >= deadline {
                            return Ok(None);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        })
    }
}

#[cfg(all(test, unix))]
mod tests;
