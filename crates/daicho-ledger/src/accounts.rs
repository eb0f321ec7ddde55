//! Operator console accounts: a name, a role and an argon2id password hash (a PHC string; the
//! hash never leaves this module), with the login lockout rule in [`Ledger::authenticate`].
//!
//! These are people signing in to the web console; the agents' and scripts' bearer tokens are
//! [`crate::tokens`]. The methods here change accounts only: the caller records the decision
//! in the audit log ([`crate::audit`]).

use std::fmt;
use std::str::FromStr;

use crate::db::{Conn, OptionalExtension, WriteLock, params};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::sites::{SiteId, SiteScope, bind_sites, bound_sites};
use crate::time::{from_db, to_db};
use crate::{Ledger, LedgerError};

/// This many failed logins in a row lock an account (see [`Ledger::authenticate`]).
pub const LOCK_AFTER_FAILURES: u32 = 5;

/// How long a locked account stays locked.
pub const LOCK_FOR: Duration = Duration::minutes(15);

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The longest password accepted, in characters (a bound on what one login may make us hash).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// The longest account name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A hash of a random password nobody knows, with the default parameters every account gets:
/// an unknown name is verified against it so that it costs as much as a known one.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$hdfRqTwlnrRwe/UoUw0fPQ$vEGiOATg+DwkHy5RU31S32PA752l5a3AgIY5T4YXNZ8";

/// What a console account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountRole {
    /// Everything an operator may, plus accounts, tokens and settings.
    Admin,
    /// Reads the ledger and makes the operator decisions (register, exceptions, alerts…).
    Operator,
    /// Reads only.
    Viewer,
}

impl AccountRole {
    /// Every role, most powerful first.
    pub const ALL: [Self; 3] = [Self::Admin, Self::Operator, Self::Viewer];

    /// The stored (and wire) name: `admin`, `operator`, `viewer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Operator => "operator",
            Self::Viewer => "viewer",
        }
    }

    /// The Japanese name shown to people: 管理者, 運用担当, 閲覧.
    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "管理者",
            Self::Operator => "運用担当",
            Self::Viewer => "閲覧",
        }
    }

    /// May make operator decisions on the ledger (admin and operator).
    pub fn can_decide(self) -> bool {
        matches!(self, Self::Admin | Self::Operator)
    }

    /// May manage accounts, tokens and settings (admin only).
    pub fn can_administer(self) -> bool {
        self == Self::Admin
    }
}

impl fmt::Display for AccountRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccountRole {
    type Err = LedgerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                LedgerError::Invalid(format!(
                    "役割「{s}」はありません (admin, operator, viewer のいずれか) / unknown role `{s}`: use admin, operator or viewer"
                ))
            })
    }
}

/// A stored account, never its password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountInfo {
    /// Account id.
    pub id: i64,
    /// The login name (case-sensitive).
    pub name: String,
    /// What it may do.
    pub role: AccountRole,
    /// When it was created.
    pub created_at: String,
    /// When it was disabled, if it is.
    pub disabled_at: Option<String>,
    /// Until when failed logins keep it locked, if they did (may be in the past).
    pub locked_until: Option<String>,
    /// When it last signed in.
    pub last_login_at: Option<String>,
    /// Failed logins since the last success or lock.
    pub failed_logins: u32,
    /// The sites it may see and change (none: every site, a group-wide account).
    pub sites: Vec<SiteId>,
}

impl AccountInfo {
    /// The sites this account may see and change.
    pub fn scope(&self) -> SiteScope {
        SiteScope::from_bindings(&self.sites)
    }
}

/// The answer to a login attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LoginOutcome {
    /// Name and password match an enabled, unlocked account.
    Ok(AccountInfo),
    /// The name is unknown or the password wrong (the two are not told apart).
    BadCredentials,
    /// Too many failed logins; no password is checked until `until`.
    Locked {
        /// When the lock ends (as stored, RFC 3339 UTC).
        until: String,
    },
    /// The account is disabled (only said when the password was right).
    Disabled,
}

const COLUMNS: &str =
    "id, name, role, created_at, disabled_at, locked_until, last_login_at, failed_logins";

