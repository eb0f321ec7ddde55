//! What the ledger's files record: applied MAC allowlists (2-⑬), imported hand-kept ledgers and the
//! column mapping remembered for the next import.

use chrono::{DateTime, Utc};
use daicho_ledger::restrictions::RestrictionRecord;
use daicho_ledger::{ImportApplied, ImportPlan, Ledger, LedgerError, SiteId};
use daicho_ledger_io::LedgerRow;
use serde_json::{Value, json};

use super::{Actor, audit};
use crate::evidence::{AppliedAllowlist, record_applied_allowlist};
use crate::site_access::check_site;

/// Records where the MAC allowlist was applied (2-⑬).
pub fn record_allowlist(
    ledger: &Ledger,
    actor: &Actor,
    applied: &AppliedAllowlist,
    now: DateTime<Utc>,
) -> Result<RestrictionRecord, LedgerError> {
    ledger.atomically(|| {
        check_site(ledger, actor.scope(), applied.site)?;
        let record = record_applied_allowlist(ledger, applied, now)?;
        audit(
            ledger,
            actor,
            "allowlist.applied",
            &format!("allowlist:{}", record.id),
            &format!(
                "{} に MAC 許可リスト（{} 件）を適用したと記録",
                record.place,
                record.macs.len()
            ),
            None,
            Some(
                json!({ "place": record.place, "applied_by": record.applied_by,
                "applied_on": record.applied_on, "macs": record.macs.len() }),
            ),
            now,
        )?;
        Ok(record)
    })
}

/// Withdraws an applied-allowlist record.
pub fn withdraw_allowlist(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.atomically(|| {
        let before = ledger.restriction(id)?;
        if let Some(record) = &before {
            check_site(ledger, actor.scope(), record.site_id)?;
        }
        ledger.withdraw_restriction(id, now)?;
        audit(
            ledger,
            actor,
            "allowlist.withdraw",
            &format!("allowlist:{id}"),
            &format!("MAC 許可リストの適用記録 #{id} を取り下げ"),
            before.map(|r| json!({ "place": r.place, "applied_on": r.applied_on })),
            None,
            now,
        )
    })
}

/// Applies a hand-kept ledger to `site`'s devices in one transaction.
pub fn apply_import(
    ledger: &Ledger,
    actor: &Actor,
    site: SiteId,
    file_name: &str,
    rows: &[LedgerRow],
    row_numbers: &[usize],
    now: DateTime<Utc>,
) -> Result<(ImportPlan, ImportApplied), LedgerError> {
    ledger.atomically(|| {
        check_site(ledger, actor.scope(), site)?;
        let (plan, applied) = ledger.apply_import(site, rows, row_numbers)?;
        audit(
            ledger,
            actor,
            "ledger.import",
            &format!("ledger:site:{site}"),
            &format!(
                "台帳ファイル「{file_name}」を取り込み（一致 {}、変更 {}、新規 {}）",
                plan.matched(),
                plan.changing(),
                plan.created()
            ),
            None,
            Some(
                json!({ "file": file_name, "rows": rows.len(), "matched": plan.matched(),
                "changed": plan.changing(), "created": plan.created() }),
            ),
            now,
        )?;
        Ok((plan, applied))
    })
}

/// The setting that keeps the column mapping of the last import, offered again at the next.
pub const IMPORT_MAPPING_KEY: &str = "import.column_mapping";

/// The column mapping remembered by [`remember_import_mapping`]; empty when none is stored (or
/// the stored one no longer reads).
pub fn remembered_import_mapping(
    ledger: &Ledger,
) -> Result<daicho_ledger_io::ColumnMapping, LedgerError> {
    Ok(ledger
        .setting(IMPORT_MAPPING_KEY)?
        .and_then(|json| match serde_json::from_str(&json) {
            Ok(mapping) => Some(mapping),
            Err(e) => {
                tracing::warn!(error = %daicho_ledger_io::text::log_text(&e), "the remembered import column mapping does not read");
                None
            }
        })
        .unwrap_or_default())
}

/// Remembers the column mapping for the next ledger import (`import.mapping`).
pub fn remember_import_mapping(
    ledger: &Ledger,
    actor: &Actor,
    mapping: &daicho_ledger_io::ColumnMapping,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.atomically(|| {
        let before = remembered_import_mapping(ledger)?;
        if before == *mapping {
            return Ok(());
        }
        let json = serde_json::to_string(mapping)
            .map_err(|e| LedgerError::Invalid(format!("column mapping: {e}")))?;
        ledger.set_setting(IMPORT_MAPPING_KEY, &json, actor.as_str(), now)?;
        let entries: Vec<String> = mapping.iter().map(|(h, to)| format!("{h}→{to}")).collect();
        audit(
            ledger,
            actor,
            "import.mapping",
            "settings",
            &format!(
                "台帳取り込みの列の対応付けを保存（{}）",
                if entries.is_empty() {
                    "なし".to_owned()
                } else {
                    entries.join("、")
                }
            ),
            Some(serde_json::to_value(&before).unwrap_or(Value::Null)),
            Some(serde_json::to_value(mapping).unwrap_or(Value::Null)),
            now,
        )
    })
}
