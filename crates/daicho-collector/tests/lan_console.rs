//! The operator console in a real browser (root; the `lan` nextest group): the agent scans the
//! test LAN from the scanner namespace and pushes its report to a collector on loopback, a
//! hostile report adds a device whose host name is HTML, and headless Debian chromium, driven
//! by Playwright's driver (`tests/browser/console.mjs`), walks the operator's workflow: log in,
//! find the unregistered devices on the dashboard, register them from the triage page (2-①
//! changes), record exceptions (2-⑫ changes), acknowledge an alert, import a hand-kept ledger
//! through the upload page with a mapped column, download the filtered ledger and the
//! checklist, log out. Screenshots of every page are kept under
//! `target/tmp/console-screenshots/`.
//!
//! Needs `node` and `tests/browser/node_modules` (`scripts/install-deps.sh` installs both).

#[path = "support/agent_binary.rs"]
mod agent_binary;
#[path = "support/console.rs"]
mod console;
#[path = "support/lan_scan.rs"]
mod lan_scan;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use agent_binary::agent_binary;
use chrono::Utc;
use console::{password_of, start_console};
use daicho_ledger::{AccountRole, AuditFilter, DeviceFilter, Role};
use daicho_model::{AgentInfo, Host, MacAddr, OsGuess, ScanReport, Scope};
use daicho_testlan::{TestLan, repo_root, require_root, unique_id};
use lan_scan::{FAST_SCAN_OF_THE_24, scan_lan_to_json};

const BIN: &str = env!("CARGO_BIN_EXE_daicho-collector");
const HOSTILE: &str = "<img src=x onerror=alert(1)>pc";

/// The agent's real scan of the LAN's /24, as JSON.
fn scan(lan: &TestLan, dir: &Path) -> Vec<u8> {
    let (json, took) = scan_lan_to_json(
        lan,
        &agent_binary(BIN),
        &FAST_SCAN_OF_THE_24,
        &dir.join("scan.json"),
    );
    eprintln!("scan in {:.1} s", took.as_secs_f64());
    json
}

/// A report from a compromised or buggy agent: a device whose host name is markup.
fn hostile_report() -> ScanReport {
    let mut r = ScanReport::new(
        AgentInfo {
            name: "ward-9".into(),
            version: "test".into(),
            machine_id: None,
        },
        Scope {
            targets: vec!["198.18.0.250/32".into()],
            exclude: vec![],
            ports: None,
        },
        Utc::now(),
    );
    r.finished_at = Utc::now();
    r.hosts = vec![Host {
        ip: "198.18.0.250".parse().unwrap(),
        mac: Some("00:11:22:33:44:fa".parse::<MacAddr>().unwrap()),
        vendor: Some("<script>alert('vendor')</script>".into()),
        mac_randomized: false,
        hostname: Some(HOSTILE.into()),
        os: OsGuess::default(),
        services: vec![],
        rtt_ms: None,
        ttl: None,
        discovered_by: vec!["arp".into()],
        local: None,
    }];
    r
}

