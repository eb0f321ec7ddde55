//! The confirmation request a hospital sends to one 保守事業者 for checklist 2-②: the vendor's
//! devices with what daicho saw, and columns for the vendor to fill (remote maintenance yes/no,
//! how, who answered, when). The same workbook, returned, is read back into the register.
//!
//! The sheet `確認依頼` holds a title block (facility, vendor, date), then a header row and one
//! row per device. The `daicho ID` column ties a returned row to its device; the vendor's name is
//! read back from the title block, so a sheet for one vendor cannot fill another's devices.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use chrono::{DateTime, FixedOffset, NaiveDate};
use daicho_model::remote_maintenance::{RemoteMaintenance, RemoteUse};
use rust_xlsxwriter::{Color, DocProperties, Format, FormatBorder, Workbook};

use crate::checklist::ChecklistDevice;
use crate::checklist::remote_maintenance::register_row;
use crate::export::ExportError;
use crate::text::spreadsheet_unguard;
use crate::xlsx_cell::{CellText as _, xlsx_page_header};

/// The sheet's name.
pub const SHEET: &str = "確認依頼";
/// The label before the vendor's name in the title block.
const VENDOR_LABEL: &str = "保守事業者";
/// The header of the column that ties a row to its device.
const ID_HEADER: &str = "daicho ID";
/// The columns daicho fills, after the id.
const SEEN_HEADERS: [&str; 7] = [
    "管理番号",
    "コンピュータ名",
    "IPアドレス",
    "MACアドレス",
    "設置場所",
    "OS",
    "検出された経路",
];
/// The columns the vendor fills.
const ANSWER_HEADERS: [&str; 5] = [
    "リモート保守（あり/なし）",
    "接続方法",
    "回答者",
    "回答日",
    "備考",
];
/// Rows of the title block before the header row.
const HEADER_ROW: u32 = 5;

/// Who asks whom, and when.
#[derive(Debug, Clone)]
pub struct VendorSheetMeta {
    /// 医療機関名.
    pub facility: String,
    /// The 保守事業者 asked.
    pub vendor: String,
    /// When the sheet was made.
    pub made_at: DateTime<FixedOffset>,
}

/// Writes the confirmation request for `meta.vendor` over `devices` (the vendor's devices: the
/// caller picks them), pre-filled with what the register already holds.
pub fn vendor_sheet_xlsx(
    devices: &[&ChecklistDevice],
    meta: &VendorSheetMeta,
) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title("リモートメンテナンス利用状況の確認のお願い")
            .set_company(meta.facility.as_str()),
    );
    let title = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00D9_E1F2))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let answer_header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00FF_F2CC))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET)?;
    sheet.text_with_format(
        0,
        0,
        "リモートメンテナンス（保守）利用状況の確認のお願い",
        &title,
    )?;
    sheet.text(1, 0, "医療機関")?;
    sheet.text(1, 1, &meta.facility)?;
    sheet.text(2, 0, VENDOR_LABEL)?;
    sheet.text(2, 1, &meta.vendor)?;
    sheet.text(2, 3, "作成日")?;
    sheet.text(2, 4, meta.made_at.format("%Y/%m/%d").to_string())?;
    sheet.text(
        3,
        0,
        "医療情報システムの安全管理に関するチェックリスト 2-② のため、貴社が保守する下記の機器についてリモートメンテナンスの利用の有無をご確認のうえ、黄色の欄にご記入いただき、このファイルのままご返送ください。",
    )?;
    let headers: Vec<&str> = std::iter::once(ID_HEADER)
        .chain(SEEN_HEADERS)
        .chain(ANSWER_HEADERS)
        .collect();
    for (col, text) in headers.iter().enumerate() {
        let format = if col > SEEN_HEADERS.len() {
            &answer_header
        } else {
            &header
        };
        sheet.text_with_format(HEADER_ROW, col as u16, text, format)?;
    }
    for (i, device) in devices.iter().enumerate() {
        let row = HEADER_ROW + 1 + i as u32;
        let register = register_row(device);
        let record = device.remote.clone().unwrap_or_default();
        let location = device
            .ledger
            .as_ref()
            .map(|l| l.location.clone())
            .unwrap_or_default();
        let mac = device
            .mac
            .or_else(|| device.ledger.as_ref().and_then(|l| l.mac))
            .map(|m| m.to_string())
            .unwrap_or_default();
        let cells = [
            device.device_id.to_string(),
            register[0].clone(),
            register[1].clone(),
            register[2].clone(),
            mac,
            location,
            device.os.clone(),
            register[8].clone(),
            match record.remote {
                RemoteUse::Unknown => String::new(),
                known => known.label().to_owned(),
            },
            record.method,
            record.confirmed_with,
            record
                .confirmed_on
                .map(|d| d.format("%Y/%m/%d").to_string())
                .unwrap_or_default(),
            String::new(),
        ];
        for (col, text) in cells.iter().enumerate() {
            sheet.text_with_format(row, col as u16, text, &cell)?;
        }
    }
    let widths = [
        9.0, 10.0, 16.0, 14.0, 18.0, 12.0, 18.0, 30.0, 14.0, 18.0, 14.0, 12.0, 20.0,
    ];
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_freeze_panes(HEADER_ROW + 1, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    sheet.set_header(xlsx_page_header(
        &meta.facility,
        "&Cリモートメンテナンス確認&R&D",
    ));
    Ok(workbook.save_to_buffer()?)
}

