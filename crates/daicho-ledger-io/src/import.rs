//! Reading a hand-kept ledger: CSV (UTF-8 or Shift_JIS/CP932) and XLSX/XLS.
//!
//! The whole file is validated before anything is returned: every bad cell and every
//! duplicate 管理番号 is listed with its spreadsheet row number (the header is row 1 when it is
//! the first row), and a file with any problem returns [`ImportError::InvalidRows`] and no rows,
//! so a caller that applies only `Ok` results never half-imports a ledger.

use std::collections::HashMap;
use std::fmt;
use std::io::Cursor;
use std::net::IpAddr;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use chrono::NaiveDate;
use daicho_model::MacAddr;

use crate::header::{HeaderMap, HeaderProblem, map_headers};
use crate::row::{Column, DeviceStatus, LedgerRow};
use crate::text::{excel_serial_date, fold_width, is_none_mark, parse_date};

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
        /// The sheet the ledger was read from.
        sheet: String,
    },
}

/// A successfully read ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The rows, in file order (blank rows skipped).
    pub rows: Vec<LedgerRow>,
    /// Where they came from.
    pub source: SourceKind,
    /// The spreadsheet row number of the header row.
    pub header_row: usize,
    /// Headers that matched no ledger column; those columns were not read.
    pub ignored_columns: Vec<String>,
    /// The spreadsheet row number of each entry of `rows`, for reports that cite rows.
    pub row_numbers: Vec<usize>,
}

/// One problem in one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The row number as the spreadsheet shows it.
    pub row: usize,
    /// The column concerned.
    pub column: Column,
    /// The cell's text.
    pub value: String,
    /// What is wrong, in Japanese.
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} 行目 {}「{}」: {}",
            self.row,
            self.column.header(),
            self.value,
            self.message
        )
    }
}

/// Why a ledger file was not imported. Nothing from the file is used when this is returned.
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
    #[error("Excel ファイルとして読めません: {detail} / not a readable workbook")]
    NotAWorkbook {
        /// The reader's message.
        detail: String,
    },
    /// Required columns are missing.
    #[error(
        "必須の列がありません: {}（見つかった見出し: {}）/ missing required column: {}",
        .missing.join(", "),
        if .found.is_empty() { "なし".to_owned() } else { .found.join(", ") },
        .missing.join(", ")
    )]
    MissingColumns {
        /// The missing columns, as their headers.
        missing: Vec<String>,
        /// The headers of the best candidate header row.
        found: Vec<String>,
    },
    /// Two columns map to the same field.
    #[error(
        "列「{first}」と「{second}」はどちらも {column} を表しています。どちらか一方にしてください"
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
    /// Some rows are invalid; all problems are listed.
    #[error("{} 件の問題があるため取り込みませんでした / {} problems, nothing imported:\n{}", .0.len(), .0.len(), list(.0))]
    InvalidRows(Vec<RowProblem>),
}

