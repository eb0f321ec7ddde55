//! Structured logs, human-readable or JSON lines, to standard error, a file, or (on Windows)
//! the event log.

use std::fs::OpenOptions;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::{LogDestination, LogFormat};

#[cfg(windows)]
pub mod eventlog;

/// Installs the global subscriber writing to `destination`. `RUST_LOG` overrides `level`
/// when set. Fails only when the log file cannot be opened (its message names it).
pub fn init(format: LogFormat, level: &str, destination: &LogDestination) -> Result<(), String> {
    match destination {
        LogDestination::Stderr => install(format, level, std::io::stderr, true),
        LogDestination::File(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!("cannot create the log directory {}: {e}", dir.display())
                })?;
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("cannot open the log file {}: {e}", path.display()))?;
            install(format, level, std::sync::Mutex::new(file), false);
        }
        #[cfg(windows)]
        LogDestination::EventLog => {
            install(format, level, eventlog::EventLogWriter::open()?, false);
        }
        #[cfg(not(windows))]
        LogDestination::EventLog => {
            return Err("the event log exists on Windows only".into());
        }
    }
    Ok(())
}

/// `ansi`: colours as the terminal allows; `false` for a file or an event (plain text).
fn install<W>(format: LogFormat, level: &str, writer: W, ansi: bool)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let builder = if ansi {
        builder
    } else {
        builder.with_ansi(false)
    };
    // A second init (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Human => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
