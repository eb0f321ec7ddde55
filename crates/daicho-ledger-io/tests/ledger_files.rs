//! Ledger files end to end: a 300-row ledger written by the test (CSV in UTF-8 and CP932,
//! XLSX) imports to the same rows; every export re-imports to the same rows; bad files are
//! refused with every problem named; a workbook of several sheets with a cover sheet, heading
//! rows and headers the operator maps.

#[path = "support/export_meta.rs"]
mod export_meta;
#[path = "support/zip_parts.rs"]
mod zip_parts;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use daicho_ledger_io::{
    Column, ColumnMapping, CsvEncoding, DeviceStatus, ExportMeta, ExportRow, Import, ImportError,
    LedgerRow, MappedTo, RowRef, SourceKind, TextEncoding, export_csv, export_xlsx, import_ledger,
    import_ledger_with,
};
use daicho_policy::{Flag, FlagKind};
use export_meta::export_meta;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use zip_parts::zip_part;

/// A small deterministic generator so the ledger is varied but the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

const ROWS: usize = 300;

fn ledger_rows() -> Vec<LedgerRow> {
    let mut rng = Lcg(20_261_121);
    let makers = ["A社", "B社", "富士通", "NEC", "ﾔﾏﾊ", "Fortinet", ""];
    let oses = [
        "Win11",
        "Windows 10 22H2",
        "Win8",
        "Windows Server 2019",
        "FortiOS 6.0.4",
        "RTX Rev.14.01",
        "",
    ];
    let software = [
        "○○電子カルテ",
        "レセコン",
        "PACS ビューア",
        "検査システム①",
        "",
    ];
    let places = ["Room1", "診察室２", "受付", "放射線科 CT室", "サーバ室", ""];
    let users = [
        "a医師（○○科）",
        "b医師（○○科）、c医師（△△科）",
        "受付スタッフ",
        "髙橋 看護師",
        "",
    ];
    let descriptions = [
        "",
        "メンテナンス",
        "保守: 9:00～17:00",
        "ベンダー \"X社\" 管理, 変更禁止",
        "二行の\n説明",
        "=HYPERLINK(\"http://example.invalid\")",
        "-ただし書き",
        "+81-3-0000-0000",
    ];
    let statuses = [
        Some(DeviceStatus::Active),
        Some(DeviceStatus::Stopped),
        Some(DeviceStatus::Disposed),
        Some(DeviceStatus::Other("予備".into())),
        None,
    ];
    (0..ROWS)
        .map(|i| {
            let ip_present = !rng.next().is_multiple_of(10);
            let mac_present = !rng.next().is_multiple_of(7);
            let date_present = !rng.next().is_multiple_of(9);
            let day = NaiveDate::from_ymd_opt(2014, 10, 1).unwrap()
                + chrono::Duration::days((rng.next() % 4000).cast_signed());
            LedgerRow {
                asset_no: format!("{:04}", i + 1),
                maker: rng.pick(&makers).to_owned(),
                os: rng.pick(&oses).to_owned(),
                software: rng.pick(&software).to_owned(),
                software_version: format!("{}.{}", rng.next() % 6, rng.next() % 10),
                ip: ip_present.then(|| {
                    format!("192.168.{}.{}", i / 200, 10 + i % 200)
                        .parse()
                        .unwrap()
                }),
                computer_name: format!("{}のPC{}", rng.pick(&places).replace(' ', ""), i % 7),
                location: rng.pick(&places).to_owned(),
                user: rng.pick(&users).to_owned(),
                registered_on: date_present.then_some(day),
                status: statuses[(rng.next() as usize) % statuses.len()].clone(),
                description: rng.pick(&descriptions).to_owned(),
                mac: mac_present.then(|| {
                    format!(
                        "00:1b:21:{:02x}:{:02x}:{:02x}",
                        i / 65536,
                        (i / 256) % 256,
                        i % 256
                    )
                    .parse()
                    .unwrap()
                }),
            }
        })
        .collect()
}

