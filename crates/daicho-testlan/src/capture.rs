//! Packet captures (tcpdump) on a namespace of the test LAN that lose nothing at the end.
//!
//! tcpdump drops what it has not yet written when it is interrupted, and libpcap without
//! immediate mode hands packets over in blocks up to a second old: stopping a capture right
//! after a scan can lose the scan's last second, and a test asserting "no packet reached the
//! excluded host" would then pass on a capture that never saw the end. So a capture runs in
//! immediate mode, and [`Capture::stop`] first sends a marker: a TCP connect from the LAN's
//! router to port 9 of the captured namespace, which its kernel refuses with a reset. tcpdump
//! writes in arrival order, so once the marker (or the reset, for an outbound-only capture) is
//! in the file, everything captured before it is too. The marker packets are then removed from
//! the file, so readers see only what the test caused.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{LanError, TestLan};

/// Port the marker connects to: nothing listens there, the connect is refused at once.
const MARKER_PORT: u16 = 9;

/// How long the marker may take to show up in the file.
const MARKER_WAIT: Duration = Duration::from_secs(10);

/// A running tcpdump on one namespace's `eth0`, writing a pcap file.
#[derive(Debug)]
pub struct Capture {
    child: Child,
    file: PathBuf,
    marker: String,
    ns: String,
    ip: Ipv4Addr,
}

impl TestLan {
    /// Starts tcpdump on `eth0` of namespace `ns` (the scanner's or a host's, not the router's),
    /// writing `file`,
    /// and returns once it is capturing. `options` go to tcpdump as they are (e.g.
    /// `["-Q", "out"]`); `filter` is a tcpdump filter expression, or `None` for everything.
    pub fn capture(
        &self,
        ns: &str,
        file: &Path,
        options: &[&str],
        filter: Option<&str>,
    ) -> Result<Capture, LanError> {
        let truth = self.truth();
        if ns == truth.router.ns {
            // The marker comes from the router: it cannot mark its own capture.
            return Err(LanError::Capture(format!(
                "{ns} is the router: capture on the hosts or the scanner"
            )));
        }
        let ip = if ns == truth.scanner.ns {
            truth.scanner.ip
        } else {
            truth
                .hosts
                .iter()
                .find(|h| h.ns == ns)
                .map(|h| h.ip)
                .ok_or_else(|| {
                    LanError::Capture(format!(
                        "{ns} is not a host or scanner namespace of this LAN"
                    ))
                })?
        };
        let marker = marker_filter(truth.router.lan_ip, ip);
        // The marker must pass the caller's filter to be seen.
        let expression = match filter {
            Some(f) => format!("({f}) or ({marker})"),
            None => String::new(),
        };
        let mut child = self
            .command_in(ns, "tcpdump")?
            // -U and immediate mode: each packet is written as it arrives. -Z root: no
            // privilege drop, so the file may be anywhere.
            .args([
                "-i",
                "eth0",
                "--immediate-mode",
                "-U",
                "-n",
                "-Z",
                "root",
                "-w",
            ])
            .arg(file)
            .args(options)
            .args((!expression.is_empty()).then_some(&expression))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| LanError::Spawn {
                program: "tcpdump".into(),
                source,
            })?;
        // tcpdump says "listening on" once the capture is open. Its stderr is then drained until
        // it exits: a closed pipe would kill it at its next message.
        let mut err = child.stderr.take().expect("stderr is piped");
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("listening on") {
            let n = std::io::Read::read(&mut err, &mut buf).unwrap_or(0);
            if n == 0 {
                let _ = child.wait();
                return Err(LanError::Capture(format!(
                    "tcpdump in {ns} ended before capturing: {}",
                    String::from_utf8_lossy(&seen).trim()
                )));
            }
            seen.extend_from_slice(&buf[..n]);
        }
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        Ok(Capture {
            child,
            file: file.to_owned(),
            marker,
            ns: ns.to_owned(),
            ip,
        })
    }
}

/// The marker's packets: the router's connect to the captured address's port 9 and the reset.
fn marker_filter(router: Ipv4Addr, ip: Ipv4Addr) -> String {
    format!("tcp and host {router} and host {ip} and port {MARKER_PORT}")
}

