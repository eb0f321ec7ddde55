//! `daicho-agent data status [--format table|json] [--config FILE]`: the data sets this agent
//! uses (IEEE registry, EOL dates, known-exploited list, rules), each with its date and source;
//! with `--config`, after putting the data bundle that agent installed into use.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

/// `data …`.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Print each data set in use with its date, age and source.
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
    /// The agent's configuration: show the data bundle it fetched (kept in its spool
    /// directory) instead of the compiled-in data.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `data …`.
pub fn execute(command: &DataCommand) -> ExitCode {
    let DataCommand::Status(args) = command;
    if let Some(path) = &args.config {
        match crate::config::AgentConfig::load(path) {
            Ok(config) => {
                crate::bundle::AgentBundles::new(&config.data).use_installed();
            }
            Err(e) => {
                eprintln!("daicho-agent: configuration error: {e}");
                return ExitCode::from(super::run::EXIT_CONFIG);
            }
        }
    }
    let sets = daicho_data::in_use();
    let text = match args.format {
        Format::Table => daicho_data::render_table(&sets, chrono::Utc::now().date_naive()),
        Format::Json => daicho_data::render_json(&sets),
    };
    super::print_stdout(&text, "data status")
}
