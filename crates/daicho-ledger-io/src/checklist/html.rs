//! The checklist evidence as one self-contained HTML document, printable on A4.
//!
//! No scripts, fonts, images or links to fetch: the file is the evidence and must print the
//! same in ten years. Every value is HTML-escaped.

use std::fmt::Write as _;

use super::{Answer, ChecklistReport, Evidence, ItemResult};

/// Escapes text for HTML element content and attribute values: `daicho-model`'s one markup
/// neutraliser.
pub use daicho_model::display_text::markup_text as escape;

const STYLE: &str = r#"
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Kaku Gothic ProN", "Yu Gothic", "Meiryo", sans-serif;
  font-size: 10pt; line-height: 1.5; color: #000; margin: 0 auto; max-width: 186mm; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; padding: 1mm 2mm; background: #eef2f8; border-left: 3pt solid #34507a; }
h3 { font-size: 10pt; margin: 3mm 0 1mm; }
.meta { margin: 0 0 3mm; }
.meta td { padding: 0 4mm 0 0; border: none; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 2mm; }
th, td { border: 0.5pt solid #666; padding: 1mm 1.5mm; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
.nowrap { white-space: nowrap; }
th { background: #e6e6e6; font-weight: bold; white-space: nowrap; }
td.code { white-space: nowrap; font-size: 8.5pt; font-variant-numeric: tabular-nums; }
td.words { overflow-wrap: break-word; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.answer { font-weight: bold; padding: 0 2mm; border: 1pt solid #000; }
.yes { background: #e3f4e3; }
.no { background: #fbe3e3; }
.not-required { background: #eeeeee; }
.none { color: #555; }
.rule { font-size: 9pt; color: #333; }
section { break-before: auto; }
section + section { break-before: page; page-break-before: always; }
.summary td.answer-cell { text-align: center; white-space: nowrap; }
.summary th { white-space: nowrap; }
footer { margin-top: 6mm; font-size: 8pt; color: #555; }
@media screen { body { padding: 8mm; } }
"#;

fn answer_class(answer: Answer) -> &'static str {
    match answer {
        Answer::Yes => "yes",
        Answer::No => "no",
        Answer::NotRequired => "not-required",
    }
}

/// How a column's cells wrap. Short codes an inspector compares character by character
/// (addresses, ledger numbers, dates, the device kind) never wrap and get a narrower font; names
/// (OS, host, service) wrap between words; free text (reasons, banners, service lists) anywhere,
/// so that no hostile or long value can push the table off the A4 page.
fn column_class(header: &str) -> &'static str {
    match header {
        "管理番号" | "IPアドレス" | "MACアドレス" | "最終確認日時" | "登録日" | "期限" | "種別" => {
            " class=\"code\""
        }
        "OS" | "OS・ファームウェア" | "コンピュータ名" | "ホスト名" | "サービス" | "問題" => {
            " class=\"words\""
        }
        _ => "",
    }
}

fn table(out: &mut String, evidence: &Evidence) {
    let _ = writeln!(
        out,
        "<h3>{}（{} 件）</h3>",
        escape(&evidence.caption),
        evidence.rows.len()
    );
    if evidence.rows.is_empty() {
        out.push_str("<p class=\"none\">該当なし</p>\n");
        return;
    }
    out.push_str("<table>\n<thead><tr>");
    for h in &evidence.headers {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let classes: Vec<&str> = evidence.headers.iter().map(|h| column_class(h)).collect();
    for row in &evidence.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = classes.get(i).copied().unwrap_or("");
            let _ = write!(out, "<td{class}>{}</td>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn item(out: &mut String, result: &ItemResult) {
    let _ = writeln!(
        out,
        "<section id=\"item-{}\">",
        escape(result.item.number())
    );
    let _ = writeln!(
        out,
        "<h2>{} {}</h2>",
        escape(result.item.number()),
        escape(result.item.title())
    );
    let _ = writeln!(
        out,
        "<p>回答: <span class=\"answer {}\">{}</span>　確認日: {}</p>",
        answer_class(result.answer),
        result.answer.label(),
        result.checked_on.format("%Y年%m月%d日")
    );
    let _ = writeln!(
        out,
        "<p class=\"rule\">判定基準: {}</p>",
        escape(&result.rule)
    );
    out.push_str("<ul>\n");
    for f in &result.findings {
        let _ = writeln!(out, "<li>{}</li>", escape(f));
    }
    out.push_str("</ul>\n");
    if !result.actions.is_empty() {
        out.push_str("<h3>「はい」にするために</h3>\n<ol>\n");
        for a in &result.actions {
            let _ = writeln!(out, "<li>{}</li>", escape(a));
        }
        out.push_str("</ol>\n");
    }
    for evidence in &result.evidence {
        table(out, evidence);
    }
    out.push_str("</section>\n");
}

/// Renders the report as a complete HTML document (UTF-8).
pub fn render_html(report: &ChecklistReport) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<title>サイバーセキュリティ対策チェックリスト 確認資料 - {}</title>",
        escape(&report.facility)
    );
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    out.push_str(
        "<header>\n<h1>医療機関におけるサイバーセキュリティ対策チェックリスト 確認資料</h1>\n",
    );
    out.push_str("<table class=\"meta\">\n");
    let _ = writeln!(
        out,
        "<tr><td>医療機関名</td><td>{}</td></tr>",
        escape(&report.facility)
    );
    let _ = writeln!(
        out,
        "<tr><td>確認日時</td><td>{}</td></tr>",
        report.checked_at.format("%Y年%m月%d日 %H:%M (UTC%:z)")
    );
    let _ = writeln!(
        out,
        "<tr><td>対象機器</td><td>{} 台（台帳登録 {} 台）</td></tr>",
        report.device_count, report.registered_count
    );
    out.push_str("</table>\n</header>\n");
    out.push_str("<table class=\"summary\">\n<thead><tr><th>項目</th><th>内容</th><th>回答</th><th>確認日</th></tr></thead>\n<tbody>\n");
    for r in &report.items {
        let _ = writeln!(
            out,
            "<tr><td class=\"nowrap\">{}</td><td>{}</td><td class=\"answer-cell\"><span class=\"answer {}\">{}</span></td><td class=\"nowrap\">{}</td></tr>",
            escape(r.item.number()),
            escape(r.item.title()),
            answer_class(r.answer),
            r.answer.label(),
            r.checked_on.format("%Y/%m/%d")
        );
    }
    out.push_str("</tbody>\n</table>\n");
    for r in &report.items {
        item(&mut out, r);
    }
    out.push_str("<footer>daicho がネットワーク上で確認した内容と機器台帳から作成しました。判定基準は各項目に記載しています。</footer>\n");
    out.push_str("</body>\n</html>\n");
    out
}
