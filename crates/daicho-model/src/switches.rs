//! What the agent read from managed switches over SNMP (the report's `switches`): each switch's
//! ports, forwarding table and LLDP neighbours, as the switch states them. Where a device is
//! plugged in is decided by the collector from these (`daicho-ledger::switch_ports`), not here.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::MacAddr;

/// One switch the agent was told to read (`[snmp] switches`), and what it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchReading {
    /// Its management address, as configured.
    pub address: IpAddr,
    /// sysName.
    #[serde(default)]
    pub name: Option<String>,
    /// sysDescr.
    #[serde(default)]
    pub description: Option<String>,
    /// Its own LLDP chassis id (lldpLocChassisId): a MAC as `aa:bb:cc:dd:ee:ff`, else the text.
    #[serde(default)]
    pub chassis_id: Option<String>,
    /// Its ports (IF-MIB), by ifIndex.
    #[serde(default)]
    pub ports: Vec<SwitchPort>,
    /// The stations it has learnt and on which port (Q-BRIDGE-MIB, else BRIDGE-MIB); the
    /// switch's own addresses are left out.
    #[serde(default)]
    pub forwarding: Vec<ForwardingEntry>,
    /// What LLDP says is at the other end of its ports (LLDP-MIB lldpRemTable).
    #[serde(default)]
    pub neighbours: Vec<LldpNeighbour>,
    /// Why the reading is missing or incomplete (no answer, a limit reached), for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl SwitchReading {
    /// The reading of `address` before anything was read from it.
    pub fn unread(address: IpAddr) -> Self {
        Self {
            address,
            name: None,
            description: None,
            chassis_id: None,
            ports: Vec::new(),
            forwarding: Vec::new(),
            neighbours: Vec::new(),
            note: None,
        }
    }
}

/// One port of a switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchPort {
    /// ifIndex.
    pub index: u32,
    /// ifName (ifDescr when the switch has no ifName).
    pub name: String,
    /// ifAlias, the operator's description of the port, when set.
    #[serde(default)]
    pub alias: Option<String>,
}

/// One learnt station: this MAC was last seen behind this port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardingEntry {
    /// The station's MAC.
    pub mac: MacAddr,
    /// The port's ifIndex ([`SwitchPort::index`]).
    pub port: u32,
    /// The VLAN (Q-BRIDGE-MIB's filtering database), when the switch tells it.
    #[serde(default)]
    pub vlan: Option<u16>,
}

/// One LLDP neighbour seen on a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LldpNeighbour {
    /// The local port's ifIndex.
    pub port: u32,
    /// The neighbour's chassis id: a MAC as `aa:bb:cc:dd:ee:ff`, else the text.
    #[serde(default)]
    pub chassis_id: Option<String>,
    /// The neighbour's port id (a name, or a MAC).
    #[serde(default)]
    pub port_id: Option<String>,
    /// The neighbour's system name.
    #[serde(default)]
    pub system_name: Option<String>,
}
