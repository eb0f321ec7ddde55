//! The switch MIB tables, from walked bindings to the report's [`SwitchReading`] parts. Pure:
//! no I/O, so every table layout is tested on bindings alone.
//!
//! Ports are named by ifIndex everywhere in the report. BRIDGE-MIB and Q-BRIDGE-MIB name a port
//! by its bridge port number, turned into an ifIndex through dot1dBasePortIfIndex; LLDP-MIB's
//! lldpRemLocalPortNum is read the same way, as switches number LLDP's local ports as their
//! bridge ports. A number the mapping lacks is taken as an ifIndex (agents that number both
//! alike leave the mapping out).

use std::collections::BTreeMap;

use daicho_model::bounds::MAX_NAME_CHARS;
use daicho_model::{ForwardingEntry, LldpNeighbour, MacAddr, SwitchPort};

use crate::probe::snmp::{SnmpValue, VarBind};
use crate::wire::clean_text;

/// IF-MIB ifDescr.
pub const IF_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2];
/// IF-MIB ifName.
pub const IF_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1];
/// IF-MIB ifAlias.
pub const IF_ALIAS: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18];
/// BRIDGE-MIB dot1dBasePortIfIndex.
pub const BASE_PORT_IFINDEX: &[u32] = &[1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2];
/// BRIDGE-MIB dot1dTpFdbPort.
pub const TP_FDB_PORT: &[u32] = &[1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2];
/// BRIDGE-MIB dot1dTpFdbStatus.
pub const TP_FDB_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 3];
/// Q-BRIDGE-MIB dot1qTpFdbPort.
pub const Q_TP_FDB_PORT: &[u32] = &[1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1, 2];
/// Q-BRIDGE-MIB dot1qTpFdbStatus.
pub const Q_TP_FDB_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1, 3];
/// LLDP-MIB lldpRemEntry: the columns read are 4 (chassis id subtype), 5 (chassis id),
/// 6 (port id subtype), 7 (port id) and 9 (system name).
pub const LLDP_REM_ENTRY: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 4, 1, 1];
/// LLDP-MIB lldpLocChassisIdSubtype.0.
pub const LLDP_LOC_CHASSIS_SUBTYPE: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 3, 1, 0];
/// LLDP-MIB lldpLocChassisId.0.
pub const LLDP_LOC_CHASSIS_ID: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 3, 2, 0];

/// dot1dTpFdbStatus/dot1qTpFdbStatus `self(4)`: the switch's own address, no station; and
/// `invalid(2)`: an entry being aged out.
const FDB_SELF: i64 = 4;
const FDB_INVALID: i64 = 2;
/// LLDP's chassis id subtype `macAddress(4)`, port id subtype `macAddress(3)`.
const CHASSIS_MAC: i64 = 4;
const PORT_MAC: i64 = 3;

/// The bindings of one table column, keyed by the index after the column's OID.
pub type Column = BTreeMap<Vec<u32>, SnmpValue>;

/// Groups walked bindings under `column` by their index (the arcs after it).
pub fn column(rows: &[VarBind], column: &[u32]) -> Column {
    rows.iter()
        .filter_map(|b| {
            b.oid
                .strip_prefix(column)
                .map(|index| (index.to_vec(), b.value.clone()))
        })
        .collect()
}

/// A device-supplied string, cleaned and bounded; `None` when empty.
pub fn text(value: &SnmpValue) -> Option<String> {
    let SnmpValue::Octets(bytes) = value else {
        return None;
    };
    let s = clean_text(&String::from_utf8_lossy(bytes), MAX_NAME_CHARS);
    (!s.is_empty()).then_some(s)
}

fn integer(value: &SnmpValue) -> Option<i64> {
    match value {
        SnmpValue::Integer(n) => Some(*n),
        _ => None,
    }
}

fn single(index: &[u32]) -> Option<u32> {
    match index {
        [n] => Some(*n),
        _ => None,
    }
}

fn mac_of(arcs: &[u32]) -> Option<MacAddr> {
    let octets: Vec<u8> = arcs
        .iter()
        .map(|&a| u8::try_from(a).ok())
        .collect::<Option<_>>()?;
    Some(MacAddr(octets.try_into().ok()?))
}

/// The ports: ifName (else ifDescr) and ifAlias by ifIndex.
pub fn ports(names: &Column, descriptions: &Column, aliases: &Column) -> Vec<SwitchPort> {
    let mut out: BTreeMap<u32, SwitchPort> = BTreeMap::new();
    for (index, value) in descriptions.iter().chain(names) {
        let (Some(index), Some(name)) = (single(index), text(value)) else {
            continue;
        };
        // ifName comes second and wins over ifDescr.
        out.insert(
            index,
            SwitchPort {
                index,
                name,
                alias: None,
            },
        );
    }
    for (index, value) in aliases {
        if let Some(port) = single(index).and_then(|i| out.get_mut(&i)) {
            port.alias = text(value);
        }
    }
    out.into_values().collect()
}

