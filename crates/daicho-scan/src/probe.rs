//! Socket probes for hosts ARP cannot reach (routed subnets) and for scans without raw-socket
//! privilege: ICMP echo on a raw socket and TCP connect, behind the [`SocketProbes`] trait.
//!
//! A TCP connect makes the kernel send up to three packets (SYN, then ACK and RST when the port
//! is open: the socket lingers zero seconds so it closes with RST, not a FIN handshake), so the
//! gate charges three. Connects are abandoned before the kernel's first SYN retransmission
//! (1 s), so every SYN on the wire is one we paid for.
//!
//! ICMP echo: on Unix a raw socket with pnet's packet layouts (privileged); on Windows the IP
//! Helper's `IcmpSendEcho` (`windows_icmp`), which needs neither privilege nor packet driver.

use std::collections::BTreeMap;
use std::io;
#[cfg(unix)]
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

#[cfg(unix)]
use pnet::packet::Packet;
#[cfg(unix)]
use pnet::packet::icmp::echo_reply::EchoReplyPacket;
#[cfg(unix)]
use pnet::packet::icmp::echo_request::MutableEchoRequestPacket;
#[cfg(unix)]
use pnet::packet::icmp::{IcmpPacket, IcmpTypes};
#[cfg(unix)]
use pnet::packet::ip::IpNextHeaderProtocols;
#[cfg(unix)]
use pnet::packet::ipv4::Ipv4Packet;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::gate::{Destination, GateError, PacketGate};
use crate::nonblocking::wait_until;

/// Packets one TCP connect probe may cause (SYN, ACK, RST).
pub const CONNECT_COST: u32 = 3;
/// Connects are given up before the kernel would retransmit the SYN.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(900);

/// What a probe heard back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeEvent {
    /// An ICMP echo reply.
    Echo {
        /// Who answered.
        ip: Ipv4Addr,
        /// The TTL of the reply.
        ttl: u8,
        /// Echo identifier.
        ident: u16,
        /// Echo sequence number.
        seq: u16,
        /// When it arrived.
        at: Instant,
    },
    /// A TCP connect finished: open (connected) or closed (refused): the host is alive.
    TcpAnswer {
        /// Who answered.
        ip: Ipv4Addr,
        /// The port probed.
        port: u16,
        /// True when the port accepted the connection.
        open: bool,
        /// When the answer was noticed.
        at: Instant,
    },
    /// A TCP connect failed without an answer from the host (unreachable, timed out).
    TcpSilent {
        /// The address probed.
        ip: Ipv4Addr,
        /// The port probed.
        port: u16,
    },
}

/// ICMP echo and TCP connect, as the kernel offers them.
pub trait SocketProbes: Send {
    /// Whether ICMP echo can be sent (it needs a raw socket).
    fn has_icmp(&self) -> bool;
    /// Sends one echo request. Only called through the gate.
    fn send_echo(&mut self, ip: Ipv4Addr, ident: u16, seq: u16) -> io::Result<()>;
    /// Starts a connect. Only called through the gate.
    fn start_connect(&mut self, ip: Ipv4Addr, port: u16) -> io::Result<()>;
    /// Connects still waiting for an answer.
    fn pending_connects(&self) -> usize;
    /// The next answer, waiting at most `timeout`.
    fn poll(&mut self, timeout: Duration) -> io::Result<Option<ProbeEvent>>;
}

/// The real probes: a raw ICMP socket when privileged, non-blocking TCP sockets always.
pub struct KernelProbes {
    #[cfg(unix)]
    icmp: Option<Socket>,
    #[cfg(windows)]
    icmp: Option<crate::windows_icmp::IcmpEchoes>,
    connects: BTreeMap<(Ipv4Addr, u16), (Socket, Instant)>,
}

