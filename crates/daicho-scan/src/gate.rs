//! The packet gate: the one place every probe passes through before it leaves.
//!
//! It enforces, for every frame and every socket probe:
//! - **scope**: the destination must be a target and not excluded (an excluded host receives
//!   nothing, ARP included); a frame whose destination cannot be read is refused too;
//! - **rate**: a global packets-per-second limit and a per-host one, as strict pacing: two
//!   packets are never closer than `1/rate` (plus a small safety margin), so no one-second window
//!   ever holds more than `rate` packets. Probes that make the kernel send several packets (a TCP
//!   connect: SYN, then ACK and RST) are charged for all of them.

use std::collections::HashMap;
use std::io;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[cfg(unix)]
use pnet::packet::Packet;
#[cfg(unix)]
use pnet::packet::arp::ArpPacket;
#[cfg(unix)]
use pnet::packet::ethernet::{EtherTypes, EthernetPacket};
#[cfg(unix)]
use pnet::packet::ipv4::Ipv4Packet;

use crate::clock::Clock;
#[cfg(unix)]
use crate::link::LinkIo;
use crate::scope::Scope;

/// Default global limit, packets per second.
pub const DEFAULT_RATE_PPS: f64 = 500.0;
/// Default limit per destination host, packets per second.
pub const DEFAULT_PER_HOST_PPS: f64 = 5.0;

/// Pacing intervals are stretched by this factor so that timestamp jitter between our clock and
/// the wire, or the rare two-packet burst (a socket send that makes the kernel ARP first, charged
/// as two), cannot make a one-second window hold one packet too many.
const SAFETY_MARGIN: f64 = 1.01;

/// The configured packet rate limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Packets per second over all destinations.
    pub global_pps: f64,
    /// Packets per second to any one destination.
    pub per_host_pps: f64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            global_pps: DEFAULT_RATE_PPS,
            per_host_pps: DEFAULT_PER_HOST_PPS,
        }
    }
}

impl RateLimits {
    /// Checks that both limits are positive finite numbers.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("rate", self.global_pps),
            ("per-host rate", self.per_host_pps),
        ] {
            if !v.is_finite() || v <= 0.0 {
                return Err(format!(
                    "the {name} must be a positive number of packets per second, not {v}"
                ));
            }
        }
        Ok(())
    }

    fn interval(pps: f64) -> Duration {
        Duration::from_secs_f64(SAFETY_MARGIN / pps)
    }
}

/// Why the gate did not send a packet.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The destination is excluded; nothing was sent.
    #[error("{0} is excluded; nothing was sent to it")]
    Excluded(Ipv4Addr),
    /// The destination is not in the scope's targets; nothing was sent.
    #[error("{0} is outside the scan scope; nothing was sent to it")]
    OutOfScope(Ipv4Addr),
    /// The frame's destination could not be determined, so it was not sent.
    #[error("refused to send a frame whose destination address cannot be read")]
    UnknownDestination,
    /// The operating system refused or failed the send.
    #[error("send failed: {0}")]
    Io(#[from] io::Error),
}

/// How a destination is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// A host being probed: must be in scope and not excluded.
    Target(Ipv4Addr),
    /// Infrastructure the scan relies on (the DNS resolver for reverse lookups): may be outside
    /// the targets, but never excluded. It counts towards the global rate; the per-host limit,
    /// which protects scanned devices, does not apply to a server answering our queries.
    Service(Ipv4Addr),
}

impl Destination {
    /// The destination address.
    pub fn ip(self) -> Ipv4Addr {
        match self {
            Self::Target(ip) | Self::Service(ip) => ip,
        }
    }
}

/// Counters of what the gate let through and held back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GateStats {
    /// Packets sent (counting the extra packets a probe makes the kernel send).
    pub packets: u64,
    /// Sends refused because of the scope.
    pub refused: u64,
}

#[derive(Debug)]
struct Pacer {
    global_interval: Duration,
    host_interval: Duration,
    next_global: Option<Instant>,
    next_host: HashMap<Ipv4Addr, Instant>,
}

impl Pacer {
    fn ready_at(&self, dst: Destination, now: Instant) -> Instant {
        let mut at = now;
        if let Some(t) = self.next_global {
            at = at.max(t);
        }
        if let Destination::Target(ip) = dst
            && let Some(t) = self.next_host.get(&ip)
        {
            at = at.max(*t);
        }
        at
    }

    fn record(&mut self, dst: Destination, sent_at: Instant, cost: u32) {
        self.next_global = Some(sent_at + self.global_interval * cost);
        if let Destination::Target(ip) = dst {
            self.next_host
                .insert(ip, sent_at + self.host_interval * cost);
        }
    }

    /// Packets that left at `now` unpaced: each limit's next slot moves back by their cost,
    /// counted from that slot or from now, whichever is later.
    fn charge(&mut self, dst: Destination, now: Instant, cost: u32) {
        let global = self.next_global.map_or(now, |t| t.max(now));
        self.next_global = Some(global + self.global_interval * cost);
        if let Destination::Target(ip) = dst {
            let host = self.next_host.get(&ip).map_or(now, |t| (*t).max(now));
            self.next_host.insert(ip, host + self.host_interval * cost);
        }
    }
}

/// The single exit for every packet of a scan. Cheap to share between threads.
#[derive(Clone)]
pub struct PacketGate {
    inner: Arc<GateInner>,
}

struct GateInner {
    scope: Arc<Scope>,
    clock: Arc<dyn Clock>,
    state: Mutex<(Pacer, GateStats)>,
}

