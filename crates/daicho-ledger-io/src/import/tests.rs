use super::*;
use crate::mapping::MappedTo;

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

#[test]
fn headings_are_skipped_and_counted_and_lone_asset_numbers_are_devices() {
    let text = "管理番号,設置場所,IPアドレス\n\
                【外来棟】,,\n\
                1,受付,10.0.0.1\n\
                2F 医事課,,\n\
                A-100,,\n\
                ,■3階,\n\
                2,3階,10.0.0.2\n";
    let import = csv(text).unwrap();
    let assets: Vec<&str> = import.rows.iter().map(|r| r.asset_no.as_str()).collect();
    assert_eq!(assets, vec!["1", "A-100", "2"]);
    assert_eq!(import.row_numbers, vec![3, 5, 7]);
    let headings: Vec<(usize, &str)> = import
        .skipped_headings
        .iter()
        .map(|h| (h.at.row, h.text.as_str()))
        .collect();
    assert_eq!(
        headings,
        vec![(2, "【外来棟】"), (4, "2F 医事課"), (6, "■3階")]
    );
    assert_eq!(import.skipped_headings[0].at.sheet, None);

    // A lone IP address is not a heading: its row is a device without a 管理番号.
    let Err(ImportError::InvalidRows(problems)) =
        csv("管理番号,IPアドレス\n1,10.0.0.1\n,10.0.0.9\n")
    else {
        panic!("a lone IP was skipped");
    };
    assert_eq!((problems[0].row, problems[0].column), (3, Column::AssetNo));
}

#[test]
fn unmapped_headers_carry_their_column_and_samples() {
    let text = "管理番号,機種,IPアドレス,購入価格\n\
                1,FMV-A,10.0.0.1,100\n\
                【外来棟】,,,\n\
                2,FMV-A,10.0.0.2,\n\
                3,ThinkPad X1 Carbon Gen 11 （法人向けモデル、保守5年付き）,10.0.0.3,300\n\
                4,Let's note,10.0.0.4,400\n";
    let import = csv(text).unwrap();
    assert_eq!(
        import.ignored_columns,
        vec!["機種".to_owned(), "購入価格".to_owned()]
    );
    let [model, price] = import.unmapped.as_slice() else {
        panic!("{:?}", import.unmapped);
    };
    assert_eq!((model.header.as_str(), model.index), ("機種", 1));
    assert_eq!(model.letter(), "B");
    assert_eq!(model.samples.len(), 3);
    assert_eq!(model.samples[0], "FMV-A");
    assert!(model.samples[1].ends_with('…'));
    assert_eq!(model.samples[1].chars().count(), SAMPLE_CHARS);
    assert_eq!(model.samples[2], "Let's note");
    assert_eq!(price.samples, vec!["100", "300", "400"]);
    assert_eq!(price.letter(), "D");
}

#[test]
fn a_mapping_reads_unknown_headers_and_wins_over_synonyms() {
    let text = "管理番号,機種,備考,IPアドレス,旧番号\n1,FMV-A,予備機,10.0.0.1,X9\n";
    let mapping: ColumnMapping = [
        ("機種", MappedTo::Column(Column::Description)),
        ("備考", MappedTo::Ignore),
        ("旧 番号", MappedTo::Ignore),
    ]
    .into_iter()
    .collect();
    let sjis = encoding_rs::SHIFT_JIS.encode(text).0;
    let import = import_ledger_with(&sjis, &mapping).unwrap();
    assert!(matches!(
        import.source,
        SourceKind::Csv {
            encoding: TextEncoding::Cp932,
            ..
        }
    ));
    assert_eq!(import.rows[0].description, "FMV-A");
    assert_eq!(
        import.ignored_columns,
        vec!["備考".to_owned(), "旧番号".to_owned()]
    );
    assert!(import.unmapped.is_empty(), "{:?}", import.unmapped);
    // Without the mapping 備考 is 説明 and 機種 is unmapped.
    let plain = import_ledger(&sjis).unwrap();
    assert_eq!(plain.rows[0].description, "予備機");
    assert_eq!(plain.unmapped[0].header, "機種");
}

#[test]
fn a_mapping_can_name_the_required_columns() {
    let text = "No,端末IP,場所\n1,10.0.0.1,受付\n2,10.0.0.2,2F\n";
    let err = csv(text).unwrap_err();
    let ImportError::MissingColumns {
        missing, unmapped, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(missing, &vec!["管理番号".to_owned()]);
    let offered: Vec<(&str, &[String])> = unmapped
        .iter()
        .map(|c| (c.header.as_str(), c.samples.as_slice()))
        .collect();
    assert_eq!(
        offered,
        vec![
            ("No", &["1".to_owned(), "2".to_owned()][..]),
            (
                "端末IP",
                &["10.0.0.1".to_owned(), "10.0.0.2".to_owned()][..]
            )
        ]
    );
    // The identifier check names the unmapped headers too.
    let err = csv("管理番号,端末IP\n1,10.0.0.1\n").unwrap_err();
    assert!(
        matches!(&err, ImportError::MissingColumns { unmapped, .. } if unmapped[0].header == "端末IP" && unmapped[0].samples == ["10.0.0.1"]),
        "{err:?}"
    );

    let mapping: ColumnMapping = [
        ("No", MappedTo::Column(Column::AssetNo)),
        ("端末IP", MappedTo::Column(Column::Ip)),
    ]
    .into_iter()
    .collect();
    let import = import_csv_with(text.as_bytes(), &mapping).unwrap();
    assert_eq!(import.rows[1].asset_no, "2");
    assert_eq!(import.rows[1].ip, Some("10.0.0.2".parse().unwrap()));
}

#[test]
fn mapping_json_round_trip() {
    let mapping: ColumnMapping = [
        ("導入日", MappedTo::Column(Column::RegisteredOn)),
        ("機種", MappedTo::Column(Column::Description)),
        ("購入価格", MappedTo::Ignore),
    ]
    .into_iter()
    .collect();
    let json = serde_json::to_string(&mapping).unwrap();
    assert_eq!(
        json,
        r#"{"導入日":"登録日","機種":"説明","購入価格":"ignore"}"#
    );
    let back: ColumnMapping = serde_json::from_str(&json).unwrap();
    assert_eq!(back, mapping);
    // Synonyms are accepted as targets; unknown targets and one header twice are refused.
    let lenient: ColumnMapping = serde_json::from_str(r#"{"機種": "備考"}"#).unwrap();
    assert_eq!(
        lenient.get("機種"),
        Some(MappedTo::Column(Column::Description))
    );
    assert!(serde_json::from_str::<ColumnMapping>(r#"{"機種": "型番"}"#).is_err());
    assert!(serde_json::from_str::<ColumnMapping>(r#"{"機種": "ベンダー"}"#).is_err());
    let twice =
        serde_json::from_str::<ColumnMapping>(r#"{"導入日": "登録日", "導入 日": "ignore"}"#)
            .unwrap_err();
    assert!(twice.to_string().contains("同じ見出し"), "{twice}");
}

#[test]
fn problem_messages_are_safe_for_a_terminal() {
    let Err(err) = csv("管理番号,IPアドレス\n1,\"10.0.0.\u{1b}[31m\"\n") else {
        panic!("bad IP accepted");
    };
    let message = err.to_string();
    assert!(!message.contains('\u{1b}'), "{message}");
    assert!(message.contains("10.0.0.\\u{1b}[31m"), "{message}");
}
