//! Which ledger device a host in a report is.
//!
//! Rules, tried in order; the first that yields a device wins, and the rule's name is recorded
//! with every sighting (`matched_by`) and on the device (`last_match`):
//!
//! 1. **`pinned`** — an identity key (MAC or machine id) that an operator assigned by a manual
//!    merge or split. Operators' decisions always beat the automatic rules.
//! 2. **`machine_id`** — hosts that report their own inventory carry a stable machine id
//!    (`/etc/machine-id`, Windows MachineGuid). It beats the MAC because a multi-homed host has
//!    several MACs but one machine id.
//! 3. **`mac`** — the normalised MAC address (vendor-assigned or randomized alike: modern phones
//!    keep one randomized MAC per Wi-Fi network, so a phone rejoining the same SSID presents the
//!    same MAC and lands here).
//! 4. For a *new randomized* MAC (`daicho_oui::is_randomized`: locally administered and not a
//!    virtual machine's platform prefix) — a phone that rotated its MAC:
//!    * **`randomized_hostname`** — exactly one randomized-MAC device not already seen in this
//!      report carries the same host name (first DNS label, case-folded; generic names such as
//!      `iphone` or `android` are ignored because many phones share them);
//!    * **`randomized_ip_lease`** — otherwise, a randomized-MAC device was on the same IP within
//!      the lease window (`randomized_lease_hours`), was not seen in this report under its own
//!      MAC, and does not carry a different host name. DHCP servers usually hand a returning
//!      client its old lease, so this catches a rotated MAC on the same network.
//! 5. For a MAC not yet known: **`macless_ip`** / **`macless_hostname`** — a device that has
//!    only ever been seen without a MAC (from a routed agent) at the same IP or with the same
//!    host name adopts the MAC: another agent on the host's own segment now sees it.
//! 6. For a host seen without a MAC (routed): **`hostname_vendor`** — the one device with the
//!    same host name and a compatible vendor (equal, or unknown on either side); else **`ip`** —
//!    the device most recently seen at that IP whose host name does not contradict. This is how
//!    an agent on another subnet merges into the device the local agent sees with its MAC.
//! 7. **`new`** — nothing matched: a new device.
//!
//! A device already matched by an earlier host of the same report is never matched again by the
//! heuristic rules 4–6 (two hosts in one scan are two devices); only the exact keys of rules 1–3
//! may do so (one multi-homed host seen on two addresses).

use std::collections::HashSet;
use std::net::IpAddr;

use crate::db::{Conn, OptionalExtension, params};
use chrono::{DateTime, Duration, Utc};
use daicho_model::{Host, LocalInventory, MacAddr, OsFamily, OsGuess, ScanReport, Service};

use crate::LedgerError;
use crate::sites::SiteId;
use crate::time::to_db;

/// The rule that matched a host to a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchRule {
    /// An operator-pinned identity key.
    Pinned,
    /// The host's machine id.
    MachineId,
    /// The exact MAC address.
    Mac,
    /// A new randomized MAC with the host name of a known randomized-MAC device.
    RandomizedHostname,
    /// A new randomized MAC on the IP lease of a recently seen randomized-MAC device.
    RandomizedIpLease,
    /// A MAC-less device at the same IP adopted the MAC.
    MaclessIp,
    /// A MAC-less device with the same host name adopted the MAC.
    MaclessHostname,
    /// No MAC: host name and compatible vendor.
    HostnameVendor,
    /// No MAC: the device last seen at the IP.
    Ip,
    /// No match: a new device.
    New,
}

impl MatchRule {
    /// The rule's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pinned => "pinned",
            Self::MachineId => "machine_id",
            Self::Mac => "mac",
            Self::RandomizedHostname => "randomized_hostname",
            Self::RandomizedIpLease => "randomized_ip_lease",
            Self::MaclessIp => "macless_ip",
            Self::MaclessHostname => "macless_hostname",
            Self::HostnameVendor => "hostname_vendor",
            Self::Ip => "ip",
            Self::New => "new",
        }
    }
}

/// Everything about one host that identity and merge use, normalised.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    /// The address it answered on.
    pub ip: IpAddr,
    /// Its MAC, when it was on the agent's segment (never multicast or all-zero).
    pub mac: Option<MacAddr>,
    /// The MAC is locally administered (or the agent said it is randomized).
    pub randomized: bool,
    /// The MAC's vendor.
    pub vendor: Option<&'a str>,
    /// Host name as reported.
    pub hostname: Option<&'a str>,
    /// Host name normalised for matching; `None` for generic names.
    pub hostname_key: Option<String>,
    /// Machine id, for hosts that reported their own inventory.
    pub machine_id: Option<&'a str>,
    /// The OS guess (from local inventory when present).
    pub os: OsGuess,
    /// Open services.
    pub services: &'a [Service],
    /// The host's own inventory.
    pub local: Option<&'a LocalInventory>,
}

