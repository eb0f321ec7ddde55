//! The ledger files and the checklist against the real test LAN (root; the `lan` nextest
//! group): the agent scans the LAN from the scanner namespace, the report is ingested, a
//! 300-row hand-kept ledger covering the LAN's hosts (by MAC from the LAN's truth) plus offline
//! devices imports from UTF-8 CSV, CP932 CSV and XLSX, the export re-imports to the same rows,
//! and the checklist printed by headless Chromium moves from いいえ to はい as the LAN is fixed:
//! the unregistered PC registered, telnet stopped and rescanned, exceptions recorded for the
//! services that stay, the applied MAC allowlist recorded.
//!
//! The agent binary is `daicho-agent` beside this crate's binary (build it with
//! `cargo build -p daicho-agent`; a workspace `cargo nextest run` does), or `$DAICHO_AGENT`.

#[path = "support/ledger_files.rs"]
mod support;

#[path = "support/agent_binary.rs"]
mod agent_binary;
#[path = "support/lan_scan.rs"]
mod lan_scan;

use std::path::Path;
use std::process::Command;

use agent_binary::agent_binary;
use daicho_ledger::{DeviceFilter, Ledger, LedgerOptions};
use daicho_model::ScanReport;
use daicho_testlan::{Role, Segment, TestLan, TruthHost, require_root, unique_id};
use lan_scan::{FAST_SCAN_OF_THE_24, scan_lan_to_json};
use support::{
    Known, config, core_switch_applied, csv_cp932, csv_utf8, failed, ledger_rows, ok, read_rows,
    run, write_three_ways,
};

const BIN: &str = env!("CARGO_BIN_EXE_daicho-collector");

/// Scans the LAN's /24 from the scanner namespace with the real agent and ingests the report.
fn scan_and_ingest(lan: &TestLan, dir: &Path, db: &Path, n: usize) -> ScanReport {
    // The default port lists cover telnet (23).
    let args = [&FAST_SCAN_OF_THE_24[..], &["--snmp-community", "public"]].concat();
    let (json, took) = scan_lan_to_json(
        lan,
        &agent_binary(BIN),
        &args,
        &dir.join(format!("scan-{n}.json")),
    );
    let report: ScanReport = serde_json::from_slice(&json).expect("a JSON scan report");
    eprintln!(
        "scan {n}: {} host(s) in {:.1} s",
        report.hosts.len(),
        took.as_secs_f64()
    );
    Ledger::open(db, LedgerOptions::default())
        .unwrap()
        .ingest(&report, None)
        .unwrap();
    report
}

fn os_text(family: &str) -> String {
    match family {
        "windows" => "Windows 11 Pro".into(),
        "linux" => "Linux".into(),
        "network" => "ネットワーク機器ファームウェア".into(),
        "medical" => "医療機器組込みOS".into(),
        "printer" => "プリンタファームウェア".into(),
        other => other.to_owned(),
    }
}

fn known_host(h: &TruthHost) -> Known {
    Known {
        ip: h.ip.to_string(),
        mac: h.mac.clone(),
        name: h.name.clone(),
        maker: h.vendor.clone().unwrap_or_else(|| "個人所有端末".into()),
        os: os_text(&h.os_family),
    }
}

/// Prints the checklist HTML with headless Chromium to PDF and PNG; returns the PDF's text.
fn print_checklist(html: &Path, dir: &Path, stem: &str) -> String {
    let pdf = dir.join(format!("{stem}.pdf"));
    let png = dir.join(format!("{stem}.png"));
    for target in [
        format!("--print-to-pdf={}", pdf.display()),
        format!("--screenshot={}", png.display()),
    ] {
        let out = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                "--no-first-run",
                "--window-size=1240,1754",
            ])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg(target)
            .arg(format!("file://{}", html.display()))
            .output()
            .expect("chromium is installed (scripts/install-deps.sh)");
        assert!(
            out.status.success(),
            "chromium: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    // To look at them: DAICHO_TEST_ARTIFACTS=/some/dir.
    if let Some(keep) = std::env::var_os("DAICHO_TEST_ARTIFACTS") {
        for f in [&pdf, &png] {
            std::fs::copy(f, Path::new(&keep).join(f.file_name().unwrap())).unwrap();
        }
    }
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("A4"), "{info}");
    String::from_utf8(text.stdout).unwrap()
}

/// The HTML of one checklist item's section (`2-⑬`).
fn section(dir: &Path, stem: &str, item: &str) -> String {
    let html = std::fs::read_to_string(dir.join(format!("{stem}.html"))).unwrap();
    let start = html
        .find(&format!("<section id=\"item-{item}\">"))
        .unwrap_or_else(|| panic!("{stem}.html has a section for {item}"));
    let end = html[start..].find("</section>").unwrap();
    html[start..start + end].to_owned()
}

