//! Bounded reading from a service: every read has a byte cap and a timeout, so a service that
//! sends endless data, a 10 MB banner or nothing at all cannot hold memory or time.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout, timeout_at};

/// Byte and time bounds that every probe honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes kept from one service reply; the rest is not read.
    pub max_bytes: usize,
    /// Longest wait for any single read to return data.
    pub read_timeout: Duration,
    /// Longest wait for a whole probe (all its round trips) on one port.
    pub probe_timeout: Duration,
    /// How long to wait for a service that speaks first (SSH, FTP, …) before sending anything.
    pub greeting_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024,
            read_timeout: Duration::from_millis(2500),
            probe_timeout: Duration::from_secs(6),
            greeting_wait: Duration::from_millis(1500),
        }
    }
}

/// Why a probe's conversation ended without a result.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The service sent nothing within the read timeout.
    #[error("no reply within {0:?}")]
    Silent(Duration),
    /// The service closed the connection before saying anything useful.
    #[error("connection closed by the service")]
    Closed,
    /// An I/O error from the socket.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The reply did not parse as the protocol expected.
    #[error("malformed reply: {0}")]
    Malformed(String),
    /// The whole probe ran past its deadline.
    #[error("probe ran past its deadline")]
    Deadline,
}

/// Reads whatever arrives until `done(buf)` says the reply is complete, the service goes quiet,
/// the connection closes, or `limit` bytes have been read. Returns what was read (possibly
/// empty when the service stays silent). Never reads past `limit` bytes.
pub async fn read_until<S, F>(
    stream: &mut S,
    limit: usize,
    wait: Duration,
    mut done: F,
) -> Result<Vec<u8>, WireError>
where
    S: AsyncRead + Unpin,
    F: FnMut(&[u8]) -> bool,
{
    let mut buf = Vec::with_capacity(limit.min(4096));
    let mut chunk = [0u8; 4096];
    loop {
        let room = limit.saturating_sub(buf.len());
        if room == 0 || done(&buf) {
            return Ok(buf);
        }
        let want = room.min(chunk.len());
        match timeout(wait, stream.read(&mut chunk[..want])).await {
            Err(_) => {
                if buf.is_empty() {
                    return Err(WireError::Silent(wait));
                }
                return Ok(buf);
            }
            Ok(Ok(0)) => {
                if buf.is_empty() {
                    return Err(WireError::Closed);
                }
                return Ok(buf);
            }
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => {
                if buf.is_empty() {
                    return Err(e.into());
                }
                return Ok(buf);
            }
        }
    }
}

/// Reads exactly `n` bytes (n must be small: callers pass protocol header sizes or lengths
/// already checked against their cap), each read bounded by `wait`.
pub async fn read_exact_bounded<S>(
    stream: &mut S,
    n: usize,
    wait: Duration,
) -> Result<Vec<u8>, WireError>
where
    S: AsyncRead + Unpin,
{
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        match timeout(wait, stream.read(&mut buf[filled..])).await {
            Err(_) => return Err(WireError::Silent(wait)),
            Ok(Ok(0)) => return Err(WireError::Closed),
            Ok(Ok(k)) => filled += k,
            Ok(Err(e)) => return Err(e.into()),
        }
    }
    Ok(buf)
}

/// Writes a request, bounded by `wait`.
pub async fn send<S>(stream: &mut S, bytes: &[u8], wait: Duration) -> Result<(), WireError>
where
    S: AsyncWrite + Unpin,
{
    match timeout(wait, async {
        stream.write_all(bytes).await?;
        stream.flush().await
    })
    .await
    {
        Err(_) => Err(WireError::Silent(wait)),
        Ok(r) => Ok(r?),
    }
}

/// Runs `fut` but gives up at `deadline`.
pub async fn before<T>(
    deadline: Instant,
    fut: impl Future<Output = Result<T, WireError>>,
) -> Result<T, WireError> {
    timeout_at(deadline, fut)
        .await
        .unwrap_or(Err(WireError::Deadline))
}

/// Quotes what a service said for an evidence line: printable ASCII kept, everything else
/// escaped, cut to `max` characters with an ellipsis.
pub fn quote(bytes: &[u8], max: usize) -> String {
    let mut out = String::with_capacity(max.min(bytes.len() * 2) + 2);
    out.push('"');
    for (count, &b) in bytes.iter().enumerate() {
        if count >= max {
            out.push('…');
            break;
        }
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// Keeps printable characters of a text field (names, versions) that came off the wire, cut to
/// `max` characters; control bytes become spaces and surrounding whitespace is trimmed.
pub fn clean_text(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    cleaned.trim().to_owned()
}

/// Reads a big-endian u16 at `at`, if the slice is long enough.
pub fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// Reads a little-endian u16 at `at`, if the slice is long enough.
pub fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// Reads a big-endian u32 at `at`, if the slice is long enough.
pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Reads a little-endian u32 at `at`, if the slice is long enough.
pub fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn endless_data_is_cut_at_the_limit() {
        let (mut client, mut server) = tokio::io::duplex(8192);
        tokio::spawn(async move {
            let chunk = vec![b'A'; 8192];
            // Ten megabytes, far beyond the cap; the write fails once the reader hangs up.
            for _ in 0..1280 {
                if server.write_all(&chunk).await.is_err() {
                    break;
                }
            }
        });
        let got = read_until(&mut client, 65536, Duration::from_secs(2), |_| false)
            .await
            .unwrap();
        assert_eq!(got.len(), 65536);
    }

    #[tokio::test]
    async fn silence_and_close_are_reported() {
        let (mut client, _server) = tokio::io::duplex(64);
        let r = read_until(&mut client, 100, Duration::from_millis(50), |_| false).await;
        assert!(matches!(r, Err(WireError::Silent(_))));
        let (mut client, server) = tokio::io::duplex(64);
        drop(server);
        let r = read_until(&mut client, 100, Duration::from_millis(50), |_| false).await;
        assert!(matches!(r, Err(WireError::Closed)));
        let (mut client, server) = tokio::io::duplex(64);
        drop(server);
        let r = read_exact_bounded(&mut client, 4, Duration::from_millis(50)).await;
        assert!(matches!(r, Err(WireError::Closed)));
    }

    #[tokio::test]
    async fn stops_when_the_reply_is_complete() {
        let (mut client, mut server) = tokio::io::duplex(64);
        server.write_all(b"hello\nrest").await.unwrap();
        let got = read_until(&mut client, 100, Duration::from_secs(5), |b| {
            b.contains(&b'\n')
        })
        .await
        .unwrap();
        assert!(got.starts_with(b"hello\n"));
    }

    #[test]
    fn quote_escapes_and_truncates() {
        assert_eq!(quote(b"SSH-2.0\r\n", 50), "\"SSH-2.0\\r\\n\"");
        assert_eq!(quote(&[0, 0xff, b'a'], 50), "\"\\x00\\xffa\"");
        assert_eq!(quote(b"abcdef", 3), "\"abc…\"");
        assert_eq!(clean_text("  a\u{0}b\n ", 10), "a b");
    }
}
