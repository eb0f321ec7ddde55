//! `ledger import` and `ledger export`: the hand-kept MHLW ledger in and out.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Subcommand, ValueEnum};
use daicho_ledger::{ImportPlan, Ledger, RowAction};
use daicho_ledger_io::{CsvEncoding, Import, SourceKind};

use super::output::{read_input, write_output};
use super::{CliError, Format};

/// `ledger …`.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Import a hand-kept ledger (XLSX/XLS, or CSV in UTF-8 or Shift_JIS/CP932). A dry run
    /// unless --apply: prints what each row would do.
    Import {
        /// The ledger file.
        file: PathBuf,
        /// Apply the import (in one transaction: every row or none).
        #[arg(long)]
        apply: bool,
        /// Output format of the report.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Export the ledger in the MHLW column order, then MAC, vendor, last seen, open services
    /// and flags.
    Export {
        /// File format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// CSV text encoding (UTF-8 with BOM, which Excel opens, or CP932).
        #[arg(long, value_enum, default_value_t = Encoding::Utf8)]
        encoding: Encoding,
        /// The file to write (required for XLSX; CSV goes to stdout without it).
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Only registered devices (leave out devices seen but not in the ledger).
        #[arg(long)]
        registered_only: bool,
        /// 医療機関名, written in the file's metadata.
        #[arg(long, default_value = "")]
        facility: String,
    },
}

/// Export file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Excel workbook.
    Xlsx,
    /// Comma-separated text.
    Csv,
}

/// CSV encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Encoding {
    /// UTF-8 with a byte-order mark.
    Utf8,
    /// Shift_JIS / CP932.
    Cp932,
}

/// Runs `ledger …`.
pub(super) fn run(ledger: &Ledger, cmd: LedgerCommand) -> Result<(), CliError> {
    match cmd {
        LedgerCommand::Import {
            file,
            apply,
            format,
        } => import(ledger, &file, apply, format),
        LedgerCommand::Export {
            format,
            encoding,
            output,
            registered_only,
            facility,
        } => {
            let started = Instant::now();
            let csv = match format {
                ExportFormat::Xlsx => {
                    if output.as_deref().is_none_or(|p| p.as_os_str() == "-") {
                        return Err(CliError::Usage(
                            "--output FILE is required for --format xlsx".into(),
                        ));
                    }
                    None
                }
                ExportFormat::Csv => Some(match encoding {
                    Encoding::Utf8 => CsvEncoding::Utf8Bom,
                    Encoding::Cp932 => CsvEncoding::Cp932,
                }),
            };
            let (bytes, count) =
                crate::evidence::export_ledger(ledger, csv, registered_only, &facility)?;
            write_output(output.as_deref(), &bytes, format == ExportFormat::Xlsx)?;
            eprintln!(
                "exported {count} device(s) in {} ms",
                started.elapsed().as_millis()
            );
            Ok(())
        }
    }
}

fn source_text(import: &Import) -> String {
    match &import.source {
        SourceKind::Csv {
            encoding,
            delimiter,
        } => format!(
            "CSV, {}, separator {}",
            encoding.name(),
            if *delimiter == '\t' {
                "TAB".to_owned()
            } else {
                format!("`{delimiter}`")
            }
        ),
        SourceKind::Workbook { sheet } => format!("workbook, sheet 「{sheet}」"),
    }
}

fn import(ledger: &Ledger, file: &Path, apply: bool, format: Format) -> Result<(), CliError> {
    let started = Instant::now();
    let bytes = read_input(file)?;
    let import = daicho_ledger_io::import_ledger(&bytes)?;
    if import.rows.len() >= 1000 {
        eprintln!(
            "{}: {} rows read; matching them to devices{}…",
            file.display(),
            import.rows.len(),
            if apply {
                " and applying in one transaction"
            } else {
                ""
            }
        );
    }
    let (plan, applied) = if apply {
        let (plan, applied) = ledger.apply_import(&import.rows, &import.row_numbers)?;
        (plan, Some(applied))
    } else {
        (ledger.plan_import(&import.rows, &import.row_numbers)?, None)
    };
    let elapsed = started.elapsed();
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let json = serde_json::json!({
            "file": file.display().to_string(),
            "source": source_text(&import),
            "rows": import.rows.len(),
            "ignored_columns": import.ignored_columns,
            "applied": applied,
            "plan": plan,
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        )?;
    } else {
        print_plan(&mut out, file, &import, &plan)?;
    }
    let conflicts = plan.conflicts().len();
    match applied {
        Some(a) => eprintln!(
            "applied in {} ms: {} device(s) updated, {} unchanged, {} created",
            elapsed.as_millis(),
            a.updated,
            a.unchanged,
            a.created
        ),
        None if conflicts > 0 => {
            return Err(CliError::Usage(format!(
                "{conflicts} row(s) in conflict; fix the ledger file, nothing was imported"
            )));
        }
        None => eprintln!(
            "dry run ({} ms): nothing changed; run again with --apply to import",
            elapsed.as_millis()
        ),
    }
    Ok(())
}

fn print_plan(
    out: &mut impl std::io::Write,
    file: &Path,
    import: &Import,
    plan: &ImportPlan,
) -> Result<(), CliError> {
    writeln!(
        out,
        "{}: {} row(s), {} (header row {})",
        file.display(),
        import.rows.len(),
        source_text(import),
        import.header_row
    )?;
    if !import.ignored_columns.is_empty() {
        writeln!(
            out,
            "ignored columns: {}",
            import.ignored_columns.join(", ")
        )?;
    }
    writeln!(
        out,
        "{:>5}  {:<16} {:<8} {:>6}  {:<9} CHANGES",
        "ROW", "管理番号", "ACTION", "DEVICE", "BY"
    )?;
    for d in &plan.rows {
        match &d.action {
            RowAction::Update {
                device_id,
                matched_by,
                changed,
            } => writeln!(
                out,
                "{:>5}  {:<16} {:<8} {:>6}  {:<9} {}",
                d.row,
                d.asset_no,
                if changed.is_empty() { "same" } else { "update" },
                device_id,
                matched_by.as_str(),
                changed.join(",")
            )?,
            RowAction::Create => writeln!(
                out,
                "{:>5}  {:<16} {:<8} {:>6}  {:<9} (not seen on the network yet)",
                d.row, d.asset_no, "new", "-", "-"
            )?,
            RowAction::Conflict { reason } => writeln!(
                out,
                "{:>5}  {:<16} {:<8} {:>6}  {:<9} {reason}",
                d.row, d.asset_no, "CONFLICT", "-", "-"
            )?,
        }
    }
    if !plan.uncovered.is_empty() {
        writeln!(out, "devices no row covers:")?;
        for u in &plan.uncovered {
            writeln!(
                out,
                "  device {:>5}  {:<16} {:<15} {:<17} {}",
                u.device_id,
                u.asset_no.as_deref().unwrap_or("(unregistered)"),
                u.ip.as_deref().unwrap_or("-"),
                u.mac.as_deref().unwrap_or("-"),
                u.hostname.as_deref().unwrap_or("-")
            )?;
        }
    }
    writeln!(
        out,
        "matched: {} ({} changing), new: {}, conflicts: {}, devices not covered: {}",
        plan.matched(),
        plan.changing(),
        plan.created(),
        plan.conflicts().len(),
        plan.uncovered.len()
    )?;
    Ok(())
}
