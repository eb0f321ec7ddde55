//! Collector settings people see: the facility name (医療機関名).

use chrono::{DateTime, Utc};
use daicho_ledger::{Ledger, LedgerError};
use serde_json::json;

use super::{Actor, audit};

/// Sets the facility name printed on every page (医療機関名): the group's, so only a group-wide
/// actor may.
pub fn set_facility_name(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.atomically(|| {
        crate::site_access::check_binding(ledger, actor.scope(), &[])?;
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
    })
}
