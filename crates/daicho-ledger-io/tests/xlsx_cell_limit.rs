//! Every XLSX cell within Excel's limit of 32,767 characters (UTF-16 units): a device at the
//! maximum bounds of `daicho_model::bounds` whose open services came from two agents' scopes
//! (1,024 services of 32-character names, each flagged), with a 40,000-character 説明 imported
//! from a CSV and a 40,000-character restriction record, exports as ledger XLSX and checklist
//! XLSX; the joined cells are cut with the marker, read back from the files. Before the cut
//! one such cell failed the whole workbook. Likewise the page header within Excel's 255
//! characters, however long the 医療機関名.

#[path = "support/export_meta.rs"]
mod export_meta;
#[path = "support/zip_parts.rs"]
mod zip_parts;

use chrono::{FixedOffset, TimeZone as _, Utc};
use daicho_ledger_io::checklist::{
    ChecklistDevice, ChecklistInput, ConnectionRestriction, DeviceKind, evaluate_checklist,
    render_xlsx,
};
use daicho_ledger_io::{DeviceStatus, ExportRow, LedgerRow, export_xlsx, import_ledger};
use daicho_model::bounds::{
    MAX_EVIDENCE, MAX_NAME_CHARS, MAX_SERVICE_NAME_CHARS, MAX_SERVICES_PER_HOST, MAX_TEXT_CHARS,
};
use daicho_policy::{Flag, FlagKind};
use zip_parts::zip_part;

/// Excel's cell limit.
const CELL_MAX: usize = 32_767;

/// Two agents' scopes, each answering on the most services a report keeps.
fn services() -> Vec<String> {
    (0..2 * MAX_SERVICES_PER_HOST)
        .map(|i| {
            let name = format!("{i:0>MAX_SERVICE_NAME_CHARS$}");
            format!("{name}/tcp/{}", 10_000 + i)
        })
        .collect()
}

/// A flag per service, and an end-of-life flag carrying the most evidence a guess keeps.
fn flags(services: &[String]) -> Vec<Flag> {
    let mut flags: Vec<Flag> = services
        .iter()
        .map(|s| Flag {
            kind: FlagKind::UnneededService,
            code: "unknown-port".into(),
            service: Some(s.clone()),
            reason: "業務に不要なサービスです。停止してください。".into(),
            evidence: vec!["x".repeat(MAX_TEXT_CHARS)],
        })
        .collect();
    flags.push(Flag {
        kind: FlagKind::EolOs,
        code: "unsupported".into(),
        service: None,
        reason: "サポートが終了しています。".into(),
        evidence: vec!["e".repeat(MAX_TEXT_CHARS); MAX_EVIDENCE],
    });
    flags
}

fn ledger_row() -> LedgerRow {
    LedgerRow {
        asset_no: "A-0001".into(),
        maker: "m".repeat(MAX_NAME_CHARS),
        os: "o".repeat(MAX_NAME_CHARS),
        software: "s".repeat(MAX_NAME_CHARS),
        software_version: "1".into(),
        ip: Some("198.18.0.10".parse().unwrap()),
        computer_name: "h".repeat(MAX_NAME_CHARS),
        location: "検査室".into(),
        user: "検査技師".into(),
        registered_on: chrono::NaiveDate::from_ymd_opt(2025, 4, 1),
        status: Some(DeviceStatus::Active),
        // An imported CSV cell has no length limit.
        description: "説".repeat(40_000),
        mac: Some("00:1b:21:00:00:01".parse().unwrap()),
    }
}

