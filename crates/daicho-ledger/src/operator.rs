//! Operators' decisions: the ledger fields, and merging or splitting devices by hand.
//!
//! A merge moves every identity key of the merged-away device to the kept one and *pins* them;
//! a split moves the named MACs to a new device and pins them there (and pins the MACs the
//! original keeps). Identity matching tries pinned keys before anything else, so later scans
//! follow the operator's decision instead of undoing it.

use crate::db::{Conn, OptionalExtension, WriteLock, params};
use chrono::NaiveDate;
use daicho_model::MacAddr;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use crate::events::{EventKind, record_event};
use crate::ingest::ip_key;
use crate::query::{DeviceDetail, device_detail};
use crate::time::to_db;
use crate::{Ledger, LedgerError, flags};

/// Changes to the ledger fields: an absent field is left alone, `null` or `""` clears it.
///
/// `Option<Option<_>>` is deliberate: absent, `null` and a value are the three cases a PATCH
/// distinguishes.
#[allow(clippy::option_option)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerFieldsPatch {
    /// 管理番号 (unique across devices).
    #[serde(default, deserialize_with = "present")]
    pub asset_no: Option<Option<String>>,
    /// 設置場所.
    #[serde(default, deserialize_with = "present")]
    pub location: Option<Option<String>>,
    /// 利用者.
    #[serde(default, deserialize_with = "present")]
    pub user: Option<Option<String>>,
    /// 状態.
    #[serde(default, deserialize_with = "present")]
    pub status: Option<Option<String>>,
    /// 説明.
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    /// 登録日, `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "present")]
    pub registered_on: Option<Option<String>>,
    /// メーカー, as the ledger keeps it.
    #[serde(default, deserialize_with = "present")]
    pub maker: Option<Option<String>>,
    /// OS, as the ledger keeps it.
    #[serde(default, deserialize_with = "present")]
    pub os: Option<Option<String>>,
    /// ソフトウェア.
    #[serde(default, deserialize_with = "present")]
    pub software: Option<Option<String>>,
    /// ソフトウェアバージョン.
    #[serde(default, deserialize_with = "present")]
    pub software_version: Option<Option<String>>,
    /// コンピュータ名, as the ledger keeps it.
    #[serde(default, deserialize_with = "present")]
    pub computer_name: Option<Option<String>>,
}

/// Tells "absent" (`None`, via `default`) from "null" (`Some(None)`).
#[allow(clippy::option_option)]
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The longest value a ledger text field takes.
const MAX_FIELD_CHARS: usize = 500;

/// The result of a merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeOutcome {
    /// The device kept.
    pub device: DeviceDetail,
    /// The device merged into it (kept as a tombstone with `merged_into` set).
    pub merged: i64,
}

/// The result of a split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitOutcome {
    /// The original device, without the split-off MACs.
    pub original: DeviceDetail,
    /// The new device holding them.
    pub split_off: DeviceDetail,
}

/// One field to change: (column, API name, new value).
pub(crate) type FieldChange = (&'static str, &'static str, Option<String>);

impl LedgerFieldsPatch {
    /// The changes as (column, new value), values trimmed and checked.
    pub(crate) fn changes(&self) -> Result<Vec<FieldChange>, LedgerError> {
        let fields = [
            ("asset_no", "asset_no", &self.asset_no),
            ("location", "location", &self.location),
            ("user_name", "user", &self.user),
            ("status", "status", &self.status),
            ("description", "description", &self.description),
            ("registered_on", "registered_on", &self.registered_on),
            ("maker", "maker", &self.maker),
            ("ledger_os", "os", &self.os),
            ("software", "software", &self.software),
            (
                "software_version",
                "software_version",
                &self.software_version,
            ),
            ("computer_name", "computer_name", &self.computer_name),
        ];
        let mut out = Vec::new();
        for (column, name, value) in fields {
            let Some(value) = value else { continue };
            let value = value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned);
            if let Some(v) = &value {
                if v.chars().count() > MAX_FIELD_CHARS {
                    return Err(LedgerError::Invalid(format!(
                        "field `{name}`: longer than {MAX_FIELD_CHARS} characters"
                    )));
                }
                if name == "registered_on" && NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
                    return Err(LedgerError::Invalid(format!(
                        "field `registered_on`: `{v}` is not a date in the form YYYY-MM-DD"
                    )));
                }
            }
            out.push((column, name, value));
        }
        Ok(out)
    }
}

