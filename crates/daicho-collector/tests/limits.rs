//! Connection limits and failed authentication, against the collector binary run as a child
//! process (so that its open-files limit can be set and its log read):
//!
//! - 1,100 idle TCP connections under `ulimit -n 1024`: `/healthz` still answers in under a
//!   second, and the server closes the idle sockets after `idle_timeout_secs`;
//! - bad bearer tokens from one source are answered ever slower (bounded), a good token at once,
//!   and the log names the source, never the token;
//! - SIGTERM lets the request in flight finish.

#[path = "support/child_collector.rs"]
mod child_collector;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use child_collector::{Collector, agent_token, request};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The collector binary; `DAICHO_LIMITS_COLLECTOR` runs these tests against another build (such
/// as one from before the limits, to see them fail).
fn bin() -> String {
    std::env::var("DAICHO_LIMITS_COLLECTOR")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_daicho-collector").to_owned())
}

/// `serve --config config` as a child, under `ulimit -n nofile` when given.
fn serve(config: &Path, nofile: Option<u32>) -> Collector {
    let mut command = match nofile {
        Some(n) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                .arg(bin());
            c
        }
        None => Command::new(bin()),
    };
    command
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "info,daicho_collector=debug")
        .env("NO_COLOR", "1");
    Collector::start(command, Duration::from_mins(1))
}

fn config(dir: &Path, server: &str) -> std::path::PathBuf {
    let path = dir.join("collector.toml");
    std::fs::write(
        &path,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n{server}\n[storage]\ndatabase = \"{}\"\n",
            dir.join("collector.db").display()
        ),
    )
    .unwrap();
    path
}

/// `/healthz` on a new connection: its status and how long the answer took.
async fn healthz(addr: &str) -> (u16, Duration) {
    let started = Instant::now();
    let (status, _) = tokio::time::timeout(
        Duration::from_secs(10),
        request(addr, "GET /healthz HTTP/1.1", b""),
    )
    .await
    .expect("/healthz did not answer within 10 s");
    (status, started.elapsed())
}

/// Whether the server has closed `s`: a read sees EOF or a reset within `wait`.
async fn closed_by_server(s: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(_)) | Err(_) => false,
    }
}

/// Asserts that the server closes `s` between 0.8 and 2.5 s from now (a 1 s timeout).
async fn assert_closed_after_about_a_second(s: &mut TcpStream) {
    let started = Instant::now();
    assert!(closed_by_server(s, Duration::from_secs(5)).await);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_millis(2500),
        "{took:?}"
    );
}

/// Whether the server's close of `s` has already arrived (no waiting).
fn eof_already(s: &TcpStream) -> bool {
    let mut buf = [0u8; 64];
    match s.try_read(&mut buf) {
        Ok(0) => true,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        Ok(_) => false,
    }
}

