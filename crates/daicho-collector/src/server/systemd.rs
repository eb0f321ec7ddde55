//! systemd's service notification protocol (`sd_notify(3)`), for `Type=notify` and
//! `WatchdogSec=`: one datagram per state change on the socket named by `$NOTIFY_SOCKET` (a
//! path, or an abstract name written with a leading `@`).
//!
//! - `READY=1` once the listener is bound and the database opened (the server runs);
//! - `WATCHDOG=1` every half `$WATCHDOG_USEC`, only while [`readiness`] passes: a collector
//!   whose database is full, damaged or locked, or whose blocking pool hangs, stops feeding the
//!   watchdog and systemd restarts it;
//! - `STOPPING=1` when a shutdown begins.
//!
//! Without `$NOTIFY_SOCKET` (not started by systemd, or `Type=exec`) nothing is sent. Written
//! with std's `UnixDatagram`: the protocol is one `sendto` of a text line.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::server::AppState;
use crate::server::health::readiness;

/// Where the notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A socket file.
    Path(PathBuf),
    /// An abstract socket (`@name` in `$NOTIFY_SOCKET`), the name without the `@`.
    Abstract(Vec<u8>),
}

/// The service manager's notification socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notifier {
    target: Target,
}

impl Notifier {
    /// The socket `$NOTIFY_SOCKET` names; `None` when it is unset or empty.
    pub fn from_env() -> Option<Self> {
        let value = std::env::var_os("NOTIFY_SOCKET")?;
        let bytes = std::os::unix::ffi::OsStrExt::as_bytes(value.as_os_str());
        let target = match bytes {
            [] => return None,
            [b'@', name @ ..] => Target::Abstract(name.to_vec()),
            _ => Target::Path(PathBuf::from(value)),
        };
        Some(Self { target })
    }

    /// Sends `state` (`READY=1`, `WATCHDOG=1`, … newline-separated assignments) in one
    /// datagram.
    pub fn send(&self, state: &str) -> io::Result<()> {
        let socket = UnixDatagram::unbound()?;
        match &self.target {
            Target::Path(path) => socket.send_to(state.as_bytes(), path).map(drop),
            Target::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt as _;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
                socket.send_to_addr(state.as_bytes(), &addr).map(drop)
            }
        }
    }

    /// Sends `state`, logging a failure (the service keeps running: a missed notification is
    /// systemd's to act on).
    fn tell(&self, state: &str) {
        if let Err(e) = self.send(state) {
            tracing::warn!(error = %e, state, "cannot notify systemd");
        }
    }
}

/// The watchdog period systemd asks for (`$WATCHDOG_USEC`), when it is meant for this process
/// (`$WATCHDOG_PID` unset or this process's id).
pub fn watchdog_timeout() -> Option<Duration> {
    if let Some(pid) = std::env::var_os("WATCHDOG_PID")
        && pid.to_str().and_then(|p| p.parse::<u32>().ok()) != Some(std::process::id())
    {
        return None;
    }
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

/// What the server told systemd, kept until it stops.
pub(crate) struct Systemd {
    notifier: Notifier,
    watchdog: Option<JoinHandle<()>>,
}

impl Systemd {
    /// Sends `READY=1` and starts feeding the watchdog when systemd asks for one; `None` when
    /// there is no notification socket.
    pub(crate) fn ready(state: &AppState) -> Option<Self> {
        let notifier = Notifier::from_env()?;
        notifier.tell("READY=1\nSTATUS=serving");
        let watchdog = watchdog_timeout().map(|timeout| {
            tracing::info!(
                timeout_ms = timeout.as_millis() as u64,
                "systemd watchdog: fed while the database can be read and written"
            );
            spawn_watchdog(state.clone(), notifier.clone(), timeout)
        });
        Some(Self { notifier, watchdog })
    }

    /// Sends `STOPPING=1` and stops feeding the watchdog.
    pub(crate) fn stopping(&self) {
        if let Some(w) = &self.watchdog {
            w.abort();
        }
        self.notifier.tell("STOPPING=1");
    }
}

impl Drop for Systemd {
    fn drop(&mut self) {
        if let Some(w) = &self.watchdog {
            w.abort();
        }
    }
}

/// Every half `timeout`, runs the readiness check (given at most that long) and sends
/// `WATCHDOG=1` only when it passed; a failure is logged once per change.
fn spawn_watchdog(state: AppState, notifier: Notifier, timeout: Duration) -> JoinHandle<()> {
    let every = timeout / 2;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tick.tick().await;
            let checked = tokio::time::timeout(every, readiness(&state))
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "readiness check did not finish within {} ms",
                        every.as_millis()
                    ))
                });
            match checked {
                Ok(()) => {
                    if failing {
                        tracing::info!("ready again: systemd watchdog fed");
                        notifier.tell("STATUS=serving");
                        failing = false;
                    }
                    notifier.tell("WATCHDOG=1");
                }
                Err(reason) => {
                    if !failing {
                        tracing::error!(
                            reason = %daicho_ledger_io::text::log_text(&reason),
                            "not ready: systemd watchdog no longer fed; systemd restarts the collector if this lasts"
                        );
                        // STATUS is one line of text for `systemctl status`.
                        let line: String = reason
                            .chars()
                            .filter(|c| !c.is_control())
                            .take(200)
                            .collect();
                        notifier.tell(&format!("STATUS=not ready: {line}"));
                        failing = true;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_reach_a_path_and_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        Notifier {
            target: Target::Path(path),
        }
        .send("READY=1")
        .unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");

        let name = format!("daicho-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(&name).unwrap();
        let listener = UnixDatagram::bind_addr(&addr).unwrap();
        Notifier {
            target: Target::Abstract(name.into_bytes()),
        }
        .send("WATCHDOG=1")
        .unwrap();
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
    }
}
