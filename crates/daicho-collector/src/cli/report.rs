//! `report checklist`: the MHLW checklist evidence (2-①, 2-②, 2-⑥, 2-⑫, 2-⑬) as HTML or XLSX;
//! `report group`: every site's answers, one line each; `report vendor-confirmation`: one
//! 保守事業者's 2-② confirmation request; `report network-diagram`: the network diagram
//! (BCP 1-1) as SVG or PDF.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use std::io::Write as _;

use daicho_ledger::{Ledger, Site, SiteScope};
use daicho_ledger_io::checklist::{ChecklistReport, render_html, render_xlsx, summary};
use daicho_ledger_io::text::{terminal_json, terminal_text};

use super::output::write_output;
use super::{CliError, Format};
use crate::evidence::{RestrictionStatement, checklist_report, group_summary};
use crate::network_map::{DiagramError, DiagramFormat, site_diagram};
use crate::remote_register::vendor_confirmation_sheet;
use crate::site_access::{report_site, requested_scope, visible_sites};
use daicho_diagram::Paper;

/// `report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The checklist evidence for the inspector: はい/いいえ per item, the date checked, the
    /// evidence rows and what to do to reach はい.
    Checklist(ChecklistArgs),
    /// The group summary: every site's checklist answers and device counts, one line each
    /// (every site, or the one `--site` names).
    Group {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The 2-② confirmation request for one 保守事業者: its devices (as the register names
    /// them) with what daicho saw, and columns for the vendor to fill. The returned file goes
    /// back in with `remote-maintenance import`.
    VendorConfirmation {
        /// The 保守事業者, as recorded in the register.
        #[arg(long)]
        vendor: String,
        /// File format (XLSX: the vendor fills it in Excel).
        #[arg(long, value_enum)]
        format: VendorSheetFormat,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
    },
    /// The network diagram for BCP 1-1 (ネットワーク構成図): subnets, routers, devices by
    /// 設置場所 and role, unregistered and flagged devices marked, on A3 or A4 landscape.
    NetworkDiagram(DiagramArgs),
}

/// Formats of the vendor's confirmation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VendorSheetFormat {
    /// Excel workbook.
    Xlsx,
}

/// Arguments of `report network-diagram`.
#[derive(Debug, Args)]
pub struct DiagramArgs {
    /// File format.
    #[arg(long, value_enum)]
    pub format: DiagramFileFormat,
    /// Paper size (landscape).
    #[arg(long, value_enum, default_value_t = PaperSize::A3)]
    pub paper: PaperSize,
    /// The file to write (required for PDF; SVG goes to stdout without it).
    #[arg(long, alias = "out", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Diagram formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFileFormat {
    /// SVG.
    Svg,
    /// PDF (text drawn with the installed Japanese font, fonts-noto-cjk).
    Pdf,
}

/// Paper sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PaperSize {
    /// A3 landscape.
    A3,
    /// A4 landscape.
    A4,
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

/// Runs `report …`: `site` names the site (required for a checklist once there are several).
pub(super) fn run(ledger: &Ledger, site: Option<&str>, cmd: ReportCommand) -> Result<(), CliError> {
    match cmd {
        ReportCommand::Checklist(args) => {
            let site = report_site(ledger, &SiteScope::All, site)?;
            checklist(ledger, &site, args)
        }
        ReportCommand::VendorConfirmation {
            vendor,
            format: VendorSheetFormat::Xlsx,
            output,
        } => {
            let site = report_site(ledger, &SiteScope::All, site)?;
            let (bytes, devices) = vendor_confirmation_sheet(ledger, &site, &vendor)?;
            write_output(Some(&output), &bytes, true)?;
            eprintln!(
                "wrote the confirmation request for {} ({devices} device(s)) to {}",
                terminal_text(vendor.trim()),
                terminal_text(&output.display().to_string())
            );
            Ok(())
        }
        ReportCommand::NetworkDiagram(args) => {
            let site = report_site(ledger, &SiteScope::All, site)?;
            network_diagram(ledger, &site, &args)
        }
        ReportCommand::Group { format } => {
            let scope = requested_scope(ledger, &SiteScope::All, site)?;
            group(
                &group_summary(ledger, visible_sites(ledger, &scope)?)?,
                format,
            )
        }
    }
}

/// Prints the group summary.
fn group(rows: &[(Site, ChecklistReport)], format: Format) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let json: Vec<serde_json::Value> = rows
            .iter()
            .map(|(site, report)| {
                serde_json::json!({
                    "site": site.name,
                    "label": site.display_name(),
                    "devices": report.device_count,
                    "registered": report.registered_count,
                    "answers": report.items.iter().map(|i| serde_json::json!({
                        "item": i.item.number(),
                        "answer": i.answer.label(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            terminal_json(&serde_json::to_string_pretty(&json).unwrap_or_default())
        )?;
        return Ok(());
    }
    let items: Vec<&str> = rows
        .first()
        .map(|(_, r)| r.items.iter().map(|i| i.item.number()).collect())
        .unwrap_or_default();
    write!(out, "{:<16} {:>8} {:>8}", "SITE", "DEVICES", "REGIST.")?;
    for item in &items {
        write!(out, "  {item:<6}")?;
    }
    writeln!(out, "  LABEL")?;
    for (site, report) in rows {
        write!(
            out,
            "{:<16} {:>8} {:>8}",
            terminal_text(&site.name),
            report.device_count,
            report.registered_count
        )?;
        for item in &report.items {
            // はい/いいえ are two and three columns wide; pad to the same width.
            let pad = 6_usize.saturating_sub(2 * item.answer.label().chars().count());
            write!(out, "  {}{:pad$}", item.answer.label(), "")?;
        }
        writeln!(out, "  {}", terminal_text(site.display_name()))?;
    }
    Ok(())
}

/// Writes `site`'s checklist evidence.
fn checklist(ledger: &Ledger, site: &Site, args: ChecklistArgs) -> Result<(), CliError> {
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

/// Writes `site`'s network diagram.
fn network_diagram(ledger: &Ledger, site: &Site, args: &DiagramArgs) -> Result<(), CliError> {
    let format = match args.format {
        DiagramFileFormat::Svg => DiagramFormat::Svg,
        DiagramFileFormat::Pdf => DiagramFormat::Pdf,
    };
    if format == DiagramFormat::Pdf && args.output.as_deref().is_none_or(|p| p.as_os_str() == "-") {
        return Err(CliError::Usage(
            "--output FILE is required for --format pdf".into(),
        ));
    }
    let paper = match args.paper {
        PaperSize::A3 => Paper::A3,
        PaperSize::A4 => Paper::A4,
    };
    let bytes = site_diagram(ledger, site, format, paper).map_err(|e| match e {
        DiagramError::Ledger(e) => CliError::from(e),
        DiagramError::Font(e) => CliError::Render(e.to_string()),
    })?;
    write_output(args.output.as_deref(), &bytes, format == DiagramFormat::Pdf)
}