impl std::fmt::Debug for PacketGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketGate")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl PacketGate {
    /// A gate for `scope` pacing to `limits`, timed by `clock`.
    pub fn new(scope: Arc<Scope>, limits: RateLimits, clock: Arc<dyn Clock>) -> Self {
        let pacer = Pacer {
            global_interval: RateLimits::interval(limits.global_pps),
            host_interval: RateLimits::interval(limits.per_host_pps),
            next_global: None,
            next_host: HashMap::new(),
        };
        Self {
            inner: Arc::new(GateInner {
                scope,
                clock,
                state: Mutex::new((pacer, GateStats::default())),
            }),
        }
    }

    /// The scope the gate enforces.
    pub fn scope(&self) -> &Scope {
        &self.inner.scope
    }

    /// The clock the gate paces with.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// What has been sent and refused so far.
    pub fn stats(&self) -> GateStats {
        self.inner.state.lock().expect("gate lock").1
    }

    /// The earliest time a packet to `ip` may leave.
    pub fn ready_at(&self, ip: Ipv4Addr) -> Instant {
        let now = self.inner.clock.now();
        self.inner
            .state
            .lock()
            .expect("gate lock")
            .0
            .ready_at(Destination::Target(ip), now)
    }

    /// When the per-host limit next lets a packet go to `ip` (the global limit aside); `None`
    /// when nothing has been sent to it yet.
    pub fn host_ready_at(&self, ip: Ipv4Addr) -> Option<Instant> {
        let state = self.inner.state.lock().expect("gate lock");
        state.0.next_host.get(&ip).copied()
    }

    /// True when the per-host limit lets a packet go to `ip` at `now`.
    pub fn host_ready(&self, ip: Ipv4Addr, now: Instant) -> bool {
        self.host_ready_at(ip).is_none_or(|t| t <= now)
    }

    /// Sends with `send` once the scope allows `dst` and the rate allows `cost` packets, waiting
    /// for the rate if needed. Sends are serialised, so pacing holds across threads; the wait
    /// itself holds no lock, so a thread that only reads or charges the pacing state (an async
    /// task on a runtime's worker) is never held up by another thread's wait.
    pub fn emit<T>(
        &self,
        dst: Destination,
        cost: u32,
        send: impl FnOnce() -> io::Result<T>,
    ) -> Result<T, GateError> {
        let ip = dst.ip();
        let scope = &self.inner.scope;
        let refusal = if scope.is_excluded(ip) {
            Some(GateError::Excluded(ip))
        } else if matches!(dst, Destination::Target(_)) && !scope.allows(ip) {
            Some(GateError::OutOfScope(ip))
        } else {
            None
        };
        if let Some(err) = refusal {
            self.inner.state.lock().expect("gate lock").1.refused += 1;
            tracing::warn!("{err}");
            return Err(err);
        }
        let clock = &self.inner.clock;
        loop {
            let mut state = self.inner.state.lock().expect("gate lock");
            let now = clock.now();
            let at = state.0.ready_at(dst, now);
            if at > now {
                // Another sender may take the slot meanwhile: look again after the wait.
                drop(state);
                clock.sleep_until(at);
                continue;
            }
            // Pace from the moment of sending, not the planned moment: a late wake-up must not
            // let the next packet follow closer than the interval.
            let result = send();
            state.0.record(dst, now, cost.max(1));
            if result.is_ok() {
                state.1.packets += u64::from(cost.max(1));
            }
            return Ok(result?);
        }
    }

    /// Charges `cost` packets to `dst` that have already left without passing [`emit`]: those the
    /// kernel sends on its own once an answer arrives (the RST after a half-open probe's
    /// SYN/ACK, the ACKs of data a service sends). Post-paid, they push the next slots back by
    /// their cost, so the average holds and a one-second window exceeds the limit by at most
    /// the packets charged inside it.
    ///
    /// [`emit`]: Self::emit
    pub fn charge(&self, dst: Destination, cost: u32) {
        if cost == 0 {
            return;
        }
        let now = self.inner.clock.now();
        let mut state = self.inner.state.lock().expect("gate lock");
        state.0.charge(dst, now, cost);
        state.1.packets += u64::from(cost);
    }

    /// Sends one Ethernet frame on `link`. The destination is read from the frame itself (the
    /// ARP target address, or the IPv4 destination), so no caller can bypass the scope.
    #[cfg(unix)]
    pub fn send_frame(&self, link: &mut dyn LinkIo, frame: &[u8]) -> Result<Instant, GateError> {
        let ip = frame_destination(frame).ok_or_else(|| {
            self.inner.state.lock().expect("gate lock").1.refused += 1;
            GateError::UnknownDestination
        })?;
        let clock = Arc::clone(&self.inner.clock);
        self.emit(Destination::Target(ip), 1, || {
            let at = clock.now();
            link.send(frame).map(|()| at)
        })
    }
}

/// The IPv4 address a frame is meant for: the ARP target or the IPv4 destination.
#[cfg(unix)]
pub fn frame_destination(frame: &[u8]) -> Option<Ipv4Addr> {
    let eth = EthernetPacket::new(frame)?;
    match eth.get_ethertype() {
        EtherTypes::Arp => ArpPacket::new(eth.payload()).map(|a| a.get_target_proto_addr()),
        EtherTypes::Ipv4 => Ipv4Packet::new(eth.payload()).map(|p| p.get_destination()),
        _ => None,
    }
}

#[cfg(all(test, unix))]
mod tests;
