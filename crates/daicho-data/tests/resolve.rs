//! A report from an agent with older data is judged again at the collector: the vendor from
//! the registry in use, and a medical maker's device medical (its OS name and version kept).

use chrono::{TimeZone as _, Utc};
use daicho_model::{AgentInfo, Host, MacAddr, OsFamily, OsGuess, ScanReport, Scope};

#[test]
fn an_old_agents_unknown_mindray_monitor_becomes_a_medical_device() {
    let mut report = ScanReport::new(
        AgentInfo {
            name: "old".into(),
            version: "0.0.9".into(),
            machine_id: None,
        },
        Scope::default(),
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    );
    // Mindray's MA-L 38:0B:26, assigned after the 2022 registry such an agent carried.
    report.hosts.push(Host {
        ip: "198.18.0.29".parse().unwrap(),
        mac: Some(MacAddr([0x38, 0x0b, 0x26, 0, 0, 29])),
        vendor: None,
        mac_randomized: false,
        hostname: None,
        os: OsGuess {
            family: OsFamily::Linux,
            name: Some("Debian".into()),
            version: Some("12".into()),
            confidence: 0.3,
            evidence: vec!["http server nginx".into()],
        },
        services: Vec::new(),
        rtt_ms: None,
        ttl: Some(64),
        discovered_by: vec!["arp".into()],
        local: None,
    });
    assert_eq!(daicho_data::resolve_report(&mut report), 1);
    let host = &report.hosts[0];
    assert!(
        host.vendor
            .as_deref()
            .is_some_and(|v| v.to_lowercase().contains("mindray")),
        "{:?}",
        host.vendor
    );
    assert_eq!(host.os.family, OsFamily::Medical);
    assert_eq!(
        host.os.name.as_deref(),
        Some("Debian"),
        "what it runs is kept"
    );
    assert!(
        host.os
            .evidence
            .iter()
            .any(|e| e.contains("medical-device maker"))
    );
    // Judged once: a second pass changes nothing.
    assert_eq!(daicho_data::resolve_report(&mut report), 0);
}
