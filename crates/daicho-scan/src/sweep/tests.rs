use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::clock::ManualClock;
use crate::gate::RateLimits;
use crate::scope::Scope;
use crate::testing::{FakeLan, max_in_window};

struct Run {
    lan: FakeLan,
    hosts: Vec<LinkHost>,
    clock: Arc<ManualClock>,
}

fn run(
    excluded: &[&str],
    limits: RateLimits,
    config: SweepConfig,
    setup: impl FnOnce(&mut FakeLan),
) -> Run {
    let clock = Arc::new(ManualClock::new());
    let mut lan = FakeLan::new(clock.clone());
    lan.populate(200);
    setup(&mut lan);
    let scope = Arc::new(Scope::parse(&["198.18.0.0/24"], excluded, 1 << 16, false).unwrap());
    let gate = PacketGate::new(scope.clone(), limits, clock.clone());
    let targets: Vec<_> = scope.addresses().filter(|ip| *ip != lan.iface.ip).collect();
    let iface = lan.iface.clone();
    let hosts = arp_sweep(&mut lan, &gate, &iface, &targets, config, |_| {}).unwrap();
    Run { lan, hosts, clock }
}

#[test]
fn finds_every_live_host_with_its_mac_and_ttl() {
    let r = run(&[], RateLimits::default(), SweepConfig::default(), |lan| {
        let h = lan.hosts.get_mut(&"198.18.0.50".parse().unwrap()).unwrap();
        h.ttl = 128;
        h.answers_echo = false;
    });
    assert_eq!(r.hosts.len(), 200);
    for host in &r.hosts {
        let truth = &r.lan.hosts[&host.ip];
        assert_eq!(host.mac, truth.mac, "{}", host.ip);
        if host.ip == "198.18.0.50".parse::<Ipv4Addr>().unwrap() {
            assert_eq!(host.ttl, None, "no echo answer, no TTL");
        } else {
            assert_eq!(host.ttl, Some(64));
            assert!(host.echo_rtt.is_some());
        }
        assert!(host.rtt >= Duration::from_millis(1) && host.rtt < Duration::from_millis(50));
    }
    // In address order.
    assert!(r.hosts.windows(2).all(|w| w[0].ip < w[1].ip));
}

#[test]
fn silent_addresses_get_exactly_the_configured_attempts() {
    let config = SweepConfig::default();
    let r = run(&[], RateLimits::default(), config, |_| {});
    let dead: Ipv4Addr = "198.18.0.240".parse().unwrap();
    assert_eq!(r.lan.frames_to(dead), config.attempts as usize);
    // Live hosts are asked once and pinged once.
    let live: Ipv4Addr = "198.18.0.20".parse().unwrap();
    assert_eq!(r.lan.frames_to(live), 2);
    // Retries wait at least retry_after.
    let times: Vec<_> = r
        .lan
        .sent
        .iter()
        .filter(|s| s.dst == Some(dead))
        .map(|s| s.at)
        .collect();
    assert!(times.windows(2).all(|w| w[1] - w[0] >= config.retry_after));
}

#[test]
fn retries_recover_lost_replies() {
    let r = run(&[], RateLimits::default(), SweepConfig::default(), |lan| {
        for (i, host) in lan.hosts.values_mut().enumerate() {
            // Some hosts lose the first request, some the first two.
            host.lose_first = (i % 3) as u32;
        }
    });
    assert_eq!(r.hosts.len(), 200);
    let r = run(
        &[],
        RateLimits::default(),
        SweepConfig {
            attempts: 2,
            ..SweepConfig::default()
        },
        |lan| {
            lan.hosts
                .get_mut(&"198.18.0.30".parse().unwrap())
                .unwrap()
                .lose_first = 2;
        },
    );
    assert_eq!(r.hosts.len(), 199, "two attempts cannot beat two losses");
}

#[test]
fn excluded_hosts_receive_nothing_even_when_passed_as_targets() {
    let excluded = ["198.18.0.10", "198.18.0.100-198.18.0.120"];
    let clock = Arc::new(ManualClock::new());
    let mut lan = FakeLan::new(clock.clone());
    lan.populate(200);
    let scope = Arc::new(Scope::parse(&["198.18.0.0/24"], &excluded, 1 << 16, false).unwrap());
    let gate = PacketGate::new(scope.clone(), RateLimits::default(), clock);
    // Deliberately hand the sweep every address, excluded ones included: the gate must hold.
    let targets: Vec<Ipv4Addr> = (1..=254).map(|i| Ipv4Addr::new(198, 18, 0, i)).collect();
    let iface = lan.iface.clone();
    let hosts = arp_sweep(
        &mut lan,
        &gate,
        &iface,
        &targets,
        SweepConfig::default(),
        |_| {},
    )
    .unwrap();
    for s in &lan.sent {
        let dst = s.dst.unwrap();
        assert!(!scope.is_excluded(dst), "a frame went to excluded {dst}");
    }
    assert!(hosts.iter().all(|h| !scope.is_excluded(h.ip)));
    assert_eq!(hosts.len(), 200 - 1 - 21);
    assert_eq!(gate.stats().refused, 22);
}

#[test]
fn rate_limits_hold_during_a_sweep() {
    let limits = RateLimits {
        global_pps: 100.0,
        per_host_pps: 3.0,
    };
    let r = run(&["198.18.0.15"], limits, SweepConfig::default(), |lan| {
        for host in lan.hosts.values_mut().step_by(4) {
            host.lose_first = 1;
        }
    });
    assert_eq!(r.hosts.len(), 199);
    let all: Vec<_> = r.lan.sent.iter().map(|s| s.at).collect();
    assert!(max_in_window(&all, Duration::from_secs(1)) <= 100);
    for ip in r.lan.hosts.keys() {
        let to_host: Vec<_> = r
            .lan
            .sent
            .iter()
            .filter(|s| s.dst == Some(*ip))
            .map(|s| s.at)
            .collect();
        assert!(max_in_window(&to_host, Duration::from_secs(1)) <= 3, "{ip}");
    }
}

#[test]
fn default_sweep_of_a_slash_24_is_fast() {
    let r = run(&[], RateLimits::default(), SweepConfig::default(), |_| {});
    let packets = r.lan.sent.len() as f64;
    let elapsed = r.clock.elapsed().as_secs_f64();
    // Paced time for the packets, plus the last retries' wait and the final listening period.
    let c = SweepConfig::default();
    let tail = c.retry_after.as_secs_f64() * f64::from(c.attempts - 1) + c.linger.as_secs_f64();
    let bound = packets / RateLimits::default().global_pps * 1.01 + tail;
    assert!(
        elapsed <= bound,
        "{elapsed:.3}s for {packets} packets (bound {bound:.3}s)"
    );
}
