//! `daicho-agent data status [--format table|json]`: the data sets this agent carries (IEEE
//! registry, EOL dates, known-exploited list, rules), each with its date and source.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

/// `data …`.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Print each shipped data set with its date, age and source.
    Status(StatusArgs),
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// A JSON array of `{name, date, source}`, as reports carry it in `data`.
    Json,
}

/// Options of `data status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Runs `data …`.
pub fn execute(command: &DataCommand) -> ExitCode {
    let DataCommand::Status(args) = command;
    let sets = daicho_data::in_use();
    let text = match args.format {
        Format::Table => daicho_data::render_table(&sets, chrono::Utc::now().date_naive()),
        Format::Json => daicho_data::render_json(&sets),
    };
    super::print_stdout(&text, "data status")
}
