//! The `daicho-agent` command line: one module per subcommand under `cli/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod inventory;
pub mod run;

/// daicho agent: inventories this host, scans the configured LAN scope and delivers reports to
/// the daicho collector.
#[derive(Debug, Parser)]
#[command(name = "daicho-agent", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the inventory of this host (OS, packages, processes, listening sockets, services).
    Inventory(inventory::InventoryArgs),
    /// Run on the configured schedule and deliver every report to the collector.
    Run(run::RunArgs),
}

/// Parses the command line and runs the subcommand; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inventory(args) => inventory::execute(&args),
        Command::Run(args) => run::execute(&args),
    }
}
