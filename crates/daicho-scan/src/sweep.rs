//! The ARP sweep of a directly attached subnet: one broadcast "who has" per target at the global
//! rate; retries only for the silent ones, each once the reply window has passed and the per-host
//! rate allows; and, when asked for, one ICMP echo to each host that answered (its TTL feeds the
//! OS guess), sent in between the requests as soon as that host's slot opens. The reply window
//! comes from the round trips measured in this sweep ([`crate::rtt`]); the sweep ends when the
//! window of the last unanswered probe closes, with no fixed listening period after it.
//!
//! Single-threaded over a [`LinkIo`] (frames arrive from the link's own receive thread), so the
//! logic is exercised in tests with a simulated LAN and clock. Every frame leaves through the
//! `PacketGate`, which enforces the scope and the rate. The sweep is Unix only (raw frames);
//! its configuration and results are the same types everywhere.

#[cfg(unix)]
use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;
use std::time::Duration;
#[cfg(unix)]
use std::time::Instant;

use daicho_model::MacAddr;

#[cfg(unix)]
use crate::frames::{self, Heard};
#[cfg(unix)]
use crate::gate::{GateError, PacketGate};
#[cfg(unix)]
use crate::link::{LinkIo, LocalInterface};
#[cfg(unix)]
use crate::rtt::Rtt;

/// How hard the sweep tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepConfig {
    /// ARP requests per silent target, first one included.
    pub attempts: u32,
    /// The shortest reply window, however fast the answers so far: a retry is never sent
    /// sooner after the previous request, and the sweep listens at least this long after its
    /// last unanswered probe.
    pub min_wait: Duration,
    /// The longest reply window, and the window while no answer has been measured yet.
    pub max_wait: Duration,
    /// Send one ICMP echo to each host found, to learn its TTL (the fingerprint phase's OS
    /// guess uses it). Costs one packet per host from the same budget.
    pub echo: bool,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            attempts: 3,
            min_wait: Duration::from_millis(100),
            max_wait: Duration::from_secs(1),
            echo: true,
        }
    }
}

/// A host that answered the sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkHost {
    /// Its address.
    pub ip: Ipv4Addr,
    /// Its MAC, from the first ARP reply.
    pub mac: MacAddr,
    /// Other MACs that also claimed the address (a conflict or a proxy ARP).
    pub other_macs: Vec<MacAddr>,
    /// Time from the last ARP request to its reply.
    pub rtt: Duration,
    /// TTL of its echo reply (or of any IPv4 packet it sent us).
    pub ttl: Option<u8>,
    /// Round trip of the echo.
    pub echo_rtt: Option<Duration>,
}

/// Progress of a sweep, reported after every send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepProgress {
    /// Targets asked at least once.
    pub probed: usize,
    /// All targets.
    pub total: usize,
    /// Hosts found so far.
    pub found: usize,
}

/// What a probe asked.
#[cfg(unix)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// An ARP request.
    Arp,
    /// The ICMP echo to a host found.
    Echo,
}

#[cfg(unix)]
#[derive(Debug, Clone, Copy, Default)]
struct TargetState {
    attempts: u32,
    last_sent: Option<Instant>,
}

/// The state of one sweep between sends.
#[cfg(unix)]
struct Sweep<'a> {
    iface: &'a LocalInterface,
    config: SweepConfig,
    ident: u16,
    state: BTreeMap<Ipv4Addr, TargetState>,
    /// Targets not asked yet, in address order.
    first_pass: VecDeque<Ipv4Addr>,
    /// Silent targets with attempts left, by the time of their last request. The window is the
    /// same for every target and the per-host slot follows the last request, so this order is
    /// also the order in which they fall due.
    retries: VecDeque<(Instant, Ipv4Addr)>,
    /// Hosts found and not pinged yet.
    echoes: Vec<Ipv4Addr>,
    /// Echo sequence number and send time per host pinged.
    echo_sent: BTreeMap<Ipv4Addr, (u16, Instant)>,
    /// Probes that will not be repeated (last attempts, echoes), in send order: the sweep
    /// listens until the window of the latest unanswered one closes.
    final_probes: Vec<(Instant, Ipv4Addr, Probe)>,
    found: BTreeMap<Ipv4Addr, LinkHost>,
    rtt: Rtt,
}

