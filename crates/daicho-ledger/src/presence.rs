//! Presence: marking devices gone when no report has seen them for `gone_after_days`.

use crate::db::{WriteLock, params};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::events::{EventKind, record_event};
use crate::time::to_db;
use crate::{Ledger, LedgerError};

impl Ledger {
    /// Marks every present device not seen since `now - gone_after_days` as gone and records a
    /// `gone` event for each (its report id is the last report that saw the device). Returns
    /// the ids marked. A gone device seen again gets a `returned` event at ingest.
    pub fn sweep_gone(&self, now: DateTime<Utc>) -> Result<Vec<i64>, LedgerError> {
        let days = self.options().gone_after_days;
        let cutoff = to_db(now - Duration::days(i64::from(days)));
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Deferred)?;
            let gone: Vec<(i64, String, Option<String>)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, last_seen, last_report_id FROM devices
                     WHERE presence = 'present' AND merged_into IS NULL AND last_seen < ?1",
                )?;
                let rows =
                    stmt.query_map(params![cutoff], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            for (id, last_seen, report) in &gone {
                tx.execute(
                    "UPDATE devices SET presence = 'gone' WHERE id = ?1",
                    params![id],
                )?;
                record_event(
                    &tx,
                    *id,
                    EventKind::Gone,
                    &at,
                    report.as_deref(),
                    &json!({"last_seen": last_seen, "gone_after_days": days}),
                )?;
            }
            tx.commit()?;
            if !gone.is_empty() {
                tracing::info!(count = gone.len(), days, "devices marked gone");
            }
            Ok(gone.into_iter().map(|(id, ..)| id).collect())
        })
    }
}
