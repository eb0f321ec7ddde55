//! Backup and restore of the ledger database.
//!
//! The database is in WAL mode: recent commits live in `collector.db-wal` until a checkpoint
//! moves them into `collector.db`, so copying `collector.db` alone loses them (or yields a torn
//! file when copied mid-checkpoint). [`Ledger::backup_to`] uses SQLite's online backup API
//! instead: it copies the database as of one read snapshot, a few pages at a time, while the
//! server keeps reading and writing (a WAL reader blocks no writer), then checks the copy.
//! [`restore_database`] puts a checked copy back in place while nothing has the database open.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::store::{configure, create_private_file, set_private_mode};
use crate::{Ledger, LedgerError, SCHEMA_VERSION};

/// Pages copied per backup step (4 MiB at SQLite's default 4 KiB page).
const PAGES_PER_STEP: i32 = 1024;
/// How long restore waits for a lock on the database it replaces before saying it is in use.
const IN_USE_TIMEOUT: Duration = Duration::from_millis(250);

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupOutcome {
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The schema version of the copy.
    pub schema_version: i64,
    /// Backup steps taken (each copies up to 1,024 pages).
    pub steps: u32,
    /// How long the copy and its check took.
    pub elapsed: Duration,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreOutcome {
    /// The database restored into.
    pub database: PathBuf,
    /// Where the database it replaced was kept (`None` when there was none).
    pub previous: Option<PathBuf>,
    /// The schema version of the restored copy (migrated on the next open if older).
    pub schema_version: i64,
}

impl Ledger {
    /// Writes a consistent copy of the database to `dest` while the ledger stays in use, then
    /// opens the copy and runs `integrity_check` on it. The copy is written beside `dest` under
    /// a temporary name (mode 0600) and renamed into place only once checked, so `dest` is
    /// either a sound backup or untouched; a failed copy is removed. The copy is a single file
    /// (rollback-journal mode, no `-wal`).
    pub fn backup_to(&self, dest: &Path) -> Result<BackupOutcome, LedgerError> {
        let path = self.path().ok_or_else(|| {
            LedgerError::Invalid(
                "a PostgreSQL ledger is backed up with PostgreSQL's own tools (pg_dump, replication)"
                    .to_owned(),
            )
        })?;
        backup_file(path, dest)
    }
}

/// [`Ledger::backup_to`] for a database given by its path (it need not be open here).
pub fn backup_file(source: &Path, dest: &Path) -> Result<BackupOutcome, LedgerError> {
    let started = Instant::now();
    if same_file(source, dest) {
        return Err(LedgerError::Invalid(format!(
            "{} is the database itself; back up to another file",
            dest.display()
        )));
    }
    let (dir, name) = split(dest)?;
    create_private_dir(&dir)?;
    let tmp = dir.join(format!(".{name}.partial-{}", std::process::id()));
    let copied = (|| {
        let src = Connection::open_with_flags(
            source,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&src)?;
        // One read transaction for the whole copy: every step reads the same snapshot, so the
        // backup neither restarts when the server commits nor mixes two states.
        src.execute_batch("BEGIN")?;
        let schema_version: i64 = src.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        create_private_file(&tmp)?;
        let steps = copy_pages(&src, &tmp)?;
        src.execute_batch("COMMIT")?;
        drop(src);
        check_copy(&tmp)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io_at(&tmp))?;
        Ok((schema_version, steps))
    })();
    let (schema_version, steps) = match copied {
        Ok(v) => v,
        Err(e) => {
            remove_quietly(&tmp);
            return Err(e);
        }
    };
    if let Err(e) = std::fs::rename(&tmp, dest) {
        remove_quietly(&tmp);
        return Err(io_at(dest)(e));
    }
    sync_dir(&dir);
    let bytes = std::fs::metadata(dest).map_err(io_at(dest))?.len();
    Ok(BackupOutcome {
        path: dest.to_owned(),
        bytes,
        schema_version,
        steps,
        elapsed: started.elapsed(),
    })
}

