//! A [`Connector`] that sends nothing the scan's [`PacketGate`] has not allowed: every TCP
//! connect, every segment written in a conversation and every UDP datagram is checked against
//! the scope and paced by the same global and per-host limits as discovery.
//!
//! What a conversation costs (the rate accounting the capture test checks on the wire):
//! - the connect: three packets paid before the SYN leaves: the SYN, the handshake's ACK, and
//!   the ACK the kernel sends at once for a greeting (an FTP, SSH or SMTP banner) whether or
//!   not it is read yet. The connect is given up before the kernel's first SYN retransmission
//!   ([`MAX_CONNECT_WAIT`]), so no unpaid SYN follows;
//! - every write: one packet per segment it fills, and [`REPLY_ACKS`] ACKs for the
//!   segments of its answer, paid before it leaves ([`GatedStream`]);
//! - every read: the ACKs the kernel sent for the data (one per segment, estimated from the
//!   size read) and for the peer's FIN, beyond those paid ahead, post-paid with
//!   [`PacketGate::charge`] as they are read;
//! - the close: one RST (the real connector closes with zero linger, so no FIN exchange goes on
//!   after the socket is gone), paid before it leaves: a dropped stream is closed by a task
//!   that waits for the slot ([`GatedConnector::closed`] waits for those tasks).

mod stream;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use daicho_fingerprint::Connector;
use daicho_scan::gate::{Destination, GateError, PacketGate};

pub use stream::{GatedStream, REPLY_ACKS};

/// Packets a connect is charged before it starts: the SYN, the ACK that completes the
/// handshake and the ACK of a greeting ([`GREETING_ACKS`]); the close is paid when the stream
/// is dropped. (Discovery's `daicho_scan::probe::CONNECT_COST` is another count: a probe's
/// connect that is closed at once, its RST included.)
pub const CONNECT_PAID_AHEAD: u32 = 2 + GREETING_ACKS;

/// ACKs paid with the connect: the kernel acknowledges a service's greeting on arrival.
const GREETING_ACKS: u32 = 1;

/// The longest a gated connect waits for the handshake. Linux retransmits an unanswered SYN
/// after one second (its initial retransmission timeout); giving up before that means the one
/// SYN paid for is the only one sent.
pub const MAX_CONNECT_WAIT: Duration = Duration::from_millis(900);

/// Waits for the gate's slots for one host at a time per host, so that a host that has just
/// been sent to never holds up packets to the others. Cheap to clone: streams keep one.
#[derive(Clone)]
pub(crate) struct Admission {
    gate: PacketGate,
    /// One turn per host: a task waits for the host's per-host slot outside the gate's lock.
    turns: Arc<Mutex<HashMap<Ipv4Addr, Arc<tokio::sync::Mutex<()>>>>>,
    /// Closes still waiting for their slot.
    closing: Arc<Closing>,
}

/// A count of closes in progress, and a signal when it drops to zero.
#[derive(Default)]
struct Closing {
    count: AtomicUsize,
    done: tokio::sync::Notify,
}

/// One close in progress; dropping it ends it.
pub(crate) struct CloseGuard(Arc<Closing>);

impl Drop for CloseGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.done.notify_waiters();
        }
    }
}

impl Admission {
    /// Waits until the gate lets `cost` packets go to `ip`, and pays for them.
    pub(crate) async fn admit(&self, ip: Ipv4Addr, cost: u32) -> io::Result<()> {
        let turn = {
            let mut turns = self.turns.lock().expect("turns lock");
            Arc::clone(turns.entry(ip).or_default())
        };
        let _turn = turn.lock().await;
        // Wait for the per-host slot asynchronously; the gate then only waits for the global one.
        let ready = self.gate.ready_at(ip);
        let now = self.gate.clock().now();
        if ready > now {
            tokio::time::sleep(ready - now).await;
        }
        let gate = self.gate.clone();
        let started = Instant::now();
        let admitted = tokio::task::spawn_blocking(move || {
            gate.emit(Destination::Target(ip), cost, || Ok(()))
        })
        .await
        .map_err(|e| io::Error::other(format!("gate task failed: {e}")))?;
        tracing::trace!(%ip, cost, waited_ms = started.elapsed().as_millis(), "gate admitted");
        admitted.map_err(|e| match e {
            GateError::Io(io) => io,
            other => io::Error::new(io::ErrorKind::PermissionDenied, other.to_string()),
        })
    }

    /// Pays for `cost` packets the kernel has already sent to `ip` on its own.
    pub(crate) fn charge(&self, ip: Ipv4Addr, cost: u32) {
        self.gate.charge(Destination::Target(ip), cost);
    }

    /// Counts a close in progress until the guard is dropped.
    pub(crate) fn closing(&self) -> CloseGuard {
        self.closing.count.fetch_add(1, Ordering::AcqRel);
        CloseGuard(Arc::clone(&self.closing))
    }
}

/// Wraps a connector so that the gate admits each connect, segment and datagram first.
pub struct GatedConnector<C> {
    inner: C,
    admission: Admission,
}

impl<C> std::fmt::Debug for GatedConnector<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatedConnector")
            .field("gate", &self.admission.gate)
            .finish_non_exhaustive()
    }
}

impl<C: Connector> GatedConnector<C> {
    /// `inner` behind `gate`.
    pub fn new(inner: C, gate: PacketGate) -> Self {
        Self {
            inner,
            admission: Admission {
                gate,
                turns: Arc::new(Mutex::new(HashMap::new())),
                closing: Arc::default(),
            },
        }
    }

    /// The gate (for its counters).
    pub fn gate(&self) -> &PacketGate {
        &self.admission.gate
    }

    /// Waits until every dropped stream has been closed (each close waits for its slot): call
    /// it before the runtime ends, or the remaining closes leave at once, unpaced.
    pub async fn closed(&self) {
        let closing = &self.admission.closing;
        loop {
            // Created before the count is read, so a close ending in between still wakes it.
            let notified = closing.done.notified();
            if closing.count.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// The IPv4 destination of `ip`, or the refusal: the scan scope is IPv4 only.
fn scoped_v4(ip: IpAddr) -> io::Result<Ipv4Addr> {
    match ip {
        IpAddr::V4(v4) => Ok(v4),
        IpAddr::V6(_) => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{ip} is outside the IPv4 scan scope; nothing was sent to it"),
        )),
    }
}

impl<C: Connector> Connector for GatedConnector<C> {
    type Stream = GatedStream<C::Stream>;

    async fn connect(&self, addr: SocketAddr, timeout: Duration) -> io::Result<Self::Stream> {
        let ip = scoped_v4(addr.ip())?;
        self.admission.admit(ip, CONNECT_PAID_AHEAD).await?;
        let stream = self
            .inner
            .connect(addr, timeout.min(MAX_CONNECT_WAIT))
            .await?;
        Ok(GatedStream::new(
            stream,
            ip,
            self.admission.clone(),
            GREETING_ACKS,
        ))
    }

    async fn exchange_udp(
        &self,
        addr: SocketAddr,
        request: &[u8],
        timeout: Duration,
        max: usize,
    ) -> io::Result<Option<Vec<u8>>> {
        self.admission.admit(scoped_v4(addr.ip())?, 1).await?;
        self.inner.exchange_udp(addr, request, timeout, max).await
    }
}

#[cfg(test)]
mod tests;
