//! Triage of unregistered devices: a disposition takes a device out of the unregistered flag
//! and the ledger rows; a removed device that comes back is unregistered again.

use chrono::{DateTime, Duration, TimeZone, Utc};
use daicho_ledger::triage::Disposition;
use daicho_ledger::{DeviceFilter, Ledger, LedgerFieldsPatch, LedgerOptions};
use daicho_model::{AgentInfo, Host, OsGuess, ScanReport, Scope};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()
}

fn report(at: DateTime<Utc>, ips: &[(&str, &str)]) -> ScanReport {
    let mut r = ScanReport::new(
        AgentInfo {
            name: "agent-1".into(),
            version: "test".into(),
            machine_id: None,
        },
        Scope {
            targets: vec!["198.18.0.0/24".into()],
            exclude: vec![],
            ports: None,
        },
        at,
    );
    r.finished_at = at + Duration::seconds(30);
    r.hosts = ips
        .iter()
        .map(|(ip, mac)| Host {
            ip: ip.parse().unwrap(),
            mac: Some(mac.parse().unwrap()),
            vendor: Some("Example Corp".into()),
            mac_randomized: false,
            hostname: None,
            os: OsGuess::default(),
            services: vec![],
            rtt_ms: None,
            ttl: None,
            discovered_by: vec!["arp".into()],
            local: None,
        })
        .collect();
    r
}

fn unregistered(ledger: &Ledger) -> Vec<i64> {
    ledger
        .list_devices(&DeviceFilter {
            flag: Some("unregistered".into()),
            ..DeviceFilter::default()
        })
        .unwrap()
        .devices
        .iter()
        .map(|d| d.id)
        .collect()
}

#[test]
fn a_triaged_device_stops_being_unregistered_and_a_removed_one_comes_back_when_seen() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("l.db"), LedgerOptions::default()).unwrap();
    let hosts = [
        ("198.18.0.10", "02:00:00:00:00:10"),
        ("198.18.0.11", "00:11:22:00:00:11"),
        ("198.18.0.12", "00:11:22:00:00:12"),
    ];
    ledger.ingest(&report(t0(), &hosts), None).unwrap();
    let ids: Vec<i64> = ledger
        .list_devices(&DeviceFilter {
            sort: Some("ip".into()),
            ..DeviceFilter::default()
        })
        .unwrap()
        .devices
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(unregistered(&ledger).len(), 3);
    assert_eq!(ledger.export_rows(false).unwrap().len(), 3);

    let (phone, printer, pc) = (ids[0], ids[1], ids[2]);
    let at = t0() + Duration::minutes(5);
    let d = ledger
        .set_disposition(phone, Some(Disposition::Personal), "yamada", at)
        .unwrap();
    assert_eq!(d.summary.disposition.as_deref(), Some("personal"));
    assert!(!d.summary.flags.contains(&"unregistered".to_owned()));
    ledger
        .set_disposition(printer, Some(Disposition::Removed), "yamada", at)
        .unwrap();
    assert_eq!(unregistered(&ledger), vec![pc]);
    // Not ledger devices: neither in the export nor judged by the checklist.
    assert_eq!(ledger.export_rows(false).unwrap().len(), 1);
    assert_eq!(ledger.checklist_devices().unwrap().len(), 1);
    let triaged = ledger
        .list_devices(&DeviceFilter {
            disposition: Some("any".into()),
            ..DeviceFilter::default()
        })
        .unwrap();
    assert_eq!(triaged.total, 2);

    // Seen again later: the personal phone stays known, the removed printer is back.
    ledger
        .ingest(&report(t0() + Duration::hours(1), &hosts), None)
        .unwrap();
    let mut back = unregistered(&ledger);
    back.sort_unstable();
    assert_eq!(back, vec![printer, pc]);

    // Undo, and a registered device cannot be triaged away.
    ledger.set_disposition(phone, None, "yamada", at).unwrap();
    assert_eq!(unregistered(&ledger).len(), 3);
    ledger
        .update_ledger(
            pc,
            &LedgerFieldsPatch {
                asset_no: Some(Some("PC-001".into())),
                ..LedgerFieldsPatch::default()
            },
        )
        .unwrap();
    let refused = ledger.set_disposition(pc, Some(Disposition::Visitor), "yamada", at);
    assert!(matches!(
        refused,
        Err(daicho_ledger::LedgerError::Invalid(_))
    ));
    assert_eq!(
        "visitor".parse::<Disposition>().unwrap(),
        Disposition::Visitor
    );
    assert!("bogus".parse::<Disposition>().is_err());
}
