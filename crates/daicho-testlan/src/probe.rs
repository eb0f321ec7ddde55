//! A small TCP probe that runs inside a LAN namespace (the `lan-probe` binary): connect, maybe
//! send a few bytes, read what the service says, report it as one JSON line.
//!
//! Tests cannot enter a namespace themselves (no `unsafe`, no setns), so they run this binary
//! with `ip netns exec` through [`crate::TestLan::probe_tcp`].

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What to do on one TCP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRequest {
    /// Address to connect to.
    pub ip: Ipv4Addr,
    /// Port to connect to.
    pub port: u16,
    /// Bytes to send right after connecting.
    pub send: Option<Vec<u8>>,
    /// Stop reading once this appears in what was received.
    pub until: Option<Vec<u8>>,
    /// Stop reading after this many bytes (0: connect only).
    pub max_bytes: usize,
    /// Time allowed for the connect and, separately, for the whole read.
    pub timeout: Duration,
}

impl ProbeRequest {
    /// Connect only.
    pub fn connect(ip: Ipv4Addr, port: u16) -> ProbeRequest {
        ProbeRequest {
            ip,
            port,
            send: None,
            until: None,
            max_bytes: 0,
            timeout: Duration::from_secs(3),
        }
    }

    /// Connect and read the greeting up to and including `until`.
    pub fn banner(ip: Ipv4Addr, port: u16, until: &[u8]) -> ProbeRequest {
        ProbeRequest {
            until: Some(until.to_vec()),
            max_bytes: 64 * 1024,
            ..ProbeRequest::connect(ip, port)
        }
    }

    /// Command-line arguments for `lan-probe`.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![
            self.ip.to_string(),
            self.port.to_string(),
            "--max".into(),
            self.max_bytes.to_string(),
            "--timeout-ms".into(),
            self.timeout.as_millis().to_string(),
        ];
        if let Some(send) = &self.send {
            args.push("--send-hex".into());
            args.push(hex(send));
        }
        if let Some(until) = &self.until {
            args.push("--until-hex".into());
            args.push(hex(until));
        }
        args
    }

    /// Parses `lan-probe`'s arguments (the inverse of [`ProbeRequest::to_args`]).
    pub fn from_args(args: &[String]) -> Result<ProbeRequest, String> {
        let mut it = args.iter();
        let ip = it
            .next()
            .ok_or("missing IP")?
            .parse()
            .map_err(|e| format!("bad IP: {e}"))?;
        let port = it
            .next()
            .ok_or("missing PORT")?
            .parse()
            .map_err(|e| format!("bad PORT: {e}"))?;
        let mut req = ProbeRequest::connect(ip, port);
        while let Some(flag) = it.next() {
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--max" => req.max_bytes = value.parse().map_err(|e| format!("bad --max: {e}"))?,
                "--timeout-ms" => {
                    req.timeout = Duration::from_millis(
                        value
                            .parse()
                            .map_err(|e| format!("bad --timeout-ms: {e}"))?,
                    );
                }
                "--send-hex" => req.send = Some(unhex(value)?),
                "--until-hex" => req.until = Some(unhex(value)?),
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(req)
    }
}

/// What happened on the connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The TCP connection was established.
    pub connected: bool,
    /// `std::io::ErrorKind` of the connect or read error, if any (e.g. `NetworkUnreachable`).
    pub error_kind: Option<String>,
    /// Raw OS error number of that error (e.g. 101 = ENETUNREACH).
    pub os_error: Option<i32>,
    /// Everything received, hex encoded.
    pub received_hex: String,
    /// The read stopped because the timeout expired.
    pub read_timed_out: bool,
    /// The peer closed the connection.
    pub eof: bool,
    /// Time from the connect attempt to the end, in milliseconds.
    pub elapsed_ms: u64,
}

impl ProbeResult {
    /// The received bytes.
    pub fn received(&self) -> Vec<u8> {
        unhex(&self.received_hex).unwrap_or_default()
    }

    /// The received bytes as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.received()).into_owned()
    }
}

/// Runs the probe (in whatever network namespace the calling process is in).
pub fn run(req: &ProbeRequest) -> ProbeResult {
    let start = Instant::now();
    let mut result = ProbeResult::default();
    let fail = |result: &mut ProbeResult, err: &std::io::Error| {
        result.error_kind = Some(format!("{:?}", err.kind()));
        result.os_error = err.raw_os_error();
    };
    let addr = SocketAddr::from((req.ip, req.port));
    match TcpStream::connect_timeout(&addr, req.timeout) {
        Err(err) => fail(&mut result, &err),
        Ok(mut stream) => {
            result.connected = true;
            let mut received = Vec::new();
            if let Some(send) = &req.send
                && let Err(err) = stream.write_all(send)
            {
                fail(&mut result, &err);
            }
            let deadline = Instant::now() + req.timeout;
            let mut buf = [0u8; 4096];
            while result.error_kind.is_none() && received.len() < req.max_bytes {
                if req
                    .until
                    .as_ref()
                    .is_some_and(|u| received.windows(u.len()).any(|w| w == u.as_slice()))
                {
                    break;
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    result.read_timed_out = true;
                    break;
                }
                let _ = stream.set_read_timeout(Some(left));
                let want = buf.len().min(req.max_bytes - received.len());
                match stream.read(&mut buf[..want]) {
                    Ok(0) => {
                        result.eof = true;
                        break;
                    }
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                    Err(err)
                        if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                    {
                        result.read_timed_out = true;
                        break;
                    }
                    Err(err) if err.kind() == ErrorKind::Interrupted => {}
                    Err(err) => fail(&mut result, &err),
                }
            }
            result.received_hex = hex(&received);
        }
    }
    result.elapsed_ms = start.elapsed().as_millis() as u64;
    result
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {text:?}"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| format!("bad hex {text:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_round_trip() {
        let mut req = ProbeRequest::banner(Ipv4Addr::new(198, 18, 0, 10), 80, b"\r\n\r\n");
        req.send = Some(b"GET / HTTP/1.0\r\n\r\n".to_vec());
        req.timeout = Duration::from_millis(1500);
        assert_eq!(ProbeRequest::from_args(&req.to_args()).unwrap(), req);
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        let args = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(
            ProbeRequest::from_args(&args(&[]))
                .unwrap_err()
                .contains("IP")
        );
        assert!(
            ProbeRequest::from_args(&args(&["1.2.3.4", "x"]))
                .unwrap_err()
                .contains("PORT")
        );
        assert!(
            ProbeRequest::from_args(&args(&["1.2.3.4", "1", "--until-hex", "abc"]))
                .unwrap_err()
                .contains("hex")
        );
        assert!(
            ProbeRequest::from_args(&args(&["1.2.3.4", "1", "--what", "1"]))
                .unwrap_err()
                .contains("--what")
        );
    }

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 0xff, 0x10, b'R'];
        assert_eq!(unhex(&hex(&bytes)).unwrap(), bytes);
    }
}
