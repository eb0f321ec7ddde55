//! The one way a text goes into an XLSX cell: every workbook this crate writes (the ledger
//! export and the checklist evidence) writes its strings through [`CellText`], never through
//! `write_string` directly.
//!
//! A cell gets, in this order:
//!
//! 1. the spreadsheet formula guard [`spreadsheet_cell`] (a leading `'` before `=`, `+`, `-`,
//!    `@`, TAB, CR and the full-width forms), as in every CSV: the cell is a string cell and
//!    never evaluated as written, but an operator who edits it in Excel (F2, Enter) would turn
//!    `=HYPERLINK(…)` into a formula; import strips the guard again;
//! 2. a cut at Excel's limit of [`XLSX_CELL_MAX`] (32,767 UTF-16 code units, as Excel and
//!    rust_xlsxwriter count) with the marker of `daicho_model::bounds` (`…[truncated N
//!    chars]`), the marker included in the limit. Device strings are bounded on receipt, but a
//!    cell that joins many values is not: a device's open services accumulate over reports
//!    whose scopes probe different ports (1,024 services from two agents make a 45,000-character
//!    開放サービス cell), and an imported 説明 or an operator's restriction record can be any
//!    length. Without the cut one such cell fails the whole workbook.
//!
//! A page header (printed on every page) goes through [`xlsx_page_header`]: Excel holds at most
//! [`XLSX_HEADER_MAX`] characters there, control codes included, and rust_xlsxwriter silently
//! drops a longer header; the 医療機関名 in it is an operator setting of any length.

use std::borrow::Cow;

use daicho_model::bounds::truncate_marked;
use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use crate::text::spreadsheet_cell;

/// Most UTF-16 code units Excel holds in one cell.
pub const XLSX_CELL_MAX: usize = 32_767;

/// The text as it goes into an XLSX cell: formula-guarded, then cut to [`XLSX_CELL_MAX`] UTF-16
/// units with a visible marker.
pub fn xlsx_cell(value: &str) -> Cow<'_, str> {
    let guarded = spreadsheet_cell(value);
    if utf16_len(&guarded) <= XLSX_CELL_MAX {
        return guarded;
    }
    // truncate_marked counts characters and a character outside the BMP is two UTF-16 units:
    // bound it by the characters of the longest prefix that fits. The marker (one unit per
    // character) then replaces at least as many units as it takes.
    let fits = guarded
        .chars()
        .scan(0, |units, c| {
            *units += c.len_utf16();
            Some(*units)
        })
        .take_while(|&units| units <= XLSX_CELL_MAX)
        .count();
    let mut cut = guarded.into_owned();
    truncate_marked(&mut cut, fits);
    Cow::Owned(cut)
}

/// Most UTF-16 units Excel holds in a page header or footer, its `&` codes included.
pub const XLSX_HEADER_MAX: usize = 255;

/// The page header `&L{left}{rest}`: `left` is text to print (each `&` written `&&`, since `&`
/// starts a control code), cut with `…` so that the whole header stays within
/// [`XLSX_HEADER_MAX`]; `rest` is the header's other sections as written, codes included (e.g.
/// `&C機器台帳&R&D`).
pub fn xlsx_page_header(left: &str, rest: &str) -> String {
    const ELLIPSIS: char = '…';
    let cost = |c: char| if c == '&' { 2 } else { c.len_utf16() };
    let budget = XLSX_HEADER_MAX.saturating_sub("&L".len() + rest.encode_utf16().count());
    let whole = left.chars().map(cost).sum::<usize>() <= budget;
    // Cut by characters of the text, so an escaped `&&` is never split.
    let mut room = if whole {
        budget
    } else {
        budget.saturating_sub(ELLIPSIS.len_utf16())
    };
    let mut header = String::from("&L");
    for c in left.chars() {
        if cost(c) > room {
            break;
        }
        room -= cost(c);
        header.push(c);
        if c == '&' {
            header.push('&');
        }
    }
    if !whole {
        header.push(ELLIPSIS);
    }
    header.push_str(rest);
    header
}

fn utf16_len(s: &str) -> usize {
    // Every char is at least one unit; only counting is needed past this byte length.
    if s.len() <= XLSX_CELL_MAX {
        return s.len();
    }
    s.chars().map(char::len_utf16).sum()
}

/// Writing text cells through [`xlsx_cell`].
pub trait CellText {
    /// Writes `value` at (`row`, `col`) as a string cell, through [`xlsx_cell`].
    fn text(&mut self, row: u32, col: u16, value: impl AsRef<str>) -> Result<&mut Self, XlsxError>;
    /// Writes `value` at (`row`, `col`) as a string cell in `format`, through [`xlsx_cell`].
    fn text_with_format(
        &mut self,
        row: u32,
        col: u16,
        value: impl AsRef<str>,
        format: &Format,
    ) -> Result<&mut Self, XlsxError>;
}

impl CellText for Worksheet {
    fn text(&mut self, row: u32, col: u16, value: impl AsRef<str>) -> Result<&mut Self, XlsxError> {
        self.write_string(row, col, xlsx_cell(value.as_ref()))
    }

    fn text_with_format(
        &mut self,
        row: u32,
        col: u16,
        value: impl AsRef<str>,
        format: &Format,
    ) -> Result<&mut Self, XlsxError> {
        self.write_string_with_format(row, col, xlsx_cell(value.as_ref()), format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_cell_is_only_guarded() {
        assert_eq!(xlsx_cell("nas-01"), "nas-01");
        assert_eq!(xlsx_cell("=1+1"), "'=1+1");
    }

    #[test]
    fn a_long_cell_is_cut_to_the_limit_with_the_marker() {
        let cut = xlsx_cell(&"a".repeat(40_000)).into_owned();
        assert_eq!(utf16_len(&cut), XLSX_CELL_MAX);
        assert!(
            cut.ends_with(" chars]") && cut.contains("…[truncated "),
            "{cut}"
        );
    }

    #[test]
    fn characters_outside_the_bmp_count_twice() {
        let cut = xlsx_cell(&"😀".repeat(20_000)).into_owned();
        assert!(utf16_len(&cut) <= XLSX_CELL_MAX, "{}", utf16_len(&cut));
        // Within the marker's length of the limit.
        assert!(utf16_len(&cut) > XLSX_CELL_MAX - 30, "{}", utf16_len(&cut));
        assert!(cut.starts_with("😀😀"));
        assert!(cut.ends_with(" chars]"));
    }

    #[test]
    fn the_guard_survives_the_cut() {
        let cut = xlsx_cell(&format!("-{}", "1".repeat(40_000))).into_owned();
        assert!(cut.starts_with("'-1"));
        assert_eq!(utf16_len(&cut), XLSX_CELL_MAX);
    }

    #[test]
    fn a_short_page_header_is_only_escaped() {
        assert_eq!(
            xlsx_page_header("A & B 病院", "&C機器台帳&R&D"),
            "&LA && B 病院&C機器台帳&R&D"
        );
    }

    #[test]
    fn a_long_page_header_is_cut_to_the_limit_with_an_ellipsis() {
        let header = xlsx_page_header(&"😀".repeat(200), "&C機器台帳&R&D");
        assert_eq!(header.encode_utf16().count(), XLSX_HEADER_MAX);
        assert!(header.ends_with("😀…&C機器台帳&R&D"), "{header}");
    }
}
