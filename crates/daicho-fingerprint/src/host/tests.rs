//! `fingerprint_host` against a fake network of in-process services.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::*;
use crate::probe::{dicom, ntlm, smb, snmp};
use daicho_model::OsFamily;

type UdpServer = Arc<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync>;
type Server = Arc<dyn Fn(DuplexStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A host made of fake services; ports not listed refuse connections.
#[derive(Default)]
struct FakeHost {
    tcp: HashMap<u16, Server>,
    udp: HashMap<u16, UdpServer>,
    /// Bytes each port received, to prove what was (not) sent.
    received: Arc<Mutex<HashMap<u16, Vec<u8>>>>,
    connects: Arc<AtomicUsize>,
    udp_sent: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    /// How long each connect takes, to observe how many run at once.
    connect_delay: Duration,
    connecting: Arc<AtomicUsize>,
    max_connecting: Arc<AtomicUsize>,
}

impl FakeHost {
    fn tcp<F, Fut>(mut self, port: u16, f: F) -> Self
    where
        F: Fn(DuplexStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.tcp.insert(port, Arc::new(move |s| Box::pin(f(s))));
        self
    }

    fn says(self, port: u16, greeting: &'static [u8]) -> Self {
        self.tcp(port, move |mut s| async move {
            let _ = s.write_all(greeting).await;
            let mut b = [0u8; 1024];
            let _ = s.read(&mut b).await;
        })
    }

    fn silent(self, port: u16) -> Self {
        self.tcp(port, |mut s| async move {
            let mut b = [0u8; 1024];
            while let Ok(n) = s.read(&mut b).await {
                if n == 0 {
                    break;
                }
            }
        })
    }
}

/// Wraps the server side so that everything the client sends is recorded per port.
async fn record(
    mut inner: DuplexStream,
    mut outer: DuplexStream,
    port: u16,
    log: Arc<Mutex<HashMap<u16, Vec<u8>>>>,
) {
    let mut a = [0u8; 4096];
    let mut b = [0u8; 4096];
    loop {
        tokio::select! {
            r = outer.read(&mut a) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    log.lock().unwrap().entry(port).or_default().extend_from_slice(&a[..n]);
                    if inner.write_all(&a[..n]).await.is_err() { break; }
                }
            },
            r = inner.read(&mut b) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => if outer.write_all(&b[..n]).await.is_err() { break; },
            },
        }
    }
}

struct InFlight(Arc<AtomicUsize>);
impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A client stream that counts itself in flight while open.
struct Counted {
    inner: DuplexStream,
    _guard: InFlight,
}

impl tokio::io::AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Connector for FakeHost {
    type Stream = Counted;

    async fn connect(&self, addr: SocketAddr, _timeout: Duration) -> io::Result<Counted> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        let now = self.connecting.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_connecting.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.connect_delay).await;
        self.connecting.fetch_sub(1, Ordering::SeqCst);
        let Some(server) = self.tcp.get(&addr.port()).cloned() else {
            return Err(io::Error::new(io::ErrorKind::ConnectionRefused, "closed"));
        };
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let (client, mid) = tokio::io::duplex(256 * 1024);
        let (inner_client, inner_server) = tokio::io::duplex(256 * 1024);
        tokio::spawn(server(inner_server));
        tokio::spawn(record(
            inner_client,
            mid,
            addr.port(),
            Arc::clone(&self.received),
        ));
        Ok(Counted {
            inner: client,
            _guard: InFlight(Arc::clone(&self.in_flight)),
        })
    }

    async fn exchange_udp(
        &self,
        addr: SocketAddr,
        request: &[u8],
        _timeout: Duration,
        max: usize,
    ) -> io::Result<Option<Vec<u8>>> {
        self.udp_sent.fetch_add(1, Ordering::SeqCst);
        Ok(self
            .udp
            .get(&addr.port())
            .and_then(|f| f(request))
            .map(|mut r| {
                r.truncate(max);
                r
            }))
    }
}