#[cfg(unix)]
impl Sweep<'_> {
    fn window(&self) -> Duration {
        self.rtt.window(self.config.min_wait, self.config.max_wait)
    }

    /// The first silent target to ask again and when it may be asked: once its window has
    /// passed and the per-host rate allows. Targets found meanwhile are dropped.
    fn next_retry(&mut self, gate: &PacketGate) -> Option<(Instant, Ipv4Addr)> {
        while let Some(&(sent, ip)) = self.retries.front() {
            if self.found.contains_key(&ip) {
                self.retries.pop_front();
                continue;
            }
            let due = (sent + self.window()).max(gate.host_ready_at(ip).unwrap_or(sent));
            return Some((due, ip));
        }
        None
    }

    /// The host found whose echo may leave first (its per-host slot), and when.
    fn next_echo(&self, gate: &PacketGate, now: Instant) -> Option<(Instant, usize)> {
        self.echoes
            .iter()
            .enumerate()
            .map(|(i, ip)| (gate.host_ready_at(*ip).unwrap_or(now), i))
            .min()
    }

    /// When the window of the latest probe still unanswered closes.
    fn listen_until(&self) -> Option<Instant> {
        let window = self.window();
        self.final_probes
            .iter()
            .rev()
            .find(|(_, ip, probe)| match probe {
                Probe::Arp => !self.found.contains_key(ip),
                Probe::Echo => self.found.get(ip).is_none_or(|h| h.echo_rtt.is_none()),
            })
            .map(|(sent, _, _)| *sent + window)
    }

    /// Notes a probe that left at `sent_at`.
    fn sent(&mut self, ip: Ipv4Addr, probe: Probe, sent_at: Instant) {
        match probe {
            Probe::Arp => {
                let st = self.state.get_mut(&ip).expect("target state");
                st.attempts += 1;
                st.last_sent = Some(sent_at);
                if st.attempts < self.config.attempts {
                    self.retries.push_back((sent_at, ip));
                } else {
                    self.final_probes.push((sent_at, ip, Probe::Arp));
                }
            }
            Probe::Echo => {
                if let Some(entry) = self.echo_sent.get_mut(&ip) {
                    entry.1 = sent_at;
                }
                self.final_probes.push((sent_at, ip, Probe::Echo));
            }
        }
    }

    /// The frame that asks `probe` of `ip`.
    fn frame(&mut self, ip: Ipv4Addr, probe: Probe, now: Instant) -> Vec<u8> {
        let iface = self.iface;
        match probe {
            Probe::Arp => frames::arp_request(iface.mac, iface.ip, ip),
            Probe::Echo => {
                let seq = (self.echo_sent.len() as u16).wrapping_add(1);
                self.echo_sent.insert(ip, (seq, now));
                let mac = self.found[&ip].mac;
                frames::icmp_echo(iface.mac, iface.ip, mac, ip, self.ident, seq)
            }
        }
    }

    /// Takes in one received frame.
    fn absorb(&mut self, frame: &[u8], at: Instant) {
        match frames::parse(frame) {
            Some(Heard::ArpReply { ip, mac }) => {
                // Only answers about our targets, and only ones we asked for, count.
                let Some(st) = self.state.get(&ip) else {
                    return;
                };
                let Some(sent) = st.last_sent else { return };
                if ip == self.iface.ip {
                    return;
                }
                if let Some(host) = self.found.get_mut(&ip) {
                    if host.mac != mac && !host.other_macs.contains(&mac) {
                        host.other_macs.push(mac);
                    }
                    return;
                }
                let rtt = at.saturating_duration_since(sent);
                // Karn's rule: after a retry, which request this answers is unknown.
                if st.attempts == 1 {
                    self.rtt.sample(rtt);
                }
                self.found.insert(
                    ip,
                    LinkHost {
                        ip,
                        mac,
                        other_macs: Vec::new(),
                        rtt,
                        ttl: None,
                        echo_rtt: None,
                    },
                );
                if self.config.echo {
                    self.echoes.push(ip);
                }
            }
            Some(Heard::EchoReply {
                ip,
                ttl,
                ident: id,
                seq,
                ..
            }) => {
                if let (Some(host), Some(&(s, sent))) =
                    (self.found.get_mut(&ip), self.echo_sent.get(&ip))
                    && id == self.ident
                    && s == seq
                    && host.echo_rtt.is_none()
                {
                    let rtt = at.saturating_duration_since(sent);
                    host.ttl = Some(ttl);
                    host.echo_rtt = Some(rtt);
                    self.rtt.sample(rtt);
                }
            }
            Some(Heard::Ipv4 { ip, ttl, .. }) => {
                if let Some(host) = self.found.get_mut(&ip)
                    && host.ttl.is_none()
                {
                    host.ttl = Some(ttl);
                }
            }
            None => {}
        }
    }
}

