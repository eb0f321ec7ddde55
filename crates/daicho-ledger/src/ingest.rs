//! Merging one scan report into the ledger, in one transaction.
//!
//! The whole report — its row in `reports`, every device, key, IP, service, sighting, flag and
//! event it causes — is written in a single `BEGIN IMMEDIATE … COMMIT`. A crash or SIGKILL at
//! any point before the commit leaves nothing of it; the agent's retry then stores it whole.
//! A report id already stored is answered as a duplicate and changes nothing.
//!
//! Observations are timed by the report's `finished_at`, capped at the time the collector
//! received it (an agent with a fast clock must not push devices' last sighting into the
//! future). A report older than a device's last sighting — an agent delivering its backlog
//! late — still adds its sighting and IP history but does not roll back the device's current
//! IP, OS or services, and raises no change events.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use crate::db::{Conn, OptionalExtension, WriteLock, params};
use chrono::{DateTime, Duration, Utc};
use daicho_model::{Host, LocalInventory, OsFamily, Protocol, ScanReport};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::events::{EventKind, record_event};
use crate::identity::{self, MatchContext, MatchRule, Observation};
use crate::ports::PortCoverage;
use crate::sites::SiteId;
use crate::time::{from_db, to_db};
use crate::{Ledger, LedgerError, flags};

/// What an ingest did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestOutcome {
    /// The report's id.
    pub report_id: Uuid,
    /// The id was already stored; nothing changed.
    pub duplicate: bool,
    /// Distinct ledger devices the report touched.
    pub devices: usize,
    /// Of those, how many were new.
    pub new_devices: usize,
    /// Events recorded.
    pub events: usize,
}

impl Ledger {
    /// Merges `report` into the ledger at the implicit site: [`Ledger::ingest_at`] with
    /// [`SiteId::DEFAULT`].
    pub fn ingest(
        &self,
        report: &ScanReport,
        token_name: Option<&str>,
    ) -> Result<IngestOutcome, LedgerError> {
        self.ingest_at(SiteId::DEFAULT, report, token_name)
    }

    /// Merges `report` into the ledger at `site` (the pushing token's site: never what the
    /// report says). `token_name` is the name behind the bearer token that pushed it (`None`
    /// for a local import). Hosts are matched only to devices of that site.
    pub fn ingest_at(
        &self,
        site: SiteId,
        report: &ScanReport,
        token_name: Option<&str>,
    ) -> Result<IngestOutcome, LedgerError> {
        let options = self.options();
        let policy = self.policy();
        let received = self.now();
        self.write_concurrently(|conn| {
            let tx = conn.begin(WriteLock::Exclusive)?;
            let report_id = report.report_id.to_string();
            let stored: Option<i64> = tx
                .prepare_cached("SELECT device_count FROM reports WHERE report_id = ?1")?
                .query_row(params![report_id], |r| r.get(0))
                .optional()?;
            if let Some(devices) = stored {
                return Ok(IngestOutcome {
                    report_id: report.report_id,
                    duplicate: true,
                    devices: devices as usize,
                    new_devices: 0,
                    events: 0,
                });
            }
            tracing::info!(report_id = %daicho_model::display_text::log_text(&report.report_id), hosts = report.hosts.len(),
                agent = %daicho_model::display_text::log_text(&report.agent.name), "ingest started");
            let seen_at = report.finished_at.min(received);
            tx.execute(
                "INSERT INTO reports (report_id, agent, agent_version, machine_id, token_name,
                     started_at, finished_at, received_at, host_count, device_count, scope_json,
                     methods_json, warnings_json, data_json, site_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11, ?12, ?13, ?14)",
                params![
                    report_id,
                    report.agent.name,
                    report.agent.version,
                    report.agent.machine_id,
                    token_name,
                    to_db(report.started_at),
                    to_db(report.finished_at),
                    to_db(received),
                    crate::sql_count(report.hosts.len()),
                    serde_json::to_string(&report.scope).unwrap_or_default(),
                    serde_json::to_string(&report.methods).unwrap_or_default(),
                    serde_json::to_string(&report.warnings).unwrap_or_default(),
                    serde_json::to_string(&report.data).unwrap_or_else(|_| "[]".into()),
                    site.0,
                ],
            )?;
            let mut merge = Merge {
                conn: &tx,
                site,
                policy: &policy,
                report_id: &report_id,
                agent: &report.agent.name,
                seen_at,
                seen_text: to_db(seen_at),
                received_text: to_db(received),
                coverage: PortCoverage::from_spec(report.scope.ports.as_deref()),
                lease: Duration::hours(i64::from(options.randomized_lease_hours)),
                os_stale: Duration::hours(i64::from(options.os_stale_after_hours)),
                touched: HashSet::new(),
                new_devices: 0,
                events: 0,
            };
            let synthetic = report_local_host(report);
            let owner_of_local = report.local.as_ref().and_then(|l| local_host_index(report, l));
            for (i, host) in report.hosts.iter().chain(synthetic.iter()).enumerate() {
                let local = host.local.as_ref().or(if Some(i) == owner_of_local
                    || i >= report.hosts.len()
                {
                    report.local.as_ref()
                } else {
                    None
                });
                let obs = Observation::from_host(host, local, report);
                merge.host(&obs)?;
            }
            let devices = merge.touched.len();
            let (new_devices, mut events) = (merge.new_devices, merge.events);
            // Once every host is a device: the switches' placements name devices by MAC.
            events +=
                crate::switch_ports::record(&tx, site, report, &report_id, &to_db(seen_at))?;
            tx.execute(
                "UPDATE reports SET device_count = ?1 WHERE report_id = ?2",
                params![crate::sql_count(devices), report_id],
            )?;
            if let Some(name) = token_name {
                tx.execute(
                    "UPDATE tokens SET last_used_at = ?1 WHERE name = ?2 AND revoked_at IS NULL",
                    params![to_db(received), name],
                )?;
            }
            tx.commit()?;
            tracing::info!(report_id = %daicho_model::display_text::log_text(&report.report_id), devices, new_devices, events, "ingest committed");
            Ok(IngestOutcome {
                report_id: report.report_id,
                duplicate: false,
                devices,
                new_devices,
                events,
            })
        })
    }
}