pub(crate) fn live_device(conn: &Conn, id: i64) -> Result<(), LedgerError> {
    let merged: Option<Option<i64>> = conn
        .query_row(
            "SELECT merged_into FROM devices WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    match merged {
        None => Err(LedgerError::NoSuchDevice(id)),
        Some(Some(into)) => Err(LedgerError::Invalid(format!(
            "device {id} was merged into device {into}; use that one"
        ))),
        Some(None) => Ok(()),
    }
}

/// Writes ledger-field changes of device `id` inside the caller's transaction: the one code
/// path of every ledger edit (API, CLI, import), so each records a `ledger_updated` event with
/// the diff and recomputes the device's flags. Returns true when anything changed.
pub(crate) fn apply_changes(
    tx: &Conn,
    policy: &daicho_policy::Policy,
    id: i64,
    changes: &[FieldChange],
    at: &str,
) -> Result<bool, LedgerError> {
    let mut diff = Map::new();
    for (column, name, value) in changes {
        let old: Option<String> = tx.query_row(
            &format!("SELECT {column} FROM devices WHERE id = ?1"),
            params![id],
            |r| r.get(0),
        )?;
        if old == *value {
            continue;
        }
        if *column == "asset_no"
            && let Some(v) = value
        {
            let holder: Option<i64> = tx
                .query_row(
                    "SELECT id FROM devices WHERE asset_no = ?1 AND id != ?2
                     AND site_id = (SELECT site_id FROM devices WHERE id = ?2)",
                    params![v, id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(other) = holder {
                return Err(LedgerError::Conflict(format!(
                    "field `asset_no`: {v} is already the asset number of device {other}"
                )));
            }
        }
        tx.execute(
            &format!("UPDATE devices SET {column} = ?2, ledger_updated_at = ?3 WHERE id = ?1"),
            params![id, value, at],
        )?;
        diff.insert((*name).to_owned(), json!({"from": old, "to": value}));
    }
    if diff.is_empty() {
        return Ok(false);
    }
    record_event(
        tx,
        id,
        EventKind::LedgerUpdated,
        at,
        None,
        &Value::Object(diff),
    )?;
    flags::recompute(tx, policy, id, at, None)?;
    Ok(true)
}

impl Ledger {
    /// Sets ledger fields of device `id`. Scans never touch these fields.
    pub fn update_ledger(
        &self,
        id: i64,
        patch: &LedgerFieldsPatch,
    ) -> Result<DeviceDetail, LedgerError> {
        let changes = patch.changes()?;
        let at = to_db(self.now());
        let policy = self.policy();
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Exclusive)?;
            live_device(&tx, id)?;
            apply_changes(&tx, &policy, id, &changes, &at)?;
            let detail = device_detail(&tx, id)?;
            tx.commit()?;
            Ok(detail)
        })
    }

    /// Merges device `from` into device `into`: keys (pinned), IP history, services, sightings
    /// and events move to `into`; ledger fields `into` lacks are taken from `from`; `from`
    /// remains as a tombstone pointing at `into`.
    pub fn merge_devices(&self, into: i64, from: i64) -> Result<MergeOutcome, LedgerError> {
        if into == from {
            return Err(LedgerError::Invalid(format!(
                "cannot merge device {into} into itself"
            )));
        }
        let at = to_db(self.now());
        let policy = self.policy();
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Exclusive)?;
            live_device(&tx, into)?;
            live_device(&tx, from)?;
            tx.execute(
                "UPDATE device_keys SET device_id = ?1, pinned = 1 WHERE device_id = ?2",
                params![into, from],
            )?;
            tx.execute(
                "INSERT INTO device_ips (device_id, ip, first_seen, last_seen, last_report_id)
                 SELECT CAST(?1 AS BIGINT), ip, first_seen, last_seen, last_report_id
                 FROM device_ips WHERE device_id = ?2 AND true
                 ON CONFLICT (device_id, ip) DO UPDATE SET
                   first_seen = CASE WHEN excluded.first_seen < device_ips.first_seen
                                THEN excluded.first_seen ELSE device_ips.first_seen END,
                   last_seen = CASE WHEN excluded.last_seen > device_ips.last_seen
                               THEN excluded.last_seen ELSE device_ips.last_seen END",
                params![into, from],
            )?;
            tx.execute("DELETE FROM device_ips WHERE device_id = ?1", params![from])?;
            tx.execute(
                "INSERT INTO device_services
                 SELECT CAST(?1 AS BIGINT), protocol, port, state, name, product, version,
                        evidence, first_seen, last_seen
                 FROM device_services WHERE device_id = ?2 AND true
                 ON CONFLICT DO NOTHING",
                params![into, from],
            )?;
            tx.execute(
                "DELETE FROM device_services WHERE device_id = ?1",
                params![from],
            )?;
            tx.execute(
                "DELETE FROM device_flags WHERE device_id = ?1",
                params![from],
            )?;
            tx.execute(
                "UPDATE sightings SET device_id = ?1 WHERE device_id = ?2",
                params![into, from],
            )?;
            tx.execute(
                "UPDATE events SET device_id = ?1 WHERE device_id = ?2",
                params![into, from],
            )?;
            // The kept device takes the merged one's ledger values where it has none; the asset
            // number is released first because it is unique (per site: merged across sites, it
            // is not taken when the kept device's site already uses it).
            let asset: Option<String> = tx.query_row(
                "SELECT asset_no FROM devices WHERE id = ?1",
                params![from],
                |r| r.get(0),
            )?;
            tx.execute(
                "UPDATE devices SET asset_no = NULL WHERE id = ?1",
                params![from],
            )?;
            tx.execute(
                "UPDATE devices SET
                   asset_no = coalesce(asset_no, (SELECT ?3 WHERE NOT EXISTS (
                       SELECT 1 FROM devices o WHERE o.asset_no = ?3
                       AND o.site_id = (SELECT site_id FROM devices WHERE id = ?1)))),
                   location = coalesce(location, (SELECT location FROM devices WHERE id = ?2)),
                   user_name = coalesce(user_name, (SELECT user_name FROM devices WHERE id = ?2)),
                   status = coalesce(status, (SELECT status FROM devices WHERE id = ?2)),
                   description = coalesce(description,
                                          (SELECT description FROM devices WHERE id = ?2)),
                   registered_on = coalesce(registered_on,
                                            (SELECT registered_on FROM devices WHERE id = ?2)),
                   first_seen = CASE WHEN (SELECT first_seen FROM devices WHERE id = ?2) < first_seen
                                THEN (SELECT first_seen FROM devices WHERE id = ?2) ELSE first_seen END,
                   last_seen = CASE WHEN (SELECT last_seen FROM devices WHERE id = ?2) > last_seen
                               THEN (SELECT last_seen FROM devices WHERE id = ?2) ELSE last_seen END
                 WHERE id = ?1",
                params![into, from, asset],
            )?;
            // The remote-maintenance record and the switch placement follow the kept device
            // when it has none; the merged one keeps no placement of its own.
            tx.execute(
                "UPDATE remote_maintenance SET device_id = ?1 WHERE device_id = ?2
                   AND NOT EXISTS (SELECT 1 FROM remote_maintenance WHERE device_id = ?1)",
                params![into, from],
            )?;
            tx.execute(
                "UPDATE device_ports SET device_id = ?1 WHERE device_id = ?2
                   AND NOT EXISTS (SELECT 1 FROM device_ports WHERE device_id = ?1)",
                params![into, from],
            )?;
            tx.execute(
                "DELETE FROM device_ports WHERE device_id = ?1",
                params![from],
            )?;
            tx.execute(
                "UPDATE devices SET merged_into = ?1 WHERE id = ?2 OR merged_into = ?2",
                params![into, from],
            )?;
            record_event(
                &tx,
                into,
                EventKind::Merged,
                &at,
                None,
                &json!({"from_device": from}),
            )?;
            flags::recompute(&tx, &policy, into, &at, None)?;
            let device = device_detail(&tx, into)?;
            tx.commit()?;
            Ok(MergeOutcome {
                device,
                merged: from,
            })
        })
    }

    /// Moves `macs` (which must belong to device `id`) to a new device, with the sightings that
    /// carried them. Both devices' MACs are pinned so that scans keep them apart.
    pub fn split_device(&self, id: i64, macs: &[MacAddr]) -> Result<SplitOutcome, LedgerError> {
        if macs.is_empty() {
            return Err(LedgerError::Invalid(
                "name at least one MAC to split off".to_owned(),
            ));
        }
        let at = to_db(self.now());
        let policy = self.policy();
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Exclusive)?;
            live_device(&tx, id)?;
            let macs: Vec<String> = macs.iter().map(ToString::to_string).collect();
            let mut keys = Vec::new();
            for mac in &macs {
                let key: Option<(i64, bool, String, String)> = tx
                    .query_row(
                        "SELECT device_id, randomized, first_seen, last_seen FROM device_keys
                         WHERE kind = 'mac' AND value = ?1 AND device_id = ?2
                         ORDER BY last_seen DESC LIMIT 1",
                        params![mac, id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                match key {
                    Some((owner, randomized, first, last)) if owner == id => {
                        keys.push((mac.clone(), randomized, first, last));
                    }
                    _ => {
                        return Err(LedgerError::Invalid(format!(
                            "MAC {mac} is not a key of device {id}"
                        )));
                    }
                }
            }
            let total_macs: i64 = tx.query_row(
                "SELECT count(*) FROM device_keys WHERE device_id = ?1 AND kind = 'mac'",
                params![id],
                |r| r.get(0),
            )?;
            if total_macs as usize == keys.len() {
                return Err(LedgerError::Invalid(format!(
                    "these are all the MACs of device {id}; leave it at least one"
                )));
            }
            keys.sort_by(|a, b| b.3.cmp(&a.3));
            let (mac, randomized, _, _) = &keys[0];
            let first = keys
                .iter()
                .map(|k| k.2.as_str())
                .min()
                .unwrap_or(&at)
                .to_owned();
            let last = keys[0].3.clone();
            let ip: Option<String> = tx
                .query_row(
                    "SELECT ip FROM sightings WHERE device_id = ?1 AND mac = ?2
                     ORDER BY seen_at DESC LIMIT 1",
                    params![id, mac],
                    |r| r.get(0),
                )
                .optional()?;
            let ip_blob = ip
                .as_deref()
                .and_then(|i| i.parse().ok())
                .map(|i| ip_key(i).to_vec());
            let new_id: i64 = tx.query_row(
                "INSERT INTO devices (ip, ip_key, mac, mac_randomized, first_seen, last_seen,
                     last_match, created_at, site_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'split', ?7,
                     (SELECT site_id FROM devices WHERE id = ?8))
                 RETURNING id",
                params![ip, ip_blob, mac, randomized, first, last, at, id],
                |r| r.get(0),
            )?;
            for (mac, ..) in &keys {
                tx.execute(
                    "UPDATE device_keys SET device_id = ?1, pinned = 1
                     WHERE kind = 'mac' AND value = ?2 AND device_id = ?3",
                    params![new_id, mac, id],
                )?;
                tx.execute(
                    "UPDATE sightings SET device_id = ?1 WHERE device_id = ?2 AND mac = ?3",
                    params![new_id, id, mac],
                )?;
            }
            tx.execute(
                "UPDATE device_keys SET pinned = 1 WHERE device_id = ?1 AND kind = 'mac'",
                params![id],
            )?;
            tx.execute(
                "INSERT INTO device_ips (device_id, ip, first_seen, last_seen, last_report_id)
                 SELECT CAST(?1 AS BIGINT), s.ip, min(s.seen_at), max(s.seen_at),
                        (SELECT m.report_id FROM sightings m WHERE m.device_id = ?1 AND m.ip = s.ip
                         ORDER BY m.seen_at DESC, m.id DESC LIMIT 1)
                 FROM sightings s WHERE s.device_id = ?1 GROUP BY s.ip",
                params![new_id],
            )?;
            // The original's current MAC, if split off, becomes its most recent remaining one.
            tx.execute(
                "UPDATE devices SET (mac, mac_randomized) = (
                   SELECT value, randomized FROM device_keys
                   WHERE device_id = ?1 AND kind = 'mac' ORDER BY last_seen DESC LIMIT 1)
                 WHERE id = ?1 AND mac NOT IN (SELECT value FROM device_keys
                                               WHERE device_id = ?1 AND kind = 'mac')",
                params![id],
            )?;
            record_event(
                &tx,
                id,
                EventKind::Split,
                &at,
                None,
                &json!({"macs": macs, "to_device": new_id}),
            )?;
            record_event(
                &tx,
                new_id,
                EventKind::Split,
                &at,
                None,
                &json!({"macs": macs, "from_device": id}),
            )?;
            flags::recompute(&tx, &policy, id, &at, None)?;
            flags::recompute(&tx, &policy, new_id, &at, None)?;
            let original = device_detail(&tx, id)?;
            let split_off = device_detail(&tx, new_id)?;
            tx.commit()?;
            Ok(SplitOutcome {
                original,
                split_off,
            })
        })
    }
}
