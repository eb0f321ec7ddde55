//! Group-heading rows: 【外来棟】, ■3階, ＜サーバ室＞, 2F 医事課 — a hand-kept ledger groups its
//! devices under such rows. They are skipped (neither a device nor a problem) and listed in
//! [`Import::skipped_headings`](super::Import::skipped_headings).
//!
//! # The rule
//!
//! A data row is a heading when it has **exactly one non-blank cell**, that cell is **not a
//! bare number** (a pre-numbered empty row, `12`, is a blank row as before), and one of:
//!
//! 1. the cell starts a merged range across several columns (XLSX/XLS);
//! 2. its text starts with a heading mark ([`HEADING_MARKS`]: 【 ［ [ ＜ < 〈 《 ≪ ■ □ ● ◆ ◇ ▼ ▽ ▲ △
//!    ★ ☆ ◎ ※);
//! 3. the cell is not in an identifying column (管理番号, IPアドレス, MACアドレス, コンピュータ名):
//!    in an unread column, or in 設置場所, 説明, …, a lone value describes a group, not a device;
//! 4. the cell is in the 管理番号 column and does not look like an asset number: it has no digit
//!    (`外来棟`), or it has a space and non-ASCII text (`2F 医事課`).
//!
//! Otherwise the row is read as a device: a lone `A-100` or `PC 001` in the 管理番号 column is a
//! device with nothing else known, and a lone IP, MAC or コンピュータ名 is a device row whose
//! blank 管理番号 is reported, so nothing that may be a device disappears unseen.

use super::Cell;
use crate::header::HeaderMap;
use crate::row::Column;

/// The marks a heading's text may start with.
pub const HEADING_MARKS: &[char] = &[
    '【', '［', '[', '＜', '<', '〈', '《', '≪', '■', '□', '●', '◆', '◇', '▼', '▽', '▲', '△', '★',
    '☆', '◎', '※',
];

/// True when `text` starts with one of the [`HEADING_MARKS`].
pub fn is_heading_mark(text: &str) -> bool {
    text.trim_start().starts_with(HEADING_MARKS)
}

/// The heading's text if `cells` is a heading row under `map` (see the [module](self) docs).
/// `merged(col)` says whether the cell in column `col` starts a merged range across columns.
pub(super) fn heading_text(
    cells: &[Cell],
    map: &HeaderMap,
    merged: impl Fn(usize) -> bool,
) -> Option<String> {
    let mut filled = cells.iter().enumerate().filter(|(_, c)| !c.is_blank());
    let (index, cell) = filled.next()?;
    if filled.next().is_some() {
        return None;
    }
    let text = cell.text();
    let bare_number = matches!(cell, Cell::Number(_))
        || text
            .chars()
            .all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
    if bare_number || text.is_empty() {
        return None;
    }
    let column = map
        .positions
        .iter()
        .find(|&(_, &i)| i == index)
        .map(|(c, _)| *c);
    let heading = merged(index)
        || is_heading_mark(&text)
        || match column {
            Some(Column::AssetNo) => !looks_like_asset_no(&text),
            Some(Column::Ip | Column::Mac | Column::ComputerName) => false,
            _ => true,
        };
    heading.then_some(text)
}

/// True unless the text has no digit, or has a space and non-ASCII text.
fn looks_like_asset_no(text: &str) -> bool {
    let has_digit = text
        .chars()
        .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
    let spaced_words = text.contains(char::is_whitespace) && !text.is_ascii();
    has_digit && !spaced_words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::map_headers;

    fn map() -> HeaderMap {
        let headers: Vec<String> = [
            "管理番号",
            "設置場所",
            "IPアドレス",
            "MACアドレス",
            "備考欄外",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        map_headers(&headers).unwrap()
    }

    fn row(col: usize, text: &str) -> Vec<Cell> {
        let mut cells = vec![Cell::Empty; 5];
        cells[col] = Cell::Text(text.to_owned());
        cells
    }

    fn heading(col: usize, text: &str) -> Option<String> {
        heading_text(&row(col, text), &map(), |_| false)
    }

    #[test]
    fn headings() {
        assert_eq!(heading(0, "【外来棟】").as_deref(), Some("【外来棟】"));
        assert_eq!(heading(0, "■3階").as_deref(), Some("■3階"));
        assert_eq!(heading(0, "＜サーバ室＞").as_deref(), Some("＜サーバ室＞"));
        assert_eq!(heading(0, "2F 医事課").as_deref(), Some("2F 医事課"));
        assert_eq!(heading(0, "外来棟").as_deref(), Some("外来棟"));
        // Not in an identifying column.
        assert_eq!(
            heading(1, "3階 ナースステーション").as_deref(),
            Some("3階 ナースステーション")
        );
        assert_eq!(heading(4, "放射線科").as_deref(), Some("放射線科"));
        // Merged across columns, even in the 管理番号 column.
        assert_eq!(
            heading_text(&row(0, "A棟-2"), &map(), |c| c == 0).as_deref(),
            Some("A棟-2")
        );
    }

    #[test]
    fn devices_and_blank_rows_are_not_headings() {
        // A lone asset number is a device with nothing else known.
        assert_eq!(heading(0, "A-100"), None);
        assert_eq!(heading(0, "PC 001"), None);
        assert_eq!(heading(0, "２０２０－１５"), None);
        // A lone identifier is a device row (its blank 管理番号 is then reported).
        assert_eq!(heading(2, "10.0.0.5"), None);
        assert_eq!(heading(3, "00:1b:21:00:00:01"), None);
        // A pre-numbered empty row is blank, not a heading.
        assert_eq!(heading(4, "12"), None);
        let mut number = vec![Cell::Empty; 5];
        number[4] = Cell::Number(7.0);
        assert_eq!(heading_text(&number, &map(), |_| true), None);
        // Two cells: not a heading.
        let mut two = row(0, "【外来棟】");
        two[1] = Cell::Text("5台".into());
        assert_eq!(heading_text(&two, &map(), |_| true), None);
    }
}
