//! Operator decisions, each run on the ledger and written to the audit log (who, when, what,
//! before → after) in one place, so the console, the API and the CLI record them alike.
//!
//! Each decision runs in [`Ledger::atomically`]: its checks, its writes and its audit entry are
//! one transaction, so a decision never takes effect without its entry (a failed audit write
//! undoes it) and no other write slips between a check and the change it allows.
//!
//! The actor is a console account name, `token:NAME` for an operator token, or `cli:USER`.

use chrono::{DateTime, Utc};
use daicho_ledger::audit::NewAudit;
use daicho_ledger::{Ledger, LedgerError, LedgerFields, SiteScope};
use serde_json::Value;

mod accounts;
mod devices;
mod exceptions;
mod ledger_files;
mod remote_maintenance;
mod settings;
mod sites;
mod tokens;

pub use accounts::*;
pub use devices::*;
pub use exceptions::*;
pub use ledger_files::*;
pub use remote_maintenance::*;
pub use settings::*;
pub use sites::*;
pub use tokens::*;

/// Who made a decision, as the audit log names them, and the sites they may decide on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    name: String,
    scope: SiteScope,
}

impl Actor {
    /// A console account (of every site until [`Actor::limited_to`] narrows it).
    pub fn account(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            scope: SiteScope::All,
        }
    }

    /// An operator bearer token (of every site until [`Actor::limited_to`] narrows it).
    pub fn token(name: &str) -> Self {
        Self {
            name: format!("token:{name}"),
            scope: SiteScope::All,
        }
    }

    /// The command line, run by this OS user (`$USER`, `root` when unset): every site (who can
    /// run it can read the database file).
    pub fn cli() -> Self {
        let user = std::env::var("USER").unwrap_or_else(|_| "root".to_owned());
        Self {
            name: format!("cli:{user}"),
            scope: SiteScope::All,
        }
    }

    /// The same actor, allowed only the sites of `scope`.
    #[must_use]
    pub fn limited_to(mut self, scope: SiteScope) -> Self {
        self.scope = scope;
        self
    }

    /// The name written to the audit log.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The sites this actor may see and decide on.
    pub fn scope(&self) -> &SiteScope {
        &self.scope
    }
}

/// Writes the decision's one audit entry; called inside the decision's [`Ledger::atomically`].
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

pub(crate) fn device_target(id: i64) -> String {
    format!("device:{id}")
}

pub(crate) fn fields_json(fields: &LedgerFields) -> Value {
    serde_json::to_value(fields).unwrap_or(Value::Null)
}
