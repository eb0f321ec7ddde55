//! A connection whose every packet is paid to the gate: segments written and the closing RST
//! are paid before they leave. The kernel's ACKs of what arrives leave on the kernel's own time,
//! one per segment received, whether or not anyone reads yet, and a read cannot tell how many
//! segments brought its bytes (a service that writes small records sends a segment each). So
//! they are paid ahead: one with the connect (a greeting arrives at once), [`REPLY_ACKS`] with
//! every write (its answer); a read charges only what those did not cover, estimated from its
//! size.

use std::future::Future;
use std::io;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::Admission;

/// Payload bytes in one segment on an Ethernet LAN (MSS 1460 less the 12-byte timestamp
/// option): a write or a read of `n` bytes is `n / SEGMENT_BYTES` segments, rounded up.
const SEGMENT_BYTES: usize = 1448;

/// ACKs paid with every write, for the segments of its answer.
pub const REPLY_ACKS: u32 = 2;

/// Segments that carry `bytes` of payload.
fn segments(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(SEGMENT_BYTES)).unwrap_or(u32::MAX)
}

type Pending = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

/// A stream from [`super::GatedConnector`]: reads and writes pass through to the connection,
/// and the gate is paid for every packet they make the kernel send. Dropping it closes the
/// connection once the gate lets the closing RST go ([`super::GatedConnector::closed`] waits
/// for every such close).
pub struct GatedStream<S: Send + 'static> {
    /// Always `Some` until the stream is dropped.
    inner: Option<S>,
    peer: Ipv4Addr,
    admission: Admission,
    /// The admission of the next write, while it waits for its slot.
    waiting: Option<Pending>,
    /// Bytes paid for and not written yet (the rest of a write the socket took only in part).
    credit: usize,
    /// ACKs paid ahead (with the connect and the writes) and not used yet.
    acks_paid: u32,
    /// The peer's FIN has been read (and its ACK charged).
    peer_closed: bool,
}

impl<S: Send + 'static> std::fmt::Debug for GatedStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatedStream")
            .field("peer", &self.peer)
            .field("credit", &self.credit)
            .finish_non_exhaustive()
    }
}

impl<S: Send + 'static> GatedStream<S> {
    /// `inner` to `peer`, with `acks_paid` ACKs paid for by the connect.
    pub(super) fn new(inner: S, peer: Ipv4Addr, admission: Admission, acks_paid: u32) -> Self {
        Self {
            inner: Some(inner),
            peer,
            admission,
            waiting: None,
            credit: 0,
            acks_paid,
            peer_closed: false,
        }
    }

    fn inner(&mut self) -> Pin<&mut S>
    where
        S: Unpin,
    {
        Pin::new(
            self.inner
                .as_mut()
                .expect("the stream is open until dropped"),
        )
    }

    /// Charges the ACKs the kernel sent for what was just read, those paid ahead first.
    fn charge_acks(&mut self, acks: u32) {
        let prepaid = acks.min(self.acks_paid);
        self.acks_paid -= prepaid;
        self.admission.charge(self.peer, acks - prepaid);
    }
}

impl<S: AsyncRead + Unpin + Send + 'static> AsyncRead for GatedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let wanted = buf.remaining() > 0;
        ready!(this.inner().poll_read(cx, buf))?;
        let read = buf.filled().len() - before;
        if read > 0 {
            this.charge_acks(segments(read));
        } else if wanted && !this.peer_closed {
            // End of stream: the kernel acknowledged the peer's FIN.
            this.peer_closed = true;
            this.charge_acks(1);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin + Send + 'static> AsyncWrite for GatedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return this.inner().poll_write(cx, buf);
        }
        if this.credit == 0 {
            let waiting = this.waiting.get_or_insert_with(|| {
                let (admission, peer) = (this.admission.clone(), this.peer);
                let cost = segments(buf.len()).saturating_add(REPLY_ACKS);
                Box::pin(async move { admission.admit(peer, cost).await })
            });
            let admitted = ready!(waiting.as_mut().poll(cx));
            this.waiting = None;
            admitted?;
            this.acks_paid = this.acks_paid.saturating_add(REPLY_ACKS);
            // What the socket does not take now is the rest of this buffer, written later
            // without paying twice. With no delay set, every write leaves as its own segments.
            this.credit = buf.len();
        }
        let allowed = buf.len().min(this.credit);
        let written = ready!(this.inner().poll_write(cx, &buf[..allowed]))?;
        this.credit -= written;
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // No probe half-closes a connection; a FIN here is charged like the closing RST.
        let this = self.get_mut();
        ready!(this.inner().poll_shutdown(cx))?;
        this.admission.charge(this.peer, 1);
        Poll::Ready(Ok(()))
    }
}

impl<S: Send + 'static> Drop for GatedStream<S> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        // The real connector closes with zero linger: one RST as the socket is dropped. It
        // waits for its slot like any other packet; without a runtime to wait on, it leaves
        // now and is charged after.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (admission, peer) = (self.admission.clone(), self.peer);
            let closing = admission.closing();
            runtime.spawn(async move {
                if admission.admit(peer, 1).await.is_err() {
                    admission.charge(peer, 1);
                }
                drop(inner);
                drop(closing);
            });
        } else {
            drop(inner);
            self.admission.charge(self.peer, 1);
        }
    }
}
