//! Reading a hand-kept ledger: CSV (UTF-8 or Shift_JIS/CP932) and XLSX/XLS.
//!
//! The whole file is validated before anything is returned: every bad cell and every
//! duplicate 管理番号 is listed with its spreadsheet row number (the header is row 1 when it is
//! the first row), and a file with any problem returns [`ImportError::InvalidRows`] and no rows,
//! so a caller that applies only `Ok` results never half-imports a ledger.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Cursor;
use std::net::IpAddr;

use calamine::{Data, Reader, Sheets, open_workbook_auto_from_rs};
use chrono::NaiveDate;
use daicho_model::MacAddr;

use crate::header::{HeaderMap, HeaderProblem, column_letter, map_headers_with};
use crate::mapping::ColumnMapping;
use crate::row::{Column, DeviceStatus, LedgerRow};
use crate::text::{excel_serial_date, fold_width, is_none_mark, parse_date, terminal_text};

/// How many rows from the top are searched for the header row (a title may sit above it).
pub const HEADER_SEARCH_ROWS: usize = 20;

/// The text encodings a CSV ledger may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// Shift_JIS as Windows writes it (CP932, the WHATWG `Shift_JIS`).
    Cp932,
}

impl TextEncoding {
    /// The name shown to the operator.
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Cp932 => "Shift_JIS (CP932)",
        }
    }
}

/// What kind of file a ledger came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// A CSV (or tab-separated) text file.
    Csv {
        /// The detected encoding.
        encoding: TextEncoding,
        /// The field separator found.
        delimiter: char,
    },
    /// An Excel workbook (XLSX or the older XLS).
    Workbook {
        /// The sheets the ledger was read from, in workbook order.
        sheets: Vec<SheetRead>,
        /// The sheets without a header row (a cover sheet, notes), skipped, in workbook order.
        skipped_sheets: Vec<String>,
    },
}

/// One sheet a workbook ledger was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRead {
    /// The sheet's name.
    pub name: String,
    /// The spreadsheet row number of its header row.
    pub header_row: usize,
    /// How many device rows it gave.
    pub rows: usize,
}

/// Where a row is: the sheet (none for a CSV) and the row number as the spreadsheet shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RowRef {
    /// The sheet's name; `None` for a CSV.
    pub sheet: Option<String>,
    /// The row number as the spreadsheet shows it.
    pub row: usize,
}

impl fmt::Display for RowRef {
    /// `12 行目`, or `シート「外来棟」12 行目` in a workbook.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(sheet) = &self.sheet {
            write!(f, "シート「{}」", terminal_text(sheet))?;
        }
        write!(f, "{} 行目", self.row)
    }
}

/// A column whose header matched no ledger column and is not in the [`ColumnMapping`]: what a
/// mapping step shows the operator (`導入日 (列 F): 2019/4/1, 2020/10/1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedColumn {
    /// The sheet; `None` for a CSV.
    pub sheet: Option<String>,
    /// The header as written (trimmed).
    pub header: String,
    /// The column index, 0-based (column A is 0); [`Self::letter`] gives the letter.
    pub index: usize,
    /// Up to [`SAMPLE_VALUES`] distinct non-blank values from the rows under it, each cut to
    /// [`SAMPLE_CHARS`] characters.
    pub samples: Vec<String>,
}

impl UnmappedColumn {
    /// The column's spreadsheet letter (`A`, `F`, `AB`).
    pub fn letter(&self) -> String {
        column_letter(self.index)
    }
}

/// How many sample values an [`UnmappedColumn`] carries.
pub const SAMPLE_VALUES: usize = 3;

/// The longest sample value, in characters (longer ones end in `…`).
pub const SAMPLE_CHARS: usize = 40;

/// A group-heading row (【外来棟】, ■3階, ＜サーバ室＞, 2F 医事課) that was skipped: not a
/// device and not a problem. See [`heading`] for the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedHeading {
    /// Where it is.
    pub at: RowRef,
    /// Its text.
    pub text: String,
}

