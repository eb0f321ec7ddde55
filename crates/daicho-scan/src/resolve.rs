//! On-link discovery through the operating system's own ARP resolution, for systems where the
//! agent has no raw link (Windows without a packet driver: `SendARP`). Each target is resolved
//! once, by a pool of workers since every resolution blocks until the host answers or the OS
//! gives up; every resolution is paid at the [`PacketGate`] before it starts, so the scope
//! (excluded hosts are never asked) and both rate limits hold exactly as for the raw sweep.

use std::io;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use daicho_model::MacAddr;

use crate::gate::{Destination, GateError, PacketGate};
use crate::link::LocalInterface;

/// Packets one resolution may put on the wire: Windows sends up to three ARP requests before
/// it calls an address silent. Prepaid in full, whether the host answers the first or not.
pub const RESOLVE_COST: u32 = 3;

/// Resolutions in flight at once (each waits up to about three seconds for a silent address).
pub const RESOLVE_WORKERS: usize = 64;

/// The OS's ARP resolution of one address.
pub trait ArpResolver: Sync {
    /// Resolves `target` from `source` (our address on its subnet): its MAC when it answered,
    /// `None` when it stayed silent. Blocks until the OS has an answer or gives up. Only
    /// called by [`resolve_sweep`], after the gate has let the packets go.
    fn resolve(&self, target: Ipv4Addr, source: Ipv4Addr) -> io::Result<Option<MacAddr>>;
}

/// A host that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedHost {
    /// Its address.
    pub ip: Ipv4Addr,
    /// Its MAC.
    pub mac: MacAddr,
    /// How long the resolution took.
    pub rtt: Duration,
}

