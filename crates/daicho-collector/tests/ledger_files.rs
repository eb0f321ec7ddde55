//! `ledger import|export`, `allowlist export` and `report checklist` run as the real binary
//! against a ledger filled by an ingested scan report (no root needed; the test LAN version of
//! this flow is `lan_ledger.rs`).

#[path = "support/ledger_files.rs"]
mod support;

use std::path::{Path, PathBuf};

use chrono::Utc;
use daicho_ledger::{Ledger, LedgerOptions};
use daicho_model::{
    AgentInfo, Host, MacAddr, OsFamily, OsGuess, Protocol, ScanReport, Scope, Service,
};
use support::{
    Known, config, core_switch_applied, csv_utf8, failed, ledger_rows, ok, read_rows, run,
    write_three_ways, xlsx,
};

const BIN: &str = env!("CARGO_BIN_EXE_daicho-collector");

fn service(port: u16, name: &str) -> Service {
    Service {
        port,
        protocol: Protocol::Tcp,
        name: name.into(),
        product: None,
        version: None,
        evidence: vec!["banner".into()],
    }
}

/// Hosts .10–.21; .15 (a Windows PC, with telnet open when `telnet`) is the one the ledger
/// does not list; .14 (a Linux server) runs FTP. Ports 1–1024 were scanned.
fn scan_report(telnet: bool) -> ScanReport {
    let mut r = ScanReport::new(
        AgentInfo {
            name: "ward3".into(),
            version: "t".into(),
            machine_id: None,
        },
        Scope {
            ports: Some("1-1024".into()),
            ..Scope::default()
        },
        Utc::now(),
    );
    r.hosts = (10u8..22)
        .map(|i| Host {
            ip: format!("198.18.0.{i}").parse().unwrap(),
            mac: Some(MacAddr([0, 0x1b, 0x21, 0, 0, i])),
            vendor: Some("Intel Corporate".into()),
            mac_randomized: false,
            hostname: Some(format!("host-{i}.daicho.test")),
            os: OsGuess {
                family: if i % 2 == 0 {
                    OsFamily::Linux
                } else {
                    OsFamily::Windows
                },
                name: None,
                version: None,
                confidence: 0.6,
                evidence: vec![],
            },
            services: match i {
                15 if telnet => vec![service(23, "telnet")],
                14 => vec![service(21, "ftp")],
                _ => vec![],
            },
            rtt_ms: None,
            ttl: None,
            discovered_by: vec![],
            local: None,
        })
        .collect();
    r
}

fn known() -> Vec<Known> {
    (10u8..22)
        .filter(|i| *i != 15)
        .map(|i| Known {
            ip: format!("198.18.0.{i}"),
            mac: format!("00:1b:21:00:00:{i:02x}"),
            name: format!("host-{i}"),
            maker: "Dell".into(),
            os: "Ubuntu 22.04".into(),
        })
        .collect()
}

/// A collector database in `dir` holding one ingested [`scan_report`], and its config file.
fn scanned_collector(dir: &Path, telnet: bool) -> (PathBuf, PathBuf) {
    let db = dir.join("c.db");
    let config = config(dir, &db);
    Ledger::open(&db, LedgerOptions::default())
        .unwrap()
        .ingest(&scan_report(telnet), None)
        .unwrap();
    (db, config)
}

/// A one-row ledger file registering .15, the PC [`known`] leaves out, as NW-9001.
fn unregistered_pc_file(dir: &Path) -> PathBuf {
    let mut pc = ledger_rows(
        &[Known {
            ip: "198.18.0.15".into(),
            mac: "00:1b:21:00:00:0f".into(),
            name: "host-15".into(),
            maker: "Lenovo".into(),
            os: "Windows 11 Pro".into(),
        }],
        1,
    );
    pc[0][0] = "NW-9001".into();
    let path = dir.join("pc.csv");
    std::fs::write(&path, csv_utf8(&pc)).unwrap();
    path
}

/// Everything a failed import must leave as it was.
fn snapshot(db: &Path) -> (Vec<daicho_ledger_io::ExportRow>, usize) {
    let ledger = Ledger::open(db, LedgerOptions::default()).unwrap();
    let rows = ledger
        .export_rows(daicho_ledger::SiteId::DEFAULT, false)
        .unwrap();
    let events = ledger
        .events(&daicho_ledger::EventFilter {
            limit: Some(1000),
            ..Default::default()
        })
        .unwrap()
        .len();
    (rows, events)
}