/// Every shared string of a workbook, unescaped.
fn shared_strings(xlsx: &[u8]) -> Vec<String> {
    let xml = zip_part(xlsx, "xl/sharedStrings.xml");
    xml.split("<si>")
        .skip(1)
        .map(|si| {
            let start = si.find("<t").unwrap();
            let text = &si[start..];
            let text = &text[text.find('>').unwrap() + 1..text.find("</t>").unwrap()];
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Every string within the limit; returns those that were cut.
fn cut_strings(xlsx: &[u8]) -> Vec<String> {
    let strings = shared_strings(xlsx);
    assert!(!strings.is_empty());
    for s in &strings {
        assert!(utf16_len(s) <= CELL_MAX, "{} units", utf16_len(s));
    }
    strings
        .into_iter()
        .filter(|s| s.contains("…[truncated "))
        .collect()
}

/// Every string within the limit, `count` of them cut, the open services among them cut to
/// the limit exactly with the marker visible; returns the cut ones.
fn cut_with_open_services(xlsx: &[u8], count: usize, services: &[String]) -> Vec<String> {
    let cut = cut_strings(xlsx);
    let starts: Vec<String> = cut.iter().map(|s| s.chars().take(20).collect()).collect();
    assert_eq!(cut.len(), count, "{starts:?}");
    let open = cut.iter().find(|s| s.starts_with(&services[0])).unwrap();
    assert_eq!(utf16_len(open), CELL_MAX);
    assert!(open.ends_with(" chars]"), "the marker is visible");
    cut
}

#[test]
fn a_ledger_row_at_the_bounds_exports_with_every_cell_within_the_limit() {
    let services = services();
    let row = ExportRow {
        ledger: ledger_row(),
        vendor: "v".repeat(MAX_NAME_CHARS),
        last_seen: Some(Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap()),
        flags: flags(&services),
        open_services: services.clone(),
        switch_port: "p".repeat(MAX_NAME_CHARS),
    };
    let joined = services.join(", ");
    assert!(joined.len() > CELL_MAX, "the test needs an over-long cell");

    let xlsx = export_xlsx(&[row], &export_meta::export_meta("テスト病院")).unwrap();
    // 説明, 開放サービス and フラグ.
    let cut = cut_with_open_services(&xlsx, 3, &services);
    assert!(cut.iter().any(|s| s.starts_with("不要なサービス(")));

    // The file reads back; the cut 説明 keeps its start, the marker and the limit.
    let back = import_ledger(&xlsx).unwrap();
    assert_eq!(back.rows.len(), 1);
    let description = &back.rows[0].description;
    assert!(description.starts_with("説説説"), "{}", &description[..9]);
    assert!(description.ends_with(" chars]"));
    assert_eq!(utf16_len(description), CELL_MAX);
    assert_eq!(back.rows[0].computer_name, "h".repeat(MAX_NAME_CHARS));
}

#[test]
fn a_checklist_with_a_device_at_the_bounds_exports_with_every_cell_within_the_limit() {
    let services = services();
    let device = ChecklistDevice {
        ledger: Some(ledger_row()),
        kind: DeviceKind::Server,
        ip: Some("198.18.0.10".parse().unwrap()),
        mac: Some("00:1b:21:00:00:01".parse().unwrap()),
        hostname: "h".repeat(MAX_NAME_CHARS),
        vendor: "v".repeat(MAX_NAME_CHARS),
        os: "o".repeat(MAX_NAME_CHARS),
        last_seen: Some(Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap()),
        flags: flags(&services),
        open_services: services.clone(),
        exceptions: Vec::new(),
        device_id: 0,
        remote: None,
        remote_paths: Vec::new(),
    };
    let input = ChecklistInput {
        facility: "テスト病院".into(),
        checked_at: FixedOffset::east_opt(9 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 21, 14, 0, 0)
            .unwrap(),
        devices: vec![device],
        restriction: ConnectionRestriction {
            applied: true,
            description: "記".repeat(40_000),
            allowlist: vec!["00:1b:21:00:00:01".parse().unwrap()],
        },
    };
    let report = evaluate_checklist(&input);
    let xlsx = render_xlsx(&report).unwrap();
    // 2-⑫'s open services of the device and 2-⑬'s restriction record.
    let cut = cut_with_open_services(&xlsx, 2, &services);
    assert!(cut.iter().any(|s| s.starts_with("接続元制限の記録: 記記")));
    // Each flagged service still has its own row.
    let strings = shared_strings(&xlsx);
    assert!(strings.iter().any(|s| s
        == &format!(
            "不要なサービス（{}）",
            services[2 * MAX_SERVICES_PER_HOST - 1]
        )));
}

/// A 400-character 医療機関名 full of `&` (an operator setting, so any length): the ledger XLSX's
/// page header is cut with `…` to Excel's 255 characters, codes and `&&` escapes included, and
/// rust_xlsxwriter keeps it (a longer header it drops without a word). The name's `&`s fall so
/// that the cut comes right after one: it stays escaped.
#[test]
fn a_long_facility_name_is_cut_to_fit_the_page_header() {
    let facility: String = "&病院".repeat(134).chars().take(400).collect();
    let bytes = export_xlsx(&[], &export_meta::export_meta(&facility)).unwrap();
    let xml = zip_part(&bytes, "xl/worksheets/sheet1.xml");
    let header = xml
        .split("<oddHeader>")
        .nth(1)
        .and_then(|s| s.split("</oddHeader>").next())
        .expect("the page header is in the workbook")
        .replace("&amp;", "&");
    assert!(
        header.encode_utf16().count() <= 255,
        "{} characters",
        header.encode_utf16().count()
    );
    let name = header
        .strip_prefix("&L")
        .and_then(|h| h.strip_suffix("…&C機器台帳&R&D"))
        .unwrap_or_else(|| panic!("not the ledger's header: {header}"));
    assert!(name.starts_with("&&病院&&病院"), "{name}");
    assert!(
        !name.replace("&&", "").contains('&'),
        "every & of the name is escaped: {name}"
    );
}
