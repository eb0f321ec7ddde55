//! The agent's default paths: where its configuration, spool and log file live when the
//! configuration or the command line names none. One definition, used by config loading, the
//! `run` command and the Windows service.
//!
//! On Windows they are under `%ProgramData%\daicho` (the machine-wide application data folder,
//! writable by administrators and services, `FOLDERID_ProgramData`). Elsewhere there are none:
//! `--config` and `[spool] dir` stay required, the systemd unit (deploy/) naming them.

use std::path::{Path, PathBuf};

/// The directory below `%ProgramData%` that holds the agent's files.
pub const PROGRAM_DATA_SUBDIR: &str = "daicho";

/// Where the agent keeps its files by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPaths {
    /// The configuration file (`run --config` and `service install --config` default).
    pub config: PathBuf,
    /// The spool directory (`[spool] dir` default).
    pub spool: PathBuf,
    /// The log file (`[log] file` default when `[log] to = "file"`).
    pub log: PathBuf,
}

impl AgentPaths {
    /// The layout below a `ProgramData` folder: `daicho\agent.toml`, `daicho\spool`,
    /// `daicho\agent.log`.
    pub fn under_program_data(program_data: &Path) -> Self {
        let dir = program_data.join(PROGRAM_DATA_SUBDIR);
        Self {
            config: dir.join("agent.toml"),
            spool: dir.join("spool"),
            log: dir.join("agent.log"),
        }
    }
}

#[cfg(windows)]
mod program_data;

/// This platform's default paths: on Windows under the ProgramData known folder
/// (`SHGetKnownFolderPath(FOLDERID_ProgramData)`); `None` where the agent has no defaults
/// (Linux) or Windows names no such folder.
pub fn default_paths() -> Option<AgentPaths> {
    #[cfg(windows)]
    {
        program_data::program_data().map(|dir| AgentPaths::under_program_data(&dir))
    }
    #[cfg(not(windows))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_data_layout() {
        let paths = AgentPaths::under_program_data(Path::new("/pd"));
        assert_eq!(paths.config, Path::new("/pd/daicho/agent.toml"));
        assert_eq!(paths.spool, Path::new("/pd/daicho/spool"));
        assert_eq!(paths.log, Path::new("/pd/daicho/agent.log"));
    }

    #[test]
    fn defaults_only_on_windows() {
        assert_eq!(default_paths().is_some(), cfg!(windows));
    }
}
