//! `daicho-collector data status [--format table|json]`: the data sets this collector carries
//! (IEEE registry, EOL dates, known-exploited list, rules), each with its date and source.

use clap::Subcommand;
use daicho_ledger_io::text::{terminal_json, terminal_text};

use super::{CliError, Format};

/// `data …`.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Print each data set with its date, age and source.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Runs `data …`.
pub fn run(command: &DataCommand) -> Result<(), CliError> {
    let DataCommand::Status { format } = command;
    let sets = daicho_data::shipped();
    let text = match format {
        // Line by line: the neutraliser escapes line breaks.
        Format::Table => daicho_data::render_table(&sets, chrono::Utc::now().date_naive())
            .lines()
            .fold(String::new(), |mut out, line| {
                out.push_str(&terminal_text(line));
                out.push('\n');
                out
            }),
        Format::Json => terminal_json(&daicho_data::render_json(&sets)).into_owned(),
    };
    super::output::write_output(None, text.as_bytes(), false)
}
