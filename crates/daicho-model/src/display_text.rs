//! Text shown to people on a terminal or in a log, and the one neutralising function for each:
//! [`terminal_text`] (and [`terminal_json`] for JSON output) for a terminal, [`log_text`] for a
//! log. Both write every [`is_hidden_or_control`] character as a visible escape. Text for HTML
//! or XML markup goes through [`markup_text`]. They live here,
//! below every crate that prints or logs device-, file- or user-supplied text (the ledger logs,
//! the collector prints and logs); `daicho_ledger_io::text` re-exports them beside the
//! spreadsheet and CP932 neutralisers.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for what must not reach a terminal or a log as it is: control characters (C0, DEL,
/// C1; ESC starts terminal escape sequences, CR/LF forge lines) and the invisible format
/// characters — bidirectional marks, embeddings, overrides and isolates (which reorder what is
/// shown), zero-width spaces and joiners, the byte-order mark, the soft hyphen and the line and
/// paragraph separators.
pub fn is_hidden_or_control(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// The invisible format characters of [`is_hidden_or_control`] (not the control characters).
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// **The markup neutraliser.** Makes text safe in HTML or XML element content and in a quoted
/// attribute value: `& < > " '` as character references (`&amp;`, `&lt;`, `&gt;`, `&quot;`,
/// `&#39;`), everything else kept. Used by the checklist's HTML file and, after dropping what
/// XML forbids, by the network diagram's SVG.
pub fn markup_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Writes `text` with every [`is_hidden_or_control`] character as a visible escape: `\n`, `\r`,
/// `\t`, otherwise `\u{…}` (lower-case hex).
fn escape_hidden(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hidden_or_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// **The terminal neutraliser.** Makes text from a file or a device (a cell, a header, a sheet
/// name, a host name, a vendor string, an account or token name) safe to print on a terminal:
/// every [`is_hidden_or_control`] character — control characters, so no escape sequence reaches
/// the terminal and CR/LF cannot forge a line, bidirectional controls and zero-width
/// characters — is written as a visible escape: `\n`, `\r`, `\t`, otherwise `\u{…}`
/// (`\u{1b}`, `\u{202e}`, `\u{200b}`). Everything else, Japanese and emoji included, is kept.
/// Every piece of file, device or user text the CLI prints goes through this function
/// (JSON output through [`terminal_json`], which applies the same rule the JSON way).
pub fn terminal_text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden_or_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    escape_hidden(text, &mut out);
    Cow::Owned(out)
}

/// [`terminal_text`]'s rule for JSON printed on a terminal: every [`is_hidden_or_control`]
/// character in `json` (which serde_json leaves raw for DEL, C1, bidi and zero-width
/// characters) becomes a JSON `\uXXXX` escape, so the JSON still parses to the same data.
/// `json` must be serialised JSON (those characters can then only be inside strings).
pub fn terminal_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_hidden_or_control) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        // Pretty-printed JSON's own line breaks and indentation stay.
        if is_hidden_or_control(c) && !matches!(c, '\n' | '\r' | '\t') {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The most characters of one value [`log_text`] writes; the rest is counted, not written.
pub const LOG_TEXT_MAX_CHARS: usize = 256;

/// **The log neutraliser**, for a field of a `tracing` event that holds device-, file- or
/// user-supplied text (a host name, an agent or account name, an alert subject, an error that
/// may quote such text): use it as `field = %log_text(&value)`. The value is written with
/// [`terminal_text`]'s escapes, so CR/LF cannot forge a log line and ESC or bidi controls do
/// not reach whoever reads the log on a terminal, and cut after [`LOG_TEXT_MAX_CHARS`]
/// characters with a `…(+N chars)` marker so one huge host name cannot flood the log.
pub fn log_text<T: std::fmt::Display>(value: T) -> LogText<T> {
    LogText(value)
}

/// A value formatted by [`log_text`]'s rule.
#[derive(Debug, Clone, Copy)]
pub struct LogText<T>(T);

impl<T: std::fmt::Display> std::fmt::Display for LogText<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let raw = self.0.to_string();
        let total = raw.chars().count();
        let kept: String = raw.chars().take(LOG_TEXT_MAX_CHARS).collect();
        let mut out = String::with_capacity(kept.len() + 16);
        escape_hidden(&kept, &mut out);
        if total > LOG_TEXT_MAX_CHARS {
            let _ = write!(out, "…(+{} chars)", total - LOG_TEXT_MAX_CHARS);
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_escapes_controls_and_bidi_only() {
        assert!(matches!(terminal_text("【外来棟】 PC-1"), Cow::Borrowed(_)));
        assert_eq!(
            terminal_text("a\x1b[2Jb\n\tc\u{202E}d\u{85}"),
            "a\\u{1b}[2Jb\\n\\tc\\u{202e}d\\u{85}"
        );
    }

    #[test]
    fn terminal_text_escapes_zero_width_and_line_forging() {
        assert_eq!(
            terminal_text("pc\x1b[31m\r\nFAKE\u{200B}\u{200F}\u{FEFF}😀"),
            "pc\\u{1b}[31m\\r\\nFAKE\\u{200b}\\u{200f}\\u{feff}😀"
        );
    }

    #[test]
    fn terminal_json_keeps_the_data() {
        let json = serde_json::to_string_pretty(&serde_json::json!({
            "host": "a\x1b[31m\r\n\u{202E}\u{7f}\u{9b}\u{200B}b"
        }))
        .unwrap();
        let shown = terminal_json(&json);
        assert!(
            !shown.chars().any(|c| is_hidden_or_control(c) && c != '\n'),
            "{shown}"
        );
        assert!(
            shown.contains("\\u202e") && shown.contains("\\u009b"),
            "{shown}"
        );
        let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(back["host"], "a\x1b[31m\r\n\u{202E}\u{7f}\u{9b}\u{200B}b");
        assert!(matches!(
            terminal_json("{\"a\": \"受付\"}"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn log_text_escapes_and_bounds() {
        assert_eq!(
            log_text("pc\r\n2026-01-01T00:00:00Z  INFO forged\x1b[2J\u{202E}").to_string(),
            "pc\\r\\n2026-01-01T00:00:00Z  INFO forged\\u{1b}[2J\\u{202e}"
        );
        assert_eq!(log_text("受付PC").to_string(), "受付PC");
        let long = "x".repeat(LOG_TEXT_MAX_CHARS + 10);
        let shown = log_text(&long).to_string();
        assert!(shown.ends_with("…(+10 chars)"), "{shown}");
        assert_eq!(
            shown.chars().filter(|&c| c == 'x').count(),
            LOG_TEXT_MAX_CHARS
        );
        // Any Display value, e.g. an error quoting device text.
        let err = std::io::Error::other("bad host a\nb");
        assert_eq!(log_text(&err).to_string(), "bad host a\\nb");
    }
}
