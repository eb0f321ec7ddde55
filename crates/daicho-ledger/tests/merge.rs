//! Identity and merge behaviour, driven by synthetic reports through the public API.

#[path = "support/fixtures.rs"]
mod fixtures;

use chrono::{DateTime, Duration, TimeZone, Utc};
use daicho_ledger::{DeviceFilter, EventFilter, Ledger, LedgerFieldsPatch, LedgerOptions};
use daicho_model::{Host, LocalInventory, OsFamily, OsGuess, Protocol, Service};
use fixtures::{arp_host, scan_report, temp_ledger, temp_sqlite_ledger};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap()
}

fn svc(port: u16, name: &str, version: Option<&str>) -> Service {
    Service {
        port,
        protocol: Protocol::Tcp,
        name: name.into(),
        product: Some("Prod".into()),
        version: version.map(str::to_owned),
        evidence: vec![],
    }
}

fn all(ledger: &Ledger) -> Vec<daicho_ledger::DeviceSummary> {
    ledger
        .list_devices(&DeviceFilter {
            limit: Some(1000),
            ..DeviceFilter::default()
        })
        .unwrap()
        .devices
}

fn kinds(ledger: &Ledger, device: i64) -> Vec<String> {
    let mut ev = ledger
        .events(&EventFilter {
            device: Some(device),
            limit: Some(1000),
            ..EventFilter::default()
        })
        .unwrap();
    ev.reverse();
    ev.into_iter().map(|e| e.kind.as_str().to_owned()).collect()
}

#[test]
fn repeated_scans_and_an_ip_change_keep_one_device() {
    let f = temp_ledger();
    for i in 0..3 {
        let r = scan_report(
            "a",
            t0() + Duration::hours(i),
            None,
            vec![arp_host(
                "198.18.0.10",
                Some("00:1b:21:00:00:10"),
                Some("pc-10"),
            )],
        );
        f.ledger.ingest(&r, Some("a")).unwrap();
    }
    let r = scan_report(
        "a",
        t0() + Duration::hours(5),
        None,
        vec![arp_host(
            "198.18.0.77",
            Some("00:1B:21:00:00:10"),
            Some("pc-10"),
        )],
    );
    let out = f.ledger.ingest(&r, Some("a")).unwrap();
    assert_eq!(out.new_devices, 0);
    let devices = all(&f.ledger);
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].ip.as_deref(), Some("198.18.0.77"));
    let detail = f.ledger.device(devices[0].id).unwrap();
    assert_eq!(detail.ips.len(), 2);
    let unregistered = &detail.flag_details[0];
    assert_eq!(unregistered.flag, "unregistered");
    assert!(
        unregistered
            .evidence
            .contains(&"seen at 198.18.0.77".to_owned()),
        "{unregistered:?}"
    );
    let k = kinds(&f.ledger, devices[0].id);
    assert_eq!(k.iter().filter(|k| *k == "first_seen").count(), 1);
    assert!(k.contains(&"ip_changed".to_owned()), "{k:?}");
    let ip_event = f
        .ledger
        .events(&EventFilter {
            kind: Some(daicho_ledger::events::EventKind::IpChanged),
            ..EventFilter::default()
        })
        .unwrap();
    assert_eq!(ip_event.len(), 1);
    assert_eq!(
        ip_event[0].report_id.as_deref(),
        Some(r.report_id.to_string().as_str())
    );
    assert_eq!(ip_event[0].detail["from"], "198.18.0.10");
}