impl<'a> Observation<'a> {
    /// Builds the observation of `host`; `local` is the inventory attached to it (its own, or
    /// the report's when this host is the agent's).
    pub fn from_host(
        host: &'a Host,
        local: Option<&'a LocalInventory>,
        report: &'a ScanReport,
    ) -> Self {
        let mac = host
            .mac
            .filter(|m| *m != MacAddr::ZERO && !m.is_multicast());
        // The collector's own registry decides (a KVM guest's 52:54:00 is not randomized), so
        // reports of older agents are read by the current rule.
        let randomized = mac.is_some_and(daicho_oui::is_randomized);
        let hostname = host
            .hostname
            .as_deref()
            .filter(|h| !h.trim().is_empty())
            .or(local.map(|l| l.hostname.as_str()).filter(|h| !h.is_empty()));
        let machine_id = local.and_then(|l| {
            l.machine_id
                .as_deref()
                .or(report.agent.machine_id.as_deref())
        });
        let os = match local {
            Some(l) if l.os.id.is_some() || l.os.name.is_some() => os_from_local(l),
            _ => host.os.clone(),
        };
        Self {
            ip: host.ip,
            mac,
            randomized,
            vendor: host.vendor.as_deref().filter(|v| !v.trim().is_empty()),
            hostname,
            hostname_key: hostname.and_then(hostname_key),
            machine_id: machine_id.filter(|m| !m.trim().is_empty()),
            os,
            services: &host.services,
            local,
        }
    }
}

/// Names that many devices share by default and so identify nothing.
const GENERIC_HOSTNAMES: &[&str] = &[
    "localhost",
    "iphone",
    "ipad",
    "android",
    "galaxy",
    "pixel",
    "macbook",
    "macbook-pro",
    "macbook-air",
    "unknown",
    "client",
    "dhcp",
    "host",
    "pc",
];

/// The host name as matched: first DNS label, case-folded; `None` for empty or generic names.
pub fn hostname_key(name: &str) -> Option<String> {
    let first = name.trim().trim_end_matches('.').split('.').next()?.trim();
    let key = first.to_lowercase();
    if key.is_empty() || GENERIC_HOSTNAMES.contains(&key.as_str()) {
        return None;
    }
    Some(key)
}

/// An OS guess from the host's own inventory: the host said so, confidence 1.
pub fn os_from_local(local: &LocalInventory) -> OsGuess {
    let id = local.os.id.as_deref().unwrap_or_default().to_lowercase();
    let name_lower = local.os.name.as_deref().unwrap_or_default().to_lowercase();
    let family = if id.contains("windows") || name_lower.contains("windows") {
        OsFamily::Windows
    } else if id.contains("mac") || id == "darwin" || name_lower.contains("macos") {
        OsFamily::Macos
    } else if id.contains("bsd") {
        OsFamily::Bsd
    } else if id.is_empty() && name_lower.is_empty() {
        OsFamily::Unknown
    } else {
        // Every other id an agent's inventory reports (debian, ubuntu, rhel, …) is a Linux.
        OsFamily::Linux
    };
    let version = match family {
        OsFamily::Windows => windows_nt_version(local),
        _ => None,
    };
    OsGuess {
        family,
        name: local.os.name.clone(),
        version: version.or_else(|| local.os.build.clone().or_else(|| local.os.version.clone())),
        confidence: 1.0,
        evidence: vec!["reported by the host's own inventory".to_owned()],
    }
}

/// A Windows PC's NT version with its update revision, `10.0.19045.4894`, from its inventory's
/// version (`10.0.19045`) and build (`19045.4894`): the form remote probes give, plus the UBR.
fn windows_nt_version(local: &LocalInventory) -> Option<String> {
    let version = local.os.version.as_deref()?;
    let build = local.os.build.as_deref()?;
    let (build_number, ubr) = build.split_once('.')?;
    (version.rsplit('.').next() == Some(build_number) && ubr.parse::<u32>().is_ok())
        .then(|| format!("{version}.{ubr}"))
}

/// State shared by all hosts of one report while they are matched.
pub(crate) struct MatchContext<'a> {
    /// The site of the report: only its devices are candidates.
    pub site: SiteId,
    /// Devices already matched by an earlier host of this report.
    pub touched: &'a HashSet<i64>,
    /// When the report saw the hosts.
    pub seen_at: DateTime<Utc>,
    /// The randomized-MAC lease window.
    pub lease: Duration,
}

