//! What "registered" means, once: a device is in the ledger (機器台帳に登録済み) when it holds a
//! 管理番号 or a 登録日. The flags (`unregistered`), the ledger rows and exports, the checklist's
//! 2-① list, triage and the audit log's `device.register` all ask here.

use crate::query::LedgerFields;

/// SQL over `devices` (unqualified columns): the device is registered. Never NULL, so `NOT` of
/// it is safe. A macro so that other SQL constants can be built from it with `concat!`.
macro_rules! registered_sql {
    () => {
        "(asset_no IS NOT NULL OR registered_on IS NOT NULL)"
    };
}
pub(crate) use registered_sql;

/// [`registered_sql!`] as a constant, for `format!`ed queries.
pub(crate) const REGISTERED: &str = registered_sql!();

impl LedgerFields {
    /// Whether these ledger fields make the device registered (a 管理番号 or a 登録日).
    pub fn is_registered(&self) -> bool {
        self.asset_no.is_some() || self.registered_on.is_some()
    }
}
