//! The gated connector against in-process fake networks: scope refusals, pacing per host, and
//! what a conversation is charged.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use daicho_scan::clock::SystemClock;
use daicho_scan::{RateLimits, Scope};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// Counts what it is asked to do and never touches the network; connects are refused.
#[derive(Default)]
struct Counting {
    connects: AtomicUsize,
    datagrams: AtomicUsize,
}

impl Connector for Counting {
    type Stream = DuplexStream;

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

/// Every connect succeeds: the service reads a request of `request` bytes, answers `reply` and
/// closes, over an in-memory pipe of `capacity` bytes. Keeps the timeout each connect was given
/// and every byte the service received.
struct Service {
    request: usize,
    reply: Vec<u8>,
    capacity: usize,
    timeouts: Mutex<Vec<Duration>>,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Service {
    fn new(request: usize, reply: &[u8], capacity: usize) -> Self {
        Self {
            request,
            reply: reply.to_vec(),
            capacity,
            timeouts: Mutex::new(Vec::new()),
            received: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

impl Connector for Service {
    type Stream = DuplexStream;

    async fn connect(&self, _: SocketAddr, timeout: Duration) -> io::Result<Self::Stream> {
        self.timeouts.lock().unwrap().push(timeout);
        let (ours, mut theirs) = tokio::io::duplex(self.capacity);
        let (request, reply) = (self.request, self.reply.clone());
        let received = Arc::clone(&self.received);
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut got = 0;
            while got < request {
                match theirs.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        got += n;
                        received.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                }
            }
            let _ = theirs.write_all(&reply).await;
        });
        Ok(ours)
    }

    async fn exchange_udp(
        &self,
        _: SocketAddr,
        _: &[u8],
        _: Duration,
        _: usize,
    ) -> io::Result<Option<Vec<u8>>> {
        Ok(None)
    }
}

fn gated<C: Connector>(inner: C, exclude: &[&str], limits: RateLimits) -> GatedConnector<C> {
    let scope = Scope::parse(&["198.18.0.0/24"], exclude, 4096, false).unwrap();
    let gate = PacketGate::new(Arc::new(scope), limits, Arc::new(SystemClock));
    GatedConnector::new(inner, gate)
}

const HOST: ([u8; 4], u16) = ([198, 18, 0, 10], 80);

#[tokio::test]
async fn excluded_and_out_of_scope_hosts_get_nothing() {
    let c = gated(Counting::default(), &["198.18.0.7"], RateLimits::default());
    let t = Duration::from_millis(10);
    let excluded = c.connect("198.18.0.7:22".parse().unwrap(), t).await;
    assert_eq!(
        excluded.unwrap_err().kind(),
        io::ErrorKind::PermissionDenied
    );
    let outside = c.connect("198.18.1.7:22".parse().unwrap(), t).await;
    assert_eq!(outside.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
    let v6 = c.connect("[2001:db8::1]:22".parse().unwrap(), t).await;
    assert_eq!(v6.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
    let udp = c
        .exchange_udp("198.18.0.7:161".parse().unwrap(), b"x", t, 10)
        .await;
    assert_eq!(udp.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
    assert_eq!(c.inner.connects.load(Ordering::SeqCst), 0);
    assert_eq!(c.inner.datagrams.load(Ordering::SeqCst), 0);
    let inside = c.connect("198.18.0.8:22".parse().unwrap(), t).await;
    assert_eq!(inside.unwrap_err().kind(), io::ErrorKind::ConnectionRefused);
    assert_eq!(c.inner.connects.load(Ordering::SeqCst), 1);
    assert_eq!(c.gate().stats().packets, u64::from(CONNECT_PAID_AHEAD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_are_paced_per_host_without_holding_up_other_hosts() {
    // 20 packets/s per host: 4 connects (3 packets each) to one host need >= 0.45 s, while
    // one connect to each of 4 other hosts goes out at the global rate.
    let c = Arc::new(gated(
        Counting::default(),
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
        others_done < Duration::from_millis(250),
        "other hosts were held up: {others_done:?}"
    );
    assert_eq!(c.inner.connects.load(Ordering::SeqCst), 8);
}

#[tokio::test]
async fn a_conversation_is_charged_for_every_packet_it_makes() {
    // The connect (3: SYN, the handshake's ACK and one ACK ahead), the request (1 segment and
    // 2 ACKs ahead), the 3,000-byte answer (3 segments to ACK, all paid ahead), the peer's FIN
    // (1 ACK, paid now) and the closing RST (1).
    let c = gated(
        Service::new(18, &[b'x'; 3000], 8192),
        &[],
        RateLimits::default(),
    );
    let mut stream = c
        .connect(HOST.into(), Duration::from_secs(5))
        .await
        .unwrap();
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
    // Let the whole answer arrive, so that it is read in one piece.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut answer = vec![0u8; 8192];
    let n = stream.read(&mut answer).await.unwrap();
    assert_eq!(n, 3000);
    assert_eq!(c.gate().stats().packets, 3 + 3);
    assert_eq!(stream.read(&mut answer).await.unwrap(), 0, "end of stream");
    assert_eq!(stream.read(&mut answer).await.unwrap(), 0);
    assert_eq!(c.gate().stats().packets, 3 + 3 + 1, "one FIN, one ACK");
    drop(stream);
    c.closed().await;
    assert_eq!(c.gate().stats().packets, 3 + 3 + 1 + 1);
    assert_eq!(
        c.inner.received.lock().unwrap().as_slice(),
        b"GET / HTTP/1.0\r\n\r\n"
    );
}

#[tokio::test]
async fn a_write_the_socket_takes_in_parts_is_paid_once() {
    // A 16-byte pipe takes the 100-byte request in seven pieces: one segment paid, not seven.
    let c = gated(Service::new(100, b"ok", 16), &[], RateLimits::default());
    let mut stream = c
        .connect(HOST.into(), Duration::from_secs(5))
        .await
        .unwrap();
    stream.write_all(&[b'a'; 100]).await.unwrap();
    assert_eq!(c.gate().stats().packets, 3 + 1 + u64::from(REPLY_ACKS));
    drop(stream);
    c.closed().await;
    assert_eq!(c.gate().stats().packets, 3 + 3 + 1);
    assert_eq!(c.inner.received.lock().unwrap().len(), 100);
}

/// A connection to `service` through a gate of 10 packets/s per host, and when it started.
async fn connected_at_10_per_second(
    service: Service,
) -> (GatedConnector<Service>, GatedStream<DuplexStream>, Instant) {
    let c = gated(
        service,
        &[],
        RateLimits {
            global_pps: 1000.0,
            per_host_pps: 10.0,
        },
    );
    let started = Instant::now();
    let stream = c
        .connect(HOST.into(), Duration::from_secs(5))
        .await
        .unwrap();
    (c, stream, started)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_wait_for_the_per_host_slot() {
    // 10 packets/s per host: the connect (3 packets) holds the next slot 0.3 s, then each
    // one-segment write with its answer's ACKs (3) 0.3 s: the third write leaves no sooner
    // than 0.9 s after the connect.
    let (c, mut stream, started) = connected_at_10_per_second(Service::new(11, b"", 4096)).await;
    for part in [&b"one"[..], b"two", b"three"] {
        stream.write_all(part).await.unwrap();
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(890),
        "writes were not paced: {elapsed:?}"
    );
    assert_eq!(c.gate().stats().packets, 3 + 3 * 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_is_closed_when_its_slot_comes() {
    // 10 packets/s per host: the connect (3 packets) holds the next slot 0.3 s; the stream is
    // dropped at once, and the service sees the end of the connection only then.
    let (c, mut stream, started) = connected_at_10_per_second(Service::new(1, b"", 64)).await;
    stream.write_all(b"x").await.unwrap();
    let written = started.elapsed();
    drop(stream);
    c.closed().await;
    let closed = started.elapsed();
    assert!(written >= Duration::from_millis(290), "{written:?}");
    assert!(
        closed >= written + Duration::from_millis(290),
        "the close did not wait for its slot: written {written:?}, closed {closed:?}"
    );
    assert_eq!(c.gate().stats().packets, 3 + 3 + 1);
}

#[tokio::test]
async fn a_connect_gives_up_before_the_kernel_would_send_a_second_syn() {
    let c = gated(Service::new(0, b"", 64), &[], RateLimits::default());
    let _slow = c.connect(HOST.into(), Duration::from_millis(1500)).await;
    let _fast = c.connect(HOST.into(), Duration::from_millis(200)).await;
    assert_eq!(
        *c.inner.timeouts.lock().unwrap(),
        vec![MAX_CONNECT_WAIT, Duration::from_millis(200)]
    );
    assert!(MAX_CONNECT_WAIT < Duration::from_secs(1));
}
