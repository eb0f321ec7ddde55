//! The Windows event log: every log line becomes one event of the Application log, source
//! `daicho-agent`, its type from the line's level. `service install` registers the source
//! (with `EventCreate.exe`, whose message table maps ids 1 to 1000 to the bare text, as the
//! message file, so Event Viewer shows the line as written) and `uninstall` removes it.
#![allow(unsafe_code)] // FFI: each block is one documented event log or registry call.

use std::io;
use std::ptr::null;

use daicho_inventory::windows_live::wide;
use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;
use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_SUCCESS, HANDLE};
use windows_sys::Win32::System::EventLog::{
    DeregisterEventSource, EVENTLOG_ERROR_TYPE, EVENTLOG_INFORMATION_TYPE, EVENTLOG_WARNING_TYPE,
    REPORT_EVENT_TYPE, RegisterEventSourceW, ReportEventW,
};
use windows_sys::Win32::System::Registry::{
    HKEY_LOCAL_MACHINE, REG_DWORD, REG_EXPAND_SZ, RegDeleteTreeW, RegSetKeyValueW,
};

/// The event source's name (the service's name too).
pub const SOURCE: &str = "daicho-agent";
/// Where Windows looks up the source's message file.
pub const SOURCE_KEY: &str = r"SYSTEM\CurrentControlSet\Services\EventLog\Application\daicho-agent";
/// The message file: Windows' own `eventcreate` tool, whose ids 1–1000 are `%1`.
const MESSAGE_FILE: &str = r"%SystemRoot%\System32\EventCreate.exe";
/// The longest string `ReportEventW` takes (31,839 characters); longer lines are cut.
const MAX_EVENT_CHARS: usize = 31_839;

/// Registers the event source under [`SOURCE_KEY`] (administrator rights needed).
pub fn register_source() -> io::Result<()> {
    let key = wide(SOURCE_KEY);
    let file = wide(MESSAGE_FILE);
    let types: u32 =
        (EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE).into();
    let values: [(&str, u32, *const u8, usize); 2] = [
        (
            "EventMessageFile",
            REG_EXPAND_SZ,
            file.as_ptr().cast(),
            file.len() * 2,
        ),
        ("TypesSupported", REG_DWORD, (&raw const types).cast(), 4),
    ];
    for (name, kind, data, len) in values {
        let name = wide(name);
        // SAFETY: NUL-terminated strings; `data` points to `len` readable bytes.
        let status = unsafe {
            RegSetKeyValueW(
                HKEY_LOCAL_MACHINE,
                key.as_ptr(),
                name.as_ptr(),
                kind,
                data.cast(),
                len as u32,
            )
        };
        if status != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(status.cast_signed()));
        }
    }
    Ok(())
}

/// Removes the event source's key; one already gone is no error.
pub fn remove_source() -> io::Result<()> {
    let key = wide(SOURCE_KEY);
    // SAFETY: a NUL-terminated key path below HKLM.
    let status = unsafe { RegDeleteTreeW(HKEY_LOCAL_MACHINE, key.as_ptr()) };
    match status {
        ERROR_SUCCESS | ERROR_FILE_NOT_FOUND => Ok(()),
        other => Err(io::Error::from_raw_os_error(other.cast_signed())),
    }
}

/// The event type of a log level: errors, warnings, the rest information.
pub fn event_type(level: &Level) -> REPORT_EVENT_TYPE {
    match *level {
        Level::ERROR => EVENTLOG_ERROR_TYPE,
        Level::WARN => EVENTLOG_WARNING_TYPE,
        _ => EVENTLOG_INFORMATION_TYPE,
    }
}

/// The event id of an event type (1 information, 2 warning, 3 error: within EventCreate.exe's
/// 1–1000, so the message file shows the text).
fn event_id(kind: REPORT_EVENT_TYPE) -> u32 {
    match kind {
        EVENTLOG_ERROR_TYPE => 3,
        EVENTLOG_WARNING_TYPE => 2,
        _ => 1,
    }
}

/// A formatted log line as the event's one string: trailing line end removed, cut to what
/// `ReportEventW` takes, NUL-terminated.
pub fn event_text(line: &[u8]) -> Vec<u16> {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\r', '\n']);
    let mut units: Vec<u16> = text.encode_utf16().take(MAX_EVENT_CHARS).collect();
    units.push(0);
    units
}

/// The registered event source, written to by the log subscriber.
#[derive(Debug)]
pub struct EventLogWriter {
    source: HANDLE,
}

// SAFETY: an event source handle may be used from any thread (the event log API serialises).
unsafe impl Send for EventLogWriter {}
// SAFETY: as above; `ReportEventW` takes the handle by value and keeps no state in it.
unsafe impl Sync for EventLogWriter {}

impl EventLogWriter {
    /// Opens the source [`SOURCE`] on this machine.
    pub fn open() -> Result<Self, String> {
        let name = wide(SOURCE);
        // SAFETY: a NUL-terminated source name; null = this machine.
        let source = unsafe { RegisterEventSourceW(null(), name.as_ptr()) };
        if source.is_null() {
            return Err(format!(
                "cannot open the event log source {SOURCE}: {}",
                io::Error::last_os_error()
            ));
        }
        Ok(Self { source })
    }

    fn report(&self, kind: REPORT_EVENT_TYPE, line: &[u8]) {
        let text = event_text(line);
        let strings = [text.as_ptr()];
        // SAFETY: one NUL-terminated string, no user SID, no binary data. A failure has
        // nowhere to be logged.
        unsafe {
            ReportEventW(
                self.source,
                kind,
                0,
                event_id(kind),
                std::ptr::null_mut(),
                1,
                0,
                strings.as_ptr(),
                null(),
            );
        }
    }
}

impl Drop for EventLogWriter {
    fn drop(&mut self) {
        // SAFETY: the handle from RegisterEventSourceW, closed once.
        unsafe { DeregisterEventSource(self.source) };
    }
}

/// One log line on its way to the event log: reported when the subscriber drops it.
#[derive(Debug)]
pub struct EventWriter<'a> {
    log: &'a EventLogWriter,
    kind: REPORT_EVENT_TYPE,
    line: Vec<u8>,
}

impl io::Write for EventWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter<'_> {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.log.report(self.kind, &self.line);
        }
    }
}

impl<'a> MakeWriter<'a> for EventLogWriter {
    type Writer = EventWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter {
            log: self,
            kind: EVENTLOG_INFORMATION_TYPE,
            line: Vec::new(),
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        EventWriter {
            log: self,
            kind: event_type(meta.level()),
            line: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_event_types_and_ids() {
        assert_eq!(event_type(&Level::ERROR), EVENTLOG_ERROR_TYPE);
        assert_eq!(event_type(&Level::WARN), EVENTLOG_WARNING_TYPE);
        assert_eq!(event_type(&Level::INFO), EVENTLOG_INFORMATION_TYPE);
        assert_eq!(event_type(&Level::DEBUG), EVENTLOG_INFORMATION_TYPE);
        assert_eq!(event_id(EVENTLOG_ERROR_TYPE), 3);
        assert_eq!(event_id(EVENTLOG_INFORMATION_TYPE), 1);
    }

    #[test]
    fn event_text_drops_the_line_end_and_is_bounded() {
        assert_eq!(event_text(b"agent started\r\n"), wide("agent started"));
        let long = vec![b'x'; MAX_EVENT_CHARS + 10];
        assert_eq!(event_text(&long).len(), MAX_EVENT_CHARS + 1);
    }
}