fn list(problems: &[RowProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a ledger file, telling XLSX/XLS from CSV by its first bytes.
pub fn import_ledger(bytes: &[u8]) -> Result<Import, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        import_workbook(bytes)
    } else {
        import_csv(bytes)
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
            Self::Text(s) => unguard(s.trim()).to_owned(),
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

/// Strips the `'` the CSV export puts before values a spreadsheet would run as a formula.
fn unguard(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => text,
    }
}

/// Reads a CSV ledger (comma- or tab-separated) in UTF-8 or CP932.
pub fn import_csv(bytes: &[u8]) -> Result<Import, ImportError> {
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
    let (header_row, map, rows, row_numbers) = parse_grid(&grid)?;
    Ok(Import {
        rows,
        source: SourceKind::Csv {
            encoding,
            delimiter,
        },
        header_row,
        ignored_columns: map.ignored,
        row_numbers,
    })
}

/// Reads an XLSX (or XLS) ledger from the first sheet that has a 管理番号 header.
pub fn import_workbook(bytes: &[u8]) -> Result<Import, ImportError> {
    let mut workbook =
        open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| ImportError::NotAWorkbook {
            detail: e.to_string(),
        })?;
    let mut first_error = None;
    for sheet in workbook.sheet_names() {
        let range = workbook
            .worksheet_range(&sheet)
            .map_err(|e| ImportError::NotAWorkbook {
                detail: e.to_string(),
            })?;
        let top = range.start().map_or(0, |(r, _)| r as usize);
        let left = range.start().map_or(0, |(_, c)| c as usize);
        let grid: Vec<(usize, Vec<Cell>)> = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                let mut row: Vec<Cell> = vec![Cell::Empty; left];
                row.extend(cells.iter().map(workbook_cell));
                (top + i + 1, row)
            })
            .collect();
        match parse_grid(&grid) {
            Ok((header_row, map, rows, row_numbers)) => {
                return Ok(Import {
                    rows,
                    source: SourceKind::Workbook { sheet },
                    header_row,
                    ignored_columns: map.ignored,
                    row_numbers,
                });
            }
            Err(e @ ImportError::MissingColumns { .. }) => {
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(first_error.unwrap_or(ImportError::MissingColumns {
        missing: vec![Column::AssetNo.header().to_owned()],
        found: Vec::new(),
    }))
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

/// What [`parse_grid`] found: header row number, header map, rows and their row numbers.
type Parsed = (usize, HeaderMap, Vec<LedgerRow>, Vec<usize>);

/// Finds the header row, maps it and parses every data row under it.
fn parse_grid(grid: &[(usize, Vec<Cell>)]) -> Result<Parsed, ImportError> {
    let mut best_found: Vec<String> = Vec::new();
    let mut best_score = 0usize;
    let mut header = None;
    for (index, (row_no, cells)) in grid
        .iter()
        .enumerate()
        .filter(|(_, (_, cells))| cells.iter().any(|c| !c.is_blank()))
        .take(HEADER_SEARCH_ROWS)
    {
        let texts: Vec<String> = cells.iter().map(Cell::text).collect();
        let map = map_headers(&texts).map_err(|HeaderProblem::Duplicate { column, headers }| {
            ImportError::DuplicateColumn {
                column: column.header().to_owned(),
                first: headers.0,
                second: headers.1,
            }
        });
        let map = map?;
        if map.positions.contains_key(&Column::AssetNo) {
            header = Some((index, *row_no, map));
            break;
        }
        // Name the headers of the row that looks most like a header row.
        if best_found.is_empty() || map.positions.len() > best_score {
            best_score = map.positions.len();
            best_found = texts.into_iter().filter(|t| !t.is_empty()).collect();
        }
    }
    let Some((index, header_row, map)) = header else {
        return Err(ImportError::MissingColumns {
            missing: vec![Column::AssetNo.header().to_owned()],
            found: best_found,
        });
    };
    let identifiers = [Column::Ip, Column::Mac, Column::ComputerName];
    if !identifiers.iter().any(|c| map.positions.contains_key(c)) {
        return Err(ImportError::MissingColumns {
            missing: vec![format!(
                "{} / {} / {} のいずれか",
                Column::Ip.header(),
                Column::Mac.header(),
                Column::ComputerName.header()
            )],
            found: grid[index]
                .1
                .iter()
                .map(Cell::text)
                .filter(|t| !t.is_empty())
                .collect(),
        });
    }

    let mut rows = Vec::new();
    let mut row_numbers = Vec::new();
    let mut problems = Vec::new();
    let mut asset_rows: HashMap<String, usize> = HashMap::new();
    let mut mac_rows: HashMap<MacAddr, usize> = HashMap::new();
    for (row_no, cells) in &grid[index + 1..] {
        let get = |column: Column| -> &Cell {
            map.positions
                .get(&column)
                .and_then(|&i| cells.get(i))
                .unwrap_or(&Cell::Empty)
        };
        if Column::LEDGER.iter().all(|&c| get(c).is_blank()) {
            continue;
        }
        let mut problem = |column: Column, value: String, message: String| {
            problems.push(RowProblem {
                row: *row_no,
                column,
                value,
                message,
            });
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
            registered_on: parse_registered(get(Column::RegisteredOn)).unwrap_or_else(|(v, m)| {
                problem(Column::RegisteredOn, v, m);
                None
            }),
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
            if let Some(first) = asset_rows.get(&key) {
                problem(
                    Column::AssetNo,
                    row.asset_no.clone(),
                    format!("{first} 行目と同じ管理番号です（重複）"),
                );
            } else {
                asset_rows.insert(key, *row_no);
            }
        }
        if let Some(mac) = row.mac {
            if let Some(first) = mac_rows.get(&mac) {
                problem(
                    Column::Mac,
                    mac.to_string(),
                    format!(
                        "{first} 行目と同じ MAC アドレスです（同じ機器が二重に登録されています）"
                    ),
                );
            } else {
                mac_rows.insert(mac, *row_no);
            }
        }
        rows.push(row);
        row_numbers.push(*row_no);
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| (p.row, p.column));
        return Err(ImportError::InvalidRows(problems));
    }
    if rows.is_empty() {
        return Err(ImportError::NoRows);
    }
    Ok((header_row, map, rows, row_numbers))
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

#[cfg(test)]
mod tests;
