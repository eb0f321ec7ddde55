//! The collector under systemd's `Type=notify` and `WatchdogSec=`, with a real `UnixDatagram`
//! bound where `$NOTIFY_SOCKET` points, as systemd's: `READY=1` once it serves, `WATCHDOG=1`
//! every half `$WATCHDOG_USEC` while the database can be written, none while another process
//! holds the database's write lock (`/healthz` 503, `/livez` still 200), and again once it is
//! released. An abstract socket name (`@…`) works the same; a `$WATCHDOG_PID` naming another
//! process gets no watchdog pings.

#[path = "support/child_collector.rs"]
mod child_collector;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use child_collector::{Collector, request};

const BIN: &str = env!("CARGO_BIN_EXE_daicho-collector");

/// The watchdog timeout given to the child: pings every 200 ms.
const WATCHDOG_USEC: &str = "400000";

fn config(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("collector.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndatabase = \"{}\"\n",
            dir.join("collector.db").display()
        ),
    )
    .unwrap();
    config
}

fn serve(config: &Path, notify_socket: &str, watchdog_pid: Option<&str>) -> Collector {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "info")
        .env("NOTIFY_SOCKET", notify_socket)
        .env("WATCHDOG_USEC", WATCHDOG_USEC);
    match watchdog_pid {
        Some(pid) => command.env("WATCHDOG_PID", pid),
        None => command.env_remove("WATCHDOG_PID"),
    };
    Collector::start(command, Duration::from_secs(30))
}

/// Every datagram that arrives within `for_`.
fn datagrams(socket: &UnixDatagram, for_: Duration) -> Vec<String> {
    let deadline = Instant::now() + for_;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return out;
        }
        socket.set_read_timeout(Some(left)).unwrap();
        match socket.recv(&mut buf) {
            Ok(n) => out.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return out;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

fn pings(datagrams: &[String]) -> usize {
    datagrams
        .iter()
        .filter(|d| d.as_str() == "WATCHDOG=1")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_then_watchdog_pings_only_while_the_database_can_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let socket_path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    let collector = serve(&config, socket_path.to_str().unwrap(), None);
    let addr = collector.addr.clone();

    let first = datagrams(&socket, Duration::from_millis(1_500));
    assert!(
        first[0].lines().any(|l| l == "READY=1"),
        "READY=1 comes first: {first:?}"
    );
    assert!(pings(&first) >= 3, "pings every 200 ms: {first:?}");

    // Another process takes the database's write lock and keeps it: the collector cannot
    // write (its check waits 50 ms for the lock), so it is not ready, yet alive.
    let db = rusqlite::Connection::open(dir.path().join("collector.db")).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (status, body) = request(&addr, "GET /healthz HTTP/1.1", b"").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("cannot be written"), "{body}");
    let (status, _) = request(&addr, "GET /readyz HTTP/1.1", b"").await;
    assert_eq!(status, 503);
    let (status, body) = request(&addr, "GET /livez HTTP/1.1", b"").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"alive\""), "{body}");
    // A ping already on its way when the lock was taken may still arrive.
    let _ = datagrams(&socket, Duration::from_millis(300));
    let locked = datagrams(&socket, Duration::from_millis(1_500));
    assert_eq!(
        pings(&locked),
        0,
        "no watchdog ping while not ready: {locked:?}"
    );

    db.execute_batch("ROLLBACK").unwrap();
    let released = datagrams(&socket, Duration::from_millis(1_500));
    assert!(
        pings(&released) >= 3,
        "pings again once ready: {released:?}"
    );
    assert!(
        released.iter().any(|d| d == "STATUS=serving"),
        "{released:?}"
    );
    let (status, _) = request(&addr, "GET /healthz HTTP/1.1", b"").await;
    assert_eq!(status, 200);
    drop(collector);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abstract_socket_gets_ready_and_a_foreign_watchdog_pid_no_pings() {
    use std::os::linux::net::SocketAddrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let name = format!("daicho-notify-test-{}", std::process::id());
    let socket = UnixDatagram::bind_addr(
        &std::os::unix::net::SocketAddr::from_abstract_name(&name).unwrap(),
    )
    .unwrap();
    // The watchdog is meant for process 1, not the collector.
    let collector = serve(&config, &format!("@{name}"), Some("1"));
    let got = datagrams(&socket, Duration::from_secs(1));
    assert!(got[0].lines().any(|l| l == "READY=1"), "{got:?}");
    assert_eq!(pings(&got), 0, "{got:?}");
    let (status, _) = request(&collector.addr, "GET /livez HTTP/1.1", b"").await;
    assert_eq!(status, 200);
}