/// Quotes a CSV field the way Excel does (always, here), independently of the library.
fn quote(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

/// Writes the rows as a hand-kept CSV would look: header variants, dates in several forms,
/// MACs in several forms, columns in the manual's order but with an extra column.
fn hand_kept_csv(rows: &[LedgerRow]) -> String {
    let headers = [
        "管理番号",
        "メーカー",
        "OS",
        "ソフトウェア",
        "ソフトウエアバージョン",
        "ＩＰアドレス",
        " コンピューター名 ",
        "設置場所",
        "利用者",
        "登録日",
        "状態",
        "備考",
        "MAC",
        "購入価格",
    ];
    let mut out = String::from("機器台帳（2026年度）\r\n");
    out.push_str(
        &headers
            .iter()
            .map(|h| quote(h))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    for (i, r) in rows.iter().enumerate() {
        let date = r.registered_on.map(|d| match i % 3 {
            0 => d.format("%Y/%-m/%-d").to_string(),
            1 => d.format("%Y-%m-%d").to_string(),
            _ => d.format("%Y年%-m月%-d日").to_string(),
        });
        let mac = r.mac.map(|m| {
            let s = m.to_string();
            match i % 3 {
                0 => s,
                1 => s.replace(':', "-").to_uppercase(),
                _ => s.replace(':', ""),
            }
        });
        // Formula-like text is written as it is: only the export adds guards.
        let description = r.description.clone();
        let fields = [
            r.asset_no.clone(),
            r.maker.clone(),
            r.os.clone(),
            r.software.clone(),
            r.software_version.clone(),
            r.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            r.computer_name.clone(),
            r.location.clone(),
            r.user.clone(),
            date.unwrap_or_default(),
            r.status
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            description,
            mac.unwrap_or_default(),
            format!("{}", 100_000 + i),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| quote(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

/// Writes the rows as a hand-kept XLSX: a title row, dates as real date cells, Excel serial
/// numbers, 令和 strings, and some asset numbers as numbers.
fn hand_kept_xlsx(rows: &[LedgerRow]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("台帳").unwrap();
    let date_format = Format::new().set_num_format("yyyy/m/d");
    sheet.write_string(0, 0, "機器台帳").unwrap();
    let headers = [
        "管理番号",
        "メーカー",
        "OS",
        "ソフトウェア",
        "ソフトウェアバージョン",
        "IP アドレス",
        "コンピュータ名",
        "設置場所",
        "利用者",
        "登録日",
        "状態",
        "説明",
        "MACアドレス",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    for (i, r) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        sheet.write_string(row, 0, &r.asset_no).unwrap();
        let texts = [&r.maker, &r.os, &r.software, &r.software_version];
        for (c, t) in texts.iter().enumerate() {
            sheet.write_string(row, 1 + c as u16, *t).unwrap();
        }
        if let Some(ip) = r.ip {
            sheet.write_string(row, 5, ip.to_string()).unwrap();
        }
        sheet.write_string(row, 6, &r.computer_name).unwrap();
        sheet.write_string(row, 7, &r.location).unwrap();
        sheet.write_string(row, 8, &r.user).unwrap();
        if let Some(d) = r.registered_on {
            use chrono::Datelike;
            match i % 3 {
                0 => {
                    let x =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .unwrap();
                    sheet
                        .write_datetime_with_format(row, 9, x, &date_format)
                        .unwrap();
                }
                1 => {
                    let serial = (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
                    sheet.write_number(row, 9, serial as f64).unwrap();
                }
                _ => {
                    let text = if d >= NaiveDate::from_ymd_opt(2019, 5, 1).unwrap() {
                        format!("令和{}年{}月{}日", d.year() - 2018, d.month(), d.day())
                    } else {
                        format!("平成{}年{}月{}日", d.year() - 1988, d.month(), d.day())
                    };
                    sheet.write_string(row, 9, text).unwrap();
                }
            }
        }
        if let Some(s) = &r.status {
            sheet.write_string(row, 10, s.as_str()).unwrap();
        }
        sheet.write_string(row, 11, &r.description).unwrap();
        if let Some(m) = r.mac {
            sheet.write_string(row, 12, m.to_string()).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// Rows representable in CP932 (the generator only uses such characters).
fn assert_same(import: &Import, expected: &[LedgerRow]) {
    assert_eq!(import.rows.len(), expected.len());
    for (got, want) in import.rows.iter().zip(expected) {
        assert_eq!(got, want, "row {}", want.asset_no);
    }
}

#[test]
fn hand_kept_300_rows_import_in_utf8_cp932_and_xlsx() {
    let rows = ledger_rows();
    let text = hand_kept_csv(&rows);

    let utf8 = import_ledger(text.as_bytes()).unwrap();
    assert_same(&utf8, &rows);
    assert_eq!(utf8.header_row, 2);
    // Two-line quoted descriptions are one spreadsheet row each.
    assert_eq!(utf8.row_numbers, (3..ROWS + 3).collect::<Vec<_>>());
    assert_eq!(utf8.ignored_columns, vec!["購入価格".to_owned()]);
    assert!(matches!(
        utf8.source,
        SourceKind::Csv {
            encoding: TextEncoding::Utf8,
            ..
        }
    ));

    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(text.as_bytes());
    assert_same(&import_ledger(&bom).unwrap(), &rows);

    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable, "the generated ledger must be CP932-safe");
    let cp932 = import_ledger(&sjis).unwrap();
    assert!(matches!(
        cp932.source,
        SourceKind::Csv {
            encoding: TextEncoding::Cp932,
            ..
        }
    ));
    assert_same(&cp932, &rows);

    let xlsx = import_ledger(&hand_kept_xlsx(&rows)).unwrap();
    assert_eq!(xlsx.header_row, 3);
    assert_eq!(xlsx.row_numbers.first(), Some(&4));
    assert!(
        matches!(&xlsx.source, SourceKind::Workbook { sheets, skipped_sheets } if sheets.len() == 1 && sheets[0].name == "台帳" && sheets[0].rows == ROWS && skipped_sheets.is_empty())
    );
    assert_same(&xlsx, &rows);
}

fn meta() -> ExportMeta {
    export_meta("テスト病院 & 診療所")
}

fn export_rows(rows: &[LedgerRow]) -> Vec<ExportRow> {
    let seen: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 11, 20, 23, 59, 0).unwrap();
    rows.iter()
        .enumerate()
        .map(|(i, r)| ExportRow {
            ledger: r.clone(),
            vendor: if i % 2 == 0 {
                "Intel Corporate".into()
            } else {
                String::new()
            },
            last_seen: (i % 5 != 0).then_some(seen),
            open_services: if i % 3 == 0 {
                vec!["ssh/tcp/22".into(), "telnet/tcp/23".into()]
            } else {
                Vec::new()
            },
            flags: if i % 3 == 0 {
                vec![Flag {
                    kind: FlagKind::UnneededService,
                    code: "telnet".into(),
                    service: Some("telnet/tcp/23".into()),
                    reason: "telnet".into(),
                    evidence: Vec::new(),
                }]
            } else {
                Vec::new()
            },
            switch_port: if i % 4 == 0 {
                format!("sw-2f ポート {i}")
            } else {
                String::new()
            },
        })
        .collect()
}

#[test]
fn every_export_reimports_to_the_same_rows() {
    let rows = ledger_rows();
    let exported = export_rows(&rows);

    let xlsx = export_xlsx(&exported, &meta()).unwrap();
    let back = import_ledger(&xlsx).unwrap();
    // The export's 作成情報 sheet has no header row: skipped and named.
    assert!(
        matches!(&back.source, SourceKind::Workbook { sheets, skipped_sheets } if sheets.len() == 1 && sheets[0].name == "機器台帳" && skipped_sheets == &["作成情報".to_owned()])
    );
    assert!(back.unmapped.is_empty() && back.skipped_headings.is_empty());
    assert!(
        back.ignored_columns.is_empty(),
        "{:?}",
        back.ignored_columns
    );
    assert_same(&back, &rows);

    let utf8 = export_csv(&exported, &meta(), CsvEncoding::Utf8Bom).unwrap();
    assert_eq!(utf8.notice, None);
    let utf8 = utf8.bytes;
    assert!(utf8.starts_with(b"\xEF\xBB\xBF"));
    assert_same(&import_ledger(&utf8).unwrap(), &rows);
    let text = String::from_utf8(utf8[3..].to_vec()).unwrap();
    assert!(text.starts_with("管理番号,メーカー,OS,ソフトウェア,ソフトウェアバージョン,IPアドレス,コンピュータ名,設置場所,利用者,登録日,状態,説明,MACアドレス,ベンダー,最終確認日時,開放サービス,フラグ,接続先\r\n"));
    assert!(text.contains("'=HYPERLINK"), "formula guard missing");
    assert!(text.contains("2026/11/21 08:59"), "last seen in JST");
    assert!(text.contains("不要なサービス(telnet/tcp/23)"));

    let cp932 = export_csv(&exported, &meta(), CsvEncoding::Cp932).unwrap();
    assert_eq!(cp932.notice, None, "every test row fits CP932");
    let cp932 = cp932.bytes;
    let back = import_ledger(&cp932).unwrap();
    assert!(matches!(
        back.source,
        SourceKind::Csv {
            encoding: TextEncoding::Cp932,
            ..
        }
    ));
    assert_same(&back, &rows);
}

#[test]
fn export_xlsx_layout() {
    use calamine::{Reader, open_workbook_auto_from_rs};
    let rows = ledger_rows();
    let bytes = export_xlsx(&export_rows(&rows[..5]), &meta()).unwrap();
    let mut book = open_workbook_auto_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), vec!["機器台帳", "作成情報"]);
    let sheet = book.worksheet_range("機器台帳").unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    let expected: Vec<String> = Column::ALL.iter().map(|c| c.header().to_owned()).collect();
    assert_eq!(header, expected);
    let info = book.worksheet_range("作成情報").unwrap();
    assert_eq!(
        info.get_value((1, 1)).unwrap().to_string(),
        "2026/11/21 09:30 (UTC+09:00)"
    );
    // Frozen header row and autofilter are in the sheet XML.
    let xml = sheet_xml(&bytes);
    assert!(xml.contains("ySplit=\"1\""), "no frozen pane");
    assert!(xml.contains("<autoFilter ref=\"A1:R6\""), "no autofilter");
}

/// The ledger sheet's XML. rust_xlsxwriter deflates the parts, and calamine does not expose
/// frozen panes or autofilters, so the test inflates the part itself.
fn sheet_xml(bytes: &[u8]) -> String {
    zip_part(bytes, "xl/worksheets/sheet1.xml")
}

/// What CP932 cannot hold used to fail the whole export (`NotCp932`); now it is replaced
/// with 〓, invisible characters are dropped, and the notice counts and names them.
#[test]
fn cp932_export_replaces_what_it_cannot_write_and_says_so() {
    let mut rows = ledger_rows();
    rows[4].user = "山田😀".into();
    rows[9].description = "€ 建て".into();
    let file = export_csv(&export_rows(&rows), &meta(), CsvEncoding::Cp932).unwrap();
    let notice = file.notice.expect("a notice");
    assert_eq!((notice.replaced, notice.dropped), (2, 0));
    assert_eq!(
        (
            notice.first[0].row,
            notice.first[0].column,
            notice.first[0].character
        ),
        (6, "利用者", '😀')
    );
    assert_eq!(
        (
            notice.first[1].row,
            notice.first[1].column,
            notice.first[1].character
        ),
        (11, "説明", '€')
    );
    assert!(notice.to_string().contains("6 行目 利用者"), "{notice}");
    let back = import_ledger(&file.bytes).unwrap().rows;
    assert_eq!(back[4].user, "山田〓");
    assert_eq!(back[9].description, "〓 建て");
}

fn xlsx_with(headers: &[&str], rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(1 + r as u32, c as u16, *v).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn xlsx_missing_a_required_column_is_refused() {
    let bytes = xlsx_with(&["メーカー", "IPアドレス"], &[vec!["A社", "10.0.0.1"]]);
    let err = import_ledger(&bytes).unwrap_err();
    assert!(
        matches!(&err, ImportError::MissingColumns { missing, found, .. } if missing == &vec!["管理番号".to_owned()] && found.contains(&"IPアドレス".to_owned())),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("必須の列がありません: 管理番号"),
        "{err}"
    );

    let bytes = xlsx_with(&["管理番号", "設置場所"], &[vec!["1", "受付"]]);
    let err = import_ledger(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .contains("IPアドレス / MACアドレス / コンピュータ名 のいずれか"),
        "{err}"
    );
}

#[test]
fn unknown_encodings_are_refused() {
    let mut rng = Lcg(7);
    let random: Vec<u8> = (0..4096).map(|_| (rng.next() & 0xFF) as u8).collect();
    assert!(matches!(
        import_ledger(&random),
        Err(ImportError::UnknownEncoding { .. })
    ));

    let text = hand_kept_csv(&ledger_rows()[..10]);
    let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert!(matches!(
        import_ledger(&utf16le),
        Err(ImportError::UnknownEncoding { .. })
    ));
    let utf16be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let err = import_ledger(&utf16be).unwrap_err();
    assert!(
        err.to_string().contains("文字コードを判別できません"),
        "{err}"
    );

    let (euc, _, _) = encoding_rs::EUC_JP.encode("管理番号,IPアドレス\r\n1,10.0.0.1\r\n");
    // EUC-JP is not Shift_JIS: either refused as an encoding or, if its bytes happen to decode
    // as Shift_JIS, refused because no 管理番号 header is found. Never imported.
    assert!(import_ledger(&euc).is_err());

    let err = import_ledger(b"PK\x03\x04 this is not a zip").unwrap_err();
    assert!(matches!(err, ImportError::NotAWorkbook { .. }), "{err:?}");
}

#[test]
fn duplicates_and_bad_cells_are_all_listed_with_row_numbers() {
    let mut rows = ledger_rows();
    rows[10].asset_no = rows[3].asset_no.clone();
    rows[200].asset_no = rows[3].asset_no.clone();
    let text = hand_kept_csv(&rows);
    let Err(ImportError::InvalidRows(problems)) = import_ledger(text.as_bytes()) else {
        panic!("duplicates accepted");
    };
    // Title row 1, header row 2, so ledger row i is spreadsheet row i + 3 — except that the
    // quoted two-line descriptions do not shift Excel's row numbers.
    let rows_named: Vec<usize> = problems.iter().map(|p| p.row).collect();
    assert_eq!(rows_named, vec![13, 203]);
    assert!(
        problems[0].message.contains("6 行目と同じ管理番号"),
        "{}",
        problems[0]
    );

    let bytes = xlsx_with(
        &["管理番号", "IPアドレス", "MACアドレス", "登録日"],
        &[
            vec!["1", "10.0.0.1", "00:1b:21:00:00:01", "2020/12/1"],
            vec!["2", "10.0.0.256", "00:1b:21:00:00:02", "2020/12/1"],
            vec!["3", "10.0.0.3", "00:1b:21:00:00", "令和2年12月1日"],
            vec!["4", "10.0.0.4", "00:1b:21:00:00:04", "2020/02/30"],
            vec!["2", "10.0.0.5", "00:1b:21:00:00:05", ""],
        ],
    );
    let Err(ImportError::InvalidRows(problems)) = import_ledger(&bytes) else {
        panic!("bad cells accepted");
    };
    let summary: Vec<(usize, Column)> = problems.iter().map(|p| (p.row, p.column)).collect();
    assert_eq!(
        summary,
        vec![
            (3, Column::Ip),
            (4, Column::Mac),
            (5, Column::RegisteredOn),
            (6, Column::AssetNo)
        ]
    );
    let message = ImportError::InvalidRows(problems).to_string();
    assert!(
        message.starts_with("4 件の問題があるため取り込みませんでした"),
        "{message}"
    );
    assert!(
        message.contains("3 行目 IPアドレス「10.0.0.256」"),
        "{message}"
    );
}

/// A workbook as hospitals keep it: a cover sheet, then one sheet per building, each with a
/// title, a heading row merged across the columns (【外来棟】, and 3階病棟 which only the merge
/// marks as a heading), and headers the synonyms do not all know.
fn hospital_workbook(duplicate: bool) -> Vec<u8> {
    let mut book = Workbook::new();
    let cover = book.add_worksheet();
    cover.set_name("表紙").unwrap();
    cover.write_string(0, 0, "機器台帳").unwrap();
    cover.write_string(2, 0, "作成: 情報システム課").unwrap();
    cover.write_string(3, 0, "管理番号の付け方は別紙").unwrap();

    let heading = Format::new().set_bold();
    let headers = [
        "管理番号",
        "機種",
        "IPアドレス",
        "導入日",
        "使用部署",
        "備考",
    ];
    let sheets: [(&str, &str, Vec<[&str; 6]>); 2] = [
        (
            "外来棟",
            "【外来棟】",
            vec![
                ["G-001", "FMV-D588", "10.1.0.11", "2019/4/1", "受付", ""],
                [
                    "G-002",
                    "FMV-D588",
                    "10.1.0.12",
                    "令和2年10月1日",
                    "医事課",
                    "予備",
                ],
            ],
        ),
        (
            "病棟",
            "3階病棟",
            vec![
                [
                    "W-001",
                    "ThinkCentre M75q",
                    "10.2.0.11",
                    "2021-06-30",
                    "3階NS",
                    "",
                ],
                [
                    if duplicate { "G-002" } else { "W-002" },
                    "",
                    "10.2.0.12",
                    "",
                    "3階NS",
                    "",
                ],
            ],
        ),
    ];
    for (name, title, rows) in &sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        sheet
            .write_string(0, 0, format!("{name} 機器一覧"))
            .unwrap();
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string(1, c as u16, *h).unwrap();
        }
        sheet.merge_range(2, 0, 2, 5, title, &heading).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    sheet.write_string(3 + r as u32, c as u16, *v).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn every_sheet_with_a_header_is_read_and_headings_are_skipped() {
    let bytes = hospital_workbook(false);

    let plain = import_ledger(&bytes).unwrap();
    let SourceKind::Workbook {
        sheets,
        skipped_sheets,
    } = &plain.source
    else {
        panic!("{:?}", plain.source);
    };
    let read: Vec<(&str, usize, usize)> = sheets
        .iter()
        .map(|s| (s.name.as_str(), s.header_row, s.rows))
        .collect();
    assert_eq!(read, vec![("外来棟", 2, 2), ("病棟", 2, 2)]);
    assert_eq!(skipped_sheets, &["表紙".to_owned()]);
    assert_eq!(plain.header_row, 2);
    let assets: Vec<&str> = plain.rows.iter().map(|r| r.asset_no.as_str()).collect();
    assert_eq!(assets, vec!["G-001", "G-002", "W-001", "W-002"]);
    assert_eq!(plain.row_numbers, vec![4, 5, 4, 5]);
    assert_eq!(
        plain.row_refs[2],
        RowRef {
            sheet: Some("病棟".into()),
            row: 4
        }
    );
    let headings: Vec<(String, &str)> = plain
        .skipped_headings
        .iter()
        .map(|h| (h.at.to_string(), h.text.as_str()))
        .collect();
    assert_eq!(
        headings,
        vec![
            ("シート「外来棟」3 行目".to_owned(), "【外来棟】"),
            ("シート「病棟」3 行目".to_owned(), "3階病棟"),
        ]
    );
    // 導入日, 使用部署 and 備考 are built-in synonyms; 機種 is not, and is offered per sheet.
    assert_eq!(
        plain.rows[1].registered_on,
        NaiveDate::from_ymd_opt(2020, 10, 1)
    );
    assert_eq!(plain.rows[1].user, "医事課");
    assert_eq!(plain.rows[1].description, "予備");
    let offered: Vec<(Option<&str>, &str, String, Vec<String>)> = plain
        .unmapped
        .iter()
        .map(|c| {
            (
                c.sheet.as_deref(),
                c.header.as_str(),
                c.letter(),
                c.samples.clone(),
            )
        })
        .collect();
    assert_eq!(
        offered,
        vec![
            (
                Some("外来棟"),
                "機種",
                "B".to_owned(),
                vec!["FMV-D588".to_owned()]
            ),
            (
                Some("病棟"),
                "機種",
                "B".to_owned(),
                vec!["ThinkCentre M75q".to_owned()]
            ),
        ]
    );
    assert_eq!(plain.ignored_columns, vec!["機種".to_owned()]);

    // The operator maps 機種 to 説明 and 導入日 explicitly; 備考 is then the second 説明.
    let mapping: ColumnMapping = [
        ("導入日", MappedTo::Column(Column::RegisteredOn)),
        ("機種", MappedTo::Column(Column::Description)),
    ]
    .into_iter()
    .collect();
    let err = import_ledger_with(&bytes, &mapping).unwrap_err();
    assert!(
        matches!(&err, ImportError::DuplicateColumn { first, second, .. } if first == "機種" && second == "備考"),
        "{err:?}"
    );
    let mapping: ColumnMapping = mapping.iter().chain([("備考", MappedTo::Ignore)]).collect();
    let mapped = import_ledger_with(&bytes, &mapping).unwrap();
    assert_eq!(mapped.rows[0].description, "FMV-D588");
    assert_eq!(mapped.rows[2].description, "ThinkCentre M75q");
    assert_eq!(
        mapped.rows[2].registered_on,
        NaiveDate::from_ymd_opt(2021, 6, 30)
    );
    assert!(mapped.unmapped.is_empty());
    assert_eq!(mapped.ignored_columns, vec!["備考".to_owned()]);
}

#[test]
fn duplicates_are_found_across_sheets_and_problems_name_the_sheet() {
    let Err(ImportError::InvalidRows(problems)) = import_ledger(&hospital_workbook(true)) else {
        panic!("duplicate across sheets accepted");
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(
        (problems[0].sheet.as_deref(), problems[0].row),
        (Some("病棟"), 5)
    );
    assert_eq!(
        problems[0].to_string(),
        "シート「病棟」5 行目 管理番号「G-002」: シート「外来棟」5 行目と同じ管理番号です（重複）"
    );
}

#[test]
fn a_workbook_without_a_ledger_sheet_names_the_best_candidate() {
    let mut book = Workbook::new();
    book.add_worksheet()
        .set_name("表紙")
        .unwrap()
        .write_string(0, 0, "機器台帳")
        .unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("一覧").unwrap();
    for (c, h) in ["No", "IPアドレス", "導入日"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "1").unwrap();
    sheet.write_string(1, 1, "10.0.0.1").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let err = import_ledger(&bytes).unwrap_err();
    let ImportError::MissingColumns {
        sheet, unmapped, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(sheet.as_deref(), Some("一覧"));
    assert_eq!(unmapped[0].header, "No");
    assert_eq!(unmapped[0].samples, vec!["1".to_owned()]);
    assert!(
        err.to_string()
            .contains("シート「一覧」の見つかった見出し: No, IPアドレス, 導入日"),
        "{err}"
    );
    let mapping: ColumnMapping = [("No", MappedTo::Column(Column::AssetNo))]
        .into_iter()
        .collect();
    assert_eq!(
        import_ledger_with(&bytes, &mapping).unwrap().rows[0].asset_no,
        "1"
    );
}