/// A successfully read ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The rows, in file order (sheet by sheet; blank and heading rows skipped).
    pub rows: Vec<LedgerRow>,
    /// Where they came from.
    pub source: SourceKind,
    /// The spreadsheet row number of the header row (of the first sheet read, for a workbook;
    /// [`SourceKind::Workbook`] has every sheet's).
    pub header_row: usize,
    /// Headers that no ledger column was read from (unknown, or mapped to ignore), each once.
    pub ignored_columns: Vec<String>,
    /// The spreadsheet row number of each entry of `rows`, for reports that cite rows. In a
    /// workbook of several sheets the numbers repeat; `row_refs` names the sheet too.
    pub row_numbers: Vec<usize>,
    /// Sheet and row of each entry of `rows`.
    pub row_refs: Vec<RowRef>,
    /// Columns whose header matched nothing and that the mapping does not name, with samples,
    /// per sheet.
    pub unmapped: Vec<UnmappedColumn>,
    /// Group-heading rows that were skipped.
    pub skipped_headings: Vec<SkippedHeading>,
}

/// One problem in one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The sheet; `None` for a CSV.
    pub sheet: Option<String>,
    /// The row number as the spreadsheet shows it.
    pub row: usize,
    /// The column concerned.
    pub column: Column,
    /// The cell's text.
    pub value: String,
    /// What is wrong, in Japanese.
    pub message: String,
}

impl RowProblem {
    /// Where the problem is.
    pub fn at(&self) -> RowRef {
        RowRef {
            sheet: self.sheet.clone(),
            row: self.row,
        }
    }
}

impl fmt::Display for RowProblem {
    /// One line, file text made safe for a terminal by [`terminal_text`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}「{}」: {}",
            self.at(),
            self.column.header(),
            terminal_text(&self.value),
            terminal_text(&self.message)
        )
    }
}

/// Why a ledger file was not imported. Nothing from the file is used when this is returned.
/// The messages pass file text through [`terminal_text`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The CSV is neither UTF-8 nor Shift_JIS/CP932.
    #[error(
        "文字コードを判別できません（{detail}）。Excel で「CSV UTF-8（コンマ区切り）」または「CSV（コンマ区切り）」で保存し直してください / unknown encoding: {detail}"
    )]
    UnknownEncoding {
        /// What was found.
        detail: String,
    },
    /// The workbook could not be opened.
    #[error("Excel ファイルとして読めません: {} / not a readable workbook", terminal_text(.detail))]
    NotAWorkbook {
        /// The reader's message.
        detail: String,
    },
    /// Required columns are missing.
    #[error("{}", missing_message(.missing, .found, .sheet.as_deref()))]
    MissingColumns {
        /// The missing columns, as their headers.
        missing: Vec<String>,
        /// The headers of the best candidate header row.
        found: Vec<String>,
        /// The sheet of that row; `None` for a CSV (or a workbook with no usable sheet).
        sheet: Option<String>,
        /// The headers of that row that matched nothing, with samples, so that a mapping step
        /// can offer "導入日 → 登録日".
        unmapped: Vec<UnmappedColumn>,
    },
    /// Two columns map to the same field.
    #[error(
        "列「{}」と「{}」はどちらも {column} を表しています。どちらか一方にしてください",
        terminal_text(.first),
        terminal_text(.second)
    )]
    DuplicateColumn {
        /// The field.
        column: String,
        /// The first header.
        first: String,
        /// The second header.
        second: String,
    },
    /// The header row has no data rows under it.
    #[error("見出し行の下にデータ行がありません / no data rows")]
    NoRows,
    /// Some rows are invalid; all problems are listed (in sheet order, then by row).
    #[error("{} 件の問題があるため取り込みませんでした / {} problems, nothing imported:\n{}", .0.len(), .0.len(), list(.0))]
    InvalidRows(Vec<RowProblem>),
}