/// One answered row of a returned sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorAnswer {
    /// The device (`daicho ID`).
    pub device_id: i64,
    /// The spreadsheet row number (1-based), for messages.
    pub row: usize,
    /// The register entry the answer makes, its vendor the sheet's.
    pub record: RemoteMaintenance,
}

/// A returned sheet: its vendor and the rows the vendor answered (rows left blank are not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorReply {
    /// The 保守事業者 named in the title block.
    pub vendor: String,
    /// The answered rows.
    pub answers: Vec<VendorAnswer>,
}

/// Why a returned sheet cannot be read. Every message names the row and column.
#[derive(Debug, thiserror::Error)]
pub enum VendorSheetError {
    /// Not a workbook, or no sheet 確認依頼.
    #[error("確認依頼書として読めません: {0}")]
    NotASheet(String),
    /// A cell does not hold what its column asks for.
    #[error("{row} 行目の「{column}」: {problem}")]
    Cell {
        /// The spreadsheet row number.
        row: usize,
        /// The column's header.
        column: &'static str,
        /// What is wrong.
        problem: String,
    },
}

/// The text of a cell, formula guard removed; dates as `YYYY/MM/DD`.
fn cell_text(data: Option<&Data>) -> String {
    match data {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) => spreadsheet_unguard(s.trim()).to_owned(),
        Some(Data::Float(f)) => format!("{f}"),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::DateTime(dt)) => dt.as_datetime().map_or_else(
            || dt.as_f64().to_string(),
            |t| t.format("%Y/%m/%d").to_string(),
        ),
        Some(other) => other.to_string(),
    }
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    ["%Y/%m/%d", "%Y-%m-%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
}

/// Reads a returned confirmation sheet.
pub fn read_vendor_sheet(bytes: &[u8]) -> Result<VendorReply, VendorSheetError> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| VendorSheetError::NotASheet(e.to_string()))?;
    let range = book
        .worksheet_range(SHEET)
        .map_err(|_| VendorSheetError::NotASheet(format!("シート「{SHEET}」がありません")))?;
    let at = |row: usize, col: usize| cell_text(range.get((row, col)));
    // Positions are the range's own (it starts at the first cell used); rows are reported as
    // the spreadsheet numbers them.
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let find = |text: &str, rows: std::ops::Range<usize>| {
        rows.flat_map(|r| (0..range.width()).map(move |c| (r, c)))
            .find(|&(r, c)| at(r, c) == text)
    };
    let (header, id_col) = find(ID_HEADER, 0..range.height().min(20))
        .ok_or_else(|| VendorSheetError::NotASheet(format!("見出し「{ID_HEADER}」がありません")))?;
    let vendor = find(VENDOR_LABEL, 0..header)
        .map(|(r, c)| at(r, c + 1))
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            VendorSheetError::NotASheet(format!("「{VENDOR_LABEL}」の欄がありません"))
        })?;
    let column = |name: &str| (0..range.width()).find(|&c| at(header, c) == name);
    let [remote_col, method_col, who_col, day_col] =
        [0, 1, 2, 3].map(|i| column(ANSWER_HEADERS[i]));
    let (Some(remote_col), Some(method_col), Some(who_col), Some(day_col)) =
        (remote_col, method_col, who_col, day_col)
    else {
        return Err(VendorSheetError::NotASheet(format!(
            "記入欄の見出し（{}）がそろっていません",
            ANSWER_HEADERS[..4].join("、")
        )));
    };
    let mut answers = Vec::new();
    for r in header + 1..range.height() {
        let row = first_row + r + 1;
        let id_text = at(r, id_col);
        let (remote, method, who, day) = (
            at(r, remote_col),
            at(r, method_col),
            at(r, who_col),
            at(r, day_col),
        );
        if id_text.is_empty() {
            continue;
        }
        if remote.is_empty() && method.is_empty() && who.is_empty() && day.is_empty() {
            continue;
        }
        let cell_error = |column: &'static str, problem: String| VendorSheetError::Cell {
            row,
            column,
            problem,
        };
        let device_id = id_text.parse::<i64>().map_err(|_| {
            cell_error(ID_HEADER, format!("`{id_text}` は機器の番号ではありません"))
        })?;
        let remote = RemoteUse::parse(&remote).ok_or_else(|| {
            cell_error(
                ANSWER_HEADERS[0],
                format!("`{remote}` は「あり」「なし」のどちらでもありません"),
            )
        })?;
        let confirmed_on = if day.is_empty() {
            None
        } else {
            Some(parse_day(&day).ok_or_else(|| {
                cell_error(
                    ANSWER_HEADERS[3],
                    format!("`{day}` は日付（2026/12/01）ではありません"),
                )
            })?)
        };
        answers.push(VendorAnswer {
            device_id,
            row,
            record: RemoteMaintenance {
                vendor: vendor.clone(),
                remote,
                method,
                confirmed_with: who,
                confirmed_on,
            },
        });
    }
    Ok(VendorReply { vendor, answers })
}

#[cfg(test)]
mod tests;
