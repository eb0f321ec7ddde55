//! The PostgreSQL store against the SQLite one: the same schema, and several ledgers (collectors)
//! on one PostgreSQL database ingesting at once without losing a report or making a device twice.
//! Runs on the test server of `scripts/postgres.sh` (started on first use; root).

#[path = "support/fixtures.rs"]
mod fixtures;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use daicho_ledger::{DeviceFilter, Ledger, LedgerOptions, SiteId, SiteScope};
use daicho_testlan::postgres::TestDatabase;
use fixtures::{arp_host, scan_report, temp_sqlite_ledger};

/// Table → column → (type class, NOT NULL), as SQLite declares them.
fn sqlite_columns(
    ledger_dir: &std::path::Path,
) -> BTreeMap<String, BTreeMap<String, (String, bool)>> {
    let conn = rusqlite::Connection::open(ledger_dir.join("ledger.db")).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = BTreeMap::new();
    for table in tables {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{table}')"
            ))
            .unwrap();
        let cols = stmt
            .query_map([], |r| {
                let ty: String = r.get(1)?;
                let class = match ty.as_str() {
                    "INTEGER" => "integer",
                    "REAL" => "real",
                    "BLOB" => "bytes",
                    _ => "text",
                };
                // A primary-key column is NOT NULL in PostgreSQL whatever it says.
                let not_null = r.get::<_, bool>(2)? || r.get::<_, i64>(3)? > 0;
                Ok((r.get::<_, String>(0)?, (class.to_owned(), not_null)))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.insert(table, cols);
    }
    out
}

fn postgres_columns(url: &str) -> BTreeMap<String, BTreeMap<String, (String, bool)>> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut out: BTreeMap<String, BTreeMap<String, (String, bool)>> = BTreeMap::new();
    for row in client
        .query(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
             FROM information_schema.columns WHERE table_schema = 'public'
               AND table_name <> 'daicho_schema'",
            &[],
        )
        .unwrap()
    {
        let ty: String = row.get(2);
        let class = match ty.as_str() {
            "bigint" => "integer",
            "double precision" => "real",
            "bytea" => "bytes",
            _ => "text",
        };
        out.entry(row.get(0)).or_default().insert(
            row.get(1),
            (class.to_owned(), row.get::<_, String>(3) == "NO"),
        );
    }
    out
}

