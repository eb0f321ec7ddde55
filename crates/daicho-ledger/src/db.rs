//! The SQL the ledger speaks, on either store: the embedded SQLite database (rusqlite) or a
//! PostgreSQL server (the `postgres` client).
//!
//! Every ledger rule is written once, over [`Conn`]: the same statements (placeholders `?1`,
//! rewritten to `$1` for PostgreSQL; only SQL both databases read: `ON CONFLICT`, `RETURNING`,
//! `string_agg`, `CASE` instead of SQLite's two-argument `max`/`min`), the same [`Value`]s
//! (booleans as 0/1 integers on both), and write transactions that take the same locks
//! ([`WriteLock`]). Only opening, health checks, backups and schema migrations differ by store
//! (`store.rs`, `schema.rs`).

use std::cell::Cell;

pub(crate) mod postgres;
pub(crate) mod value;

pub use value::{FromValue, ToValue, Value};

use crate::sites::SiteId;

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused or failed.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused or failed.
    #[error("{0}")]
    Postgres(#[from] ::postgres::Error),
    /// A query that must return a row returned none.
    #[error("the query returned no row")]
    NoRows,
    /// A column's value is not of the type read.
    #[error("column {column}: expected {wanted}, found {found}")]
    Conversion {
        /// The column's index.
        column: usize,
        /// The type read.
        wanted: &'static str,
        /// The value's kind.
        found: &'static str,
    },
}

/// The result of a statement.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// `None` for a query that returned no row.
pub trait OptionalExtension<T> {
    /// The row's value, or `None` when there was no row.
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A statement's parameters.
pub trait Params {
    /// The values to bind, in order.
    fn values(self) -> Vec<Value>;
}

impl Params for &[&dyn ToValue] {
    fn values(self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }
}

impl Params for [&dyn ToValue; 0] {
    fn values(self) -> Vec<Value> {
        Vec::new()
    }
}

/// Arrays of one parameter type (`[id]`, `[a, b]`).
macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(self) -> Vec<Value> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
    )*};
}

array_params!(1, 2, 3, 4, 5, 6, 7, 8);

/// Parameters from an iterator of values ([`params_from_iter`]).
pub struct ParamsFromIter(Vec<Value>);

impl Params for ParamsFromIter {
    fn values(self) -> Vec<Value> {
        self.0
    }
}

/// Binds every value of `iter`, in order.
pub fn params_from_iter<'v>(iter: impl IntoIterator<Item = &'v Value>) -> ParamsFromIter {
    ParamsFromIter(iter.into_iter().cloned().collect())
}

/// The parameters of a statement: `params![a, b, c]`.
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::db::ToValue]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::db::ToValue),+] as &[&dyn $crate::db::ToValue]
    };
}
pub(crate) use params;

/// A column index.
pub trait RowIndex {
    /// The index.
    fn index(self) -> usize;
}

impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One row of a result, its values read from either database.
#[derive(Debug)]
pub struct Row<'a> {
    values: &'a [Value],
}

impl Row<'_> {
    /// Column `idx` as `T`.
    pub fn get<I: RowIndex, T: FromValue>(&self, idx: I) -> Result<T> {
        let i = idx.index();
        let value = self.values.get(i).unwrap_or(&Value::Null);
        T::from_value(value, i)
    }
}

/// The locks a write transaction takes, so that writers of the same data wait for each other,
/// on one collector or on several sharing a PostgreSQL database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteLock {
    /// Every other writer waits (SQLite `BEGIN IMMEDIATE`; PostgreSQL: the ledger-wide
    /// advisory lock, exclusively): operator decisions, sweeps, imports.
    Exclusive,
    /// Writers of the same site wait (an ingest); on SQLite the same as `Exclusive`, on
    /// PostgreSQL the ledger-wide lock shared and the site's exclusively, so reports of
    /// different sites are ingested at once.
    Site(SiteId),
    /// No lock until the first write (SQLite `BEGIN DEFERRED`): a write that conflicts with no
    /// rule.
    Deferred,
}

/// A connection to the ledger's database.
pub struct Conn {
    inner: Inner,
    /// Open transactions and savepoints on this connection.
    depth: Cell<u32>,
}

enum Inner {
    Sqlite(rusqlite::Connection),
    Postgres(Box<postgres::PgConn>),
}

impl Conn {
    /// A connection over an open SQLite database.
    pub(crate) fn sqlite(conn: rusqlite::Connection) -> Self {
        Self {
            inner: Inner::Sqlite(conn),
            depth: Cell::new(0),
        }
    }

    /// A connection over an open PostgreSQL session.
    pub(crate) fn postgres(conn: postgres::PgConn) -> Self {
        Self {
            inner: Inner::Postgres(Box::new(conn)),
            depth: Cell::new(0),
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, backups); `None` on
    /// PostgreSQL.
    pub(crate) fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.inner {
            Inner::Sqlite(c) => Some(c),
            Inner::Postgres(_) => None,
        }
    }

    /// Runs `f` on every row `sql` returns, as it comes.
    pub(crate) fn for_each_row(
        &self,
        sql: &str,
        params: impl Params,
        mut f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.rows_while(sql, params, |row| f(row).map(|()| true))
    }

