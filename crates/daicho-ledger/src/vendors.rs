//! Vendors re-resolved from the registry in use: when a data bundle brings a newer registry,
//! every device's vendor follows without a new scan.

use daicho_model::MacAddr;
use rusqlite::{TransactionBehavior, params};

use crate::{Ledger, LedgerError};

impl Ledger {
    /// Sets each live device's vendor and randomized bit to what `resolve(mac)` says (the
    /// collector's registry), where they differ, in one transaction; returns how many devices
    /// changed. Devices without a MAC keep theirs.
    pub fn resolve_vendors(
        &self,
        resolve: impl Fn(MacAddr) -> (Option<String>, bool),
    ) -> Result<usize, LedgerError> {
        self.write(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let devices: Vec<(i64, String, Option<String>, bool)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, mac, vendor, mac_randomized FROM devices
                     WHERE merged_into IS NULL AND mac IS NOT NULL",
                )?;
                let rows =
                    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut changed = 0;
            for (id, mac, vendor, randomized) in devices {
                let Ok(mac) = mac.parse::<MacAddr>() else {
                    continue;
                };
                let (new_vendor, new_randomized) = resolve(mac);
                if new_vendor != vendor || new_randomized != randomized {
                    tx.execute(
                        "UPDATE devices SET vendor = ?2, mac_randomized = ?3 WHERE id = ?1",
                        params![id, new_vendor, new_randomized],
                    )?;
                    changed += 1;
                }
            }
            tx.commit()?;
            Ok(changed)
        })
    }
}
