//! `daicho-agent run --config FILE [--once]`: the scheduled, delivering mode.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use tracing::error;

use crate::config::{AgentConfig, LogDestination, LogFormat};
use crate::runner::{RunMode, RunSummary, run_agent};
use crate::scanner::LanScanner;

/// Exit code when `--once` left reports in the spool (EX_TEMPFAIL: try again later).
pub const EXIT_PENDING: u8 = 75;
/// Exit code when `--once` saw the collector refuse a report for good (moved to `rejected/`),
/// or its run could not spool a report (a full spool disk): retrying alone will not help.
pub const EXIT_REJECTED: u8 = 1;
/// Exit code for a configuration that cannot be used.
pub const EXIT_CONFIG: u8 = 2;

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The agent configuration file (TOML; see config/agent.toml). Default on Windows:
    /// %ProgramData%\daicho\agent.toml; required elsewhere.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do one run now, try to deliver the spool once, and exit (1 if a report was rejected or
    /// could not be spooled, 75 if reports stay pending).
    #[arg(long)]
    pub once: bool,
    /// Log style, overriding the configuration: human or json.
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
}

/// Runs `run`.
pub fn execute(args: &RunArgs) -> ExitCode {
    let Some(path) = config_path(args.config.as_deref()) else {
        eprintln!("daicho-agent: --config FILE is required (this platform has no default)");
        return ExitCode::from(EXIT_CONFIG);
    };
    let config = match AgentConfig::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("daicho-agent: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Err(e) = crate::logging::init(
        args.log_format.unwrap_or(config.log_format),
        &config.log_level,
        config.log_to.as_ref().unwrap_or(&LogDestination::Stderr),
    ) {
        eprintln!("daicho-agent: configuration error: {}: {e}", path.display());
        return ExitCode::from(EXIT_CONFIG);
    }
    let mode = if args.once {
        RunMode::Once
    } else {
        RunMode::Scheduled
    };
    match run_to_end(config, mode, shutdown_signal()) {
        Ok(summary)
            if mode == RunMode::Once && (summary.rejected > 0 || summary.failed_runs > 0) =>
        {
            ExitCode::from(EXIT_REJECTED)
        }
        Ok(summary) if mode == RunMode::Once && summary.final_flush.remaining > 0 => {
            ExitCode::from(EXIT_PENDING)
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("daicho-agent: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The configuration file: the one given, else this platform's default
/// ([`crate::paths::default_paths`]); `None` when neither exists.
pub fn config_path(given: Option<&Path>) -> Option<PathBuf> {
    given
        .map(Path::to_owned)
        .or_else(|| crate::paths::default_paths().map(|p| p.config))
}

/// Runs the agent with `config` on its own runtime until `shutdown` resolves (or after one
/// run), as `run` and the Windows service both do. A failure is logged and returned as text.
pub fn run_to_end(
    config: AgentConfig,
    mode: RunMode,
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let scanner = config.scan.is_some().then_some(LanScanner);
    let result = runtime.block_on(run_agent(config, scanner, mode, shutdown));
    // A scan abandoned on a stop may still be pacing its last packets on the blocking pool;
    // give it a moment, never the whole stop timeout.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    result.map_err(|e| {
        error!(error = %e, "agent failed");
        e.to_string()
    })
}

/// Resolves on SIGTERM (systemd stop) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
