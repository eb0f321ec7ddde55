//! Text helpers: width folding (全角/半角), date reading, display width, and the one
//! neutralising function per destination for text that leaves daicho:
//!
//! - a terminal: [`terminal_text`] (and [`terminal_json`] for JSON output);
//! - a log: [`log_text`];
//!
//! (these two, with [`is_hidden_or_control`], are defined in `daicho_model::display_text`, below
//! the ledger, which logs too, and re-exported here)
//! - a spreadsheet (every CSV cell): [`spreadsheet_cell`];
//! - a CP932 file: [`cp932_text`].

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use daicho_model::display_text::is_invisible_format;
pub use daicho_model::display_text::{
    LOG_TEXT_MAX_CHARS, LogText, is_hidden_or_control, log_text, terminal_json, terminal_text,
};

/// Folds full-width ASCII (`ＩＰ`, `１２３`) to half-width, the ideographic space to a space,
/// and half-width katakana (`ｿﾌﾄｳｪｱ`) to full-width, composing voiced marks (`ｶﾞ` → `ガ`).
pub fn fold_width(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let code = c as u32;
        if (0xFF01..=0xFF5E).contains(&code) {
            out.push(char::from_u32(code - 0xFEE0).unwrap_or(c));
        } else if c == '\u{3000}' {
            out.push(' ');
        } else if let Some(kana) = halfwidth_katakana(c) {
            let voiced = chars.peek().and_then(|next| match next {
                'ﾞ' => dakuten(kana),
                'ﾟ' => handakuten(kana),
                _ => None,
            });
            if let Some(v) = voiced {
                chars.next();
                out.push(v);
            } else {
                out.push(kana);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn halfwidth_katakana(c: char) -> Option<char> {
    // U+FF61..U+FF9F in order.
    const TABLE: &str = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";
    let code = c as u32;
    if (0xFF61..=0xFF9F).contains(&code) {
        TABLE.chars().nth((code - 0xFF61) as usize)
    } else {
        None
    }
}

fn dakuten(kana: char) -> Option<char> {
    match kana {
        'ウ' => Some('ヴ'),
        'カ' | 'キ' | 'ク' | 'ケ' | 'コ' | 'サ' | 'シ' | 'ス' | 'セ' | 'ソ' | 'タ' | 'チ'
        | 'ツ' | 'テ' | 'ト' | 'ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ' => {
            // In the katakana block each voiced form directly follows its base.
            char::from_u32(kana as u32 + 1)
        }
        _ => None,
    }
}

fn handakuten(kana: char) -> Option<char> {
    match kana {
        'ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ' => char::from_u32(kana as u32 + 2),
        _ => None,
    }
}

/// The key a header is matched by: width-folded, whitespace and `・_-.` removed, ASCII
/// lower-cased, `ウエ` spelled `ウェ` and a trailing `ー` dropped (`コンピューター` = `コンピュータ`).
pub fn header_key(header: &str) -> String {
    let folded = fold_width(header);
    let mut key: String = folded
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '・' | '_' | '-' | '.' | '（' | '）' | '(' | ')')
        })
        .map(|c| c.to_ascii_lowercase())
        .collect();
    key = key.replace("ウエ", "ウェ").replace("ー名", "名");
    while key.ends_with('ー') {
        key.pop();
    }
    key
}

/// True for the marks operators use for "none" in a typed column (`-`, `－`, `ー`, `―`, `なし`).
pub fn is_none_mark(text: &str) -> bool {
    matches!(text.trim(), "-" | "－" | "ー" | "―" | "‐" | "なし" | "無し")
}

/// Why a date cell could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDate;

/// Reads a date as Japanese ledgers write it: `2020/12/1`, `2020-12-01`, `2020.12.1`,
/// `2020年12月1日`, Japanese eras `令和2年12月1日` / `R2.12.1` / `令和元年5月1日` (also 平成/H and
/// 昭和/S), with full-width digits allowed. A time part after a space is ignored.
pub fn parse_date(text: &str) -> Result<NaiveDate, BadDate> {
    let folded = fold_width(text.trim());
    let date_part = folded.split(' ').next().unwrap_or("");
    let (era_start, rest) = split_era(date_part);
    let rest = rest.replace("元年", "1年");
    let numbers: Vec<&str> = rest
        .split(['/', '-', '.', '年', '月', '日'])
        .filter(|s| !s.is_empty())
        .collect();
    if numbers.len() != 3
        || rest.contains(|c: char| !c.is_ascii_digit() && !"/-.年月日".contains(c))
    {
        return Err(BadDate);
    }
    let parse = |s: &str| s.parse::<u32>().map_err(|_| BadDate);
    let (y, m, d) = (parse(numbers[0])?, parse(numbers[1])?, parse(numbers[2])?);
    let year = match era_start {
        Some(start) => {
            if y == 0 {
                return Err(BadDate);
            }
            start.year() + i32::try_from(y).map_err(|_| BadDate)? - 1
        }
        None if numbers[0].len() == 4 => i32::try_from(y).map_err(|_| BadDate)?,
        None => return Err(BadDate),
    };
    let date = NaiveDate::from_ymd_opt(year, m, d).ok_or(BadDate)?;
    if era_start.is_some_and(|start| date < start) {
        return Err(BadDate);
    }
    Ok(date)
}

