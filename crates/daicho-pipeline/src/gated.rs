//! A [`Connector`] that sends nothing the scan's [`PacketGate`] has not allowed: every TCP
//! connect and every UDP datagram is checked against the scope and paced by the same global and
//! per-host limits as discovery.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use daicho_fingerprint::Connector;
use daicho_scan::gate::{Destination, GateError, PacketGate};
use daicho_scan::probe::CONNECT_COST;

/// Wraps a connector so that the gate admits each connect and datagram first.
pub struct GatedConnector<C> {
    inner: C,
    gate: PacketGate,
    /// One turn per host: a task waits for the host's per-host slot outside the gate's lock, so
    /// that a host that has just been sent to never holds up packets to the others.
    turns: Mutex<HashMap<IpAddr, Arc<tokio::sync::Mutex<()>>>>,
}

impl<C> std::fmt::Debug for GatedConnector<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatedConnector")
            .field("gate", &self.gate)
            .finish_non_exhaustive()
    }
}

impl<C: Connector> GatedConnector<C> {
    /// `inner` behind `gate`.
    pub fn new(inner: C, gate: PacketGate) -> Self {
        Self {
            inner,
            gate,
            turns: Mutex::new(HashMap::new()),
        }
    }

    /// The gate (for its counters).
    pub fn gate(&self) -> &PacketGate {
        &self.gate
    }

    /// Waits until the gate lets `cost` packets go to `ip`, and charges them.
    async fn admit(&self, ip: IpAddr, cost: u32) -> io::Result<()> {
        let IpAddr::V4(v4) = ip else {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{ip} is outside the IPv4 scan scope; nothing was sent to it"),
            ));
        };
        let turn = {
            let mut turns = self.turns.lock().expect("turns lock");
            Arc::clone(turns.entry(ip).or_default())
        };
        let _turn = turn.lock().await;
        // Wait for the per-host slot asynchronously; the gate then only waits for the global one.
        let ready = self.gate.ready_at(v4);
        let now = self.gate.clock().now();
        if ready > now {
            tokio::time::sleep(ready - now).await;
        }
        let gate = self.gate.clone();
        let started = Instant::now();
        let admitted = tokio::task::spawn_blocking(move || {
            gate.emit(Destination::Target(v4), cost, || Ok(()))
        })
        .await
        .map_err(|e| io::Error::other(format!("gate task failed: {e}")))?;
        tracing::trace!(%ip, waited_ms = started.elapsed().as_millis(), "gate admitted");
        admitted.map_err(|e| match e {
            GateError::Io(io) => io,
            other => io::Error::new(io::ErrorKind::PermissionDenied, other.to_string()),
        })
    }
}

impl<C: Connector> Connector for GatedConnector<C> {
    type Stream = C::Stream;

    async fn connect(
        &self,
        addr: SocketAddr,
        timeout: std::time::Duration,
    ) -> io::Result<Self::Stream> {
        // A connect makes the kernel send a SYN, then an ACK and a FIN or RST: charged like
        // discovery's TCP probes.
        self.admit(addr.ip(), CONNECT_COST).await?;
        self.inner.connect(addr, timeout).await
    }

    async fn exchange_udp(
        &self,
        addr: SocketAddr,
        request: &[u8],
        timeout: std::time::Duration,
        max: usize,
    ) -> io::Result<Option<Vec<u8>>> {
        self.admit(addr.ip(), 1).await?;
        self.inner.exchange_udp(addr, request, timeout, max).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use daicho_scan::clock::SystemClock;
    use daicho_scan::{RateLimits, Scope};

    /// Counts what it is asked to do and never touches the network.
    #[derive(Default)]
    struct Counting {
        connects: AtomicUsize,
        datagrams: AtomicUsize,
    }

    impl Connector for Counting {
        type Stream = tokio::io::DuplexStream;

        async fn connect(&self, _: SocketAddr, _: Duration) -> io::Result<Self::Stream> {
            self.connects.fetch_add(1, Ordering::SeqCst);
            Err(io::Error::from(io::ErrorKind::ConnectionRefused))
        }

        async fn exchange_udp(
            &self,
            _: SocketAddr,
            _: &[u8],
            _: Duration,
            _: usize,
        ) -> io::Result<Option<Vec<u8>>> {
            self.datagrams.fetch_add(1, Ordering::SeqCst);
            Ok(None)
        }
    }

    fn gated(targets: &[&str], exclude: &[&str], limits: RateLimits) -> GatedConnector<Counting> {
        let scope = Scope::parse(targets, exclude, 4096, false).unwrap();
        let gate = PacketGate::new(Arc::new(scope), limits, Arc::new(SystemClock));
        GatedConnector::new(Counting::default(), gate)
    }

    #[tokio::test]
    async fn excluded_and_out_of_scope_hosts_get_nothing() {
        let c = gated(&["198.18.0.0/24"], &["198.18.0.7"], RateLimits::default());
        let t = Duration::from_millis(10);
        let excluded = c.connect("198.18.0.7:22".parse().unwrap(), t).await;
        assert_eq!(
            excluded.unwrap_err().kind(),
            io::ErrorKind::PermissionDenied
        );
        let outside = c.connect("198.18.1.7:22".parse().unwrap(), t).await;
        assert_eq!(outside.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
        let udp = c
            .exchange_udp("198.18.0.7:161".parse().unwrap(), b"x", t, 10)
            .await;
        assert_eq!(udp.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(c.inner.connects.load(Ordering::SeqCst), 0);
        assert_eq!(c.inner.datagrams.load(Ordering::SeqCst), 0);
        let inside = c.connect("198.18.0.8:22".parse().unwrap(), t).await;
        assert_eq!(inside.unwrap_err().kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(c.inner.connects.load(Ordering::SeqCst), 1);
        assert_eq!(c.gate().stats().packets, u64::from(CONNECT_COST));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connects_are_paced_per_host_without_holding_up_other_hosts() {
        // 20 packets/s per host: 4 connects (3 packets each) to one host need >= 0.5 s, while
        // one connect to each of 4 other hosts goes out at the global rate.
        let c = Arc::new(gated(
            &["198.18.0.0/24"],
            &[],
            RateLimits {
                global_pps: 1000.0,
                per_host_pps: 20.0,
            },
        ));
        let t = Duration::from_millis(10);
        let started = Instant::now();
        let mut same = Vec::new();
        for port in 1..=4 {
            let c = Arc::clone(&c);
            same.push(tokio::spawn(async move {
                let addr = SocketAddr::from(([198, 18, 0, 10], port));
                let _ = c.connect(addr, t).await;
            }));
        }
        let mut others = Vec::new();
        for host in 20..24 {
            let c = Arc::clone(&c);
            others.push(tokio::spawn(async move {
                let _ = c
                    .connect(SocketAddr::from(([198, 18, 0, host], 22)), t)
                    .await;
            }));
        }
        for h in others {
            h.await.unwrap();
        }
        let others_done = started.elapsed();
        for h in same {
            h.await.unwrap();
        }
        let same_done = started.elapsed();
        assert!(
            same_done >= Duration::from_millis(3 * 150 - 20),
            "per-host pacing not applied: {same_done:?}"
        );
        assert!(
            others_done < Duration::from_millis(300),
            "other hosts were held up: {others_done:?}"
        );
        assert_eq!(c.inner.connects.load(Ordering::SeqCst), 8);
    }
}
