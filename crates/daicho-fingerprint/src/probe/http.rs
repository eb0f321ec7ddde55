//! HTTP: one `GET /` (HTTP/1.0, connection close) and a reading of the reply's status line,
//! `Server` header, `Location` and `<title>`.

use crate::wire::clean_text;

/// The request sent: a plain, harmless read of the front page.
pub fn request(host: &str) -> Vec<u8> {
    format!(
        "GET / HTTP/1.0\r\nHost: {host}\r\nUser-Agent: daicho-fingerprint\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// True once a reply holds the whole header block and, if it has one, the page's `</title>`;
/// lets the reader stop early instead of waiting for the server to close.
pub fn reply_complete(buf: &[u8]) -> bool {
    let Some(end) = find(buf, b"\r\n\r\n").or_else(|| find(buf, b"\n\n")) else {
        return false;
    };
    let body = &buf[end..];
    contains_ci(body, b"</title>") || buf.len() > 16 * 1024
}

/// What an HTTP reply said about the server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// The status line, printable.
    pub status_line: String,
    /// `Server` header.
    pub server: Option<String>,
    /// `Location` header of a redirect.
    pub location: Option<String>,
    /// `WWW-Authenticate` header.
    pub authenticate: Option<String>,
    /// Page title.
    pub title: Option<String>,
}

/// Parses an HTTP/1.x reply; `None` when it does not start with a status line.
pub fn parse_reply(bytes: &[u8]) -> Option<HttpReply> {
    if !bytes.starts_with(b"HTTP/") {
        return None;
    }
    let head_end = find(bytes, b"\r\n\r\n")
        .or_else(|| find(bytes, b"\n\n"))
        .unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..head_end.min(16 * 1024)]);
    let mut lines = head.lines();
    let status_line = clean_text(lines.next()?, 200);
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..600).contains(s))?;
    let mut reply = HttpReply {
        status,
        status_line,
        ..HttpReply::default()
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = clean_text(value, 200);
        if value.is_empty() {
            continue;
        }
        match name.trim().to_ascii_lowercase().as_str() {
            "server" => reply.server = Some(value),
            "location" => reply.location = Some(value),
            "www-authenticate" => reply.authenticate = Some(value),
            _ => {}
        }
    }
    reply.title = title(&bytes[head_end.min(bytes.len())..]);
    Some(reply)
}

/// The text of the first `<title>` element, whitespace collapsed, at most 120 characters.
fn title(body: &[u8]) -> Option<String> {
    let start = find_ci(body, b"<title")?;
    let open_end = start + body[start..].iter().position(|&b| b == b'>')? + 1;
    let len = find_ci(&body[open_end..], b"</title").unwrap_or(body.len() - open_end);
    let raw = String::from_utf8_lossy(&body[open_end..open_end + len.min(2048)]);
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = clean_text(&collapsed, 120);
    (!t.is_empty()).then_some(t)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    find_ci(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_server_title_and_redirect() {
        let r = parse_reply(
            b"HTTP/1.1 302 Found\r\nServer: nginx/1.22.1\r\nLocation: https://10.0.0.1/remote/login\r\n\r\n<html><head><TITLE>\n  Moved \n</TITLE></head>",
        )
        .unwrap();
        assert_eq!(r.status, 302);
        assert_eq!(r.server.as_deref(), Some("nginx/1.22.1"));
        assert_eq!(r.location.as_deref(), Some("https://10.0.0.1/remote/login"));
        assert_eq!(r.title.as_deref(), Some("Moved"));
    }

    #[test]
    fn refuses_non_http_and_odd_status() {
        assert!(parse_reply(b"SSH-2.0-x\r\n").is_none());
        assert!(parse_reply(b"HTTP/1.1 abc\r\n\r\n").is_none());
        assert!(parse_reply(b"HTTP/1.1 999 Nope\r\n\r\n").is_none());
        let r = parse_reply(b"HTTP/1.0 200 OK\r\n\r\n<title>").unwrap();
        assert_eq!(r.title, None);
    }

    #[test]
    fn completion_needs_headers() {
        assert!(!reply_complete(b"HTTP/1.1 200 OK\r\nServer: x\r\n"));
        assert!(!reply_complete(b"HTTP/1.1 200 OK\r\n\r\n<html>"));
        assert!(reply_complete(b"HTTP/1.1 200 OK\r\n\r\n<title>a</title>"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..2000)) {
            let _ = reply_complete(&data);
            let mut d = b"HTTP/1.1 200 OK\r\n".to_vec();
            d.extend_from_slice(&data);
            if let Some(r) = parse_reply(&d) {
                proptest::prop_assert!(r.title.map_or(0, |t| t.chars().count()) <= 120);
            }
        }
    }
}