/// The index of the host that is the agent's own machine (so the report-level inventory belongs
/// to it): one whose IP or MAC appears on the inventory's interfaces.
fn local_host_index(report: &ScanReport, local: &LocalInventory) -> Option<usize> {
    let ips: HashSet<IpAddr> = local
        .interfaces
        .iter()
        .flat_map(|i| i.addresses.iter())
        .filter_map(|a| a.split('/').next()?.parse().ok())
        .collect();
    let macs: HashSet<_> = local.interfaces.iter().filter_map(|i| i.mac).collect();
    report
        .hosts
        .iter()
        .position(|h| ips.contains(&h.ip) || h.mac.is_some_and(|m| macs.contains(&m)))
}

/// When the report carries the agent host's inventory but no scanned host is that machine, a
/// host is made from the inventory so the agent's own machine is in the ledger too.
fn report_local_host(report: &ScanReport) -> Option<Host> {
    let local = report.local.as_ref()?;
    if local_host_index(report, local).is_some() {
        return None;
    }
    let (ip, mac) = local.interfaces.iter().find_map(|iface| {
        iface.addresses.iter().find_map(|a| {
            let ip: IpAddr = a.split('/').next()?.parse().ok()?;
            (!ip.is_loopback() && !ip.is_unspecified() && !is_link_local(ip))
                .then_some((ip, iface.mac))
        })
    })?;
    Some(Host {
        ip,
        mac,
        vendor: None,
        mac_randomized: mac.is_some_and(daicho_oui::is_randomized),
        hostname: Some(local.hostname.clone()).filter(|h| !h.is_empty()),
        os: identity::os_from_local(local),
        services: Vec::new(),
        rtt_ms: None,
        ttl: None,
        discovered_by: vec!["local-inventory".to_owned()],
        local: None,
    })
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
    }
}

/// The sortable key of an IP: IPv4 mapped into IPv6, 16 bytes, so one index orders both.
pub(crate) fn ip_key(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// The state of one report's merge.
struct Merge<'a> {
    conn: &'a Conn,
    /// The site the report belongs to: every match and new device is there.
    site: SiteId,
    policy: &'a daicho_policy::Policy,
    report_id: &'a str,
    agent: &'a str,
    seen_at: DateTime<Utc>,
    seen_text: String,
    /// When the collector received the report.
    received_text: String,
    coverage: PortCoverage,
    lease: Duration,
    os_stale: Duration,
    touched: HashSet<i64>,
    new_devices: usize,
    events: usize,
}

