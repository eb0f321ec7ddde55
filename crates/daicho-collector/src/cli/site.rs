//! `site add` and `site list`: the sites (hospitals of a group) of this collector.

use std::io::Write as _;

use clap::Subcommand;
use daicho_ledger::Ledger;
use daicho_ledger_io::text::{terminal_json, terminal_text};

use super::{CliError, Format};

/// `site …`.
#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Add a site: its devices, ledger, checklist and allowlists are its own, and the same
    /// address or MAC at another site is another device.
    Add {
        /// Its name: a-z, 0-9, `-` and `_` (used in `--site`, `?site=` and tokens).
        name: String,
        /// The name printed on its reports (表示名), e.g. the hospital's name.
        #[arg(long)]
        label: Option<String>,
    },
    /// List the sites.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Runs `site …`.
pub(super) fn run(ledger: &Ledger, cmd: SiteCommand) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match cmd {
        SiteCommand::Add { name, label } => {
            let site = crate::decisions::add_site(
                ledger,
                &crate::decisions::Actor::cli(),
                &name,
                label.as_deref(),
                ledger.now(),
            )?;
            writeln!(
                out,
                "added site {} `{}`",
                site.id,
                terminal_text(site.display_name())
            )?;
        }
        SiteCommand::List { format } => {
            let sites = ledger.sites()?;
            if format == Format::Json {
                writeln!(
                    out,
                    "{}",
                    terminal_json(&serde_json::to_string_pretty(&sites).unwrap_or_default())
                )?;
            } else {
                writeln!(out, "{:>4}  {:<24} {:<27} LABEL", "ID", "NAME", "CREATED")?;
                for s in sites {
                    writeln!(
                        out,
                        "{:>4}  {:<24} {:<27} {}",
                        s.id,
                        terminal_text(&s.name),
                        s.created_at.as_deref().unwrap_or("-"),
                        terminal_text(s.label.as_deref().unwrap_or("-"))
                    )?;
                }
            }
        }
    }
    Ok(())
}
