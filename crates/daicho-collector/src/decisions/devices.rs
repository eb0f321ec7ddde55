//! Decisions on one device: its ledger fields, registration, triage disposition, role, merge and
//! split.

use chrono::{DateTime, Utc};
use daicho_ledger::triage::Disposition;
use daicho_ledger::{
    DeviceDetail, Ledger, LedgerError, LedgerFieldsPatch, MergeOutcome, SplitOutcome,
};
use daicho_model::MacAddr;
use serde_json::json;

use super::{Actor, audit, device_target, fields_json};
use crate::site_access::check_device;

/// Sets a device's ledger fields (管理番号, 設置場所, …).
pub fn update_ledger(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    patch: &LedgerFieldsPatch,
    now: DateTime<Utc>,
) -> Result<DeviceDetail, LedgerError> {
    ledger.atomically(|| {
        check_device(ledger, actor.scope(), id)?;
        let before = ledger.device(id)?.summary.ledger;
        let after = ledger.update_ledger(id, patch)?;
        if after.summary.ledger != before {
            let (action, summary) =
                if !before.is_registered() && after.summary.ledger.is_registered() {
                    ("device.register", format!("機器 #{id} を台帳に登録"))
                } else {
                    ("device.update", format!("機器 #{id} の台帳項目を変更"))
                };
            audit(
                ledger,
                actor,
                action,
                &device_target(id),
                &summary,
                Some(fields_json(&before)),
                Some(fields_json(&after.summary.ledger)),
                now,
            )?;
        }
        Ok(after)
    })
}

/// Registers a device in the ledger: `patch` must give its 管理番号; 登録日 becomes today
/// (JST) unless the patch or the device already has one.
pub fn register_device(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    mut patch: LedgerFieldsPatch,
    now: DateTime<Utc>,
) -> Result<DeviceDetail, LedgerError> {
    ledger.atomically(|| {
        check_device(ledger, actor.scope(), id)?;
        if !matches!(&patch.asset_no, Some(Some(a)) if !a.trim().is_empty()) {
            return Err(LedgerError::Invalid(
                "台帳に登録するには管理番号を入れてください / an asset number is required"
                    .to_owned(),
            ));
        }
        let dated = matches!(&patch.registered_on, Some(Some(d)) if !d.trim().is_empty());
        if !dated && ledger.device(id)?.summary.ledger.registered_on.is_none() {
            let today = daicho_ledger_io::export::now_jst().date_naive();
            patch.registered_on = Some(Some(today.format("%Y-%m-%d").to_string()));
        }
        update_ledger(ledger, actor, id, &patch, now)
    })
}

/// Records what an unregistered device is (私物, 来訪者, 撤去), or clears that.
pub fn set_disposition(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    disposition: Option<Disposition>,
    now: DateTime<Utc>,
) -> Result<DeviceDetail, LedgerError> {
    ledger.atomically(|| {
        check_device(ledger, actor.scope(), id)?;
        let before = ledger.device(id)?.summary.disposition;
        let after = ledger.set_disposition(id, disposition, actor.as_str(), now)?;
        audit(
            ledger,
            actor,
            "device.disposition",
            &device_target(id),
            &disposition.map_or_else(
                || format!("機器 #{id} の確認結果（私物・来訪者・撤去）を取り消し"),
                |d| format!("機器 #{id} を{}として記録", d.label()),
            ),
            Some(json!({ "disposition": before })),
            Some(json!({ "disposition": after.summary.disposition })),
            now,
        )?;
        Ok(after)
    })
}

/// Assigns a role profile to a device, or clears it.
pub fn set_role(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    role: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DeviceDetail, LedgerError> {
    ledger.atomically(|| {
        check_device(ledger, actor.scope(), id)?;
        let before = ledger.device(id)?.summary.role;
        ledger.set_role(id, role, now)?;
        let after = ledger.device(id)?;
        audit(
            ledger,
            actor,
            "device.role",
            &device_target(id),
            &format!("機器 #{id} の役割を {} に設定", role.unwrap_or("（なし）")),
            Some(json!({ "role": before })),
            Some(json!({ "role": after.summary.role })),
            now,
        )?;
        Ok(after)
    })
}

/// Merges device `from` into `into`.
pub fn merge_devices(
    ledger: &Ledger,
    actor: &Actor,
    into: i64,
    from: i64,
    now: DateTime<Utc>,
) -> Result<MergeOutcome, LedgerError> {
    ledger.atomically(|| {
        check_device(ledger, actor.scope(), into)?;
        check_device(ledger, actor.scope(), from)?;
        let outcome = ledger.merge_devices(into, from)?;
        audit(
            ledger,
            actor,
            "device.merge",
            &device_target(into),
            &format!("機器 #{from} を #{into} に統合"),
            Some(json!({ "devices": [into, from] })),
            Some(json!({ "device": into, "merged": from })),
            now,
        )?;
        Ok(outcome)
    })
}

/// Moves `macs` of device `id` to a new device.
pub fn split_device(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    macs: &[MacAddr],
    now: DateTime<Utc>,
) -> Result<SplitOutcome, LedgerError> {
    ledger.atomically(|| {
        check_device(ledger, actor.scope(), id)?;
        let outcome = ledger.split_device(id, macs)?;
        let macs: Vec<String> = macs.iter().map(ToString::to_string).collect();
        audit(
            ledger,
            actor,
            "device.split",
            &device_target(id),
            &format!(
                "機器 #{id} から {} を新しい機器 #{} に分離",
                macs.join(", "),
                outcome.split_off.summary.id
            ),
            Some(json!({ "device": id, "macs": macs })),
            Some(json!({ "device": id, "created": outcome.split_off.summary.id })),
            now,
        )?;
        Ok(outcome)
    })
}