fn missing_message(missing: &[String], found: &[String], sheet: Option<&str>) -> String {
    let found = if found.is_empty() {
        "なし".to_owned()
    } else {
        found
            .iter()
            .map(|h| terminal_text(h).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sheet = sheet.map_or_else(String::new, |s| format!("シート「{}」の", terminal_text(s)));
    format!(
        "必須の列がありません: {}（{sheet}見つかった見出し: {found}）/ missing required column: {}",
        missing.join(", "),
        missing.join(", ")
    )
}

fn list(problems: &[RowProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a ledger file, telling XLSX/XLS from CSV by its first bytes, with the built-in header
/// synonyms only ([`import_ledger_with`] and an empty mapping).
pub fn import_ledger(bytes: &[u8]) -> Result<Import, ImportError> {
    import_ledger_with(bytes, &ColumnMapping::new())
}

/// Reads a ledger file, telling XLSX/XLS from CSV by its first bytes; headers the mapping
/// names go where it says (over the built-in synonyms).
pub fn import_ledger_with(bytes: &[u8], mapping: &ColumnMapping) -> Result<Import, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        import_workbook_with(bytes, mapping)
    } else {
        import_csv_with(bytes, mapping)
    }
}

/// Decodes CSV bytes: a UTF-8 BOM or valid UTF-8 is UTF-8; otherwise text that decodes as
/// Shift_JIS/CP932 without a single error is CP932; anything else (UTF-16, EUC-JP that is not
/// also valid Shift_JIS, binary) is refused. NUL bytes are refused too: UTF-16 text is valid
/// UTF-8 byte by byte but full of them.
pub fn decode_text(bytes: &[u8]) -> Result<(String, TextEncoding), ImportError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::UnknownEncoding {
            detail: "UTF-16 のバイト順マークがあります（Excel の「Unicode テキスト」）".into(),
        });
    }
    if bytes.contains(&0) {
        return Err(ImportError::UnknownEncoding {
            detail: "NUL バイトを含みます（UTF-16 またはバイナリ）".into(),
        });
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(body) {
        return Ok((text.to_owned(), TextEncoding::Utf8));
    }
    if body.len() < bytes.len() {
        return Err(ImportError::UnknownEncoding {
            detail: "UTF-8 の BOM がありますが、UTF-8 として正しくないバイトを含みます".into(),
        });
    }
    match encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(body) {
        Some(text) => Ok((text.into_owned(), TextEncoding::Cp932)),
        None => Err(ImportError::UnknownEncoding {
            detail: "UTF-8 としても Shift_JIS (CP932) としても正しくありません".into(),
        }),
    }
}

/// One cell as read, before it is interpreted.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Self::Text(s) => s.trim().is_empty(),
            Self::Empty => true,
            Self::Number(_) | Self::Date(_) => false,
        }
    }

    fn text(&self) -> String {
        match self {
            Self::Text(s) => crate::text::spreadsheet_unguard(s.trim()).to_owned(),
            Self::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{}", *n as i64)
                } else {
                    n.to_string()
                }
            }
            Self::Date(d) => d.format("%Y/%m/%d").to_string(),
            Self::Empty => String::new(),
        }
    }
}

/// Reads a CSV ledger (comma- or tab-separated) in UTF-8 or CP932, with the built-in header
/// synonyms only.
pub fn import_csv(bytes: &[u8]) -> Result<Import, ImportError> {
    import_csv_with(bytes, &ColumnMapping::new())
}

/// Reads a CSV ledger (comma- or tab-separated) in UTF-8 or CP932 with a column mapping.
pub fn import_csv_with(bytes: &[u8], mapping: &ColumnMapping) -> Result<Import, ImportError> {
    let (text, encoding) = decode_text(bytes)?;
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        '\t'
    } else {
        ','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter as u8)
        .from_reader(text.as_bytes());
    let mut grid: Vec<(usize, Vec<Cell>)> = Vec::new();
    // Excel counts a record with a line break inside a quoted field as one row. Lines are
    // counted here from each record's byte offset (the reader's own line count is off with
    // CRLF), less the breaks inside earlier records.
    let mut inner_breaks = 0usize;
    let mut counted_to = 0usize;
    let mut line = 1usize;
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::UnknownEncoding {
            detail: format!("CSV として読めません: {e}"),
        })?;
        let mut byte = record
            .position()
            .map_or(counted_to, |p| p.byte() as usize)
            .max(counted_to);
        // After a CRLF the reader reports the record as starting on the LF.
        if text.as_bytes().get(byte) == Some(&b'\n') {
            byte += 1;
        }
        line += text[counted_to..byte].matches('\n').count();
        counted_to = byte;
        let row = line - inner_breaks;
        inner_breaks += record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>();
        grid.push((
            row,
            record.iter().map(|f| Cell::Text(f.to_owned())).collect(),
        ));
    }
    let sheet = SheetGrid {
        name: None,
        rows: grid,
        merged: HashSet::new(),
    };
    let header = match find_header(&sheet, mapping)? {
        Found::Header(header) => header,
        Found::Nothing(candidate) => return Err(candidate.into_error(None)),
    };
    let mut reader = RowReader::default();
    reader.read_sheet(0, &sheet, &header);
    let header_row = header.row_no;
    reader.finish(
        SourceKind::Csv {
            encoding,
            delimiter,
        },
        header_row,
    )
}

