//! The ledger as rows of the MHLW 機器台帳: export, import (planned, then applied in one
//! transaction) and the checklist's input. A device's ledger columns are `daicho-model`'s
//! [`LedgerRow`] (the one record of them, which the paper formats of `daicho-ledger-io` read
//! and write too), an export row is its [`ExportRow`]; the checklist's input is the ledger's
//! own [`ChecklistEntry`] (the collector derives the checklist's kind of a device from it).
//!
//! The ledger stores 状態 as text: an imported row's [`DeviceStatus`] is written as
//! [`DeviceStatus::as_str`], and stored text (an operator's own included) is read back through
//! [`DeviceStatus::parse`].
//!
//! # Matching an imported row to a device
//!
//! The first rule that finds a device wins:
//!
//! 1. **`mac`** — the row's MAC address is an identity key of a device (or its last MAC).
//! 2. **`asset_no`** — a device already holds the row's 管理番号 (a re-imported export, or a
//!    ledger entry without a MAC).
//! 3. **`ip_name`** — exactly one device was last seen at the row's IP address with the row's
//!    コンピュータ名 (host names compared case-folded, first DNS label). An IP alone is not
//!    enough: DHCP hands addresses to other devices.
//!
//! A row that matches nothing is **created** as a registered device that has never been seen:
//! a hand-kept ledger rightly lists devices that are switched off, in storage or on another
//! segment. Its MAC becomes an identity key, so the first scan that sees it merges into it; if
//! no scan ever does, the policy raises `missing` after its period, which is exactly what
//! checklist 2-① asks about. Rows with 状態 廃棄 are imported like any other (the checklist and
//! the allowlist leave them out).
//!
//! Devices no row covers are reported and left untouched. A plan with a conflict (two rows on
//! one device, or a row whose 管理番号 another device holds) is refused as a whole.
//!
//! Ledger fields are written through the same code path as [`Ledger::update_ledger`], so every
//! change records a `ledger_updated` event and recomputes the device's flags (a registered
//! device loses `unregistered`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use crate::db::{Conn, OptionalExtension, WriteLock, params};
use chrono::{DateTime, NaiveDate, Utc};
use daicho_model::MacAddr;
use daicho_model::ledger_columns::{DeviceStatus, ExportRow, LedgerRow};
use daicho_model::remote_maintenance::RemoteMaintenance;
use daicho_policy::{Exception, Flag, Policy, RemotePath, remote_paths};
use serde::Serialize;
use serde_json::json;

use crate::events::{EventKind, record_event};
use crate::flags::{STORED_FLAG_COLUMNS, stored_flag};
use crate::identity::{hostname_key, key_owner};
use crate::ingest::ip_key;
use crate::operator::{FieldChange, apply_changes};
use crate::registration::REGISTERED;
use crate::sites::{SiteId, SiteScope};
use crate::time::{from_db, to_db};
use crate::triage::KNOWN_OUTSIDE_LEDGER;
use crate::{Ledger, LedgerError, LedgerFieldsPatch};

/// The longest value an imported text field may take (as for the API).
const MAX_FIELD_CHARS: usize = 500;

/// A device as the checklist judges it: what was observed, its findings and exceptions, and
/// its ledger columns when it is registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistEntry {
    /// The ledger's id of the device.
    pub device_id: i64,
    /// Its ledger columns; `None` when it is not registered.
    pub ledger: Option<LedgerRow>,
    /// The role the operator set (`ehr-server`, `terminal`, …), if any.
    pub role: Option<String>,
    /// The OS family as identified (`windows`, `network`, `printer`, …).
    pub os_family: String,
    /// Address last seen.
    pub ip: Option<IpAddr>,
    /// MAC address last seen.
    pub mac: Option<MacAddr>,
    /// Host name as discovered.
    pub hostname: String,
    /// IEEE vendor of the MAC.
    pub vendor: String,
    /// OS or firmware as identified (`Windows 10 22H2`).
    pub os: String,
    /// When last seen; `None` if never seen on the network.
    pub last_seen: Option<DateTime<Utc>>,
    /// Open services, as `name/protocol/port`.
    pub open_services: Vec<String>,
    /// Flags from the policy evaluation.
    pub flags: Vec<Flag>,
    /// Exceptions in force for this device.
    pub exceptions: Vec<Exception>,
    /// Its remote-maintenance register entry (2-②), if any.
    pub remote: Option<RemoteMaintenance>,
    /// The remote-maintenance paths it shows (2-②).
    pub remote_paths: Vec<RemotePath>,
}

