//! The remote-maintenance register (checklist 2-②): recording a device's 保守事業者 and the
//! vendor's answer, one device at a time or from a returned confirmation sheet.

use chrono::{DateTime, Utc};
use daicho_ledger::{Ledger, LedgerError};
use daicho_ledger_io::vendor_sheet::VendorReply;
use daicho_model::remote_maintenance::RemoteMaintenance;

use super::{Actor, audit, device_target};
use crate::site_access::check_device;

/// Records `record` as the register entry of `device_id`.
pub fn set_remote_maintenance(
    ledger: &Ledger,
    actor: &Actor,
    device_id: i64,
    record: RemoteMaintenance,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.atomically(|| record_one(ledger, actor, device_id, record, now))
}

fn record_one(
    ledger: &Ledger,
    actor: &Actor,
    device_id: i64,
    record: RemoteMaintenance,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    check_device(ledger, actor.scope(), device_id)?;
    let after = serde_json::to_value(&record).ok();
    let summary = format!(
        "機器 #{device_id} のリモートメンテナンス: {} / {}{}",
        if record.vendor.is_empty() {
            "（事業者未記録）"
        } else {
            &record.vendor
        },
        record.remote.label(),
        if record.confirmed_with.is_empty() {
            String::new()
        } else {
            format!("（{} に確認）", record.confirmed_with)
        }
    );
    let before = ledger.set_remote_maintenance(device_id, record, now)?;
    audit(
        ledger,
        actor,
        "remote_maintenance.set",
        &device_target(device_id),
        &summary,
        before.and_then(|b| serde_json::to_value(b).ok()),
        after,
        now,
    )
}

/// Fills the register from a vendor's returned confirmation sheet, all rows or none: every
/// answered row must be a device whose register names the sheet's vendor. Returns how many
/// devices were recorded.
pub fn import_vendor_reply(
    ledger: &Ledger,
    actor: &Actor,
    reply: &VendorReply,
    now: DateTime<Utc>,
) -> Result<usize, LedgerError> {
    ledger.atomically(|| {
        for answer in &reply.answers {
            let current = ledger.remote_maintenance(answer.device_id)?;
            if current.as_ref().is_none_or(|c| c.vendor != reply.vendor) {
                return Err(LedgerError::Invalid(format!(
                    "{} 行目: 機器 #{} の保守事業者は「{}」ではありません（確認依頼書は事業者ごとです）",
                    answer.row,
                    answer.device_id,
                    reply.vendor
                )));
            }
            record_one(ledger, actor, answer.device_id, answer.record.clone(), now)?;
        }
        Ok(reply.answers.len())
    })
}