fn account_from_row(r: &crate::db::Row<'_>) -> crate::db::Result<AccountInfo> {
    let role: String = r.get(2)?;
    Ok(AccountInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        // The CHECK constraint admits only the three names.
        role: role.parse().unwrap_or(AccountRole::Viewer),
        created_at: r.get(3)?,
        disabled_at: r.get(4)?,
        locked_until: r.get(5)?,
        last_login_at: r.get(6)?,
        failed_logins: r.get::<_, i64>(7)?.try_into().unwrap_or(u32::MAX),
        sites: Vec::new(),
    })
}

/// `account` with its stored site bindings.
fn with_sites(conn: &Conn, mut account: AccountInfo) -> Result<AccountInfo, LedgerError> {
    account.sites = bound_sites(conn, "account_sites", "account_id", account.id)?;
    Ok(account)
}

fn load(conn: &Conn, name: &str) -> Result<Option<AccountInfo>, LedgerError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM accounts WHERE name = ?1"))?
        .query_row(params![name], account_from_row)
        .optional()?
        .map(|a| with_sites(conn, a))
        .transpose()
}

fn no_such_account(name: &str) -> LedgerError {
    LedgerError::Invalid(format!(
        "アカウント「{name}」はありません / no account named `{name}`"
    ))
}

/// The invisible characters that make two names look alike or reorder what is shown:
/// zero-width spaces and joiners, direction marks, bidirectional overrides and isolates, the BOM.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Checks a login name: 1–64 characters, none of them whitespace, control or invisible
/// characters or `:` (audit actors `token:NAME` and `cli:USER` use the colon, so an account can
/// never pose as one).
fn check_name(name: &str) -> Result<(), LedgerError> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(LedgerError::Invalid(format!(
            "アカウント名は 1〜{MAX_NAME_CHARS} 文字にしてください / an account name must be 1–{MAX_NAME_CHARS} characters"
        )));
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || invisible(c) || c == ':')
    {
        return Err(LedgerError::Invalid(
            "アカウント名に空白・制御文字・見えない文字・「:」は使えません / an account name must not contain whitespace, control or invisible characters or `:`".to_owned(),
        ));
    }
    Ok(())
}

