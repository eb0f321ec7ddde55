//! The collector's settings kept in the database (changed from the console, not the
//! configuration file): text values under stable keys, with who changed them last and when.
//!
//! The typed settings are the functions here; [`Ledger::setting`] and [`Ledger::set_setting`]
//! are the raw store underneath. Like the other ledger methods they do not write the audit log;
//! the caller does.

use crate::db::{OptionalExtension, params};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::time::to_db;
use crate::{Ledger, LedgerError};

/// The key of the facility name (医療機関名) shown on the console and the reports.
pub const FACILITY_NAME: &str = "facility_name";

/// The longest facility name, in characters.
pub const MAX_FACILITY_NAME_CHARS: usize = 100;

/// The longest key, in characters.
const MAX_KEY_CHARS: usize = 64;

/// The longest value, in characters.
const MAX_VALUE_CHARS: usize = 10_000;

/// A stored setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// When it was last set.
    pub updated_at: String,
    /// Who set it (an audit actor: account name, `token:NAME` or `cli:USER`).
    pub updated_by: String,
}

fn check_key(key: &str) -> Result<(), LedgerError> {
    let ok = !key.is_empty()
        && key.len() <= MAX_KEY_CHARS
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(LedgerError::Invalid(format!(
            "設定名「{key}」は英小文字・数字・「_」「.」の 1〜{MAX_KEY_CHARS} 文字にしてください / a setting key must be 1–{MAX_KEY_CHARS} lowercase ASCII letters, digits, `_` or `.`"
        )))
    }
}

impl Ledger {
    /// The value stored under `key`, if any.
    pub fn setting(&self, key: &str) -> Result<Option<String>, LedgerError> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                .query_row(params![key], |r| r.get(0))
                .optional()?)
        })
    }

    /// Stores `value` under `key`, set by `by` at `now`. Keys are lowercase ASCII letters,
    /// digits, `_` and `.`; values at most 10 000 characters.
    pub fn set_setting(
        &self,
        key: &str,
        value: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        check_key(key)?;
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(LedgerError::Invalid(format!(
                "設定「{key}」の値は {MAX_VALUE_CHARS} 文字以下にしてください / the value of `{key}` must be at most {MAX_VALUE_CHARS} characters"
            )));
        }
        if by.trim().is_empty() {
            return Err(LedgerError::Invalid(
                "設定した人が空です / updated_by must not be empty".to_owned(),
            ));
        }
        let at = to_db(now);
        self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET
                     value = excluded.value,
                     updated_at = excluded.updated_at,
                     updated_by = excluded.updated_by",
            )?
            .execute(params![key, value, at, by])?;
            Ok(())
        })
    }

    /// Every stored setting, by key.
    pub fn settings(&self) -> Result<Vec<Setting>, LedgerError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare("SELECT key, value, updated_at, updated_by FROM settings ORDER BY key")?;
            let rows = stmt.query_map([], |r| {
                Ok(Setting {
                    key: r.get(0)?,
                    value: r.get(1)?,
                    updated_at: r.get(2)?,
                    updated_by: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The facility name (医療機関名), if one was set.
    pub fn facility_name(&self) -> Result<Option<String>, LedgerError> {
        self.setting(FACILITY_NAME)
    }

    /// Sets the facility name (医療機関名): 1–100 characters without control characters once
    /// trimmed. Returns the name as stored.
    pub fn set_facility_name(
        &self,
        name: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<String, LedgerError> {
        let name = name.trim();
        let n = name.chars().count();
        if n == 0 || n > MAX_FACILITY_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(LedgerError::Invalid(format!(
                "医療機関名は制御文字を含まない 1〜{MAX_FACILITY_NAME_CHARS} 文字にしてください / the facility name must be 1–{MAX_FACILITY_NAME_CHARS} printable characters"
            )));
        }
        self.set_setting(FACILITY_NAME, name, by, now)?;
        Ok(name.to_owned())
    }
}
