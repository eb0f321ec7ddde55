//! The ARP sweep of a directly attached subnet: broadcast "who has" for every target, retries for
//! the silent ones, then one ICMP echo to each host that answered to learn its TTL.
//!
//! Single-threaded over a [`LinkIo`] (frames arrive from the link's own receive thread), so the
//! logic is exercised in tests with a simulated LAN and clock. Every frame leaves through the
//! [`PacketGate`], which enforces the scope and the rate.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use daicho_model::MacAddr;

use crate::frames::{self, Heard};
use crate::gate::{GateError, PacketGate};
use crate::link::{LinkIo, LocalInterface};

/// How hard the sweep tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepConfig {
    /// ARP requests per silent target, first one included.
    pub attempts: u32,
    /// Wait before asking a silent target again.
    pub retry_after: Duration,
    /// How long to listen for late answers after the last request.
    pub linger: Duration,
    /// Send one ICMP echo to each host found, to learn its TTL.
    pub echo: bool,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            attempts: 3,
            retry_after: Duration::from_millis(200),
            linger: Duration::from_millis(250),
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

#[derive(Debug, Clone, Copy)]
struct TargetState {
    attempts: u32,
    last_sent: Option<Instant>,
}

/// Sweeps `targets` (all on `iface`'s subnet) and returns the hosts that answered, in address
/// order. Targets the gate refuses are skipped (the gate logs why); any other send error ends
/// the sweep with that error.
pub fn arp_sweep(
    link: &mut dyn LinkIo,
    gate: &PacketGate,
    iface: &LocalInterface,
    targets: &[Ipv4Addr],
    config: SweepConfig,
    mut progress: impl FnMut(SweepProgress),
) -> Result<Vec<LinkHost>, GateError> {
    let clock = std::sync::Arc::clone(gate.clock());
    let ident = (std::process::id() & 0xffff) as u16;
    let mut state: BTreeMap<Ipv4Addr, TargetState> = targets
        .iter()
        .map(|ip| {
            (
                *ip,
                TargetState {
                    attempts: 0,
                    last_sent: None,
                },
            )
        })
        .collect();
    let mut first_pass: VecDeque<Ipv4Addr> = state.keys().copied().collect();
    // Retries fall due in the order the requests were sent, so a FIFO stays sorted by due time.
    let mut retries: VecDeque<(Instant, Ipv4Addr)> = VecDeque::new();
    let mut echoes: VecDeque<Ipv4Addr> = VecDeque::new();
    let mut echo_sent: BTreeMap<Ipv4Addr, (u16, Instant)> = BTreeMap::new();
    let mut found: BTreeMap<Ipv4Addr, LinkHost> = BTreeMap::new();
    let mut refused: HashSet<Ipv4Addr> = HashSet::new();
    let mut last_send = clock.now();
    let total = state.len();
    let mut probed = 0usize;

    loop {
        // Take in everything that has arrived.
        while let Some(rx) = link.recv(Duration::ZERO)? {
            absorb(
                &rx.frame,
                rx.at,
                iface,
                &state,
                &mut found,
                &mut echoes,
                &echo_sent,
                config.echo,
                ident,
            );
        }
        let now = clock.now();
        // Drop retries for hosts that have answered meanwhile.
        while let Some(&(_, ip)) = retries.front() {
            if found.contains_key(&ip) {
                retries.pop_front();
            } else {
                break;
            }
        }
        // Choose the next frame: an echo to a found host, a due retry, or a first request.
        let mut next: Option<(Instant, Vec<u8>, Ipv4Addr, bool)> = None;
        if let Some(&ip) = echoes.front()
            && gate.host_ready(ip, now)
        {
            echoes.pop_front();
            let host = &found[&ip];
            let seq = (echo_sent.len() as u16).wrapping_add(1);
            echo_sent.insert(ip, (seq, now));
            let frame = frames::icmp_echo(iface.mac, iface.ip, host.mac, ip, ident, seq);
            next = Some((now, frame, ip, false));
        }
        if next.is_none()
            && let Some(&(due, ip)) = retries.front()
            && due <= now
            && gate.host_ready(ip, now)
        {
            retries.pop_front();
            next = Some((now, frames::arp_request(iface.mac, iface.ip, ip), ip, true));
        }
        if next.is_none()
            && let Some(ip) = first_pass.pop_front()
        {
            probed += 1;
            next = Some((now, frames::arp_request(iface.mac, iface.ip, ip), ip, true));
        }
        if let Some((_, frame, ip, is_arp)) = next {
            match gate.send_frame(link, &frame) {
                Ok(sent_at) => {
                    last_send = sent_at;
                    if is_arp {
                        let st = state.get_mut(&ip).expect("target state");
                        st.attempts += 1;
                        st.last_sent = Some(sent_at);
                        if st.attempts < config.attempts {
                            retries.push_back((sent_at + config.retry_after, ip));
                        }
                    } else if let Some(entry) = echo_sent.get_mut(&ip) {
                        entry.1 = sent_at;
                    }
                }
                Err(
                    GateError::Excluded(_)
                    | GateError::OutOfScope(_)
                    | GateError::UnknownDestination,
                ) => {
                    refused.insert(ip);
                }
                Err(e) => return Err(e),
            }
            progress(SweepProgress {
                probed,
                total,
                found: found.len(),
            });
            continue;
        }
        // Nothing can be sent right now: wait for an answer or for the next send opportunity.
        let mut wake: Option<Instant> = None;
        if let Some(&(due, ip)) = retries.front() {
            wake = Some(gate.host_ready_at(ip).map_or(due, |t| due.max(t)));
        }
        if let Some(&ip) = echoes.front() {
            let at = gate.host_ready_at(ip).unwrap_or(now);
            wake = Some(wake.map_or(at, |w| w.min(at)));
        }
        let wake = if let Some(w) = wake {
            w
        } else {
            // Only the final listening period is left.
            let end = last_send + config.linger;
            if now >= end {
                break;
            }
            end
        };
        let timeout = wake
            .saturating_duration_since(now)
            .max(Duration::from_micros(100));
        if let Some(rx) = link.recv(timeout)? {
            absorb(
                &rx.frame,
                rx.at,
                iface,
                &state,
                &mut found,
                &mut echoes,
                &echo_sent,
                config.echo,
                ident,
            );
        }
    }
    Ok(found.into_values().collect())
}

