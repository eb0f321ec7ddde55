use chrono::{TimeZone, Utc};
use daicho_model::ledger_columns::LedgerRow;
use rust_xlsxwriter::ExcelDateTime;

use super::*;
use crate::checklist::DeviceKind;

fn device(id: i64, ip: &str, paths: &[&str]) -> ChecklistDevice {
    ChecklistDevice {
        ledger: Some(LedgerRow {
            asset_no: format!("NW-{id:03}"),
            computer_name: format!("dev-{id}"),
            location: "サーバ室".into(),
            ..LedgerRow::default()
        }),
        kind: DeviceKind::Network,
        ip: Some(ip.parse().unwrap()),
        mac: Some("90:6c:ac:00:00:19".parse().unwrap()),
        hostname: format!("dev-{id}"),
        vendor: "Fortinet".into(),
        os: "FortiOS 6.0.4".into(),
        last_seen: Some(Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap()),
        open_services: Vec::new(),
        flags: Vec::new(),
        exceptions: Vec::new(),
        device_id: id,
        remote: Some(RemoteMaintenance {
            vendor: "B社".into(),
            ..RemoteMaintenance::default()
        }),
        remote_paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    }
}

fn meta() -> VendorSheetMeta {
    VendorSheetMeta {
        facility: "テスト病院".into(),
        vendor: "B社".into(),
        made_at: FixedOffset::east_opt(9 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 12, 7, 10, 0, 0)
            .unwrap(),
    }
}

/// A returned sheet as a vendor's own spreadsheet program may save it: the vendor's cell, the
/// header row and one answered row for device 7 with `remote` and `who`, the day as `day`.
fn returned(remote: &str, who: &str, day: Option<ExcelDateTime>) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET).unwrap();
    sheet.write_string(2, 0, VENDOR_LABEL).unwrap();
    sheet.write_string(2, 1, "B社").unwrap();
    sheet.write_string(HEADER_ROW, 0, ID_HEADER).unwrap();
    for (i, h) in ANSWER_HEADERS.iter().enumerate() {
        sheet.write_string(HEADER_ROW, 8 + i as u16, *h).unwrap();
    }
    sheet.write_string(HEADER_ROW + 1, 0, "7").unwrap();
    sheet.write_string(HEADER_ROW + 1, 8, remote).unwrap();
    sheet.write_string(HEADER_ROW + 1, 10, who).unwrap();
    if let Some(day) = day {
        let format = Format::new().set_num_format("yyyy/m/d");
        sheet
            .write_datetime_with_format(HEADER_ROW + 1, 11, day, &format)
            .unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn a_fresh_sheet_reads_back_with_its_vendor_and_no_answers() {
    let devices = [
        device(7, "198.18.0.25", &["VPN 装置: FortiOS 6.0.4"]),
        device(9, "198.18.0.15", &[]),
    ];
    let refs: Vec<&ChecklistDevice> = devices.iter().collect();
    let bytes = vendor_sheet_xlsx(&refs, &meta()).unwrap();
    let reply = read_vendor_sheet(&bytes).unwrap();
    assert_eq!(reply.vendor, "B社");
    assert!(reply.answers.is_empty());
    // What daicho saw is on the sheet for the vendor.
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(SHEET).unwrap();
    let row = HEADER_ROW as usize + 1;
    assert_eq!(range.get((row, 0)).unwrap().to_string(), "7");
    assert_eq!(range.get((row, 1)).unwrap().to_string(), "NW-007");
    assert_eq!(
        range.get((row, 7)).unwrap().to_string(),
        "VPN 装置: FortiOS 6.0.4"
    );
}

#[test]
fn answers_round_trip_and_an_excel_date_reads_as_the_day() {
    let mut answered = device(7, "198.18.0.25", &["VPN 装置: FortiOS 6.0.4"]);
    answered.remote = Some(RemoteMaintenance {
        vendor: "B社".into(),
        remote: RemoteUse::Yes,
        // A formula-looking answer is guarded on the way out and unguarded on the way in.
        method: "=SSL-VPN (FortiGate)".into(),
        confirmed_with: "保守課 佐藤".into(),
        confirmed_on: NaiveDate::from_ymd_opt(2026, 12, 3),
    });
    let mut refused = device(9, "198.18.0.15", &[]);
    refused.remote = Some(RemoteMaintenance {
        vendor: "B社".into(),
        remote: RemoteUse::No,
        method: String::new(),
        confirmed_with: "保守課 佐藤".into(),
        confirmed_on: NaiveDate::from_ymd_opt(2026, 12, 3),
    });
    let untouched = device(11, "198.18.0.30", &[]);
    let devices = [&answered, &refused, &untouched];
    let reply = read_vendor_sheet(&vendor_sheet_xlsx(&devices, &meta()).unwrap()).unwrap();
    assert_eq!(reply.answers.len(), 2, "{reply:?}");
    assert_eq!(reply.answers[0].device_id, 7);
    assert_eq!(Some(&reply.answers[0].record), answered.remote.as_ref());
    assert_eq!(Some(&reply.answers[1].record), refused.remote.as_ref());

    // A vendor who types 有 and enters the day as an Excel date.
    let day = ExcelDateTime::from_ymd(2026, 12, 4).unwrap();
    let reply = read_vendor_sheet(&returned("有", "佐藤", Some(day))).unwrap();
    assert_eq!(reply.answers[0].record.remote, RemoteUse::Yes);
    assert_eq!(
        reply.answers[0].record.confirmed_on,
        NaiveDate::from_ymd_opt(2026, 12, 4)
    );
}

#[test]
fn a_bad_answer_names_its_row_and_column() {
    let err = read_vendor_sheet(&returned("たぶん", "", None))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("7 行目") && err.contains("リモート保守"),
        "{err}"
    );
    assert!(read_vendor_sheet(b"not a workbook").is_err());
}
