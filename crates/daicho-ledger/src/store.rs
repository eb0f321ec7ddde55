//! The database handle: one writer connection and a small pool of readers, over an SQLite
//! database in WAL mode or a PostgreSQL database.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use daicho_policy::Policy;
use parking_lot::{ReentrantMutex, ReentrantMutexGuard};
use rusqlite::{Connection, OpenFlags};

use crate::db::postgres::PgConn;
use crate::db::{Conn, WriteLock};
use crate::time::{SystemWallClock, WallClock};
use crate::{LedgerError, schema};

/// Where the ledger is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// An SQLite database file (a clinic's collector).
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgresql://user:password@host:port/db`): a hospital group's,
    /// possibly shared by several collectors.
    Postgres(String),
}

/// Tunables of identity matching and presence tracking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LedgerOptions {
    /// A device not seen for this many days is marked gone (a `gone` event is recorded).
    pub gone_after_days: u32,
    /// How long after its last sighting a randomized-MAC device may be re-identified by its IP
    /// lease when it shows up with a new randomized MAC and no host name.
    pub randomized_lease_hours: u32,
    /// A stored OS guess is replaced by a less confident one once it is this old.
    pub os_stale_after_hours: u32,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        Self {
            gone_after_days: 7,
            randomized_lease_hours: 24,
            os_stale_after_hours: 24 * 7,
        }
    }
}

/// The device ledger. Cheap to share behind an `Arc`; every method blocks.
pub struct Ledger {
    storage: Storage,
    options: LedgerOptions,
    /// SQLite allows one writer at a time; holding this lock for a whole ingest also makes the
    /// duplicate-report check race-free. Re-entrant so that the ledger calls made inside
    /// [`Ledger::atomically`] on its thread use the connection it holds in a transaction.
    writer: ReentrantMutex<Writer>,
    readers: Idle,
    /// PostgreSQL: idle connections of [`Ledger::write_concurrently`].
    site_writers: Idle,
    /// The flag policy; replaced as a whole when the operator reloads it.
    policy: RwLock<Arc<Policy>>,
    /// Counts this handle's writes, so readers can tell whether what they derived is current.
    generation: AtomicU64,
    /// What time it is (the system's clock unless [`Ledger::with_clock`] says otherwise).
    clock: Arc<dyn WallClock>,
}

/// The writer connection and whether [`Ledger::atomically`] holds a transaction open on it.
struct Writer {
    conn: RefCell<Conn>,
    /// Set while [`Ledger::atomically`] runs (only its thread can see it: the lock is held).
    atomic: Cell<bool>,
}

