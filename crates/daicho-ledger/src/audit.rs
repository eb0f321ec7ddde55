//! The audit log: who decided what, on which target, when, with the state before and after.
//!
//! The ledger's methods do not write it themselves; whoever makes the decision (the console's
//! decisions layer, the CLI) records one entry per decision with [`Ledger::record_audit`],
//! inside the decision's [`Ledger::atomically`] so that the decision and its entry are one
//! transaction.
//!
//! - `actor` is an account name, `token:NAME` for a bearer token, or `cli:USER` for the
//!   command line (account names cannot contain `:`, so the three never collide);
//! - `action` is a stable machine id such as `device.register`, `exception.add`,
//!   `alert.ack`, `allowlist.applied`, `ledger.import`, `account.add`, `token.create`;
//! - `target` names what was acted on, e.g. `device:12`, `account:yamada`, `setting:KEY`
//!   (empty when the action has no single target);
//! - `summary` is a Japanese one-liner for people.

use crate::db::params;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::to_db;
use crate::{Ledger, LedgerError};

/// The most entries one [`Ledger::audit_log`] call returns.
pub const MAX_AUDIT_PAGE: usize = 500;

/// The longest actor, action or target, in characters.
const MAX_KEY_CHARS: usize = 200;

/// The longest summary, in characters.
const MAX_SUMMARY_CHARS: usize = 1000;

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Entry id; later entries have larger ids.
    pub id: i64,
    /// When it was recorded (RFC 3339 UTC, as stored).
    pub at: String,
    /// Who: an account name, `token:NAME` or `cli:USER`.
    pub actor: String,
    /// What, as a stable machine id (`device.register`, `account.add`, …).
    pub action: String,
    /// On what (`device:12`, …); empty when there is no single target.
    pub target: String,
    /// A Japanese one-liner for people.
    pub summary: String,
    /// The state before, when there was one.
    pub before: Option<Value>,
    /// The state after, when there is one.
    pub after: Option<Value>,
}

/// An entry to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit<'a> {
    /// Who: an account name, `token:NAME` or `cli:USER`.
    pub actor: &'a str,
    /// What, as a stable machine id: lowercase ASCII letters, digits, `_` and `.`.
    pub action: &'a str,
    /// On what (`device:12`, …), or empty.
    pub target: &'a str,
    /// A Japanese one-liner for people.
    pub summary: &'a str,
    /// The state before (never a secret such as a password hash).
    pub before: Option<Value>,
    /// The state after (never a secret).
    pub after: Option<Value>,
}

/// Which entries [`Ledger::audit_log`] returns, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    /// Only entries on this target (exact match).
    pub target: Option<String>,
    /// Only entries by this actor (exact match).
    pub actor: Option<String>,
    /// Paging: only entries with an id below this one (pass the last id of the previous page).
    pub before_id: Option<i64>,
    /// At most this many entries, clamped to 1..=[`MAX_AUDIT_PAGE`].
    pub limit: usize,
}

impl Default for AuditFilter {
    fn default() -> Self {
        Self {
            target: None,
            actor: None,
            before_id: None,
            limit: 100,
        }
    }
}

fn check_key(what: &str, value: &str, allow_empty: bool) -> Result<(), LedgerError> {
    let n = value.chars().count();
    if (n == 0 && !allow_empty) || n > MAX_KEY_CHARS || value.chars().any(char::is_control) {
        return Err(LedgerError::Invalid(format!(
            "監査ログの {what} が不正です (1〜{MAX_KEY_CHARS} 文字、制御文字なし) / audit `{what}` must be 1–{MAX_KEY_CHARS} characters without control characters"
        )));
    }
    Ok(())
}

impl Ledger {
    /// Records one audit entry at `now`; returns its id. The actor and action must not be
    /// empty, the action is lowercase ASCII letters, digits, `_` and `.`.
    pub fn record_audit(
        &self,
        entry: &NewAudit<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, LedgerError> {
        check_key("actor", entry.actor, false)?;
        check_key("action", entry.action, false)?;
        check_key("target", entry.target, true)?;
        if !entry
            .action
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        {
            return Err(LedgerError::Invalid(format!(
                "監査ログの action「{}」は英小文字・数字・「_」「.」で書いてください / audit action `{}` must be lowercase ASCII letters, digits, `_` and `.`",
                entry.action, entry.action
            )));
        }
        if entry.summary.chars().count() > MAX_SUMMARY_CHARS {
            return Err(LedgerError::Invalid(format!(
                "監査ログの要約は {MAX_SUMMARY_CHARS} 文字以下にしてください / audit summary must be at most {MAX_SUMMARY_CHARS} characters"
            )));
        }
        let json = |v: &Option<Value>| v.as_ref().map(Value::to_string);
        let at = to_db(now);
        self.write(|conn| {
            Ok(conn
                .prepare_cached(
                    "INSERT INTO audit_log (at, actor, action, target, summary, before_json, after_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                )?
                .query_row(
                    params![
                at,
                entry.actor,
                entry.action,
                entry.target,
                entry.summary,
                json(&entry.before),
                json(&entry.after)
                    ],
                    |r| r.get(0),
                )?)
        })
    }

    /// Audit entries matching `filter`, newest first.
    pub fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, LedgerError> {
        let limit = crate::sql_count(filter.limit.clamp(1, MAX_AUDIT_PAGE));
        // Only the conditions asked for, so that SQLite can use the target index.
        let mut conditions = Vec::new();
        let mut values: Vec<&dyn crate::db::ToValue> = Vec::new();
        if let Some(target) = &filter.target {
            values.push(target);
            conditions.push(format!("target = ?{}", values.len()));
        }
        if let Some(actor) = &filter.actor {
            values.push(actor);
            conditions.push(format!("actor = ?{}", values.len()));
        }
        if let Some(before_id) = &filter.before_id {
            values.push(before_id);
            conditions.push(format!("id < ?{}", values.len()));
        }
        values.push(&limit);
        let sql = format!(
            "SELECT id, at, actor, action, target, summary, before_json, after_json
             FROM audit_log {}{} ORDER BY id DESC LIMIT ?{}",
            if conditions.is_empty() { "" } else { "WHERE " },
            conditions.join(" AND "),
            values.len()
        );
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(values.as_slice(), |r| {
                let parse = |s: Option<String>| {
                    s.map(|s| serde_json::from_str(&s).unwrap_or(Value::String(s)))
                };
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    target: r.get(4)?,
                    summary: r.get(5)?,
                    before: parse(r.get(6)?),
                    after: parse(r.get(7)?),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
