//! Operator decisions, each run on the ledger and written to the audit log (who, when, what,
//! before → after) in one place, so the console, the API and the CLI record them alike.
//!
//! The actor is a console account name, `token:NAME` for an operator token, or `cli:USER`.

use chrono::{DateTime, Utc};
use daicho_ledger::audit::NewAudit;
use daicho_ledger::exceptions::{ExceptionRecord, NewException};
use daicho_ledger::restrictions::RestrictionRecord;
use daicho_ledger::triage::Disposition;
use daicho_ledger::{
    AccountRole, DeviceDetail, ImportApplied, ImportPlan, Ledger, LedgerError, LedgerFields,
    LedgerFieldsPatch, MergeOutcome, Role, SplitOutcome, TokenInfo,
};
use daicho_ledger_io::LedgerRow;
use daicho_model::MacAddr;
use serde_json::{Value, json};

use crate::evidence::{AppliedAllowlist, record_applied_allowlist};

/// Who made a decision, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// A console account.
    pub fn account(name: &str) -> Self {
        Self(name.to_owned())
    }

    /// An operator bearer token.
    pub fn token(name: &str) -> Self {
        Self(format!("token:{name}"))
    }

    /// The command line, run by this OS user (`$USER`, `root` when unset).
    pub fn cli() -> Self {
        let user = std::env::var("USER").unwrap_or_else(|_| "root".to_owned());
        Self(format!("cli:{user}"))
    }

    /// The name written to the audit log.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[allow(clippy::too_many_arguments)] // the columns of one audit row
pub(crate) fn audit(
    ledger: &Ledger,
    actor: &Actor,
    action: &str,
    target: &str,
    summary: &str,
    before: Option<Value>,
    after: Option<Value>,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.record_audit(
        &NewAudit {
            actor: actor.as_str(),
            action,
            target,
            summary,
            before,
            after,
        },
        now,
    )?;
    Ok(())
}

fn device_target(id: i64) -> String {
    format!("device:{id}")
}

fn fields_json(fields: &LedgerFields) -> Value {
    serde_json::to_value(fields).unwrap_or(Value::Null)
}

