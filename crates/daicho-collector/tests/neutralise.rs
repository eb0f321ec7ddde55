//! Text that leaves the collector toward a terminal: a host name carrying an escape sequence,
//! CR/LF and a bidi override is printed neutralised by `alert list` and `device show`; a CP932
//! ledger export with a vendor string CP932 cannot hold succeeds with a notice on stderr.

#[path = "support/command_line.rs"]
mod command_line;

use std::path::Path;

use chrono::{TimeZone, Utc};
use command_line::{run, stdout, temp_config};
use daicho_ledger::{Ledger, LedgerOptions};
use daicho_model::{AgentInfo, Host, MacAddr, OsGuess, ScanReport, Scope};

/// A host name that would colour the terminal red, start a forged line and reverse the text.
const HOSTILE: &str = "pc\x1b[31mRED\r\n2026-01-01 INFO forged\u{202E}txt.exe";

/// One unregistered device named [`HOSTILE`], vendor `vendor`, its alert raised.
fn ledger_with_hostile_host(db: &Path, vendor: &str) {
    let ledger = Ledger::open(db, LedgerOptions::default()).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
    let mut r = ScanReport::new(
        AgentInfo {
            name: "ward3".into(),
            version: "t".into(),
            machine_id: None,
        },
        Scope::default(),
        at,
    );
    r.hosts = vec![Host {
        ip: "198.18.0.10".parse().unwrap(),
        mac: Some(MacAddr([0, 0x1b, 0x21, 0, 0, 10])),
        vendor: Some(vendor.into()),
        mac_randomized: false,
        hostname: Some(HOSTILE.into()),
        os: OsGuess::default(),
        services: vec![],
        rtt_ms: None,
        ttl: None,
        discovered_by: vec![],
        local: None,
    }];
    ledger.ingest(&r, None).unwrap();
    daicho_collector::alerts::plan_alerts(&ledger, Utc::now(), &["log"], None, &[]).unwrap();
}

fn assert_terminal_safe(text: &str, what: &str) {
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202E}'),
        "{what} prints a raw control or bidi character: {text:?}"
    );
}

#[test]
fn alert_list_and_device_show_neutralise_a_hostile_host_name() {
    let (_dir, db, config) = temp_config();
    ledger_with_hostile_host(&db, "Acme");

    let list = stdout(&run(&config, &["alert", "list"]));
    assert_terminal_safe(&list, "alert list");
    assert!(
        list.contains("pc\\u{1b}[31mRED\\r\\n2026-01-01 INFO forged\\u{202e}txt.exe"),
        "{list}"
    );
    // The header and one alert: the CR/LF made no second line.
    assert_eq!(list.lines().count(), 2, "{list}");

    // JSON stays the same data, with every hidden character escaped the JSON way.
    let json = stdout(&run(&config, &["alert", "list", "--format", "json"]));
    assert_terminal_safe(&json, "alert list --format json");
    let alerts: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        alerts[0]["subject"].as_str().unwrap().contains(HOSTILE),
        "{json}"
    );

    let show = stdout(&run(&config, &["device", "show", "1"]));
    assert_terminal_safe(&show, "device show");
    assert!(show.contains("\\u202e"), "{show}");
    let detail: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(detail["hostname"], HOSTILE, "{show}");
}

#[test]
fn a_cp932_export_with_a_vendor_cp932_cannot_hold_succeeds_with_a_notice() {
    let (dir, db, config) = temp_config();
    ledger_with_hostile_host(&db, "\u{200F}Acme\u{200B} 医療😀");
    let out = dir.path().join("ledger.csv");
    let o = run(
        &config,
        &[
            "ledger",
            "export",
            "--format",
            "csv",
            "--encoding",
            "cp932",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("notice: CP932 (Shift_JIS) で表せない文字"),
        "{stderr}"
    );
    let bytes = std::fs::read(&out).unwrap();
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert!(!text.contains('\u{200B}') && !text.contains('\u{200F}'));
}
