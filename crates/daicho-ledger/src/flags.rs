//! Device flags: conditions the MHLW checklist cares about, each with a reason and evidence,
//! recomputed whenever a device changes. Raising or clearing a flag records an event
//! (`flag_raised` / `flag_cleared`), which is what alerting reads.
//!
//! This module computes the flags that follow from the ledger alone: `unregistered` (seen but
//! neither an asset number nor a registration date in the ledger) and `randomized_mac` (its
//! current MAC is locally administered: a personal or visitor device). Policy-driven flags
//! (end-of-life OS, unneeded services, …) plug in as further [`FlagRule`]s.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use crate::LedgerError;

/// Flag name: seen on the network but not registered in the ledger.
pub const UNREGISTERED: &str = "unregistered";
/// Flag name: the device uses a randomized (locally administered) MAC.
pub const RANDOMIZED_MAC: &str = "randomized_mac";

/// A raised flag: why, and what showed it.
#[derive(Debug, Clone, PartialEq)]
pub struct RaisedFlag {
    /// One sentence for the operator.
    pub reason: String,
    /// The observations behind it.
    pub evidence: Vec<String>,
}

/// The facts about a device that the flag rules look at.
#[derive(Debug, Clone)]
pub struct DeviceFacts {
    /// Current MAC.
    pub mac: Option<String>,
    /// Whether the current MAC is randomized.
    pub mac_randomized: bool,
    /// Ledger 管理番号.
    pub asset_no: Option<String>,
    /// Ledger 登録日.
    pub registered_on: Option<String>,
    /// Current IP.
    pub ip: Option<String>,
}

/// One flag's rule: given the facts, raise it or not.
pub type FlagRule = fn(&DeviceFacts) -> Option<RaisedFlag>;

/// The rules this module knows, by flag name.
pub const RULES: &[(&str, FlagRule)] =
    &[(UNREGISTERED, unregistered), (RANDOMIZED_MAC, randomized)];

fn unregistered(f: &DeviceFacts) -> Option<RaisedFlag> {
    (f.asset_no.is_none() && f.registered_on.is_none()).then(|| RaisedFlag {
        reason: "seen on the network but not registered in the ledger (no 管理番号 or 登録日)"
            .to_owned(),
        evidence: [
            f.ip.as_ref().map(|ip| format!("ip {ip}")),
            f.mac.as_ref().map(|m| format!("mac {m}")),
        ]
        .into_iter()
        .flatten()
        .collect(),
    })
}

fn randomized(f: &DeviceFacts) -> Option<RaisedFlag> {
    match (&f.mac, f.mac_randomized) {
        (Some(mac), true) => Some(RaisedFlag {
            reason: "uses a randomized (locally administered) MAC: a personal or visitor device"
                .to_owned(),
            evidence: vec![format!("mac {mac} has the locally-administered bit set")],
        }),
        _ => None,
    }
}

/// Recomputes every flag of `device_id`, recording an event for each change. Returns how many
/// flags changed.
pub(crate) fn recompute(
    conn: &Connection,
    device_id: i64,
    at: &str,
    report_id: Option<&str>,
) -> Result<usize, LedgerError> {
    let facts = conn
        .prepare_cached(
            "SELECT mac, mac_randomized, asset_no, registered_on, ip FROM devices WHERE id = ?1",
        )?
        .query_row(params![device_id], |r| {
            Ok(DeviceFacts {
                mac: r.get(0)?,
                mac_randomized: r.get(1)?,
                asset_no: r.get(2)?,
                registered_on: r.get(3)?,
                ip: r.get(4)?,
            })
        })
        .optional()?
        .ok_or(LedgerError::NoSuchDevice(device_id))?;
    // flag -> stored evidence (JSON)
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    {
        let mut stmt =
            conn.prepare_cached("SELECT flag, evidence FROM device_flags WHERE device_id = ?1")?;
        let rows = stmt.query_map(params![device_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in rows {
            let (flag, evidence) = row?;
            current.insert(flag, evidence);
        }
    }
    let mut changed = 0;
    for (name, rule) in RULES {
        match (rule(&facts), current.contains_key(*name)) {
            (Some(raised), true) => {
                // Still raised: keep the evidence current (an IP change, …) without an event.
                let evidence = serde_json::to_string(&raised.evidence).unwrap_or_default();
                if current.get(*name) != Some(&evidence) {
                    conn.prepare_cached(
                        "UPDATE device_flags SET reason = ?3, evidence = ?4
                         WHERE device_id = ?1 AND flag = ?2",
                    )?
                    .execute(params![
                        device_id,
                        name,
                        raised.reason,
                        evidence
                    ])?;
                }
            }
            (Some(raised), false) => {
                conn.prepare_cached(
                    "INSERT INTO device_flags (device_id, flag, reason, evidence, raised_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    device_id,
                    name,
                    raised.reason,
                    serde_json::to_string(&raised.evidence).unwrap_or_default(),
                    at
                ])?;
                crate::ingest::record_event(
                    conn,
                    device_id,
                    "flag_raised",
                    at,
                    report_id,
                    &json!({"flag": name, "reason": raised.reason, "evidence": raised.evidence}),
                )?;
                changed += 1;
            }
            (None, true) => {
                conn.prepare_cached("DELETE FROM device_flags WHERE device_id = ?1 AND flag = ?2")?
                    .execute(params![device_id, name])?;
                crate::ingest::record_event(
                    conn,
                    device_id,
                    "flag_cleared",
                    at,
                    report_id,
                    &json!({"flag": name}),
                )?;
                changed += 1;
            }
            _ => {}
        }
    }
    Ok(changed)
}