/// How a row found its device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowMatch {
    /// By MAC address.
    Mac,
    /// By 管理番号.
    AssetNo,
    /// By IP address and コンピュータ名.
    IpName,
}

impl RowMatch {
    /// The rule's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mac => "mac",
            Self::AssetNo => "asset_no",
            Self::IpName => "ip_name",
        }
    }
}

/// What the import does with one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RowAction {
    /// The row sets the ledger fields of an existing device.
    Update {
        /// The device.
        device_id: i64,
        /// The rule that matched.
        matched_by: RowMatch,
        /// The fields that change (empty: the device already says what the row says).
        changed: Vec<&'static str>,
    },
    /// The row matches no device and becomes a registered device not yet seen.
    Create,
    /// The row cannot be applied.
    Conflict {
        /// Why.
        reason: String,
    },
}

/// One row's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowDecision {
    /// The spreadsheet row number.
    pub row: usize,
    /// 管理番号.
    pub asset_no: String,
    /// The decision.
    #[serde(flatten)]
    pub action: RowAction,
}

/// A device that no row of the import covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UncoveredDevice {
    /// The device.
    pub device_id: i64,
    /// Its 管理番号 if it has one.
    pub asset_no: Option<String>,
    /// Last IP address.
    pub ip: Option<String>,
    /// Last MAC address.
    pub mac: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
}

/// What an import would do (or did).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ImportPlan {
    /// One decision per row, in file order.
    pub rows: Vec<RowDecision>,
    /// Live devices (present, or registered) that no row covers.
    pub uncovered: Vec<UncoveredDevice>,
}

impl ImportPlan {
    /// Rows matched to an existing device.
    pub fn matched(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.action, RowAction::Update { .. }))
            .count()
    }

    /// Rows matched to a device whose fields change.
    pub fn changing(&self) -> usize {
        self.rows
            .iter()
            .filter(
                |r| matches!(&r.action, RowAction::Update { changed, .. } if !changed.is_empty()),
            )
            .count()
    }

    /// Rows that create a device.
    pub fn created(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.action == RowAction::Create)
            .count()
    }

    /// Rows in conflict.
    pub fn conflicts(&self) -> Vec<&RowDecision> {
        self.rows
            .iter()
            .filter(|r| matches!(r.action, RowAction::Conflict { .. }))
            .collect()
    }
}

/// The ledger fields one row sets, validated: the standard fields through
/// [`LedgerFieldsPatch`], then the columns only an imported ledger states.
fn row_changes(row: &LedgerRow) -> Result<Vec<FieldChange>, LedgerError> {
    let text = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let patch = LedgerFieldsPatch {
        asset_no: Some(text(&row.asset_no)),
        location: Some(text(&row.location)),
        user: Some(text(&row.user)),
        status: Some(row.status.as_ref().map(|s| s.as_str().to_owned())),
        description: Some(text(&row.description)),
        registered_on: Some(row.registered_on.map(|d| d.format("%Y-%m-%d").to_string())),
        maker: Some(text(&row.maker)),
        os: Some(text(&row.os)),
        software: Some(text(&row.software)),
        software_version: Some(text(&row.software_version)),
        computer_name: Some(text(&row.computer_name)),
    };
    let mut changes = patch.changes()?;
    let extra: [FieldChange; 1] = [("ledger_ip", "ip", row.ip.map(|ip| ip.to_string()))];
    for (_, name, value) in &extra {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_FIELD_CHARS)
        {
            return Err(LedgerError::Invalid(format!(
                "field `{name}`: longer than {MAX_FIELD_CHARS} characters"
            )));
        }
    }
    changes.extend(extra);
    Ok(changes)
}

/// The fields among `changes` whose stored value differs.
fn changed_fields(
    conn: &Conn,
    id: i64,
    changes: &[FieldChange],
) -> Result<Vec<&'static str>, LedgerError> {
    let mut out = Vec::new();
    for (column, name, value) in changes {
        let old: Option<String> = conn.query_row(
            &format!("SELECT {column} FROM devices WHERE id = ?1"),
            params![id],
            |r| r.get(0),
        )?;
        if old != *value {
            out.push(*name);
        }
    }
    Ok(out)
}

