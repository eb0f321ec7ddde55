//! Which switch port each device is plugged into: the one placement rule, and its record.
//!
//! A report's `switches` say, per switch, which MACs each port has learnt and what LLDP sees on
//! each port. A MAC is learnt on every port between the switch and the station, so the rule
//! first sets apart the ports that lead to other switches ([`uplink_ports`]):
//!
//! - an LLDP neighbour on the port is another switch read in the same report (its chassis id
//!   or a MAC of its management address, or its system name);
//! - the port has learnt the MAC of another switch of the report (its management address's MAC
//!   or chassis id);
//! - fallback, for switches without LLDP: the port has learnt more than
//!   [`UPLINK_MAC_THRESHOLD`] MACs.
//!
//! A MAC is placed only on a port that is not an uplink ([`place`]); seen on several such ports
//! (two switches not read as linked), the port with the fewest MACs wins, being the nearest.
//! [`record`] then gives each device of the report's site, found by MAC through the identity
//! rules ([`crate::identity::key_owner`]), its current switch and port, and a change of either
//! is a `port_moved` event. A report older than the stored placement changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use daicho_model::{MacAddr, ScanReport, SwitchReading};
use serde::Serialize;
use serde_json::json;

use crate::db::{Conn, OptionalExtension, params};
use crate::events::{EventKind, record_event};
use crate::identity::key_owner;
use crate::sites::SiteId;
use crate::{Ledger, LedgerError};

/// More MACs than this on one port make it an uplink when nothing else tells (a small
/// unmanaged hub under a desk stays below it).
pub const UPLINK_MAC_THRESHOLD: usize = 16;

/// Why a port leads to another switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UplinkReason {
    /// LLDP sees another switch of the report on it.
    LldpSwitch,
    /// It has learnt another switch's MAC.
    SwitchMac,
    /// It has learnt more MACs than [`UPLINK_MAC_THRESHOLD`].
    ManyMacs,
}

/// How a switch of the report is recognised elsewhere: its MACs (its management address's MAC
/// as the report saw it, and its chassis id when that is a MAC), its chassis id, its name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownSwitch {
    /// Its MACs.
    pub macs: HashSet<MacAddr>,
    /// Its LLDP chassis id as the report writes it.
    pub chassis_id: Option<String>,
    /// Its sysName.
    pub name: Option<String>,
}

impl KnownSwitch {
    /// Each reading of `report`, as other switches would see it.
    pub fn of_report(report: &ScanReport) -> Vec<KnownSwitch> {
        report
            .switches
            .iter()
            .map(|s| {
                let mut macs: HashSet<MacAddr> = report
                    .hosts
                    .iter()
                    .filter(|h| h.ip == s.address)
                    .filter_map(|h| h.mac)
                    .collect();
                if let Some(mac) = s.chassis_id.as_deref().and_then(|c| c.parse().ok()) {
                    macs.insert(mac);
                }
                KnownSwitch {
                    macs,
                    chassis_id: s.chassis_id.clone(),
                    name: s.name.clone(),
                }
            })
            .collect()
    }

    fn is_neighbour(&self, n: &daicho_model::LldpNeighbour) -> bool {
        let chassis = n.chassis_id.as_deref();
        chassis.is_some_and(|c| {
            Some(c) == self.chassis_id.as_deref()
                || c.parse::<MacAddr>().is_ok_and(|m| self.macs.contains(&m))
        }) || (n.system_name.is_some() && n.system_name == self.name)
    }
}

/// The uplink ports of switch `i` of `readings` (by ifIndex), each with why.
pub fn uplink_ports(
    readings: &[SwitchReading],
    known: &[KnownSwitch],
    i: usize,
    threshold: usize,
) -> BTreeMap<u32, UplinkReason> {
    let reading = &readings[i];
    let others: Vec<&KnownSwitch> = known
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(_, k)| k)
        .collect();
    let mut uplinks = BTreeMap::new();
    for n in &reading.neighbours {
        if others.iter().any(|k| k.is_neighbour(n)) {
            uplinks.insert(n.port, UplinkReason::LldpSwitch);
        }
    }
    let mut per_port: HashMap<u32, usize> = HashMap::new();
    for f in &reading.forwarding {
        *per_port.entry(f.port).or_default() += 1;
        if others.iter().any(|k| k.macs.contains(&f.mac)) {
            uplinks.entry(f.port).or_insert(UplinkReason::SwitchMac);
        }
    }
    for (port, n) in per_port {
        if n > threshold {
            uplinks.entry(port).or_insert(UplinkReason::ManyMacs);
        }
    }
    uplinks
}

