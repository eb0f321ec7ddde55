//! Triage of unregistered devices: a disposition takes a device out of the unregistered flag
//! and the ledger rows; a removed device that comes back is unregistered again.

#[path = "support/fixtures.rs"]
mod fixtures;

use chrono::{DateTime, Duration, TimeZone, Utc};
use daicho_ledger::triage::Disposition;
use daicho_ledger::{DeviceFilter, Ledger, LedgerFieldsPatch};
use daicho_model::ScanReport;
use fixtures::{TempLedger, arp_host_of_example_corp, scan_report, temp_ledger};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()
}

/// A report from `agent-1` of hosts with these IPs and MACs, scanned at `at`.
fn report(at: DateTime<Utc>, ips: &[(&str, &str)]) -> ScanReport {
    let hosts = ips
        .iter()
        .map(|(ip, mac)| arp_host_of_example_corp(ip, mac, None))
        .collect();
    scan_report("agent-1", at, None, hosts)
}

/// The ids of the devices `filter` lists.
fn device_ids(ledger: &Ledger, filter: &DeviceFilter) -> Vec<i64> {
    ledger
        .list_devices(filter)
        .unwrap()
        .devices
        .iter()
        .map(|d| d.id)
        .collect()
}

fn unregistered(ledger: &Ledger) -> Vec<i64> {
    device_ids(
        ledger,
        &DeviceFilter {
            flag: Some("unregistered".into()),
            ..DeviceFilter::default()
        },
    )
}

#[test]
fn a_triaged_device_stops_being_unregistered_and_a_removed_one_comes_back_when_seen() {
    let TempLedger {
        dir: _dir,
        ledger,
        database: _database,
    } = temp_ledger();
    let hosts = [
        ("198.18.0.10", "02:00:00:00:00:10"),
        ("198.18.0.11", "00:11:22:00:00:11"),
        ("198.18.0.12", "00:11:22:00:00:12"),
    ];
    ledger.ingest(&report(t0(), &hosts), None).unwrap();
    let ids = device_ids(
        &ledger,
        &DeviceFilter {
            sort: Some("ip".into()),
            ..DeviceFilter::default()
        },
    );
    assert_eq!(unregistered(&ledger).len(), 3);
    assert_eq!(
        ledger
            .export_rows(daicho_ledger::SiteId::DEFAULT, false)
            .unwrap()
            .len(),
        3
    );

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
    assert_eq!(
        ledger
            .export_rows(daicho_ledger::SiteId::DEFAULT, false)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        ledger
            .checklist_devices(daicho_ledger::SiteId::DEFAULT)
            .unwrap()
            .len(),
        1
    );
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

/// One definition of "registered" (a 管理番号 or a 登録日): a device given only a 登録日 loses
/// the `unregistered` flag, is a registered row of the export and of the checklist's 2-① list,
/// and cannot be triaged away.
#[test]
fn a_registration_date_alone_registers_a_device_everywhere() {
    let TempLedger {
        dir: _dir,
        ledger,
        database: _database,
    } = temp_ledger();
    ledger
        .ingest(&report(t0(), &[("198.18.0.20", "00:11:22:00:00:20")]), None)
        .unwrap();
    let id = unregistered(&ledger)[0];
    assert_eq!(
        ledger
            .export_rows(daicho_ledger::SiteId::DEFAULT, true)
            .unwrap()
            .len(),
        0
    );
    let d = ledger
        .update_ledger(
            id,
            &LedgerFieldsPatch {
                registered_on: Some(Some("2026-11-30".into())),
                ..LedgerFieldsPatch::default()
            },
        )
        .unwrap();
    assert!(d.summary.ledger.is_registered());
    assert!(d.summary.ledger.asset_no.is_none());
    assert!(!d.summary.flags.contains(&"unregistered".to_owned()));
    assert!(unregistered(&ledger).is_empty());
    assert_eq!(
        ledger
            .export_rows(daicho_ledger::SiteId::DEFAULT, true)
            .unwrap()
            .len(),
        1
    );
    let checklist = ledger
        .checklist_devices(daicho_ledger::SiteId::DEFAULT)
        .unwrap();
    assert_eq!(checklist.len(), 1);
    assert!(checklist[0].ledger.is_some(), "2-① counts it as registered");
    assert!(matches!(
        ledger.set_disposition(id, Some(Disposition::Personal), "yamada", t0()),
        Err(daicho_ledger::LedgerError::Invalid(_))
    ));
}