/// The live device (following merges) that holds MAC `mac` at `site`.
fn device_by_mac(conn: &Conn, site: SiteId, mac: MacAddr) -> Result<Option<i64>, LedgerError> {
    let text = mac.to_string();
    if let Some(owner) = key_owner(conn, site, "mac", &text)? {
        return Ok(Some(owner.device_id));
    }
    Ok(conn
        .query_row(
            "SELECT id FROM devices WHERE mac = ?1 AND merged_into IS NULL AND site_id = ?2
             ORDER BY last_seen DESC LIMIT 1",
            params![text, site.0],
            |r| r.get(0),
        )
        .optional()?)
}

/// The one live device of `site` at `ip` named `name` (by observed host name or by ledger name).
fn device_by_ip_name(
    conn: &Conn,
    site: SiteId,
    ip: IpAddr,
    name: &str,
) -> Result<Option<i64>, LedgerError> {
    let Some(key) = hostname_key(name) else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, hostname, computer_name FROM devices
         WHERE merged_into IS NULL AND (ip = ?1 OR ledger_ip = ?1) AND site_id = ?2",
    )?;
    let candidates: Vec<i64> = stmt
        .query_map(params![ip.to_string(), site.0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?
        .filter_map(Result::ok)
        .filter(|(_, host, ledger_name)| {
            [host, ledger_name]
                .iter()
                .any(|n| n.as_deref().and_then(hostname_key).as_ref() == Some(&key))
        })
        .map(|(id, _, _)| id)
        .collect();
    Ok(match candidates.as_slice() {
        [one] => Some(*one),
        _ => None,
    })
}

/// Decides every row against `site`'s devices as the database is on `conn`.
fn plan(
    conn: &Conn,
    site: SiteId,
    rows: &[LedgerRow],
    row_numbers: &[usize],
) -> Result<(ImportPlan, Vec<Vec<FieldChange>>), LedgerError> {
    let mut decisions = Vec::with_capacity(rows.len());
    let mut all_changes = Vec::with_capacity(rows.len());
    // device id -> the row number that claimed it
    let mut claimed: HashMap<i64, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let number = row_numbers.get(i).copied().unwrap_or(i + 2);
        let changes = row_changes(row).map_err(|e| {
            LedgerError::Invalid(format!(
                "{number} 行目 (管理番号 {}): {e}; nothing imported",
                row.asset_no
            ))
        })?;
        let holder: Option<i64> = conn
            .query_row(
                "SELECT id FROM devices WHERE asset_no = ?1 AND merged_into IS NULL AND site_id = ?2",
                params![row.asset_no.trim(), site.0],
                |r| r.get(0),
            )
            .optional()?;
        let mut found = None;
        if let Some(mac) = row.mac
            && let Some(id) = device_by_mac(conn, site, mac)?
        {
            found = Some((id, RowMatch::Mac));
        }
        if found.is_none()
            && let Some(id) = holder
        {
            found = Some((id, RowMatch::AssetNo));
        }
        if found.is_none()
            && let Some(ip) = row.ip
            && let Some(id) = device_by_ip_name(conn, site, ip, &row.computer_name)?
        {
            found = Some((id, RowMatch::IpName));
        }
        let action = match found {
            None => RowAction::Create,
            Some((id, by)) => {
                if let Some(first) = claimed.get(&id) {
                    RowAction::Conflict {
                        reason: format!(
                            "{number} 行目と {first} 行目が同じ機器 (ID {id}) を指しています / rows {first} and {number} match the same device {id}"
                        ),
                    }
                } else if let Some(other) = holder.filter(|h| *h != id) {
                    RowAction::Conflict {
                        reason: format!(
                            "管理番号 {} は機器 ID {other} のものですが、この行は機器 ID {id} に一致しました ({}) / asset number held by device {other}, row matches device {id}",
                            row.asset_no,
                            by.as_str()
                        ),
                    }
                } else {
                    claimed.insert(id, number);
                    RowAction::Update {
                        device_id: id,
                        matched_by: by,
                        changed: changed_fields(conn, id, &changes)?,
                    }
                }
            }
        };
        decisions.push(RowDecision {
            row: number,
            asset_no: row.asset_no.clone(),
            action,
        });
        all_changes.push(changes);
    }
    let mut uncovered = Vec::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT id, asset_no, ip, mac, hostname FROM devices
             WHERE merged_into IS NULL AND (presence = 'present' OR {REGISTERED})
               AND site_id = ?1
             ORDER BY id"
    ))?;
    let devices = stmt.query_map(params![site.0], |r| {
        Ok(UncoveredDevice {
            device_id: r.get(0)?,
            asset_no: r.get(1)?,
            ip: r.get(2)?,
            mac: r.get(3)?,
            hostname: r.get(4)?,
        })
    })?;
    for d in devices {
        let d = d?;
        if !claimed.contains_key(&d.device_id) {
            uncovered.push(d);
        }
    }
    Ok((
        ImportPlan {
            rows: decisions,
            uncovered,
        },
        all_changes,
    ))
}