/// Reads an XLSX (or XLS) ledger from every sheet that has a header row, with the built-in
/// header synonyms only.
pub fn import_workbook(bytes: &[u8]) -> Result<Import, ImportError> {
    import_workbook_with(bytes, &ColumnMapping::new())
}

/// Reads an XLSX (or XLS) ledger with a column mapping.
///
/// Every sheet with a header row (a row with a 管理番号 header among its top
/// [`HEADER_SEARCH_ROWS`] non-blank rows) is read, in workbook order, and their rows are
/// concatenated; 管理番号 and MAC duplicates are checked across all of them. A sheet with no
/// header row (a cover sheet, notes) is skipped and named in
/// [`SourceKind::Workbook::skipped_sheets`]. A sheet that has a header row but lacks the
/// required columns fails the import: silently leaving out a sheet of devices would be worse.
pub fn import_workbook_with(bytes: &[u8], mapping: &ColumnMapping) -> Result<Import, ImportError> {
    let mut workbook =
        open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| ImportError::NotAWorkbook {
            detail: e.to_string(),
        })?;
    let mut best: Option<(Candidate, String)> = None;
    let mut reader = RowReader::default();
    let mut sheets = Vec::new();
    let mut skipped_sheets = Vec::new();
    for (order, name) in workbook.sheet_names().into_iter().enumerate() {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| ImportError::NotAWorkbook {
                detail: e.to_string(),
            })?;
        let merged = merged_heads(&mut workbook, &name);
        let top = range.start().map_or(0, |(r, _)| r as usize);
        let left = range.start().map_or(0, |(_, c)| c as usize);
        let rows: Vec<(usize, Vec<Cell>)> = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                let mut row: Vec<Cell> = vec![Cell::Empty; left];
                row.extend(cells.iter().map(workbook_cell));
                (top + i + 1, row)
            })
            .collect();
        let sheet = SheetGrid {
            name: Some(name.clone()),
            rows,
            merged,
        };
        match find_header(&sheet, mapping)? {
            Found::Header(header) => {
                let count = reader.read_sheet(order, &sheet, &header);
                sheets.push(SheetRead {
                    name,
                    header_row: header.row_no,
                    rows: count,
                });
            }
            Found::Nothing(candidate) => {
                if best.as_ref().is_none_or(|(b, _)| candidate.score > b.score) {
                    best = Some((candidate, name.clone()));
                }
                skipped_sheets.push(name);
            }
        }
    }
    let Some(header_row) = sheets.first().map(|s| s.header_row) else {
        return Err(match best {
            Some((candidate, name)) => candidate.into_error(Some(name)),
            None => Candidate::default().into_error(None),
        });
    };
    reader.finish(
        SourceKind::Workbook {
            sheets,
            skipped_sheets,
        },
        header_row,
    )
}

/// The top-left cells (spreadsheet row number, 0-based column) of the sheet's merged ranges
/// that span more than one column. Only XLSX and XLS expose them.
fn merged_heads<RS: std::io::Read + std::io::Seek>(
    workbook: &mut Sheets<RS>,
    name: &str,
) -> HashSet<(usize, usize)> {
    let regions = match workbook {
        Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(name).ok(),
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(name).ok(),
        _ => None,
    };
    regions
        .unwrap_or_default()
        .iter()
        .filter(|d| d.end.1 > d.start.1)
        .map(|d| (d.start.0 as usize + 1, d.start.1 as usize))
        .collect()
}

