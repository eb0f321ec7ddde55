//! Console accounts, with the rule that keeps one enabled 管理者.

use chrono::{DateTime, Utc};
use daicho_ledger::{AccountRole, Ledger, LedgerError};
use serde_json::{Value, json};

use super::{Actor, audit};

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
