//! Vendors re-resolved from the registry in use: when a data bundle brings a newer registry or
//! medical-maker list, every device's vendor, randomized bit and medical status follow without
//! a new scan.

use crate::db::{WriteLock, params};
use daicho_model::MacAddr;

use crate::{Ledger, LedgerError};

impl Ledger {
    /// Sets each live device's vendor and randomized bit to what `resolve(mac)` says (the
    /// collector's data: vendor, randomized, medical maker), and makes a medical maker's device
    /// medical (never the reverse: a device stays medical once judged so), where they differ,
    /// in one transaction; returns how many devices changed. Devices without a MAC keep theirs.
    pub fn resolve_vendors(
        &self,
        resolve: impl Fn(MacAddr) -> (Option<String>, bool, bool),
    ) -> Result<usize, LedgerError> {
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Exclusive)?;
            let devices: Vec<(i64, String, Option<String>, bool, String)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, mac, vendor, mac_randomized, os_family FROM devices
                     WHERE merged_into IS NULL AND mac IS NOT NULL",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?;
                rows.collect::<Result<_, _>>()?
            };
            let mut changed = 0;
            for (id, mac, vendor, randomized, family) in devices {
                let Ok(mac) = mac.parse::<MacAddr>() else {
                    continue;
                };
                let (new_vendor, new_randomized, medical) = resolve(mac);
                let new_family = if medical { "medical" } else { family.as_str() };
                if new_vendor != vendor || new_randomized != randomized || new_family != family {
                    tx.execute(
                        "UPDATE devices SET vendor = ?2, mac_randomized = ?3, os_family = ?4
                         WHERE id = ?1",
                        params![id, new_vendor, new_randomized, new_family],
                    )?;
                    changed += 1;
                }
            }
            tx.commit()?;
            Ok(changed)
        })
    }
}
