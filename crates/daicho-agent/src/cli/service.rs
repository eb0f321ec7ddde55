//! `daicho-agent service install|uninstall|start|stop` (Windows): the agent as a Windows
//! service. `service run` is the service's own command line, started by the Service Control
//! Manager.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::{EXIT_FAILURE, EXIT_USAGE};
use crate::config::AgentConfig;
use crate::service::{SERVICE_NAME, dispatch, manage};

/// The service subcommands.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Register the agent as a Windows service (automatic start) reading this configuration,
    /// and its event log source. Needs administrator rights.
    Install {
        /// The configuration file; default %ProgramData%\daicho\agent.toml. It is checked now.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Stop the service if it runs, then remove it and its event log source.
    Uninstall,
    /// Start the service and wait until it runs.
    Start,
    /// Stop the service and wait until it has stopped (the spool is delivered within the
    /// configured shutdown_grace first).
    Stop,
    /// Run as the service (the Service Control Manager starts this; not for a console).
    #[command(hide = true)]
    Run {
        /// The configuration file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// Runs a service subcommand.
pub fn execute(command: &ServiceCommand) -> ExitCode {
    let outcome = match command {
        ServiceCommand::Install { config } => return install(config.as_deref()),
        ServiceCommand::Uninstall => manage::uninstall().map(|()| "removed"),
        ServiceCommand::Start => manage::start().map(|()| "running"),
        ServiceCommand::Stop => manage::stop().map(|()| "stopped"),
        ServiceCommand::Run { config } => return run(config.as_deref()),
    };
    match outcome {
        Ok(state) => {
            println!("service {SERVICE_NAME}: {state}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("daicho-agent: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// The configuration file given, or the default; `Err` (said on stderr) when there is none.
fn config_path(given: Option<&Path>) -> Result<PathBuf, ExitCode> {
    super::run::config_path(given).ok_or_else(|| {
        eprintln!("daicho-agent: --config FILE is required (Windows names no ProgramData folder)");
        ExitCode::from(EXIT_USAGE)
    })
}

fn install(given: Option<&Path>) -> ExitCode {
    let config = match config_path(given) {
        Ok(path) => path,
        Err(code) => return code,
    };
    // The service starts in C:\Windows\System32: it gets the absolute path.
    let config = match std::path::absolute(&config) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("daicho-agent: {}: {e}", config.display());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if let Err(e) = AgentConfig::load(&config) {
        eprintln!("daicho-agent: configuration error: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("daicho-agent: cannot find this program's path: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match manage::install(&exe, &config) {
        Ok(()) => {
            println!(
                "service {SERVICE_NAME}: installed ({} service run --config {}); start it with `daicho-agent service start`",
                exe.display(),
                config.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("daicho-agent: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn run(given: Option<&Path>) -> ExitCode {
    let config = match config_path(given) {
        Ok(path) => path,
        Err(code) => return code,
    };
    match dispatch::serve(config) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(EXIT_FAILURE)),
        Err(e) => {
            eprintln!("daicho-agent: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