/// How long a connection waits for a lock held by another process (e.g. the CLI while the
/// server runs) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Ledger {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// The database and its `-wal` and `-shm` files are kept 0600 (SQLite gives the side files
    /// the database file's mode, so a new database is created 0600 before SQLite opens it, and
    /// an existing one open to group or others is narrowed with a warning); a directory created
    /// here is 0750.
    pub fn open(path: &Path, options: LedgerOptions) -> Result<Self, LedgerError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
                path: dir.display().to_string(),
                source,
            })?;
            set_private_mode(dir, 0o750)?;
        }
        if path.exists() {
            narrow_db_modes(path)?;
        } else {
            create_private_file(path)?;
        }
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        let mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "the database refused WAL mode");
        }
        schema::migrate(&mut writer)?;
        Ok(Self::over(
            Storage::Sqlite(path.to_owned()),
            Conn::sqlite(writer),
            options,
        ))
    }

    /// Opens the PostgreSQL database at `url` (`postgresql://user:password@host:port/db`) and
    /// brings its schema up to date. Several collectors may open the same database: their
    /// writes wait for each other through advisory locks (`db::WriteLock`).
    pub fn open_postgres(url: &str, options: LedgerOptions) -> Result<Self, LedgerError> {
        let writer = Conn::postgres(PgConn::connect(url)?);
        schema::migrate_postgres(&writer)?;
        Ok(Self::over(
            Storage::Postgres(url.to_owned()),
            writer,
            options,
        ))
    }

    /// Opens the ledger where `storage` says.
    pub fn open_storage(storage: &Storage, options: LedgerOptions) -> Result<Self, LedgerError> {
        match storage {
            Storage::Sqlite(path) => Self::open(path, options),
            Storage::Postgres(url) => Self::open_postgres(url, options),
        }
    }

    fn over(storage: Storage, writer: Conn, options: LedgerOptions) -> Self {
        Self {
            storage,
            options,
            writer: ReentrantMutex::new(Writer {
                conn: RefCell::new(writer),
                atomic: Cell::new(false),
            }),
            readers: Idle::default(),
            site_writers: Idle::default(),
            policy: RwLock::new(Arc::new(Policy::builtin())),
            generation: AtomicU64::new(0),
            clock: Arc::new(SystemWallClock),
        }
    }

    /// Uses `clock` for the current time from now on (a test's [`crate::time::ManualWallClock`]).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn WallClock>) -> Self {
        self.clock = clock;
        self
    }

    /// What time it is: the one answer for the ledger and the collector above it.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Uses `policy` for flags from now on (the built-in policy until this is called).
    #[must_use]
    pub fn with_policy(self, policy: Policy) -> Self {
        self.set_policy(policy);
        self
    }

    /// Replaces the flag policy; flags follow it at the next recompute.
    pub fn set_policy(&self, policy: Policy) {
        *self.policy.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(policy);
    }

    /// The flag policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        Arc::clone(&self.policy.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Where the ledger is stored.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The database file (`None` on PostgreSQL).
    pub fn path(&self) -> Option<&Path> {
        match &self.storage {
            Storage::Sqlite(path) => Some(path),
            Storage::Postgres(_) => None,
        }
    }

    /// The options the ledger was opened with.
    pub fn options(&self) -> LedgerOptions {
        self.options
    }

    /// Runs SQLite's `integrity_check`; `Ok(vec!["ok"])` for a sound database. PostgreSQL
    /// checks its own pages (`pg_amcheck`): refused there.
    pub fn integrity_check(&self) -> Result<Vec<String>, LedgerError> {
        self.read(|conn| {
            let conn = sqlite_only(conn, "integrity_check")?;
            let mut stmt = conn.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Checks that the database can be read and written (for `/healthz`):
    /// [`Ledger::check_readable`], then [`Ledger::check_writable`].
    pub fn ping(&self) -> Result<(), LedgerError> {
        self.check_readable()?;
        self.check_writable().map(drop)
    }

    /// Checks that the database can be read: the schema and the newest rows of the busiest
    /// tables are read through a reader connection (a damaged header or a damaged page on
    /// those paths fails here). Cheap: a few pages, no full scan.
    pub fn check_readable(&self) -> Result<(), LedgerError> {
        self.read(|conn| {
            if let Some(sqlite) = conn.as_sqlite() {
                sqlite.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
            }
            for sql in [
                "SELECT max(id) FROM reports",
                "SELECT max(id) FROM devices",
                "SELECT max(id) FROM events",
            ] {
                conn.prepare_cached(sql)?.query_row([], |_| Ok(()))?;
            }
            Ok(())
        })
    }

    /// Checks that the database can be written: in one `BEGIN IMMEDIATE` transaction (waiting
    /// at most 50 ms for another process's write lock), a row needing new pages is inserted
    /// and rolled back (fails when the database or the disk is full), then the time of the
    /// check is stored under the setting `health.write_check` and committed (fails when the
    /// WAL cannot be appended to). When an ingest holds the writer for more than 25 ms the
    /// check is not made and [`WriteCheck::WriterBusy`] is returned: the database is being
    /// written.
    pub fn check_writable(&self) -> Result<WriteCheck, LedgerError> {
        let deadline = std::time::Instant::now() + Duration::from_millis(25);
        let writer = loop {
            if let Some(g) = self.writer.try_lock() {
                break g;
            }
            if std::time::Instant::now() >= deadline {
                return Ok(WriteCheck::WriterBusy);
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let conn = writer.conn.borrow();
        let now = self.now();
        let Some(sqlite) = conn.as_sqlite() else {
            return postgres_write_probe(&conn, now).map(|()| WriteCheck::Written);
        };
        sqlite.busy_timeout(Duration::from_millis(50))?;
        let result = write_probe(sqlite, now);
        sqlite.busy_timeout(BUSY_TIMEOUT)?;
        result.map(|()| WriteCheck::Written)
    }

    /// Caps the database at `max_pages` pages through this ledger's writer (SQLite's
    /// `max_page_count`, which holds per connection): a write that would grow the database
    /// further fails with "database or disk is full". Returns the cap in force. Meant for
    /// tests of the full-database path; `0` asks for the current page count as the cap.
    pub fn limit_pages(&self, max_pages: u64) -> Result<u64, LedgerError> {
        self.write(|conn| {
            let conn = sqlite_only(conn, "max_page_count")?;
            let pages = if max_pages == 0 {
                conn.query_row("PRAGMA page_count", [], |r| r.get::<_, i64>(0))?
            } else {
                i64::try_from(max_pages).unwrap_or(i64::MAX)
            };
            let set: i64 =
                conn.pragma_update_and_check(None, "max_page_count", pages, |r| r.get(0))?;
            Ok(set as u64)
        })
    }

    /// Runs `f` with a connection of its own on PostgreSQL, so that writes of different sites
    /// run at once (their `WriteLock::Site` keeps writes of one site apart); with the writer
    /// connection on SQLite (one writer at a time) and inside [`Ledger::atomically`].
    pub(crate) fn write_concurrently<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let Storage::Postgres(url) = &self.storage else {
            return self.write(f);
        };
        if self.writer.is_owned_by_current_thread() {
            return self.write(f);
        }
        let mut conn = self
            .site_writers
            .take(|| Ok(Conn::postgres(PgConn::connect(url)?)))?;
        let result = f(&mut conn);
        self.generation.fetch_add(1, Ordering::Release);
        // Every `Tx` ends its transaction; a connection that still had one open is not reused.
        if conn.is_autocommit() {
            self.site_writers.keep(conn);
        }
        result
    }

    /// Runs `f` with the writer connection held.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let result = self.write_quiet(f);
        self.generation.fetch_add(1, Ordering::Release);
        result
    }

    /// Runs `f` with the writer connection held, for writes that change nothing derived from
    /// the ledger (console sessions): [`Self::generation`] stays.
    pub(crate) fn write_quiet<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let writer = self.writer.lock();
        let mut conn = writer.conn.borrow_mut();
        f(&mut conn)
    }

    /// Runs `f` as one transaction: `BEGIN IMMEDIATE` (so another process's write waits for
    /// it, and this one's reads see the latest commit), then `f`, whose ledger calls on this
    /// thread, reads included, join the transaction; committed when `f` succeeds, rolled back
    /// when it fails (or panics). A check and the change it allows are therefore atomic, and so
    /// are a decision and its audit entry. A call inside another joins the outer transaction.
    pub fn atomically<T>(
        &self,
        f: impl FnOnce() -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let writer = self.writer.lock();
        if writer.atomic.get() {
            return f();
        }
        writer.conn.borrow().begin_outer(WriteLock::Exclusive)?;
        let open = OpenTransaction::mark(&writer);
        let result = f().and_then(|value| {
            writer.conn.borrow().commit_outer()?;
            Ok(value)
        });
        drop(open);
        self.generation.fetch_add(1, Ordering::Release);
        result
    }

    /// Changes after every write made through this handle (ingest, decisions, sweeps), so a
    /// reader can tell that what it derived earlier may be out of date. Writes by another
    /// process (the CLI while the server runs) are not counted.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Runs `f` with a reader connection, opening one when none is idle.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Conn) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        if self.writer.is_owned_by_current_thread() {
            // Inside `atomically`: read what the open transaction has written.
            let writer = self.writer.lock();
            if writer.atomic.get()
                && let Ok(conn) = writer.conn.try_borrow()
            {
                return f(&conn);
            }
        }
        let conn = self.readers.take(|| match &self.storage {
            Storage::Sqlite(path) => {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                Ok(Conn::sqlite(c))
            }
            Storage::Postgres(url) => Ok(Conn::postgres(PgConn::connect(url)?)),
        })?;
        let result = f(&conn);
        self.readers.keep(conn);
        result
    }
}