/// Adds `mac` as an identity key of device `id` at `site` when no device there holds it yet,
/// and as the device's MAC when it has none.
fn adopt_mac(
    conn: &Conn,
    site: SiteId,
    id: i64,
    mac: MacAddr,
    at: &str,
) -> Result<(), LedgerError> {
    let text = mac.to_string();
    let randomized = daicho_oui::is_randomized(mac);
    conn.execute(
        "INSERT INTO device_keys (kind, value, device_id, randomized, pinned,
             first_seen, last_seen, site_id)
         VALUES ('mac', ?1, ?2, ?3, 0, ?4, ?4, ?5) ON CONFLICT DO NOTHING",
        params![text, id, randomized, at, site.0],
    )?;
    conn.execute(
        "UPDATE devices SET mac = ?2, mac_randomized = ?3 WHERE id = ?1 AND mac IS NULL",
        params![id, text, randomized],
    )?;
    Ok(())
}

/// Creates a registered device from a row that matched nothing. It has no sighting: first and
/// last seen are the import time (so `missing` counts from the import), `last_match` is
/// `ledger`, `last_report_id` stays empty, and its presence is `gone` (it is not known to be on
/// the network; the first scan that sees it records `returned`). It belongs to `site`.
fn create_from_row(
    conn: &Conn,
    site: SiteId,
    row: &LedgerRow,
    at: &str,
) -> Result<i64, LedgerError> {
    let name = (!row.computer_name.is_empty()).then_some(row.computer_name.as_str());
    let id: i64 = conn.query_row(
        "INSERT INTO devices (ip, ip_key, hostname, hostname_norm, first_seen, last_seen,
             last_match, presence, created_at, site_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, 'ledger', 'gone', ?5, ?6)
 RETURNING id",
        params![
            row.ip.map(|ip| ip.to_string()),
            row.ip.map(|ip| ip_key(ip).to_vec()),
            name,
            name.and_then(hostname_key),
            at,
            site.0
        ],
        |r| r.get(0),
    )?;
    record_event(
        conn,
        id,
        EventKind::LedgerCreated,
        at,
        None,
        &json!({"asset_no": row.asset_no, "ip": row.ip, "mac": row.mac,
                "computer_name": row.computer_name}),
    )?;
    Ok(id)
}

/// Counts of an applied import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ImportApplied {
    /// Existing devices whose ledger fields changed.
    pub updated: usize,
    /// Existing devices that already said what the row says.
    pub unchanged: usize,
    /// Devices created from rows that matched nothing.
    pub created: usize,
}

/// One device's row as the database holds it.
struct DeviceRow {
    id: i64,
    ledger: LedgerRow,
    registered: bool,
    observed_ip: Option<IpAddr>,
    observed_mac: Option<MacAddr>,
    hostname: String,
    vendor: String,
    os_family: String,
    os_text: String,
    role: Option<String>,
    last_seen: Option<DateTime<Utc>>,
}