/// The stored observed state of a device that a merge compares against.
struct Stored {
    ip: Option<String>,
    mac: Option<String>,
    hostname: Option<String>,
    os_family: String,
    os_name: Option<String>,
    os_version: Option<String>,
    os_confidence: f64,
    os_confirmed_at: Option<String>,
    last_seen: String,
    presence: String,
}

impl Merge<'_> {
    fn event(
        &mut self,
        device_id: i64,
        kind: EventKind,
        detail: &Value,
    ) -> Result<(), LedgerError> {
        record_event(
            self.conn,
            device_id,
            kind,
            &self.seen_text,
            Some(self.report_id),
            detail,
        )?;
        self.events += 1;
        Ok(())
    }

    fn host(&mut self, obs: &Observation<'_>) -> Result<(), LedgerError> {
        let ctx = MatchContext {
            site: self.site,
            touched: &self.touched,
            seen_at: self.seen_at,
            lease: self.lease,
        };
        let (found, rule) = identity::find_device(self.conn, obs, &ctx)?;
        let device_id = match found {
            Some(id) => {
                self.update(id, obs, rule)?;
                id
            }
            None => self.insert(obs)?,
        };
        self.claim_keys(device_id, obs)?;
        let ip = obs.ip.to_string();
        self.conn
            .prepare_cached(
                "INSERT INTO device_ips (device_id, ip, first_seen, last_seen, last_report_id)
                 VALUES (?1, ?2, ?3, ?3, ?4)
                 ON CONFLICT (device_id, ip) DO UPDATE SET
                   first_seen = CASE WHEN excluded.first_seen < device_ips.first_seen
                                THEN excluded.first_seen ELSE device_ips.first_seen END,
                   last_report_id = CASE WHEN excluded.last_seen >= device_ips.last_seen
                                    THEN excluded.last_report_id ELSE device_ips.last_report_id END,
                   last_seen = CASE WHEN excluded.last_seen > device_ips.last_seen
                               THEN excluded.last_seen ELSE device_ips.last_seen END",
            )?
            .execute(params![device_id, ip, self.seen_text, self.report_id])?;
        self.conn
            .prepare_cached(
                "INSERT INTO sightings (report_id, device_id, seen_at, ip, mac, matched_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                self.report_id,
                device_id,
                self.seen_text,
                ip,
                obs.mac.map(|m| m.to_string()),
                rule.as_str()
            ])?;
        self.events += flags::recompute(
            self.conn,
            self.policy,
            device_id,
            &self.seen_text,
            Some(self.report_id),
        )?;
        self.touched.insert(device_id);
        Ok(())
    }

    fn insert(&mut self, obs: &Observation<'_>) -> Result<i64, LedgerError> {
        let ip = obs.ip.to_string();
        let id: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO devices (ip, ip_key, mac, mac_randomized, vendor, hostname,
                     hostname_norm, machine_id, os_family, os_name, os_version, os_confidence,
                     os_evidence, os_confirmed_at, local_json, first_seen, last_seen,
                     last_report_id, last_agent, last_match, created_at, site_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?14,
                     ?14, ?16, ?17, 'new', ?18, ?19) RETURNING id",
            )?
            .query_row(
                params![
                    ip,
                    ip_key(obs.ip).as_slice(),
                    obs.mac.map(|m| m.to_string()),
                    obs.mac.is_some() && obs.randomized,
                    obs.vendor,
                    obs.hostname,
                    obs.hostname_key,
                    obs.machine_id,
                    obs.os.family.as_str(),
                    obs.os.name,
                    obs.os.version,
                    obs.os.confidence,
                    serde_json::to_string(&obs.os.evidence).unwrap_or_default(),
                    self.seen_text,
                    obs.local
                        .map(|l| serde_json::to_string(l).unwrap_or_default()),
                    self.report_id,
                    self.agent,
                    self.received_text,
                    self.site.0,
                ],
                |r| r.get(0),
            )?;
        for s in obs.services {
            self.upsert_service(id, s)?;
        }
        let ports: Vec<String> = obs
            .services
            .iter()
            .map(|s| format!("{}/{} {}", s.protocol.as_str(), s.port, s.name))
            .collect();
        self.event(
            id,
            EventKind::FirstSeen,
            &json!({"ip": ip, "mac": obs.mac, "hostname": obs.hostname, "vendor": obs.vendor,
                    "services": ports}),
        )?;
        self.new_devices += 1;
        Ok(id)
    }

    fn update(
        &mut self,
        id: i64,
        obs: &Observation<'_>,
        rule: MatchRule,
    ) -> Result<(), LedgerError> {
        let stored = self
            .conn
            .prepare_cached(
                "SELECT ip, mac, hostname, os_family, os_name, os_version, os_confidence,
                        os_confirmed_at, last_seen, presence
                 FROM devices WHERE id = ?1",
            )?
            .query_row(params![id], |r| {
                Ok(Stored {
                    ip: r.get(0)?,
                    mac: r.get(1)?,
                    hostname: r.get(2)?,
                    os_family: r.get(3)?,
                    os_name: r.get(4)?,
                    os_version: r.get(5)?,
                    os_confidence: r.get(6)?,
                    os_confirmed_at: r.get(7)?,
                    last_seen: r.get(8)?,
                    presence: r.get(9)?,
                })
            })?;
        let again_in_report = self.touched.contains(&id);
        if self.seen_text < stored.last_seen && !again_in_report {
            // A late report: history (device_ips and sightings are written by the caller), and
            // only what the device does not know yet; nothing known is rolled back.
            self.conn
                .prepare_cached(
                    "UPDATE devices SET first_seen = CASE WHEN ?2 < first_seen THEN ?2 ELSE first_seen END,
                       mac_randomized = CASE WHEN mac IS NULL AND CAST(?3 AS TEXT) IS NOT NULL THEN ?4
                                        ELSE mac_randomized END,
                       mac = coalesce(mac, ?3), vendor = coalesce(vendor, ?5),
                       hostname = coalesce(hostname, ?6),
                       hostname_norm = coalesce(hostname_norm, ?7),
                       machine_id = coalesce(machine_id, ?8)
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    self.seen_text,
                    obs.mac.map(|m| m.to_string()),
                    obs.randomized,
                    obs.vendor,
                    obs.hostname,
                    obs.hostname_key,
                    obs.machine_id
                ])?;
            return Ok(());
        }
        let ip = obs.ip.to_string();
        if !again_in_report {
            if stored.presence == "gone" {
                self.event(
                    id,
                    EventKind::Returned,
                    &json!({"last_seen": stored.last_seen, "ip": ip}),
                )?;
            }
            if stored.ip.as_deref() != Some(ip.as_str()) {
                self.event(
                    id,
                    EventKind::IpChanged,
                    &json!({"from": stored.ip, "to": ip}),
                )?;
            }
        }
        // A second address of a device in one report (a multi-homed host) does not flip its
        // current MAC back and forth.
        let mac_text = obs.mac.filter(|_| !again_in_report).map(|m| m.to_string());
        if let Some(mac) = &mac_text
            && stored.mac.as_deref() != Some(mac.as_str())
        {
            self.event(
                id,
                EventKind::MacChanged,
                &json!({"from": stored.mac, "to": mac, "randomized": obs.randomized,
                        "matched_by": rule.as_str()}),
            )?;
        }
        if let Some(name) = obs.hostname
            && stored.hostname.as_deref().is_some_and(|old| old != name)
        {
            self.event(
                id,
                EventKind::HostnameChanged,
                &json!({"from": stored.hostname, "to": name}),
            )?;
        }
        let os_replaces = self.os_replaces(&stored, obs);
        if os_replaces {
            let old = (
                stored.os_family.as_str(),
                stored.os_name.as_deref(),
                stored.os_version.as_deref(),
            );
            let new = (
                obs.os.family.as_str(),
                obs.os.name.as_deref(),
                obs.os.version.as_deref(),
            );
            if old != new && stored.os_family != "unknown" {
                self.event(
                    id,
                    EventKind::OsChanged,
                    &json!({"from": {"family": old.0, "name": old.1, "version": old.2},
                            "to": {"family": new.0, "name": new.1, "version": new.2},
                            "confidence": obs.os.confidence, "evidence": obs.os.evidence}),
                )?;
            }
        }
        // The first address seen in this report stays the device's current one.
        let (new_ip, new_ip_key) = if again_in_report {
            (None, None)
        } else {
            (Some(ip), Some(ip_key(obs.ip).to_vec()))
        };
        self.conn
            .prepare_cached(
                "UPDATE devices SET
                   ip = coalesce(?2, ip), ip_key = coalesce(?3, ip_key),
                   mac = coalesce(?4, mac),
                   mac_randomized = CASE WHEN CAST(?4 AS TEXT) IS NULL THEN mac_randomized ELSE ?5 END,
                   vendor = coalesce(?6, vendor),
                   hostname = coalesce(?7, hostname), hostname_norm = coalesce(?8, hostname_norm),
                   machine_id = coalesce(?9, machine_id),
                   os_family = CASE WHEN ?10 THEN ?11 ELSE os_family END,
                   os_name = CASE WHEN ?10 THEN ?12 ELSE os_name END,
                   os_version = CASE WHEN ?10 THEN ?13 ELSE os_version END,
                   os_confidence = CASE WHEN ?10 THEN ?14 ELSE os_confidence END,
                   os_evidence = CASE WHEN ?10 THEN ?15 ELSE os_evidence END,
                   os_confirmed_at = CASE WHEN ?10 THEN ?16 ELSE os_confirmed_at END,
                   local_json = coalesce(?17, local_json),
                   last_seen = ?16, last_report_id = ?18, last_agent = ?19, last_match = ?20,
                   presence = 'present'
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                new_ip,
                new_ip_key,
                mac_text,
                obs.randomized,
                obs.vendor,
                obs.hostname,
                obs.hostname_key,
                obs.machine_id,
                os_replaces,
                obs.os.family.as_str(),
                obs.os.name,
                obs.os.version,
                obs.os.confidence,
                serde_json::to_string(&obs.os.evidence).unwrap_or_default(),
                self.seen_text,
                obs.local
                    .map(|l| serde_json::to_string(l).unwrap_or_default()),
                self.report_id,
                self.agent,
                rule.as_str(),
            ])?;
        self.merge_services(id, obs, again_in_report)
    }

    /// A new OS guess replaces the stored one when it says something (not `unknown`) and is at
    /// least as confident, or when the stored one has not been confirmed for `os_stale_after`.
    fn os_replaces(&self, stored: &Stored, obs: &Observation<'_>) -> bool {
        if obs.os.family == OsFamily::Unknown {
            return false;
        }
        if obs.os.confidence >= stored.os_confidence {
            return true;
        }
        stored
            .os_confirmed_at
            .as_deref()
            .and_then(from_db)
            .is_none_or(|t| self.seen_at - t > self.os_stale)
    }

    fn merge_services(
        &mut self,
        id: i64,
        obs: &Observation<'_>,
        again_in_report: bool,
    ) -> Result<(), LedgerError> {
        type Row = (String, String, Option<String>, Option<String>);
        let mut existing: HashMap<(String, u16), Row> = HashMap::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT protocol, port, state, name, product, version FROM device_services
                 WHERE device_id = ?1",
            )?;
            let rows = stmt.query_map(params![id], |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, u16>(1)?),
                    (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
                ))
            })?;
            for row in rows {
                let (k, v) = row?;
                existing.insert(k, v);
            }
        }
        let mut observed = HashSet::new();
        for s in obs.services {
            let key = (s.protocol.as_str().to_owned(), s.port);
            observed.insert(key.clone());
            let label = format!("{}/{}", key.0, s.port);
            match existing.get(&key) {
                None => self.event(
                    id,
                    EventKind::PortOpened,
                    &json!({"port": label, "name": s.name, "product": s.product, "version": s.version}),
                )?,
                Some((state, ..)) if state == "closed" => self.event(
                    id,
                    EventKind::PortOpened,
                    &json!({"port": label, "name": s.name, "product": s.product, "version": s.version}),
                )?,
                Some((_, name, product, version))
                    if *name != s.name || *product != s.product || *version != s.version =>
                {
                    self.event(
                        id,
                        EventKind::ServiceChanged,
                        &json!({"port": label,
                                "from": {"name": name, "product": product, "version": version},
                                "to": {"name": s.name, "product": s.product, "version": s.version}}),
                    )?;
                }
                Some(_) => {}
            }
            self.upsert_service(id, s)?;
        }
        if again_in_report {
            return Ok(());
        }
        for ((proto, port), (state, name, ..)) in &existing {
            let protocol = if proto == "udp" {
                Protocol::Udp
            } else {
                Protocol::Tcp
            };
            if state == "open"
                && !observed.contains(&(proto.clone(), *port))
                && self.coverage.covers(protocol, *port)
            {
                self.conn
                    .prepare_cached(
                        "UPDATE device_services SET state = 'closed', last_seen = ?4
                         WHERE device_id = ?1 AND protocol = ?2 AND port = ?3",
                    )?
                    .execute(params![id, proto, port, self.seen_text])?;
                self.event(
                    id,
                    EventKind::PortClosed,
                    &json!({"port": format!("{proto}/{port}"), "name": name}),
                )?;
            }
        }
        Ok(())
    }

    fn upsert_service(&self, id: i64, s: &daicho_model::Service) -> Result<(), LedgerError> {
        self.conn
            .prepare_cached(
                "INSERT INTO device_services (device_id, protocol, port, state, name, product,
                     version, evidence, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?6, ?7, ?8, ?8)
                 ON CONFLICT (device_id, protocol, port) DO UPDATE SET
                   state = 'open', name = excluded.name, product = excluded.product,
                   version = excluded.version, evidence = excluded.evidence,
                   first_seen = CASE WHEN device_services.state = 'closed' THEN excluded.first_seen
                                ELSE device_services.first_seen END,
                   last_seen = excluded.last_seen",
            )?
            .execute(params![
                id,
                s.protocol.as_str(),
                s.port,
                s.name,
                s.product,
                s.version,
                serde_json::to_string(&s.evidence).unwrap_or_default(),
                self.seen_text,
            ])?;
        Ok(())
    }

    /// Points the host's MAC and machine id at `device_id`. A key owned by another device moves
    /// (an `identity_key_moved` event says so) unless an operator pinned it there.
    fn claim_keys(&mut self, device_id: i64, obs: &Observation<'_>) -> Result<(), LedgerError> {
        let mac = obs.mac.map(|m| m.to_string());
        let keys = [
            ("mac", mac.as_deref(), obs.randomized),
            ("machine_id", obs.machine_id, false),
        ];
        for (kind, value, randomized) in keys {
            let Some(value) = value else { continue };
            let owner = identity::key_owner(self.conn, self.site, kind, value)?
                .map(|o| (o.device_id, o.pinned));
            match owner {
                None => {
                    self.conn
                        .prepare_cached(
                            "INSERT INTO device_keys (kind, value, device_id, randomized, pinned,
                                 first_seen, last_seen, site_id) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5, ?6)",
                        )?
                        .execute(params![kind, value, device_id, randomized, self.seen_text, self.site.0])?;
                }
                Some((owner, _)) if owner == device_id => {
                    self.conn
                        .prepare_cached(
                            "UPDATE device_keys SET last_seen = CASE WHEN ?3 > last_seen THEN ?3 ELSE last_seen END
                             WHERE site_id = ?4 AND kind = ?1 AND value = ?2",
                        )?
                        .execute(params![kind, value, self.seen_text, self.site.0])?;
                }
                Some((_, true)) => {}
                Some((owner, false)) => {
                    self.conn
                        .prepare_cached(
                            "UPDATE device_keys SET device_id = ?3,
                                 last_seen = CASE WHEN ?4 > last_seen THEN ?4 ELSE last_seen END
                             WHERE site_id = ?5 AND kind = ?1 AND value = ?2",
                        )?
                        .execute(params![kind, value, device_id, self.seen_text, self.site.0])?;
                    self.event(
                        device_id,
                        EventKind::IdentityKeyMoved,
                        &json!({"kind": kind, "value": value, "from_device": owner}),
                    )?;
                }
            }
        }
        Ok(())
    }
}