#[test]
fn two_overlapping_agents_give_one_device_per_host_in_either_order() {
    for local_first in [true, false] {
        let f = temp_ledger();
        // Agent "seg" is on the hosts' segment and sees MACs; agent "far" is routed and does not.
        let seg: Vec<Host> = (10..20)
            .map(|i| {
                arp_host(
                    &format!("198.18.0.{i}"),
                    Some(&format!("00:1b:21:00:00:{i:02x}")),
                    (i % 2 == 0).then(|| format!("host{i}")).as_deref(),
                )
            })
            .collect();
        let far: Vec<Host> = (10..20)
            .map(|i| {
                arp_host(
                    &format!("198.18.0.{i}"),
                    None,
                    (i % 3 == 0).then(|| format!("HOST{i}.lan")).as_deref(),
                )
            })
            .collect();
        for round in 0..3 {
            let at = t0() + Duration::hours(round);
            let a = scan_report("seg", at, None, seg.clone());
            let b = scan_report("far", at + Duration::minutes(1), None, far.clone());
            if local_first {
                f.ledger.ingest(&a, Some("seg")).unwrap();
                f.ledger.ingest(&b, Some("far")).unwrap();
            } else {
                f.ledger.ingest(&b, Some("far")).unwrap();
                f.ledger.ingest(&a, Some("seg")).unwrap();
            }
        }
        let devices = all(&f.ledger);
        assert_eq!(devices.len(), 10, "local_first={local_first}: {devices:#?}");
        for d in &devices {
            assert!(d.mac.is_some(), "every device learned its MAC: {d:?}");
        }
    }
}

#[test]
fn a_randomized_mac_phone_rejoining_does_not_multiply() {
    let f = temp_ledger();
    // Same per-SSID randomized MAC, new lease.
    let mut at = t0();
    for ip in ["198.18.0.50", "198.18.0.51", "198.18.0.50"] {
        f.ledger
            .ingest(
                &scan_report(
                    "a",
                    at,
                    None,
                    vec![arp_host(ip, Some("da:a1:19:00:00:01"), None)],
                ),
                None,
            )
            .unwrap();
        at += Duration::hours(1);
    }
    assert_eq!(all(&f.ledger).len(), 1);
    // A rotated MAC with the same (non-generic) host name.
    f.ledger
        .ingest(
            &scan_report(
                "a",
                at,
                None,
                vec![arp_host(
                    "198.18.0.60",
                    Some("da:a1:19:00:00:02"),
                    Some("Galaxy-S24-Hanako"),
                )],
            ),
            None,
        )
        .unwrap();
    at += Duration::hours(1);
    f.ledger
        .ingest(
            &scan_report(
                "a",
                at,
                None,
                vec![arp_host(
                    "198.18.0.61",
                    Some("6a:00:00:00:00:03"),
                    Some("galaxy-s24-hanako.local"),
                )],
            ),
            None,
        )
        .unwrap();
    assert_eq!(all(&f.ledger).len(), 2, "the named phone is its own device");
    // A rotated MAC without a name, on the previous lease within the window.
    at += Duration::hours(2);
    let out = f
        .ledger
        .ingest(
            &scan_report(
                "a",
                at,
                None,
                vec![arp_host("198.18.0.50", Some("da:a1:19:00:00:09"), None)],
            ),
            None,
        )
        .unwrap();
    assert_eq!(out.new_devices, 0);
    let devices = all(&f.ledger);
    assert_eq!(devices.len(), 2);
    let phone = devices
        .iter()
        .find(|d| d.ip.as_deref() == Some("198.18.0.50"))
        .unwrap();
    assert_eq!(phone.last_match, "randomized_ip_lease");
    assert!(phone.flags.contains(&"randomized_mac".to_owned()));
    // Two different nameless phones in one scan stay two devices, and a generic name merges
    // nothing.
    at += Duration::hours(1);
    f.ledger
        .ingest(
            &scan_report(
                "a",
                at,
                None,
                vec![
                    arp_host("198.18.0.50", Some("da:a1:19:00:00:09"), None),
                    arp_host("198.18.0.90", Some("da:a1:19:00:00:0a"), Some("iPhone")),
                    arp_host("198.18.0.91", Some("da:a1:19:00:00:0b"), Some("iPhone")),
                ],
            ),
            None,
        )
        .unwrap();
    assert_eq!(all(&f.ledger).len(), 4);
}

#[test]
fn a_stale_lease_does_not_capture_a_new_phone() {
    let f = temp_ledger();
    f.ledger
        .ingest(
            &scan_report(
                "a",
                t0(),
                None,
                vec![arp_host("198.18.0.50", Some("da:a1:19:00:00:01"), None)],
            ),
            None,
        )
        .unwrap();
    f.ledger
        .ingest(
            &scan_report(
                "a",
                t0() + Duration::days(3),
                None,
                vec![arp_host("198.18.0.50", Some("da:a1:19:00:00:02"), None)],
            ),
            None,
        )
        .unwrap();
    assert_eq!(all(&f.ledger).len(), 2);
}