/// Every live device of `site` that is present or registered and that `keep(id, registered)`
/// chooses, ordered by 管理番号 (unregistered last, by id). Rows not kept are not read further.
fn device_rows(
    conn: &Conn,
    site: Option<SiteId>,
    keep: impl Fn(i64, bool) -> bool,
) -> Result<Vec<DeviceRow>, LedgerError> {
    // Devices the operator said are personal, visitors' or removed are not ledger devices.
    let mut stmt = conn.prepare(&format!(
        "SELECT id, asset_no, maker, ledger_os, software, software_version, ledger_ip,
                computer_name, location, user_name, registered_on, status, description,
                mac, ip, hostname, vendor, os_family, os_name, os_version, last_seen,
                last_report_id, role, {REGISTERED}
         FROM devices
         WHERE merged_into IS NULL AND (presence = 'present' OR {REGISTERED})
           AND NOT {KNOWN_OUTSIDE_LEDGER} AND (CAST(?1 AS BIGINT) IS NULL OR site_id = ?1)"
    ))?;
    let mut out = Vec::new();
    stmt.for_each_row(params![site.map(|s| s.0)], |r| {
        let id: i64 = r.get(0)?;
        let registered: bool = r.get(23)?;
        if keep(id, registered) {
            out.push(device_row(r, id, registered)?);
        }
        Ok(())
    })?;
    // Sorted here rather than by SQLite, whose sorter would carry every column of every row
    // (`ORDER BY asset_no IS NULL, asset_no, id`: SQLite's BINARY text order is the byte order
    // of Rust's `String`).
    out.sort_unstable_by(|a, b| {
        (!a.registered, &a.ledger.asset_no, a.id).cmp(&(!b.registered, &b.ledger.asset_no, b.id))
    });
    Ok(out)
}

/// One row of [`device_rows`]'s query, whose id and registration were read already.
fn device_row(r: &crate::db::Row<'_>, id: i64, registered: bool) -> crate::db::Result<DeviceRow> {
    let s = |i: usize| -> crate::db::Result<String> {
        Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
    };
    let ledger_ip: Option<String> = r.get(6)?;
    let observed_ip: Option<IpAddr> = r.get::<_, Option<String>>(14)?.and_then(|t| t.parse().ok());
    let observed_mac: Option<MacAddr> =
        r.get::<_, Option<String>>(13)?.and_then(|t| t.parse().ok());
    let computer_name = s(7)?;
    let hostname = s(15)?;
    let os_name = s(18)?;
    let os_version = s(19)?;
    let os_text = [os_name, os_version]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let last_report: Option<String> = r.get(21)?;
    let last_seen_text: String = r.get(20)?;
    Ok(DeviceRow {
        id,
        registered,
        ledger: LedgerRow {
            asset_no: s(1)?,
            maker: s(2)?,
            os: s(3)?,
            software: s(4)?,
            software_version: s(5)?,
            ip: ledger_ip.and_then(|t| t.parse().ok()).or(observed_ip),
            computer_name: if computer_name.is_empty() {
                hostname.clone()
            } else {
                computer_name
            },
            location: s(8)?,
            user: s(9)?,
            registered_on: r
                .get::<_, Option<String>>(10)?
                .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            status: r
                .get::<_, Option<String>>(11)?
                .as_deref()
                .and_then(DeviceStatus::parse),
            description: s(12)?,
            mac: observed_mac,
        },
        observed_ip,
        observed_mac,
        hostname,
        vendor: s(16)?,
        os_family: r.get(17)?,
        os_text,
        role: r.get(22)?,
        last_seen: last_report.and_then(|_| from_db(&last_seen_text)),
    })
}

/// SQL over a table's `device_id`: the device is of `site` (any device for `None`). A site of
/// a group holds a small part of the ledger: its rows are read, not the whole table's.
fn of_site(site: Option<SiteId>) -> String {
    site.map_or(SiteScope::All, SiteScope::one)
        .devices_sql("device_id")
}

/// The flags of the devices in `wanted`, as `daicho-policy` raised them, each device's by flag
/// then key: one pass over the table (a query per device costs seconds over 50,000 devices).
fn flags_by_device(
    conn: &Conn,
    site: Option<SiteId>,
    wanted: &HashSet<i64>,
) -> Result<HashMap<i64, Vec<Flag>>, LedgerError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT device_id, key, {STORED_FLAG_COLUMNS} FROM device_flags
         WHERE {} ORDER BY device_id",
        of_site(site)
    ))?;
    let mut keyed: HashMap<i64, Vec<(String, Flag)>> = HashMap::new();
    stmt.for_each_row([], |r| {
        let id: i64 = r.get(0)?;
        if wanted.contains(&id)
            && let Some(flag) = stored_flag(r, 2)?
        {
            keyed.entry(id).or_default().push((r.get(1)?, flag));
        }
        Ok(())
    })?;
    Ok(keyed
        .into_iter()
        .map(|(id, mut flags)| {
            // SQLite's BINARY order of text is the byte order Rust's `Ord` for `String` uses.
            // (The stored kind is the decoded kind's `as_str`.)
            flags.sort_by(|a, b| (a.1.kind.as_str(), &a.0).cmp(&(b.1.kind.as_str(), &b.0)));
            (id, flags.into_iter().map(|(_, f)| f).collect())
        })
        .collect())
}