fn workbook_cell(data: &Data) -> Cell {
    match data {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if dt.is_datetime() => Cell::Date(t.date()),
            _ => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) => match s.get(..10).and_then(|d| d.parse().ok()) {
            Some(d) => Cell::Date(d),
            None => Cell::Text(s.clone()),
        },
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
        Data::Empty => Cell::Empty,
    }
}

/// One sheet (or the CSV) as read: rows with their spreadsheet row numbers.
struct SheetGrid {
    /// `None` for a CSV.
    name: Option<String>,
    rows: Vec<(usize, Vec<Cell>)>,
    /// See [`merged_heads`].
    merged: HashSet<(usize, usize)>,
}

impl SheetGrid {
    fn at(&self, row: usize) -> RowRef {
        RowRef {
            sheet: self.name.clone(),
            row,
        }
    }

    /// The heading text of grid row `i`, if it is a group heading (see [`heading`]).
    fn heading(&self, i: usize, map: &HeaderMap) -> Option<String> {
        let (row_no, cells) = &self.rows[i];
        heading::heading_text(cells, map, |col| self.merged.contains(&(*row_no, col)))
    }

    /// The unknown headers of `map` (the header at grid row `header`) with samples from the
    /// rows under it, headings left out.
    fn unmapped(&self, header: usize, map: &HeaderMap) -> Vec<UnmappedColumn> {
        let mut columns: Vec<UnmappedColumn> = map
            .unknown
            .iter()
            .map(|(index, text)| UnmappedColumn {
                sheet: self.name.clone(),
                header: text.clone(),
                index: *index,
                samples: Vec::new(),
            })
            .collect();
        for i in header + 1..self.rows.len() {
            if columns.iter().all(|c| c.samples.len() >= SAMPLE_VALUES) {
                break;
            }
            if self.heading(i, map).is_some() {
                continue;
            }
            let cells = &self.rows[i].1;
            for column in &mut columns {
                let Some(cell) = cells.get(column.index).filter(|c| !c.is_blank()) else {
                    continue;
                };
                let mut text = cell.text();
                if text.chars().count() > SAMPLE_CHARS {
                    text = text.chars().take(SAMPLE_CHARS - 1).collect::<String>() + "…";
                }
                if column.samples.len() < SAMPLE_VALUES && !column.samples.contains(&text) {
                    column.samples.push(text);
                }
            }
        }
        columns
    }
}

/// A sheet's header row.
struct Header {
    /// Index into [`SheetGrid::rows`].
    index: usize,
    /// Its spreadsheet row number.
    row_no: usize,
    map: HeaderMap,
}

/// The row that looked most like a header row in a sheet without one, for the error.
#[derive(Default)]
struct Candidate {
    /// How many columns it named.
    score: usize,
    found: Vec<String>,
    unmapped: Vec<UnmappedColumn>,
}

impl Candidate {
    fn into_error(self, sheet: Option<String>) -> ImportError {
        ImportError::MissingColumns {
            missing: vec![Column::AssetNo.header().to_owned()],
            found: self.found,
            sheet,
            unmapped: self.unmapped,
        }
    }
}

enum Found {
    Header(Header),
    Nothing(Candidate),
}

/// Finds the sheet's header row: the first of the top [`HEADER_SEARCH_ROWS`] non-blank rows
/// with a 管理番号 header. A header row without an identifying column is an error.
fn find_header(sheet: &SheetGrid, mapping: &ColumnMapping) -> Result<Found, ImportError> {
    let mut best: Option<(usize, usize, HeaderMap, Vec<String>)> = None;
    for (index, (row_no, cells)) in sheet
        .rows
        .iter()
        .enumerate()
        .filter(|(_, (_, cells))| cells.iter().any(|c| !c.is_blank()))
        .take(HEADER_SEARCH_ROWS)
    {
        let texts: Vec<String> = cells.iter().map(Cell::text).collect();
        let map = map_headers_with(&texts, mapping).map_err(
            |HeaderProblem::Duplicate { column, headers }| ImportError::DuplicateColumn {
                column: column.header().to_owned(),
                first: headers.0,
                second: headers.1,
            },
        )?;
        if map.positions.contains_key(&Column::AssetNo) {
            let identifiers = [Column::Ip, Column::Mac, Column::ComputerName];
            if !identifiers.iter().any(|c| map.positions.contains_key(c)) {
                return Err(ImportError::MissingColumns {
                    missing: vec![format!(
                        "{} / {} / {} のいずれか",
                        Column::Ip.header(),
                        Column::Mac.header(),
                        Column::ComputerName.header()
                    )],
                    found: texts.into_iter().filter(|t| !t.is_empty()).collect(),
                    sheet: sheet.name.clone(),
                    unmapped: sheet.unmapped(index, &map),
                });
            }
            return Ok(Found::Header(Header {
                index,
                row_no: *row_no,
                map,
            }));
        }
        // Name the headers of the row that looks most like a header row.
        if best
            .as_ref()
            .is_none_or(|(score, ..)| map.positions.len() > *score)
        {
            let found = texts.into_iter().filter(|t| !t.is_empty()).collect();
            best = Some((map.positions.len(), index, map, found));
        }
    }
    Ok(Found::Nothing(match best {
        Some((score, index, map, found)) => Candidate {
            score,
            found,
            unmapped: sheet.unmapped(index, &map),
        },
        None => Candidate::default(),
    }))
}