fn split_era(text: &str) -> (Option<NaiveDate>, &str) {
    const ERAS: [(&str, (i32, u32, u32)); 9] = [
        ("令和", (2019, 5, 1)),
        ("平成", (1989, 1, 8)),
        ("昭和", (1926, 12, 25)),
        ("R", (2019, 5, 1)),
        ("H", (1989, 1, 8)),
        ("S", (1926, 12, 25)),
        ("r", (2019, 5, 1)),
        ("h", (1989, 1, 8)),
        ("s", (1926, 12, 25)),
    ];
    for (name, (y, m, d)) in ERAS {
        if let Some(rest) = text.strip_prefix(name) {
            return (NaiveDate::from_ymd_opt(y, m, d), rest);
        }
    }
    (None, text)
}

/// Converts an Excel serial day number (1900 date system) to a date. Serials from 61 on are
/// exact; Excel's fictitious 1900-02-29 (serial 60) is rejected.
pub fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=2_958_465.0).contains(&serial) || (60.0..61.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let base = if days > 60 {
        NaiveDate::from_ymd_opt(1899, 12, 30)?
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 31)?
    };
    base.checked_add_signed(chrono::Duration::days(days))
}

/// The width of `text` in a spreadsheet column: 1 for ASCII and half-width kana, 2 otherwise.
pub fn display_width(text: &str) -> usize {
    text.lines()
        .map(|line| {
            line.chars()
                .map(|c| {
                    let code = c as u32;
                    if code < 0x1100 || (0xFF61..=0xFF9F).contains(&code) {
                        1
                    } else {
                        2
                    }
                })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0)
}

/// True when a spreadsheet would read a cell starting with `c` as a formula (OWASP "CSV
/// injection"): `=`, `+`, `-`, `@`, TAB, CR, and the full-width `＝`, `＋`, `－`, `＠` (Excel
/// and LibreOffice with Japanese input settings fold them to half-width).
fn starts_formula(c: char) -> bool {
    matches!(
        c,
        '=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠'
    )
}

/// **The spreadsheet neutraliser**, applied to every cell of every CSV the project writes (the
/// ledger in UTF-8 and CP932, the allowlist) and, through
/// [`xlsx_cell`](crate::xlsx_cell::xlsx_cell), of every XLSX workbook: a cell starting with `=`, `+`, `-`, `@`, TAB, CR,
/// `＝`, `＋`, `－` or `＠` gets a leading `'`, so Excel and LibreOffice show it as text instead
/// of running it (`=cmd|' /C calc'!A0`, `=HYPERLINK(…)`, `-2+3+cmd|…`). No exception, not even
/// for a negative number: `-1` is written `'-1`. [`spreadsheet_unguard`] takes the `'` off
/// again on import. An XLSX string cell is never evaluated as written, but one the operator
/// edits in Excel would be, so XLSX cells get the guard too.
pub fn spreadsheet_cell(value: &str) -> Cow<'_, str> {
    if value.chars().next().is_some_and(starts_formula) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Undoes [`spreadsheet_cell`]: strips a `'` followed by a character it guards.
pub fn spreadsheet_unguard(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.chars().next().is_some_and(starts_formula) => rest,
        _ => text,
    }
}

/// What CP932 cannot hold is written as this (ゲタ, the customary JIS substitute).
pub const CP932_REPLACEMENT: char = '〓';

/// What [`cp932_text`] did to one text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cp932Changes {
    /// Characters CP932 cannot hold, written as [`CP932_REPLACEMENT`].
    pub replaced: usize,
    /// Invisible characters left out (zero-width, bidirectional controls, variation
    /// selectors, the byte-order mark).
    pub dropped: usize,
}