/// The open services of the devices in `wanted` as `name/protocol/port`, each device's by
/// protocol then port (the table's key order): one pass over the table.
fn open_services_by_device(
    conn: &Conn,
    site: Option<SiteId>,
    wanted: &HashSet<i64>,
) -> Result<HashMap<i64, Vec<String>>, LedgerError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT device_id, name, protocol, port FROM device_services
         WHERE state = 'open' AND {} ORDER BY device_id, protocol, port",
        of_site(site)
    ))?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    stmt.for_each_row([], |r| {
        let id: i64 = r.get(0)?;
        if wanted.contains(&id) {
            out.entry(id).or_default().push(format!(
                "{}/{}/{}",
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?
            ));
        }
        Ok(())
    })?;
    Ok(out)
}

/// The flags and open services of `devices`, loaded in one pass each.
struct Findings {
    flags: HashMap<i64, Vec<Flag>>,
    services: HashMap<i64, Vec<String>>,
}

impl Findings {
    fn of(conn: &Conn, site: Option<SiteId>, devices: &[DeviceRow]) -> Result<Self, LedgerError> {
        let wanted: HashSet<i64> = devices.iter().map(|d| d.id).collect();
        Ok(Self {
            flags: flags_by_device(conn, site, &wanted)?,
            services: open_services_by_device(conn, site, &wanted)?,
        })
    }

    /// Device `id`'s flags, taken out.
    fn take_flags(&mut self, id: i64) -> Vec<Flag> {
        self.flags.remove(&id).unwrap_or_default()
    }

    /// Device `id`'s open services, taken out.
    fn take_services(&mut self, id: i64) -> Vec<String> {
        self.services.remove(&id).unwrap_or_default()
    }
}

/// The exceptions in force (not revoked) per device.
fn exceptions_by_device(
    conn: &Conn,
    site: SiteId,
) -> Result<BTreeMap<i64, Vec<Exception>>, LedgerError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT device_id, service, reason, approver, expires FROM exceptions
         WHERE revoked_at IS NULL AND {} ORDER BY id",
        of_site(Some(site))
    ))?;
    let mut out: BTreeMap<i64, Vec<Exception>> = BTreeMap::new();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (device, service, reason, approver, expires) in rows {
        if let Ok(expires) = NaiveDate::parse_from_str(&expires, "%Y-%m-%d") {
            out.entry(device).or_default().push(Exception {
                device_id: device.to_string(),
                service,
                reason,
                approver,
                expires,
            });
        }
    }
    Ok(out)
}

impl Ledger {
    /// What importing `rows` into `site`'s ledger would do, without changing anything.
    /// `row_numbers[i]` is the spreadsheet row of `rows[i]` (as the imported file numbers them).
    pub fn plan_import(
        &self,
        site: SiteId,
        rows: &[LedgerRow],
        row_numbers: &[usize],
    ) -> Result<ImportPlan, LedgerError> {
        self.read(|conn| plan(conn, site, rows, row_numbers).map(|(p, _)| p))
    }

    /// Imports `rows` into `site`'s ledger in one transaction: every row applied, or none (any
    /// conflict or error rolls the whole import back). Returns the plan it followed and the
    /// counts.
    pub fn apply_import(
        &self,
        site: SiteId,
        rows: &[LedgerRow],
        row_numbers: &[usize],
    ) -> Result<(ImportPlan, ImportApplied), LedgerError> {
        let policy: std::sync::Arc<Policy> = self.policy();
        let at = to_db(self.now());
        self.write(|conn| {
            let tx = conn.begin(WriteLock::Exclusive)?;
            // Planned inside the write transaction: nothing can change between plan and apply.
            let (plan, changes) = plan(&tx, site, rows, row_numbers)?;
            let conflicts = plan.conflicts();
            if !conflicts.is_empty() {
                let list: Vec<String> = conflicts
                    .iter()
                    .filter_map(|d| match &d.action {
                        RowAction::Conflict { reason } => Some(reason.clone()),
                        _ => None,
                    })
                    .collect();
                return Err(LedgerError::Conflict(format!(
                    "nothing imported: {}",
                    list.join("; ")
                )));
            }
            let mut applied = ImportApplied::default();
            for ((decision, row), changes) in plan.rows.iter().zip(rows).zip(&changes) {
                let id = match &decision.action {
                    RowAction::Update { device_id, .. } => *device_id,
                    RowAction::Create => create_from_row(&tx, site, row, &at)?,
                    RowAction::Conflict { .. } => unreachable!("conflicts refused above"),
                };
                if let Some(mac) = row.mac {
                    adopt_mac(&tx, site, id, mac, &at)?;
                }
                let changed = apply_changes(&tx, &policy, id, changes, &at)?;
                match (&decision.action, changed) {
                    (RowAction::Create, _) => applied.created += 1,
                    (_, true) => applied.updated += 1,
                    (_, false) => applied.unchanged += 1,
                }
            }
            tx.commit()?;
            Ok((plan, applied))
        })
    }

