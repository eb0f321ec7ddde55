//! Checklist 2-②: devices showing a remote-maintenance path are listed to confirm; the vendor's
//! confirmation request is written, filled in by the vendor (another spreadsheet writer, as
//! Excel would) and read back; 2-② moves from いいえ to はい. Run as the real binary.

#[path = "support/command_line.rs"]
mod command_line;

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use chrono::Utc;
use command_line::{run, stderr, stdout, temp_config};
use daicho_ledger::{Ledger, LedgerOptions};
use daicho_model::{
    AgentInfo, Host, MacAddr, OsFamily, OsGuess, Protocol, ScanReport, Scope, Service,
};

fn host(i: u8, family: OsFamily, os: Option<&str>, services: Vec<Service>) -> Host {
    Host {
        ip: format!("198.18.0.{i}").parse().unwrap(),
        mac: Some(MacAddr([0x90, 0x6c, 0xac, 0, 0, i])),
        vendor: None,
        mac_randomized: false,
        hostname: Some(format!("host-{i}")),
        os: OsGuess {
            family,
            name: os.map(str::to_owned),
            version: os.map(|_| "6.0.4".to_owned()),
            confidence: 0.9,
            evidence: Vec::new(),
        },
        services,
        rtt_ms: None,
        ttl: None,
        discovered_by: vec!["arp".into()],
        local: None,
    }
}

fn service(port: u16, name: &str) -> Service {
    Service {
        port,
        protocol: Protocol::Tcp,
        name: name.into(),
        product: None,
        version: None,
        evidence: Vec::new(),
    }
}

/// The answer cell of the 2-② summary line.
fn answer(html: &str) -> &str {
    let at = html.find("2-②</td>").expect("2-② in the summary");
    let rest = &html[at..];
    let span = rest.find("<span class=\"answer").unwrap();
    let text = &rest[span..];
    let start = text.find('>').unwrap() + 1;
    &text[start..start + text[start..].find('<').unwrap()]
}

#[test]
fn paths_are_listed_the_vendor_sheet_round_trips_and_2_2_turns_yes() {
    let (dir, db, config) = temp_config();
    {
        let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
        let mut r = ScanReport::new(
            AgentInfo {
                name: "ward".into(),
                version: "t".into(),
                machine_id: None,
            },
            Scope::default(),
            Utc::now(),
        );
        r.hosts = vec![
            host(
                25,
                OsFamily::Network,
                Some("FortiOS"),
                vec![service(443, "https")],
            ),
            host(15, OsFamily::Windows, None, vec![service(5900, "vnc")]),
            host(10, OsFamily::Linux, None, vec![service(22, "ssh")]),
        ];
        ledger.ingest(&r, None).unwrap();
    }
    let html = || stdout(&run(&config, &["report", "checklist", "--format", "html"]));
    // Nothing recorded: the two paths make 2-② いいえ.
    assert_eq!(answer(&html()), "いいえ");
    let list: serde_json::Value = serde_json::from_str(&stdout(&run(
        &config,
        &["remote-maintenance", "list", "--format", "json"],
    )))
    .unwrap();
    let paths: Vec<(i64, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["device"].as_i64().unwrap(),
                d["paths"][0].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            (1, "VPN 装置: FortiOS 6.0.4".to_owned()),
            (2, "リモートサポート（待ち受け）: vnc/tcp/5900".to_owned())
        ]
    );

    // Both are B社's; no sheet for a vendor the register does not name.
    for device in ["1", "2"] {
        stdout(&run(
            &config,
            &["remote-maintenance", "set", device, "--vendor", "B社"],
        ));
    }
    let sheet = dir.path().join("b.xlsx");
    let sheet_arg = sheet.to_str().unwrap();
    let unknown = run(
        &config,
        &[
            "report",
            "vendor-confirmation",
            "--vendor",
            "C社",
            "--format",
            "xlsx",
            "--output",
            sheet_arg,
        ],
    );
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("B社"), "{}", stderr(&unknown));
    let made = run(
        &config,
        &[
            "report",
            "vendor-confirmation",
            "--vendor",
            "B社",
            "--format",
            "xlsx",
            "--output",
            sheet_arg,
        ],
    );
    assert!(stderr(&made).contains("2 device(s)"), "{}", stderr(&made));

    // The vendor fills the yellow columns and saves: the grid rewritten by another writer.
    let mut book = open_workbook_auto_from_rs(Cursor::new(std::fs::read(&sheet).unwrap())).unwrap();
    let grid = book.worksheet_range("確認依頼").unwrap();
    let mut returned = rust_xlsxwriter::Workbook::new();
    let out = returned.add_worksheet();
    out.set_name("確認依頼").unwrap();
    let mut header_row = None;
    for (r, row) in grid.rows().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if let Data::String(s) = cell {
                out.write_string(r as u32, c as u16, s).unwrap();
                if s == "daicho ID" {
                    header_row = Some(r);
                }
            }
        }
    }
    let first = header_row.unwrap() as u32 + 1;
    let answers = [("あり", "SSL-VPN"), ("なし", "")];
    for (i, (remote, method)) in answers.iter().enumerate() {
        let r = first + i as u32;
        out.write_string(r, 8, *remote).unwrap();
        out.write_string(r, 9, *method).unwrap();
        out.write_string(r, 10, "B社 保守課 佐藤").unwrap();
        out.write_string(r, 11, "2026/12/01").unwrap();
    }
    let filled = dir.path().join("b-returned.xlsx");
    std::fs::write(&filled, returned.save_to_buffer().unwrap()).unwrap();
    let imported = stdout(&run(
        &config,
        &["remote-maintenance", "import", filled.to_str().unwrap()],
    ));
    assert!(
        imported.contains("recorded 2 answer(s) of B社"),
        "{imported}"
    );

    let html = html();
    assert_eq!(answer(&html), "はい");
    assert!(html.contains("B社 保守課 佐藤") && html.contains("SSL-VPN"));
    let device: serde_json::Value =
        serde_json::from_str(&stdout(&run(&config, &["device", "show", "1"]))).unwrap();
    assert!(
        device["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "remote_maintenance_recorded"),
        "{device:#}"
    );

    // A sheet of one vendor cannot fill another vendor's devices.
    stdout(&run(
        &config,
        &["remote-maintenance", "set", "2", "--vendor", "C社"],
    ));
    let refused = run(
        &config,
        &["remote-maintenance", "import", filled.to_str().unwrap()],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("C社") || stderr(&refused).contains("B社"),
        "{}",
        stderr(&refused)
    );
}
