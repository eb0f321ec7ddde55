//! The device ledger on paper.
//!
//! Pure functions over plain structs, no database and no I/O beyond byte buffers, so the
//! collector can wire them to its CLI and tests can pin every input:
//!
//! - [`import_ledger`] reads a hand-kept ledger (XLSX/XLS, or CSV in UTF-8 or Shift_JIS/CP932)
//!   into [`LedgerRow`]s, validating every row first: any bad IP, MAC or date, a blank or
//!   duplicate 管理番号 or a duplicate MAC fails the whole import with every problem listed by
//!   sheet and spreadsheet row number ([`ImportError::InvalidRows`]). Every sheet with a header
//!   row is read; group-heading rows (【外来棟】) are skipped ([`import::heading`]).
//!   [`import_ledger_with`] takes the operator's [`ColumnMapping`] for headers the built-in
//!   synonyms do not know.
//! - [`export_xlsx`] and [`export_csv`] write [`ExportRow`]s in the MHLW column order.
//! - [`allowlist`] builds the per-subnet MAC allowlist for checklist 2-⑬ and renders it for
//!   routers and switches.
//! - [`checklist`] decides 2-①, 2-②, 2-⑥, 2-⑫ and 2-⑬ and renders the evidence as HTML and XLSX.
//! - [`text`] holds the one neutralising function per destination for text that leaves
//!   daicho: [`text::spreadsheet_cell`] (every CSV cell; every XLSX cell through
//!   [`xlsx_cell::xlsx_cell`], which also cuts at Excel's cell limit), [`text::terminal_text`] (the CLI),
//!   [`text::log_text`] (logs) and [`text::cp932_text`] (CP932 files).
//!
//! # Required columns
//!
//! 管理番号 is required (it is the ledger's key), plus at least one of IPアドレス, MACアドレス and
//! コンピュータ名 (without one of them no row can ever be matched to a device on the network).
//! A row may leave IP, MAC and name blank (a stopped device can have none). Every other column
//! is optional; unknown columns are ignored and reported in [`Import::ignored_columns`] and,
//! with sample values, in [`Import::unmapped`].
//! The header row may sit below a title: the first of the top
//! [`HEADER_SEARCH_ROWS`](import::HEADER_SEARCH_ROWS) non-blank rows with a 管理番号 header is used.

pub mod allowlist;
pub mod checklist;
pub mod export;
pub mod header;
pub mod import;
pub mod mapping;
pub mod row;
pub mod text;
pub mod vendor_sheet;
pub mod xlsx_cell;

pub use export::{
    Cp932Notice, CsvEncoding, CsvFile, ExportError, ExportMeta, export_csv, export_xlsx,
};
pub use import::{
    Import, ImportError, RowProblem, RowRef, SheetRead, SkippedHeading, SourceKind, TextEncoding,
    UnmappedColumn, import_csv, import_csv_with, import_ledger, import_ledger_with,
    import_workbook, import_workbook_with,
};
pub use mapping::{ColumnMapping, MappedTo, MappingError};
pub use row::{Column, DeviceStatus, ExportRow, LedgerRow, LedgerRowText, flag_label};
