//! Importing a hand-kept ledger into the device ledger, and the rows it exports.

#[path = "support/fixtures.rs"]
mod fixtures;

use chrono::{NaiveDate, Utc};
use daicho_ledger::{EventFilter, Ledger, LedgerError, RowAction, RowMatch};
use daicho_model::ledger_columns::{DeviceStatus, LedgerRow};
use daicho_model::{Host, MacAddr};
use fixtures::{TempLedger, arp_host_of_example_corp, scan_report, temp_ledger};

/// Ingests a report of `hosts` scanned now.
fn scan(ledger: &Ledger, hosts: Vec<Host>) {
    ledger
        .ingest(&scan_report("a", Utc::now(), None, hosts), None)
        .unwrap();
}

fn row(asset_no: &str, ip: Option<&str>, name: &str, mac: Option<&str>) -> LedgerRow {
    LedgerRow {
        asset_no: asset_no.into(),
        maker: "富士通".into(),
        os: "Windows 11".into(),
        software: "電子カルテ".into(),
        software_version: "5.2".into(),
        ip: ip.map(|i| i.parse().unwrap()),
        computer_name: name.into(),
        location: "受付".into(),
        user: "山田".into(),
        registered_on: NaiveDate::from_ymd_opt(2024, 4, 1),
        status: Some(DeviceStatus::Active),
        description: String::new(),
        mac: mac.map(|m| m.parse::<MacAddr>().unwrap()),
    }
}