impl Capture {
    /// Stops the capture once everything that reached the namespace so far is in the file,
    /// then removes the marker packets from it. Returns the file.
    pub fn stop(mut self, lan: &TestLan) -> Result<PathBuf, LanError> {
        let router = &lan.truth().router;
        let ip = self.ip;
        // Refused is the expected outcome: only the packets matter.
        let _ = lan
            .command_in(&router.ns, "timeout")?
            .args([
                "5",
                "bash",
                "-c",
                &format!("exec 3<>/dev/tcp/{ip}/{MARKER_PORT}"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + MARKER_WAIT;
        while read(&self.file, &self.marker, &[])?.trim().is_empty() {
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(LanError::Capture(format!(
                    "{}: the end marker never reached the capture in {}",
                    self.file.display(),
                    self.ns
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SIGINT: tcpdump closes the file properly.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let without = self.file.with_extension("nomarker.pcap");
        let out = Command::new("tcpdump")
            .arg("-r")
            .arg(&self.file)
            .arg("-w")
            .arg(&without)
            .arg(format!("not ({})", self.marker))
            .stderr(Stdio::piped())
            .output()
            .map_err(|source| LanError::Spawn {
                program: "tcpdump".into(),
                source,
            })?;
        if !out.status.success() {
            return Err(LanError::Capture(format!(
                "removing the marker from {}: {}",
                self.file.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        std::fs::rename(&without, &self.file).map_err(|source| LanError::Read {
            path: without,
            source,
        })?;
        Ok(self.file.clone())
    }
}

/// Reads a pcap with tcpdump (`-n`, the given `options`, then `filter`) and returns its text.
pub fn read(file: &Path, filter: &str, options: &[&str]) -> Result<String, LanError> {
    let out = Command::new("tcpdump")
        .arg("-r")
        .arg(file)
        .arg("-n")
        .args(options)
        .args((!filter.is_empty()).then_some(filter))
        .stderr(Stdio::null())
        .output()
        .map_err(|source| LanError::Spawn {
            program: "tcpdump".into(),
            source,
        })?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One frame of a capture as `tcpdump -n -e -tt` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// When it was captured, seconds since the epoch.
    pub at: f64,
    /// Source MAC.
    pub src_mac: String,
    /// Destination MAC.
    pub dst_mac: String,
    /// The rest of tcpdump's line: ethertype, length and the decoded packet.
    pub text: String,
}

/// What a captured frame is, for counting a scan's packets by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FrameKind {
    /// ARP request.
    ArpRequest,
    /// ARP reply.
    ArpReply,
    /// Any ICMP message.
    Icmp,
    /// TCP SYN (a half-open probe or the start of a connect).
    TcpSyn,
    /// TCP segment carrying data.
    TcpData,
    /// TCP FIN.
    TcpFin,
    /// TCP RST.
    TcpRst,
    /// TCP segment with only an acknowledgement.
    TcpAck,
    /// UDP datagram.
    Udp,
    /// Anything else.
    Other,
}

impl Frame {
    /// Where the frame is going: the address an ARP request asks for, or the IPv4 destination.
    pub fn destination(&self) -> Option<Ipv4Addr> {
        if let Some(rest) = self.text.split("who-has ").nth(1) {
            return rest.split([' ', ',']).next()?.parse().ok();
        }
        // "... length 74: 198.18.0.2.40000 > 198.18.0.10.22: Flags ..." or "198.18.0.2 > 198.18.0.10: ICMP ..."
        let rest = self.text.split(" > ").nth(1)?;
        let addr = rest.split([':', ' ']).next()?;
        addr.split('.')
            .take(4)
            .collect::<Vec<_>>()
            .join(".")
            .parse()
            .ok()
    }

    /// The kind of packet.
    pub fn kind(&self) -> FrameKind {
        let t = &self.text;
        if t.contains("ethertype ARP") {
            return if t.contains("Request") {
                FrameKind::ArpRequest
            } else {
                FrameKind::ArpReply
            };
        }
        if t.contains(": ICMP ") {
            return FrameKind::Icmp;
        }
        if let Some(flags) = t.split("Flags [").nth(1).and_then(|f| f.split(']').next()) {
            let data = t
                .rsplit("length ")
                .next()
                .and_then(|n| n.split([' ', ',']).next())
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n > 0);
            return if flags.contains('S') {
                FrameKind::TcpSyn
            } else if flags.contains('R') {
                FrameKind::TcpRst
            } else if flags.contains('F') {
                FrameKind::TcpFin
            } else if data {
                FrameKind::TcpData
            } else {
                FrameKind::TcpAck
            };
        }
        if t.contains("ethertype IPv4") && t.contains(" > ") {
            return FrameKind::Udp;
        }
        FrameKind::Other
    }
}

/// Every frame of a pcap file, with link-layer addresses and epoch timestamps.
pub fn frames(file: &Path) -> Result<Vec<Frame>, LanError> {
    Ok(read(file, "", &["-e", "-tt"])?
        .lines()
        .filter_map(|l| {
            // "1700000000.123456 aa:bb:.. > cc:dd:.., ethertype ARP (0x0806), length 60: Request who-has ..."
            let mut parts = l.splitn(5, ' ');
            let at: f64 = parts.next()?.parse().ok()?;
            let src_mac = parts.next()?.to_owned();
            parts.next()?;
            let dst_mac = parts.next()?.trim_end_matches(',').to_owned();
            Some(Frame {
                at,
                src_mac,
                dst_mac,
                text: parts.next()?.to_owned(),
            })
        })
        .collect())
}

/// The most timestamps (seconds) within any half-open window of `window` seconds.
pub fn most_in_window(times: &[f64], window: f64) -> usize {
    let mut t = times.to_vec();
    t.sort_by(f64::total_cmp);
    let mut start = 0;
    let mut best = 0;
    for end in 0..t.len() {
        while t[end] - t[start] >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

impl Drop for Capture {
    fn drop(&mut self) {
        // A capture not stopped (a failed test) must not outlive it.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