#[test]
fn a_300_row_ledger_imports_in_both_encodings_and_xlsx_and_the_export_reimports_to_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (db, config) = scanned_collector(dir.path(), true);

    let mut rows = ledger_rows(&known(), 300);
    // One row without its MAC: matched by IP address + コンピュータ名.
    rows[2][12] = String::new();
    let files = write_three_ways(dir.path(), &rows);
    let path = |name: &str| dir.path().join(name).display().to_string();

    // Dry runs: the same plan from all three files, and nothing changes.
    let before = snapshot(&db);
    for (name, _) in &files {
        let (out, took) = run(BIN, &config, &["ledger", "import", &path(name)]);
        let text = ok(&out);
        assert!(
            text.contains(
                "matched: 11 (11 changing), new: 289, conflicts: 0, devices not covered: 1"
            ),
            "{name}:\n{text}"
        );
        assert!(text.contains("300 row(s)"), "{text}");
        assert!(text.contains("(unregistered)"), "{text}");
        eprintln!("dry run of 300 rows from {name}: {} ms", took.as_millis());
    }
    assert_eq!(
        snapshot(&db),
        before,
        "a dry run must not change the ledger"
    );
    let (out, _) = run(
        BIN,
        &config,
        &["ledger", "import", &path("ledger.xlsx"), "--format", "json"],
    );
    let plan: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let decisions = plan["plan"]["rows"].as_array().unwrap();
    assert_eq!(decisions.len(), 300);
    assert_eq!(decisions[0]["matched_by"], "mac");
    assert_eq!(decisions[2]["matched_by"], "ip_name");
    assert_eq!(decisions[20]["action"], "create");
    assert!(plan["applied"].is_null());

    // Apply the CP932 file; the other two then say the same thing.
    let (out, took) = run(
        BIN,
        &config,
        &["ledger", "import", &path("ledger-cp932.csv"), "--apply"],
    );
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("11 device(s) updated, 0 unchanged, 289 created"),
        "{stderr}"
    );
    eprintln!("apply of 300 rows (CP932 CSV): {} ms", took.as_millis());
    for name in ["ledger-utf8.csv", "ledger.xlsx"] {
        let text = ok(&run(BIN, &config, &["ledger", "import", &path(name)]).0);
        assert!(
            text.contains("matched: 300 (0 changing), new: 0"),
            "{name}:\n{text}"
        );
    }
    {
        let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
        let registered = ledger.device(1).unwrap();
        assert_eq!(
            registered.summary.ledger.asset_no.as_deref(),
            Some("NW-0001")
        );
        assert!(!registered.summary.flags.iter().any(|f| f == "unregistered"));
        let unregistered = ledger.device(6).unwrap();
        assert!(
            unregistered
                .summary
                .flags
                .iter()
                .any(|f| f == "unregistered")
        );
    }

    // Export in every format; each re-imports to the rows imported.
    let mut expected = read_rows(&files[0].1);
    // The row imported without a MAC now carries the MAC its device was seen with.
    for r in &mut expected {
        if r.asset_no == "NW-0003" {
            r.mac = Some("00:1b:21:00:00:0c".parse().unwrap());
        }
    }
    for (name, args) in [
        ("out-utf8.csv", vec!["--format", "csv"]),
        (
            "out-cp932.csv",
            vec!["--format", "csv", "--encoding", "cp932"],
        ),
        ("out.xlsx", vec!["--format", "xlsx"]),
    ] {
        let out_path = path(name);
        let mut all = vec![
            "ledger",
            "export",
            "--registered-only",
            "--output",
            &out_path,
        ];
        all.extend(args);
        let (out, took) = run(BIN, &config, &all);
        ok(&out);
        eprintln!("export of 300 rows to {name}: {} ms", took.as_millis());
        let bytes = std::fs::read(&out_path).unwrap();
        assert_eq!(read_rows(&bytes), expected, "{name}");
    }
    assert!(
        std::fs::read(path("out-utf8.csv"))
            .unwrap()
            .starts_with(b"\xEF\xBB\xBF")
    );
    // Re-importing the export changes nothing.
    let (out, _) = run(
        BIN,
        &config,
        &["ledger", "import", &path("out.xlsx"), "--apply"],
    );
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("0 device(s) updated, 300 unchanged, 0 created"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without --registered-only the unregistered device is listed, flagged, with no 管理番号.
    let all = ok(&run(BIN, &config, &["ledger", "export", "--format", "csv"]).0);
    let line = all
        .lines()
        .find(|l| l.contains("198.18.0.15"))
        .expect("the unregistered device is exported");
    assert!(line.starts_with(','), "{line}");
    assert!(
        line.contains("台帳未登録") && line.contains("telnet/tcp/23"),
        "{line}"
    );
    // XLSX is never written to stdout.
    let err = failed(&run(BIN, &config, &["ledger", "export", "--format", "xlsx"]).0);
    assert!(err.contains("--output FILE is required"), "{err}");
}

