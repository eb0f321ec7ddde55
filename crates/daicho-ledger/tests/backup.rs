//! Backup while ingesting, restore, the refusals of restore, the files' modes, and the
//! read/write health check.

#[path = "support/fixtures.rs"]
mod fixtures;

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use daicho_ledger::backup::check_backup;
use daicho_ledger::{Ledger, LedgerError, LedgerOptions, SCHEMA_VERSION, restore_database};
use daicho_model::{Host, ScanReport};
use fixtures::{arp_host, scan_report, temp_sqlite_ledger};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap()
}

/// Report `i` of 40 hosts; every report brings new devices so the database keeps growing.
fn report(i: u32) -> ScanReport {
    let hosts: Vec<Host> = (0..40u32)
        .map(|h| {
            let n = i * 40 + h;
            arp_host(
                &format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff),
                Some(&format!(
                    "00:16:3e:{:02x}:{:02x}:{:02x}",
                    (n >> 16) & 0xff,
                    (n >> 8) & 0xff,
                    n & 0xff
                )),
                Some(&format!("host-{n}")),
            )
        })
        .collect();
    scan_report(
        "ward-3",
        t0() + Duration::seconds(i64::from(i)),
        None,
        hosts,
    )
}

fn report_ids(db: &Path) -> HashSet<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT report_id FROM reports").unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_backup_taken_during_ingest_restores_every_report_committed_before_it() {
    let t = temp_sqlite_ledger();
    let ledger = Arc::new(t.ledger);
    // A database of some size first, so the copy takes many steps.
    for i in 0..150 {
        ledger.ingest(&report(i), None).unwrap();
    }
    let committed: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let ingester = {
        let (ledger, committed, stop) = (ledger.clone(), committed.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut i = 1000;
            while !stop.load(Ordering::Relaxed) {
                let r = report(i);
                ledger.ingest(&r, Some("ward-3")).unwrap();
                // Pushed only once the ingest's transaction committed.
                committed.lock().unwrap().push(r.report_id.to_string());
                i += 1;
            }
        })
    };
    while committed.lock().unwrap().len() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let before: Vec<String> = committed.lock().unwrap().clone();
    let dest = t.dir.path().join("backups/collector-1.db");
    let outcome = ledger.backup_to(&dest).unwrap();
    let during = committed.lock().unwrap().len() - before.len();
    // Keep ingesting a little after the copy, then stop.
    std::thread::sleep(std::time::Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    ingester.join().unwrap();
    eprintln!(
        "backup: {} bytes in {} steps, {:?}; {during} ingests committed during the copy",
        outcome.bytes, outcome.steps, outcome.elapsed
    );
    assert_eq!(outcome.schema_version, SCHEMA_VERSION);
    assert_eq!(mode(&dest), 0o600);
    assert_eq!(mode(dest.parent().unwrap()), 0o700);
    // No temporary file left beside it, no WAL: the copy is one file.
    let names: Vec<String> = std::fs::read_dir(dest.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["collector-1.db".to_owned()]);

    // Restore into a fresh place and open it as the collector would.
    let restored = t.dir.path().join("restored/collector.db");
    let r = restore_database(&dest, &restored).unwrap();
    assert_eq!(r.previous, None);
    assert_eq!(mode(&restored), 0o600);
    let ids = report_ids(&restored);
    for id in &before {
        assert!(
            ids.contains(id),
            "report {id} committed before the backup is missing"
        );
    }
    // 150 reports before the ingester started, plus at least those it had committed.
    assert!(ids.len() >= 150 + before.len(), "{}", ids.len());
    let reopened = Ledger::open(&restored, LedgerOptions::default()).unwrap();
    assert_eq!(reopened.integrity_check().unwrap(), vec!["ok".to_owned()]);
    assert_eq!(reopened.report_count().unwrap(), ids.len() as u64);
    reopened.ping().unwrap();
}