/// Where one MAC is plugged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The station.
    pub mac: MacAddr,
    /// Which reading of the report (its switch).
    pub switch: usize,
    /// The port's ifIndex.
    pub port: u32,
    /// The port's name (ifName), or its ifIndex when the switch named none.
    pub port_name: String,
    /// The port's ifAlias.
    pub port_alias: Option<String>,
    /// The VLAN the MAC was learnt in, when told.
    pub vlan: Option<u16>,
}

/// Every MAC of `readings` placed on its access port (never an uplink).
pub fn place(
    readings: &[SwitchReading],
    known: &[KnownSwitch],
    threshold: usize,
) -> Vec<Placement> {
    let mut best: BTreeMap<MacAddr, (usize, Placement)> = BTreeMap::new();
    for (i, reading) in readings.iter().enumerate() {
        let uplinks = uplink_ports(readings, known, i, threshold);
        let mut per_port: HashMap<u32, usize> = HashMap::new();
        for f in &reading.forwarding {
            *per_port.entry(f.port).or_default() += 1;
        }
        for f in &reading.forwarding {
            if uplinks.contains_key(&f.port) {
                continue;
            }
            let crowd = per_port[&f.port];
            if best.get(&f.mac).is_some_and(|(c, _)| *c <= crowd) {
                continue;
            }
            let port = reading.ports.iter().find(|p| p.index == f.port);
            best.insert(
                f.mac,
                (
                    crowd,
                    Placement {
                        mac: f.mac,
                        switch: i,
                        port: f.port,
                        port_name: port.map_or_else(|| f.port.to_string(), |p| p.name.clone()),
                        port_alias: port.and_then(|p| p.alias.clone()),
                        vlan: f.vlan,
                    },
                ),
            );
        }
    }
    best.into_values().map(|(_, p)| p).collect()
}

/// A device's current switch and port, as last placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DevicePort {
    /// The switch's management address.
    pub switch_address: String,
    /// The switch's name (sysName), when it told one.
    pub switch_name: Option<String>,
    /// The ledger device that is the switch, when the report saw its address.
    pub switch_device_id: Option<i64>,
    /// The port's name.
    pub port_name: String,
    /// The port's ifAlias.
    pub port_alias: Option<String>,
    /// The VLAN, when told.
    pub vlan: Option<u16>,
    /// When it was seen there (the report's time).
    pub seen_at: String,
}

impl DevicePort {
    /// How an operator reads the place: `sw-2f ポート 14` (the address when the switch has no
    /// name).
    pub fn label(&self) -> String {
        format!(
            "{} ポート {}",
            self.switch_name.as_deref().unwrap_or(&self.switch_address),
            self.port_name
        )
    }
}

/// Records the placements of `report`'s switches for the devices of `site`; returns the
/// number of `port_moved` events written.
pub(crate) fn record(
    conn: &Conn,
    site: SiteId,
    report: &ScanReport,
    report_id: &str,
    seen_at: &str,
) -> Result<usize, LedgerError> {
    if report.switches.is_empty() {
        return Ok(0);
    }
    let known = KnownSwitch::of_report(report);
    let mut events = 0;
    let mut switch_devices: HashMap<IpAddr, Option<i64>> = HashMap::new();
    for p in place(&report.switches, &known, UPLINK_MAC_THRESHOLD) {
        let Some(owner) = key_owner(conn, site, "mac", &p.mac.to_string())? else {
            continue; // a MAC the agent never saw as a host: no device to place
        };
        let reading = &report.switches[p.switch];
        let switch_device_id = if let Some(id) = switch_devices.get(&reading.address) {
            *id
        } else {
            let id = device_at(conn, site, reading.address)?;
            switch_devices.insert(reading.address, id);
            id
        };
        let now = DevicePort {
            switch_address: reading.address.to_string(),
            switch_name: reading.name.clone(),
            switch_device_id,
            port_name: p.port_name.clone(),
            port_alias: p.port_alias.clone(),
            vlan: p.vlan,
            seen_at: seen_at.to_owned(),
        };
        let before = device_port(conn, owner.device_id)?;
        if before
            .as_ref()
            .is_some_and(|b| b.seen_at.as_str() > seen_at)
        {
            continue; // a late report does not roll the place back
        }
        conn.prepare_cached(
            "INSERT INTO device_ports (device_id, switch_address, switch_name, switch_device_id,
                 port_name, port_alias, vlan, seen_at, report_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (device_id) DO UPDATE SET switch_address = excluded.switch_address,
                 switch_name = excluded.switch_name, switch_device_id = excluded.switch_device_id,
                 port_name = excluded.port_name, port_alias = excluded.port_alias,
                 vlan = excluded.vlan, seen_at = excluded.seen_at, report_id = excluded.report_id",
        )?
        .execute(params![
            owner.device_id,
            now.switch_address,
            now.switch_name,
            now.switch_device_id,
            now.port_name,
            now.port_alias,
            now.vlan.map(i64::from),
            now.seen_at,
            report_id
        ])?;
        if let Some(before) = before
            && (before.switch_address != now.switch_address || before.port_name != now.port_name)
        {
            record_event(
                conn,
                owner.device_id,
                EventKind::PortMoved,
                seen_at,
                Some(report_id),
                &json!({
                    "from": {"switch": before.switch_address, "switch_name": before.switch_name,
                             "port": before.port_name},
                    "to": {"switch": now.switch_address, "switch_name": now.switch_name,
                           "port": now.port_name},
                    "text": format!("{} → {}", before.label(), now.label()),
                }),
            )?;
            events += 1;
        }
    }
    Ok(events)
}

