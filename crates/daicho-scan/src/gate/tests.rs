use std::time::Duration;

use super::*;
use crate::clock::ManualClock;
use crate::testing::{FakeLan, max_in_window};

fn setup(limits: RateLimits) -> (Arc<ManualClock>, PacketGate, FakeLan) {
    let clock = Arc::new(ManualClock::new());
    let scope = Scope::parse(&["198.18.0.0/24"], &["198.18.0.10"], 1 << 16, false).unwrap();
    let gate = PacketGate::new(Arc::new(scope), limits, clock.clone());
    let lan = FakeLan::new(clock.clone());
    (clock, gate, lan)
}

fn arp_for(lan: &FakeLan, ip: &str) -> Vec<u8> {
    crate::frames::arp_request(lan.iface.mac, lan.iface.ip, ip.parse().unwrap())
}

#[test]
fn excluded_and_out_of_scope_frames_never_leave() {
    let (_, gate, mut lan) = setup(RateLimits::default());
    let f = arp_for(&lan, "198.18.0.10");
    assert!(matches!(
        gate.send_frame(&mut lan, &f),
        Err(GateError::Excluded(_))
    ));
    let f = arp_for(&lan, "198.18.1.10");
    assert!(matches!(
        gate.send_frame(&mut lan, &f),
        Err(GateError::OutOfScope(_))
    ));
    // A frame whose destination cannot be read is refused, not waved through.
    assert!(matches!(
        gate.send_frame(&mut lan, &[0u8; 60]),
        Err(GateError::UnknownDestination)
    ));
    // Socket probes are judged the same way; a service may be outside the targets but not excluded.
    let mut called = false;
    let r = gate.emit(
        Destination::Service("198.18.0.10".parse().unwrap()),
        1,
        || {
            called = true;
            Ok(())
        },
    );
    assert!(r.is_err() && !called);
    assert!(
        gate.emit(
            Destination::Service("192.0.2.53".parse().unwrap()),
            1,
            || Ok(())
        )
        .is_ok()
    );
    assert!(lan.sent.is_empty());
    assert_eq!(gate.stats().refused, 4);
    let f = arp_for(&lan, "198.18.0.11");
    gate.send_frame(&mut lan, &f).unwrap();
    assert_eq!(lan.sent.len(), 1);
}

#[test]
fn global_rate_is_strict_pacing() {
    let limits = RateLimits {
        global_pps: 50.0,
        per_host_pps: 1000.0,
    };
    let (_, gate, mut lan) = setup(limits);
    for i in 0..200u32 {
        let f = arp_for(&lan, &format!("198.18.0.{}", 11 + i % 200));
        gate.send_frame(&mut lan, &f).unwrap();
    }
    let times: Vec<_> = lan.sent.iter().map(|s| s.at).collect();
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(20));
    }
    assert!(max_in_window(&times, Duration::from_secs(1)) <= 50);
    // And pacing is not needlessly slow: 200 packets take about 4 s.
    let span = *times.last().unwrap() - times[0];
    assert!(span < Duration::from_millis(4100), "{span:?}");
}

#[test]
fn per_host_rate_and_cost() {
    let limits = RateLimits {
        global_pps: 1000.0,
        per_host_pps: 4.0,
    };
    let (clock, gate, mut lan) = setup(limits);
    let ip: Ipv4Addr = "198.18.0.20".parse().unwrap();
    let mut times = vec![];
    for _ in 0..12 {
        gate.emit(Destination::Target(ip), 1, || Ok(())).unwrap();
        times.push(clock.now());
    }
    assert!(max_in_window(&times, Duration::from_secs(1)) <= 4);
    // Another host is not held up by the first one's limit.
    let before = clock.now();
    let f = arp_for(&lan, "198.18.0.21");
    gate.send_frame(&mut lan, &f).unwrap();
    assert!(clock.now() - before <= Duration::from_millis(2));
    // A probe costing 3 packets holds the host for 3 intervals.
    let t0 = clock.now();
    gate.emit(Destination::Target(ip), 3, || Ok(())).unwrap();
    let sent = clock.now();
    gate.emit(Destination::Target(ip), 1, || Ok(())).unwrap();
    assert!(
        clock.now() - sent >= Duration::from_millis(750),
        "{:?}",
        clock.now() - t0
    );
    assert_eq!(gate.stats().packets, 12 + 1 + 3 + 1);
}

#[test]
fn invalid_limits_are_refused() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(
            RateLimits {
                global_pps: bad,
                per_host_pps: 1.0
            }
            .validate()
            .is_err()
        );
        assert!(
            RateLimits {
                global_pps: 1.0,
                per_host_pps: bad
            }
            .validate()
            .is_err()
        );
    }
    assert!(RateLimits::default().validate().is_ok());
}

#[test]
fn a_service_counts_globally_but_has_no_per_host_limit() {
    let limits = RateLimits {
        global_pps: 100.0,
        per_host_pps: 1.0,
    };
    let (clock, gate, _) = setup(limits);
    let resolver: Ipv4Addr = "192.0.2.53".parse().unwrap();
    let start = clock.now();
    for _ in 0..50 {
        gate.emit(Destination::Service(resolver), 1, || Ok(()))
            .unwrap();
    }
    // 50 queries at the global 100 pps: about half a second, not 50 s.
    let took = clock.now() - start;
    assert!(took < Duration::from_millis(600), "{took:?}");
    assert!(took >= Duration::from_millis(490), "{took:?}");
}

#[test]
fn packets_charged_after_the_fact_push_the_next_slots_back() {
    let limits = RateLimits {
        global_pps: 100.0,
        per_host_pps: 10.0,
    };
    let (clock, gate, _) = setup(limits);
    let ip: Ipv4Addr = "198.18.0.20".parse().unwrap();
    let other: Ipv4Addr = "198.18.0.21".parse().unwrap();
    gate.emit(Destination::Target(ip), 1, || Ok(())).unwrap();
    // The kernel answered a SYN/ACK with an RST of its own: two packets went to `ip`.
    gate.charge(Destination::Target(ip), 1);
    assert_eq!(gate.stats().packets, 2);
    let sent = clock.now();
    gate.emit(Destination::Target(ip), 1, || Ok(())).unwrap();
    // Two per-host intervals (100 ms each, plus the margin) since the first packet.
    assert!(clock.now() - sent >= Duration::from_millis(200));
    // The global slot moves by its own interval per packet (a service has no per-host slot).
    let before = clock.now();
    gate.charge(Destination::Service("192.0.2.53".parse().unwrap()), 3);
    gate.emit(Destination::Target(other), 1, || Ok(())).unwrap();
    let waited = clock.now() - before;
    assert!(waited >= Duration::from_millis(30), "{waited:?}");
    assert!(waited < Duration::from_millis(45), "{waited:?}");
    // Nothing charged, nothing moved.
    gate.charge(Destination::Target(other), 0);
    assert_eq!(gate.stats().packets, 2 + 1 + 3 + 1);
}
