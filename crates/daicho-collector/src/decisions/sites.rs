//! Adding sites (the hospitals of a group).

use chrono::{DateTime, Utc};
use daicho_ledger::{Ledger, LedgerError, Site};
use serde_json::json;

use super::{Actor, audit};

/// Adds a site (`site.add`); only a group-wide actor may.
pub fn add_site(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    label: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Site, LedgerError> {
    if !actor.scope().is_all() {
        return Err(LedgerError::Forbidden(
            "サイトを追加できるのはグループ全体の担当者だけです / only a group-wide account may add sites"
                .to_owned(),
        ));
    }
    ledger.atomically(|| {
        let site = ledger.add_site(name, label)?;
        audit(
            ledger,
            actor,
            "site.add",
            &format!("site:{}", site.id),
            &format!("サイト {}（{}）を追加", site.name, site.display_name()),
            None,
            Some(json!({ "id": site.id, "name": site.name, "label": site.label })),
            now,
        )?;
        Ok(site)
    })
}
