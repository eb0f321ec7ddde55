//! Triage of devices nobody registered: the operator either registers one (a ledger edit) or
//! states what it is — a known personal device (私物), a visitor's (来訪者), or one taken off
//! the network (撤去) — so that it stops reappearing as new.
//!
//! A personal or visitor device stays known; a removed one only until it is seen again, when
//! it is unregistered (and alerted) once more. A registered device has no disposition.

use std::fmt;
use std::str::FromStr;

use crate::db::{WriteLock, params};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::events::{EventKind, record_event};
use crate::operator::live_device;
use crate::query::{DeviceDetail, device_detail};
use crate::registration::{REGISTERED, registered_sql};
use crate::time::to_db;
use crate::{Ledger, LedgerError, flags};

/// What an operator says an unregistered device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// A staff member's own device (私物).
    Personal,
    /// A visitor's or vendor's device (来訪者).
    Visitor,
    /// Taken off the network (撤去).
    Removed,
}

impl Disposition {
    /// Every disposition, in the order the console offers them.
    pub const ALL: [Self; 3] = [Self::Personal, Self::Visitor, Self::Removed];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Personal => "personal",
            Self::Visitor => "visitor",
            Self::Removed => "removed",
        }
    }

    /// The Japanese label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Personal => "私物",
            Self::Visitor => "来訪者",
            Self::Removed => "撤去済み",
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Disposition {
    type Err = LedgerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                LedgerError::Invalid(format!(
                    "disposition `{s}` is not personal, visitor or removed"
                ))
            })
    }
}

/// SQL over `devices`: the operator's decision about this unregistered device still holds (the
/// one definition of "known outside the ledger", used by the flags and the ledger rows). Never
/// NULL, so `NOT` of it is safe.
pub(crate) const KNOWN_OUTSIDE_LEDGER: &str = concat!(
    "(NOT ",
    registered_sql!(),
    " AND disposition IS NOT NULL \
     AND (disposition IN ('personal', 'visitor') OR last_seen <= disposition_at))"
);

impl Ledger {
    /// Records what an unregistered device is (or clears it with `None`); its flags follow (a
    /// known device is no longer `unregistered`). Refused for a registered device.
    pub fn set_disposition(
        &self,
        id: i64,
        disposition: Option<Disposition>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<DeviceDetail, LedgerError> {
        let at = to_db(now);
        let policy = self.policy();
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Exclusive)?;
            live_device(&tx, id)?;
            let (registered, old): (bool, Option<String>) = tx.query_row(
                &format!("SELECT {REGISTERED}, disposition FROM devices WHERE id = ?1"),
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if registered && disposition.is_some() {
                return Err(LedgerError::Invalid(format!(
                    "機器 {id} は台帳に登録されています（管理番号または登録日）。私物・来訪者・撤去として記録するには、先に台帳から外してください / device {id} is registered"
                )));
            }
            let new = disposition.map(Disposition::as_str);
            tx.execute(
                "UPDATE devices SET disposition = ?2, disposition_at = ?3, disposition_by = ?4
                 WHERE id = ?1",
                params![id, new, new.map(|_| at.as_str()), new.map(|_| by)],
            )?;
            if old.as_deref() != new {
                record_event(
                    &tx,
                    id,
                    EventKind::LedgerUpdated,
                    &at,
                    None,
                    &json!({ "disposition": { "from": old, "to": new } }),
                )?;
            }
            flags::recompute(&tx, &policy, id, &at, None)?;
            let detail = device_detail(&tx, id)?;
            tx.commit()?;
            Ok(detail)
        })
    }
}
