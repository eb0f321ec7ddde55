use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::gate::RateLimits;
use crate::scope::Scope;
use crate::testing::max_in_window;

/// Routed hosts: which answer echo, which ports are open or closed (refuse).
struct FakeProbes {
    clock: Arc<ManualClock>,
    icmp: bool,
    echo: BTreeSet<Ipv4Addr>,
    open: BTreeSet<(Ipv4Addr, u16)>,
    refuse: BTreeSet<(Ipv4Addr, u16)>,
    events: VecDeque<ProbeEvent>,
    pending: BTreeMap<(Ipv4Addr, u16), Instant>,
    log: Vec<(Instant, Ipv4Addr, &'static str)>,
}

impl FakeProbes {
    fn new(clock: Arc<ManualClock>, icmp: bool) -> Self {
        Self {
            clock,
            icmp,
            echo: BTreeSet::new(),
            open: BTreeSet::new(),
            refuse: BTreeSet::new(),
            events: VecDeque::new(),
            pending: BTreeMap::new(),
            log: Vec::new(),
        }
    }
}

impl SocketProbes for FakeProbes {
    fn has_icmp(&self) -> bool {
        self.icmp
    }
    fn send_echo(&mut self, ip: Ipv4Addr, ident: u16, seq: u16) -> io::Result<()> {
        let at = self.clock.now();
        self.log.push((at, ip, "echo"));
        if self.echo.contains(&ip) {
            self.events.push_back(ProbeEvent::Echo {
                ip,
                ttl: 63,
                ident,
                seq,
                at,
            });
        }
        Ok(())
    }
    fn start_connect(&mut self, ip: Ipv4Addr, port: u16) -> io::Result<()> {
        let at = self.clock.now();
        self.log.push((at, ip, "tcp"));
        if self.open.contains(&(ip, port)) || self.refuse.contains(&(ip, port)) {
            let open = self.open.contains(&(ip, port));
            self.events
                .push_back(ProbeEvent::TcpAnswer { ip, port, open, at });
        } else {
            self.pending.insert((ip, port), at);
        }
        Ok(())
    }
    fn pending_connects(&self) -> usize {
        self.pending.len()
    }
    fn poll(&mut self, timeout: Duration) -> io::Result<Option<ProbeEvent>> {
        if let Some(e) = self.events.pop_front() {
            return Ok(Some(e));
        }
        self.clock.advance(timeout);
        let now = self.clock.now();
        let expired: Vec<_> = self
            .pending
            .iter()
            .filter(|(_, t)| now - **t >= CONNECT_TIMEOUT)
            .map(|(k, _)| *k)
            .collect();
        if let Some(&(ip, port)) = expired.first() {
            self.pending.remove(&(ip, port));
            return Ok(Some(ProbeEvent::TcpSilent { ip, port }));
        }
        Ok(None)
    }
}

fn gate(clock: &Arc<ManualClock>, exclude: &[&str]) -> PacketGate {
    let scope = Scope::parse(&["198.18.1.0/24"], exclude, 1 << 16, false).unwrap();
    PacketGate::new(Arc::new(scope), RateLimits::default(), clock.clone())
}

fn targets() -> Vec<Ipv4Addr> {
    (1..=254).map(|i| Ipv4Addr::new(198, 18, 1, i)).collect()
}

#[test]
fn echo_then_tcp_finds_hosts_that_block_ping() {
    let clock = Arc::new(ManualClock::new());
    let mut probes = FakeProbes::new(clock.clone(), true);
    let (a, b, c) = (
        Ipv4Addr::new(198, 18, 1, 10),
        Ipv4Addr::new(198, 18, 1, 11),
        Ipv4Addr::new(198, 18, 1, 12),
    );
    probes.echo.insert(a);
    probes.refuse.insert((b, 443)); // no ping, closed port: still alive
    probes.open.insert((c, 3389));
    let the_gate = gate(&clock, &[]);
    let mut last = (0, 0);
    let hosts = probe_hosts(
        &mut probes,
        &the_gate,
        &targets(),
        &ProbeConfig::default(),
        0,
        |done, total, _| last = (done, total),
    )
    .unwrap();
    // Progress ends complete: 254 targets x (2 echo rounds + 5 ports).
    assert_eq!(last, (254 * 7, 254 * 7));
    let ips: Vec<_> = hosts.iter().map(|h| h.ip).collect();
    assert_eq!(ips, vec![a, b, c]);
    assert_eq!(hosts[0].ttl, Some(63));
    assert_eq!(hosts[0].methods, vec!["icmp"]);
    assert_eq!(hosts[1].methods, vec!["tcp"]);
    // The pinged host got no TCP probe; the others stopped at the port that answered.
    assert!(!probes.log.iter().any(|(_, ip, k)| *ip == a && *k == "tcp"));
    assert_eq!(
        probes
            .log
            .iter()
            .filter(|(_, ip, k)| *ip == b && *k == "tcp")
            .count(),
        2
    );
    // A silent address gets every echo attempt and every port.
    let dead = Ipv4Addr::new(198, 18, 1, 200);
    assert_eq!(
        probes.log.iter().filter(|(_, ip, _)| *ip == dead).count(),
        2 + 5
    );
}

#[test]
fn without_icmp_only_tcp_and_exclusions_hold() {
    let clock = Arc::new(ManualClock::new());
    let mut p = FakeProbes::new(clock.clone(), false);
    let x = Ipv4Addr::new(198, 18, 1, 20);
    p.open.insert((x, 80));
    let g = gate(&clock, &["198.18.1.20", "198.18.1.100-198.18.1.150"]);
    let config = ProbeConfig {
        tcp_ports: vec![80],
        ..ProbeConfig::default()
    };
    let hosts = probe_hosts(&mut p, &g, &targets(), &config, 1, |_, _, _| {}).unwrap();
    assert!(
        hosts.is_empty(),
        "the excluded host must not even be probed"
    );
    assert!(
        p.log
            .iter()
            .all(|(_, ip, k)| *k == "tcp" && !g.scope().is_excluded(*ip))
    );
    assert_eq!(p.log.len(), 254 - 52);
    // Each connect is charged CONNECT_COST + 1 packets: the global pace reflects it.
    let times: Vec<_> = p.log.iter().map(|(t, _, _)| *t).collect();
    let per_second =
        (RateLimits::default().global_pps / f64::from(CONNECT_COST + 1)).ceil() as usize;
    assert!(max_in_window(&times, Duration::from_secs(1)) <= per_second);
}
