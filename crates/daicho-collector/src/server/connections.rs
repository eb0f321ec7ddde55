//! The connection loop: accepts TCP connections (TLS when configured) and serves HTTP/1.1 on
//! each with hyper, within limits that keep idle or hostile clients from taking the collector
//! down:
//!
//! - a **header read timeout** (hyper's): a request's line and headers must arrive whole within
//!   it, counted from when the connection is ready for a request (so it also bounds the wait
//!   between keep-alive requests);
//! - an **idle timeout**: a connection with no request being answered and no byte read or
//!   written for that long is closed (gracefully first; dropped if it is still stuck after
//!   another idle period, e.g. a client that never reads its answer);
//! - a **TLS handshake timeout** ([`crate::tls::Handshake`]);
//! - a **cap on connections**, lowered at start-up to what the open-files limit allows. At the
//!   cap, the connection idle the longest is asked to close (an idle HTTP/1 connection closes
//!   at once; one with a request in flight is never chosen) and the new one waits for its slot
//!   up to [`SLOT_WAIT`], then is closed. Accept errors (EMFILE, ENFILE, …) back off and retry:
//!   the loop never spins and never stops serving.
//!
//! Each request carries the peer address as axum's `ConnectInfo<SocketAddr>`.
//!
//! Shutdown: the listener is closed, every connection is told to finish (hyper's graceful
//! shutdown: the request in flight is answered, then the connection closes), and `serve`
//! returns once all connections are gone.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

use crate::config::ServerConfig;
use crate::tls::Handshake;

/// How long a new connection waits for a slot when the cap is reached and no connection is idle.
pub const SLOT_WAIT: Duration = Duration::from_secs(2);
/// File descriptors kept back from the connection cap for the database, alert channels, logs.
pub const FD_RESERVE: usize = 128;
/// Pause after an accept error that is not the peer's doing (EMFILE, ENFILE, ENOBUFS, …).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// At most one warning per this period for a repeated condition (cap reached, accept failing).
const WARN_EVERY: Duration = Duration::from_secs(10);

/// The connection limits, from `[server]`.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Hyper's header read timeout.
    pub header_read_timeout: Duration,
    /// Idle connection timeout.
    pub idle_timeout: Duration,
    /// TLS handshake timeout.
    pub tls_handshake_timeout: Duration,
    /// Connections at once, after [`usable_connections`].
    pub max_connections: usize,
}

impl ConnectionLimits {
    /// The limits of `[server]`, the connection cap lowered to the open-files limit.
    pub fn from_config(server: &ServerConfig) -> Self {
        Self {
            header_read_timeout: server.header_read_timeout(),
            idle_timeout: server.idle_timeout(),
            tls_handshake_timeout: server.tls_handshake_timeout(),
            max_connections: usable_connections(server.max_connections, open_files_limit()),
        }
    }
}

/// The soft open-files limit of this process (`RLIMIT_NOFILE`), from `/proc/self/limits`;
/// `None` when unknown or unlimited.
pub fn open_files_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files(&text)
}

