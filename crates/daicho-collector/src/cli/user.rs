//! `user add|list|passwd|disable`: the web console's accounts. A password is never an argument
//! (it would stay in the shell history and show in `ps`): on a terminal it is asked twice
//! without echo, otherwise the first line of stdin is the password. Every change is recorded
//! in the audit log as `cli:$USER`, through [`crate::decisions`] as the console's are.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use chrono::Utc;
use clap::Subcommand;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use daicho_ledger::time::from_db;
use daicho_ledger::{AccountInfo, AccountRole, Ledger};
use daicho_ledger_io::text::terminal_text;

use super::{CliError, Format};
use crate::decisions::{self, Actor};

/// `user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a console account; the password is read from stdin (asked twice on a terminal).
    Add {
        /// The login name (case-sensitive, no spaces).
        name: String,
        /// What the account may do: admin (管理者), operator (運用担当) or viewer (閲覧).
        #[arg(
            long,
            value_parser = PossibleValuesParser::new(AccountRole::ALL.map(AccountRole::as_str))
                .try_map(|s| s.parse::<AccountRole>())
        )]
        role: AccountRole,
    },
    /// List the console accounts (never their password hashes).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Set a new password, read from stdin as for `add`; also clears a login lock.
    Passwd {
        /// The login name.
        name: String,
    },
    /// Disable an account: it can no longer sign in.
    Disable {
        /// The login name.
        name: String,
    },
}

/// Runs a `user` subcommand.
pub(super) fn run(ledger: &Ledger, cmd: UserCommand) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let actor = Actor::cli();
    match cmd {
        UserCommand::Add { name, role } => {
            let password = read_new_password(&name)?;
            let info =
                decisions::add_account(ledger, &actor, &name, role, &password, ledger.now())?;
            writeln!(
                out,
                "added account {} ({}, {})",
                terminal_text(&info.name),
                info.role.as_str(),
                info.role.label()
            )?;
        }
        UserCommand::List { format } => {
            let accounts = ledger.list_accounts()?;
            if format == Format::Json {
                writeln!(
                    out,
                    "{}",
                    daicho_ledger_io::text::terminal_json(
                        &serde_json::to_string_pretty(&accounts).unwrap_or_default()
                    )
                )?;
            } else {
                writeln!(
                    out,
                    "{:>4}  {:<9} {:<24} {:<9} {:<27} CREATED",
                    "ID", "ROLE", "NAME", "STATE", "LAST LOGIN"
                )?;
                for a in accounts {
                    writeln!(
                        out,
                        "{:>4}  {:<9} {:<24} {:<9} {:<27} {}",
                        a.id,
                        a.role.as_str(),
                        terminal_text(&a.name),
                        state(&a, ledger.now()),
                        a.last_login_at.as_deref().unwrap_or("-"),
                        a.created_at
                    )?;
                }
            }
        }
        UserCommand::Passwd { name } => {
            // Fail before asking for a password nobody can use.
            if ledger.account(&name)?.is_none() {
                return Err(CliError::Usage(format!(
                    "アカウント「{0}」はありません / no account named `{0}`",
                    terminal_text(&name)
                )));
            }
            let password = read_new_password(&name)?;
            decisions::set_account_password(ledger, &actor, &name, &password, ledger.now())?;
            writeln!(out, "changed the password of {}", terminal_text(&name))?;
        }
        UserCommand::Disable { name } => {
            let info = decisions::disable_account(ledger, &actor, &name, ledger.now())?;
            writeln!(out, "disabled account {}", terminal_text(&info.name))?;
        }
    }
    Ok(())
}

/// `disabled`, `locked` (a lock still in force) or `active`.
fn state(a: &AccountInfo, now: chrono::DateTime<Utc>) -> &'static str {
    if a.disabled_at.is_some() {
        "disabled"
    } else if a
        .locked_until
        .as_deref()
        .and_then(from_db)
        .is_some_and(|u| u > now)
    {
        "locked"
    } else {
        "active"
    }
}

/// Reads a new password: on a terminal asked twice without echo, otherwise the first line of
/// stdin (without its line ending). The ledger checks the rules.
fn read_new_password(name: &str) -> Result<String, CliError> {
    let stdin_error = |source| CliError::File {
        path: "stdin".into(),
        source,
    };
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password(format!(
            "「{}」の新しいパスワード / new password: ",
            terminal_text(name)
        ))
        .map_err(stdin_error)?;
        let again = rpassword::prompt_password("もう一度 / again: ").map_err(stdin_error)?;
        if first != again {
            return Err(CliError::Usage(
                "パスワードが一致しません / the passwords do not match".into(),
            ));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(stdin_error)?;
        let password = line.strip_suffix('\n').unwrap_or(&line);
        let password = password.strip_suffix('\r').unwrap_or(password);
        Ok(password.to_owned())
    }
}