/// Checks a new password against the rules: at least [`MIN_PASSWORD_CHARS`] characters, at
/// most [`MAX_PASSWORD_CHARS`], and not the account name.
fn check_password(name: &str, password: &str) -> Result<(), LedgerError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(LedgerError::Invalid(format!(
            "パスワードは {MIN_PASSWORD_CHARS} 文字以上にしてください / a password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(LedgerError::Invalid(format!(
            "パスワードは {MAX_PASSWORD_CHARS} 文字以下にしてください / a password must be at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    if password == name {
        return Err(LedgerError::Invalid(
            "パスワードにアカウント名は使えません / the password must not be the account name"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Hashes a password with argon2id, default parameters and a fresh 16-byte salt, as a PHC
/// string. Takes tens of milliseconds: never call it with the writer held.
fn hash_password(password: &str) -> Result<String, LedgerError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| LedgerError::Random(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| {
            LedgerError::Invalid(format!(
                "パスワードをハッシュできません / cannot hash the password: {e}"
            ))
        })?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash`. As slow as [`hash_password`].
fn verify_password(password: &str, hash: &str) -> bool {
    match Argon2::default().verify_password(password.as_bytes(), hash) {
        Ok(()) => true,
        Err(argon2::password_hash::Error::PasswordInvalid) => false,
        Err(e) => {
            tracing::warn!(error = %daicho_model::display_text::log_text(&e), "a stored password hash cannot be verified");
            false
        }
    }
}

/// What a login needs to know about an account before checking its password.
struct LoginState {
    id: i64,
    hash: String,
    disabled: bool,
    locked_until: Option<String>,
    failed_logins: i64,
}

fn login_state(conn: &Conn, name: &str) -> Result<Option<LoginState>, LedgerError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, password_hash, disabled_at IS NOT NULL, locked_until, failed_logins
             FROM accounts WHERE name = ?1",
        )?
        .query_row(params![name], |r| {
            Ok(LoginState {
                id: r.get(0)?,
                hash: r.get(1)?,
                disabled: r.get(2)?,
                locked_until: r.get(3)?,
                failed_logins: r.get(4)?,
            })
        })
        .optional()?)
}

/// `until` when it is a lock still in force at `now`.
fn lock_in_force(locked_until: Option<&str>, now: DateTime<Utc>) -> Option<String> {
    locked_until
        .filter(|u| from_db(u).is_some_and(|u| u > now))
        .map(str::to_owned)
}

impl Ledger {
    /// Creates an account. The name is 1–64 characters without whitespace, control or
    /// invisible characters (zero-width, bidirectional controls) or `:`; the password at least [`MIN_PASSWORD_CHARS`] characters and not the name
    /// ([`LedgerError::Invalid`] otherwise); a name already taken is
    /// [`LedgerError::Conflict`]. Names are case-sensitive.
    pub fn add_account(
        &self,
        name: &str,
        role: AccountRole,
        password: &str,
    ) -> Result<AccountInfo, LedgerError> {
        check_name(name)?;
        check_password(name, password)?;
        let taken = || {
            LedgerError::Conflict(format!(
                "アカウント「{name}」は既にあります / an account named `{name}` already exists"
            ))
        };
        if self.account(name)?.is_some() {
            return Err(taken());
        }
        let hash = hash_password(password)?;
        let now = to_db(self.now());
        self.write(|conn| {
            if load(conn, name)?.is_some() {
                return Err(taken());
            }
            conn.execute(
                "INSERT INTO accounts (name, role, password_hash, created_at, password_changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![name, role.as_str(), hash, now],
            )?;
            load(conn, name)?.ok_or_else(|| no_such_account(name))
        })
    }

    /// Replaces an account's password (same rules as [`Ledger::add_account`]) and clears its
    /// failed logins and lock.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), LedgerError> {
        check_password(name, password)?;
        if self.account(name)?.is_none() {
            return Err(no_such_account(name));
        }
        let hash = hash_password(password)?;
        let now = to_db(self.now());
        let n = self.write(|conn| {
            Ok(conn.execute(
                "UPDATE accounts SET password_hash = ?2, password_changed_at = ?3,
                     failed_logins = 0, locked_until = NULL
                 WHERE name = ?1",
                params![name, hash, now],
            )?)
        })?;
        if n == 0 {
            return Err(no_such_account(name));
        }
        Ok(())
    }

    /// Changes an account's role.
    pub fn set_account_role(
        &self,
        name: &str,
        role: AccountRole,
    ) -> Result<AccountInfo, LedgerError> {
        self.write(|conn| {
            conn.execute(
                "UPDATE accounts SET role = ?2 WHERE name = ?1",
                params![name, role.as_str()],
            )?;
            load(conn, name)?.ok_or_else(|| no_such_account(name))
        })
    }

    /// Disables an account: it can no longer sign in. Clears its lock; disabling a disabled
    /// account keeps the first date.
    pub fn disable_account(&self, name: &str) -> Result<AccountInfo, LedgerError> {
        let now = to_db(self.now());
        self.write(|conn| {
            conn.execute(
                "UPDATE accounts SET disabled_at = COALESCE(disabled_at, ?2),
                     failed_logins = 0, locked_until = NULL
                 WHERE name = ?1",
                params![name, now],
            )?;
            load(conn, name)?.ok_or_else(|| no_such_account(name))
        })
    }

    /// Enables a disabled account again, with no failed logins counted.
    pub fn enable_account(&self, name: &str) -> Result<AccountInfo, LedgerError> {
        self.write(|conn| {
            conn.execute(
                "UPDATE accounts SET disabled_at = NULL, failed_logins = 0, locked_until = NULL
                 WHERE name = ?1",
                params![name],
            )?;
            load(conn, name)?.ok_or_else(|| no_such_account(name))
        })
    }

    /// Every account, disabled ones included, by id.
    pub fn list_accounts(&self) -> Result<Vec<AccountInfo>, LedgerError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM accounts ORDER BY id"))?;
            let rows = stmt.query_map([], account_from_row)?;
            let accounts = rows.collect::<Result<Vec<_>, _>>()?;
            accounts.into_iter().map(|a| with_sites(conn, a)).collect()
        })
    }

    /// Limits an account to `sites` (none: every site, a group-wide account).
    pub fn set_account_sites(
        &self,
        name: &str,
        sites: &[SiteId],
    ) -> Result<AccountInfo, LedgerError> {
        self.write(|conn| {
            let account = load(conn, name)?.ok_or_else(|| no_such_account(name))?;
            bind_sites(conn, "account_sites", "account_id", account.id, sites)?;
            load(conn, name)?.ok_or_else(|| no_such_account(name))
        })
    }

    /// The account with exactly this name, if any.
    pub fn account(&self, name: &str) -> Result<Option<AccountInfo>, LedgerError> {
        self.read(|conn| load(conn, name))
    }

    /// Checks a login at `now`. This is the one definition of the login rule:
    ///
    /// - an unknown name still costs one argon2 verification (against a fixed dummy hash), so
    ///   the time taken does not tell which names exist, and is [`LoginOutcome::BadCredentials`];
    /// - a disabled account is [`LoginOutcome::Disabled`] when the password is right and
    ///   `BadCredentials` otherwise (its failures are not counted);
    /// - while an account is locked its password is not even checked:
    ///   [`LoginOutcome::Locked`];
    /// - a wrong password counts one failure; [`LOCK_AFTER_FAILURES`] failures in a row lock
    ///   the account for [`LOCK_FOR`] from the last one; once a lock has run out the count
    ///   starts again from zero;
    /// - the right password resets the count, clears the lock and sets `last_login_at`:
    ///   [`LoginOutcome::Ok`].
    ///
    /// The password is verified without the writer held; the count is updated in one write
    /// that re-reads the account, so concurrent attempts each count.
    pub fn authenticate(
        &self,
        name: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<LoginOutcome, LedgerError> {
        let Some(state) = self.read(|conn| login_state(conn, name))? else {
            let _ = verify_password(password, DUMMY_HASH);
            return Ok(LoginOutcome::BadCredentials);
        };
        if state.disabled {
            return Ok(if verify_password(password, &state.hash) {
                LoginOutcome::Disabled
            } else {
                LoginOutcome::BadCredentials
            });
        }
        if let Some(until) = lock_in_force(state.locked_until.as_deref(), now) {
            return Ok(LoginOutcome::Locked { until });
        }
        let right = verify_password(password, &state.hash);
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Deferred)?;
            // Re-read: another attempt may have locked, disabled or changed it meanwhile.
            let Some(fresh) = login_state(&tx, name)?.filter(|s| s.id == state.id) else {
                return Ok(LoginOutcome::BadCredentials);
            };
            if fresh.hash != state.hash {
                // The password changed while we checked the old one: try again.
                return Ok(LoginOutcome::BadCredentials);
            }
            if fresh.disabled {
                return Ok(if right {
                    LoginOutcome::Disabled
                } else {
                    LoginOutcome::BadCredentials
                });
            }
            if let Some(until) = lock_in_force(fresh.locked_until.as_deref(), now) {
                return Ok(LoginOutcome::Locked { until });
            }
            let outcome = if right {
                tx.execute(
                    "UPDATE accounts SET failed_logins = 0, locked_until = NULL, last_login_at = ?2
                     WHERE id = ?1",
                    params![fresh.id, at],
                )?;
                let info = load(&tx, name)?.ok_or_else(|| no_such_account(name))?;
                LoginOutcome::Ok(info)
            } else {
                // A lock that ran out starts the count again.
                let before = if fresh.locked_until.is_some() {
                    0
                } else {
                    fresh.failed_logins
                };
                let failures = before + 1;
                let locked_until =
                    (failures >= i64::from(LOCK_AFTER_FAILURES)).then(|| to_db(now + LOCK_FOR));
                tx.execute(
                    "UPDATE accounts SET failed_logins = ?2, locked_until = ?3 WHERE id = ?1",
                    params![fresh.id, failures, locked_until],
                )?;
                LoginOutcome::BadCredentials
            };
            tx.commit()?;
            Ok(outcome)
        })
    }
}

#[cfg(test)]
mod tests {
    use argon2::Params;
    use argon2::password_hash::phc::PasswordHash;

    use super::*;

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let real = hash_password("correct horse battery").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        let (dummy, default) = (Params::try_from(&dummy).unwrap(), Params::default());
        assert_eq!(
            (dummy.m_cost(), dummy.t_cost(), dummy.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost()),
            "DUMMY_HASH must use the default parameters"
        );
    }

    #[test]
    fn a_hash_is_an_argon2id_phc_string_that_verifies() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batter", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn roles_round_trip_and_rank() {
        for r in AccountRole::ALL {
            assert_eq!(r.as_str().parse::<AccountRole>().unwrap(), r);
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::json!(r.as_str())
            );
        }
        assert!("Admin".parse::<AccountRole>().is_err());
        assert!(AccountRole::Operator.can_decide() && !AccountRole::Operator.can_administer());
        assert!(!AccountRole::Viewer.can_decide());
        assert!(AccountRole::Admin.can_administer());
        assert_eq!(AccountRole::Operator.label(), "運用担当");
    }
}