#[test]
fn bad_ledgers_are_refused_with_clear_errors_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let (db, config) = scanned_collector(dir.path(), true);
    let rows = ledger_rows(&known(), 40);
    let before = snapshot(&db);
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    };

    // An XLSX without the 管理番号 column.
    let headers: Vec<&str> = support::HEADERS
        .iter()
        .copied()
        .filter(|h| *h != "管理番号")
        .collect();
    let shifted: Vec<[String; 13]> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.rotate_left(1);
            r
        })
        .collect();
    let p = write("no-asset-no.xlsx", &xlsx(&headers, &shifted));
    let err = failed(&run(BIN, &config, &["ledger", "import", &p, "--apply"]).0);
    assert!(
        err.contains("必須の列がありません") && err.contains("管理番号"),
        "{err}"
    );

    // A CSV in UTF-16 (neither UTF-8 nor CP932).
    let text = String::from_utf8(csv_utf8(&rows)).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let p = write("utf16.csv", &utf16);
    let err = failed(&run(BIN, &config, &["ledger", "import", &p, "--apply"]).0);
    assert!(err.contains("文字コードを判別できません"), "{err}");

    // Duplicate 管理番号 (rows 6 and 7 of the sheet), plus a bad IP on row 10.
    let mut dup = rows.clone();
    dup[5][0] = dup[4][0].clone();
    dup[8][5] = "198.18.0.300".into();
    let p = write("dup.csv", &csv_utf8(&dup));
    let err = failed(&run(BIN, &config, &["ledger", "import", &p, "--apply"]).0);
    assert!(err.contains("7 行目") && err.contains("10 行目"), "{err}");
    assert!(err.contains("nothing imported"), "{err}");

    // A missing file.
    let err = failed(&run(BIN, &config, &["ledger", "import", "/nonexistent/l.csv"]).0);
    assert!(err.contains("/nonexistent/l.csv"), "{err}");

    assert_eq!(
        snapshot(&db),
        before,
        "a refused import must change nothing"
    );
}