/// Sets a device's ledger fields (管理番号, 設置場所, …).
pub fn update_ledger(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    patch: &LedgerFieldsPatch,
    now: DateTime<Utc>,
) -> Result<DeviceDetail, LedgerError> {
    let before = ledger.device(id)?.summary.ledger;
    let after = ledger.update_ledger(id, patch)?;
    if after.summary.ledger != before {
        let was_registered = before.asset_no.is_some();
        let (action, summary) = if !was_registered && after.summary.ledger.asset_no.is_some() {
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
    if !matches!(&patch.asset_no, Some(Some(a)) if !a.trim().is_empty()) {
        return Err(LedgerError::Invalid(
            "台帳に登録するには管理番号を入れてください / an asset number is required".to_owned(),
        ));
    }
    let dated = matches!(&patch.registered_on, Some(Some(d)) if !d.trim().is_empty());
    if !dated && ledger.device(id)?.summary.ledger.registered_on.is_none() {
        let today = daicho_ledger_io::export::now_jst().date_naive();
        patch.registered_on = Some(Some(today.format("%Y-%m-%d").to_string()));
    }
    update_ledger(ledger, actor, id, &patch, now)
}

/// Records what an unregistered device is (私物, 来訪者, 撤去), or clears that.
pub fn set_disposition(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    disposition: Option<Disposition>,
    now: DateTime<Utc>,
) -> Result<DeviceDetail, LedgerError> {
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
}

/// Assigns a role profile to a device, or clears it.
pub fn set_role(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    role: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DeviceDetail, LedgerError> {
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
}

/// Merges device `from` into `into`.
pub fn merge_devices(
    ledger: &Ledger,
    actor: &Actor,
    into: i64,
    from: i64,
    now: DateTime<Utc>,
) -> Result<MergeOutcome, LedgerError> {
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
}

/// Moves `macs` of device `id` to a new device.
pub fn split_device(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    macs: &[MacAddr],
    now: DateTime<Utc>,
) -> Result<SplitOutcome, LedgerError> {
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
}

/// Records an exception (a vendor-agreed service allowed until a date).
pub fn add_exception(
    ledger: &Ledger,
    actor: &Actor,
    new: &NewException,
    now: DateTime<Utc>,
) -> Result<i64, LedgerError> {
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
}

/// Revokes an exception; the flag it silenced returns.
pub fn revoke_exception(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let before: Option<ExceptionRecord> = ledger.exceptions(None)?.into_iter().find(|e| e.id == id);
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
}

/// Records where the MAC allowlist was applied (2-⑬).
pub fn record_allowlist(
    ledger: &Ledger,
    actor: &Actor,
    applied: &AppliedAllowlist,
    now: DateTime<Utc>,
) -> Result<RestrictionRecord, LedgerError> {
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
}

/// Withdraws an applied-allowlist record.
pub fn withdraw_allowlist(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let before = ledger.restriction(id)?;
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
}

/// Applies a hand-kept ledger in one transaction.
pub fn apply_import(
    ledger: &Ledger,
    actor: &Actor,
    file_name: &str,
    rows: &[LedgerRow],
    row_numbers: &[usize],
    now: DateTime<Utc>,
) -> Result<(ImportPlan, ImportApplied), LedgerError> {
    let (plan, applied) = ledger.apply_import(rows, row_numbers)?;
    audit(
        ledger,
        actor,
        "ledger.import",
        "ledger",
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
}

/// Sets the facility name printed on every page (医療機関名).
pub fn set_facility_name(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let before = ledger.facility_name()?;
    ledger.set_facility_name(name, actor.as_str(), now)?;
    audit(
        ledger,
        actor,
        "settings.facility",
        "settings",
        &format!("医療機関名を「{}」に設定", name.trim()),
        Some(json!({ "facility_name": before })),
        Some(json!({ "facility_name": name.trim() })),
        now,
    )
}

fn account_target(name: &str) -> String {
    format!("account:{name}")
}

/// What the audit log keeps of an account: never its password or hash.
fn account_json(info: &daicho_ledger::AccountInfo) -> Value {
    json!({ "name": info.name, "role": info.role.as_str(), "disabled_at": info.disabled_at })
}

/// The rule that keeps the console manageable: an admin may not disable or demote their own
/// account, and the last enabled 管理者 may not be disabled or demoted.
fn check_keeps_an_admin(ledger: &Ledger, actor: &Actor, name: &str) -> Result<(), LedgerError> {
    if actor.as_str() == name {
        return Err(LedgerError::Conflict(
            "自分のアカウントは無効化・役割変更できません。別の管理者に依頼してください / you cannot disable or demote your own account".to_owned(),
        ));
    }
    let enabled_admins: Vec<String> = ledger
        .list_accounts()?
        .into_iter()
        .filter(|a| a.role == AccountRole::Admin && a.disabled_at.is_none())
        .map(|a| a.name)
        .collect();
    if enabled_admins == [name] {
        return Err(LedgerError::Conflict(format!(
            "「{name}」は最後の有効な管理者なので、無効化・役割変更できません / `{name}` is the last enabled admin"
        )));
    }
    Ok(())
}

/// Creates a console account (`account.add`).
pub fn add_account(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    role: AccountRole,
    password: &str,
    now: DateTime<Utc>,
) -> Result<daicho_ledger::AccountInfo, LedgerError> {
    let info = ledger.add_account(name, role, password)?;
    audit(
        ledger,
        actor,
        "account.add",
        &account_target(&info.name),
        &format!(
            "アカウント「{}」を{}として追加",
            info.name,
            info.role.label()
        ),
        None,
        Some(account_json(&info)),
        now,
    )?;
    Ok(info)
}

/// Changes an account's role (`account.role`); never one's own, never the last admin's.
pub fn set_account_role(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    role: AccountRole,
    now: DateTime<Utc>,
) -> Result<daicho_ledger::AccountInfo, LedgerError> {
    let before = ledger.account(name)?.ok_or_else(|| {
        LedgerError::Invalid(format!(
            "アカウント「{name}」はありません / no account named `{name}`"
        ))
    })?;
    if before.role == role {
        return Ok(before);
    }
    check_keeps_an_admin(ledger, actor, name)?;
    let after = ledger.set_account_role(name, role)?;
    audit(
        ledger,
        actor,
        "account.role",
        &account_target(name),
        &format!(
            "アカウント「{name}」の役割を{}から{}に変更",
            before.role.label(),
            after.role.label()
        ),
        Some(json!({ "role": before.role.as_str() })),
        Some(json!({ "role": after.role.as_str() })),
        now,
    )?;
    Ok(after)
}

/// Sets a new password for an account (`account.password`; the log says only that it changed).
pub fn set_account_password(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.set_password(name, password)?;
    audit(
        ledger,
        actor,
        "account.password",
        &account_target(name),
        &format!("アカウント「{name}」のパスワードを変更"),
        None,
        None,
        now,
    )
}

/// Disables an account (`account.disable`); never one's own, never the last enabled admin.
pub fn disable_account(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<daicho_ledger::AccountInfo, LedgerError> {
    let before = ledger.account(name)?;
    check_keeps_an_admin(ledger, actor, name)?;
    let after = ledger.disable_account(name)?;
    audit(
        ledger,
        actor,
        "account.disable",
        &account_target(name),
        &format!("アカウント「{name}」を無効化"),
        before.as_ref().map(account_json),
        Some(account_json(&after)),
        now,
    )?;
    Ok(after)
}

/// Enables a disabled account again (`account.enable`).
pub fn enable_account(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<daicho_ledger::AccountInfo, LedgerError> {
    let before = ledger.account(name)?;
    let after = ledger.enable_account(name)?;
    audit(
        ledger,
        actor,
        "account.enable",
        &account_target(name),
        &format!("アカウント「{name}」を有効化"),
        before.as_ref().map(account_json),
        Some(account_json(&after)),
        now,
    )?;
    Ok(after)
}

/// Creates a bearer token (`token.create`); returns it with the token text, shown once (the
/// audit log keeps its id, name and role only).
pub fn create_token(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(TokenInfo, String), LedgerError> {
    let (info, token) = ledger.create_token(name, role)?;
    audit(
        ledger,
        actor,
        "token.create",
        &format!("token:{}", info.id),
        &format!(
            "{}用トークン #{}（{}）を発行",
            token_role_label(info.role),
            info.id,
            info.name
        ),
        None,
        Some(json!({ "id": info.id, "name": info.name, "role": info.role.as_str() })),
        now,
    )?;
    Ok((info, token))
}

/// Revokes the live token with this id, or else every live token of this name (the CLI's
/// `token revoke ID|NAME`: an id never also revokes a token named like it). Returns how many.
pub fn revoke_tokens_by_id_or_name(
    ledger: &Ledger,
    actor: &Actor,
    id_or_name: &str,
    now: DateTime<Utc>,
) -> Result<usize, LedgerError> {
    let live: Vec<TokenInfo> = ledger
        .list_tokens()?
        .into_iter()
        .filter(|t| t.revoked_at.is_none())
        .collect();
    let by_id: Vec<i64> = id_or_name
        .parse::<i64>()
        .ok()
        .filter(|id| live.iter().any(|t| t.id == *id))
        .into_iter()
        .collect();
    let ids = if by_id.is_empty() {
        live.iter()
            .filter(|t| t.name == id_or_name)
            .map(|t| t.id)
            .collect()
    } else {
        by_id
    };
    if ids.is_empty() {
        return Err(LedgerError::NoSuchToken(id_or_name.to_owned()));
    }
    for id in &ids {
        revoke_token(ledger, actor, *id, now)?;
    }
    Ok(ids.len())
}

/// Revokes the one token with this id (`token.revoke`).
pub fn revoke_token(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<TokenInfo, LedgerError> {
    let info = ledger.revoke_token_id(id)?;
    audit(
        ledger,
        actor,
        "token.revoke",
        &format!("token:{id}"),
        &format!("トークン #{id}（{}）を失効", info.name),
        Some(
            json!({ "id": id, "name": info.name, "role": info.role.as_str(), "revoked_at": null }),
        ),
        Some(json!({ "revoked_at": info.revoked_at })),
        now,
    )?;
    Ok(info)
}

/// The Japanese name of what a token is for.
pub fn token_role_label(role: Role) -> &'static str {
    match role {
        Role::Agent => "エージェント",
        Role::Operator => "運用（API）",
    }
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
                tracing::warn!(error = %e, "the remembered import column mapping does not read");
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
}