    /// `site`'s ledger for export: every live device that is present or registered, the
    /// ledger's columns as the operator keeps them (IP address, コンピュータ名 and MAC fall back
    /// to what was observed), then vendor, last seen, open services and flags.
    pub fn export_rows(
        &self,
        site: SiteId,
        registered_only: bool,
    ) -> Result<Vec<ExportRow<Flag>>, LedgerError> {
        self.export_rows_where(Some(site), |_, registered| !registered_only || registered)
    }

    /// The export rows of these devices only (a filtered list's download), in ledger order.
    pub fn export_rows_of(&self, ids: &[i64]) -> Result<Vec<ExportRow<Flag>>, LedgerError> {
        let ids: HashSet<i64> = ids.iter().copied().collect();
        self.export_rows_where(None, |id, _| ids.contains(&id))
    }

    fn export_rows_where(
        &self,
        site: Option<SiteId>,
        keep: impl Fn(i64, bool) -> bool,
    ) -> Result<Vec<ExportRow<Flag>>, LedgerError> {
        self.read(|conn| {
            let devices = device_rows(conn, site, keep)?;
            let mut findings = Findings::of(conn, site, &devices)?;
            let mut out = Vec::with_capacity(devices.len());
            for d in devices {
                let switch_port = crate::switch_ports::device_port(conn, d.id)?
                    .map(|p| p.label())
                    .unwrap_or_default();
                let mut ledger = d.ledger;
                if !d.registered && ledger.os.is_empty() {
                    // A suggestion for the operator filling in an unregistered device.
                    ledger.os.clone_from(&d.os_text);
                }
                out.push(ExportRow {
                    ledger,
                    vendor: d.vendor,
                    last_seen: d.last_seen,
                    open_services: findings.take_services(d.id),
                    flags: findings.take_flags(d.id),
                    switch_port,
                });
            }
            Ok(out)
        })
    }

    /// `site`'s registered devices' ledger rows (for the MAC allowlist).
    pub fn ledger_rows(&self, site: SiteId) -> Result<Vec<LedgerRow>, LedgerError> {
        Ok(self
            .export_rows(site, true)?
            .into_iter()
            .map(|r| r.ledger)
            .collect())
    }

    /// Every device of `site` the checklist judges: registered ones and those present but
    /// unregistered, with flags, open services and the exceptions in force.
    pub fn checklist_devices(&self, site: SiteId) -> Result<Vec<ChecklistEntry>, LedgerError> {
        let policy = self.policy();
        self.read(|conn| {
            let mut exceptions = exceptions_by_device(conn, site)?;
            let mut records = crate::remote_maintenance::records_of_site(conn, site)?;
            let mut facts = crate::flags::site_facts(conn, site)?;
            let devices = device_rows(conn, Some(site), |_, _| true)?;
            let mut findings = Findings::of(conn, Some(site), &devices)?;
            let mut out = Vec::with_capacity(devices.len());
            for d in devices {
                out.push(ChecklistEntry {
                    device_id: d.id,
                    remote: records.remove(&d.id),
                    remote_paths: facts
                        .remove(&d.id)
                        .map(|f| remote_paths(&f, &policy))
                        .unwrap_or_default(),
                    role: d.role,
                    os_family: d.os_family,
                    ip: d.observed_ip,
                    mac: d.observed_mac,
                    hostname: d.hostname,
                    vendor: d.vendor,
                    os: d.os_text,
                    last_seen: d.last_seen,
                    open_services: findings.take_services(d.id),
                    flags: findings.take_flags(d.id),
                    exceptions: exceptions.remove(&d.id).unwrap_or_default(),
                    ledger: d.registered.then_some(d.ledger),
                });
            }
            Ok(out)
        })
    }
}
