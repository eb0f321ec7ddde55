//! What the ledger knows of the network's shape, for the network diagram: the ranges agents
//! were told to scan, the addresses of the agents' own interfaces, every address each device
//! was seen on, and which devices answered on an agent's segment (seen with a MAC) or from
//! behind a router (without).

use std::net::IpAddr;

use daicho_model::{LocalInventory, Scope};

use crate::db::params;
use crate::sites::SiteId;
use crate::{Ledger, LedgerError};

/// How many of a site's latest reports are read for scan ranges and routed sightings: enough
/// for every agent's recent scans, bounded so a years-old ledger reads as fast as a new one.
pub const RECENT_REPORTS: i64 = 200;

/// One site's network facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkFacts {
    /// The scan targets of the site's recent reports as given (`192.168.1.0/24`, `10.0.0.5`,
    /// `10.0.0.1-10.0.0.9`), each once, in first-seen order from the latest report.
    pub scan_targets: Vec<String>,
    /// The agents' own interface addresses with prefix (`192.168.1.5/24`), by device id.
    pub agent_addresses: Vec<(i64, String)>,
    /// Every address a live device was seen on, by device id.
    pub device_addresses: Vec<(i64, IpAddr)>,
    /// Devices an agent saw with a MAC address in a recent report: on that agent's segment.
    pub segment_devices: Vec<i64>,
    /// Devices an agent saw without a MAC address in a recent report: not on that agent's
    /// segment, so reached through a router.
    pub routed_devices: Vec<i64>,
}

impl Ledger {
    /// The network facts of `site`.
    pub fn network_facts(&self, site: SiteId) -> Result<NetworkFacts, LedgerError> {
        self.read(|conn| {
            let mut facts = NetworkFacts::default();
            let mut stmt = conn.prepare_cached(
                "SELECT scope_json FROM reports WHERE site_id = ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            stmt.for_each_row(params![site.0, RECENT_REPORTS], |r| {
                // Written by ingest from a parsed report; an unreadable one names no range.
                if let Ok(scope) = serde_json::from_str::<Scope>(&r.get::<_, String>(0)?) {
                    for target in scope.targets {
                        if !facts.scan_targets.contains(&target) {
                            facts.scan_targets.push(target);
                        }
                    }
                }
                Ok(())
            })?;
            let mut stmt = conn.prepare_cached(
                "SELECT id, local_json FROM devices
                 WHERE merged_into IS NULL AND site_id = ?1 AND local_json IS NOT NULL
                 ORDER BY id",
            )?;
            stmt.for_each_row(params![site.0], |r| {
                let id: i64 = r.get(0)?;
                if let Ok(local) = serde_json::from_str::<LocalInventory>(&r.get::<_, String>(1)?) {
                    for address in local.interfaces.into_iter().flat_map(|i| i.addresses) {
                        facts.agent_addresses.push((id, address));
                    }
                }
                Ok(())
            })?;
            let mut stmt = conn.prepare_cached(
                "SELECT i.device_id, i.ip FROM device_ips i JOIN devices d ON d.id = i.device_id
                 WHERE d.merged_into IS NULL AND d.site_id = ?1 ORDER BY i.device_id, i.ip",
            )?;
            stmt.for_each_row(params![site.0], |r| {
                if let Ok(ip) = r.get::<_, String>(1)?.parse() {
                    facts.device_addresses.push((r.get(0)?, ip));
                }
                Ok(())
            })?;
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT s.device_id, s.mac IS NULL FROM sightings s
                 JOIN devices d ON d.id = s.device_id
                 WHERE d.merged_into IS NULL AND d.site_id = ?1
                   AND s.report_id IN (SELECT report_id FROM reports WHERE site_id = ?1
                                       ORDER BY id DESC LIMIT ?2)
                 ORDER BY s.device_id",
            )?;
            stmt.for_each_row(params![site.0, RECENT_REPORTS], |r| {
                let id: i64 = r.get(0)?;
                if r.get::<_, bool>(1)? {
                    facts.routed_devices.push(id);
                } else {
                    facts.segment_devices.push(id);
                }
                Ok(())
            })?;
            Ok(facts)
        })
    }
}
