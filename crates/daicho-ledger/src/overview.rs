//! The ledger at a glance, for the console's dashboard: device counts per concern and the
//! agents with their last report (and which have gone quiet).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::sites::SiteScope;
use crate::time::from_db;
use crate::{Ledger, LedgerError};

/// An agent that has not reported for this long is quiet: its part of the LAN is no longer
/// watched.
pub const AGENT_QUIET_AFTER: Duration = Duration::hours(24);

/// How many devices need the operator, by concern.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeviceCounts {
    /// Live devices (merged-away ones excluded).
    pub total: u64,
    /// Devices with the `unregistered` flag.
    pub unregistered: u64,
    /// Devices with any flag.
    pub flagged: u64,
    /// Devices not seen for the gone period (`presence = gone`).
    pub missing: u64,
}

/// One agent, from the reports it pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentSummary {
    /// The agent's name (as its reports give it).
    pub name: String,
    /// The name of the site its reports belong to (its token's).
    pub site: String,
    /// The token the last report came with.
    pub token_name: Option<String>,
    /// The agent's version in its last report.
    pub version: String,
    /// When its last report arrived (RFC 3339).
    pub last_report_at: String,
    /// Hosts in its last report.
    pub last_host_count: u64,
    /// Reports received in all.
    pub reports: u64,
    /// No report for [`AGENT_QUIET_AFTER`].
    pub quiet: bool,
    /// The data sets its last report says it used (IEEE registry, EOL dates, rules), each with
    /// its date; empty for agents that predate the list.
    pub data: Vec<daicho_model::DataVersion>,
}

impl AgentSummary {
    /// The date of the IEEE registry its last report says it used, when it says.
    pub fn registry_date(&self) -> Option<chrono::NaiveDate> {
        self.data
            .iter()
            .find(|d| d.name == "ieee-registry")
            .and_then(|d| d.date)
    }
}

impl Ledger {
    /// The dashboard counts over the sites of `scope`.
    pub fn device_counts(&self, scope: &SiteScope) -> Result<DeviceCounts, LedgerError> {
        let in_scope = scope.sql("site_id");
        let flagged_in_scope = scope.devices_sql("device_id");
        self.read(|conn| {
            let one = |sql: &str| -> Result<u64, LedgerError> {
                let n: i64 = conn.prepare_cached(sql)?.query_row([], |r| r.get(0))?;
                Ok(u64::try_from(n).unwrap_or(0))
            };
            Ok(DeviceCounts {
                total: one(&format!(
                    "SELECT count(*) FROM devices WHERE merged_into IS NULL AND {in_scope}"
                ))?,
                unregistered: one(&format!(
                    "SELECT count(DISTINCT device_id) FROM device_flags
                     WHERE flag = 'unregistered' AND {flagged_in_scope}"
                ))?,
                flagged: one(&format!(
                    "SELECT count(DISTINCT device_id) FROM device_flags WHERE {flagged_in_scope}"
                ))?,
                missing: one(&format!(
                    "SELECT count(*) FROM devices
                     WHERE merged_into IS NULL AND presence = 'gone' AND {in_scope}"
                ))?,
            })
        })
    }

    /// Every agent of the sites of `scope` that has reported, most recent first; `quiet` as of
    /// `now`. The same agent name at two sites is two agents.
    pub fn agents(
        &self,
        scope: &SiteScope,
        now: DateTime<Utc>,
    ) -> Result<Vec<AgentSummary>, LedgerError> {
        let quiet_before = now - AGENT_QUIET_AFTER;
        let sql = format!(
            "SELECT r.agent, r.token_name, r.agent_version, r.received_at, r.host_count, c.n,
                    r.data_json, s.name
             FROM (SELECT agent, site_id, max(id) AS last, count(*) AS n FROM reports
                   WHERE {} GROUP BY site_id, agent) c
             JOIN reports r ON r.id = c.last
             JOIN sites s ON s.id = c.site_id
             ORDER BY r.received_at DESC",
            scope.sql("site_id")
        );
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([], |r| {
                let at: String = r.get(3)?;
                Ok(AgentSummary {
                    name: r.get(0)?,
                    site: r.get(7)?,
                    token_name: r.get(1)?,
                    version: r.get(2)?,
                    quiet: from_db(&at).is_none_or(|t| t < quiet_before),
                    last_report_at: at,
                    last_host_count: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                    reports: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                    // Written by ingest from a parsed report; unreadable means none said.
                    data: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
