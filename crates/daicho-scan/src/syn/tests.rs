use std::collections::BTreeSet;
use std::sync::Arc;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::gate::RateLimits;
use crate::scope::Scope;
use crate::testing::max_in_window;

/// A simulated network of hosts answering SYNs after their round trip, on a manual clock.
struct FakeNet {
    clock: Arc<ManualClock>,
    /// Host → (open ports, round trip, SYNs to drop before answering).
    hosts: BTreeMap<Ipv4Addr, (BTreeSet<u16>, Duration, u32)>,
    pending: Vec<(Instant, SynReply)>,
    sent: Vec<(Instant, SynProbe)>,
    dropped: BTreeMap<Ipv4Addr, u32>,
}

impl FakeNet {
    fn new(clock: Arc<ManualClock>) -> Self {
        Self {
            clock,
            hosts: BTreeMap::new(),
            pending: Vec::new(),
            sent: Vec::new(),
            dropped: BTreeMap::new(),
        }
    }

    fn host(&mut self, ip: &str, open: &[u16], rtt_ms: u64, lose_first: u32) -> Ipv4Addr {
        let ip: Ipv4Addr = ip.parse().unwrap();
        self.hosts.insert(
            ip,
            (
                open.iter().copied().collect(),
                Duration::from_millis(rtt_ms),
                lose_first,
            ),
        );
        ip
    }

    fn sent_to(&self, ip: Ipv4Addr) -> Vec<Instant> {
        self.sent
            .iter()
            .filter(|(_, p)| p.dst == ip)
            .map(|(t, _)| *t)
            .collect()
    }
}