const IDLE_SOCKETS: usize = 1100;
const NOFILE: u32 = 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_beyond_the_open_files_limit_leave_healthz_answering() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        "idle_timeout_secs = 10\nheader_read_timeout_secs = 30\n",
    );
    let mut collector = serve(&config, Some(NOFILE));
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", collector.child.id())).unwrap();
    let nofile = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    assert!(nofile.split_whitespace().nth(3) == Some("1024"), "{nofile}");
    let addr = collector.addr.clone();

    // 1,100 connections that never send a byte, opened 100 at a time.
    let opened = Instant::now();
    let mut idle = Vec::with_capacity(IDLE_SOCKETS);
    for _ in 0..IDLE_SOCKETS / 100 {
        let batch: Vec<_> = (0..100)
            .map(|_| {
                let addr = addr.clone();
                tokio::spawn(async move {
                    tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr)).await
                })
            })
            .collect();
        for c in batch {
            idle.push(c.await.unwrap().expect("connect timed out").unwrap());
        }
    }
    let open_for = opened.elapsed();
    let open_done = Instant::now();
    assert!(
        open_for < Duration::from_secs(6),
        "opening took {open_for:?}; the idle timeout (10 s) would spoil the test"
    );

    // With all of them open, /healthz answers at once, several times over.
    let mut answers = Vec::new();
    for _ in 0..5 {
        let (status, took) = healthz(&addr).await;
        assert_eq!(status, 200);
        assert!(
            took < Duration::from_secs(1),
            "/healthz took {took:?} with {IDLE_SOCKETS} idle sockets open"
        );
        answers.push(took);
    }
    let log = collector.log().join("\n");
    assert!(log.contains("max_connections=896"), "{log}");
    assert!(log.contains("connection cap reached"), "{log}");
    assert!(
        !log.contains("accept failed"),
        "accept hit the file limit:\n{log}"
    );
    // The server really holds most of them (all but those closed to make room) ...
    let held = idle.iter().filter(|s| !eof_already(s)).count();
    assert!(
        (700..IDLE_SOCKETS).contains(&held),
        "{held} of {IDLE_SOCKETS} still open"
    );
    // ... until the idle timeout (counted from its accept, after `opened`), not before ...
    tokio::time::sleep_until((opened + Duration::from_secs(8)).into()).await;
    let held_later = idle.iter().filter(|s| !eof_already(s)).count();
    assert!(
        opened.elapsed() < Duration::from_millis(9500),
        "the test ran too slowly to check this"
    );
    assert!(
        held_later + 10 >= held,
        "{held_later} of {held} still open 2 s before the idle timeout"
    );
    // ... and then every idle socket is closed by the server.
    let deadline = open_done + Duration::from_secs(15);
    let all_closed = loop {
        let open = idle.iter().filter(|s| !eof_already(s)).count();
        if open == 0 {
            break open_done.elapsed();
        }
        assert!(Instant::now() < deadline, "{open} idle sockets left open");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eprintln!(
        "{IDLE_SOCKETS} sockets opened in {open_for:?}; /healthz answered in {answers:?}; \
         {held} held by the server, {held_later} 2 s before the idle timeout; \
         all closed {all_closed:?} after opening (idle timeout 10 s)"
    );
    let (status, took) = healthz(&addr).await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_is_closed_after_the_idle_timeout_and_a_silent_one_after_the_header_timeout()
 {
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        "idle_timeout_secs = 2\nheader_read_timeout_secs = 1\n",
    );
    let collector = serve(&config, None);
    let addr = collector.addr.clone();

    // Header read timeout: half a request line, then nothing.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    silent.write_all(b"GET /hea").await.unwrap();
    assert_closed_after_about_a_second(&mut silent).await;

    // Keep-alive: one answered request, then silence; closed by the server within the limits.
    let mut kept = TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: c\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let started = Instant::now();
    assert!(closed_by_server(&mut kept, Duration::from_secs(5)).await);
    assert!(started.elapsed() < Duration::from_millis(2500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_slowed_per_source_and_logged_a_good_one_is_answered_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), "");
    let token = agent_token(&bin(), &config, "ward3");
    let mut collector = serve(&config, None);
    let addr = collector.addr.clone();
    let guess = "guessed-token-0123456789";

    // 200, 400, 800, 1600, 3200, 3200 ms: doubling, then bounded.
    let expected = [200u64, 400, 800, 1600, 3200, 3200];
    let mut took = Vec::new();
    for (i, pause) in expected.iter().enumerate() {
        let head = if i == 0 {
            // No header at all counts the same.
            "POST /api/v1/reports HTTP/1.1".to_owned()
        } else {
            format!("POST /api/v1/reports HTTP/1.1\r\nAuthorization: Bearer {guess}")
        };
        let started = Instant::now();
        let (status, _) = request(&addr, &head, b"{}").await;
        let t = started.elapsed();
        assert_eq!(status, 401);
        assert!(
            t >= Duration::from_millis(pause * 9 / 10) && t < Duration::from_millis(pause + 700),
            "failure {}: answered after {t:?}, expected about {pause} ms",
            i + 1
        );
        took.push(t);
    }

    // A good token from the same source is not slowed.
    let started = Instant::now();
    let (status, answer) = request(
        &addr,
        &format!(
            "POST /api/v1/reports HTTP/1.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json"
        ),
        b"{}",
    )
    .await;
    let good = started.elapsed();
    assert_eq!(status, 400, "{answer}");
    assert!(
        good < Duration::from_millis(150),
        "the good token took {good:?}"
    );

    collector.wait_for("failures=6");
    let log = collector.log().join("\n");
    let failed: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("API authentication failed"))
        .collect();
    assert_eq!(failed.len(), 6, "{log}");
    for line in &failed {
        assert!(line.contains("source=127.0.0.1"), "{line}");
        assert!(line.contains("route=/api/v1/reports"), "{line}");
    }
    assert!(
        failed[0].contains("no Authorization header"),
        "{}",
        failed[0]
    );
    assert!(
        failed[1].contains("unknown or revoked token"),
        "{}",
        failed[1]
    );
    assert!(!log.contains(guess), "the log shows the token:\n{log}");
    assert!(!log.contains(&token), "the log shows the token:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    // The request in flight: /healthz held by a header that arrives slowly is not "in flight";
    // a report body sent in two halves is (the handler is reading it).
    let config = config(dir.path(), "");
    let token = agent_token(&bin(), &config, "ward3");
    let mut collector = serve(&config, None);
    let addr = collector.addr.clone();
    let body = br#"{"not": "a report"}"#;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        format!(
            "POST /api/v1/reports HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    s.write_all(&body[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = Command::new("kill")
        .args(["-TERM", &collector.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    collector.wait_for("shutting down");
    // A new connection is no longer accepted ...
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(TcpStream::connect(&addr).await.is_err());
    // ... while the one in flight gets its answer.
    s.write_all(&body[5..]).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    collector.wait_for("stopped");
    let status = collector.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_handshakes_and_idle_tls_connections_are_timed_out() {
    use rustls::pki_types::{CertificateDer, ServerName};

    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let config = config(
        dir.path(),
        &format!(
            "tls_handshake_timeout_secs = 1\nidle_timeout_secs = 2\n\
             [server.tls]\ncert = \"{}\"\nkey = \"{}\"\n",
            cert_path.display(),
            key_path.display()
        ),
    );
    let collector = serve(&config, None);
    let addr = collector.addr.clone();

    // A TCP connection that never starts its handshake is dropped after about 1 s.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    assert_closed_after_about_a_second(&mut silent).await;

    // After the handshake and one answer, an idle TLS connection is closed after about 2 s.
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(cert.cert.der().to_vec()))
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(client));
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tls.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    let started = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(6), tls.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0) | Err(_))),
        "the idle TLS connection stayed open: {closed:?}"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(4),
        "{took:?}"
    );
}
