//! The `daicho-collector` command line.

use clap::Parser as _;
use daicho_collector::cli::{Cli, CliError, run};
use daicho_collector::server::ServeError;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader went away (`… | head`): nothing more to say.
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            std::process::ExitCode::SUCCESS
        }
        // A configuration that cannot work: restarting cannot help (the unit stops on 2).
        Err(
            e @ (CliError::Config(_)
            | CliError::Serve(ServeError::Config(_) | ServeError::Alerts(_))),
        ) => {
            eprintln!("daicho-collector: {e}");
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("daicho-collector: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