/// dot1dBasePortIfIndex: bridge port number → ifIndex.
pub fn base_ports(rows: &Column) -> BTreeMap<u32, u32> {
    rows.iter()
        .filter_map(|(index, value)| {
            let if_index = u32::try_from(integer(value)?).ok()?;
            Some((single(index)?, if_index))
        })
        .collect()
}

fn if_index(base: &BTreeMap<u32, u32>, bridge_port: i64) -> Option<u32> {
    let port = u32::try_from(bridge_port).ok().filter(|&p| p != 0)?;
    Some(base.get(&port).copied().unwrap_or(port))
}

/// The learnt stations of dot1qTpFdbPort (index: filtering database id, then the MAC), the
/// database id taken as the VLAN (independent learning numbers them by VLAN).
pub fn forwarding_q(
    ports: &Column,
    status: &Column,
    base: &BTreeMap<u32, u32>,
) -> Vec<ForwardingEntry> {
    forwarding(ports, status, base, |index| match index {
        [fdb, mac @ ..] => Some((mac_of(mac)?, u16::try_from(*fdb).ok())),
        [] => None,
    })
}

/// The learnt stations of dot1dTpFdbPort (index: the MAC); no VLAN.
pub fn forwarding_dot1d(
    ports: &Column,
    status: &Column,
    base: &BTreeMap<u32, u32>,
) -> Vec<ForwardingEntry> {
    forwarding(ports, status, base, |index| Some((mac_of(index)?, None)))
}

fn forwarding(
    ports: &Column,
    status: &Column,
    base: &BTreeMap<u32, u32>,
    key: impl Fn(&[u32]) -> Option<(MacAddr, Option<u16>)>,
) -> Vec<ForwardingEntry> {
    ports
        .iter()
        .filter_map(|(index, value)| {
            let state = status.get(index).and_then(integer);
            if matches!(state, Some(FDB_SELF | FDB_INVALID)) {
                return None;
            }
            let (mac, vlan) = key(index)?;
            if mac.is_multicast() {
                return None;
            }
            Some(ForwardingEntry {
                mac,
                port: if_index(base, integer(value)?)?,
                vlan,
            })
        })
        .collect()
}

/// An LLDP id: a MAC (subtype `mac`) as `aa:bb:cc:dd:ee:ff`, text when printable, else hex.
fn lldp_id(subtype: Option<i64>, value: &SnmpValue, mac: i64) -> Option<String> {
    let SnmpValue::Octets(bytes) = value else {
        return None;
    };
    if subtype == Some(mac)
        && let Ok(octets) = <[u8; 6]>::try_from(bytes.as_slice())
    {
        return Some(MacAddr(octets).to_string());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => text(value),
        _ => {
            let hex: Vec<String> = bytes.iter().take(64).map(|b| format!("{b:02x}")).collect();
            (!hex.is_empty()).then(|| hex.join(":"))
        }
    }
}

/// The local chassis id (lldpLocChassisIdSubtype.0, lldpLocChassisId.0) of a GET's bindings.
pub fn local_chassis(binds: &[VarBind]) -> Option<String> {
    let find = |oid: &[u32]| binds.iter().find(|b| b.oid == oid).map(|b| &b.value);
    let subtype = find(LLDP_LOC_CHASSIS_SUBTYPE).and_then(integer);
    lldp_id(subtype, find(LLDP_LOC_CHASSIS_ID)?, CHASSIS_MAC)
}

/// The LLDP neighbours of lldpRemTable (index: time mark, local port number, remote index).
pub fn neighbours(entry: &[VarBind], base: &BTreeMap<u32, u32>) -> Vec<LldpNeighbour> {
    let col = |n: u32| column(entry, &[LLDP_REM_ENTRY, &[n]].concat());
    let (chassis_subtype, chassis, port_subtype, port_id, name) =
        (col(4), col(5), col(6), col(7), col(9));
    let mut out = Vec::new();
    for (index, value) in &chassis {
        let [_, local, _] = index.as_slice() else {
            continue;
        };
        let Some(port) = if_index(base, i64::from(*local)) else {
            continue;
        };
        out.push(LldpNeighbour {
            port,
            chassis_id: lldp_id(
                chassis_subtype.get(index).and_then(integer),
                value,
                CHASSIS_MAC,
            ),
            port_id: port_id
                .get(index)
                .and_then(|v| lldp_id(port_subtype.get(index).and_then(integer), v, PORT_MAC)),
            system_name: name.get(index).and_then(text),
        });
    }
    out
}

#[cfg(test)]
mod tests;