#[test]
fn allowlists_and_the_checklist_come_from_the_imported_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let (db, config) = scanned_collector(dir.path(), true);
    let rows = ledger_rows(&known(), 40);
    let ledger_path = dir.path().join("l.csv");
    std::fs::write(&ledger_path, csv_utf8(&rows)).unwrap();
    ok(&run(
        BIN,
        &config,
        &["ledger", "import", ledger_path.to_str().unwrap(), "--apply"],
    )
    .0);

    let allow = |format: &str, extra: &[&str]| {
        let mut args = vec![
            "allowlist",
            "export",
            "--format",
            format,
            "--subnet",
            "198.18.0.0/24",
            "--subnet",
            "10.20.0.0/16",
        ];
        args.extend(extra);
        let (out, _) = run(BIN, &config, &args);
        (ok(&out), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (plain, note) = allow("plain", &[]);
    assert!(plain.contains("00:1b:21:00:00:0a"), "{plain}");
    assert!(
        !plain.contains("00:1b:21:00:00:0f"),
        "unregistered .15 is not allowed"
    );
    // ST-0010 and ST-0020 are 廃棄, ST-0005… have no MAC: left out and said so.
    assert!(!plain.contains("00:00:4c:00:0a:7e"), "{plain}");
    assert!(note.contains("left out ST-0010"), "{note}");
    let (csv, _) = allow("csv", &[]);
    assert!(
        csv.contains("NW-0001") && csv.contains("198.18.0.0/24"),
        "{csv}"
    );
    let (rtx, _) = allow("yamaha-rtx", &[]);
    assert!(
        rtx.contains("ethernet filter") && rtx.contains("00:1b:21:00:00:0a"),
        "{rtx}"
    );
    let (cisco, _) = allow(
        "cisco",
        &["--cisco-interface", "198.18.0.0/24=GigabitEthernet1/0/1"],
    );
    assert!(
        cisco.contains("GigabitEthernet1/0/1") && cisco.contains("001b.2100.000a"),
        "{cisco}"
    );
    let (swx, _) = allow("yamaha-swx", &["--swx-port", "198.18.0.0/24=port1.3"]);
    assert!(
        swx.contains("interface port1.3\n port-security enable")
            && swx.contains("port-security mac-address 001B.2100.000A forward port1.3 vlan 1"),
        "{swx}"
    );
    let (aruba, _) = allow("aruba", &[]);
    assert!(aruba.contains("001B21-00000A"), "{aruba}");
    let (radius, _) = allow("freeradius", &[]);
    assert!(radius.contains("001b2100000a"), "{radius}");
    let (radius, _) = allow(
        "freeradius",
        &["--radius-mac-format", "multi-dash", "--radius-uppercase"],
    );
    assert!(radius.contains("00-1B-21-00-00-0A"), "{radius}");

    // The checklist: .15 is unregistered and runs telnet, no restriction recorded.
    let (out, _) = run(BIN, &config, &["report", "checklist", "--format", "html"]);
    let html = ok(&out);
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        html.contains("2-①") && html.contains("198.18.0.15"),
        "{html}"
    );
    assert!(summary.contains("2-① いいえ"), "{summary}");
    assert!(summary.contains("2-⑬ いいえ"), "{summary}");
    let xlsx_path = dir.path().join("c.xlsx");
    ok(&run(
        BIN,
        &config,
        &[
            "report",
            "checklist",
            "--format",
            "xlsx",
            "--output",
            xlsx_path.to_str().unwrap(),
        ],
    )
    .0);
    assert!(
        std::fs::read(&xlsx_path)
            .unwrap()
            .starts_with(b"PK\x03\x04")
    );
    let err = failed(&run(BIN, &config, &["report", "checklist", "--format", "xlsx"]).0);
    assert!(err.contains("--output FILE is required"), "{err}");
    assert!(summary.contains("2-⑫ いいえ"), "{summary}");

    // Fix: register .15 from a ledger file, stop its telnet (the next scan no longer sees it),
    // record an exception for the FTP server that must stay.
    let pc_path = unregistered_pc_file(dir.path());
    let text = ok(&run(
        BIN,
        &config,
        &["ledger", "import", pc_path.to_str().unwrap(), "--apply"],
    )
    .0);
    assert!(text.contains("matched: 1 (1 changing), new: 0"), "{text}");
    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    ledger.ingest(&scan_report(false), None).unwrap();
    let ftp_server = ledger
        .list_devices(&daicho_ledger::DeviceFilter {
            q: Some("00:1b:21:00:00:0e".into()),
            ..Default::default()
        })
        .unwrap()
        .devices[0]
        .id;
    drop(ledger);
    let (out, _) = run(
        BIN,
        &config,
        &[
            "report",
            "checklist",
            "--format",
            "html",
            "--restriction-applied",
        ],
    );
    ok(&out);
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(summary.contains("2-① はい"), "{summary}");
    assert!(
        summary.contains("2-⑫ いいえ"),
        "the FTP server still counts: {summary}"
    );
    assert!(summary.contains("2-⑬ はい"), "{summary}");
    ok(&run(
        BIN,
        &config,
        &[
            "exception",
            "add",
            "--device",
            &ftp_server.to_string(),
            "--service",
            "ftp",
            "--reason",
            "検査装置の画像取込に必要",
            "--approver",
            "院長",
            "--expires",
            "2099-03-31",
        ],
    )
    .0);
    let (out, _) = run(
        BIN,
        &config,
        &[
            "report",
            "checklist",
            "--format",
            "html",
            "--restriction-applied",
        ],
    );
    let html = ok(&out);
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(summary.contains("2-⑫ はい"), "{summary}");
    assert!(html.contains("検査装置の画像取込に必要") && html.contains("院長"));
}