#[test]
fn restore_refuses_a_database_in_use_and_keeps_the_one_it_replaces() {
    let t = temp_sqlite_ledger();
    t.ledger.ingest(&report(1), None).unwrap();
    let backup = t.dir.path().join("b.db");
    t.ledger.backup_to(&backup).unwrap();
    t.ledger.ingest(&report(2), None).unwrap();
    let live = t.ledger.path().unwrap().to_owned();

    // The ledger is open (idle): the database is in use.
    let e = restore_database(&backup, &live).unwrap_err();
    assert!(matches!(e, LedgerError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("in use"), "{e}");
    assert_eq!(report_ids(&live).len(), 2);

    drop(t.ledger);
    let r = restore_database(&backup, &live).unwrap();
    let kept = r.previous.unwrap();
    assert!(
        kept.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ledger.db.before-restore-"),
        "{}",
        kept.display()
    );
    assert_eq!(mode(&kept), 0o600);
    // The replaced database kept whole (both reports), the restored one as backed up.
    assert_eq!(report_ids(&kept).len(), 2);
    assert_eq!(report_ids(&live).len(), 1);
    assert!(!Path::new(&format!("{}-wal", live.display())).exists());
    let l = Ledger::open(&live, LedgerOptions::default()).unwrap();
    assert_eq!(l.report_count().unwrap(), 1);
}

#[test]
fn restore_refuses_a_newer_schema_a_damaged_file_and_a_foreign_database() {
    let t = temp_sqlite_ledger();
    t.ledger.ingest(&report(1), None).unwrap();
    let dir = t.dir.path();
    let target = dir.join("target.db");

    let newer = dir.join("newer.db");
    t.ledger.backup_to(&newer).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let e = restore_database(&newer, &target).unwrap_err();
    assert!(
        matches!(e, LedgerError::SchemaTooNew { found, supported }
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{e}"
    );
    assert!(!target.exists());

    let foreign = dir.join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let e = check_backup(&foreign).unwrap_err();
    assert!(e.to_string().contains("not a daicho ledger"), "{e}");

    let damaged = dir.join("damaged.db");
    t.ledger.backup_to(&damaged).unwrap();
    let mut bytes = std::fs::read(&damaged).unwrap();
    let page = 4096;
    for b in &mut bytes[page * 3..page * 5] {
        *b = 0x5a;
    }
    std::fs::write(&damaged, bytes).unwrap();
    let e = restore_database(&damaged, &target).unwrap_err();
    assert!(matches!(e, LedgerError::Invalid(_)), "{e}");
    assert!(!target.exists());
}

#[test]
fn the_backup_refuses_to_overwrite_the_database_itself() {
    let t = temp_sqlite_ledger();
    let e = t.ledger.backup_to(t.ledger.path().unwrap()).unwrap_err();
    assert!(e.to_string().contains("database itself"), "{e}");
}

#[test]
fn database_wal_and_shm_are_created_0600() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new/ledger.db");
    let ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    ledger.ingest(&report(1), None).unwrap();
    assert_eq!(mode(db.parent().unwrap()), 0o750);
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{}{suffix}", db.display());
        assert_eq!(mode(Path::new(&p)), 0o600, "{p}");
    }
    drop(ledger);
    // An existing database readable by others is narrowed when opened.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _ledger = Ledger::open(&db, LedgerOptions::default()).unwrap();
    assert_eq!(mode(&db), 0o600);
}

#[test]
fn ping_fails_when_the_database_is_full_and_passes_otherwise() {
    let t = temp_sqlite_ledger();
    t.ledger.ingest(&report(1), None).unwrap();
    let started = std::time::Instant::now();
    t.ledger.ping().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_millis(50));
    // No page may be added: a write that needs one fails.
    t.ledger.limit_pages(0).unwrap();
    let e = t.ledger.ping().unwrap_err();
    assert!(e.to_string().contains("full"), "{e}");
    // Reading still works.
    t.ledger.check_readable().unwrap();
    t.ledger.limit_pages(1_000_000).unwrap();
    t.ledger.ping().unwrap();
}
