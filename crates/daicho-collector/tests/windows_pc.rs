//! A Windows 10 22H2 PC's own inventory (the fixture `fixtures/windows10-22h2-report.json`, built
//! from Microsoft's documented formats) raises `eol_os`, `os_unpatched` from its update revision
//! and `unneeded_service` from the remote-support tool it has installed and running, and the
//! checklist lists it under 2-⑥ and 2-⑫ with the reasons.

#[path = "support/command_line.rs"]
mod command_line;

use command_line::{run, stdout, temp_config};
use daicho_ledger::{Ledger, LedgerOptions};
use daicho_model::ScanReport;

const FIXTURE: &[u8] = include_bytes!("fixtures/windows10-22h2-report.json");

#[test]
fn a_windows_10_pc_with_an_old_revision_and_teamviewer_is_flagged_and_listed() {
    let (_dir, db, config) = temp_config();
    let report = ScanReport::from_json(FIXTURE).unwrap();
    let outcome = {
        let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
        ledger.ingest(&report, Some("uketsuke-pc-03")).unwrap()
    };
    assert_eq!(outcome.new_devices, 1);

    let detail: serde_json::Value =
        serde_json::from_str(&stdout(&run(&config, &["device", "show", "1"]))).unwrap();
    assert_eq!(detail["os"]["version"], "10.0.19045.3803", "{detail:#}");
    let flags = detail["flag_details"].as_array().expect("flag_details");
    let find = |kind: &str, code: &str| {
        flags
            .iter()
            .find(|f| f["flag"] == kind && f["code"] == code)
            .unwrap_or_else(|| panic!("{kind}/{code} not raised: {flags:#?}"))
    };
    // Windows 10 22H2 left normal support on 2025-10-14: paid extended updates only.
    let eol = find("eol_os", "extended_only");
    assert!(
        eol["reason"].as_str().unwrap().contains("Windows 10 22H2"),
        "{eol}"
    );
    // UBR 3803 is December 2023's update, older than the data reaches (so the reason names no
    // last update); March 2026's (19045.7058) is the newest update the data knows.
    let missing = find("os_unpatched", "missing_update");
    let reason = missing["reason"].as_str().unwrap();
    assert!(
        reason.contains("19045.3803") && !reason.contains("最後に適用"),
        "{reason}"
    );
    assert!(reason.contains("KB5078885"), "{reason}");
    // No update installed for over 45 days, by its hotfix dates.
    find("os_unpatched", "stale_updates");
    // TeamViewer: installed, and its service runs and starts with Windows.
    let unneeded: Vec<&str> = flags
        .iter()
        .filter(|f| f["flag"] == "unneeded_service")
        .map(|f| f["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        unneeded,
        ["program/TeamViewer", "service/TeamViewer"],
        "{flags:#?}"
    );
    // The services and programs are on the device, from its inventory.
    let local = detail.to_string();
    assert!(local.contains("TeamViewer_Service.exe") && local.contains("Adobe Acrobat"));

    let html = stdout(&run(&config, &["report", "checklist", "--format", "html"]));
    let section = |item: &str| {
        let start = html
            .find(&format!("<section id=\"item-{item}\""))
            .unwrap_or_else(|| panic!("no section {item} in the checklist"));
        let rest = &html[start..];
        rest[..rest.find("</section>").unwrap()].to_owned()
    };
    let patches = section("2-⑥");
    assert!(patches.contains("UKETSUKE-PC-03"), "{patches}");
    assert!(patches.contains("KB5078885"), "{patches}");
    assert!(patches.contains("Windows 10 22H2"), "{patches}");
    let services = section("2-⑫");
    assert!(services.contains("UKETSUKE-PC-03"), "{services}");
    assert!(services.contains("program/TeamViewer"), "{services}");
    assert!(services.contains("service/TeamViewer"), "{services}");
}
