//! The network diagram (BCP 1-1) of the real test LAN (root; the `lan` nextest group): the
//! agent scans the LAN's two segments from the scanner namespace (198.18.0.0/24 on the
//! scanner's own segment, 198.18.1.0/24 behind the router), the report is ingested, a few
//! devices get 設置場所 and 管理番号 as an operator would keep them, and `report
//! network-diagram` writes the SVG and the A3 and A4 PDFs; `pdftoppm` (poppler-utils) turns each
//! PDF into a PNG. All kept under `target/tmp/network-diagram/` to be looked at.
//!
//! The agent binary is `daicho-agent` beside this crate's binary (`cargo build -p
//! daicho-agent`), or `$DAICHO_AGENT`.

#[path = "support/ledger_files.rs"]
mod support;

#[path = "support/agent_binary.rs"]
mod agent_binary;
#[path = "support/lan_scan.rs"]
mod lan_scan;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use agent_binary::agent_binary;
use chrono::Utc;
use daicho_ledger::{Ledger, LedgerFieldsPatch, LedgerOptions, SiteId};
use daicho_model::ScanReport;
use daicho_testlan::{TestLan, require_root, unique_id};
use lan_scan::scan_lan_to_json;
use support::{config, ok, run};

const BIN: &str = env!("CARGO_BIN_EXE_daicho-collector");

/// Devices of the LAN the operator registered: address, 管理番号, 設置場所.
const REGISTERED: [(&str, &str, &str); 3] = [
    ("198.18.0.32", "NW-001", "B1 サーバ室"),
    ("198.18.0.254", "NW-002", "B1 サーバ室"),
    ("198.18.1.10", "SV-001", "3F 病棟"),
];

/// Runs `report network-diagram ARGS` with `config`.
fn diagram(config: &Path, args: &[&str]) -> (Output, std::time::Duration) {
    run(
        BIN,
        config,
        &[&["report", "network-diagram"], args].concat(),
    )
}

#[test]
fn the_test_lan_is_drawn_as_a_network_diagram() {
    require_root().expect("the diagram test builds a test LAN: run as root");
    let lan = TestLan::up(&unique_id('g'), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (json, took) = scan_lan_to_json(
        &lan,
        &agent_binary(BIN),
        &[
            "--target",
            "198.18.0.0/24",
            "--target",
            "198.18.1.0/24",
            "--rate",
            "5000",
            "--per-host-rate",
            "300",
        ],
        &dir.path().join("scan.json"),
    );
    let report = ScanReport::from_json(&json).unwrap();
    eprintln!(
        "scan: {} hosts in {:.1} s",
        report.hosts.len(),
        took.as_secs_f64()
    );
    let db = dir.path().join("ledger.db");
    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    ledger.ingest(&report, None).unwrap();
    ledger
        .set_facility_name("テスト総合病院", "test", Utc::now())
        .unwrap();
    let devices = ledger.checklist_devices(SiteId::DEFAULT).unwrap();
    for (ip, asset_no, location) in REGISTERED {
        let device = devices
            .iter()
            .find(|d| d.ip.is_some_and(|a| a.to_string() == ip))
            .unwrap_or_else(|| panic!("{ip} was not found by the scan"));
        ledger
            .update_ledger(
                device.device_id,
                &LedgerFieldsPatch {
                    asset_no: Some(Some(asset_no.into())),
                    location: Some(Some(location.into())),
                    registered_on: Some(Some("2025-04-01".into())),
                    ..LedgerFieldsPatch::default()
                },
            )
            .unwrap();
    }
    let device_count = ledger.checklist_devices(SiteId::DEFAULT).unwrap().len();
    drop(ledger);

    let artefacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("network-diagram");
    let _ = std::fs::remove_dir_all(&artefacts);
    std::fs::create_dir_all(&artefacts).unwrap();
    let config = config(dir.path(), &db);
    let svg_path = artefacts.join("test-lan-a3.svg");
    let svg_arg = svg_path.to_str().unwrap();
    let (out, took) = diagram(&config, &["--format", "svg", "--output", svg_arg]);
    ok(&out);
    eprintln!("SVG in {:.0} ms", took.as_secs_f64() * 1e3);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    for expected in [
        "198.18.0.0/24",
        "198.18.1.0/24",
        "医療機関名：テスト総合病院",
        "B1 サーバ室（2 台）",
        "3F 病棟（1 台）",
        // The routed segment answered from behind a router: linked through one, dashed.
        "未確認のルータ",
        "stroke-dasharray",
        &format!("機器 {device_count} 台"),
    ] {
        assert!(svg.contains(expected), "the SVG lacks {expected}");
    }
    // Dashed router links (the network devices' colour, as the legend draws one too): the
    // inferred router reaches both the scanner's segment and the routed one.
    let dashed = svg
        .matches("stroke=\"#c86e00\" stroke-width=\"0.5\" stroke-dasharray")
        .count();
    assert_eq!(dashed, 2 + 1, "two dashed links and the legend's");
    // The routed host is drawn by name under its 設置場所.
    let routed = report
        .hosts
        .iter()
        .find(|h| h.ip.to_string() == "198.18.1.10")
        .and_then(|h| h.hostname.clone())
        .expect("the routed server has a name");
    assert!(svg.contains(&routed), "{routed} is not drawn");

    for paper in ["a3", "a4"] {
        let pdf = artefacts.join(format!("test-lan-{paper}.pdf"));
        let (out, took) = diagram(
            &config,
            &[
                "--format",
                "pdf",
                "--paper",
                paper,
                "--output",
                pdf.to_str().unwrap(),
            ],
        );
        ok(&out);
        let bytes = std::fs::read(&pdf).unwrap();
        eprintln!(
            "PDF {paper}: {} bytes in {:.0} ms",
            bytes.len(),
            took.as_secs_f64() * 1e3
        );
        assert!(bytes.starts_with(b"%PDF-"));
        let png = artefacts.join(format!("test-lan-{paper}"));
        let status = Command::new("pdftoppm")
            .args(["-png", "-r", "110", "-singlefile"])
            .arg(&pdf)
            .arg(&png)
            .status()
            .expect("pdftoppm runs (poppler-utils: scripts/install-deps.sh installs it)");
        assert!(status.success(), "pdftoppm failed on {}", pdf.display());
        let png = png.with_extension("png");
        let size = std::fs::metadata(&png).unwrap().len();
        assert!(size > 20_000, "{} is {size} bytes", png.display());
        eprintln!("kept {}", png.display());
    }
    // A PDF to the terminal is refused; a paper not offered is a usage error.
    assert!(!diagram(&config, &["--format", "pdf"]).0.status.success());
    let (out, _) = diagram(&config, &["--format", "svg", "--paper", "b4"]);
    assert!(!out.status.success());
    lan.down().unwrap();
}