/// Reads the rows of one sheet after another, keeping what spans sheets: the duplicate checks
/// and the problems.
#[derive(Default)]
struct RowReader {
    rows: Vec<LedgerRow>,
    refs: Vec<RowRef>,
    /// With the sheet's order, to sort by.
    problems: Vec<(usize, RowProblem)>,
    asset_rows: HashMap<String, RowRef>,
    mac_rows: HashMap<MacAddr, RowRef>,
    headings: Vec<SkippedHeading>,
    unmapped: Vec<UnmappedColumn>,
    ignored: Vec<String>,
}

impl RowReader {
    /// Parses every data row under the sheet's header; returns how many device rows it had.
    fn read_sheet(&mut self, order: usize, sheet: &SheetGrid, header: &Header) -> usize {
        let map = &header.map;
        self.unmapped.extend(sheet.unmapped(header.index, map));
        for h in &map.ignored {
            if !self.ignored.contains(h) {
                self.ignored.push(h.clone());
            }
        }
        let before = self.rows.len();
        for i in header.index + 1..sheet.rows.len() {
            let (row_no, cells) = &sheet.rows[i];
            let at = sheet.at(*row_no);
            if let Some(text) = sheet.heading(i, map) {
                self.headings.push(SkippedHeading { at, text });
                continue;
            }
            let get = |column: Column| -> &Cell {
                map.positions
                    .get(&column)
                    .and_then(|&i| cells.get(i))
                    .unwrap_or(&Cell::Empty)
            };
            if Column::LEDGER.iter().all(|&c| get(c).is_blank()) {
                continue;
            }
            let problems = &mut self.problems;
            let mut problem = |column: Column, value: String, message: String| {
                problems.push((
                    order,
                    RowProblem {
                        sheet: sheet.name.clone(),
                        row: *row_no,
                        column,
                        value,
                        message,
                    },
                ));
            };
            let row = LedgerRow {
                asset_no: get(Column::AssetNo).text(),
                maker: get(Column::Maker).text(),
                os: get(Column::Os).text(),
                software: get(Column::Software).text(),
                software_version: get(Column::SoftwareVersion).text(),
                ip: parse_ip(get(Column::Ip)).unwrap_or_else(|(v, m)| {
                    problem(Column::Ip, v, m);
                    None
                }),
                computer_name: get(Column::ComputerName).text(),
                location: get(Column::Location).text(),
                user: get(Column::User).text(),
                registered_on: parse_registered(get(Column::RegisteredOn)).unwrap_or_else(
                    |(v, m)| {
                        problem(Column::RegisteredOn, v, m);
                        None
                    },
                ),
                status: DeviceStatus::parse(&get(Column::Status).text()),
                description: get(Column::Description).text(),
                mac: parse_mac(get(Column::Mac)).unwrap_or_else(|(v, m)| {
                    problem(Column::Mac, v, m);
                    None
                }),
            };
            if row.asset_no.is_empty() {
                problem(
                    Column::AssetNo,
                    String::new(),
                    "管理番号が空欄です（必須）".into(),
                );
            } else {
                let key = fold_width(&row.asset_no);
                if let Some(first) = self.asset_rows.get(&key) {
                    problem(
                        Column::AssetNo,
                        row.asset_no.clone(),
                        format!("{}と同じ管理番号です（重複）", same_sheet(first, &at)),
                    );
                } else {
                    self.asset_rows.insert(key, at.clone());
                }
            }
            if let Some(mac) = row.mac {
                if let Some(first) = self.mac_rows.get(&mac) {
                    problem(
                        Column::Mac,
                        mac.to_string(),
                        format!(
                            "{}と同じ MAC アドレスです（同じ機器が二重に登録されています）",
                            same_sheet(first, &at)
                        ),
                    );
                } else {
                    self.mac_rows.insert(mac, at.clone());
                }
            }
            self.rows.push(row);
            self.refs.push(at);
        }
        self.rows.len() - before
    }