fn options() -> FingerprintOptions {
    FingerprintOptions {
        limits: Limits {
            max_bytes: 64 * 1024,
            read_timeout: Duration::from_millis(300),
            probe_timeout: Duration::from_secs(2),
            greeting_wait: Duration::from_millis(200),
        },
        connect_timeout: Duration::from_millis(200),
        ..FingerprintOptions::default()
    }
}

async fn windows_smb(s: DuplexStream) {
    {
        let mut s = s;
        let mut head = [0u8; 4];
        if s.read_exact(&mut head).await.is_err() {
            return;
        }
        let mut body = vec![0u8; smb::frame_length(&head).unwrap()];
        s.read_exact(&mut body).await.unwrap();
        s.write_all(&smb::tests::framed(&smb::tests::negotiate_response(
            0x0302, false,
        )))
        .await
        .unwrap();
        if s.read_exact(&mut head).await.is_err() {
            return;
        }
        let mut body = vec![0u8; smb::frame_length(&head).unwrap()];
        s.read_exact(&mut body).await.unwrap();
        let c = ntlm::tests::challenge(10, 0, 19045, "RECEPTION-PC", "HOSPITAL");
        s.write_all(&smb::tests::framed(&smb::tests::session_setup_response(&c)))
            .await
            .unwrap();
        let _ = s.read(&mut head).await;
    }
}

fn ip() -> IpAddr {
    "198.18.0.15".parse().unwrap()
}

#[tokio::test]
async fn windows_host_services_os_and_name() {
    let net = Arc::new(
        FakeHost::default()
            .tcp(445, windows_smb)
            .silent(135)
            .tcp(80, |mut s| async move {
                let mut b = [0u8; 1024];
                let _ = s.read(&mut b).await;
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n\r\n<title>IIS Windows</title>").await;
            }),
    );
    let mut host = HostInput::new(ip());
    host.ttl = Some(128);
    let r = fingerprint_host(
        Arc::clone(&net),
        host,
        &[22, 80, 135, 445, 3389],
        &[161],
        &options(),
    )
    .await;
    let names: Vec<(u16, &str)> = r
        .services
        .iter()
        .map(|s| (s.port, s.name.as_str()))
        .collect();
    assert_eq!(names, vec![(80, "http"), (135, "msrpc"), (445, "smb")]);
    assert_eq!(r.os.family, OsFamily::Windows);
    assert_eq!(r.os.name.as_deref(), Some("Windows 10 22H2"));
    assert_eq!(r.hostname.as_deref(), Some("RECEPTION-PC"));
    assert!(r.medical.is_none());
    assert_eq!(
        net.udp_sent.load(Ordering::SeqCst),
        0,
        "no SNMP without configured communities"
    );
    assert!(
        net.received.lock().unwrap().get(&135).is_none(),
        "msrpc is connect-only"
    );
    for s in &r.services {
        assert!(!s.evidence.is_empty(), "port {} has evidence", s.port);
    }
}

