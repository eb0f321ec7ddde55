//! Writing the ledger: XLSX for people, CSV for other tools.
//!
//! Both put the twelve MHLW columns first and in the manual's order, then MACアドレス,
//! ベンダー, 最終確認日時, 開放サービス and フラグ, with Japanese headers. Either file imports back
//! to the same [`LedgerRow`](crate::LedgerRow)s ([`import_ledger`](crate::import_ledger)
//! recognises and skips the four observed columns).
//!
//! CSV details: rows end in CRLF. UTF-8 output starts with a BOM so that Excel opens it as
//! UTF-8. CP932 output goes through [`cp932_text`]: invisible characters (zero-width, bidi
//! controls) are dropped and what CP932 cannot hold (emoji, `€`) becomes `〓`; the
//! [`Cp932Notice`] of [`CsvFile::notice`] counts them and names the first few by row and
//! column, for the caller to show — nothing is lost silently, and one odd vendor string no
//! longer fails the whole export. Every cell then goes through [`spreadsheet_cell`] (a cell
//! starting with `=`, `+`, `-`, `@`, TAB, CR or a full-width `＝＋－＠` gets a leading `'`, which
//! import strips again) — host names come from the network and must not run in the
//! operator's Excel. The XLSX export writes every text as a string cell (never a formula) through
//! [`xlsx_cell`](crate::xlsx_cell::xlsx_cell): the same guard, and a cut at Excel's 32,767-unit
//! cell limit with a marker, so one over-long joined cell no longer fails the workbook.

use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, XlsxError,
};

use crate::row::{Column, ExportRow, LedgerRowText as _, flag_label};
use crate::text::{cp932_text, display_width, spreadsheet_cell};
use crate::xlsx_cell::{CellText as _, xlsx_page_header};

/// Facts written beside the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportMeta {
    /// When the export was made; its offset is the one times are shown in (JST for Japan).
    pub generated_at: DateTime<FixedOffset>,
    /// The facility (医療機関名), shown on the metadata sheet.
    pub facility: String,
    /// The tool and version that wrote the file, e.g. `daicho 0.1.0`.
    pub generator: String,
}

/// The CSV encodings the export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvEncoding {
    /// UTF-8 with a byte-order mark (Excel opens it correctly).
    Utf8Bom,
    /// Shift_JIS/CP932, for older tools that read nothing else.
    Cp932,
}

/// A character CP932 cannot hold, as the [`Cp932Notice`] names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrepresentable {
    /// Spreadsheet row (header = 1).
    pub row: usize,
    /// The column header.
    pub column: &'static str,
    /// The character.
    pub character: char,
}

/// A CSV export: the file and, for CP932, what had to be changed to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    /// The file.
    pub bytes: Vec<u8>,
    /// Set when a CP932 export replaced or dropped characters; tell the operator.
    pub notice: Option<Cp932Notice>,
}

/// How many characters a CP932 export could not write as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cp932Notice {
    /// Characters CP932 cannot hold, written as `〓`.
    pub replaced: usize,
    /// Invisible characters (zero-width, bidi controls, variation selectors) left out.
    pub dropped: usize,
    /// The first [`Cp932Notice::EXAMPLES`] changed characters, by row and column.
    pub first: Vec<Unrepresentable>,
}

impl Cp932Notice {
    /// How many changed characters the notice names.
    pub const EXAMPLES: usize = 5;

    /// The notice in ASCII, for an HTTP header.
    pub fn ascii(&self) -> String {
        format!(
            "CP932: {} character(s) replaced with U+3013, {} invisible character(s) dropped",
            self.replaced, self.dropped
        )
    }
}

impl std::fmt::Display for Cp932Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CP932 (Shift_JIS) で表せない文字 {} 個を「〓」に置き換え、見えない制御文字 {} 個を除きました",
            self.replaced, self.dropped
        )?;
        if !self.first.is_empty() {
            let shown: Vec<String> = self
                .first
                .iter()
                .map(|u| {
                    format!(
                        "{} 行目 {} の U+{:04X}",
                        u.row, u.column, u.character as u32
                    )
                })
                .collect();
            write!(f, " ({}", shown.join(", "))?;
            if self.replaced + self.dropped > self.first.len() {
                write!(f, " ほか")?;
            }
            write!(f, ")")?;
        }
        write!(f, "。元の文字が必要なら UTF-8 で出力してください")
    }
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The XLSX writer failed.
    #[error("XLSX を書けません: {0}")]
    Xlsx(#[from] XlsxError),
    /// The CSV writer failed.
    #[error("CSV を書けません: {0}")]
    Csv(String),
}