#[test]
fn the_applied_allowlist_is_recorded_and_goes_stale_when_a_device_is_registered_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, config) = scanned_collector(dir.path(), false);
    let ledger_path = dir.path().join("l.csv");
    std::fs::write(&ledger_path, csv_utf8(&ledger_rows(&known(), 40))).unwrap();
    let import = |path: &Path| {
        ok(&run(
            BIN,
            &config,
            &["ledger", "import", path.to_str().unwrap(), "--apply"],
        )
        .0)
    };
    import(&ledger_path);
    let checklist = || {
        let (out, _) = run(BIN, &config, &["report", "checklist", "--format", "html"]);
        let html = ok(&out);
        (String::from_utf8_lossy(&out.stderr).into_owned(), html)
    };
    let applied = |on: &str| {
        run(
            BIN,
            &config,
            &core_switch_applied(&["--on", on, "--note", "port-security"]),
        )
        .0
    };

    // Nothing recorded: 2-⑬ いいえ.
    assert!(checklist().0.contains("2-⑬ いいえ"));
    let text = ok(&applied("2026-11-20"));
    assert!(
        text.contains("recorded restriction 1: 11 MAC address(es) applied at コアスイッチ SW-01"),
        "{text}"
    );
    // Recorded, but .15 is on the network and not in the list applied.
    let (summary, html) = checklist();
    assert!(summary.contains("2-⑬ いいえ"), "{summary}");
    assert!(
        html.contains(
            "コアスイッチ SW-01（2026/11/20 適用、情報システム担当、11 件、port-security）"
        ),
        "{html}"
    );
    assert!(html.contains("198.18.0.15"));

    // .15 registered after the list was applied: still いいえ until the switch gets the new list.
    let pc_path = unregistered_pc_file(dir.path());
    import(&pc_path);
    let (summary, _) = checklist();
    assert!(summary.contains("2-① はい"), "{summary}");
    assert!(
        summary.contains("2-⑬ いいえ"),
        "the applied list is stale: {summary}"
    );
    let text = ok(&applied("2026-11-21"));
    assert!(text.contains("recorded restriction 2: 12 MAC"), "{text}");
    assert!(checklist().0.contains("2-⑬ はい"));

    // The register keeps the replaced record.
    let records = ok(&run(
        BIN,
        &config,
        &["allowlist", "records", "--all", "--format", "json"],
    )
    .0);
    let records: serde_json::Value = serde_json::from_str(&records).unwrap();
    assert_eq!(records.as_array().unwrap().len(), 2);
    assert_eq!(records[0]["id"], 2);
    assert!(records[0]["withdrawn_at"].is_null());
    assert!(records[1]["withdrawn_at"].is_string());
    assert_eq!(records[1]["macs"].as_array().unwrap().len(), 11);
    let table = ok(&run(BIN, &config, &["allowlist", "records"]).0);
    assert_eq!(table.lines().count(), 2, "one active record:\n{table}");

    // Bad statements are refused and change nothing; withdrawing makes 2-⑬ いいえ again.
    let err = failed(&applied("2099-01-01"));
    assert!(err.contains("future"), "{err}");
    let err = failed(&applied("2026-13-01"));
    assert!(err.contains("--on"), "{err}");
    let err = failed(&run(BIN, &config, &["allowlist", "withdraw", "7"]).0);
    assert!(
        err.contains("no active restriction record with id 7"),
        "{err}"
    );
    ok(&run(BIN, &config, &["allowlist", "withdraw", "2"]).0);
    assert!(checklist().0.contains("2-⑬ いいえ"));
}

