//! Operator decisions the flag rules honour: a device's role profile and the exception register
//! (vendor-agreed services allowed until a date). Every change recomputes the device's flags at
//! once, so the ledger and the alerts follow the decision without waiting for the next scan.

use crate::db::{OptionalExtension, WriteLock, params};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::events::{EventKind, record_event};
use crate::flags;
use crate::sites::SiteScope;
use crate::time::to_db;
use crate::{Ledger, LedgerError};

/// One entry of the exception register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRecord {
    /// Exception id.
    pub id: i64,
    /// The device it applies to.
    pub device_id: i64,
    /// The service name (`telnet`) or risky-rule id (`snmp-default-community`) it allows.
    pub service: String,
    /// Why it is allowed.
    pub reason: String,
    /// Who approved it.
    pub approver: String,
    /// The last day it is valid (YYYY-MM-DD).
    pub expires: String,
    /// When it was recorded.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// A new exception as the operator states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewException {
    /// The device.
    pub device_id: i64,
    /// The service name or risky-rule id.
    pub service: String,
    /// Why it is allowed (required: the inspector reads it).
    pub reason: String,
    /// Who approved it (required).
    pub approver: String,
    /// The last valid day, YYYY-MM-DD.
    pub expires: String,
}

fn require(value: &str, field: &str) -> Result<(), LedgerError> {
    if value.trim().is_empty() {
        return Err(LedgerError::Invalid(format!("{field} must not be empty")));
    }
    Ok(())
}

fn device_exists(conn: &crate::db::Conn, id: i64) -> Result<(), LedgerError> {
    conn.query_row(
        "SELECT 1 FROM devices WHERE id = ?1 AND merged_into IS NULL",
        params![id],
        |_| Ok(()),
    )
    .optional()?
    .ok_or(LedgerError::NoSuchDevice(id))
}

impl Ledger {
    /// Assigns `role` (a role id of the policy) to a device, or clears it with `None`.
    pub fn set_role(
        &self,
        device_id: i64,
        role: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        let policy = self.policy();
        if let Some(role) = role
            && policy.role(role).is_none()
        {
            let known: Vec<&str> = policy.roles.keys().map(String::as_str).collect();
            return Err(LedgerError::Invalid(format!(
                "unknown role `{role}`; the policy defines: {}",
                known.join(", ")
            )));
        }
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Deferred)?;
            device_exists(&tx, device_id)?;
            tx.execute(
                "UPDATE devices SET role = ?2 WHERE id = ?1",
                params![device_id, role],
            )?;
            record_event(
                &tx,
                device_id,
                EventKind::RoleChanged,
                &at,
                None,
                &json!({ "role": role }),
            )?;
            flags::recompute(&tx, &policy, device_id, &at, None)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Records an exception and applies it to the device's flags. Returns its id.
    pub fn add_exception(
        &self,
        new: &NewException,
        now: DateTime<Utc>,
    ) -> Result<i64, LedgerError> {
        require(&new.service, "service")?;
        require(&new.reason, "reason")?;
        require(&new.approver, "approver")?;
        let expires = NaiveDate::parse_from_str(new.expires.trim(), "%Y-%m-%d").map_err(|_| {
            LedgerError::Invalid(format!(
                "expires `{}` is not a date (YYYY-MM-DD)",
                new.expires
            ))
        })?;
        if expires < now.date_naive() {
            return Err(LedgerError::Invalid(format!(
                "expires {expires} is already past"
            )));
        }
        let policy = self.policy();
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Deferred)?;
            device_exists(&tx, new.device_id)?;
            let id: i64 = tx.query_row(
"INSERT INTO exceptions (device_id, service, reason, approver, expires, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
 RETURNING id",
                params![new.device_id, new.service.trim(), new.reason.trim(), new.approver.trim(), expires.to_string(), at],
 |r| r.get(0),
)?;
            record_event(
                &tx,
                new.device_id,
                EventKind::ExceptionAdded,
                &at,
                None,
                &json!({"exception": id, "service": new.service, "approver": new.approver, "expires": expires.to_string()}),
            )?;
            flags::recompute(&tx, &policy, new.device_id, &at, None)?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// Revokes an exception; the flags it silenced come back at once.
    pub fn revoke_exception(&self, id: i64, now: DateTime<Utc>) -> Result<(), LedgerError> {
        let policy = self.policy();
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Deferred)?;
            let device_id: i64 = tx
                .query_row(
                    "SELECT device_id FROM exceptions WHERE id = ?1 AND revoked_at IS NULL",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| LedgerError::Invalid(format!("no active exception with id {id}")))?;
            tx.execute(
                "UPDATE exceptions SET revoked_at = ?2 WHERE id = ?1",
                params![id, at],
            )?;
            record_event(
                &tx,
                device_id,
                EventKind::ExceptionRevoked,
                &at,
                None,
                &json!({ "exception": id }),
            )?;
            flags::recompute(&tx, &policy, device_id, &at, None)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// The exception register of the devices of the sites of `scope`, newest first; `device`
    /// narrows it to one device.
    pub fn exceptions(
        &self,
        scope: &SiteScope,
        device: Option<i64>,
    ) -> Result<Vec<ExceptionRecord>, LedgerError> {
        let sql = format!(
            "SELECT id, device_id, service, reason, approver, expires, created_at, revoked_at
             FROM exceptions WHERE (CAST(?1 AS BIGINT) IS NULL OR device_id = ?1)
               AND {}
             ORDER BY id DESC",
            scope.devices_sql("device_id")
        );
        self.read(|conn| {
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(params![device], |r| {
                Ok(ExceptionRecord {
                    id: r.get(0)?,
                    device_id: r.get(1)?,
                    service: r.get(2)?,
                    reason: r.get(3)?,
                    approver: r.get(4)?,
                    expires: r.get(5)?,
                    created_at: r.get(6)?,
                    revoked_at: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Recomputes every device's flags as of `now`: time alone raises `missing` and ends
    /// exceptions, and a changed policy takes effect. Returns how many flags changed.
    pub fn refresh_flags(&self, now: DateTime<Utc>) -> Result<usize, LedgerError> {
        let policy = self.policy();
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Deferred)?;
            let changed = flags::recompute_all(&tx, &policy, now)?;
            tx.commit()?;
            Ok(changed)
        })
    }
}
