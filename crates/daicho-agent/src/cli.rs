//! The `daicho-agent` command line: one module per subcommand under `cli/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod data;
pub mod inventory;
pub mod run;
pub mod scan;
#[cfg(windows)]
pub mod service;

/// daicho agent: finds the devices on its LAN scope, inventories this host, and delivers the
/// reports to the daicho collector.
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
    Scan(Box<scan::ScanArgs>),
    /// Print the inventory of this host (OS, packages, processes, listening sockets, services).
    Inventory(inventory::InventoryArgs),
    /// Run on the configured schedule and deliver every report to the collector.
    Run(run::RunArgs),
    /// The data sets this agent carries (IEEE registry, EOL dates, rules) and their dates.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// The agent as a Windows service: install, uninstall, start, stop.
    #[cfg(windows)]
    #[command(subcommand)]
    Service(service::ServiceCommand),
}

/// Exit status for bad input: a scope, interface, option or configuration that cannot be used.
pub const EXIT_USAGE: u8 = 2;
/// Exit status when the work could not be done (privilege, network I/O, output file).
pub const EXIT_FAILURE: u8 = 1;

/// Parses the command line, runs the subcommand and maps its outcome to an exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => {
            init_stderr_logging();
            scan::run(&args)
        }
        Command::Inventory(args) => inventory::execute(&args),
        // `run` sets up its own logging (human or JSON, per its configuration).
        Command::Run(args) => run::execute(&args),
        Command::Data(command) => data::execute(&command),
        #[cfg(windows)]
        Command::Service(command) => service::execute(&command),
    }
}

/// Writes `text` to stdout; a closed pipe (`| head`) is success, not worth a panic. Another
/// error is reported as "cannot write the WHAT".
fn print_stdout(text: &str, what: &str) -> ExitCode {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("daicho-agent: cannot write the {what}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout carries the report); `RUST_LOG` adjusts the level.
fn init_stderr_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