/// A hand-kept ledger of two devices not on the LAN, with 納品日 (a header the importer does
/// not know) for their registration day.
fn hand_kept_ledger(dir: &Path) -> PathBuf {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows: [[&str; 7]; 3] = [
        [
            "管理番号",
            "IPアドレス",
            "コンピュータ名",
            "設置場所",
            "利用者",
            "状態",
            "納品日",
        ],
        [
            "OFF-001",
            "198.18.9.1",
            "ope-room-pc",
            "手術室",
            "看護部",
            "稼働",
            "2021/04/01",
        ],
        [
            "OFF-002",
            "198.18.9.2",
            "lab-analyzer",
            "検査室",
            "検査部",
            "稼働",
            "2019/10/15",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    let path = dir.join("hand-kept.xlsx");
    book.save(&path).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_works_through_the_ledger_in_a_browser() {
    require_root().expect("the console test builds a test LAN: run as root");
    let lan = TestLan::up(&unique_id('w'), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = start_console().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();

    // A real scan, pushed as an agent would, with a token for the agent name the scan put in
    // the report (the scanner's host name); a token is bound to its agent name.
    let lan_ref = &lan;
    let report = scan(lan_ref, dir.path());
    let scanned_as = ScanReport::from_json(&report).unwrap().agent.name;
    let agent_token = server
        .on_ledger(move |l| l.create_token(&scanned_as, Role::Agent).unwrap().1)
        .await;
    let hostile_token = server
        .on_ledger(|l| l.create_token("ward-9", Role::Agent).unwrap().1)
        .await;
    let pushed = client
        .post(format!("{}/api/v1/reports", server.base))
        .bearer_auth(&agent_token)
        .header("content-type", "application/json")
        .body(report)
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 201, "{}", pushed.text().await.unwrap());
    let hostile = client
        .post(format!("{}/api/v1/reports", server.base))
        .bearer_auth(&hostile_token)
        .json(&hostile_report())
        .send()
        .await
        .unwrap();
    assert_eq!(hostile.status(), 201);
    server.add_account("yamada", AccountRole::Admin).await;
    server
        .on_ledger(|l| {
            l.set_facility_name("テスト総合病院", "test", Utc::now())
                .unwrap()
        })
        .await;

    let artefacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let _ = std::fs::remove_dir_all(&artefacts);
    let import_file = hand_kept_ledger(dir.path());
    let started = Instant::now();
    let walk = tokio::task::spawn_blocking({
        let base = server.base.clone();
        let artefacts = artefacts.clone();
        move || {
            Command::new("node")
                .arg(repo_root().join("tests/browser/console.mjs"))
                .env("DAICHO_URL", base)
                .env("DAICHO_USER", "yamada")
                .env("DAICHO_PASSWORD", password_of("yamada"))
                .env("DAICHO_IMPORT_FILE", import_file)
                .env("DAICHO_ARTEFACTS", artefacts)
                .env("DAICHO_HOSTILE", HOSTILE)
                .output()
                .expect("node runs (scripts/install-deps.sh installs it)")
        }
    })
    .await
    .unwrap();
    eprintln!(
        "browser walk in {:.1} s; screenshots in {}\n{}{}",
        started.elapsed().as_secs_f64(),
        artefacts.display(),
        String::from_utf8_lossy(&walk.stdout),
        String::from_utf8_lossy(&walk.stderr)
    );
    assert!(walk.status.success(), "the browser walk failed");

    // What the browser did is in the ledger: registered devices, the imported rows with the
    // mapped 登録日, and the audit log naming the account.
    let (unregistered, imported, audit) = server
        .on_ledger(|l| {
            let unregistered = l
                .list_devices(&DeviceFilter {
                    flag: Some("unregistered".into()),
                    ..DeviceFilter::default()
                })
                .unwrap()
                .total;
            let imported = l
                .list_devices(&DeviceFilter {
                    asset_no: Some("OFF-00".into()),
                    sort: Some("asset_no".into()),
                    ..DeviceFilter::default()
                })
                .unwrap();
            let audit = l.audit_log(&AuditFilter::default()).unwrap();
            (unregistered, imported, audit)
        })
        .await;
    assert_eq!(unregistered, 0);
    let days: Vec<Option<String>> = imported
        .devices
        .iter()
        .map(|d| d.ledger.registered_on.clone())
        .collect();
    assert_eq!(
        days,
        vec![Some("2021-04-01".into()), Some("2019-10-15".into())],
        "納品日 was mapped to 登録日"
    );
    for action in [
        "device.register",
        "device.disposition",
        "exception.add",
        "alert.ack",
        "ledger.import",
    ] {
        assert!(
            audit
                .iter()
                .any(|e| e.action == action && e.actor == "yamada"),
            "the audit log records {action} by yamada"
        );
    }
    // The network diagram page prints on one A3 landscape page.
    let printed = artefacts.join("network-diagram-printed.pdf");
    let info = Command::new("pdfinfo")
        .arg(&printed)
        .output()
        .expect("pdfinfo runs (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("Pages:           1"), "{info}");
    assert!(info.contains("(A3)"), "{info}");
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-singlefile"])
        .arg(&printed)
        .arg(artefacts.join("network-diagram-printed"))
        .status()
        .unwrap();
    assert!(status.success());
    let shots = std::fs::read_dir(&artefacts).unwrap().count();
    assert!(shots >= 15, "screenshots kept: {shots}");
    lan.down().unwrap();
}