#[allow(clippy::too_many_arguments)]
fn absorb(
    frame: &[u8],
    at: Instant,
    iface: &LocalInterface,
    state: &BTreeMap<Ipv4Addr, TargetState>,
    found: &mut BTreeMap<Ipv4Addr, LinkHost>,
    echoes: &mut VecDeque<Ipv4Addr>,
    echo_sent: &BTreeMap<Ipv4Addr, (u16, Instant)>,
    echo: bool,
    ident: u16,
) {
    match frames::parse(frame) {
        Some(Heard::ArpReply { ip, mac }) => {
            // Only answers about our targets, and only ones we asked for, count.
            let Some(st) = state.get(&ip) else { return };
            let Some(sent) = st.last_sent else { return };
            if ip == iface.ip {
                return;
            }
            if let Some(host) = found.get_mut(&ip) {
                if host.mac != mac && !host.other_macs.contains(&mac) {
                    host.other_macs.push(mac);
                }
            } else {
                found.insert(
                    ip,
                    LinkHost {
                        ip,
                        mac,
                        other_macs: Vec::new(),
                        rtt: at.saturating_duration_since(sent),
                        ttl: None,
                        echo_rtt: None,
                    },
                );
                if echo {
                    echoes.push_back(ip);
                }
            }
        }
        Some(Heard::EchoReply {
            ip,
            ttl,
            ident: id,
            seq,
            ..
        }) => {
            if let (Some(host), Some(&(s, sent))) = (found.get_mut(&ip), echo_sent.get(&ip))
                && id == ident
                && s == seq
                && host.echo_rtt.is_none()
            {
                host.ttl = Some(ttl);
                host.echo_rtt = Some(at.saturating_duration_since(sent));
            }
        }
        Some(Heard::Ipv4 { ip, ttl, .. }) => {
            if let Some(host) = found.get_mut(&ip)
                && host.ttl.is_none()
            {
                host.ttl = Some(ttl);
            }
        }
        None => {}
    }
}

#[cfg(test)]
mod tests;