#[tokio::test]
async fn medical_host_gets_connect_only_unless_opted_in() {
    let make = || {
        Arc::new(
            FakeHost::default()
                .tcp(104, |mut s| async move {
                    let mut b = [0u8; 4096];
                    let _ = s.read(&mut b).await;
                    let _ = s
                        .write_all(&dicom::tests::accept(
                            "1.2.276.0.7230010.3.0.3.6.7",
                            "OFFIS_DCMTK_367",
                        ))
                        .await;
                    let _ = s.read(&mut b).await;
                })
                .says(22, b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
                .silent(2575),
        )
    };
    let net = make();
    let mut opts = options();
    opts.snmp_communities = vec!["public".into()];
    let r = fingerprint_host(
        Arc::clone(&net),
        HostInput::new(ip()),
        &[22, 104, 2575],
        &[137, 161],
        &opts,
    )
    .await;
    assert!(r.medical.as_deref().unwrap().contains("104"));
    assert!(
        net.received.lock().unwrap().is_empty(),
        "safe mode: not one byte sent"
    );
    assert_eq!(net.udp_sent.load(Ordering::SeqCst), 0, "safe mode: no SNMP");
    let dicom = r.services.iter().find(|s| s.port == 104).unwrap();
    assert_eq!(dicom.name, "dicom");
    assert!(
        dicom
            .evidence
            .iter()
            .any(|e| e.contains("medical safe mode"))
    );
    assert_eq!(r.os.family, OsFamily::Medical);

    let net = make();
    opts.probe_medical = true;
    let r = fingerprint_host(
        Arc::clone(&net),
        HostInput::new(ip()),
        &[22, 104, 2575],
        &[],
        &opts,
    )
    .await;
    let dicom = r.services.iter().find(|s| s.port == 104).unwrap();
    assert_eq!(dicom.product.as_deref(), Some("DCMTK"));
    let ssh = r.services.iter().find(|s| s.port == 22).unwrap();
    assert_eq!(ssh.version.as_deref(), Some("9.2p1"));
    assert!(
        net.received.lock().unwrap().get(&2575).is_none(),
        "HL7: listen only, even opted in"
    );
    assert_eq!(r.os.family, OsFamily::Medical);
}

#[tokio::test]
async fn listed_and_vendor_medical_hosts() {
    let net =
        Arc::new(FakeHost::default().says(22, b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n"));
    let mut opts = options();
    opts.medical_hosts = vec![ip()];
    let r = fingerprint_host(Arc::clone(&net), HostInput::new(ip()), &[22], &[], &opts).await;
    assert!(r.medical.unwrap().contains("listed"));
    assert_eq!(r.services[0].product, None, "connect only");
    let mut host = HostInput::new(ip());
    host.vendor = Some("NIHON KOHDEN AMERICA".into());
    let r = fingerprint_host(net, host, &[22], &[], &options()).await;
    assert!(r.medical.unwrap().contains("NIHON KOHDEN"));
}

#[tokio::test]
async fn snmp_communities_in_order() {
    let mut net = FakeHost::default();
    net.udp.insert(
        161,
        Arc::new(|req: &[u8]| {
            // Answers only the "hospital" community, echoing the request id.
            let at = req.windows(8).position(|w| w == b"hospital")? + 8;
            // GetRequest PDU: a0 len 02 idlen id...
            assert_eq!(req[at], 0xa0);
            let idlen = usize::from(req[at + 3]);
            let mut id: i32 = if req[at + 4] & 0x80 != 0 { -1 } else { 0 };
            for &b in &req[at + 4..at + 4 + idlen] {
                id = (id << 8) | i32::from(b);
            }
            Some(snmp::tests::response(
                id,
                "FortiGate-60E v6.0.4,build0231,190107 (GA)",
                &[1, 3, 6, 1, 4, 1, 12356, 101, 1, 60],
                "fg-edge",
            ))
        }),
    );
    let net = Arc::new(net);
    let mut opts = options();
    opts.snmp_communities = vec!["public".into(), "hospital".into()];
    let r = fingerprint_host(Arc::clone(&net), HostInput::new(ip()), &[], &[161], &opts).await;
    assert_eq!(net.udp_sent.load(Ordering::SeqCst), 2);
    let s = &r.services[0];
    assert_eq!(
        (s.port, s.protocol, s.name.as_str()),
        (161, Protocol::Udp, "snmp")
    );
    assert_eq!(s.product.as_deref(), Some("Fortinet SNMP agent"));
    assert_eq!(
        (r.os.family, r.os.version.as_deref()),
        (OsFamily::Network, Some("6.0.4"))
    );
    assert_eq!(r.hostname.as_deref(), Some("fg-edge"));
}

#[tokio::test]
async fn printer_ports_get_a_connect_and_nothing_more() {
    let net = Arc::new(FakeHost::default().silent(9100).silent(515).silent(631));
    let r = fingerprint_host(
        Arc::clone(&net),
        HostInput::new(ip()),
        &[515, 631, 9100],
        &[],
        &options(),
    )
    .await;
    assert_eq!(r.services.len(), 3);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(net.received.lock().unwrap().is_empty());
    assert_eq!(
        net.connects.load(Ordering::SeqCst),
        3,
        "one connect per port"
    );
}

#[tokio::test]
async fn after_a_half_open_sweep_only_open_ports_are_connected_and_print_ports_not_at_all() {
    let net = Arc::new(
        FakeHost::default()
            .silent(9100)
            .tcp(80, |mut s| async move {
                let mut b = [0u8; 1024];
                let _ = s.read(&mut b).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n")
                    .await;
            }),
    );
    let mut host = HostInput::new(ip());
    host.open_tcp = Some(vec![80, 9100]);
    let r = fingerprint_host(
        Arc::clone(&net),
        host,
        &[22, 80, 443, 9100],
        &[],
        &options(),
    )
    .await;
    let ports: Vec<u16> = r.services.iter().map(|s| s.port).collect();
    assert_eq!(ports, vec![80, 9100]);
    // Port 80 only: 22 and 443 did not answer the sweep, 9100 is a print port.
    assert_eq!(net.connects.load(Ordering::SeqCst), 1);
    let raw = &r.services[1];
    assert!(
        raw.evidence.iter().any(|e| e.contains("half-open")),
        "{raw:?}"
    );
}

#[tokio::test]
async fn a_medical_host_after_a_half_open_sweep_gets_no_connect() {
    let net = Arc::new(FakeHost::default().silent(104).silent(80));
    let mut opts = options();
    opts.medical_hosts = vec![ip()];
    let mut host = HostInput::new(ip());
    host.open_tcp = Some(vec![80, 104]);
    let r = fingerprint_host(Arc::clone(&net), host, &[80, 104], &[], &opts).await;
    assert_eq!(r.services.len(), 2);
    assert!(r.medical.is_some());
    assert_eq!(net.connects.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn unknown_port_falls_through_greeting_http_tls() {
    let net = Arc::new(FakeHost::default().tcp(8765, |mut s| async move {
        let mut b = [0u8; 1024];
        let _ = s.read(&mut b).await;
        let _ = s
            .write_all(b"HTTP/1.1 404 Not Found\r\nServer: nginx/1.18.0\r\n\r\n")
            .await;
    }));
    let r = fingerprint_host(net, HostInput::new(ip()), &[8765], &[], &options()).await;
    let s = &r.services[0];
    assert_eq!(
        (s.name.as_str(), s.product.as_deref(), s.version.as_deref()),
        ("http", Some("nginx"), Some("1.18.0"))
    );
    assert!(
        s.evidence
            .iter()
            .any(|e| e.contains("greeting probe: service stayed silent"))
    );
}

#[tokio::test]
async fn concurrency_is_bounded_per_host() {
    let mut net = FakeHost {
        connect_delay: Duration::from_millis(30),
        ..FakeHost::default()
    };
    for p in 1000..1040 {
        net = net.silent(p);
    }
    let net = Arc::new(net);
    let mut opts = options();
    opts.per_host_concurrency = 4;
    opts.limits.probe_timeout = Duration::from_millis(600);
    let ports: Vec<u16> = (1000..1040).collect();
    let start = std::time::Instant::now();
    let r = fingerprint_host(Arc::clone(&net), HostInput::new(ip()), &ports, &[], &opts).await;
    assert_eq!(r.services.len(), 40);
    assert!(r.services.iter().all(|s| s.name == "unknown"));
    let most = net.max_connecting.load(Ordering::SeqCst);
    assert!((2..=4).contains(&most), "{most} connects at once");
    // 40 silent ports, 4 at a time, each held for the greeting wait plus HTTP and TLS attempts.
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[tokio::test]
async fn global_semaphore_is_shared_between_hosts() {
    let global = Arc::new(Semaphore::new(2));
    let mut opts = options();
    opts.global = Arc::clone(&global);
    let net = Arc::new(
        FakeHost {
            connect_delay: Duration::from_millis(30),
            ..FakeHost::default()
        }
        .says(22, b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"),
    );
    let a = fingerprint_host(
        Arc::clone(&net),
        HostInput::new(ip()),
        &[22, 23, 24],
        &[],
        &opts,
    );
    let b = fingerprint_host(
        Arc::clone(&net),
        HostInput::new("198.18.0.16".parse().unwrap()),
        &[22, 23, 24],
        &[],
        &opts,
    );
    let (a, b) = tokio::join!(a, b);
    assert_eq!(a.os.version.as_deref(), Some("24.04"));
    assert_eq!(b.services.len(), 1);
    assert_eq!(global.available_permits(), 2, "every permit returned");
    assert_eq!(
        net.max_connecting.load(Ordering::SeqCst),
        2,
        "two hosts share two permits"
    );
}

#[tokio::test]
async fn hostile_host_is_bounded() {
    let net = Arc::new(
        FakeHost::default()
            .tcp(21, |mut s| async move {
                let chunk = vec![b'A'; 64 * 1024];
                for _ in 0..160 {
                    if s.write_all(&chunk).await.is_err() {
                        break;
                    }
                }
            })
            .tcp(445, |mut s| async move {
                let mut b = [0u8; 1024];
                let _ = s.read(&mut b).await;
                let _ = s
                    .write_all(b"\x00\x00\x00\x40\xfeSMB\xff\xff\xff\xff")
                    .await;
            })
            .tcp(104, |mut s| async move {
                let mut b = [0u8; 1024];
                let _ = s.read(&mut b).await;
                let _ = s.write_all(&[2, 0, 0x7f, 0xff, 0xff, 0xff]).await;
            })
            .silent(3389)
            .tcp(443, |mut s| async move {
                let mut b = [0u8; 1024];
                let _ = s.read(&mut b).await;
                let _ = s.write_all(b"\x15\x03\x03\x00\x02\x02\x28garbage").await;
            }),
    );
    let mut opts = options();
    opts.probe_medical = true;
    let start = std::time::Instant::now();
    let r = fingerprint_host(
        net,
        HostInput::new(ip()),
        &[21, 104, 443, 445, 3389],
        &[],
        &opts,
    )
    .await;
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(r.services.len(), 5, "every open port is reported");
    for s in &r.services {
        assert!(s.evidence.iter().all(|e| e.len() < 400), "{s:?}");
    }
    let ftp = r.services.iter().find(|s| s.port == 21).unwrap();
    assert_eq!(ftp.name, "ftp", "fallback name from the port plan");
}

#[tokio::test]
async fn net_snmp_agent_version_is_asked_in_a_second_get() {
    let mut net = FakeHost::default();
    net.udp.insert(
        161,
        Arc::new(|req: &[u8]| {
            let at = req.windows(6).position(|w| w == b"public")? + 6;
            let idlen = usize::from(req[at + 3]);
            let mut id: i32 = 0;
            for &b in &req[at + 4..at + 4 + idlen] {
                id = (id << 8) | i32::from(b);
            }
            // 2021 encodes as 8f 65: the versionTag request.
            if req.windows(2).any(|w| w == [0x8f, 0x65]) {
                // A reply holding only the version: 30 L 02 01 01 04 06 public a2 L ...
                let mut r = Vec::new();
                let oid = [0x06, 0x0a, 0x2b, 6, 1, 4, 1, 0x8f, 0x65, 0x64, 2, 0];
                let val = [0x04, 5, b'5', b'.', b'9', b'.', b'3'];
                let bind = [&[0x30, (oid.len() + val.len()) as u8][..], &oid, &val].concat();
                let binds = [&[0x30, bind.len() as u8][..], &bind].concat();
                let idb = id.to_be_bytes();
                let pdu_body = [&[0x02, 4][..], &idb, &[0x02, 1, 0, 0x02, 1, 0], &binds].concat();
                let pdu = [&[0xa2, pdu_body.len() as u8][..], &pdu_body].concat();
                let msg = [&[0x02, 1, 1, 0x04, 6][..], b"public", &pdu].concat();
                r.extend_from_slice(&[0x30, msg.len() as u8]);
                r.extend_from_slice(&msg);
                return Some(r);
            }
            Some(snmp::tests::response(
                id,
                "Linux file-srv 6.1.0-18-amd64 #1 SMP Debian 6.1.76-1 x86_64",
                &[1, 3, 6, 1, 4, 1, 8072, 3, 2, 10],
                "file-srv",
            ))
        }),
    );
    let net = Arc::new(net);
    let mut opts = options();
    opts.snmp_communities = vec!["public".into()];
    let r = fingerprint_host(Arc::clone(&net), HostInput::new(ip()), &[], &[161], &opts).await;
    assert_eq!(net.udp_sent.load(Ordering::SeqCst), 2);
    let s = &r.services[0];
    assert_eq!(
        (s.product.as_deref(), s.version.as_deref()),
        (Some("Net-SNMP"), Some("5.9.3"))
    );
    assert_eq!(
        (r.os.family, r.os.name.as_deref()),
        (OsFamily::Linux, Some("Linux"))
    );
}

#[tokio::test]
async fn netbios_names_the_host() {
    let mut net = FakeHost::default();
    net.udp.insert(
        137,
        Arc::new(|req: &[u8]| {
            let id = u16::from_be_bytes([req[0], req[1]]);
            Some(crate::probe::netbios::tests::response(
                id,
                &[("WARD-PC", 0x00, false), ("HOSPITAL", 0x00, true)],
                [0x68, 0x84, 0x7e, 1, 2, 3],
            ))
        }),
    );
    let net = Arc::new(net);
    let mut host = HostInput::new(ip());
    host.ttl = Some(127);
    let r = fingerprint_host(Arc::clone(&net), host, &[], &[137, 161], &options()).await;
    assert_eq!(
        net.udp_sent.load(Ordering::SeqCst),
        1,
        "netbios only: no SNMP community configured"
    );
    assert_eq!(r.hostname.as_deref(), Some("WARD-PC"));
    let s = &r.services[0];
    assert_eq!((s.port, s.name.as_str()), (137, "netbios-ns"));
    assert!(s.evidence[0].contains("HOSPITAL<00>"));
    assert_eq!(r.os.family, OsFamily::Windows);
    assert!(r.os.evidence.iter().any(|e| e.contains("WARD-PC")));
}

#[tokio::test]
async fn a_trickling_port_is_cut_by_the_port_budget() {
    let net = Arc::new(FakeHost::default().tcp(8765, |mut s| async move {
        // A byte now and then, never a whole reply: every probe would wait to its own limit.
        for _ in 0..200 {
            if s.write_all(b"z").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }));
    let mut opts = options();
    opts.port_budget = Duration::from_millis(1500);
    let start = std::time::Instant::now();
    let r = fingerprint_host(net, HostInput::new(ip()), &[8765], &[], &opts).await;
    assert!(
        start.elapsed() < Duration::from_millis(3500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(r.services[0].name, "unknown");
    assert!(
        r.services[0]
            .evidence
            .iter()
            .any(|e| e.contains("deadline") || e.contains("budget")),
        "{:?}",
        r.services[0].evidence
    );
}

#[tokio::test]
async fn old_windows_without_smb2_is_read_over_smb1() {
    use crate::probe::smb1;
    let net = Arc::new(FakeHost::default().tcp(445, |mut s| async move {
        let mut head = [0u8; 4];
        if s.read_exact(&mut head).await.is_err() {
            return;
        }
        let mut body = vec![0u8; smb::frame_length(&head).unwrap()];
        s.read_exact(&mut body).await.unwrap();
        if body.starts_with(b"\xfeSMB") {
            return; // XP drops a connection that speaks SMB2
        }
        s.write_all(&smb1::tests::framed(&smb1::tests::negotiate_response()))
            .await
            .unwrap();
        s.read_exact(&mut head).await.unwrap();
        let mut body = vec![0u8; smb::frame_length(&head).unwrap()];
        s.read_exact(&mut body).await.unwrap();
        let reply = smb1::tests::session_setup_response("Windows 5.1", "Windows 2000 LAN Manager");
        s.write_all(&smb1::tests::framed(&reply)).await.unwrap();
        let _ = s.read(&mut head).await;
    }));
    let r = fingerprint_host(
        Arc::clone(&net),
        HostInput::new(ip()),
        &[445],
        &[],
        &options(),
    )
    .await;
    let s = &r.services[0];
    assert_eq!(
        (s.name.as_str(), s.product.as_deref()),
        ("smb", Some("Microsoft Windows SMB"))
    );
    assert!(
        s.evidence.iter().any(|e| e.contains("smb probe")),
        "the SMB2 failure is recorded: {:?}",
        s.evidence
    );
    assert!(s.evidence.iter().any(|e| e.contains("Windows 5.1")));
    assert_eq!(
        (r.os.family, r.os.name.as_deref(), r.os.version.as_deref()),
        (OsFamily::Windows, Some("Windows XP"), Some("5.1.2600"))
    );
    assert_eq!(r.hostname.as_deref(), Some("XP-CONSOLE"));
    assert_eq!(
        net.connects.load(Ordering::SeqCst),
        2,
        "one connection per dialect"
    );
}

#[tokio::test]
async fn malformed_snmp_and_netbios_replies_are_ignored() {
    let mut net = FakeHost::default();
    net.udp.insert(
        161,
        Arc::new(|_: &[u8]| Some(vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02])),
    );
    net.udp
        .insert(137, Arc::new(|_: &[u8]| Some(vec![0xff; 40])));
    let net = Arc::new(net);
    let mut opts = options();
    opts.snmp_communities = vec!["public".into(), "private".into()];
    let r = fingerprint_host(
        Arc::clone(&net),
        HostInput::new(ip()),
        &[],
        &[137, 161],
        &opts,
    )
    .await;
    assert!(r.services.is_empty(), "{:?}", r.services);
    assert_eq!(
        net.udp_sent.load(Ordering::SeqCst),
        3,
        "netbios once, each community once"
    );
    assert_eq!(r.os.family, OsFamily::Unknown);
}

/// A UDP 161 agent answering the first community with a stored GetResponse from the corpus
/// (whose request id is the one the first community is asked with).
fn snmp_agent(reply: &'static [u8]) -> UdpServer {
    Arc::new(move |req: &[u8]| {
        req.windows(6)
            .any(|w| w == b"public")
            .then(|| reply.to_vec())
    })
}

#[tokio::test]
async fn a_yamaha_router_is_named_from_snmp_not_called_linux() {
    let mut net = FakeHost::default().says(23, b"\r\nPassword: ");
    net.udp.insert(
        161,
        snmp_agent(include_bytes!("../../fuzz/corpus/snmp/yamaha-rtx1210.bin")),
    );
    let net = Arc::new(net);
    let mut opts = options();
    opts.snmp_communities = vec!["public".into()];
    let host = HostInput {
        ttl: Some(64),
        ..HostInput::new(ip())
    };
    let r = fingerprint_host(Arc::clone(&net), host, &[23], &[161], &opts).await;
    assert_eq!(r.os.family, OsFamily::Network, "{:?}", r.os.evidence);
    assert_eq!(
        (r.os.name.as_deref(), r.os.version.as_deref()),
        (Some("YAMAHA RTX1210"), Some("14.01.42"))
    );
    assert_eq!(r.os.evidence[0], "device: YAMAHA RTX1210, router");
    assert_eq!(r.hostname.as_deref(), Some("rtx1210"));
    let agent = r.services.iter().find(|s| s.port == 161).unwrap();
    assert_eq!(agent.product.as_deref(), Some("YAMAHA SNMP agent"));
}

#[tokio::test]
async fn a_netscaler_gateway_is_named_from_its_login_redirect_and_snmp() {
    let mut net =
        FakeHost::default().says(80, include_bytes!("../../fuzz/corpus/http/netscaler.txt"));
    net.udp.insert(
        161,
        snmp_agent(include_bytes!("../../fuzz/corpus/snmp/netscaler-13.1.bin")),
    );
    let net = Arc::new(net);
    let mut opts = options();
    opts.snmp_communities = vec!["public".into()];
    let r = fingerprint_host(Arc::clone(&net), HostInput::new(ip()), &[80], &[161], &opts).await;
    let http = r.services.iter().find(|s| s.port == 80).unwrap();
    assert_eq!(http.product.as_deref(), Some("Citrix NetScaler Gateway"));
    assert_eq!(
        (r.os.family, r.os.name.as_deref(), r.os.version.as_deref()),
        (
            OsFamily::Network,
            Some("Citrix NetScaler"),
            Some("13.1-49.12")
        )
    );
}