impl KernelProbes {
    /// Opens the ICMP echo path when `icmp` is asked for: on Unix the raw ICMP socket, which
    /// fails with `PermissionDenied` without privilege; on Windows the IP Helper's.
    pub fn new(icmp: bool) -> io::Result<Self> {
        #[cfg(windows)]
        let icmp = if icmp {
            Some(crate::windows_icmp::IcmpEchoes::new()?)
        } else {
            None
        };
        #[cfg(unix)]
        let icmp = if icmp {
            let s = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))?;
            s.set_nonblocking(true)?;
            Some(s)
        } else {
            None
        };
        Ok(Self {
            icmp,
            connects: BTreeMap::new(),
        })
    }

    /// The next echo reply the IP Helper brought, if any.
    #[cfg(windows)]
    fn read_icmp(&mut self) -> Option<ProbeEvent> {
        let reply = self.icmp.as_ref()?.next()?;
        Some(ProbeEvent::Echo {
            ip: reply.ip,
            ttl: reply.ttl,
            ident: reply.ident,
            seq: reply.seq,
            at: reply.at,
        })
    }

    #[cfg(unix)]
    fn read_icmp(&mut self) -> Option<ProbeEvent> {
        let sock = self.icmp.as_mut()?;
        let mut buf = [0u8; 1500];
        loop {
            let Ok(n) = sock.read(&mut buf) else {
                return None;
            };
            let at = Instant::now();
            let Some(ip) = Ipv4Packet::new(&buf[..n]) else {
                continue;
            };
            if ip.get_next_level_protocol() != IpNextHeaderProtocols::Icmp {
                continue;
            }
            let Some(reply) = EchoReplyPacket::new(ip.payload()) else {
                continue;
            };
            if reply.get_icmp_type() != IcmpTypes::EchoReply {
                continue;
            }
            return Some(ProbeEvent::Echo {
                ip: ip.get_source(),
                ttl: ip.get_ttl(),
                ident: reply.get_identifier(),
                seq: reply.get_sequence_number(),
                at,
            });
        }
    }

    fn check_connects(&mut self) -> Option<ProbeEvent> {
        let now = Instant::now();
        let mut done = None;
        for (&(ip, port), (sock, started)) in &self.connects {
            let event = match sock.take_error() {
                Ok(Some(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    Some(ProbeEvent::TcpAnswer {
                        ip,
                        port,
                        open: false,
                        at: now,
                    })
                }
                Ok(Some(_)) | Err(_) => Some(ProbeEvent::TcpSilent { ip, port }),
                Ok(None) if sock.peer_addr().is_ok() => Some(ProbeEvent::TcpAnswer {
                    ip,
                    port,
                    open: true,
                    at: now,
                }),
                Ok(None) if now - *started >= CONNECT_TIMEOUT => {
                    Some(ProbeEvent::TcpSilent { ip, port })
                }
                Ok(None) => None,
            };
            if let Some(event) = event {
                done = Some(((ip, port), event));
                break;
            }
        }
        let (key, event) = done?;
        // Dropping the socket closes it (with RST when connected, as it lingers 0 s).
        self.connects.remove(&key);
        Some(event)
    }
}

/// True when a non-blocking connect has started: Linux says EINPROGRESS, Windows
/// WSAEWOULDBLOCK.
fn connect_started(e: &io::Error) -> bool {
    const EINPROGRESS: i32 = 115;
    if cfg!(unix) {
        e.raw_os_error() == Some(EINPROGRESS)
    } else {
        e.kind() == io::ErrorKind::WouldBlock
    }
}

impl SocketProbes for KernelProbes {
    fn has_icmp(&self) -> bool {
        self.icmp.is_some()
    }

    #[cfg(windows)]
    fn send_echo(&mut self, ip: Ipv4Addr, ident: u16, seq: u16) -> io::Result<()> {
        self.icmp
            .as_ref()
            .ok_or_else(|| io::Error::other("no ICMP echo"))?
            .send(ip, ident, seq)
    }

    #[cfg(unix)]
    fn send_echo(&mut self, ip: Ipv4Addr, ident: u16, seq: u16) -> io::Result<()> {
        let sock = self
            .icmp
            .as_ref()
            .ok_or_else(|| io::Error::other("no ICMP socket"))?;
        let mut buf = [0u8; 8 + 16];
        let mut echo = MutableEchoRequestPacket::new(&mut buf).expect("buffer fits echo");
        echo.set_icmp_type(IcmpTypes::EchoRequest);
        echo.set_identifier(ident);
        echo.set_sequence_number(seq);
        echo.set_payload(b"daicho-discovery");
        let sum = pnet::packet::icmp::checksum(&IcmpPacket::new(echo.packet()).expect("ICMP"));
        echo.set_checksum(sum);
        sock.send_to(&buf, &SockAddr::from(SocketAddrV4::new(ip, 0)))?;
        Ok(())
    }

    fn start_connect(&mut self, ip: Ipv4Addr, port: u16) -> io::Result<()> {
        let sock = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
        sock.set_nonblocking(true)?;
        sock.set_linger(Some(Duration::ZERO))?;
        match sock.connect(&SockAddr::from(SocketAddrV4::new(ip, port))) {
            Ok(()) => {}
            Err(e) if connect_started(&e) => {}
            Err(e) => return Err(e),
        }
        self.connects.insert((ip, port), (sock, Instant::now()));
        Ok(())
    }

    fn pending_connects(&self) -> usize {
        self.connects.len()
    }

    fn poll(&mut self, timeout: Duration) -> io::Result<Option<ProbeEvent>> {
        wait_until(Instant::now() + timeout, || {
            Ok(self.read_icmp().or_else(|| self.check_connects()))
        })
    }
}

/// How routed (and unprivileged) probing works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeConfig {
    /// Echo requests per target (when ICMP is available).
    pub echo_attempts: u32,
    /// Wait for an echo reply before asking again or moving to TCP.
    pub echo_wait: Duration,
    /// TCP ports tried, in order, on targets that did not answer echo.
    pub tcp_ports: Vec<u16>,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        Self {
            echo_attempts: 2,
            echo_wait: Duration::from_millis(400),
            tcp_ports: vec![80, 443, 22, 445, 3389],
        }
    }
}

/// A host that answered a socket probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbedHost {
    /// Its address.
    pub ip: Ipv4Addr,
    /// TTL of its echo reply.
    pub ttl: Option<u8>,
    /// Round trip of the first answer.
    pub rtt: Option<Duration>,
    /// What it answered: `icmp`, `tcp`.
    pub methods: Vec<&'static str>,
}

