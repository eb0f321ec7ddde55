//! The command line: tokens and operator decisions on devices, run as the real binary.

#[path = "support/command_line.rs"]
mod command_line;

use chrono::{TimeZone, Utc};
use command_line::{run, stdout, temp_config};
use daicho_ledger::{DeviceFilter, Ledger, LedgerOptions};
use daicho_model::{AgentInfo, Host, MacAddr, OsGuess, ScanReport, Scope};

#[test]
fn tokens_and_device_decisions_from_the_command_line() {
    let (_dir, db, config) = temp_config();

    let token = stdout(&run(&config, &["token", "create", "--agent", "ward3"]));
    assert!(
        token.trim().starts_with("dct_") && token.trim().len() == 68,
        "{token}"
    );
    let op = stdout(&run(&config, &["token", "create", "--operator", "admin"]));
    assert_ne!(token, op);
    let list = stdout(&run(&config, &["token", "list"]));
    assert!(
        list.contains("ward3") && list.contains("operator"),
        "{list}"
    );
    assert!(
        !list.contains(token.trim()),
        "the list must never show a token"
    );
    assert!(stdout(&run(&config, &["token", "revoke", "ward3"])).contains("revoked 1"));
    let json = stdout(&run(&config, &["token", "list", "--format", "json"]));
    let tokens: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(tokens[0]["revoked_at"].is_string());
    let again = run(&config, &["token", "revoke", "ward3"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no token matched ward3"));
    let missing = run(&config, &["token", "create"]);
    assert!(!missing.status.success());

    // Two devices from one scan, merged and split again by hand.
    {
        let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        let mut r = ScanReport::new(
            AgentInfo {
                name: "a".into(),
                version: "t".into(),
                machine_id: None,
            },
            Scope::default(),
            at,
        );
        r.hosts = (10u8..12)
            .map(|i| Host {
                ip: format!("198.18.0.{i}").parse().unwrap(),
                mac: Some(MacAddr([0, 0x1b, 0x21, 0, 0, i])),
                vendor: None,
                mac_randomized: false,
                hostname: None,
                os: OsGuess::default(),
                services: vec![],
                rtt_ms: None,
                ttl: None,
                discovered_by: vec![],
                local: None,
            })
            .collect();
        ledger.ingest(&r, None).unwrap();
    }
    let merged = stdout(&run(&config, &["device", "merge", "1", "2"]));
    assert!(merged.contains("merged device 2 into device 1"), "{merged}");
    let bad = run(&config, &["device", "merge", "1", "2"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("merged into device 1"));
    let split = stdout(&run(
        &config,
        &["device", "split", "1", "--mac", "00-1B-21-00-00-0B"],
    ));
    assert!(split.contains("into new device 3"), "{split}");
    let show = stdout(&run(&config, &["device", "show", "3"]));
    let detail: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(detail["mac"], "00:1b:21:00:00:0b");
    assert_eq!(detail["keys"][0]["pinned"], true);
    let bad_mac = run(&config, &["device", "split", "1", "--mac", "zz"]);
    assert!(!bad_mac.status.success());
    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    assert_eq!(
        ledger.list_devices(&DeviceFilter::default()).unwrap().total,
        2
    );
}

#[test]
fn a_clinic_moves_into_a_group_database_and_its_agent_token_keeps_working() {
    let (dir, db, config) = temp_config();
    let token = stdout(&run(&config, &["token", "create", "--agent", "ward"]));
    let group = daicho_testlan::postgres::TestDatabase::create().unwrap();
    let moved = stdout(&run(
        &config,
        &[
            "--site",
            "minami",
            "migrate",
            "--from",
            db.to_str().unwrap(),
            "--to",
            group.url(),
        ],
    ));
    assert!(
        moved.contains("site `minami`") && moved.contains("tokens"),
        "{moved}"
    );
    // The group's collector, configured with the URL alone, knows the site and the token.
    let group_config = dir.path().join("group.toml");
    std::fs::write(
        &group_config,
        format!("[storage]\nurl = \"{}\"\n", group.url()),
    )
    .unwrap();
    let sites = stdout(&run(&group_config, &["site", "list"]));
    assert!(sites.contains("minami"), "{sites}");
    let summary = stdout(&run(
        &group_config,
        &["report", "group", "--format", "json"],
    ));
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let names: Vec<&str> = summary
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "minami"]);
    assert_eq!(summary[1]["answers"].as_array().unwrap().len(), 5);
    let ledger = Ledger::open_postgres(group.url(), LedgerOptions::default()).unwrap();
    let info = ledger.verify_token(token.trim()).unwrap().unwrap();
    assert_eq!(info.agent_site(), ledger.site_named("minami").unwrap().id);
    // From a file that is not there: refused, naming the option.
    let missing = run(
        &config,
        &[
            "migrate",
            "--from",
            "/nonexistent/c.db",
            "--to",
            group.url(),
        ],
    );
    assert!(!missing.status.success());
    assert!(command_line::stderr(&missing).contains("--from"));
}
