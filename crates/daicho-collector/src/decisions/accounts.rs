//! Console accounts, with the rule that keeps one enabled 管理者.

use chrono::{DateTime, Utc};
use daicho_ledger::{AccountRole, Ledger, LedgerError, SiteId};
use serde_json::{Value, json};

use super::{Actor, audit};
use crate::site_access::check_binding;

fn account_target(name: &str) -> String {
    format!("account:{name}")
}

/// What the audit log keeps of an account: never its password or hash.
fn account_json(info: &daicho_ledger::AccountInfo) -> Value {
    json!({ "name": info.name, "role": info.role.as_str(), "disabled_at": info.disabled_at })
}

/// The rule that keeps the console manageable: an admin may not disable or demote their own
/// account, and the last enabled 管理者 may not be disabled or demoted. Called inside the
/// decision's [`Ledger::atomically`], so no other change slips between this check and the write.
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

/// The account `name`, or why there is none.
fn existing(ledger: &Ledger, name: &str) -> Result<daicho_ledger::AccountInfo, LedgerError> {
    ledger.account(name)?.ok_or_else(|| {
        LedgerError::Invalid(format!(
            "アカウント「{name}」はありません / no account named `{name}`"
        ))
    })
}

/// The rule that keeps sites apart: an actor limited to some sites changes only accounts
/// limited to sites it may see itself (never a group-wide account, which could see more).
fn check_manages(ledger: &Ledger, actor: &Actor, name: &str) -> Result<(), LedgerError> {
    if actor.scope().is_all() {
        return Ok(());
    }
    match ledger.account(name)? {
        Some(account) => check_binding(ledger, actor.scope(), &account.sites),
        None => Ok(()),
    }
}

/// Creates a console account (`account.add`): group-wide, so only a group-wide actor may.
pub fn add_account(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    role: AccountRole,
    password: &str,
    now: DateTime<Utc>,
) -> Result<daicho_ledger::AccountInfo, LedgerError> {
    ledger.atomically(|| {
        check_binding(ledger, actor.scope(), &[])?;
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
    })
}

/// Changes an account's role (`account.role`); never one's own, never the last admin's.
pub fn set_account_role(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    role: AccountRole,
    now: DateTime<Utc>,
) -> Result<daicho_ledger::AccountInfo, LedgerError> {
    ledger.atomically(|| {
        check_manages(ledger, actor, name)?;
        let before = existing(ledger, name)?;
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
    })
}

/// Sets a new password for an account (`account.password`; the log says only that it changed).
pub fn set_account_password(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.atomically(|| {
        check_manages(ledger, actor, name)?;
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
    })
}

/// Disables an account (`account.disable`); never one's own, never the last enabled admin.
pub fn disable_account(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<daicho_ledger::AccountInfo, LedgerError> {
    ledger.atomically(|| {
        check_manages(ledger, actor, name)?;
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
    })
}

/// Enables a disabled account again (`account.enable`).
pub fn enable_account(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<daicho_ledger::AccountInfo, LedgerError> {
    ledger.atomically(|| {
        check_manages(ledger, actor, name)?;
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
    })
}

/// The names of `sites` for the log (`すべてのサイト` for none).
fn site_names(ledger: &Ledger, sites: &[SiteId]) -> Result<Vec<String>, LedgerError> {
    sites
        .iter()
        .map(|s| ledger.site(*s).map(|site| site.name))
        .collect()
}

/// Limits an account to `sites`, or makes it group-wide with none (`account.sites`). The actor
/// may bind only sites it may see itself; never its own account, never the last enabled
/// group-wide 管理者 (someone must be able to manage every site from the console).
pub fn set_account_sites(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    sites: &[SiteId],
    now: DateTime<Utc>,
) -> Result<daicho_ledger::AccountInfo, LedgerError> {
    ledger.atomically(|| {
        check_manages(ledger, actor, name)?;
        check_binding(ledger, actor.scope(), sites)?;
        let before = existing(ledger, name)?;
        let mut wanted = sites.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        if before.sites == wanted {
            return Ok(before);
        }
        if actor.as_str() == name {
            return Err(LedgerError::Conflict(
                "自分のアカウントのサイトは変更できません。別の管理者に依頼してください / you cannot change your own account's sites".to_owned(),
            ));
        }
        let group_admins: Vec<String> = ledger
            .list_accounts()?
            .into_iter()
            .filter(|a| a.role == AccountRole::Admin && a.disabled_at.is_none())
            .filter(|a| a.sites.is_empty())
            .map(|a| a.name)
            .collect();
        if !wanted.is_empty() && group_admins == [name] {
            return Err(LedgerError::Conflict(format!(
                "「{name}」は最後のグループ全体の管理者なので、サイトを限定できません / `{name}` is the last group-wide admin"
            )));
        }
        let after = ledger.set_account_sites(name, &wanted)?;
        let (old, new) = (
            site_names(ledger, &before.sites)?,
            site_names(ledger, &after.sites)?,
        );
        let shown = if new.is_empty() {
            "すべてのサイト".to_owned()
        } else {
            new.join("、")
        };
        audit(
            ledger,
            actor,
            "account.sites",
            &account_target(name),
            &format!("アカウント「{name}」の対象サイトを{shown}に変更"),
            Some(json!({ "sites": old })),
            Some(json!({ "sites": new })),
            now,
        )?;
        Ok(after)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use daicho_ledger::{AccountRole, Ledger, LedgerOptions};

    use super::*;

    /// Two admins disabling each other at the same moment, through two handles on one file (as
    /// the server and the CLI would): the check and the change are one transaction, so exactly
    /// one succeeds and an enabled 管理者 remains. Many rounds, since a race shows only sometimes.
    #[test]
    fn two_admins_disabling_each_other_leave_one_enabled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.db");
        let first = Arc::new(Ledger::open(&path, LedgerOptions::default()).unwrap());
        let second = Arc::new(Ledger::open(&path, LedgerOptions::default()).unwrap());
        let (a, b) = ("kanri-a".to_owned(), "kanri-b".to_owned());
        for name in [&a, &b] {
            first
                .add_account(name, AccountRole::Admin, "correct horse battery")
                .unwrap();
        }
        for round in 0..100 {
            // Each round starts with both admins enabled.
            for name in [&a, &b] {
                first.enable_account(name).unwrap();
            }
            let barrier = Arc::new(Barrier::new(2));
            let runs = [(&first, &a, &b), (&second, &b, &a)].map(|(ledger, by, whom)| {
                let (ledger, barrier) = (Arc::clone(ledger), Arc::clone(&barrier));
                let (by, whom) = (by.clone(), whom.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    disable_account(&ledger, &Actor::account(&by), &whom, Utc::now()).is_ok()
                })
            });
            let succeeded = runs
                .into_iter()
                .map(|h| h.join().unwrap())
                .filter(|ok| *ok)
                .count();
            let enabled_admins = first
                .list_accounts()
                .unwrap()
                .into_iter()
                .filter(|x| x.role == AccountRole::Admin && x.disabled_at.is_none())
                .count();
            assert_eq!((succeeded, enabled_admins), (1, 1), "round {round}");
        }
    }
}
