use super::*;

fn csv(text: &str) -> Result<Import, ImportError> {
    import_csv(text.as_bytes())
}

#[test]
fn reads_the_manual_example() {
    let text = "管理番号,メーカー,OS,ソフトウェア,ソフトウェアバージョン,IPアドレス,コンピュータ名,設置場所,利用者,登録日,状態,説明\n\
                001,A社,Win11,○○電子カルテ,2.0,192.168.1.11,Room1のPC1,Room1,a医師（○○科）,2020/12/1,稼働,\n\
                002,A社,Win11,○○電子カルテ,1.2,192.168.1.12,Room1のPC2,Room1,b医師（○○科）,2020/12/1,停止,メンテナンス\n";
    let import = csv(text).unwrap();
    assert_eq!(import.rows.len(), 2);
    assert_eq!(import.header_row, 1);
    assert_eq!(import.row_numbers, vec![2, 3]);
    let first = &import.rows[0];
    assert_eq!(first.asset_no, "001");
    assert_eq!(first.ip, Some("192.168.1.11".parse().unwrap()));
    assert_eq!(first.registered_on, NaiveDate::from_ymd_opt(2020, 12, 1));
    assert_eq!(first.status, Some(DeviceStatus::Active));
    assert_eq!(import.rows[1].status, Some(DeviceStatus::Stopped));
    assert_eq!(import.rows[1].description, "メンテナンス");
}

#[test]
fn header_below_a_title_and_row_numbers_follow_the_sheet() {
    let text = "機器台帳,,\n\n 管理番号 ,ＩＰアドレス,MAC\nA1,10.0.0.1,\nA2,10.0.0.300,\n";
    match csv(text) {
        Err(ImportError::InvalidRows(problems)) => {
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].row, 5);
            assert_eq!(problems[0].column, Column::Ip);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn quoted_line_breaks_count_as_one_row() {
    let text = "管理番号,IPアドレス,説明\nA1,10.0.0.1,\"二行の\n説明\"\nA2,bad,\n";
    match csv(text) {
        Err(ImportError::InvalidRows(problems)) => assert_eq!(problems[0].row, 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_problem_is_listed() {
    let text = "管理番号,IPアドレス,MACアドレス,登録日\n\
                1,10.0.0.1,00:1b:21:00:00:01,2020/1/1\n\
                1,10.0.0.2,00:1b:21:00:00:02,2020/1/1\n\
                2,DHCP,00:1b:21:00:00:0g,2020/2/30\n\
                ,10.0.0.4,00:1b:21:00:00:01,\n";
    let Err(ImportError::InvalidRows(problems)) = csv(text) else {
        panic!("expected invalid rows");
    };
    let summary: Vec<(usize, Column)> = problems.iter().map(|p| (p.row, p.column)).collect();
    assert_eq!(
        summary,
        vec![
            (3, Column::AssetNo),
            (4, Column::Ip),
            (4, Column::RegisteredOn),
            (4, Column::Mac),
            (5, Column::AssetNo),
            (5, Column::Mac),
        ]
    );
    let message = ImportError::InvalidRows(problems).to_string();
    assert!(
        message.contains("3 行目 管理番号「1」: 2 行目と同じ管理番号です"),
        "{message}"
    );
    assert!(message.contains("DHCP"), "{message}");
}

#[test]
fn required_columns() {
    let err = csv("番号,IPアドレス\n1,10.0.0.1\n").unwrap_err();
    assert!(
        matches!(&err, ImportError::MissingColumns { missing, .. } if missing[0] == "管理番号")
    );
    assert!(err.to_string().contains("管理番号"), "{err}");
    let err = csv("管理番号,設置場所\n1,受付\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("IPアドレス / MACアドレス / コンピュータ名"),
        "{err}"
    );
    assert_eq!(csv("管理番号,MAC\n\n").unwrap_err(), ImportError::NoRows);
}

#[test]
fn duplicate_header_is_refused() {
    let err = csv("管理番号,IPアドレス,IP\n1,10.0.0.1,10.0.0.1\n").unwrap_err();
    assert!(
        matches!(err, ImportError::DuplicateColumn { .. }),
        "{err:?}"
    );
}

#[test]
fn tab_separated_and_none_marks() {
    let import = csv("管理番号\tIPアドレス\tMACアドレス\t登録日\nX\t-\tなし\t－\n").unwrap();
    assert_eq!(import.rows[0].ip, None);
    assert_eq!(import.rows[0].mac, None);
    assert!(matches!(
        import.source,
        SourceKind::Csv {
            delimiter: '\t',
            ..
        }
    ));
}

#[test]
fn full_width_values_and_formula_guard() {
    let import =
        csv("管理番号,IPアドレス,コンピュータ名\n１,１９２．１６８．０．１,'=HYPERLINK()\n")
            .unwrap();
    assert_eq!(import.rows[0].ip, Some("192.168.0.1".parse().unwrap()));
    assert_eq!(import.rows[0].asset_no, "１");
    assert_eq!(import.rows[0].computer_name, "=HYPERLINK()");
}

#[test]
fn encodings() {
    let sjis = encoding_rs::SHIFT_JIS
        .encode("管理番号,コンピュータ名\n1,受付ＰＣ\n")
        .0;
    let import = import_csv(&sjis).unwrap();
    assert!(matches!(
        import.source,
        SourceKind::Csv {
            encoding: TextEncoding::Cp932,
            ..
        }
    ));
    assert_eq!(import.rows[0].computer_name, "受付ＰＣ");

    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend("管理番号,MAC\n1,00:1b:21:00:00:01\n".as_bytes());
    assert!(matches!(
        import_csv(&bom).unwrap().source,
        SourceKind::Csv {
            encoding: TextEncoding::Utf8,
            ..
        }
    ));

    let utf16: Vec<u8> = "管理番号,MAC\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(matches!(
        import_csv(&utf16),
        Err(ImportError::UnknownEncoding { .. })
    ));
    let mut with_bom = vec![0xFF, 0xFE];
    with_bom.extend(&utf16);
    let err = import_csv(&with_bom).unwrap_err();
    assert!(err.to_string().contains("UTF-16"), "{err}");
}

#[test]
fn crlf_row_numbers() {
    let text = "機器台帳\r\n管理番号,IPアドレス\r\n1,10.0.0.1\r\n2,bad\r\n";
    match csv(text) {
        Err(ImportError::InvalidRows(problems)) => assert_eq!(problems[0].row, 4),
        other => panic!("{other:?}"),
    }
}