/// Idle connections kept for the next call: a handful is plenty, the rest are closed.
#[derive(Default)]
struct Idle(Mutex<Vec<Conn>>);

impl Idle {
    /// An idle connection, or a new one from `open`.
    fn take(&self, open: impl FnOnce() -> Result<Conn, LedgerError>) -> Result<Conn, LedgerError> {
        let idle = lock(&self.0).pop();
        idle.map_or_else(open, Ok)
    }

    /// Keeps `conn` for the next call, unless a handful already wait.
    fn keep(&self, conn: Conn) {
        let mut idle = lock(&self.0);
        if idle.len() < 8 {
            idle.push(conn);
        }
    }
}

/// Marks [`Ledger::atomically`]'s transaction open; when dropped, rolls back what was not
/// committed (a failed step, a failed commit, a panic) and marks it closed.
struct OpenTransaction<'a>(&'a ReentrantMutexGuard<'a, Writer>);

impl<'a> OpenTransaction<'a> {
    fn mark(writer: &'a ReentrantMutexGuard<'a, Writer>) -> Self {
        writer.atomic.set(true);
        Self(writer)
    }
}

impl Drop for OpenTransaction<'_> {
    fn drop(&mut self) {
        if let Ok(conn) = self.0.conn.try_borrow()
            && !conn.is_autocommit()
            && let Err(e) = conn.rollback_outer()
        {
            tracing::error!(error = %e, "could not roll back a decision's transaction");
        }
        self.0.atomic.set(false);
    }
}

