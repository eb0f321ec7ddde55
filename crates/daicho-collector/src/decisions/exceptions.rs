//! The exception register (vendor-agreed services, 2-⑫) and acknowledging alerts.

use chrono::{DateTime, Utc};
use daicho_ledger::exceptions::{ExceptionRecord, NewException};
use daicho_ledger::{Ledger, LedgerError, SiteScope};
use serde_json::Value;

use super::{Actor, audit, device_target};
use crate::site_access::check_device;

/// Records an exception (a vendor-agreed service allowed until a date).
pub fn add_exception(
    ledger: &Ledger,
    actor: &Actor,
    new: &NewException,
    now: DateTime<Utc>,
) -> Result<i64, LedgerError> {
    ledger.atomically(|| {
        check_device(ledger, actor.scope(), new.device_id)?;
        let id = ledger.add_exception(new, now)?;
        audit(
            ledger,
            actor,
            "exception.add",
            &device_target(new.device_id),
            &format!(
                "機器 #{} の {} を {} まで例外として許可（承認: {}）",
                new.device_id, new.service, new.expires, new.approver
            ),
            None,
            Some(serde_json::to_value(new).unwrap_or(Value::Null)),
            now,
        )?;
        Ok(id)
    })
}

/// Revokes an exception; the flag it silenced returns.
pub fn revoke_exception(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.atomically(|| {
        let before: Option<ExceptionRecord> = ledger
            .exceptions(&SiteScope::All, None)?
            .into_iter()
            .find(|e| e.id == id);
        if let Some(e) = &before {
            check_device(ledger, actor.scope(), e.device_id)?;
        }
        ledger.revoke_exception(id, now)?;
        let target = before
            .as_ref()
            .map_or_else(|| format!("exception:{id}"), |e| device_target(e.device_id));
        audit(
            ledger,
            actor,
            "exception.revoke",
            &target,
            &format!("例外 #{id} を取り消し"),
            before.and_then(|e| serde_json::to_value(e).ok()),
            None,
            now,
        )
    })
}

/// Acknowledges an alert: no more reminders. `by` is the name the alert shows as having
/// acknowledged it (the account, the token's name, or the CLI's `--by`).
pub fn acknowledge_alert(
    ledger: &Ledger,
    actor: &Actor,
    by: &str,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.atomically(|| {
        if let Some(device) = ledger.alert_device(id)? {
            check_device(ledger, actor.scope(), device)?;
        }
        ledger.acknowledge_alert(id, by, now)?;
        audit(
            ledger,
            actor,
            "alert.ack",
            &format!("alert:{id}"),
            &format!("アラート #{id} を確認済みにした"),
            None,
            None,
            now,
        )
    })
}
