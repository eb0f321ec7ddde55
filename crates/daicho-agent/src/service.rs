//! The agent as a Windows service, named `daicho-agent`: what the Service Control Manager
//! registers (its command line, names, how long a stop may take) is defined here and tested on
//! every OS; `service/manage` installs, removes, starts and stops it, and `service/dispatch`
//! is the service process itself, running the same scheduler as `daicho-agent run`.

use std::path::Path;
use std::time::Duration;

#[cfg(windows)]
pub mod dispatch;
#[cfg(windows)]
pub mod manage;

/// The service's name for the Service Control Manager (`sc query daicho-agent`), which is
/// also the event log source.
pub const SERVICE_NAME: &str = "daicho-agent";
/// The name the Services console shows.
pub const DISPLAY_NAME: &str = "daicho agent";
/// The description the Services console shows.
pub const DESCRIPTION: &str =
    "daicho: inventories this PC and delivers its reports to the daicho collector (機器台帳).";

/// The command line the service is registered with: the agent's executable, then
/// `service run --config CONFIG`, both paths quoted. A path holding a `"` cannot be quoted
/// (Windows allows none in file names), so it is refused.
pub fn command_line(exe: &Path, config: &Path) -> Result<String, String> {
    let quoted = |p: &Path| {
        let text = p.to_string_lossy();
        if text.contains('"') {
            Err(format!("the path {text} holds a double quote"))
        } else {
            Ok(format!("\"{text}\""))
        }
    };
    Ok(format!(
        "{} service run --config {}",
        quoted(exe)?,
        quoted(config)?
    ))
}

/// How long the service tells the Service Control Manager a stop may take: the configured
/// delivery grace plus the few seconds an abandoned run and the runtime's shutdown need.
pub fn stop_wait_hint(shutdown_grace: Duration) -> Duration {
    shutdown_grace + Duration::from_secs(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_quotes_both_paths() {
        let line = command_line(
            Path::new(r"C:\Program Files\daicho\daicho-agent.exe"),
            Path::new(r"C:\ProgramData\daicho\agent.toml"),
        )
        .unwrap();
        assert_eq!(
            line,
            r#""C:\Program Files\daicho\daicho-agent.exe" service run --config "C:\ProgramData\daicho\agent.toml""#
        );
        assert!(command_line(Path::new("a\"b"), Path::new("c")).is_err());
    }

    #[test]
    fn stop_wait_hint_covers_the_grace() {
        assert_eq!(
            stop_wait_hint(Duration::from_secs(10)),
            Duration::from_secs(20)
        );
    }
}