#[test]
fn rows_match_by_mac_then_ip_and_name_and_the_rest_become_registered_devices() {
    let TempLedger {
        dir: _dir,
        ledger,
        database: _database,
    } = temp_ledger();
    scan(
        &ledger,
        vec![
            arp_host_of_example_corp("198.18.0.10", "00:1b:21:00:00:0a", Some("pc-a.example")),
            arp_host_of_example_corp("198.18.0.11", "00:1b:21:00:00:0b", Some("pc-b")),
            arp_host_of_example_corp("198.18.0.12", "00:1b:21:00:00:0c", None),
        ],
    );
    let rows = vec![
        row(
            "A-1",
            Some("198.18.0.99"),
            "other",
            Some("00-1B-21-00-00-0A"),
        ),
        row("A-2", Some("198.18.0.11"), "PC-B", None),
        // Same IP, no name match: never matched by IP alone.
        row("A-3", Some("198.18.0.12"), "pc-c", None),
        row("A-4", None, "spare", Some("00:00:4c:00:00:01")),
    ];
    let plan = ledger
        .plan_import(daicho_ledger::SiteId::DEFAULT, &rows, &[2, 3, 4, 5])
        .unwrap();
    assert!(matches!(
        plan.rows[0].action,
        RowAction::Update {
            device_id: 1,
            matched_by: RowMatch::Mac,
            ..
        }
    ));
    assert!(matches!(
        plan.rows[1].action,
        RowAction::Update {
            device_id: 2,
            matched_by: RowMatch::IpName,
            ..
        }
    ));
    assert_eq!(plan.rows[2].action, RowAction::Create);
    assert_eq!(plan.rows[3].action, RowAction::Create);
    assert_eq!(plan.uncovered.len(), 1);
    assert_eq!(plan.uncovered[0].device_id, 3);
    assert_eq!(
        ledger
            .export_rows(daicho_ledger::SiteId::DEFAULT, true)
            .unwrap()
            .len(),
        0,
        "a plan changes nothing"
    );

    let (_, applied) = ledger
        .apply_import(daicho_ledger::SiteId::DEFAULT, &rows, &[2, 3, 4, 5])
        .unwrap();
    assert_eq!((applied.updated, applied.created), (2, 2));
    let a1 = ledger.device(1).unwrap();
    assert_eq!(a1.summary.ledger.asset_no.as_deref(), Some("A-1"));
    assert!(!a1.summary.flags.iter().any(|f| f == "unregistered"));
    assert!(
        ledger
            .device(3)
            .unwrap()
            .summary
            .flags
            .iter()
            .any(|f| f == "unregistered")
    );
    let events = ledger
        .events(&EventFilter {
            kind: Some(daicho_ledger::events::EventKind::LedgerUpdated),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(events.len(), 4, "one ledger_updated event per imported row");

    // The ledger-only device with a MAC is the one a later scan finds.
    let spare = ledger
        .export_rows(daicho_ledger::SiteId::DEFAULT, true)
        .unwrap()
        .into_iter()
        .find(|r| r.ledger.asset_no == "A-4")
        .unwrap();
    assert!(spare.last_seen.is_none(), "never seen yet");
    let gone = ledger
        .list_devices(&daicho_ledger::DeviceFilter {
            presence: Some("gone".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        gone.total, 2,
        "ledger-only devices are not present on the network"
    );
    scan(
        &ledger,
        vec![arp_host_of_example_corp(
            "198.18.0.40",
            "00:00:4c:00:00:01",
            None,
        )],
    );
    let spare = ledger
        .export_rows(daicho_ledger::SiteId::DEFAULT, true)
        .unwrap()
        .into_iter()
        .find(|r| r.ledger.asset_no == "A-4")
        .unwrap();
    assert!(
        spare.last_seen.is_some(),
        "the scan merged into the ledger's device"
    );
    assert_eq!(
        ledger
            .list_devices(&daicho_ledger::DeviceFilter::default())
            .unwrap()
            .total,
        5,
        "no new device for a MAC the ledger already knew"
    );

    // Exported rows carry the ledger's own columns.
    let exported = ledger
        .export_rows(daicho_ledger::SiteId::DEFAULT, true)
        .unwrap();
    let a2 = exported
        .iter()
        .find(|r| r.ledger.asset_no == "A-2")
        .unwrap();
    assert_eq!(a2.ledger.computer_name, "PC-B");
    assert_eq!(a2.ledger.maker, "富士通");
    assert_eq!(a2.ledger.mac, Some("00:1b:21:00:00:0b".parse().unwrap()));
}

#[test]
fn a_conflict_anywhere_imports_nothing() {
    let TempLedger {
        dir: _dir,
        ledger,
        database: _database,
    } = temp_ledger();
    scan(
        &ledger,
        vec![
            arp_host_of_example_corp("198.18.0.10", "00:1b:21:00:00:0a", None),
            arp_host_of_example_corp("198.18.0.11", "00:1b:21:00:00:0b", None),
        ],
    );
    ledger
        .apply_import(
            daicho_ledger::SiteId::DEFAULT,
            &[row("A-1", None, "a", Some("00:1b:21:00:00:0a"))],
            &[2],
        )
        .unwrap();
    // Row 3's 管理番号 A-1 belongs to device 1, but its MAC is device 2's.
    let rows = vec![
        row("B-1", None, "x", Some("00:00:4c:00:00:09")),
        row("A-1", None, "b", Some("00:1b:21:00:00:0b")),
    ];
    let before = ledger
        .export_rows(daicho_ledger::SiteId::DEFAULT, false)
        .unwrap();
    let plan = ledger
        .plan_import(daicho_ledger::SiteId::DEFAULT, &rows, &[2, 3])
        .unwrap();
    assert_eq!(plan.conflicts().len(), 1);
    let err = ledger
        .apply_import(daicho_ledger::SiteId::DEFAULT, &rows, &[2, 3])
        .unwrap_err();
    assert!(matches!(err, LedgerError::Conflict(_)), "{err}");
    assert!(err.to_string().contains("nothing imported"), "{err}");
    assert_eq!(
        ledger
            .export_rows(daicho_ledger::SiteId::DEFAULT, false)
            .unwrap(),
        before
    );

    // Two rows on one device.
    let rows = vec![
        row("C-1", None, "x", Some("00:1b:21:00:00:0b")),
        row("C-2", Some("198.18.0.11"), "y", Some("00:1b:21:00:00:0b")),
    ];
    assert!(
        ledger
            .apply_import(daicho_ledger::SiteId::DEFAULT, &rows, &[2, 3])
            .is_err()
    );
    assert_eq!(
        ledger
            .export_rows(daicho_ledger::SiteId::DEFAULT, false)
            .unwrap(),
        before
    );
}

#[test]
fn an_overlong_field_names_its_row_and_imports_nothing() {
    let TempLedger {
        dir: _dir,
        ledger,
        database: _database,
    } = temp_ledger();
    let mut long = row("L-2", None, "b", None);
    long.location = "長".repeat(501);
    let err = ledger
        .apply_import(
            daicho_ledger::SiteId::DEFAULT,
            &[row("L-1", None, "a", None), long],
            &[2, 3],
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("3 行目") && err.to_string().contains("location"),
        "{err}"
    );
    assert!(
        ledger
            .export_rows(daicho_ledger::SiteId::DEFAULT, false)
            .unwrap()
            .is_empty()
    );
}

/// 状態 is stored as text: an imported row's status as `DeviceStatus::as_str`, read back
/// through `DeviceStatus::parse`, so a row survives import and export whole, whatever its 状態.
#[test]
fn a_row_survives_import_and_export_with_every_status() {
    for status in [
        None,
        Some(DeviceStatus::Active),
        Some(DeviceStatus::Stopped),
        Some(DeviceStatus::Disposed),
        Some(DeviceStatus::Other("貸出中".into())),
    ] {
        let TempLedger {
            dir: _dir,
            ledger,
            database: _database,
        } = temp_ledger();
        let row = LedgerRow {
            description: "説明".into(),
            status: status.clone(),
            ..row(
                "A-1",
                Some("198.18.0.10"),
                "PC-A",
                Some("00:1b:21:00:00:0a"),
            )
        };
        ledger
            .apply_import(
                daicho_ledger::SiteId::DEFAULT,
                std::slice::from_ref(&row),
                &[2],
            )
            .unwrap();
        let stored = ledger.device(1).unwrap().summary.ledger.status;
        assert_eq!(stored.as_deref(), status.as_ref().map(DeviceStatus::as_str));
        let exported = ledger
            .export_rows(daicho_ledger::SiteId::DEFAULT, true)
            .unwrap();
        assert_eq!(exported.len(), 1);
        assert_eq!(exported[0].ledger, row, "{status:?}");
        assert_eq!(
            ledger.ledger_rows(daicho_ledger::SiteId::DEFAULT).unwrap(),
            vec![row]
        );
    }
}

/// An operator's own 状態 text (set through the API) is kept as written and read as
/// `DeviceStatus::parse` reads a cell.
#[test]
fn an_operators_own_status_text_reads_as_a_cell_would() {
    let TempLedger {
        dir: _dir,
        ledger,
        database: _database,
    } = temp_ledger();
    let row = row(
        "A-1",
        Some("198.18.0.10"),
        "PC-A",
        Some("00:1b:21:00:00:0a"),
    );
    ledger
        .apply_import(daicho_ledger::SiteId::DEFAULT, &[row], &[2])
        .unwrap();
    for (text, read) in [
        ("稼動中", Some(DeviceStatus::Active)),
        ("廃棄済み", Some(DeviceStatus::Disposed)),
        ("貸出中", Some(DeviceStatus::Other("貸出中".into()))),
    ] {
        ledger
            .update_ledger(
                1,
                &daicho_ledger::LedgerFieldsPatch {
                    status: Some(Some(text.into())),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(
            ledger.device(1).unwrap().summary.ledger.status.as_deref(),
            Some(text)
        );
        assert_eq!(
            ledger
                .export_rows(daicho_ledger::SiteId::DEFAULT, true)
                .unwrap()[0]
                .ledger
                .status,
            read
        );
    }
}
