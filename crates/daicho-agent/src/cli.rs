//! The command line: one module per subcommand under `cli/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod scan;

/// daicho agent: finds the devices on its LAN scope and reports them.
#[derive(Debug, Parser)]
#[command(name = "daicho-agent", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Discover the live hosts of an explicit scope, once, and print the report.
    Scan(scan::ScanArgs),
}

/// Exit status for bad input: a scope, interface or option that cannot be used.
pub const EXIT_USAGE: u8 = 2;
/// Exit status when the scan could not run (privilege, network I/O, output file).
pub const EXIT_FAILURE: u8 = 1;

/// Parses the command line, runs the subcommand and maps its outcome to an exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Scan(args) => scan::run(&args),
    }
}

/// Logs go to stderr (stdout carries the report); `RUST_LOG` adjusts the level.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
