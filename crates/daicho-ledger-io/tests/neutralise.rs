//! Text that leaves toward a spreadsheet: every formula payload is neutralised in every CSV
//! output (ledger CSV in UTF-8 and CP932, allowlist CSV), checked by reading the files back;
//! the XLSX export holds no formula; a vendor string CP932 cannot hold exports with a notice.

#[path = "support/export_meta.rs"]
mod export_meta;
#[path = "support/zip_parts.rs"]
mod zip_parts;

use daicho_ledger_io::allowlist::{build_allowlist, render_csv};
use daicho_ledger_io::{
    CsvEncoding, ExportMeta, ExportRow, LedgerRow, export_csv, export_xlsx, import_ledger,
};
use export_meta::export_meta;
use ipnet::IpNet;
use zip_parts::zip_entries;

/// The payloads of issue 13 and OWASP's list.
const PAYLOADS: [&str; 8] = [
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://x\")",
    "+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "＝1",
];

fn meta() -> ExportMeta {
    export_meta("テスト病院")
}

/// One row per payload, the payload in every free-text column (管理番号 made unique by a
/// suffix, so it still starts with the payload).
fn rows() -> Vec<ExportRow> {
    PAYLOADS
        .iter()
        .enumerate()
        .map(|(i, p)| ExportRow {
            ledger: LedgerRow {
                asset_no: format!("{p}#{i}"),
                maker: (*p).into(),
                os: (*p).into(),
                software: (*p).into(),
                software_version: (*p).into(),
                ip: Some(format!("192.168.1.{}", 10 + i).parse().unwrap()),
                computer_name: (*p).into(),
                location: (*p).into(),
                user: (*p).into(),
                description: (*p).into(),
                mac: Some(format!("00:1b:21:00:00:{i:02x}").parse().unwrap()),
                ..LedgerRow::default()
            },
            vendor: (*p).into(),
            last_seen: None,
            open_services: vec![(*p).into()],
            flags: Vec::new(),
            switch_port: (*p).into(),
        })
        .collect()
}

/// The cells of a CSV file, header row included.
fn cells(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Every cell that holds a payload starts with `'`, and no cell starts with a formula
/// character.
fn assert_neutralised(table: &[Vec<String>], what: &str, at_least: usize) {
    let mut payload_cells = 0;
    for (r, row) in table.iter().enumerate().skip(1) {
        for (c, cell) in row.iter().enumerate() {
            if PAYLOADS.iter().any(|p| cell.contains(p.trim_start())) {
                payload_cells += 1;
                assert!(
                    cell.starts_with('\''),
                    "{what}: row {r} column {c} not guarded: {cell:?}"
                );
            }
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']),
                "{what}: row {r} column {c} starts a formula: {cell:?}"
            );
        }
    }
    assert!(payload_cells >= at_least, "{what}: {payload_cells}");
}

#[test]
fn every_formula_payload_is_neutralised_in_the_ledger_csv_utf8_and_cp932() {
    let rows = rows();
    let utf8 = export_csv(&rows, &meta(), CsvEncoding::Utf8Bom).unwrap();
    let text = std::str::from_utf8(utf8.bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap()).unwrap();
    assert_neutralised(&cells(text), "ledger CSV UTF-8", PAYLOADS.len() * 11);

    let cp932 = export_csv(&rows, &meta(), CsvEncoding::Cp932).unwrap();
    assert_eq!(cp932.notice, None, "the payloads all fit CP932");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&cp932.bytes);
    assert!(!bad);
    assert_neutralised(&cells(&text), "ledger CSV CP932", PAYLOADS.len() * 11);

    // The import takes the guard off again for the half-width payloads.
    let back = import_ledger(&utf8.bytes).unwrap().rows;
    assert_eq!(back[0].description, "=cmd|' /C calc'!A0");
    assert_eq!(back[3].description, "-2+3+cmd|' /C calc'!A0");
    assert_eq!(back[3].asset_no, "-2+3+cmd|' /C calc'!A0#3");
}

#[test]
fn every_formula_payload_is_neutralised_in_the_allowlist_csv() {
    let ledger: Vec<LedgerRow> = rows().into_iter().map(|r| r.ledger).collect();
    let subnets: Vec<IpNet> = vec!["192.168.1.0/24".parse().unwrap()];
    let list = build_allowlist(&ledger, &subnets);
    assert_eq!(list.len(), PAYLOADS.len());
    let bytes = render_csv(&list);
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap()).unwrap();
    let table = cells(text);
    assert_eq!(table.len(), PAYLOADS.len() + 1);
    let mut seen = 0;
    for row in &table[1..] {
        // 管理番号, コンピュータ名, 設置場所 hold the payload.
        for cell in &row[2..4] {
            assert!(cell.starts_with('\''), "{cell:?}");
            seen += 1;
        }
        assert!(row[5].starts_with('\''), "{:?}", row[5]);
    }
    assert_eq!(seen, PAYLOADS.len() * 2);
    assert_neutralised(&table, "allowlist CSV", PAYLOADS.len() * 3);
}

/// XLSX: every text is a string cell (`t="s"`, shared string); the sheet has no formula
/// (`<f>`), so a payload is shown, never run.
#[test]
fn the_xlsx_export_writes_payloads_as_strings_never_formulas() {
    let bytes = export_xlsx(&rows(), &meta()).unwrap();
    let mut zip = zip_entries(&bytes);
    let sheet = zip.remove("xl/worksheets/sheet1.xml").unwrap();
    assert!(
        !sheet.contains("<f>") && !sheet.contains("<f "),
        "a formula cell"
    );
    let strings = zip.remove("xl/sharedStrings.xml").unwrap();
    assert!(
        strings.contains("=cmd|' /C calc'!A0"),
        "payload kept as text"
    );
}

/// A vendor string with an RTL mark, a zero-width space and an emoji failed the whole CP932
/// export before; now it is written with the invisible characters dropped and the emoji as 〓,
/// and the notice counts both.
#[test]
fn a_vendor_with_rtl_mark_zero_width_space_and_emoji_exports_to_cp932_with_a_notice() {
    let mut rows = rows();
    rows.truncate(1);
    rows[0].ledger = LedgerRow {
        asset_no: "0001".into(),
        computer_name: "PC-1".into(),
        ..LedgerRow::default()
    };
    rows[0].open_services.clear();
    rows[0].vendor = "\u{200F}Acme\u{200B} 医療😀 Inc".into();
    let file = export_csv(&rows, &meta(), CsvEncoding::Cp932).unwrap();
    let notice = file.notice.expect("a notice");
    assert_eq!((notice.replaced, notice.dropped), (1, 2));
    assert!(
        notice
            .first
            .iter()
            .all(|u| u.row == 2 && u.column == "ベンダー")
    );
    let shown = notice.to_string();
    assert!(
        shown.contains("1 個を「〓」") && shown.contains("2 個を除きました"),
        "{shown}"
    );
    assert!(notice.ascii().is_ascii());
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&file.bytes);
    assert!(!bad);
    assert!(text.contains(",Acme 医療〓 Inc,"), "{text}");
}

/// Dropping an invisible first character must not expose a formula behind it.
#[test]
fn dropping_an_invisible_first_character_does_not_unguard_a_formula() {
    let mut rows = rows();
    rows.truncate(1);
    rows[0].vendor = "\u{200B}=cmd|' /C calc'!A0".into();
    let file = export_csv(&rows, &meta(), CsvEncoding::Cp932).unwrap();
    assert_eq!(file.notice.map(|n| n.dropped), Some(1));
    let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&file.bytes);
    assert_neutralised(&cells(&text), "CP932 after dropping", 1);
}