    /// Runs `f` on the rows `sql` returns, as they come, until it answers `false`.
    fn rows_while(
        &self,
        sql: &str,
        params: impl Params,
        mut f: impl FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        let values = params.values();
        match &self.inner {
            Inner::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let n = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
                let mut buf = Vec::with_capacity(n);
                while let Some(r) = rows.next()? {
                    buf.clear();
                    for i in 0..n {
                        buf.push(from_sqlite(r.get_ref(i)?));
                    }
                    if !f(&Row { values: &buf })? {
                        break;
                    }
                }
                Ok(())
            }
            Inner::Postgres(c) => c.rows_while(sql, &values, |vals| f(&Row { values: vals })),
        }
    }

    /// Runs `sql`; returns how many rows it changed.
    pub(crate) fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        let values = params.values();
        match &self.inner {
            Inner::Sqlite(c) => Ok(c
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(values.iter()))?),
            Inner::Postgres(c) => c.execute(sql, &values),
        }
    }

    /// `f` of the first row `sql` returns; [`DbError::NoRows`] when there is none.
    pub(crate) fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut f = Some(f);
        let mut out = None;
        self.rows_while(sql, params, |row| {
            if let Some(f) = f.take() {
                out = Some(f(row)?);
            }
            Ok(false)
        })?;
        out.ok_or(DbError::NoRows)
    }

    /// `f` of every row `sql` returns.
    pub(crate) fn query_map<T>(
        &self,
        sql: &str,
        params: impl Params,
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let mut out = Vec::new();
        self.for_each_row(sql, params, |row| {
            out.push(f(row));
            Ok(())
        })?;
        Ok(out.into_iter())
    }

    /// A statement to run (SQLite caches the prepared statement, PostgreSQL too). It is
    /// prepared when it first runs; the `Result` keeps the shape the ledger's statements have.
    #[allow(clippy::unnecessary_wraps)]
    pub(crate) fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt {
            conn: self,
            sql: sql.to_owned(),
        })
    }

    /// A statement to run.
    pub(crate) fn prepare(&self, sql: &str) -> Result<Stmt<'_>> {
        self.prepare_cached(sql)
    }

    /// Runs statements separated by `;` without parameters.
    pub(crate) fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres(c) => c.batch_execute(sql),
        }
    }

    /// Whether no transaction is open.
    pub(crate) fn is_autocommit(&self) -> bool {
        self.depth.get() == 0
    }

    /// Begins a write: a transaction taking `lock` when none is open, else a savepoint in the
    /// open one. Rolled back when the [`Tx`] is dropped uncommitted.
    pub(crate) fn begin(&self, lock: WriteLock) -> Result<Tx<'_>> {
        let depth = self.depth.get();
        if depth == 0 {
            self.begin_outer(lock)?;
        } else {
            self.execute_batch(&format!("SAVEPOINT daicho_{depth}"))?;
            self.depth.set(depth + 1);
        }
        Ok(Tx {
            conn: self,
            depth,
            open: true,
        })
    }

    /// Opens the outermost transaction, taking `lock` (`Ledger::atomically`, which holds it
    /// across calls; [`Conn::begin`] otherwise).
    pub(crate) fn begin_outer(&self, lock: WriteLock) -> Result<()> {
        match (&self.inner, lock) {
            (Inner::Sqlite(c), WriteLock::Deferred) => c.execute_batch("BEGIN DEFERRED")?,
            (Inner::Sqlite(c), _) => c.execute_batch("BEGIN IMMEDIATE")?,
            (Inner::Postgres(c), lock) => c.begin(lock)?,
        }
        self.depth.set(1);
        Ok(())
    }

    /// Commits the outermost transaction.
    pub(crate) fn commit_outer(&self) -> Result<()> {
        self.depth.set(0);
        self.execute_batch("COMMIT")
    }

    /// Rolls the outermost transaction back.
    pub(crate) fn rollback_outer(&self) -> Result<()> {
        self.depth.set(0);
        self.execute_batch("ROLLBACK")
    }
}

/// A write transaction or savepoint ([`Conn::begin`]); rolled back unless committed.
pub struct Tx<'c> {
    conn: &'c Conn,
    /// 0: the transaction itself; above: a savepoint inside it.
    depth: u32,
    open: bool,
}

impl Tx<'_> {
    /// Commits the transaction, or releases the savepoint into the open transaction.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.open = false;
        if self.depth == 0 {
            self.conn.commit_outer()
        } else {
            self.conn.depth.set(self.depth);
            self.conn
                .execute_batch(&format!("RELEASE SAVEPOINT daicho_{}", self.depth))
        }
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let undone = if self.depth == 0 {
            self.conn.rollback_outer()
        } else {
            self.conn.depth.set(self.depth);
            self.conn.execute_batch(&format!(
                "ROLLBACK TO SAVEPOINT daicho_{0}; RELEASE SAVEPOINT daicho_{0}",
                self.depth
            ))
        };
        if let Err(e) = undone {
            tracing::error!(error = %e, "could not roll back a ledger transaction");
        }
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        self.conn
    }
}

/// A statement with its SQL, run on its connection.
pub struct Stmt<'c> {
    conn: &'c Conn,
    sql: String,
}

impl Stmt<'_> {
    /// Runs it; returns how many rows it changed.
    pub(crate) fn execute(&mut self, params: impl Params) -> Result<usize> {
        self.conn.execute(&self.sql, params)
    }

    /// `f` of the first row it returns; [`DbError::NoRows`] when there is none.
    pub(crate) fn query_row<T>(
        &mut self,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.conn.query_row(&self.sql, params, f)
    }

    /// `f` of every row it returns.
    pub(crate) fn query_map<T>(
        &mut self,
        params: impl Params,
        f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        self.conn.query_map(&self.sql, params, f)
    }

    /// Runs `f` on every row it returns, as it comes.
    pub(crate) fn for_each_row(
        &mut self,
        params: impl Params,
        f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.conn.for_each_row(&self.sql, params, f)
    }
}

/// A value as rusqlite binds it (borrowed, not copied).
impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A value as SQLite returned it.
fn from_sqlite(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}
