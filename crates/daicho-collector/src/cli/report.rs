//! `report checklist`: the MHLW checklist evidence (2-①, 2-⑥, 2-⑫, 2-⑬) as HTML or XLSX.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use daicho_ledger::{Ledger, Site};
use daicho_ledger_io::checklist::{render_html, render_xlsx, summary};

use super::CliError;
use super::output::write_output;
use crate::evidence::{RestrictionStatement, checklist_report};

/// `report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The checklist evidence for the inspector: はい/いいえ per item, the date checked, the
    /// evidence rows and what to do to reach はい.
    Checklist(ChecklistArgs),
}

/// Arguments of `report checklist`.
#[derive(Debug, Args)]
pub struct ChecklistArgs {
    /// File format.
    #[arg(long, value_enum)]
    pub format: ChecklistFormat,
    /// The file to write (required for XLSX; HTML goes to stdout without it).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// 医療機関名, printed on the report (default: the one set in the console).
    #[arg(long, default_value = "")]
    pub facility: String,
    /// The operator states that a MAC-address restriction is applied on the network devices
    /// (2-⑬ cannot be observed by a scan). The allowlist taken as applied is the one
    /// `allowlist export` writes from the registered devices.
    #[arg(long)]
    pub restriction_applied: bool,
    /// Where and how the restriction is applied (`RTX1210 lan1 ethernet filter, 2026-11-01`).
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "",
        requires = "restriction_applied"
    )]
    pub restriction_note: String,
}

/// Checklist formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChecklistFormat {
    /// One self-contained HTML page set, printable on A4.
    Html,
    /// Excel workbook.
    Xlsx,
}

/// Runs `report …`.
pub(super) fn run(ledger: &Ledger, site: &Site, cmd: ReportCommand) -> Result<(), CliError> {
    let ReportCommand::Checklist(args) = cmd;
    if args.format == ChecklistFormat::Xlsx
        && args.output.as_deref().is_none_or(|p| p.as_os_str() == "-")
    {
        return Err(CliError::Usage(
            "--output FILE is required for --format xlsx".into(),
        ));
    }
    let report = checklist_report(
        ledger,
        site.id,
        &crate::evidence::facility_for(ledger, site.id, &args.facility)?,
        &RestrictionStatement {
            applied: args.restriction_applied,
            note: args.restriction_note,
        },
    )?;
    let (bytes, binary) = match args.format {
        ChecklistFormat::Html => (render_html(&report).into_bytes(), false),
        ChecklistFormat::Xlsx => (
            render_xlsx(&report).map_err(|e| CliError::Render(e.to_string()))?,
            true,
        ),
    };
    write_output(args.output.as_deref(), &bytes, binary)?;
    eprint!("{}", summary(&report));
    Ok(())
}
