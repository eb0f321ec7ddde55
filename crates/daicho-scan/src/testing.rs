//! A simulated LAN for unit tests: hosts that answer ARP and ICMP echo after a delay, with
//! configurable loss, on a manual clock. Every frame the scanner sends is logged.

use std::collections::BTreeMap;
use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use daicho_model::MacAddr;
use pnet::packet::Packet;
use pnet::packet::arp::{ArpOperations, ArpPacket};
use pnet::packet::ethernet::{EtherTypes, EthernetPacket};
use pnet::packet::ipv4::Ipv4Packet;

use crate::clock::{Clock, ManualClock};
use crate::frames;
use crate::link::{LinkIo, LocalInterface, Received};

/// One simulated host.
#[derive(Debug, Clone)]
pub struct FakeHost {
    pub mac: MacAddr,
    pub ttl: u8,
    pub answers_echo: bool,
    /// ARP requests to ignore before answering (simulated loss).
    pub lose_first: u32,
    pub rtt: Duration,
}

impl FakeHost {
    pub fn new(mac: MacAddr) -> Self {
        Self {
            mac,
            ttl: 64,
            answers_echo: true,
            lose_first: 0,
            rtt: Duration::from_millis(1),
        }
    }
}

/// A frame the scanner sent, when, to which address, and whether it was an ARP request.
#[derive(Debug, Clone)]
pub struct SentFrame {
    pub at: Instant,
    pub dst: Option<Ipv4Addr>,
    pub arp: bool,
}

pub struct FakeLan {
    pub clock: Arc<ManualClock>,
    pub hosts: BTreeMap<Ipv4Addr, FakeHost>,
    pub sent: Vec<SentFrame>,
    pending: Vec<(Instant, Vec<u8>)>,
    pub iface: LocalInterface,
}

impl FakeLan {
    pub fn new(clock: Arc<ManualClock>) -> Self {
        Self {
            clock,
            hosts: BTreeMap::new(),
            sent: Vec::new(),
            pending: Vec::new(),
            iface: LocalInterface {
                name: "fake0".into(),
                mac: MacAddr([0x00, 0x16, 0x3e, 0, 0, 2]),
                ip: Ipv4Addr::new(198, 18, 0, 2),
                prefix: 24,
            },
        }
    }

    /// Adds `n` hosts from 198.18.0.10 upward with distinct MACs; every 7th is randomised.
    pub fn populate(&mut self, n: u8) {
        for i in 0..n {
            let first = if i % 7 == 3 { 0xda } else { 0x00 };
            let mac = MacAddr([first, 0x1b, 0x21, 0, 1, i]);
            self.hosts
                .insert(Ipv4Addr::new(198, 18, 0, 10 + i), FakeHost::new(mac));
        }
    }

    pub fn frames_to(&self, ip: Ipv4Addr) -> usize {
        self.sent.iter().filter(|s| s.dst == Some(ip)).count()
    }
}

impl LinkIo for FakeLan {
    fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        let now = self.clock.now();
        let eth = EthernetPacket::new(frame).expect("scanner sends Ethernet");
        let mut dst = None;
        match eth.get_ethertype() {
            EtherTypes::Arp => {
                let arp = ArpPacket::new(eth.payload()).expect("ARP");
                assert_eq!(arp.get_operation(), ArpOperations::Request);
                let target = arp.get_target_proto_addr();
                dst = Some(target);
                if let Some(host) = self.hosts.get_mut(&target) {
                    if host.lose_first > 0 {
                        host.lose_first -= 1;
                    } else {
                        let reply = frames::arp_reply(
                            host.mac,
                            target,
                            self.iface.mac,
                            arp.get_sender_proto_addr(),
                        );
                        self.pending.push((now + host.rtt, reply));
                    }
                }
            }
            EtherTypes::Ipv4 => {
                let ip = Ipv4Packet::new(eth.payload()).expect("IPv4");
                dst = Some(ip.get_destination());
                if let Some(host) = self.hosts.get(&ip.get_destination())
                    && host.answers_echo
                    && eth.get_destination().octets() == host.mac.octets()
                    && let Some(reply) = frames::echo_reply_for(frame, host.ttl)
                {
                    self.pending.push((now + host.rtt, reply));
                }
            }
            _ => {}
        }
        let arp = eth.get_ethertype() == EtherTypes::Arp;
        self.sent.push(SentFrame { at: now, dst, arp });
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> io::Result<Option<Received>> {
        let now = self.clock.now();
        let earliest = self
            .pending
            .iter()
            .enumerate()
            .min_by_key(|(_, (due, _))| *due)
            .map(|(i, (due, _))| (i, *due));
        match earliest {
            Some((i, due)) if due <= now + timeout => {
                self.clock.sleep_until(due);
                let (at, frame) = self.pending.swap_remove(i);
                Ok(Some(Received { at, frame }))
            }
            _ => {
                self.clock.advance(timeout);
                Ok(None)
            }
        }
    }
}

/// Checks that no window of `window` holds more than `max` of the given instants.
pub fn max_in_window(times: &[Instant], window: Duration) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    let mut best = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end] - sorted[start] >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}
