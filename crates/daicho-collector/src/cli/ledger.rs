//! `ledger import` and `ledger export`: the hand-kept MHLW ledger in and out.
//!
//! Everything printed that came from the file or from a device (headers, cells, sheet names,
//! host names) goes through [`terminal_text`].

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Subcommand, ValueEnum};
use daicho_ledger::{ImportPlan, Ledger, RowAction, Site, SiteId};
use daicho_ledger_io::text::terminal_text;
use daicho_ledger_io::{
    Column, ColumnMapping, CsvEncoding, Import, ImportError, MappedTo, RowRef, SourceKind,
    UnmappedColumn,
};

use super::output::{read_input, write_output};
use super::{CliError, Format};

/// `ledger …`.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Import a hand-kept ledger (XLSX/XLS, or CSV in UTF-8 or Shift_JIS/CP932). Every sheet
    /// with a header row is read; group-heading rows (【外来棟】) are skipped. A dry run unless
    /// --apply: prints what each row would do, the sheets read, the headers no column matched
    /// (with sample values) and the heading rows skipped.
    Import {
        /// The ledger file.
        file: PathBuf,
        /// Apply the import (in one transaction: every row or none).
        #[arg(long)]
        apply: bool,
        /// Read the column headed HEADER as COLUMN: a ledger column by its Japanese header
        /// (登録日, 説明, …) or `ignore`. Repeatable; wins over the built-in header names.
        #[arg(long = "map", value_name = "HEADER=COLUMN", value_parser = parse_map)]
        map: Vec<(String, MappedTo)>,
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
        /// 医療機関名, written in the file's metadata (default: the one set in the console).
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

/// Runs `ledger …` on `site`'s ledger.
pub(super) fn run(ledger: &Ledger, site: &Site, cmd: LedgerCommand) -> Result<(), CliError> {
    match cmd {
        LedgerCommand::Import {
            file,
            apply,
            map,
            format,
        } => {
            let mapping: ColumnMapping = map.iter().map(|(h, to)| (h.as_str(), *to)).collect();
            import(ledger, site.id, &file, &mapping, apply, format)
        }
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
            let (bytes, count, notice) = crate::evidence::export_ledger(
                ledger,
                site.id,
                csv,
                registered_only,
                &crate::evidence::facility_for(ledger, site.id, &facility)?,
            )?;
            write_output(output.as_deref(), &bytes, format == ExportFormat::Xlsx)?;
            if let Some(notice) = notice {
                eprintln!("注意 / notice: {notice}");
            }
            eprintln!(
                "exported {count} device(s) in {} ms",
                started.elapsed().as_millis()
            );
            Ok(())
        }
    }
}

/// Reads one `--map HEADER=COLUMN`.
fn parse_map(text: &str) -> Result<(String, MappedTo), String> {
    ColumnMapping::parse_entry(text).map_err(|e| e.to_string())
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
        SourceKind::Workbook {
            sheets,
            skipped_sheets,
        } => {
            let read: Vec<String> = sheets
                .iter()
                .map(|s| {
                    format!(
                        "「{}」 (header row {}, {} row(s))",
                        terminal_text(&s.name),
                        s.header_row,
                        s.rows
                    )
                })
                .collect();
            let mut text = format!(
                "workbook, sheet{} {}",
                if sheets.len() == 1 { "" } else { "s" },
                read.join(", ")
            );
            if !skipped_sheets.is_empty() {
                let skipped: Vec<String> = skipped_sheets
                    .iter()
                    .map(|s| format!("「{}」", terminal_text(s)))
                    .collect();
                text = format!("{text}; skipped (no header row): {}", skipped.join(", "));
            }
            text
        }
    }
}

/// `A 導入日: 2019/4/1, 2020/10/1`, with the sheet when there is one.
fn unmapped_text(column: &UnmappedColumn) -> String {
    let sheet = column
        .sheet
        .as_deref()
        .map_or_else(String::new, |s| format!("「{}」 ", terminal_text(s)));
    let samples: Vec<String> = column
        .samples
        .iter()
        .map(|s| terminal_text(s).into_owned())
        .collect();
    format!(
        "{sheet}{} {}: {}",
        column.letter(),
        terminal_text(&column.header),
        if samples.is_empty() {
            "(no values)".to_owned()
        } else {
            samples.join(", ")
        }
    )
}

/// The row as the plan table shows it: `12`, or `外来棟!12` in a workbook of several sheets.
fn row_text(at: Option<&RowRef>, row: usize, several_sheets: bool) -> String {
    match at.and_then(|r| r.sheet.as_deref()) {
        Some(sheet) if several_sheets => format!("{}!{row}", terminal_text(sheet)),
        _ => row.to_string(),
    }
}

