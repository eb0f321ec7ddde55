use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// One global pacing interval and one per-host slot at `limits` (the gate's 1 % margin included).
fn intervals(limits: RateLimits) -> (Duration, Duration) {
    (
        Duration::from_secs_f64(1.01 / limits.global_pps),
        Duration::from_secs_f64(1.01 / limits.per_host_pps),
    )
}

/// When the ARP requests to `ip` left.
fn arp_times(lan: &FakeLan, ip: Ipv4Addr) -> Vec<Instant> {
    lan.sent
        .iter()
        .filter(|s| s.arp && s.dst == Some(ip))
        .map(|s| s.at)
        .collect()
}

/// Gaps between successive requests to `ip`.
fn gaps(lan: &FakeLan, ip: Ipv4Addr) -> Vec<Duration> {
    arp_times(lan, ip).windows(2).map(|w| w[1] - w[0]).collect()
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

#[test]
fn only_silent_addresses_are_retried() {
    let config = SweepConfig::default();
    let r = run(&[], RateLimits::default(), config, |_| {});
    for i in 1..=254u8 {
        let addr = Ipv4Addr::new(198, 18, 0, i);
        let arps = arp_times(&r.lan, addr).len();
        let echoes = r.lan.frames_to(addr) - arps;
        if addr == r.lan.iface.ip {
            assert_eq!(arps + echoes, 0, "nothing to ourselves");
        } else if r.lan.hosts.contains_key(&addr) {
            assert_eq!((arps, echoes), (1, 1), "{addr}: one request, one echo");
        } else {
            let want = config.attempts as usize;
            assert_eq!((arps, echoes), (want, 0), "{addr}: every attempt, no echo");
        }
    }
}

#[test]
fn retries_wait_for_the_per_host_slot_and_no_longer() {
    let limits = RateLimits::default();
    let (global, slot) = intervals(limits);
    let r = run(&[], limits, SweepConfig::default(), |_| {});
    // With round trips of 1 ms the window is min_wait (100 ms): the per-host slot (202 ms) is
    // what holds the retries back, and they go as soon as it opens (a few global slots later
    // at most, while the first pass is still running).
    for dead in [
        ip("198.18.0.1"),
        ip("198.18.0.5"),
        ip("198.18.0.230"),
        ip("198.18.0.254"),
    ] {
        let gaps = gaps(&r.lan, dead);
        assert_eq!(gaps.len(), 2, "{dead}");
        for gap in gaps {
            assert!(gap >= slot, "{dead}: retry after {gap:?}, slot {slot:?}");
            assert!(gap <= slot + global * 3, "{dead}: retry after {gap:?}");
        }
    }
}

#[test]
fn retries_wait_for_the_window_measured_in_this_sweep() {
    // A per-host rate so high that only the reply window holds the retries back.
    let limits = RateLimits {
        global_pps: 500.0,
        per_host_pps: 1000.0,
    };
    let (global, _) = intervals(limits);
    let config = SweepConfig::default();
    for rtt_ms in [1u64, 150, 300] {
        let rtt = Duration::from_millis(rtt_ms);
        let r = run(&[], limits, config, |lan| {
            for host in lan.hosts.values_mut() {
                host.rtt = rtt;
            }
        });
        assert_eq!(r.hosts.len(), 200, "rtt {rtt:?}");
        let floor = rtt.max(config.min_wait);
        for dead in [ip("198.18.0.1"), ip("198.18.0.230"), ip("198.18.0.254")] {
            for gap in gaps(&r.lan, dead) {
                assert!(gap >= floor, "rtt {rtt:?}: {dead} retried after {gap:?}");
                if rtt_ms == 1 {
                    // Fast answers: the window shrinks to min_wait, and the retry goes then.
                    assert!(gap <= config.min_wait + global * 3, "{dead}: {gap:?}");
                }
            }
        }
    }
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
fn rate_limits_hold_at_the_defaults() {
    let r = run(&[], RateLimits::default(), SweepConfig::default(), |lan| {
        for host in lan.hosts.values_mut().step_by(5) {
            host.lose_first = 1;
        }
    });
    let all: Vec<_> = r.lan.sent.iter().map(|s| s.at).collect();
    assert!(max_in_window(&all, Duration::from_secs(1)) <= 500);
    for i in 1..=254u8 {
        let addr = Ipv4Addr::new(198, 18, 0, i);
        let to_host: Vec<_> = r
            .lan
            .sent
            .iter()
            .filter(|s| s.dst == Some(addr))
            .map(|s| s.at)
            .collect();
        assert!(
            max_in_window(&to_host, Duration::from_secs(1)) <= 5,
            "{addr}"
        );
    }
}

/// When the sweep's last frame left, from its first.
fn last_send(r: &Run) -> Duration {
    let first = r.lan.sent.first().unwrap().at;
    r.lan.sent.last().unwrap().at - first
}

#[test]
fn a_slash_24_ends_one_window_after_its_last_send() {
    let limits = RateLimits::default();
    let (global, slot) = intervals(limits);
    let config = SweepConfig::default();
    // 200 live hosts (.10-.209), 53 silent addresses, among them the end of the range.
    let r = run(&[], limits, config, |_| {});
    let last = last_send(&r);
    let end = r.clock.elapsed();
    // The last send is a final request to a silent address: listened to for min_wait exactly
    // (1 ms answers), not longer.
    assert!(
        end >= last + config.min_wait,
        "{end:?} after a send at {last:?}"
    );
    assert!(
        end <= last + config.min_wait + Duration::from_millis(1),
        "{end:?} after a send at {last:?}"
    );
    // And the sends are as early as the limits allow: the packets at the global rate, or the
    // last target's two retries one per-host slot apart, whichever ends later.
    let packets = r.lan.sent.len() as u32;
    let first_pass_end = arp_times(&r.lan, ip("198.18.0.254"))[0] - r.lan.sent[0].at;
    let bound = (global * packets).max(first_pass_end + slot * 2) + global * 3;
    assert!(last <= bound, "last send at {last:?}, bound {bound:?}");
}

#[test]
fn discovery_only_sweep_of_a_full_slash_24_is_its_packets_at_the_global_rate() {
    let limits = RateLimits::default();
    let (global, _) = intervals(limits);
    let config = SweepConfig {
        echo: false,
        ..SweepConfig::default()
    };
    // .10-.254 live (245 hosts); .1 and .3-.9 silent: their retries fit into the first pass.
    let clock = Arc::new(ManualClock::new());
    let mut lan = FakeLan::new(clock.clone());
    lan.populate(245);
    let scope = Arc::new(Scope::parse(&["198.18.0.0/24"], &[], 1 << 16, false).unwrap());
    let gate = PacketGate::new(scope.clone(), limits, clock.clone());
    let targets: Vec<_> = scope.addresses().filter(|ip| *ip != lan.iface.ip).collect();
    let iface = lan.iface.clone();
    let hosts = arp_sweep(&mut lan, &gate, &iface, &targets, config, |_| {}).unwrap();
    assert_eq!(hosts.len(), 245);
    assert!(
        hosts
            .iter()
            .all(|h| h.ttl.is_none() && h.echo_rtt.is_none())
    );
    assert!(lan.sent.iter().all(|s| s.arp), "no echo without `echo`");
    assert_eq!(lan.sent.len(), 253 + 8 * 2);
    // No wait beyond the last answer: the last request (to .254, live) answers in 1 ms.
    let packets = lan.sent.len() as u32;
    let end = clock.elapsed();
    let bound = global * packets + Duration::from_millis(2);
    assert!(
        end <= bound,
        "{end:?} for {packets} packets (bound {bound:?})"
    );
}

#[test]
fn echoes_go_out_between_the_requests_as_soon_as_each_host_allows() {
    let limits = RateLimits::default();
    let (global, slot) = intervals(limits);
    let r = run(&[], limits, SweepConfig::default(), |_| {});
    let arp_end = arp_times(&r.lan, ip("198.18.0.254"))[0];
    let mut before_end = 0;
    for addr in r.lan.hosts.keys() {
        let arp = arp_times(&r.lan, *addr)[0];
        let echo: Vec<_> = r
            .lan
            .sent
            .iter()
            .filter(|s| !s.arp && s.dst == Some(*addr))
            .map(|s| s.at)
            .collect();
        assert_eq!(echo.len(), 1, "{addr}");
        let after = echo[0] - arp;
        assert!(
            after >= slot && after <= slot + global * 3,
            "{addr}: echo {after:?} after ARP"
        );
        before_end += usize::from(echo[0] < arp_end);
    }
    assert!(
        before_end >= 100,
        "only {before_end} echoes during the first pass"
    );
}