fn index_names_sqlite(ledger_dir: &std::path::Path) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(ledger_dir.join("ledger.db")).unwrap();
    conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn index_names_postgres(url: &str) -> BTreeSet<String> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .query(
            // Not the indexes of primary keys and UNIQUE columns (SQLite's are unnamed).
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
               AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn both_stores_have_the_same_tables_columns_types_and_indexes() {
    let sqlite = temp_sqlite_ledger();
    let db = TestDatabase::create().unwrap();
    let pg = Ledger::open_postgres(db.url(), LedgerOptions::default()).unwrap();
    assert_eq!(pg.sites().unwrap(), sqlite.ledger.sites().unwrap());
    drop(pg);
    let dir = sqlite.dir.path().to_owned();
    drop(sqlite.ledger);
    assert_eq!(sqlite_columns(&dir), postgres_columns(db.url()));
    assert_eq!(index_names_sqlite(&dir), index_names_postgres(db.url()));
    // Opening again finds the schema current and changes nothing.
    drop(Ledger::open_postgres(db.url(), LedgerOptions::default()).unwrap());
}

#[test]
fn two_collectors_on_one_database_ingest_at_once_without_loss_or_duplicates() {
    const REPORTS: usize = 12;
    const HOSTS: u32 = 40;
    let db = TestDatabase::create().unwrap();
    // Two handles, as two collectors behind a load balancer would have.
    let first = Arc::new(Ledger::open_postgres(db.url(), LedgerOptions::default()).unwrap());
    let second = Arc::new(Ledger::open_postgres(db.url(), LedgerOptions::default()).unwrap());
    let east = first.add_site("east", None).unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    // Every report sees the same 40 hosts (each of the default site and of east), in a
    // different order; reports alternate between the two collectors and run in parallel.
    let mut threads = Vec::new();
    for i in 0..REPORTS {
        let ledger = Arc::clone(if i % 2 == 0 { &first } else { &second });
        let site = if i % 3 == 0 { east.id } else { SiteId::DEFAULT };
        threads.push(std::thread::spawn(move || {
            let mut hosts: Vec<_> = (0..HOSTS)
                .map(|h| {
                    arp_host(
                        &format!("198.18.0.{}", 10 + h),
                        Some(&format!("00:11:22:33:44:{h:02x}")),
                        None,
                    )
                })
                .collect();
            hosts.rotate_left(i * 7 % HOSTS as usize);
            let report = scan_report(
                &format!("agent-{i}"),
                t0 + Duration::seconds(i64::try_from(i).unwrap()),
                None,
                hosts,
            );
            ledger.ingest_at(site, &report, None).unwrap()
        }));
    }
    let outcomes: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(
        outcomes
            .iter()
            .all(|o| !o.duplicate && o.devices == HOSTS as usize)
    );
    assert_eq!(first.report_count().unwrap(), REPORTS as u64);
    for site in [SiteId::DEFAULT, east.id] {
        let page = second
            .list_devices(&DeviceFilter {
                scope: SiteScope::one(site),
                limit: Some(1000),
                ..DeviceFilter::default()
            })
            .unwrap();
        let macs: BTreeSet<_> = page.devices.iter().filter_map(|d| d.mac.clone()).collect();
        assert_eq!(
            page.total,
            u64::from(HOSTS),
            "site {site}: one device per host"
        );
        assert_eq!(macs.len(), HOSTS as usize);
    }
    // A report delivered again, to the other collector, is a duplicate.
    let again = scan_report(
        "agent-0",
        t0,
        None,
        vec![arp_host("198.18.0.10", None, None)],
    );
    let stored = first.ingest(&again, None).unwrap();
    assert!(!stored.duplicate);
    assert!(second.ingest(&again, None).unwrap().duplicate);
}

#[test]
fn a_clinics_ledger_moves_into_the_group_database_as_one_site_with_its_history() {
    use daicho_ledger::exceptions::NewException;
    use daicho_ledger::restrictions::NewRestriction;
    use daicho_ledger::{EventFilter, LedgerFieldsPatch, Role};

    let clinic = temp_sqlite_ledger();
    let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let hosts = |last: u8| -> Vec<_> {
        (10..=last)
            .map(|h| {
                arp_host(
                    &format!("198.18.0.{h}"),
                    Some(&format!("00:11:22:33:44:{h:02x}")),
                    Some(&format!("pc-{h}")),
                )
            })
            .collect()
    };
    let (token, secret) = clinic.ledger.create_token("ward", Role::Agent).unwrap();
    // A switch placed four of them: the placements come along too.
    let mut first = scan_report("ward", t0, None, hosts(20));
    let mut reading = daicho_model::SwitchReading::unread("198.18.0.10".parse().unwrap());
    reading.name = Some("sw-1f".into());
    reading.forwarding = (11..=14u8)
        .map(|h| daicho_model::ForwardingEntry {
            mac: format!("00:11:22:33:44:{h:02x}").parse().unwrap(),
            port: u32::from(h),
            vlan: None,
        })
        .collect();
    first.switches.push(reading);
    clinic.ledger.ingest(&first, Some("ward")).unwrap();
    clinic
        .ledger
        .ingest(
            &scan_report("ward", t0 + Duration::hours(1), None, hosts(15)),
            Some("ward"),
        )
        .unwrap();
    let ids: Vec<i64> = clinic
        .ledger
        .list_devices(&DeviceFilter {
            sort: Some("ip".into()),
            ..DeviceFilter::default()
        })
        .unwrap()
        .devices
        .iter()
        .map(|d| d.id)
        .collect();
    clinic
        .ledger
        .update_ledger(
            ids[0],
            &LedgerFieldsPatch {
                asset_no: Some(Some("PC-001".into())),
                location: Some(Some("受付".into())),
                ..LedgerFieldsPatch::default()
            },
        )
        .unwrap();
    clinic.ledger.merge_devices(ids[1], ids[2]).unwrap();
    clinic
        .ledger
        .add_exception(
            &NewException {
                device_id: ids[3],
                service: "telnet".into(),
                reason: "保守業者".into(),
                approver: "院長".into(),
                expires: "2027-03-31".into(),
            },
            t0,
        )
        .unwrap();
    clinic
        .ledger
        .record_restriction(
            &NewRestriction {
                site: SiteId::DEFAULT,
                place: "SW-01".into(),
                applied_by: "情報担当".into(),
                applied_on: t0.date_naive(),
                note: String::new(),
                macs: vec!["00:11:22:33:44:0a".parse().unwrap()],
            },
            t0,
        )
        .unwrap();
    clinic
        .ledger
        .set_facility_name("みなみクリニック", "cli:test", t0)
        .unwrap();

    let db = TestDatabase::create().unwrap();
    let group = Ledger::open_postgres(db.url(), LedgerOptions::default()).unwrap();
    // Another hospital is there already, with the same addresses.
    let north = group.add_site("north", None).unwrap();
    group
        .ingest_at(north.id, &scan_report("n", t0, None, hosts(20)), None)
        .unwrap();
    let outcome = group.migrate_from(&clinic.ledger, "minami").unwrap();
    assert_eq!(outcome.site, "minami");
    let minami = group.site_named("minami").unwrap();
    assert_eq!(minami.display_name(), "みなみクリニック");

    // The same rows for the ledger, the checklist and the allowlist record, now of the site.
    let before = clinic.ledger.export_rows(SiteId::DEFAULT, false).unwrap();
    let after = group.export_rows(minami.id, false).unwrap();
    assert_eq!(before.len(), after.len());
    assert_eq!(
        before.iter().map(|r| &r.ledger).collect::<Vec<_>>(),
        after.iter().map(|r| &r.ledger).collect::<Vec<_>>()
    );
    assert_eq!(
        before.iter().map(|r| &r.switch_port).collect::<Vec<_>>(),
        after.iter().map(|r| &r.switch_port).collect::<Vec<_>>()
    );
    assert!(
        after.iter().filter(|r| !r.switch_port.is_empty()).count() >= 3,
        "{:?}",
        after.iter().map(|r| &r.switch_port).collect::<Vec<_>>()
    );
    assert_eq!(
        clinic
            .ledger
            .checklist_devices(SiteId::DEFAULT)
            .unwrap()
            .len(),
        group.checklist_devices(minami.id).unwrap().len()
    );
    assert_eq!(group.restrictions(minami.id, true).unwrap().len(), 1);
    assert_eq!(
        group
            .exceptions(&SiteScope::one(minami.id), None)
            .unwrap()
            .len(),
        1
    );
    // History: every event, and the merge, came along; north is untouched.
    let events = |l: &Ledger, scope: SiteScope| {
        l.events(&EventFilter {
            scope,
            limit: Some(1000),
            ..EventFilter::default()
        })
        .unwrap()
        .len()
    };
    assert_eq!(
        events(&clinic.ledger, SiteScope::All),
        events(&group, SiteScope::one(minami.id))
    );
    let merged = group
        .list_devices(&DeviceFilter {
            scope: SiteScope::one(minami.id),
            ..DeviceFilter::default()
        })
        .unwrap()
        .total;
    assert_eq!(
        merged,
        (ids.len() - 1) as u64,
        "the merged device stays merged"
    );
    assert_eq!(
        group
            .device_counts(&SiteScope::one(north.id))
            .unwrap()
            .total,
        11
    );
    // The clinic's agent keeps delivering, now into its site.
    let moved = group.verify_token(&secret).unwrap().unwrap();
    assert_eq!(
        (moved.name.as_str(), moved.agent_site()),
        (token.name.as_str(), minami.id)
    );
    // Migrating again into the same (now full) site is refused, and changes nothing.
    assert!(group.migrate_from(&clinic.ledger, "minami").is_err());
    assert_eq!(
        group.export_rows(minami.id, false).unwrap().len(),
        after.len()
    );
}