fn import(
    ledger: &Ledger,
    site: SiteId,
    file: &Path,
    mapping: &ColumnMapping,
    apply: bool,
    format: Format,
) -> Result<(), CliError> {
    let started = Instant::now();
    let bytes = read_input(file)?;
    let import = match daicho_ledger_io::import_ledger_with(&bytes, mapping) {
        Ok(import) => import,
        Err(e) => {
            if let ImportError::MissingColumns { unmapped, .. } = &e
                && !unmapped.is_empty()
            {
                eprintln!("headers no column matched:");
                for column in unmapped {
                    eprintln!("  {}", unmapped_text(column));
                }
                let columns: Vec<&str> = Column::LEDGER.iter().map(|c| c.header()).collect();
                eprintln!(
                    "map one with --map 'HEADER=COLUMN' (COLUMN: {}, or ignore)",
                    columns.join(", ")
                );
            }
            return Err(e.into());
        }
    };
    let shown_file = file.display().to_string();
    let shown_file = terminal_text(&shown_file);
    if import.rows.len() >= 1000 {
        eprintln!(
            "{}: {} rows read; matching them to devices{}…",
            shown_file,
            import.rows.len(),
            if apply {
                " and applying in one transaction"
            } else {
                ""
            }
        );
    }
    let (plan, applied) = if apply {
        let file_name = file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let (plan, applied) = crate::decisions::apply_import(
            ledger,
            &crate::decisions::Actor::cli(),
            site,
            &file_name,
            &import.rows,
            &import.row_numbers,
            ledger.now(),
        )?;
        (plan, Some(applied))
    } else {
        (
            ledger.plan_import(site, &import.rows, &import.row_numbers)?,
            None,
        )
    };
    let elapsed = started.elapsed();
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let (sheets, skipped_sheets) = match &import.source {
            SourceKind::Workbook {
                sheets,
                skipped_sheets,
            } => (
                sheets
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "name": s.name,
                            "header_row": s.header_row,
                            "rows": s.rows,
                        })
                    })
                    .collect(),
                skipped_sheets.clone(),
            ),
            SourceKind::Csv { .. } => (Vec::new(), Vec::new()),
        };
        let unmapped: Vec<_> = import
            .unmapped
            .iter()
            .map(|c| {
                serde_json::json!({
                    "sheet": c.sheet,
                    "header": c.header,
                    "column": c.letter(),
                    "index": c.index,
                    "samples": c.samples,
                })
            })
            .collect();
        let headings: Vec<_> = import
            .skipped_headings
            .iter()
            .map(|h| serde_json::json!({"sheet": h.at.sheet, "row": h.at.row, "text": h.text}))
            .collect();
        let json = serde_json::json!({
            "file": file.display().to_string(),
            "source": source_text(&import),
            "sheets": sheets,
            "skipped_sheets": skipped_sheets,
            "rows": import.rows.len(),
            "ignored_columns": import.ignored_columns,
            "unmapped_columns": unmapped,
            "mapping": mapping,
            "skipped_headings": headings,
            "applied": applied,
            "plan": plan,
        });
        writeln!(
            out,
            "{}",
            daicho_ledger_io::text::terminal_json(
                &serde_json::to_string_pretty(&json).unwrap_or_default()
            )
        )?;
    } else {
        print_plan(&mut out, &shown_file, &import, &plan)?;
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
    file: &str,
    import: &Import,
    plan: &ImportPlan,
) -> Result<(), CliError> {
    match &import.source {
        SourceKind::Csv { .. } => writeln!(
            out,
            "{file}: {} row(s), {} (header row {})",
            import.rows.len(),
            source_text(import),
            import.header_row
        )?,
        SourceKind::Workbook { .. } => writeln!(
            out,
            "{file}: {} row(s), {}",
            import.rows.len(),
            source_text(import)
        )?,
    }
    // The unknown headers are listed with their samples below; these are the mapped-out ones.
    let ignored: Vec<String> = import
        .ignored_columns
        .iter()
        .filter(|h| !import.unmapped.iter().any(|u| &u.header == *h))
        .map(|h| terminal_text(h).into_owned())
        .collect();
    if !ignored.is_empty() {
        writeln!(out, "ignored columns: {}", ignored.join(", "))?;
    }
    if !import.unmapped.is_empty() {
        writeln!(
            out,
            "headers no column matched (not read; use --map 'HEADER=COLUMN' to read one):"
        )?;
        for column in &import.unmapped {
            writeln!(out, "  {}", unmapped_text(column))?;
        }
    }
    if !import.skipped_headings.is_empty() {
        writeln!(
            out,
            "heading rows skipped: {}",
            import.skipped_headings.len()
        )?;
        for h in &import.skipped_headings {
            writeln!(out, "  {}: {}", h.at, terminal_text(&h.text))?;
        }
    }
    let several_sheets =
        matches!(&import.source, SourceKind::Workbook { sheets, .. } if sheets.len() > 1);
    writeln!(
        out,
        "{:>5}  {:<16} {:<8} {:>6}  {:<9} CHANGES",
        "ROW", "管理番号", "ACTION", "DEVICE", "BY"
    )?;
    for (i, d) in plan.rows.iter().enumerate() {
        let row = row_text(import.row_refs.get(i), d.row, several_sheets);
        let asset_no = terminal_text(&d.asset_no);
        match &d.action {
            RowAction::Update {
                device_id,
                matched_by,
                changed,
            } => writeln!(
                out,
                "{:>5}  {:<16} {:<8} {:>6}  {:<9} {}",
                row,
                asset_no,
                if changed.is_empty() { "same" } else { "update" },
                device_id,
                matched_by.as_str(),
                changed.join(",")
            )?,
            RowAction::Create => writeln!(
                out,
                "{:>5}  {:<16} {:<8} {:>6}  {:<9} (not seen on the network yet)",
                row, asset_no, "new", "-", "-"
            )?,
            RowAction::Conflict { reason } => writeln!(
                out,
                "{:>5}  {:<16} {:<8} {:>6}  {:<9} {}",
                row,
                asset_no,
                "CONFLICT",
                "-",
                "-",
                terminal_text(reason)
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
                terminal_text(u.asset_no.as_deref().unwrap_or("(unregistered)")),
                terminal_text(u.ip.as_deref().unwrap_or("-")),
                terminal_text(u.mac.as_deref().unwrap_or("-")),
                terminal_text(u.hostname.as_deref().unwrap_or("-"))
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