#[test]
fn a_duplicate_report_changes_nothing() {
    let f = temp_ledger();
    let r = scan_report(
        "a",
        t0(),
        None,
        vec![arp_host("198.18.0.10", Some("00:1b:21:00:00:10"), None)],
    );
    let first = f.ledger.ingest(&r, Some("a")).unwrap();
    assert!(!first.duplicate);
    let before = f.ledger.events(&EventFilter::default()).unwrap();
    let again = f.ledger.ingest(&r, Some("a")).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.devices, 1);
    assert_eq!(f.ledger.events(&EventFilter::default()).unwrap(), before);
    assert_eq!(f.ledger.report_count().unwrap(), 1);
}

#[test]
fn ports_open_close_only_within_the_scanned_range_and_os_changes_are_recorded() {
    let f = temp_ledger();
    let mut h = arp_host("198.18.0.10", Some("00:1b:21:00:00:10"), None);
    h.services = vec![svc(22, "ssh", Some("8.9")), svc(8080, "http", None)];
    h.os = OsGuess {
        family: OsFamily::Linux,
        name: Some("Debian".into()),
        version: Some("11".into()),
        confidence: 0.8,
        evidence: vec!["banner".into()],
    };
    f.ledger
        .ingest(
            &scan_report("a", t0(), Some("1-1024"), vec![h.clone()]),
            None,
        )
        .unwrap();
    // 22 gone and 23 new within 1-1024; 8080 not scanned this time so it stays open.
    h.services = vec![svc(23, "telnet", None)];
    h.os.version = Some("12".into());
    f.ledger
        .ingest(
            &scan_report(
                "a",
                t0() + Duration::hours(1),
                Some("1-1024"),
                vec![h.clone()],
            ),
            None,
        )
        .unwrap();
    let id = all(&f.ledger)[0].id;
    let detail = f.ledger.device(id).unwrap();
    let state = |port: u16| {
        detail
            .services
            .iter()
            .find(|s| s.port == port)
            .map(|s| s.state.clone())
    };
    assert_eq!(state(22).as_deref(), Some("closed"));
    assert_eq!(state(23).as_deref(), Some("open"));
    assert_eq!(state(8080).as_deref(), Some("open"));
    let k = kinds(&f.ledger, id);
    assert!(
        k.contains(&"port_closed".to_owned()) && k.contains(&"port_opened".to_owned()),
        "{k:?}"
    );
    assert!(k.contains(&"os_changed".to_owned()), "{k:?}");
    // An unknown guess never replaces a known OS.
    h.os = OsGuess::default();
    f.ledger
        .ingest(
            &scan_report("a", t0() + Duration::hours(2), None, vec![h]),
            None,
        )
        .unwrap();
    assert_eq!(
        f.ledger.device(id).unwrap().summary.os.version.as_deref(),
        Some("12")
    );
}