impl SynIo for FakeNet {
    fn send_syn(&mut self, probe: &SynProbe) -> io::Result<()> {
        let now = self.clock.now();
        self.sent.push((now, *probe));
        let Some((open, rtt, lose)) = self.hosts.get(&probe.dst) else {
            return Ok(());
        };
        let dropped = self.dropped.entry(probe.dst).or_default();
        if *dropped < *lose {
            *dropped += 1;
            return Ok(());
        }
        let answer = if open.contains(&probe.port) {
            SynAnswer::Open
        } else {
            SynAnswer::Closed
        };
        self.pending.push((
            now + *rtt,
            SynReply {
                src: probe.dst,
                port: probe.port,
                ack: probe.seq.wrapping_add(1),
                answer,
                at: now + *rtt,
            },
        ));
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> io::Result<Option<SynReply>> {
        let deadline = self.clock.now() + timeout;
        self.pending.sort_by_key(|(t, _)| *t);
        if let Some(&(at, reply)) = self.pending.first()
            && at <= deadline
        {
            self.pending.remove(0);
            self.clock.sleep_until(at);
            return Ok(Some(reply));
        }
        self.clock.sleep_until(deadline);
        Ok(None)
    }
}

fn gate(clock: &Arc<ManualClock>, limits: RateLimits) -> PacketGate {
    let scope = Scope::parse(&["198.18.0.0/24"], &["198.18.0.10"], 1 << 16, false).unwrap();
    PacketGate::new(Arc::new(scope), limits, clock.clone())
}

fn target(ip: Ipv4Addr) -> SynTarget {
    SynTarget {
        ip,
        rtt: Some(Duration::from_millis(1)),
        first_extra: 0,
    }
}

/// A sweep with the default configuration and no progress reporting.
fn sweep(
    net: &mut FakeNet,
    gate: &PacketGate,
    targets: &[SynTarget],
    ports: &[u16],
    key: u32,
) -> BTreeMap<Ipv4Addr, SynHost> {
    syn_sweep(
        net,
        gate,
        targets,
        ports,
        &SynConfig::default(),
        key,
        |_| {},
    )
    .unwrap()
}

const PORTS: [u16; 10] = [21, 22, 23, 80, 139, 443, 445, 3389, 8080, 9100];

#[test]
fn open_closed_and_silent_ports_are_told_apart() {
    let clock = Arc::new(ManualClock::new());
    let gate = gate(&clock, RateLimits::default());
    let mut net = FakeNet::new(clock.clone());
    let web = net.host("198.18.0.20", &[80, 443], 1, 0);
    let gone = "198.18.0.21".parse().unwrap(); // answers nothing
    let targets = [target(web), target(gone)];
    let mut last = None;
    let found = syn_sweep(
        &mut net,
        &gate,
        &targets,
        &PORTS,
        &SynConfig::default(),
        7,
        |p| last = Some(p),
    )
    .unwrap();
    assert_eq!(found[&web].open, vec![80, 443]);
    assert_eq!(found[&web].closed, PORTS.len() - 2);
    assert_eq!(found[&web].silent, 0);
    assert!(found[&gone].open.is_empty());
    assert_eq!(found[&gone].silent, PORTS.len());
    // One SYN per port of the answering host; two (the retry) per port of the silent one.
    assert_eq!(net.sent_to(web).len(), PORTS.len());
    assert_eq!(net.sent_to(gone).len(), 2 * PORTS.len());
    // Gate: every SYN, plus the kernel's RST for each SYN/ACK.
    assert_eq!(gate.stats().packets, (3 * PORTS.len() + 2) as u64);
    let last = last.unwrap();
    assert_eq!((last.done, last.total, last.open), (20, 20, 2));
}

#[test]
fn hosts_are_interleaved_so_the_global_budget_is_spent() {
    // 50 hosts × 10 ports at 5/s per host: serialised, 100 s; interleaved, each host's ten SYNs
    // take two seconds and the 500/s global budget is what limits (500 SYNs: one second).
    let clock = Arc::new(ManualClock::new());
    let gate = gate(&clock, RateLimits::default());
    let mut net = FakeNet::new(clock.clone());
    let targets: Vec<SynTarget> = (20..70)
        .map(|i| target(net.host(&format!("198.18.0.{i}"), &[22], 1, 0)))
        .collect();
    let start = clock.now();
    let found = sweep(&mut net, &gate, &targets, &PORTS, 1);
    let took = clock.now() - start;
    assert!(found.values().all(|h| h.open == vec![22]));
    // Eleven packets per host at 5/s (ten SYNs and the RST for port 22): the last SYN leaves
    // ten intervals (202 ms) after the host's first, and the hosts start 2 ms apart.
    assert!(took < Duration::from_millis(2300), "{took:?}");
    assert!(took >= Duration::from_secs(2), "{took:?}");
    // Both limits held.
    let all: Vec<Instant> = net.sent.iter().map(|(t, _)| *t).collect();
    assert!(max_in_window(&all, Duration::from_secs(1)) <= 500);
    assert!(max_in_window(&all, Duration::from_millis(100)) <= 50);
    for t in &targets {
        assert!(max_in_window(&net.sent_to(t.ip), Duration::from_secs(1)) <= 5);
    }
}

#[test]
fn the_global_limit_counts_the_kernel_resets() {
    // Every port open: each SYN/ACK costs a second packet (the kernel's RST), so 100 probes
    // at 100/s take about two seconds, not one.
    let limits = RateLimits {
        global_pps: 100.0,
        per_host_pps: 100.0,
    };
    let clock = Arc::new(ManualClock::new());
    let gate = gate(&clock, limits);
    let mut net = FakeNet::new(clock.clone());
    let ports: Vec<u16> = (1000..1100).collect();
    let ip = net.host("198.18.0.30", &ports, 1, 0);
    let start = clock.now();
    let found = sweep(&mut net, &gate, &[target(ip)], &ports, 3);
    assert_eq!(found[&ip].open.len(), 100);
    assert_eq!(gate.stats().packets, 200);
    let took = clock.now() - start;
    assert!(took >= Duration::from_millis(1900), "{took:?}");
    assert!(took < Duration::from_millis(2200), "{took:?}");
}

#[test]
fn a_lost_syn_is_sent_again_after_the_hosts_own_window() {
    let clock = Arc::new(ManualClock::new());
    let gate = gate(
        &clock,
        RateLimits {
            global_pps: 1000.0,
            per_host_pps: 1000.0,
        },
    );
    let mut net = FakeNet::new(clock.clone());
    // The first two SYNs vanish; the host answers in 2 ms.
    let ip = net.host("198.18.0.40", &[80], 2, 2);
    let found = sweep(&mut net, &gate, &[target(ip)], &PORTS, 9);
    assert_eq!(found[&ip].open, vec![80]);
    assert_eq!(found[&ip].closed, PORTS.len() - 1);
    assert_eq!(found[&ip].silent, 0);
    let times = net.sent_to(ip);
    assert_eq!(times.len(), PORTS.len() + 2);
    // The retries left once the minimum window (100 ms) had passed, not a fixed second later.
    let last = *times.last().unwrap();
    let first = times[0];
    assert!(last - first >= Duration::from_millis(100));
    assert!(
        last - first < Duration::from_millis(150),
        "{:?}",
        last - first
    );
    assert!(found[&ip].srtt.unwrap() <= Duration::from_millis(3));
}

#[test]
fn the_sweep_ends_when_the_last_window_closes() {
    let clock = Arc::new(ManualClock::new());
    let gate = gate(&clock, RateLimits::default());
    let mut net = FakeNet::new(clock.clone());
    let ip = net.host("198.18.0.50", &[], 1, 0);
    let start = clock.now();
    sweep(&mut net, &gate, &[target(ip)], &[80], 2);
    // One SYN, its RST a millisecond later, and nothing left to wait for.
    assert!(clock.now() - start < Duration::from_millis(5));
}

#[test]
fn excluded_hosts_get_nothing_and_the_first_syn_pays_for_the_kernels_arp() {
    let clock = Arc::new(ManualClock::new());
    let gate = gate(&clock, RateLimits::default());
    let mut net = FakeNet::new(clock.clone());
    let excluded = net.host("198.18.0.10", &[80], 1, 0);
    let ip = net.host("198.18.0.60", &[], 1, 0);
    let mut on_link = target(ip);
    on_link.first_extra = 1;
    let found = sweep(&mut net, &gate, &[target(excluded), on_link], &[80, 443], 4);
    assert!(net.sent_to(excluded).is_empty());
    assert!(found[&excluded].open.is_empty());
    assert_eq!(found[&ip].closed, 2);
    // Two SYNs and the kernel's ARP before the first.
    assert_eq!(gate.stats().packets, 3);
    assert_eq!(gate.stats().refused, 1);
}

#[test]
fn a_stray_segment_is_not_an_answer() {
    let clock = Arc::new(ManualClock::new());
    let gate = gate(&clock, RateLimits::default());
    let mut net = FakeNet::new(clock.clone());
    let ip = net.host("198.18.0.70", &[], 1, 0);
    net.pending.push((
        clock.now(),
        SynReply {
            src: ip,
            port: 80,
            ack: 12345,
            answer: SynAnswer::Open,
            at: clock.now(),
        },
    ));
    let found = sweep(&mut net, &gate, &[target(ip)], &[80], 5);
    assert!(found[&ip].open.is_empty());
    assert_eq!(found[&ip].closed, 1);
}

#[test]
fn segments_are_built_and_read_back() {
    let src: Ipv4Addr = "198.18.0.2".parse().unwrap();
    let probe = SynProbe {
        dst: "198.18.0.20".parse().unwrap(),
        port: 443,
        seq: 0xdead_beef,
        confirm: false,
    };
    let seg = syn_segment(src, 40000, &probe);
    let tcp = TcpPacket::new(&seg).unwrap();
    assert_eq!(tcp.get_flags(), TcpFlags::SYN);
    assert_eq!(tcp.get_destination(), 443);
    assert_eq!(
        tcp.get_checksum(),
        pnet::packet::tcp::ipv4_checksum(&tcp, &src, &probe.dst)
    );
    // A SYN/ACK from the host, as an IPv4 packet.
    let mut reply = vec![0u8; 20 + 20];
    {
        let mut ip = pnet::packet::ipv4::MutableIpv4Packet::new(&mut reply).unwrap();
        ip.set_version(4);
        ip.set_header_length(5);
        ip.set_total_length(40);
        ip.set_next_level_protocol(IpNextHeaderProtocols::Tcp);
        ip.set_source(probe.dst);
        ip.set_destination(src);
    }
    {
        let mut tcp = MutableTcpPacket::new(&mut reply[20..]).unwrap();
        tcp.set_source(443);
        tcp.set_destination(40000);
        tcp.set_acknowledgement(probe.seq.wrapping_add(1));
        tcp.set_data_offset(5);
        tcp.set_flags(TcpFlags::SYN | TcpFlags::ACK);
    }
    let now = Instant::now();
    let r = parse_reply(&reply, 40000, now).unwrap();
    assert_eq!(r.answer, SynAnswer::Open);
    assert_eq!((r.src, r.port, r.ack), (probe.dst, 443, 0xdead_bef0));
    assert!(parse_reply(&reply, 40001, now).is_none(), "another port's");
    MutableTcpPacket::new(&mut reply[20..])
        .unwrap()
        .set_flags(TcpFlags::RST | TcpFlags::ACK);
    assert_eq!(
        parse_reply(&reply, 40000, now).unwrap().answer,
        SynAnswer::Closed
    );
    MutableTcpPacket::new(&mut reply[20..])
        .unwrap()
        .set_flags(TcpFlags::ACK);
    assert!(parse_reply(&reply, 40000, now).is_none(), "a bare ACK");
}