/// Sweeps `targets` (all on `iface`'s subnet) and returns the hosts that answered, in address
/// order. Targets the gate refuses are skipped (the gate logs why); any other send error ends
/// the sweep with that error.
#[cfg(unix)]
pub fn arp_sweep(
    link: &mut dyn LinkIo,
    gate: &PacketGate,
    iface: &LocalInterface,
    targets: &[Ipv4Addr],
    config: SweepConfig,
    mut progress: impl FnMut(SweepProgress),
) -> Result<Vec<LinkHost>, GateError> {
    let clock = std::sync::Arc::clone(gate.clock());
    let state: BTreeMap<Ipv4Addr, TargetState> = targets
        .iter()
        .map(|ip| (*ip, TargetState::default()))
        .collect();
    let mut sweep = Sweep {
        iface,
        config,
        ident: (std::process::id() & 0xffff) as u16,
        first_pass: state.keys().copied().collect(),
        state,
        retries: VecDeque::new(),
        echoes: Vec::new(),
        echo_sent: BTreeMap::new(),
        final_probes: Vec::new(),
        found: BTreeMap::new(),
        rtt: Rtt::new(None),
    };
    let total = sweep.state.len();
    let mut probed = 0usize;

    loop {
        while let Some(rx) = link.recv(Duration::ZERO)? {
            sweep.absorb(&rx.frame, rx.at);
        }
        let now = clock.now();
        let retry = sweep.next_retry(gate);
        let echo = sweep.next_echo(gate, now);
        // The next probe: an echo whose slot is open, a retry that is due, or a first request.
        let next = if let Some((_, i)) = echo.filter(|(at, _)| *at <= now) {
            Some((sweep.echoes.swap_remove(i), Probe::Echo))
        } else if let Some((_, ip)) = retry.filter(|(due, _)| *due <= now) {
            sweep.retries.pop_front();
            Some((ip, Probe::Arp))
        } else {
            sweep.first_pass.pop_front().map(|ip| {
                probed += 1;
                (ip, Probe::Arp)
            })
        };
        if let Some((ip, probe)) = next {
            let frame = sweep.frame(ip, probe, now);
            match gate.send_frame(link, &frame) {
                Ok(sent_at) => sweep.sent(ip, probe, sent_at),
                // Refused for the scope: the gate logged it, the target is not asked again.
                Err(
                    GateError::Excluded(_)
                    | GateError::OutOfScope(_)
                    | GateError::UnknownDestination,
                ) => {}
                Err(e) => return Err(e),
            }
            progress(SweepProgress {
                probed,
                total,
                found: sweep.found.len(),
            });
            continue;
        }
        // Nothing can be sent now: listen until the next probe may leave or, with none left,
        // until the last window closes.
        let next_send = retry
            .map(|(at, _)| at)
            .into_iter()
            .chain(echo.map(|(at, _)| at))
            .min();
        let wake = match (next_send, sweep.listen_until()) {
            (Some(at), _) => at,
            (None, Some(end)) if end > now => end,
            (None, _) => break,
        };
        let timeout = wake
            .saturating_duration_since(now)
            .max(Duration::from_micros(100));
        if let Some(rx) = link.recv(timeout)? {
            sweep.absorb(&rx.frame, rx.at);
        }
    }
    Ok(sweep.found.into_values().collect())
}

#[cfg(all(test, unix))]
mod tests;