#[test]
fn ledger_fields_survive_scans_and_clear_the_unregistered_flag() {
    let f = temp_ledger();
    let h = arp_host("198.18.0.10", Some("00:1b:21:00:00:10"), Some("pacs"));
    f.ledger
        .ingest(&scan_report("a", t0(), None, vec![h.clone()]), None)
        .unwrap();
    let id = all(&f.ledger)[0].id;
    assert!(all(&f.ledger)[0].flags.contains(&"unregistered".to_owned()));
    let patch: LedgerFieldsPatch = serde_json::from_str(
        r#"{"asset_no":"A-001","location":"放射線科","user":"山田","status":"稼働","registered_on":"2026-04-01"}"#,
    )
    .unwrap();
    f.ledger.update_ledger(id, &patch).unwrap();
    f.ledger
        .ingest(
            &scan_report("a", t0() + Duration::hours(1), None, vec![h]),
            None,
        )
        .unwrap();
    let d = &all(&f.ledger)[0];
    assert_eq!(d.ledger.asset_no.as_deref(), Some("A-001"));
    assert_eq!(d.ledger.location.as_deref(), Some("放射線科"));
    assert_eq!(d.ledger.status.as_deref(), Some("稼働"));
    assert!(!d.flags.contains(&"unregistered".to_owned()));
    let bad: LedgerFieldsPatch = serde_json::from_str(r#"{"registered_on":"2026/04/01"}"#).unwrap();
    assert!(f.ledger.update_ledger(id, &bad).is_err());
    // Filters.
    let by_status = f
        .ledger
        .list_devices(&DeviceFilter {
            status: Some("稼働".into()),
            ..DeviceFilter::default()
        })
        .unwrap();
    assert_eq!(by_status.total, 1);
    let by_text = f
        .ledger
        .list_devices(&DeviceFilter {
            q: Some("放射線".into()),
            ..DeviceFilter::default()
        })
        .unwrap();
    assert_eq!(by_text.total, 1);
    let by_mac = f
        .ledger
        .list_devices(&DeviceFilter {
            q: Some("001B.2100.0010".into()),
            ..DeviceFilter::default()
        })
        .unwrap();
    assert_eq!(by_mac.total, 1);
    let other_net = f
        .ledger
        .list_devices(&DeviceFilter {
            subnet: Some("198.18.1.0/24".into()),
            ..DeviceFilter::default()
        })
        .unwrap();
    assert_eq!(other_net.total, 0);
}

#[test]
fn manual_merge_and_split_survive_later_scans() {
    let f = temp_ledger();
    // One box with two NICs on different segments, no inventory: two devices until merged.
    let hosts = vec![
        arp_host("198.18.0.10", Some("00:1b:21:00:00:10"), Some("nas-a")),
        arp_host("198.18.0.11", Some("00:1b:21:00:00:11"), Some("nas-b")),
    ];
    f.ledger
        .ingest(&scan_report("a", t0(), None, hosts.clone()), None)
        .unwrap();
    let ids: Vec<i64> = all(&f.ledger).iter().map(|d| d.id).collect();
    assert_eq!(ids.len(), 2);
    let merged = f.ledger.merge_devices(ids[0], ids[1]).unwrap();
    assert_eq!(
        merged
            .device
            .keys
            .iter()
            .filter(|k| k.kind == "mac")
            .count(),
        2
    );
    for i in 1..3 {
        f.ledger
            .ingest(
                &scan_report("a", t0() + Duration::hours(i), None, hosts.clone()),
                None,
            )
            .unwrap();
    }
    let devices = all(&f.ledger);
    assert_eq!(devices.len(), 1, "{devices:#?}");
    assert_eq!(devices[0].id, ids[0]);
    assert!(f.ledger.device(ids[1]).unwrap().summary.merged_into == Some(ids[0]));
    // Now the operator says the second MAC is a separate device after all.
    let split = f
        .ledger
        .split_device(ids[0], &["00:1b:21:00:00:11".parse().unwrap()])
        .unwrap();
    let new_id = split.split_off.summary.id;
    for i in 3..5 {
        f.ledger
            .ingest(
                &scan_report("a", t0() + Duration::hours(i), None, hosts.clone()),
                None,
            )
            .unwrap();
    }
    let devices = all(&f.ledger);
    assert_eq!(devices.len(), 2);
    let d = f.ledger.device(new_id).unwrap();
    assert_eq!(d.summary.mac.as_deref(), Some("00:1b:21:00:00:11"));
    assert_eq!(d.summary.last_match, "pinned");
    assert_eq!(d.sightings[0].matched_by, "pinned");
    assert_eq!(d.sightings[0].agent.as_deref(), Some("a"));
    assert!(f.ledger.merge_devices(ids[0], ids[0]).is_err());
}

#[test]
fn machine_id_joins_a_multi_homed_host() {
    let f = temp_ledger();
    let mut inv = LocalInventory {
        hostname: "emr-srv".into(),
        machine_id: Some("4c4c4544-0042".into()),
        ..LocalInventory::default()
    };
    inv.os.id = Some("windows".into());
    inv.os.name = Some("Windows Server 2019".into());
    let mut a = arp_host("198.18.0.20", Some("00:1b:21:00:00:20"), None);
    a.local = Some(inv.clone());
    let mut b = arp_host("198.18.1.20", Some("00:1b:21:00:01:20"), None);
    b.local = Some(inv);
    f.ledger
        .ingest(&scan_report("a", t0(), None, vec![a, b]), None)
        .unwrap();
    let devices = all(&f.ledger);
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].os.family, "windows");
    assert_eq!(devices[0].ip.as_deref(), Some("198.18.0.20"));
    let detail = f.ledger.device(devices[0].id).unwrap();
    assert_eq!(detail.machine_id.as_deref(), Some("4c4c4544-0042"));
    assert_eq!(detail.keys.len(), 3);
}