    /// The import, or every problem found in every sheet, or [`ImportError::NoRows`].
    fn finish(self, source: SourceKind, header_row: usize) -> Result<Import, ImportError> {
        if !self.problems.is_empty() {
            let mut problems = self.problems;
            problems.sort_by_key(|(order, p)| (*order, p.row, p.column));
            return Err(ImportError::InvalidRows(
                problems.into_iter().map(|(_, p)| p).collect(),
            ));
        }
        if self.rows.is_empty() {
            return Err(ImportError::NoRows);
        }
        Ok(Import {
            rows: self.rows,
            source,
            header_row,
            ignored_columns: self.ignored,
            row_numbers: self.refs.iter().map(|r| r.row).collect(),
            row_refs: self.refs,
            unmapped: self.unmapped,
            skipped_headings: self.headings,
        })
    }
}

/// `first` as a problem message cites it: `5 行目` within the same sheet (or a CSV), with the
/// sheet's name when it is another sheet.
fn same_sheet(first: &RowRef, at: &RowRef) -> String {
    if first.sheet == at.sheet {
        format!("{} 行目", first.row)
    } else {
        first.to_string()
    }
}

type CellResult<T> = Result<Option<T>, (String, String)>;

fn parse_ip(cell: &Cell) -> CellResult<IpAddr> {
    let text = cell.text();
    if text.is_empty() || is_none_mark(&text) {
        return Ok(None);
    }
    let folded = fold_width(&text);
    folded.trim().parse().map(Some).map_err(|_| {
        let hint = if folded.to_ascii_lowercase().contains("dhcp") || folded.contains("自動") {
            "IP アドレスではありません（DHCP の機器は空欄にし、その旨を説明欄に書いてください）"
        } else if folded.contains([',', '、', ' ', '/']) {
            "IP アドレスを 1 つだけ書いてください（複数ある機器は説明欄へ）"
        } else {
            "IP アドレスとして読めません（例: 192.168.1.10）"
        };
        (text.clone(), hint.to_owned())
    })
}

fn parse_mac(cell: &Cell) -> CellResult<MacAddr> {
    let text = cell.text();
    if text.is_empty() || is_none_mark(&text) {
        return Ok(None);
    }
    fold_width(&text).trim().parse().map(Some).map_err(|_| {
        (
            text.clone(),
            "MAC アドレスとして読めません（例: 00:1b:21:0a:0b:0c、00-1B-21-0A-0B-0C、001b.210a.0b0c）"
                .to_owned(),
        )
    })
}

fn parse_registered(cell: &Cell) -> CellResult<NaiveDate> {
    match cell {
        Cell::Date(d) => Ok(Some(*d)),
        Cell::Number(n) => excel_serial_date(*n).map(Some).ok_or_else(|| {
            (
                cell.text(),
                "日付として読めません（Excel の日付の範囲外です）".to_owned(),
            )
        }),
        Cell::Empty => Ok(None),
        Cell::Text(_) => {
            let text = cell.text();
            if text.is_empty() || is_none_mark(&text) {
                return Ok(None);
            }
            parse_date(&text).map(Some).map_err(|_| {
                (
                    text.clone(),
                    "日付として読めません（例: 2020/12/1、2020-12-01、令和2年12月1日）".to_owned(),
                )
            })
        }
    }
}

pub mod heading;
#[cfg(test)]
mod tests;