/// **The CP932 neutraliser**, for text written in Shift_JIS/CP932: invisible format
/// characters (zero-width spaces and joiners, bidi marks and overrides, the BOM, soft hyphen)
/// and variation selectors are dropped, and every other character CP932 cannot hold (emoji,
/// `€`, most non-Japanese scripts) becomes [`CP932_REPLACEMENT`]. The counts say what was
/// changed, so the caller can tell the operator instead of losing text silently.
pub fn cp932_text(text: &str) -> (Cow<'_, str>, Cp932Changes) {
    let (_, _, had_errors) = encoding_rs::SHIFT_JIS.encode(text);
    if !had_errors {
        return (Cow::Borrowed(text), Cp932Changes::default());
    }
    let mut changes = Cp932Changes::default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_invisible_format(c)
            || matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0000}'..='\u{E01EF}')
        {
            changes.dropped += 1;
            continue;
        }
        let mut buf = [0u8; 4];
        let (_, _, bad) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
        if bad {
            changes.replaced += 1;
            out.push(CP932_REPLACEMENT);
        } else {
            out.push(c);
        }
    }
    (Cow::Owned(out), changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_cell_guards_every_formula_start() {
        for payload in [
            "=cmd|' /C calc'!A0",
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1)",
            "\t=1",
            "\r=1",
            "＝1",
            "＋1",
            "－1",
            "＠SUM(1)",
            "-1",
            "-",
        ] {
            let guarded = spreadsheet_cell(payload);
            assert_eq!(guarded, format!("'{payload}"), "{payload:?}");
            assert_eq!(spreadsheet_unguard(&guarded), payload);
        }
        for plain in ["PC-01", "受付", "", "192.168.1.1", "'quoted", " =1"] {
            assert!(
                matches!(spreadsheet_cell(plain), Cow::Borrowed(_)),
                "{plain:?}"
            );
            assert_eq!(spreadsheet_unguard(plain), plain);
        }
    }

    #[test]
    fn cp932_text_drops_invisible_and_replaces_the_rest() {
        let (text, changes) = cp932_text("\u{200F}Acme\u{200B}\u{202E} 医療 ①髙 😀\u{FE0F}€");
        assert_eq!(text, "Acme 医療 ①髙 〓〓");
        assert_eq!(
            changes,
            Cp932Changes {
                replaced: 2,
                dropped: 4
            }
        );
        let (text, changes) = cp932_text("電子カルテ ～ －");
        assert!(matches!(text, Cow::Borrowed(_)));
        assert_eq!(changes, Cp932Changes::default());
    }

    #[test]
    fn folds_full_width_and_half_width_katakana() {
        assert_eq!(fold_width("ＩＰアドレス"), "IPアドレス");
        assert_eq!(fold_width("ｿﾌﾄｳｪｱﾊﾞｰｼﾞｮﾝ"), "ソフトウェアバージョン");
        assert_eq!(fold_width("ﾊﾟｿｺﾝ\u{3000}１"), "パソコン 1");
        assert_eq!(fold_width("ｳﾞ"), "ヴ");
    }

    #[test]
    fn header_keys_ignore_spacing_width_and_long_vowels() {
        assert_eq!(header_key(" IP アドレス "), header_key("ＩＰアドレス"));
        assert_eq!(header_key("コンピューター名"), header_key("コンピュータ名"));
        assert_eq!(header_key("ソフトウエア"), header_key("ソフトウェア"));
        assert_eq!(header_key("MAC Address"), "macaddress");
        assert_eq!(header_key("メーカ"), header_key("メーカー"));
    }

    #[test]
    fn dates_in_the_forms_ledgers_use() {
        let d = NaiveDate::from_ymd_opt(2020, 12, 1).unwrap();
        for text in [
            "2020/12/1",
            "2020-12-01",
            "2020.12.01",
            "2020年12月1日",
            "令和2年12月1日",
            "R2.12.1",
            "２０２０／１２／１",
            "2020/12/01 00:00:00",
        ] {
            assert_eq!(parse_date(text), Ok(d), "{text}");
        }
        assert_eq!(
            parse_date("令和元年5月1日"),
            Ok(NaiveDate::from_ymd_opt(2019, 5, 1).unwrap())
        );
        assert_eq!(
            parse_date("H30/4/1"),
            Ok(NaiveDate::from_ymd_opt(2018, 4, 1).unwrap())
        );
        for bad in [
            "2020/13/1",
            "2020/2/30",
            "20/12/1",
            "令和元年4月1日",
            "昨日",
            "2020/12",
            "12/1/2020x",
        ] {
            assert_eq!(parse_date(bad), Err(BadDate), "{bad}");
        }
    }

    #[test]
    fn excel_serials() {
        assert_eq!(
            excel_serial_date(44166.0),
            NaiveDate::from_ymd_opt(2020, 12, 1)
        );
        assert_eq!(excel_serial_date(1.0), NaiveDate::from_ymd_opt(1900, 1, 1));
        assert_eq!(excel_serial_date(61.0), NaiveDate::from_ymd_opt(1900, 3, 1));
        assert_eq!(excel_serial_date(60.0), None);
        assert_eq!(excel_serial_date(-3.0), None);
    }

    #[test]
    fn widths() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("管理番号"), 8);
        assert_eq!(display_width("a\n管理"), 4);
    }
}