/// The text of every export column for one row, in [`Column::ALL`] order.
pub fn export_cells(row: &ExportRow, offset: FixedOffset) -> Vec<String> {
    Column::ALL
        .iter()
        .map(|&column| match column {
            Column::Vendor => row.vendor.clone(),
            Column::LastSeen => row
                .last_seen
                .map(|t| {
                    t.with_timezone(&offset)
                        .format("%Y/%m/%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            Column::OpenServices => row.open_services.join(", "),
            Column::Flags => flags_text(row),
            Column::SwitchPort => row.switch_port.clone(),
            ledger => row.ledger.text(ledger).unwrap_or_default(),
        })
        .collect()
}

fn flags_text(row: &ExportRow) -> String {
    row.flags
        .iter()
        .map(|f| match &f.service {
            Some(service) => format!("{}({service})", flag_label(f.kind)),
            None => flag_label(f.kind).to_owned(),
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Writes the ledger as CSV, every cell through [`spreadsheet_cell`] (after [`cp932_text`] for
/// CP932, so dropping an invisible first character cannot expose a formula).
pub fn export_csv(
    rows: &[ExportRow],
    meta: &ExportMeta,
    encoding: CsvEncoding,
) -> Result<CsvFile, ExportError> {
    let offset = *meta.generated_at.offset();
    let mut table: Vec<Vec<String>> =
        vec![Column::ALL.iter().map(|c| c.header().to_owned()).collect()];
    table.extend(rows.iter().map(|r| export_cells(r, offset)));
    let mut notice = Cp932Notice::default();
    if encoding == CsvEncoding::Cp932 {
        for (i, cells) in table.iter_mut().enumerate() {
            for (column, cell) in Column::ALL.iter().zip(cells.iter_mut()) {
                let (text, changes) = cp932_text(cell);
                if changes == crate::text::Cp932Changes::default() {
                    continue;
                }
                for character in unrepresentable_in_cp932(cell) {
                    if notice.first.len() < Cp932Notice::EXAMPLES {
                        notice.first.push(Unrepresentable {
                            row: i + 1,
                            column: column.header(),
                            character,
                        });
                    }
                }
                notice.replaced += changes.replaced;
                notice.dropped += changes.dropped;
                *cell = text.into_owned();
            }
        }
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for cells in &table {
        writer
            .write_record(cells.iter().map(|c| spreadsheet_cell(c).into_owned()))
            .map_err(|e| ExportError::Csv(e.to_string()))?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ExportError::Csv(e.to_string()))?;
    let bytes = match encoding {
        CsvEncoding::Utf8Bom => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            out.extend(body);
            out
        }
        CsvEncoding::Cp932 => {
            let text = String::from_utf8(body).map_err(|e| ExportError::Csv(e.to_string()))?;
            let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(&text);
            if had_errors {
                return Err(ExportError::Csv(
                    "CP932 に置き換えた後も書けない文字が残りました".into(),
                ));
            }
            bytes.into_owned()
        }
    };
    let changed = notice.replaced + notice.dropped > 0;
    Ok(CsvFile {
        bytes,
        notice: changed.then_some(notice),
    })
}

/// The characters of `text` that CP932 cannot hold, each once, in order.
pub fn unrepresentable_in_cp932(text: &str) -> Vec<char> {
    let (_, _, had_errors) = encoding_rs::SHIFT_JIS.encode(text);
    if !had_errors {
        return Vec::new();
    }
    let mut bad = Vec::new();
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let (_, _, err) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
        if err && !bad.contains(&c) {
            bad.push(c);
        }
    }
    bad
}

/// Column widths in Excel character units: wide enough for the header and most values,
/// capped so one long 説明 does not push everything off the page.
fn column_widths(rows: &[Vec<String>]) -> Vec<f64> {
    Column::ALL
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let widest = rows
                .iter()
                .map(|cells| display_width(&cells[i]))
                .max()
                .unwrap_or(0)
                .max(display_width(column.header()));
            (widest as f64 + 2.0).clamp(8.0, 50.0)
        })
        .collect()
}

fn excel_date(date: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(date.year() as u16, date.month() as u8, date.day() as u8)
}

/// Writes the ledger as an XLSX workbook: sheet 機器台帳 (frozen header row, filters, widths,
/// A4 landscape print setup with the header repeated on every page, 登録日 and 最終確認日時 as
/// real dates) and sheet 作成情報 (facility, generation time, row count, flag legend).
pub fn export_xlsx(rows: &[ExportRow], meta: &ExportMeta) -> Result<Vec<u8>, ExportError> {
    let offset = *meta.generated_at.offset();
    let cells: Vec<Vec<String>> = rows.iter().map(|r| export_cells(r, offset)).collect();
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title("機器台帳")
            .set_company(meta.facility.as_str())
            .set_author(meta.generator.as_str()),
    );
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00D9_E1F2))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let text = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let date = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("yyyy/m/d");
    let datetime = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("yyyy/m/d hh:mm");

    let sheet = workbook.add_worksheet();
    sheet.set_name("機器台帳")?;
    for (col, column) in Column::ALL.iter().enumerate() {
        sheet.text_with_format(0, col as u16, column.header(), &header)?;
    }
    for (i, (row, values)) in rows.iter().zip(&cells).enumerate() {
        let r = (i + 1) as u32;
        for (col, (column, value)) in Column::ALL.iter().zip(values).enumerate() {
            let col = col as u16;
            match column {
                Column::RegisteredOn if row.ledger.registered_on.is_some() => {
                    let d = row.ledger.registered_on.expect("checked");
                    sheet.write_datetime_with_format(r, col, excel_date(d)?, &date)?;
                }
                Column::LastSeen if row.last_seen.is_some() => {
                    let t = row.last_seen.expect("checked").with_timezone(&offset);
                    let value = excel_date(t.date_naive())?.and_hms(
                        t.hour() as u16,
                        t.minute() as u8,
                        t.second(),
                    )?;
                    sheet.write_datetime_with_format(r, col, value, &datetime)?;
                }
                _ => {
                    sheet.text_with_format(r, col, value, &text)?;
                }
            }
        }
    }
    let last_col = (Column::ALL.len() - 1) as u16;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows.len() as u32, last_col)?;
    for (col, width) in column_widths(&cells).into_iter().enumerate() {
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    sheet.set_header(xlsx_page_header(&meta.facility, "&C機器台帳&R&D"));
    sheet.set_footer("&C&P / &N");

    let info = workbook.add_worksheet();
    info.set_name("作成情報")?;
    let bold = Format::new().set_bold();
    let lines: Vec<(String, String)> = vec![
        ("医療機関名".into(), meta.facility.clone()),
        (
            "作成日時".into(),
            meta.generated_at.format("%Y/%m/%d %H:%M (UTC%:z)").to_string(),
        ),
        ("件数".into(), rows.len().to_string()),
        ("作成ツール".into(), meta.generator.clone()),
        (
            "列".into(),
            "管理番号〜説明は厚生労働省「医療機関におけるサイバーセキュリティ対策チェックリストマニュアル」2-① の機器台帳の例の列です。MACアドレス以降は daicho がネットワーク上で確認した内容です。".into(),
        ),
    ];
    for (i, (k, v)) in lines.iter().enumerate() {
        info.text_with_format(i as u32, 0, k, &bold)?;
        info.text(i as u32, 1, v)?;
    }
    let legend_top = lines.len() as u32 + 1;
    info.text_with_format(legend_top, 0, "フラグ", &bold)?;
    for (i, kind) in daicho_policy::FlagKind::ALL.iter().enumerate() {
        info.text(legend_top + 1 + i as u32, 0, flag_label(*kind))?;
        info.text(legend_top + 1 + i as u32, 1, flag_meaning(*kind))?;
    }
    info.set_column_width(0, 16)?;
    info.set_column_width(1, 100)?;
    Ok(workbook.save_to_buffer()?)
}

/// What a flag means, for the legend.
pub fn flag_meaning(kind: daicho_policy::FlagKind) -> &'static str {
    use daicho_policy::FlagKind as K;
    match kind {
        K::EolOs => "OS・ファームウェアのサポートが終了している (2-⑥)",
        K::OsUnpatched => "一定期間、更新プログラムが適用されていない (2-⑥)",
        K::VulnerableFirmware => "悪用が確認されている脆弱性のあるファームウェア (2-⑥)",
        K::UnneededService => "役割や例外で認められていないサービスが動いている (2-⑫)",
        K::Unregistered => "ネットワーク上で見つかったが台帳に登録されていない (2-①)",
        K::RandomizedMac => "ランダム化された MAC アドレス。私物・来訪者端末の可能性 (2-⑬)",
        K::Missing => "台帳にあるが一定期間ネットワーク上で確認できない (2-①)",
    }
}

/// The current time as the export's default `generated_at` in JST (+09:00).
pub fn now_jst() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&FixedOffset::east_opt(9 * 3600).expect("valid offset"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp932_coverage() {
        assert!(unrepresentable_in_cp932("電子カルテ ①② 髙橋 ㈱ ～ －").is_empty());
        assert_eq!(unrepresentable_in_cp932("😀a😀€"), vec!['😀', '€']);
    }
}