/// Finds the device `obs` belongs to, or `None` with [`MatchRule::New`].
pub(crate) fn find_device(
    conn: &Conn,
    obs: &Observation<'_>,
    ctx: &MatchContext<'_>,
) -> Result<(Option<i64>, MatchRule), LedgerError> {
    let mac_text = obs.mac.map(|m| m.to_string());
    let by_machine = match obs.machine_id {
        Some(id) => key_owner(conn, ctx.site, "machine_id", id)?,
        None => None,
    };
    let by_mac = match &mac_text {
        Some(m) => key_owner(conn, ctx.site, "mac", m)?,
        None => None,
    };
    for owner in [by_machine, by_mac].into_iter().flatten() {
        if owner.pinned {
            return Ok((Some(owner.device_id), MatchRule::Pinned));
        }
    }
    if let Some(owner) = by_machine {
        return Ok((Some(owner.device_id), MatchRule::MachineId));
    }
    if let Some(owner) = by_mac {
        return Ok((Some(owner.device_id), MatchRule::Mac));
    }
    let ip = obs.ip.to_string();
    if obs.mac.is_some() {
        if obs.randomized {
            if let Some(key) = &obs.hostname_key {
                let ids = ids(
                    conn,
                    "SELECT id FROM devices WHERE hostname_norm = ?1 AND mac_randomized = 1
                     AND merged_into IS NULL AND site_id = ?2 ORDER BY last_seen DESC LIMIT 4",
                    params![key, ctx.site.0],
                )?;
                let free: Vec<i64> = ids
                    .into_iter()
                    .filter(|id| !ctx.touched.contains(id))
                    .collect();
                if let [only] = free[..] {
                    return Ok((Some(only), MatchRule::RandomizedHostname));
                }
            }
            let since = to_db(ctx.seen_at - ctx.lease);
            let candidate: Option<(i64, Option<String>)> = conn
                .prepare_cached(
                    "SELECT id, hostname_norm FROM devices WHERE ip = ?1 AND mac_randomized = 1
                     AND merged_into IS NULL AND last_seen >= ?2 AND site_id = ?3
                     ORDER BY last_seen DESC LIMIT 1",
                )?
                .query_row(params![ip, since, ctx.site.0], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((id, name)) = candidate
                && !ctx.touched.contains(&id)
                && names_compatible(name.as_deref(), obs.hostname_key.as_deref())
            {
                return Ok((Some(id), MatchRule::RandomizedIpLease));
            }
        }
        let candidate: Option<(i64, Option<String>)> = conn
            .prepare_cached(
                "SELECT d.id, d.hostname_norm FROM devices d WHERE d.ip = ?1 AND d.mac IS NULL
                 AND d.merged_into IS NULL AND d.site_id = ?2
                 AND NOT EXISTS (SELECT 1 FROM device_keys k WHERE k.device_id = d.id AND k.kind = 'mac')
                 ORDER BY d.last_seen DESC LIMIT 1",
            )?
            .query_row(params![ip, ctx.site.0], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((id, name)) = candidate
            && !ctx.touched.contains(&id)
            && names_compatible(name.as_deref(), obs.hostname_key.as_deref())
        {
            return Ok((Some(id), MatchRule::MaclessIp));
        }
        if let Some(key) = &obs.hostname_key {
            let ids = ids(
                conn,
                "SELECT d.id FROM devices d WHERE d.hostname_norm = ?1 AND d.mac IS NULL
                 AND d.merged_into IS NULL AND d.site_id = ?2
                 AND NOT EXISTS (SELECT 1 FROM device_keys k WHERE k.device_id = d.id AND k.kind = 'mac')
                 LIMIT 4",
                params![key, ctx.site.0],
            )?;
            let free: Vec<i64> = ids
                .into_iter()
                .filter(|id| !ctx.touched.contains(id))
                .collect();
            if let [only] = free[..] {
                return Ok((Some(only), MatchRule::MaclessHostname));
            }
        }
        return Ok((None, MatchRule::New));
    }
    // No MAC: a host behind a router.
    if let Some(key) = &obs.hostname_key {
        let mut stmt = conn.prepare_cached(
            "SELECT id, vendor, ip FROM devices WHERE hostname_norm = ?1 AND merged_into IS NULL
             AND site_id = ?2 ORDER BY last_seen DESC LIMIT 8",
        )?;
        let rows = stmt.query_map(params![key, ctx.site.0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut free = Vec::new();
        for row in rows {
            let (id, vendor, dev_ip) = row?;
            let vendor_ok = match (vendor.as_deref(), obs.vendor) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => true,
            };
            if vendor_ok && !ctx.touched.contains(&id) {
                free.push((id, dev_ip));
            }
        }
        let pick = match free[..] {
            [(only, _)] => Some(only),
            // Several devices share the name: only the one at this very IP is a safe match.
            _ => free
                .iter()
                .find(|(_, dev_ip)| dev_ip.as_deref() == Some(ip.as_str()))
                .map(|(id, _)| *id),
        };
        if let Some(id) = pick {
            return Ok((Some(id), MatchRule::HostnameVendor));
        }
    }
    let candidate: Option<(i64, Option<String>)> = conn
        .prepare_cached(
            "SELECT id, hostname_norm FROM devices WHERE ip = ?1 AND merged_into IS NULL
             AND site_id = ?2 ORDER BY last_seen DESC LIMIT 1",
        )?
        .query_row(params![ip, ctx.site.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((id, name)) = candidate
        && !ctx.touched.contains(&id)
        && names_compatible(name.as_deref(), obs.hostname_key.as_deref())
    {
        return Ok((Some(id), MatchRule::Ip));
    }
    Ok((None, MatchRule::New))
}

/// Two host names contradict only when both are known and differ.
fn names_compatible(stored: Option<&str>, observed: Option<&str>) -> bool {
    match (stored, observed) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// Who holds an identity key (a MAC or a machine id).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyOwner {
    /// The live device holding it (a merged device's key counts as its survivor's).
    pub(crate) device_id: i64,
    /// An operator pinned it there: ingest never moves it.
    pub(crate) pinned: bool,
}

/// The one lookup of who owns key `kind` = `value` (`mac` or `machine_id`) at `site`, following
/// merges (a key seen at one site names a device of that site, or the device an operator merged
/// it into).
/// Merging moves a device's keys to the survivor, so the follow is a safeguard, but every
/// caller (identity matching, key claims at ingest, ledger rows) gets the same answer.
pub(crate) fn key_owner(
    conn: &Conn,
    site: SiteId,
    kind: &str,
    value: &str,
) -> Result<Option<KeyOwner>, LedgerError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(d.merged_into, d.id), k.pinned FROM device_keys k
             JOIN devices d ON d.id = k.device_id
             WHERE k.site_id = ?3 AND k.kind = ?1 AND k.value = ?2",
        )?
        .query_row(params![kind, value, site.0], |r| {
            Ok(KeyOwner {
                device_id: r.get(0)?,
                pinned: r.get(1)?,
            })
        })
        .optional()?)
}

fn ids(conn: &Conn, sql: &str, params: impl crate::db::Params) -> Result<Vec<i64>, LedgerError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<i64>, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname_keys_fold_case_and_domain_and_skip_generic_names() {
        assert_eq!(hostname_key("PC-01.hospital.local."), Some("pc-01".into()));
        assert_eq!(hostname_key("pc-01"), Some("pc-01".into()));
        assert_eq!(hostname_key("iPhone.local"), None);
        assert_eq!(hostname_key("  "), None);
        assert_eq!(
            hostname_key("android-3f2a9c"),
            Some("android-3f2a9c".into())
        );
    }

    #[test]
    fn local_inventory_os_is_certain() {
        let mut inv = LocalInventory::default();
        inv.os.id = Some("debian".into());
        inv.os.name = Some("Debian GNU/Linux 12 (bookworm)".into());
        inv.os.version = Some("12".into());
        let os = os_from_local(&inv);
        assert_eq!(os.family, OsFamily::Linux);
        assert_eq!(os.version.as_deref(), Some("12"));
        assert!((os.confidence - 1.0).abs() < f64::EPSILON);
        inv.os.id = Some("windows".into());
        assert_eq!(os_from_local(&inv).family, OsFamily::Windows);
    }

    #[test]
    fn a_windows_inventory_gives_the_nt_version_with_its_update_revision() {
        let mut inv = LocalInventory::default();
        inv.os.id = Some("windows".into());
        inv.os.name = Some("Windows 10 Pro".into());
        inv.os.version = Some("10.0.19045".into());
        inv.os.build = Some("19045.4894".into());
        assert_eq!(
            os_from_local(&inv).version.as_deref(),
            Some("10.0.19045.4894")
        );
        // Windows 7 has no UBR: its build stands as it is.
        inv.os.version = Some("6.1".into());
        inv.os.build = Some("7601".into());
        assert_eq!(os_from_local(&inv).version.as_deref(), Some("7601"));
    }
}
