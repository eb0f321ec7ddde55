//! The ledger's statements on a PostgreSQL session: placeholders rewritten (`?1` → `$1`),
//! statements prepared once per session, values converted by the column's and the parameter's
//! type, write locks as advisory locks.

use std::cell::RefCell;
use std::cell::RefMut;
use std::collections::HashMap;
use std::error::Error;

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use super::{Result, Value, WriteLock};

/// The advisory-lock key every write holds: exclusively for ledger-wide writes, shared by
/// ingests (which also hold their site's key, in the two-key space).
const LEDGER_LOCK: i64 = 0x6461_6963_686f; // "daicho"
/// The first key of a site's advisory lock (the second is the site's id).
const SITE_LOCK_SPACE: i32 = 0x6463;

/// One PostgreSQL session of the ledger.
pub struct PgConn {
    /// `None` only once dropped (see `Drop`).
    client: RefCell<Option<Client>>,
    statements: RefCell<HashMap<String, Statement>>,
}

impl Drop for PgConn {
    /// The client ends its session by blocking on a runtime of its own, which panics on a
    /// thread that drives async tasks (the collector dropping its ledger as it shuts down):
    /// there it is closed on a thread of its own.
    fn drop(&mut self) {
        let client = self.client.get_mut().take();
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

impl PgConn {
    /// Connects to `url` (`postgresql://user:password@host/db`; plain TCP or a Unix socket).
    pub(crate) fn connect(url: &str) -> Result<Self> {
        Ok(Self {
            client: RefCell::new(Some(Client::connect(url, NoTls)?)),
            statements: RefCell::new(HashMap::new()),
        })
    }

    /// The session's client (there until the connection is dropped).
    fn client(&self) -> RefMut<'_, Client> {
        RefMut::map(self.client.borrow_mut(), |c| {
            c.as_mut()
                .expect("a PostgreSQL connection is used only until it is dropped")
        })
    }

    fn statement(&self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.client().prepare(&placeholders(sql))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }

    pub(crate) fn execute(&self, sql: &str, values: &[Value]) -> Result<usize> {
        let stmt = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
        let n = self.client().execute(&stmt, &params)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Runs `f` on the rows until it answers `false` (read whole first: `f` may run
    /// statements on this session).
    pub(crate) fn rows_while(
        &self,
        sql: &str,
        values: &[Value],
        mut f: impl FnMut(&[Value]) -> Result<bool>,
    ) -> Result<()> {
        let stmt = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
        let rows = self.client().query(&stmt, &params)?;
        let mut buf = Vec::new();
        for row in &rows {
            buf.clear();
            for (i, column) in row.columns().iter().enumerate() {
                buf.push(column_value(row, i, column.type_())?);
            }
            if !f(&buf)? {
                break;
            }
        }
        Ok(())
    }

    pub(crate) fn batch_execute(&self, sql: &str) -> Result<()> {
        Ok(self.client().batch_execute(sql)?)
    }

    /// Opens a transaction holding the advisory locks of `lock` until it ends.
    pub(crate) fn begin(&self, lock: WriteLock) -> Result<()> {
        let locks = match lock {
            WriteLock::Exclusive => format!("SELECT pg_advisory_xact_lock({LEDGER_LOCK})"),
            WriteLock::Site(site) => format!(
                "SELECT pg_advisory_xact_lock_shared({LEDGER_LOCK});
                 SELECT pg_advisory_xact_lock({SITE_LOCK_SPACE}, {})",
                i32::try_from(site.0).unwrap_or(i32::MAX)
            ),
            WriteLock::Deferred => String::new(),
        };
        self.batch_execute(&format!("BEGIN; {locks}"))
    }
}

/// `?N` and `?` placeholders as PostgreSQL's `$N` (text inside quotes left alone).
pub(crate) fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 0u32;
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
            out.push(c);
        } else if c == '?' && !quoted {
            let mut digits = String::new();
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                digits.push(d);
                chars.next();
            }
            if digits.is_empty() {
                next += 1;
                digits = next.to_string();
            }
            out.push('$');
            out.push_str(&digits);
        } else {
            out.push(c);
        }
    }
    out
}

/// Column `i` of `row` (of type `ty`) as a [`Value`]: booleans and every integer width as
/// integers, both float widths as reals, the text types as text, `bytea` as bytes.
fn column_value(row: &postgres::Row, i: usize, ty: &Type) -> Result<Value> {
    let value = match *ty {
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)?
            .map(|b| Value::Integer(i64::from(b))),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)?
            .map(|v| Value::Integer(i64::from(v))),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)?
            .map(|v| Value::Integer(i64::from(v))),
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Value::Integer),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)?
            .map(|v| Value::Real(f64::from(v))),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map(Value::Real),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob),
        _ => row.try_get::<_, Option<String>>(i)?.map(Value::Text),
    };
    Ok(value.unwrap_or(Value::Null))
}

/// The bind error for a value PostgreSQL's parameter type cannot take.
fn cannot_bind(value: &Value, ty: &Type) -> Box<dyn Error + Sync + Send> {
    format!("cannot bind a {} value as {ty}", value.kind()).into()
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                #[allow(clippy::cast_precision_loss)] // integers bound as reals are small
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => Err(cannot_bind(self, ty)),
            },
            Value::Real(r) => match *ty {
                Type::FLOAT8 => r.to_sql(ty, out),
                #[allow(clippy::cast_possible_truncation)] // no float4 column is written
                Type::FLOAT4 => (*r as f32).to_sql(ty, out),
                _ => Err(cannot_bind(self, ty)),
            },
            Value::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    s.to_sql(ty, out)
                }
                _ => Err(cannot_bind(self, ty)),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => b.to_sql(ty, out),
                _ => Err(cannot_bind(self, ty)),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollar_numbers_outside_quotes() {
        assert_eq!(
            placeholders("SELECT a FROM t WHERE b = ?1 AND c = ?12 AND d LIKE '%?%' ESCAPE '\\'"),
            "SELECT a FROM t WHERE b = $1 AND c = $12 AND d LIKE '%?%' ESCAPE '\\'"
        );
        assert_eq!(placeholders("VALUES (?, ?)"), "VALUES ($1, $2)");
    }
}