/// Checks a backup file without changing it: `integrity_check` passes and its schema is a
/// daicho schema this build knows. Returns its schema version.
pub fn check_backup(path: &Path) -> Result<i64, LedgerError> {
    if !path.is_file() {
        return Err(LedgerError::Invalid(format!(
            "{}: no such backup file",
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let problems = integrity_problems(&conn).map_err(|e| {
        LedgerError::Invalid(format!("{} is not a sound database: {e}", path.display()))
    })?;
    if !problems.is_empty() {
        return Err(LedgerError::Invalid(format!(
            "{} fails integrity_check: {}",
            path.display(),
            problems.join("; ")
        )));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let has_reports: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'reports'",
        [],
        |r| r.get(0),
    )?;
    if version <= 0 || !has_reports {
        return Err(LedgerError::Invalid(format!(
            "{} is not a daicho ledger database",
            path.display()
        )));
    }
    if version > SCHEMA_VERSION {
        return Err(LedgerError::SchemaTooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// Replaces the database at `to` with the backup `from`.
///
/// Refuses when anything has `to` open (a running collector holds it open even when idle: the
/// check takes an exclusive lock within 250 ms), when `from` fails `integrity_check` or has a
/// schema newer than this build. The database replaced, with whatever its WAL held, is kept as
/// `<to>.before-restore-<UTC time>`. The copy is written beside `to` and renamed over it, so a
/// failure leaves `to` as it was. Files are created 0600.
pub fn restore_database(from: &Path, to: &Path) -> Result<RestoreOutcome, LedgerError> {
    if same_file(from, to) {
        return Err(LedgerError::Invalid(format!(
            "{} is the database itself",
            from.display()
        )));
    }
    let schema_version = check_backup(from)?;
    let (dir, name) = split(to)?;
    create_private_dir(&dir)?;
    // Held until the new file is in place: nothing can open the old one meanwhile.
    let mut guard = None;
    let mut previous = None;
    if to.exists() {
        let conn = lock_exclusively(to)?;
        let kept = dir.join(format!(
            "{name}.before-restore-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        create_private_file(&kept)?;
        if let Err(e) = copy_pages(&conn, &kept) {
            remove_quietly(&kept);
            return Err(e);
        }
        previous = Some(kept);
        guard = Some(conn);
    }
    let tmp = dir.join(format!(".{name}.restoring-{}", std::process::id()));
    let written = (|| {
        let src = Connection::open_with_flags(
            from,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        create_private_file(&tmp)?;
        copy_pages(&src, &tmp)?;
        drop(src);
        check_copy(&tmp)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io_at(&tmp))
    })();
    if let Err(e) = written {
        remove_quietly(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, to) {
        remove_quietly(&tmp);
        return Err(io_at(to)(e));
    }
    // The old database's WAL and shared-memory index must not be applied to the new file.
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", to.display()));
        match std::fs::remove_file(&side) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_at(&side)(e)),
            _ => {}
        }
    }
    sync_dir(&dir);
    drop(guard);
    Ok(RestoreOutcome {
        database: to.to_owned(),
        previous,
        schema_version,
    })
}

/// Opens `path` and takes an exclusive lock on it, or says it is in use. The connection is
/// left in exclusive locking mode with its WAL checkpointed into the file and removed, so the
/// file alone is the whole database.
fn lock_exclusively(path: &Path) -> Result<Connection, LedgerError> {
    let in_use = || {
        LedgerError::Conflict(format!(
            "{} is in use (a running collector holds it open): stop the collector first \
             (systemctl stop daicho-collector), then restore",
            path.display()
        ))
    };
    let conn = Connection::open(path)?;
    conn.busy_timeout(IN_USE_TIMEOUT)?;
    let locked = conn
        .query_row("PRAGMA locking_mode = EXCLUSIVE", [], |_| Ok(()))
        .and_then(|()| conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;"));
    match locked {
        Ok(()) => {}
        Err(e) if is_busy(&e) => return Err(in_use()),
        Err(e) => return Err(e.into()),
    }
    match conn.query_row("PRAGMA journal_mode = DELETE", [], |r| {
        r.get::<_, String>(0)
    }) {
        Ok(_) => Ok(conn),
        Err(e) if is_busy(&e) => Err(in_use()),
        Err(e) => Err(e.into()),
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Copies every page of `src` (its main database, as its current or open read transaction
/// sees it) into the database file `dest`, then makes `dest` a self-contained rollback-journal
/// file. Returns the number of steps.
fn copy_pages(src: &Connection, dest: &Path) -> Result<u32, LedgerError> {
    let mut dst = Connection::open(dest)?;
    let mut steps = 0u32;
    {
        let backup = Backup::new(src, &mut dst)?;
        let mut waits = 0u32;
        loop {
            steps += 1;
            match backup.step(PAGES_PER_STEP)? {
                StepResult::Done => break,
                StepResult::More => {}
                // Only another user of the destination could cause these; it is ours alone.
                _ => {
                    waits += 1;
                    if waits > 200 {
                        return Err(LedgerError::Conflict(format!(
                            "{} stayed locked during the backup",
                            dest.display()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }
    dst.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    Ok(steps)
}

/// Opens the copy afresh and runs `integrity_check` on it.
fn check_copy(path: &Path) -> Result<(), LedgerError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let problems = integrity_problems(&conn)?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(LedgerError::Invalid(format!(
            "the copy {} fails integrity_check: {}",
            path.display(),
            problems.join("; ")
        )))
    }
}

/// What `integrity_check` reports, empty for a sound database.
fn integrity_problems(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let rows = rows.collect::<Result<Vec<_>, _>>()?;
    Ok(rows.into_iter().filter(|r| r != "ok").collect())
}

fn split(path: &Path) -> Result<(PathBuf, String), LedgerError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| LedgerError::Invalid(format!("{} names no file", path.display())))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    Ok((dir, name))
}

/// Whether `a` and `b` are the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Creates `dir` (and its parents) when missing; a directory created here is 0700.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), LedgerError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(io_at(dir))?;
    set_private_mode(dir, 0o700)
}

fn remove_quietly(path: &Path) {
    for p in [
        path.to_owned(),
        PathBuf::from(format!("{}-journal", path.display())),
        PathBuf::from(format!("{}-wal", path.display())),
        PathBuf::from(format!("{}-shm", path.display())),
    ] {
        let _ = std::fs::remove_file(p);
    }
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError {
    let path = path.display().to_string();
    move |source| LedgerError::Io { path, source }
}