/// Probes `targets` with ICMP echo (if available) and then TCP connects on the ports of
/// `config` for those that stayed silent, until one port answers. With `extra_cost` the gate
/// also charges packets the kernel sends on our behalf (ARP for on-link targets).
pub fn probe_hosts(
    probes: &mut dyn SocketProbes,
    gate: &PacketGate,
    targets: &[Ipv4Addr],
    config: &ProbeConfig,
    extra_cost: u32,
    mut progress: impl FnMut(usize, usize, usize),
) -> Result<Vec<ProbedHost>, GateError> {
    let clock = std::sync::Arc::clone(gate.clock());
    let ident = (std::process::id() & 0xffff) as u16 ^ 0x5a5a;
    let mut found: BTreeMap<Ipv4Addr, ProbedHost> = BTreeMap::new();
    let mut sent_at: BTreeMap<(Ipv4Addr, u16), Instant> = BTreeMap::new();
    // Progress counts (round, target) pairs: each echo attempt and each TCP port is a round.
    let rounds = if probes.has_icmp() {
        config.echo_attempts as usize
    } else {
        0
    } + config.tcp_ports.len();
    let total = targets.len() * rounds;
    let mut done = 0usize;

    let drain = |probes: &mut dyn SocketProbes,
                 found: &mut BTreeMap<Ipv4Addr, ProbedHost>,
                 sent_at: &BTreeMap<(Ipv4Addr, u16), Instant>,
                 timeout: Duration|
     -> Result<bool, GateError> {
        let Some(event) = probes.poll(timeout)? else {
            return Ok(false);
        };
        match event {
            ProbeEvent::Echo {
                ip,
                ttl,
                ident: id,
                seq,
                at,
            } if id == ident => {
                if let Some(sent) = sent_at.get(&(ip, seq)) {
                    let host = found.entry(ip).or_insert_with(|| ProbedHost {
                        ip,
                        ttl: None,
                        rtt: Some(at.saturating_duration_since(*sent)),
                        methods: Vec::new(),
                    });
                    host.ttl.get_or_insert(ttl);
                    if !host.methods.contains(&"icmp") {
                        host.methods.push("icmp");
                    }
                }
            }
            ProbeEvent::TcpAnswer { ip, port, at, .. } => {
                let rtt = sent_at
                    .get(&(ip, port))
                    .map(|s| at.saturating_duration_since(*s));
                let host = found.entry(ip).or_insert_with(|| ProbedHost {
                    ip,
                    ttl: None,
                    rtt,
                    methods: Vec::new(),
                });
                if !host.methods.contains(&"tcp") {
                    host.methods.push("tcp");
                }
            }
            ProbeEvent::Echo { .. } | ProbeEvent::TcpSilent { .. } => {}
        }
        Ok(true)
    };

    // Round 1..n: ICMP echo to everyone still silent.
    if probes.has_icmp() {
        for attempt in 0..config.echo_attempts {
            for (i, &ip) in targets.iter().enumerate() {
                done += 1;
                progress(done, total, found.len());
                if found.contains_key(&ip) {
                    continue;
                }
                while drain(probes, &mut found, &sent_at, Duration::ZERO)? {}
                let seq = (attempt as u16) << 12 | (i as u16 & 0x0fff);
                match gate.emit(Destination::Target(ip), 1, || {
                    let at = clock.now();
                    probes.send_echo(ip, ident, seq).map(|()| at)
                }) {
                    Ok(at) => {
                        sent_at.insert((ip, seq), at);
                    }
                    Err(GateError::Io(e)) if e.kind() == io::ErrorKind::PermissionDenied => {
                        return Err(GateError::Io(e));
                    }
                    // Unreachable networks and refused destinations: that target is silent.
                    Err(_) => {}
                }
            }
            let until = clock.now() + config.echo_wait;
            while clock.now() < until {
                drain(
                    probes,
                    &mut found,
                    &sent_at,
                    until.saturating_duration_since(clock.now()),
                )?;
            }
        }
    }
    // Then TCP, one port at a time, to those still silent.
    for &port in &config.tcp_ports {
        for &ip in targets {
            done += 1;
            progress(done, total, found.len());
            if found.contains_key(&ip) {
                continue;
            }
            while drain(probes, &mut found, &sent_at, Duration::ZERO)? {}
            match gate.emit(Destination::Target(ip), CONNECT_COST + extra_cost, || {
                let at = clock.now();
                probes.start_connect(ip, port).map(|()| at)
            }) {
                Ok(at) => {
                    sent_at.insert((ip, port), at);
                }
                Err(GateError::Io(e)) if e.kind() == io::ErrorKind::PermissionDenied => {
                    return Err(GateError::Io(e));
                }
                Err(_) => {}
            }
        }
        while probes.pending_connects() > 0 {
            drain(probes, &mut found, &sent_at, Duration::from_millis(5))?;
        }
    }
    Ok(found.into_values().collect())
}

#[cfg(all(test, unix))]
mod tests;
