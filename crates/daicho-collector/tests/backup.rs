//! Backups: `backup` and `restore` on the command line, the scheduled backups in generations,
//! and `/healthz` telling whether the database can be written (`/livez` answering regardless).

#[path = "support/command_line.rs"]
mod command_line;
#[path = "support/console.rs"]
mod console;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use command_line::{run, stderr, stdout, temp_config};
use console::{agent_report, scanned_host, start_server};
use daicho_collector::backup::{generation_name, generations, scheduled_backup};
use daicho_collector::config::BackupConfig;
use daicho_ledger::{Ledger, LedgerOptions, SCHEMA_VERSION};
use reqwest::StatusCode;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn ledger_with_reports(db: &Path, n: u8) -> Ledger {
    let l = Ledger::open(db, LedgerOptions::default()).unwrap();
    for i in 1..=n {
        l.ingest(
            &agent_report("ward3", "1.0", vec![scanned_host(i, &format!("pc-{i}"))]),
            None,
        )
        .unwrap();
    }
    l
}

#[test]
fn backup_and_restore_from_the_command_line() {
    let (dir, db, config) = temp_config();
    let ledger = ledger_with_reports(&db, 3);
    let backup = dir.path().join("saved/collector-backup.db");

    // While the ledger is open (as a running server holds it).
    let out = stdout(&run(
        &config,
        &["backup", "--output", backup.to_str().unwrap()],
    ));
    assert!(out.contains("integrity_check ok"), "{out}");
    assert_eq!(mode(&backup), 0o600);
    ledger
        .ingest(
            &agent_report("ward3", "1.0", vec![scanned_host(9, "pc-9")]),
            None,
        )
        .unwrap();
    assert_eq!(ledger.report_count().unwrap(), 4);

    // Refused while the database is open.
    let o = run(
        &config,
        &["restore", "--input", backup.to_str().unwrap(), "--force"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("in use"), "{}", stderr(&o));
    drop(ledger);

    // Refused without --force when a database is there.
    let o = run(&config, &["restore", "--input", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));

    let out = stdout(&run(
        &config,
        &["restore", "--input", backup.to_str().unwrap(), "--force"],
    ));
    assert!(out.contains("before-restore-"), "{out}");
    let restored = Ledger::open(&db, LedgerOptions::default()).unwrap();
    assert_eq!(restored.report_count().unwrap(), 3);
    assert_eq!(restored.integrity_check().unwrap(), vec!["ok".to_owned()]);
    drop(restored);
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("c.db.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let before = Ledger::open(&kept[0], LedgerOptions::default()).unwrap();
    assert_eq!(before.report_count().unwrap(), 4);
}

#[test]
fn restore_refuses_a_backup_of_a_newer_schema() {
    let (dir, db, config) = temp_config();
    drop(ledger_with_reports(&db, 1));
    let newer = dir.path().join("newer.db");
    stdout(&run(
        &config,
        &["backup", "--output", newer.to_str().unwrap()],
    ));
    rusqlite_set_version(&newer, SCHEMA_VERSION + 1);
    let o = run(
        &config,
        &["restore", "--input", newer.to_str().unwrap(), "--force"],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("newer than this build"), "{e}");
    let l = Ledger::open(&db, LedgerOptions::default()).unwrap();
    assert_eq!(l.report_count().unwrap(), 1);
}

/// The backup's schema version, set as a newer daicho would have left it.
fn rusqlite_set_version(db: &Path, version: i64) {
    // The ledger crate's own copy of rusqlite is not a dependency here: use the sqlite3
    // file header (offset 60, big-endian user_version) directly.
    let mut bytes = std::fs::read(db).unwrap();
    bytes[60..64].copy_from_slice(&i32::try_from(version).unwrap().to_be_bytes());
    std::fs::write(db, bytes).unwrap();
}

#[test]
fn scheduled_backups_keep_the_newest_generations() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_with_reports(&dir.path().join("collector.db"), 2);
    let config = BackupConfig {
        dir: dir.path().join("backups"),
        every_hours: 24,
        keep: 3,
    };
    std::fs::create_dir_all(&config.dir).unwrap();
    std::fs::write(config.dir.join("notes.txt"), "operator's file").unwrap();
    let day = |d: u32| Utc.with_ymd_and_hms(2026, 11, d, 3, 0, 0).unwrap();
    for d in 1..=5 {
        let done = scheduled_backup(&ledger, &config, day(d)).unwrap();
        assert_eq!(done.removed.len(), usize::from(d > 3));
    }
    let kept: Vec<String> = generations(&config.dir)
        .unwrap()
        .into_iter()
        .map(|(_, p)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        kept,
        [3, 4, 5].map(|d| generation_name(day(d))).to_vec(),
        "the three newest"
    );
    assert!(config.dir.join("notes.txt").exists());
    for name in &kept {
        let l = Ledger::open(&config.dir.join(name), LedgerOptions::default()).unwrap();
        assert_eq!(l.report_count().unwrap(), 2);
    }
}

#[tokio::test]
async fn the_server_takes_a_scheduled_backup() {
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("daicho");
    let d = dir.clone();
    let _server = start_server(move |c| {
        c.backup = Some(BackupConfig {
            dir: d,
            every_hours: 1,
            keep: 2,
        });
    })
    .await;
    // None yet in the directory: the first is taken at once.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if generations(&dir).unwrap().len() == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no scheduled backup written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&generations(&dir).unwrap()[0].1), 0o600);
}

#[tokio::test]
async fn healthz_is_503_and_livez_200_when_the_database_cannot_be_written() {
    let server = start_server(|_| {}).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let health = |route: &'static str| {
        let url = format!("{}{route}", server.base);
        let client = &client;
        async move {
            let started = Instant::now();
            let r = client.get(url).send().await.unwrap();
            let status = r.status();
            let body: serde_json::Value = r.json().await.unwrap();
            (status, body, started.elapsed())
        }
    };
    let (status, body, took) = health("/healthz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    eprintln!("/healthz ok in {took:?}");
    assert!(took < Duration::from_millis(50), "{took:?}");

    // The database may not grow by a single page: full.
    server.on_ledger(|l| l.limit_pages(0).unwrap()).await;
    let (status, body, _) = health("/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let reason = body["status"].as_str().unwrap();
    assert!(reason.contains("cannot be written"), "{reason}");
    assert!(reason.contains("full"), "{reason}");
    // Readiness under its other name fails alike; liveness touches no database and answers.
    let (status, _, _) = health("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, body, _) = health("/livez").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "alive");

    server.on_ledger(|l| l.limit_pages(1 << 30).unwrap()).await;
    let (status, _, _) = health("/healthz").await;
    assert_eq!(status, StatusCode::OK);
}