fn parse_open_files(limits: &str) -> Option<usize> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `configured`, lowered so that the connections and [`FD_RESERVE`] fit in `open_files`.
pub fn usable_connections(configured: usize, open_files: Option<usize>) -> usize {
    let Some(open_files) = open_files else {
        return configured;
    };
    let room = if open_files > 2 * FD_RESERVE {
        open_files - FD_RESERVE
    } else {
        (open_files / 2).max(1)
    };
    if configured > room {
        tracing::warn!(
            configured,
            open_files,
            using = room,
            "server.max_connections lowered to fit the open-files limit (raise LimitNOFILE)"
        );
        room
    } else {
        configured
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the connections finish.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Handshake>,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let table = Arc::new(Table::default());
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let service = TowerToHyperService::new(app);
    let mut full_warning = Throttle::default();
    let mut accept_warning = Throttle::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) if is_peer_error(&e) => continue,
                Err(e) => {
                    // EMFILE/ENFILE and the like: make room, back off, keep serving.
                    if let Some(suppressed) = accept_warning.fire() {
                        tracing::warn!(error = %e, suppressed, "accept failed; backing off");
                    }
                    table.close_idlest();
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let permit = if let Ok(p) = Arc::clone(&slots).try_acquire_owned() {
            p
        } else {
            if let Some(suppressed) = full_warning.fire() {
                tracing::warn!(
                    max = limits.max_connections,
                    suppressed,
                    "connection cap reached; closing the longest-idle connection"
                );
            }
            if let Some(p) = wait_for_slot(&table, &slots).await {
                p
            } else {
                tracing::debug!(%peer, "no connection slot; closed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let entry = table.register();
        tokio::spawn(connection(
            stream,
            peer,
            tls.clone(),
            service.clone(),
            entry,
            permit,
            limits,
            stop_rx.clone(),
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    // Every connection holds a permit until it ends; all of them back means all have ended.
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// A slot for a new connection at the cap: close the idlest connection, wait for its slot.
async fn wait_for_slot(table: &Table, slots: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    let deadline = tokio::time::Instant::now() + SLOT_WAIT;
    while tokio::time::Instant::now() < deadline {
        let asked = table.close_idlest();
        let wait = if asked {
            Duration::from_millis(250)
        } else {
            Duration::from_millis(50)
        };
        let until = (tokio::time::Instant::now() + wait).min(deadline);
        if let Ok(Ok(p)) = tokio::time::timeout_at(until, Arc::clone(slots).acquire_owned()).await {
            return Some(p);
        }
    }
    None
}

/// Errors caused by one peer (it went away before we accepted): accept the next one at once.
fn is_peer_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// One connection, from accept to close.
#[allow(clippy::too_many_arguments)]
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<Handshake>,
    service: TowerToHyperService<Router>,
    entry: Entry,
    permit: OwnedSemaphorePermit,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let _permit = permit;
    let state = Arc::clone(&entry.state);
    match tls {
        None => serve_http(stream, peer, service, &state, limits, stop).await,
        Some(handshake) => {
            let tls = tokio::select! {
                tls = handshake.accept(stream, peer) => tls,
                () = state.close.notified() => None,
                _ = stop.changed() => None,
            };
            if let Some(tls) = tls {
                state.touch();
                serve_http(tls, peer, service, &state, limits, stop).await;
            }
        }
    }
    drop(entry);
}

async fn serve_http<S>(
    io: S,
    peer: SocketAddr,
    service: TowerToHyperService<Router>,
    state: &Arc<ConnState>,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = Watched {
        inner: io,
        state: Arc::clone(state),
    };
    let service = PeerService {
        inner: service,
        peer,
        state: Arc::clone(state),
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let mut closing = false;
    let stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
        closing = true;
    }
    loop {
        let check_at = state.idle_deadline(limits.idle_timeout);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                return;
            }
            () = state.close.notified(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = stop.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(check_at) => {
                if !state.is_idle_for(limits.idle_timeout) {
                    continue;
                }
                if closing {
                    tracing::debug!(%peer, "connection stuck after close; dropped");
                    return;
                }
                tracing::debug!(%peer, "idle connection closed");
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// The connections being served, for choosing one to close at the cap.
struct Table {
    /// The zero of every connection's `last_active`.
    epoch: Instant,
    next: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<ConnState>>>,
}

impl Default for Table {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            next: AtomicU64::new(0),
            conns: Mutex::default(),
        }
    }
}

impl Table {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<ConnState>>> {
        self.conns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn register(self: &Arc<Self>) -> Entry {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState::new(self.epoch));
        state.touch();
        self.lock().insert(id, Arc::clone(&state));
        Entry {
            table: Arc::clone(self),
            id,
            state,
        }
    }

    /// Asks the connection idle the longest, with no request in flight and not already asked,
    /// to close. False when there is none.
    fn close_idlest(&self) -> bool {
        let conns = self.lock();
        let idlest = conns
            .values()
            .filter(|c| c.busy.load(Ordering::Acquire) == 0 && !c.asked.load(Ordering::Acquire))
            .min_by_key(|c| c.last_active.load(Ordering::Relaxed));
        match idlest {
            Some(c) => {
                c.asked.store(true, Ordering::Release);
                c.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// A connection's place in the [`Table`], removed when dropped.
struct Entry {
    table: Arc<Table>,
    id: u64,
    state: Arc<ConnState>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.table.lock().remove(&self.id);
    }
}

/// What the loop knows of one connection.
struct ConnState {
    /// When a byte last moved (or the connection was accepted), in milliseconds since `epoch`.
    last_active: AtomicU64,
    /// The table's epoch, the same for every connection.
    epoch: Instant,
    /// Requests being answered.
    busy: AtomicUsize,
    /// Asked to close to make room.
    asked: AtomicBool,
    close: Notify,
}

impl ConnState {
    fn new(epoch: Instant) -> Self {
        Self {
            last_active: AtomicU64::new(0),
            epoch,
            busy: AtomicUsize::new(0),
            asked: AtomicBool::new(false),
            close: Notify::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch(&self) {
        self.last_active.store(self.now_ms(), Ordering::Relaxed);
    }

    fn is_idle_for(&self, limit: Duration) -> bool {
        let idle = self
            .now_ms()
            .saturating_sub(self.last_active.load(Ordering::Relaxed));
        self.busy.load(Ordering::Acquire) == 0 && u128::from(idle) >= limit.as_millis()
    }

    /// When to look again whether the connection has been idle for `limit`.
    fn idle_deadline(&self, limit: Duration) -> tokio::time::Instant {
        let now = tokio::time::Instant::now();
        if self.busy.load(Ordering::Acquire) > 0 {
            return now + limit.min(Duration::from_secs(1));
        }
        let idle = Duration::from_millis(
            self.now_ms()
                .saturating_sub(self.last_active.load(Ordering::Relaxed)),
        );
        now + limit.saturating_sub(idle).max(Duration::from_millis(10))
    }
}

/// Counts a request as in flight while its answer is being made.
struct Busy(Arc<ConnState>);

impl Busy {
    fn new(state: &Arc<ConnState>) -> Self {
        state.busy.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(state))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The router as a hyper service, adding the peer address and counting requests in flight.
#[derive(Clone)]
struct PeerService {
    inner: TowerToHyperService<Router>,
    peer: SocketAddr,
    state: Arc<ConnState>,
}

impl hyper::service::Service<Request<Incoming>> for PeerService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let busy = Busy::new(&self.state);
        let answer = self.inner.call(req);
        Box::pin(async move {
            let response = answer.await;
            drop(busy);
            response
        })
    }
}

/// A stream that records when bytes last moved.
struct Watched<S> {
    inner: S,
    state: Arc<ConnState>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.state.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.state.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.state.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// At most one warning per [`WARN_EVERY`], counting the ones left out.
#[derive(Default)]
struct Throttle {
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttle {
    /// `Some(how many were left out since the last one)` when a warning may be logged now.
    fn fire(&mut self) -> Option<u64> {
        let now = Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < WARN_EVERY => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_files_limit_is_read_from_proc_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max cpu time              unlimited            unlimited            seconds   \n\
                    Max open files            1024                 524288               files     \n";
        assert_eq!(parse_open_files(text), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_open_files(unlimited), None);
        assert!(open_files_limit().is_some_and(|n| n > 0));
    }

    #[test]
    fn the_cap_leaves_room_for_the_reserve() {
        assert_eq!(usable_connections(1024, None), 1024);
        assert_eq!(usable_connections(1024, Some(65536)), 1024);
        assert_eq!(usable_connections(1024, Some(1024)), 1024 - FD_RESERVE);
        assert_eq!(usable_connections(1024, Some(100)), 50);
        assert_eq!(usable_connections(10, Some(1024)), 10);
    }

    #[test]
    fn the_idlest_connection_without_a_request_is_closed_first() {
        let table = Arc::new(Table::default());
        let busy = table.register();
        let old = table.register();
        std::thread::sleep(Duration::from_millis(5));
        let new = table.register();
        new.state.touch();
        busy.state.busy.fetch_add(1, Ordering::AcqRel);
        assert!(table.close_idlest());
        assert!(old.state.asked.load(Ordering::Acquire));
        assert!(!busy.state.asked.load(Ordering::Acquire));
        assert!(table.close_idlest());
        assert!(new.state.asked.load(Ordering::Acquire));
        assert!(!table.close_idlest(), "only a busy one is left");
        drop((busy, old, new));
        assert!(table.lock().is_empty());
    }

    #[test]
    fn warnings_are_throttled() {
        let mut t = Throttle::default();
        assert_eq!(t.fire(), Some(0));
        assert_eq!(t.fire(), None);
        assert_eq!(t.fire(), None);
        t.last = Instant::now().checked_sub(WARN_EVERY);
        assert_eq!(t.fire(), Some(2));
    }
}