/// Resolves every target (all on `iface`'s subnet) with at most `workers` resolutions at once
/// and returns the hosts that answered, in address order. Targets the gate refuses are
/// skipped (the gate logs why); the first other error ends the sweep with that error, once the
/// resolutions in flight are done. `progress` is called on the calling thread with (targets
/// done, targets, hosts found).
pub fn resolve_sweep(
    resolver: &dyn ArpResolver,
    gate: &PacketGate,
    iface: &LocalInterface,
    targets: &[Ipv4Addr],
    workers: usize,
    progress: &mut dyn FnMut(usize, usize, usize),
) -> Result<Vec<ResolvedHost>, GateError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let clock = gate.clock();
    let (tx, rx) = mpsc::channel::<Result<Option<ResolvedHost>, GateError>>();
    let work = |tx: mpsc::Sender<_>| {
        while !stop.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(&ip) = targets.get(i) else { return };
            // The gate paces the start of each resolution; the packets leave as it returns.
            let outcome = gate
                .emit(Destination::Target(ip), RESOLVE_COST, || Ok(()))
                .and_then(|()| {
                    let started = clock.now();
                    let mac = resolver.resolve(ip, iface.ip)?;
                    Ok(mac.map(|mac| ResolvedHost {
                        ip,
                        mac,
                        rtt: clock.now().saturating_duration_since(started),
                    }))
                });
            if tx.send(outcome).is_err() {
                return;
            }
        }
    };
    let mut found = Vec::new();
    let mut failed = None;
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, targets.len().max(1)) {
            let tx = tx.clone();
            s.spawn(move || work(tx));
        }
        drop(tx);
        // Ends when every worker has finished and dropped its sender.
        for (done, outcome) in rx.iter().enumerate() {
            match outcome {
                Ok(Some(host)) => found.push(host),
                Ok(None) | Err(GateError::Excluded(_) | GateError::OutOfScope(_)) => {}
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    failed.get_or_insert(e);
                }
            }
            progress(done + 1, targets.len(), found.len());
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    found.sort_by_key(|h| h.ip);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::clock::SystemClock;
    use crate::gate::RateLimits;
    use crate::scope::Scope;

    /// A LAN where some addresses answer; records every resolution asked for.
    struct FakeOs {
        hosts: BTreeMap<Ipv4Addr, MacAddr>,
        asked: Mutex<Vec<(Ipv4Addr, Ipv4Addr)>>,
        fail_on: Option<Ipv4Addr>,
    }

    impl ArpResolver for FakeOs {
        fn resolve(&self, target: Ipv4Addr, source: Ipv4Addr) -> io::Result<Option<MacAddr>> {
            self.asked.lock().unwrap().push((target, source));
            if Some(target) == self.fail_on {
                return Err(io::Error::from(io::ErrorKind::Unsupported));
            }
            // A silent address keeps the OS busy for a while.
            if !self.hosts.contains_key(&target) {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(self.hosts.get(&target).copied())
        }
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn setup(fail_on: Option<&str>) -> (FakeOs, PacketGate, LocalInterface) {
        let os = FakeOs {
            hosts: [
                ("198.18.0.5", "52:54:00:00:00:05"),
                ("198.18.0.10", "52:54:00:00:00:10"),
                ("198.18.0.20", "52:54:00:00:00:20"),
            ]
            .into_iter()
            .map(|(i, m)| (ip(i), m.parse().unwrap()))
            .collect(),
            asked: Mutex::new(Vec::new()),
            fail_on: fail_on.map(ip),
        };
        let scope = Scope::parse(&["198.18.0.0/27"], &["198.18.0.10"], 1 << 16, false).unwrap();
        let limits = RateLimits {
            global_pps: 10_000.0,
            per_host_pps: 100.0,
        };
        let gate = PacketGate::new(Arc::new(scope), limits, Arc::new(SystemClock));
        let iface = LocalInterface {
            name: "Ethernet".into(),
            mac: "52:54:00:00:00:01".parse().unwrap(),
            ip: ip("198.18.0.1"),
            prefix: 24,
        };
        (os, gate, iface)
    }

    #[test]
    fn answers_are_found_and_excluded_hosts_never_asked() {
        let (os, gate, iface) = setup(None);
        // The caller passes the scope's addresses; an excluded one slipped in is still refused.
        let mut targets: Vec<Ipv4Addr> = gate.scope().addresses().collect();
        targets.push(ip("198.18.0.10"));
        targets.push(ip("198.18.1.9")); // out of scope
        let mut calls = 0;
        let found = resolve_sweep(&os, &gate, &iface, &targets, 8, &mut |done, total, _| {
            calls += 1;
            assert!(done <= total);
        })
        .unwrap();
        assert_eq!(
            found.iter().map(|h| h.ip).collect::<Vec<_>>(),
            [ip("198.18.0.5"), ip("198.18.0.20")]
        );
        assert_eq!(found[0].mac.to_string(), "52:54:00:00:00:05");
        assert_eq!(calls, targets.len());
        let asked = os.asked.lock().unwrap();
        assert!(
            asked
                .iter()
                .all(|(t, s)| *s == iface.ip && gate.scope().allows(*t))
        );
        assert!(!asked.iter().any(|(t, _)| *t == ip("198.18.0.10")));
        // Every resolution asked was paid in full before it started; refusals cost nothing.
        let stats = gate.stats();
        assert_eq!(stats.packets, asked.len() as u64 * u64::from(RESOLVE_COST));
        assert_eq!(stats.refused, 2);
    }

    #[test]
    fn the_per_host_limit_paces_resolutions_of_one_host() {
        let (os, _, iface) = setup(None);
        let scope = Scope::parse(&["198.18.0.5"], &[], 16, false).unwrap();
        let limits = RateLimits {
            global_pps: 10_000.0,
            per_host_pps: 100.0,
        };
        let gate = PacketGate::new(Arc::new(scope), limits, Arc::new(SystemClock));
        let started = std::time::Instant::now();
        // Twice the same host: the second waits for the first's three packets' worth of slots.
        let targets = [ip("198.18.0.5"), ip("198.18.0.5")];
        resolve_sweep(&os, &gate, &iface, &targets, 2, &mut |_, _, _| {}).unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(29),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn an_os_error_ends_the_sweep_with_it() {
        let (os, gate, iface) = setup(Some("198.18.0.3"));
        let targets: Vec<Ipv4Addr> = gate.scope().addresses().collect();
        let err = resolve_sweep(&os, &gate, &iface, &targets, 4, &mut |_, _, _| {}).unwrap_err();
        assert!(matches!(err, GateError::Io(e) if e.kind() == io::ErrorKind::Unsupported));
        // Workers stop taking targets once one has failed.
        assert!(os.asked.lock().unwrap().len() < targets.len());
    }
}
