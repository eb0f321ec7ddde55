//! What the ledger knows about a device, as the flag rules need it.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use daicho_model::inventory::{Package, SystemService};
use daicho_model::{OsGuess, Service};

/// One ledger device, reduced to what the flag rules read.
#[derive(Debug, Clone)]
pub struct DeviceFacts {
    /// The ledger's device id.
    pub id: String,
    /// Current addresses.
    pub ips: Vec<IpAddr>,
    /// True when the device's MAC is locally administered (randomised).
    pub mac_randomized: bool,
    /// True when an operator registered the device in the ledger.
    pub registered: bool,
    /// True when an operator, triaging it, said what this unregistered device is (a personal
    /// or visitor device, or removed): it is known, though not a ledger device.
    pub known_outside_ledger: bool,
    /// The role assigned by the operator, if any.
    pub role: Option<String>,
    /// When the device was last seen by any agent.
    pub last_seen: DateTime<Utc>,
    /// What the device is believed to run.
    pub os: Option<OsGuess>,
    /// The services last seen open.
    pub services: Vec<Service>,
    /// From the device's own inventory, when it runs an agent: when packages were last updated.
    pub last_updated: Option<DateTime<Utc>>,
    /// True when the device runs an agent (so `last_updated` is meaningful even when `None`).
    pub self_inventoried: bool,
    /// From the device's own inventory: its installed programs (Windows' program list, the
    /// packages elsewhere).
    pub programs: Vec<Package>,
    /// From the device's own inventory: its system services with state and start type.
    pub system_services: Vec<SystemService>,
}

/// A vendor-agreed exception: this device may run this service until `expires`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// The ledger's device id.
    pub device_id: String,
    /// The service name (`telnet`) or risky-rule id (`snmp-default-community`) it covers.
    pub service: String,
    /// Why it is allowed.
    pub reason: String,
    /// Who approved it.
    pub approver: String,
    /// The last day it is valid.
    pub expires: NaiveDate,
}

impl Exception {
    /// True when the exception covers `service` (by name) or `rule_id` on `device_id` on `day`.
    pub fn covers(&self, device_id: &str, service: &str, rule_id: &str, day: NaiveDate) -> bool {
        self.device_id == device_id
            && (self.service == service || self.service == rule_id)
            && day <= self.expires
    }
}