/// The device of `site` currently at `address`, if any.
fn device_at(conn: &Conn, site: SiteId, address: IpAddr) -> Result<Option<i64>, LedgerError> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM devices WHERE site_id = ?1 AND ip = ?2 AND merged_into IS NULL
             ORDER BY last_seen DESC LIMIT 1",
        )?
        .query_row(params![site.0, address.to_string()], |r| r.get(0))
        .optional()?)
}

/// The place in [`PORT_COLUMNS`] order, from column `at` of `r` on.
fn port_from_row(r: &crate::db::Row<'_>, at: usize) -> Result<DevicePort, crate::db::DbError> {
    Ok(DevicePort {
        switch_address: r.get(at)?,
        switch_name: r.get(at + 1)?,
        switch_device_id: r.get(at + 2)?,
        port_name: r.get(at + 3)?,
        port_alias: r.get(at + 4)?,
        vlan: vlan(r.get(at + 5)?),
        seen_at: r.get(at + 6)?,
    })
}

fn vlan(stored: Option<i64>) -> Option<u16> {
    stored.and_then(|v| u16::try_from(v).ok())
}

const PORT_COLUMNS: &str =
    "switch_address, switch_name, switch_device_id, port_name, port_alias, vlan, seen_at";

/// The stored place of one device.
pub(crate) fn device_port(conn: &Conn, device_id: i64) -> Result<Option<DevicePort>, LedgerError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {PORT_COLUMNS} FROM device_ports WHERE device_id = ?1"
        ))?
        .query_row(params![device_id], |r| port_from_row(r, 0))
        .optional()?)
}

impl Ledger {
    /// The places of `site`'s placed devices, by their MAC (for the port-bound allowlists).
    pub fn placements(&self, site: SiteId) -> Result<HashMap<MacAddr, DevicePort>, LedgerError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT k.value, {PORT_COLUMNS} FROM device_ports p
                 JOIN device_keys k ON k.device_id = p.device_id
                 WHERE k.site_id = ?1 AND k.kind = 'mac'"
            ))?;
            let rows = stmt.query_map(params![site.0], |r| {
                let mac: String = r.get(0)?;
                Ok((mac, port_from_row(r, 1)?))
            })?;
            let mut out = HashMap::new();
            for row in rows {
                let (mac, place) = row?;
                if let Ok(mac) = mac.parse::<MacAddr>() {
                    out.insert(mac, place);
                }
            }
            Ok(out)
        })
    }

    /// Where device `id` is plugged in, when a switch reading placed it.
    pub fn device_port(&self, id: i64) -> Result<Option<DevicePort>, LedgerError> {
        self.read(|conn| device_port(conn, id))
    }

    /// The places of the devices `ids` that have one, by device id (for lists: triage,
    /// allowlists).
    pub fn device_ports(&self, ids: &[i64]) -> Result<HashMap<i64, DevicePort>, LedgerError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "SELECT device_id, {PORT_COLUMNS} FROM device_ports WHERE device_id IN ({})",
            marks.join(", ")
        );
        let args: Vec<crate::db::Value> = ids
            .iter()
            .map(|&id| crate::db::Value::Integer(id))
            .collect();
        self.read(|conn| {
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(crate::db::params_from_iter(args.iter()), |r| {
                let id: i64 = r.get(0)?;
                Ok((id, port_from_row(r, 1)?))
            })?;
            Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
        })
    }
}

#[cfg(test)]
mod tests;
