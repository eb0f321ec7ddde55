//! `daicho-collector data status [--format table|json]`: the data sets this collector uses
//! (IEEE registry, EOL dates, known-exploited list, rules), each with its date and source, and
//! the installed bundle; `data import BUNDLE` and `data rollback` (see [`crate::bundles`]).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Subcommand;
use daicho_ledger_io::text::{terminal_json, terminal_text};

use super::{CliError, Format};
use crate::bundles::{self, InUse};
use crate::config::Config;

/// `data …`.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Print each data set with its date, age and source.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Verify a signed data bundle, install it (the current one is kept for rollback) and
    /// re-resolve every device's vendor and flags from it. The running collector follows within
    /// a minute.
    Import {
        /// The bundle file (`scripts/data-bundle.sh` builds one).
        bundle: PathBuf,
    },
    /// Go back to the bundle installed before the current one.
    Rollback,
}

/// Runs `data …`.
pub fn run(config: &Config, command: &DataCommand) -> Result<(), CliError> {
    let in_use = match command {
        DataCommand::Status { format } => return status(config, *format),
        DataCommand::Import { bundle } => bundles::import(config, &super::open(config)?, bundle),
        DataCommand::Rollback => bundles::rollback(config, &super::open(config)?),
    }
    .map_err(|e| CliError::Usage(e.to_string()))?;
    super::output::write_output(None, neutralised_lines(&summary(&in_use)).as_bytes(), false)
}

/// `text` line by line through the terminal neutraliser (which escapes line breaks).
fn neutralised_lines(text: &str) -> String {
    text.lines().fold(String::new(), |mut out, line| {
        out.push_str(&terminal_text(line));
        out.push('\n');
        out
    })
}

/// What an import or rollback did, for the operator.
fn summary(in_use: &InUse) -> String {
    let m = &in_use.manifest;
    let mut out = format!("data bundle serial {} in use", m.serial);
    if let Some(replaced) = in_use.replaced {
        let _ = write!(out, " (was {replaced}, kept for rollback)");
    }
    out.push('\n');
    for set in &m.datasets {
        let used = if in_use.applied.contains(&set.name) {
            "applied"
        } else {
            "not applied"
        };
        let _ = writeln!(out, "  {:<16} {}  {}", set.name.as_str(), set.date, used);
    }
    let _ = writeln!(
        out,
        "{} devices changed vendor, {} flags raised or cleared; the running collector follows within a minute",
        in_use.vendors_changed, in_use.flags_changed
    );
    out
}

fn status(config: &Config, format: Format) -> Result<(), CliError> {
    let sets = daicho_data::in_use();
    let text = match format {
        Format::Table => {
            let mut table = daicho_data::render_table(&sets, chrono::Utc::now().date_naive());
            table.push_str(&bundles::describe_installed(config));
            neutralised_lines(&table)
        }
        Format::Json => terminal_json(&daicho_data::render_json(&sets)).into_owned(),
    };
    super::output::write_output(None, text.as_bytes(), false)
}