/// The refusal of an SQLite-only operation on PostgreSQL.
fn sqlite_only<'c>(conn: &'c Conn, what: &str) -> Result<&'c Connection, LedgerError> {
    conn.as_sqlite().ok_or_else(|| {
        LedgerError::Invalid(format!(
            "{what} is SQLite's; a PostgreSQL ledger is checked and copied with PostgreSQL's own tools (pg_amcheck, pg_dump)"
        ))
    })
}

/// What [`Ledger::check_writable`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteCheck {
    /// A write was committed.
    Written,
    /// An ingest or a decision was writing; no probe was made.
    WriterBusy,
}

/// PostgreSQL's write check: the time of the check stored and committed, taking no advisory
/// lock (a running ingest does not hold it up).
fn postgres_write_probe(conn: &Conn, now: DateTime<Utc>) -> Result<(), LedgerError> {
    let tx = conn.begin(WriteLock::Deferred)?;
    tx.execute(
        "INSERT INTO settings (key, value, updated_at, updated_by) \
         VALUES ('health.write_check', ?1, ?1, 'healthz') \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [crate::time::to_db(now)],
    )?;
    tx.commit()?;
    Ok(())
}

fn write_probe(conn: &Connection, now: DateTime<Utc>) -> Result<(), LedgerError> {
    let mut tx =
        rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    {
        let sp = tx.savepoint()?;
        // About two pages of text: the insert has to allocate pages.
        sp.execute(
            "INSERT OR REPLACE INTO settings (key, value, updated_at, updated_by) \
             VALUES ('health.space_check', hex(zeroblob(4096)), '', 'healthz')",
            [],
        )?;
        // Dropped without commit: rolled back.
    }
    tx.prepare_cached(
        "INSERT INTO settings (key, value, updated_at, updated_by) \
         VALUES ('health.write_check', ?1, ?1, 'healthz') \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )?
    .execute([crate::time::to_db(now)])?;
    tx.commit()?;
    Ok(())
}

/// Creates `path` as an empty file with mode 0600 (umask-independent); fails if it exists.
pub(crate) fn create_private_file(path: &Path) -> Result<(), LedgerError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(|source| LedgerError::Io {
            path: path.display().to_string(),
            source,
        })
}

/// Sets `path`'s permission bits (Unix; nothing elsewhere).
pub(crate) fn set_private_mode(path: &Path, mode: u32) -> Result<(), LedgerError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(
            |source| LedgerError::Io {
                path: path.display().to_string(),
                source,
            },
        )?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Narrows an existing database and its side files to 0600 when group or others have access.
fn narrow_db_modes(path: &Path) -> Result<(), LedgerError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for p in [
            path.to_owned(),
            PathBuf::from(format!("{}-wal", path.display())),
            PathBuf::from(format!("{}-shm", path.display())),
        ] {
            let Ok(meta) = std::fs::metadata(&p) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(file = %p.display(), mode = format!("{mode:o}"), "narrowing the database file's mode to 600");
                set_private_mode(&p, 0o600)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

pub(crate) fn configure(conn: &Connection) -> Result<(), LedgerError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // WAL with synchronous=NORMAL is durable against process crashes (the case SIGKILL tests)
    // and only risks the last commits on power loss; FULL would fsync on every commit.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// A poisoned mutex only means another thread panicked mid-call; SQLite rolled its transaction
/// back, so the connection is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