#[test]
fn devices_go_missing_and_return() {
    let f = temp_ledger();
    let h = arp_host("198.18.0.10", Some("00:1b:21:00:00:10"), None);
    f.ledger
        .ingest(&scan_report("a", t0(), None, vec![h.clone()]), None)
        .unwrap();
    assert!(
        f.ledger
            .sweep_gone(t0() + Duration::days(6))
            .unwrap()
            .is_empty()
    );
    let gone = f.ledger.sweep_gone(t0() + Duration::days(8)).unwrap();
    assert_eq!(gone.len(), 1);
    assert_eq!(all(&f.ledger)[0].presence, "gone");
    // A late report (older than the last sighting) does not bring it back or move its IP.
    let mut late = h.clone();
    late.ip = "198.18.0.99".parse().unwrap();
    f.ledger
        .ingest(
            &scan_report("a", t0() - Duration::hours(1), None, vec![late]),
            None,
        )
        .unwrap();
    let d = &all(&f.ledger)[0];
    assert_eq!(
        (d.presence.as_str(), d.ip.as_deref()),
        ("gone", Some("198.18.0.10"))
    );
    f.ledger
        .ingest(
            &scan_report("a", t0() + Duration::days(9), None, vec![h]),
            None,
        )
        .unwrap();
    let d = &all(&f.ledger)[0];
    assert_eq!(d.presence, "present");
    let k = kinds(&f.ledger, d.id);
    assert!(
        k.contains(&"gone".to_owned()) && k.contains(&"returned".to_owned()),
        "{k:?}"
    );
}

#[test]
fn the_database_reopens_and_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/ledger.db");
    {
        let l = Ledger::open(&path, LedgerOptions::default()).unwrap();
        l.ingest(
            &scan_report("a", t0(), None, vec![arp_host("198.18.0.10", None, None)]),
            None,
        )
        .unwrap();
    }
    let l = Ledger::open(&path, LedgerOptions::default()).unwrap();
    assert_eq!(l.integrity_check().unwrap(), vec!["ok".to_owned()]);
    assert_eq!(l.device_count().unwrap(), 1);
}

#[test]
fn tokens_are_stored_hashed_and_revocable() {
    let f = temp_sqlite_ledger();
    let (info, token) = f
        .ledger
        .create_token("ward3", daicho_ledger::Role::Agent)
        .unwrap();
    assert!(token.starts_with("dct_") && token.len() == 68);
    assert_eq!(f.ledger.verify_token(&token).unwrap().unwrap().id, info.id);
    assert!(f.ledger.verify_token("dct_00").unwrap().is_none());
    let raw = std::fs::read(f.ledger.path().unwrap()).unwrap();
    let wal = std::fs::read(f.ledger.path().unwrap().with_extension("db-wal")).unwrap_or_default();
    let needle = token.as_bytes();
    for bytes in [&raw, &wal] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "plaintext token stored"
        );
    }
    assert_eq!(f.ledger.revoke_tokens("ward3").unwrap(), 1);
    assert!(f.ledger.verify_token(&token).unwrap().is_none());
    assert!(f.ledger.revoke_tokens("ward3").is_err());
    assert!(f.ledger.list_tokens().unwrap()[0].revoked_at.is_some());
}

#[test]
fn a_database_from_a_newer_build_is_refused_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    drop(Ledger::open(&path, LedgerOptions::default()).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, daicho_ledger::SCHEMA_VERSION);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Ledger::open(&path, LedgerOptions::default()).err().unwrap();
    assert!(err.to_string().contains("version 99"), "{err}");
}
