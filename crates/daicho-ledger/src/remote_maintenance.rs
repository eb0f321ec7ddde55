//! The remote-maintenance register (checklist 2-②): per device, its 保守事業者 and whether that
//! vendor reaches it remotely, as confirmed with whom on which day; and the devices that show a
//! remote-maintenance path (`daicho_policy::remote_paths`), which the operator asks about.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use daicho_model::remote_maintenance::{RemoteMaintenance, RemoteUse};
use serde_json::json;

use crate::db::{Conn, OptionalExtension, WriteLock, params};
use crate::events::{EventKind, record_event};
use crate::sites::SiteId;
use crate::time::to_db;
use crate::{Ledger, LedgerError};

/// The register entries of the devices of `site`, by device.
pub(crate) fn records_of_site(
    conn: &Conn,
    site: SiteId,
) -> Result<HashMap<i64, RemoteMaintenance>, LedgerError> {
    let rows = conn
        .prepare(
            "SELECT r.device_id, r.vendor, r.remote, r.method, r.confirmed_with, r.confirmed_on
             FROM remote_maintenance r JOIN devices d ON d.id = r.device_id
             WHERE d.site_id = ?1",
        )?
        .query_map(params![site.0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .map(
            |(id, vendor, remote, method, confirmed_with, confirmed_on)| {
                (
                    id,
                    record(vendor, &remote, method, confirmed_with, confirmed_on),
                )
            },
        )
        .collect())
}

fn record(
    vendor: String,
    remote: &str,
    method: String,
    confirmed_with: String,
    confirmed_on: Option<String>,
) -> RemoteMaintenance {
    RemoteMaintenance {
        vendor,
        remote: RemoteUse::parse(remote).unwrap_or_default(),
        method,
        confirmed_with,
        confirmed_on: confirmed_on.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
    }
}

/// The device's register entry, if any.
pub(crate) fn record_of(
    conn: &Conn,
    device_id: i64,
) -> Result<Option<RemoteMaintenance>, LedgerError> {
    Ok(conn
        .query_row(
            "SELECT vendor, remote, method, confirmed_with, confirmed_on
             FROM remote_maintenance WHERE device_id = ?1",
            params![device_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?
        .map(|(vendor, remote, method, confirmed_with, confirmed_on)| {
            record(vendor, &remote, method, confirmed_with, confirmed_on)
        }))
}

impl Ledger {
    /// The register entry of `device_id`, if any.
    pub fn remote_maintenance(
        &self,
        device_id: i64,
    ) -> Result<Option<RemoteMaintenance>, LedgerError> {
        self.read(|conn| record_of(conn, device_id))
    }

    /// Records `record` as the register entry of `device_id` (a device not merged away) at
    /// `now`, with a history event; returns the entry it replaced. Texts are trimmed and bounded
    /// (`RemoteMaintenance::checked`); a confirmation day in the future is refused.
    pub fn set_remote_maintenance(
        &self,
        device_id: i64,
        record: RemoteMaintenance,
        now: DateTime<Utc>,
    ) -> Result<Option<RemoteMaintenance>, LedgerError> {
        let record = record.checked().map_err(|field| {
            LedgerError::Invalid(format!(
                "{field}: at most {} characters, no control characters",
                daicho_model::remote_maintenance::MAX_REGISTER_TEXT_CHARS
            ))
        })?;
        if record.confirmed_on.is_some_and(|d| d > now.date_naive()) {
            return Err(LedgerError::Invalid(format!(
                "confirmed_on {} is in the future",
                record.confirmed_on.unwrap_or_default()
            )));
        }
        let at = to_db(now);
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Deferred)?;
            tx.query_row(
                "SELECT 1 FROM devices WHERE id = ?1 AND merged_into IS NULL",
                params![device_id],
                |_| Ok(()),
            )
            .optional()?
            .ok_or(LedgerError::NoSuchDevice(device_id))?;
            let before = record_of(&tx, device_id)?;
            let confirmed_on = record.confirmed_on.map(|d| d.to_string());
            tx.execute(
                "INSERT INTO remote_maintenance
                   (device_id, vendor, remote, method, confirmed_with, confirmed_on, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (device_id) DO UPDATE SET vendor = excluded.vendor,
                   remote = excluded.remote, method = excluded.method,
                   confirmed_with = excluded.confirmed_with,
                   confirmed_on = excluded.confirmed_on, updated_at = excluded.updated_at",
                params![
                    device_id,
                    record.vendor,
                    record.remote.as_str(),
                    record.method,
                    record.confirmed_with,
                    confirmed_on,
                    at
                ],
            )?;
            record_event(
                &tx,
                device_id,
                EventKind::RemoteMaintenanceRecorded,
                &at,
                None,
                &json!({"vendor": record.vendor, "remote": record.remote.as_str(),
                        "method": record.method, "confirmed_with": record.confirmed_with,
                        "confirmed_on": confirmed_on}),
            )?;
            tx.commit()?;
            Ok(before)
        })
    }
}
