//! The database handle: one writer connection and a small pool of readers over a WAL database.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use daicho_policy::Policy;
use rusqlite::{Connection, OpenFlags};

use crate::{LedgerError, schema};

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
    path: PathBuf,
    options: LedgerOptions,
    /// SQLite allows one writer at a time; holding this mutex for a whole ingest also makes the
    /// duplicate-report check race-free.
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// The flag policy; replaced as a whole when the operator reloads it.
    policy: RwLock<Arc<Policy>>,
}

/// How long a connection waits for a lock held by another process (e.g. the CLI while the
/// server runs) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Ledger {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path, options: LedgerOptions) -> Result<Self, LedgerError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        let mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "the database refused WAL mode");
        }
        schema::migrate(&mut writer)?;
        Ok(Self {
            path: path.to_owned(),
            options,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            policy: RwLock::new(Arc::new(Policy::builtin())),
        })
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

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options the ledger was opened with.
    pub fn options(&self) -> LedgerOptions {
        self.options
    }

    /// Runs SQLite's `integrity_check`; `Ok(vec!["ok"])` for a sound database.
    pub fn integrity_check(&self) -> Result<Vec<String>, LedgerError> {
        self.read(|conn| {
            let mut stmt = conn.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Checks that the database answers (for `/healthz`).
    pub fn ping(&self) -> Result<(), LedgerError> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
    }

    /// Runs `f` with the writer connection held.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let mut conn = lock(&self.writer);
        f(&mut conn)
    }

    /// Runs `f` with a reader connection, opening one when none is idle.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let idle = lock(&self.readers).pop();
        let conn = if let Some(c) = idle {
            c
        } else {
            let c = Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            configure(&c)?;
            c
        };
        let result = f(&conn);
        let mut idle = lock(&self.readers);
        // A handful of idle readers is plenty; close the rest.
        if idle.len() < 8 {
            idle.push(conn);
        }
        result
    }
}

fn configure(conn: &Connection) -> Result<(), LedgerError> {
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