#[test]
fn map_reads_unknown_headers_and_the_dry_run_shows_sheets_unmapped_headers_and_headings() {
    let dir = tempfile::tempdir().unwrap();
    let (db, config) = scanned_collector(dir.path(), false);
    // A CP932 CSV whose identifying headers the synonyms do not know, grouped under headings;
    // one 機種 cell carries an escape sequence, which must not reach the terminal raw.
    let text = "No,端末IP,MAC,機種,場所\r\n\
                【外来棟】,,,,\r\n\
                G-1,198.18.0.10,00:1b:21:00:00:0a,\"FMV\u{1b}[2J\",受付\r\n\
                G-2,198.18.0.11,00:1b:21:00:00:0b,ESPRIMO,医事課\r\n\
                ■3階,,,,\r\n\
                W-1,198.18.0.12,00:1b:21:00:00:0c,ThinkCentre,3階NS\r\n";
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable);
    let file = dir.path().join("gairai.csv");
    std::fs::write(&file, &sjis).unwrap();
    let file = file.display().to_string();

    // Without a mapping there is no 管理番号: the error offers the unmapped headers and --map.
    let err = failed(&run(BIN, &config, &["ledger", "import", &file]).0);
    assert!(err.contains("必須の列がありません: 管理番号"), "{err}");
    assert!(err.contains("A No: G-1, G-2, W-1"), "{err}");
    assert!(err.contains("--map 'HEADER=COLUMN'"), "{err}");
    assert!(!err.contains('\u{1b}'), "raw escape on the terminal: {err}");

    // Mapped: a dry run lists the headings and the still unmapped 機種 with samples.
    let maps = ["--map", "No=管理番号", "--map", "端末IP=IPアドレス"];
    let mut args = vec!["ledger", "import", &file];
    args.extend(maps);
    let out = ok(&run(BIN, &config, &args).0);
    assert!(out.contains("3 row(s), CSV, Shift_JIS (CP932)"), "{out}");
    assert!(
        out.contains("headers no column matched")
            && out.contains("D 機種: FMV\\u{1b}[2J, ESPRIMO, ThinkCentre"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "raw escape on the terminal: {out}");
    assert!(out.contains("heading rows skipped: 2"), "{out}");
    assert!(
        out.contains("2 行目: 【外来棟】") && out.contains("5 行目: ■3階"),
        "{out}"
    );
    assert!(out.contains("G-1"), "{out}");

    // A target that is not a ledger column is refused before anything is read.
    let err = failed(
        &run(
            BIN,
            &config,
            &["ledger", "import", &file, "--map", "機種=型番"],
        )
        .0,
    );
    assert!(err.contains("台帳の列ではありません"), "{err}");

    // Applied with 機種 as 説明: the devices carry it.
    args.extend(["--map", "機種=説明", "--apply"]);
    ok(&run(BIN, &config, &args).0);
    let rows = Ledger::open(&db, LedgerOptions::default())
        .unwrap()
        .export_rows(daicho_ledger::SiteId::DEFAULT, true)
        .unwrap();
    let described: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.ledger.asset_no.as_str(), r.ledger.description.as_str()))
        .collect();
    assert_eq!(
        described,
        vec![
            ("G-1", "FMV\u{1b}[2J"),
            ("G-2", "ESPRIMO"),
            ("W-1", "ThinkCentre")
        ]
    );
}

#[test]
fn a_workbook_is_read_sheet_by_sheet_and_the_plan_names_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, config) = scanned_collector(dir.path(), false);
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("表紙")
        .unwrap()
        .write_string(0, 0, "機器台帳 2026年度")
        .unwrap();
    for (name, heading, rows) in [
        ("外来棟", "【外来棟】", [("G-1", "198.18.0.10", "2019/4/1")]),
        (
            "病棟",
            "＜病棟＞",
            [("W-1", "198.18.0.11", "令和3年4月1日")],
        ),
    ] {
        let sheet = book.add_worksheet();
        sheet.set_name(name).unwrap();
        for (c, h) in ["管理番号", "IPアドレス", "導入日", "型番"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, heading).unwrap();
        for (r, (asset, ip, date)) in rows.iter().enumerate() {
            let row = 2 + r as u32;
            sheet.write_string(row, 0, *asset).unwrap();
            sheet.write_string(row, 1, *ip).unwrap();
            sheet.write_string(row, 2, *date).unwrap();
            sheet.write_string(row, 3, "X-100").unwrap();
        }
    }
    let file = dir.path().join("hospital.xlsx");
    std::fs::write(&file, book.save_to_buffer().unwrap()).unwrap();
    let file = file.display().to_string();

    let out = ok(&run(
        BIN,
        &config,
        &["ledger", "import", &file, "--map", "型番=ignore"],
    )
    .0);
    assert!(
        out.contains("2 row(s), workbook, sheets 「外来棟」 (header row 1, 1 row(s)), 「病棟」 (header row 1, 1 row(s)); skipped (no header row): 「表紙」"),
        "{out}"
    );
    assert!(out.contains("ignored columns: 型番"), "{out}");
    assert!(!out.contains("headers no column matched"), "{out}");
    assert!(
        out.contains("シート「外来棟」2 行目: 【外来棟】")
            && out.contains("シート「病棟」2 行目: ＜病棟＞"),
        "{out}"
    );
    assert!(
        out.contains("外来棟!3  G-1") && out.contains("病棟!3  W-1"),
        "{out}"
    );

    let json = ok(&run(
        BIN,
        &config,
        &["ledger", "import", &file, "--format", "json"],
    )
    .0);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["sheets"][1]["name"], "病棟");
    assert_eq!(json["skipped_sheets"][0], "表紙");
    assert_eq!(json["unmapped_columns"][0]["header"], "型番");
    assert_eq!(json["unmapped_columns"][0]["column"], "D");
    assert_eq!(json["skipped_headings"][1]["text"], "＜病棟＞");
}