fn checklist(config: &Path, dir: &Path, stem: &str) -> (String, String) {
    let html = dir.join(format!("{stem}.html"));
    let args = [
        "report",
        "checklist",
        "--format",
        "html",
        "--facility",
        "テスト病院",
        "--output",
        html.to_str().unwrap(),
    ];
    let (out, _) = run(BIN, config, &args);
    ok(&out);
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    (summary, print_checklist(&html, dir, stem))
}

#[test]
fn lan_ledger_round_trip_and_the_checklist_moves_to_yes_as_the_lan_is_fixed() {
    if let Err(err) = require_root() {
        panic!("{err}");
    }
    let lan = TestLan::up(&unique_id('g'), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let config = config(dir.path(), &db);
    let path = |name: &str| dir.path().join(name).display().to_string();

    let report = scan_and_ingest(&lan, dir.path(), &db, 1);
    let truth = lan.truth();
    let lan_hosts: Vec<&TruthHost> = truth.hosts_on(Segment::Lan).collect();
    // The PC nobody registered: the first Windows host of the LAN.
    let unregistered = lan_hosts
        .iter()
        .find(|h| h.os_family == "windows" && h.role == Role::Service)
        .expect("the LAN has a Windows PC");
    let mut known: Vec<Known> = lan_hosts
        .iter()
        .filter(|h| h.ip != unregistered.ip)
        .map(|h| known_host(h))
        .collect();
    known.push(Known {
        ip: truth.scanner.ip.to_string(),
        mac: truth.scanner.mac.clone(),
        name: "daicho-agent".into(),
        maker: truth.scanner.vendor.clone().unwrap_or_default(),
        os: "Linux".into(),
    });
    let seen_macs: Vec<String> = report
        .hosts
        .iter()
        .filter_map(|h| h.mac.map(|m| m.to_string()))
        .collect();
    let matched = known.iter().filter(|k| seen_macs.contains(&k.mac)).count();
    assert!(
        seen_macs.contains(&unregistered.mac),
        "the scan found the PC"
    );
    assert!(
        matched + 1 >= known.len(),
        "the scan found the LAN's hosts: {matched} of {}",
        known.len()
    );
    let uncovered = seen_macs.len() - matched;

    let rows = ledger_rows(&known, 300);
    let files = write_three_ways(dir.path(), &rows);
    let expect = format!(
        "matched: {matched} ({matched} changing), new: {}, conflicts: 0, devices not covered: {uncovered}",
        300 - matched
    );
    for (name, _) in &files {
        let (out, took) = run(BIN, &config, &["ledger", "import", &path(name)]);
        let text = ok(&out);
        assert!(
            text.contains(&expect),
            "{name}: expected `{expect}`:\n{text}"
        );
        eprintln!("dry run, 300 rows, {name}: {} ms", took.as_millis());
    }
    let (out, took) = run(
        BIN,
        &config,
        &["ledger", "import", &path("ledger-cp932.csv"), "--apply"],
    );
    ok(&out);
    eprintln!("apply, 300 rows, CP932 CSV: {} ms", took.as_millis());
    for name in ["ledger-utf8.csv", "ledger.xlsx"] {
        let text = ok(&run(BIN, &config, &["ledger", "import", &path(name)]).0);
        assert!(
            text.contains("matched: 300 (0 changing), new: 0"),
            "{name}:\n{text}"
        );
    }
    let expected = read_rows(&files[0].1);
    for (name, args) in [
        ("out.xlsx", ["--format", "xlsx", "", ""]),
        ("out.csv", ["--format", "csv", "--encoding", "cp932"]),
    ] {
        let out_path = path(name);
        let mut all = vec![
            "ledger",
            "export",
            "--registered-only",
            "--output",
            &out_path,
        ];
        all.extend(args.iter().filter(|a| !a.is_empty()));
        let (out, took) = run(BIN, &config, &all);
        ok(&out);
        eprintln!("export, 300 rows, {name}: {} ms", took.as_millis());
        assert_eq!(
            read_rows(&std::fs::read(&out_path).unwrap()),
            expected,
            "{name} re-imports to the rows imported"
        );
    }

    // Before: the PC is unregistered, services run, no restriction recorded.
    let (before, text) = checklist(&config, dir.path(), "before");
    eprint!("before:\n{before}");
    assert!(before.contains("2-① いいえ"), "{before}");
    // Until the agent identifies services there is nothing for 2-⑫ to flag; once it does, the
    // LAN's telnet, FTP, VNC and default-community SNMP make 2-⑫ いいえ.
    let has_services = report.hosts.iter().any(|h| !h.services.is_empty());
    if has_services {
        assert!(before.contains("2-⑫ いいえ"), "{before}");
    } else {
        eprintln!("NOTE: the agent reported no services; the 2-⑫ part is not exercised");
    }
    assert!(before.contains("2-⑬ いいえ"), "{before}");
    // The switch's telnet is management anyone can reach: evidence against 2-⑬.
    assert!(
        section(dir.path(), "before", "2-⑬").contains("telnet/tcp/23"),
        "the switch's telnet is listed under 2-⑬"
    );
    assert!(
        text.contains("回答: いいえ") && text.contains(&unregistered.ip.to_string()),
        "{text}"
    );

    // Fix 1: register the PC through the ledger file, as the operator would.
    let pc = Known {
        name: unregistered.name.clone(),
        ..known_host(unregistered)
    };
    let mut pc_rows = ledger_rows(&[pc], 1);
    pc_rows[0][0] = "NW-9001".into();
    std::fs::write(dir.path().join("pc.csv"), csv_utf8(&pc_rows)).unwrap();
    let text = ok(&run(
        BIN,
        &config,
        &["ledger", "import", &path("pc.csv"), "--apply"],
    )
    .0);
    assert!(text.contains("matched: 1 (1 changing), new: 0"), "{text}");

    // Fix 2: stop telnet on the LAN and rescan.
    let telnet_hosts: Vec<&&TruthHost> = lan_hosts
        .iter()
        .filter(|h| h.services.iter().any(|s| s.name == "telnet"))
        .collect();
    assert!(!telnet_hosts.is_empty(), "the LAN runs telnet somewhere");
    let processes = lan.recorded_processes().unwrap();
    for h in &telnet_hosts {
        let p = processes
            .iter()
            .find(|p| p.ns == h.ns && p.label == "telnet" && p.is_running())
            .expect("the telnet responder is recorded");
        let status = Command::new("kill")
            .arg(p.pid.to_string())
            .status()
            .unwrap();
        assert!(status.success());
        for _ in 0..50 {
            if !p.is_running() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(!p.is_running(), "telnet stopped");
    }
    scan_and_ingest(&lan, dir.path(), &db, 2);
    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    for h in telnet_hosts.iter().filter(|_| has_services) {
        let id = ledger
            .list_devices(&DeviceFilter {
                q: Some(h.mac.clone()),
                ..Default::default()
            })
            .unwrap()
            .devices[0]
            .id;
        let detail = ledger.device(id).unwrap();
        assert!(
            !detail.flag_details.iter().any(|f| f
                .service
                .as_deref()
                .is_some_and(|s| s.starts_with("telnet"))),
            "the telnet flag is cleared after the rescan: {:?}",
            detail.flag_details
        );
    }

    // Fix 3: the services that must stay are recorded as exceptions.
    let flagged = ledger
        .list_devices(&DeviceFilter {
            flag: Some("unneeded_service".into()),
            ..Default::default()
        })
        .unwrap()
        .devices;
    let mut recorded = 0;
    for d in &flagged {
        for f in ledger
            .device(d.id)
            .unwrap()
            .flag_details
            .iter()
            .filter(|f| f.flag == "unneeded_service")
        {
            ok(&run(
                BIN,
                &config,
                &[
                    "exception",
                    "add",
                    "--device",
                    &d.id.to_string(),
                    "--service",
                    &f.code,
                    "--reason",
                    "ベンダー保守に必要（保守契約書 第5条）",
                    "--approver",
                    "情報システム委員会",
                    "--expires",
                    "2099-03-31",
                ],
            )
            .0);
            recorded += 1;
        }
    }
    assert!(
        recorded > 0 || !has_services,
        "some flagged service stays and needs an exception"
    );
    drop(ledger);

    // Fix 4: the allowlist is applied on the core switch and recorded.
    let text = ok(&run(
        BIN,
        &config,
        &core_switch_applied(&["--note", "ポートセキュリティ"]),
    )
    .0);
    assert!(text.contains("recorded restriction 1"), "{text}");

    // After: every item the LAN fixed reads はい.
    let (after, text) = checklist(&config, dir.path(), "after");
    eprint!("after ({recorded} exception(s)):\n{after}");
    assert!(after.contains("2-① はい"), "{after}");
    assert!(after.contains("2-⑫ はい"), "{after}");
    assert!(after.contains("2-⑬ はい"), "{after}");
    assert!(!section(dir.path(), "after", "2-⑬").contains("telnet/tcp/23"));
    assert!(text.contains("回答: はい"), "{text}");
    if recorded > 0 {
        // The HTML holds the whole row; in the PDF's text, wrapped cells interleave, so only the
        // never-wrapping expiry date is looked for there.
        let html = std::fs::read_to_string(dir.path().join("after.html")).unwrap();
        assert!(
            html.contains("<td>情報システム委員会</td><td class=\"code\">2099/03/31</td>"),
            "the exceptions are in the checklist"
        );
        assert!(
            text.contains("2099/03/31"),
            "the exceptions are printed:\n{text}"
        );
    }

    // A duplicate 管理番号 still changes nothing, even on a live ledger.
    let mut dup = rows.clone();
    dup[1][0] = dup[0][0].clone();
    std::fs::write(dir.path().join("dup.csv"), csv_cp932(&dup)).unwrap();
    let err = failed(
        &run(
            BIN,
            &config,
            &["ledger", "import", &path("dup.csv"), "--apply"],
        )
        .0,
    );
    assert!(err.contains("3 行目"), "{err}");
    lan.down().unwrap();
}
