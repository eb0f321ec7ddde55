//! The checklist evidence as an XLSX workbook: a summary sheet and one sheet per item.

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};

use super::ChecklistReport;
use crate::xlsx_cell::CellText as _;

/// Renders the report as an XLSX workbook.
pub fn render_xlsx(report: &ChecklistReport) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00E6_E6E6))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let yes = cell
        .clone()
        .set_bold()
        .set_background_color(Color::RGB(0x00E3_F4E3));
    let no = cell
        .clone()
        .set_bold()
        .set_background_color(Color::RGB(0x00FB_E3E3));
    let wrap = Format::new().set_text_wrap();

    let summary = workbook.add_worksheet();
    summary.set_name("チェックリスト")?;
    summary.text_with_format(
        0,
        0,
        "医療機関におけるサイバーセキュリティ対策チェックリスト 確認資料",
        &title,
    )?;
    summary.text_with_format(1, 0, "医療機関名", &bold)?;
    summary.text(1, 1, &report.facility)?;
    summary.text_with_format(2, 0, "確認日時", &bold)?;
    summary.text(
        2,
        1,
        report
            .checked_at
            .format("%Y/%m/%d %H:%M (UTC%:z)")
            .to_string(),
    )?;
    summary.text_with_format(3, 0, "対象機器", &bold)?;
    summary.text(
        3,
        1,
        format!(
            "{} 台（台帳登録 {} 台）",
            report.device_count, report.registered_count
        ),
    )?;
    let heads = [
        "項目",
        "内容",
        "回答",
        "確認日",
        "判定基準",
        "「はい」にするために",
    ];
    for (c, h) in heads.iter().enumerate() {
        summary.text_with_format(5, c as u16, *h, &header)?;
    }
    for (i, r) in report.items.iter().enumerate() {
        let row = 6 + i as u32;
        summary.text_with_format(row, 0, r.item.number(), &cell)?;
        summary.text_with_format(row, 1, r.item.title(), &cell)?;
        let answer_format = if r.answer.is_done() { &yes } else { &no };
        summary.text_with_format(row, 2, r.answer.label(), answer_format)?;
        summary.text_with_format(row, 3, r.checked_on.format("%Y/%m/%d").to_string(), &cell)?;
        summary.text_with_format(row, 4, &r.rule, &cell)?;
        summary.text_with_format(row, 5, r.actions.join("\n"), &cell)?;
    }
    for (c, w) in [8.0, 40.0, 8.0, 12.0, 50.0, 50.0].iter().enumerate() {
        summary.set_column_width(c as u16, *w)?;
    }
    summary.set_landscape();
    summary.set_paper_size(9);
    summary.set_print_fit_to_pages(1, 0);

    for r in &report.items {
        let sheet = workbook.add_worksheet();
        sheet.set_name(format!("{}{}", r.item.number(), r.item.short()))?;
        sheet.text_with_format(
            0,
            0,
            format!("{} {}", r.item.number(), r.item.title()),
            &title,
        )?;
        sheet.text_with_format(1, 0, "回答", &bold)?;
        sheet.text_with_format(
            1,
            1,
            r.answer.label(),
            if r.answer.is_done() { &yes } else { &no },
        )?;
        sheet.text_with_format(2, 0, "確認日", &bold)?;
        sheet.text(2, 1, r.checked_on.format("%Y/%m/%d").to_string())?;
        sheet.text_with_format(3, 0, "判定基準", &bold)?;
        sheet.text_with_format(3, 1, &r.rule, &wrap)?;
        let mut row = 4u32;
        for f in &r.findings {
            sheet.text(row, 1, f)?;
            row += 1;
        }
        if !r.actions.is_empty() {
            sheet.text_with_format(row, 0, "「はい」にするために", &bold)?;
            for a in &r.actions {
                sheet.text_with_format(row, 1, a, &wrap)?;
                row += 1;
            }
        }
        for evidence in &r.evidence {
            row += 1;
            sheet.text_with_format(
                row,
                0,
                format!("{}（{} 件）", evidence.caption, evidence.rows.len()),
                &bold,
            )?;
            row += 1;
            for (c, h) in evidence.headers.iter().enumerate() {
                sheet.text_with_format(row, c as u16, h, &header)?;
            }
            row += 1;
            if evidence.rows.is_empty() {
                sheet.text(row, 0, "該当なし")?;
                row += 1;
            }
            for values in &evidence.rows {
                for (c, v) in values.iter().enumerate() {
                    sheet.text_with_format(row, c as u16, v, &cell)?;
                }
                row += 1;
            }
        }
        for c in 0..6u16 {
            sheet.set_column_width(c, if c == 0 { 18.0 } else { 26.0 })?;
        }
        sheet.set_landscape();
        sheet.set_paper_size(9);
        sheet.set_print_fit_to_pages(1, 0);
    }
    workbook.save_to_buffer()
}
