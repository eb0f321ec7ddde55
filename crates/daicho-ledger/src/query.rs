//! Reading the ledger: device lists with filters, one device with its history, and events.

use crate::db::Value as SqlValue;
use crate::db::{Conn, OptionalExtension, Row, params, params_from_iter};
use chrono::{DateTime, Utc};
use daicho_model::MacAddr;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::events::EventKind;
use crate::ingest::ip_key;
use crate::sites::{SiteId, SiteScope};
use crate::time::to_db;
use crate::triage::Disposition;
use crate::{Ledger, LedgerError};

/// The ledger columns a scan cannot see, set only by operators (MHLW 機器台帳 columns).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerFields {
    /// 管理番号: the asset number.
    pub asset_no: Option<String>,
    /// 設置場所: where it is installed.
    pub location: Option<String>,
    /// 利用者: who uses it.
    pub user: Option<String>,
    /// 状態: e.g. 稼働, 停止, 廃棄予定.
    pub status: Option<String>,
    /// 説明: free description.
    pub description: Option<String>,
    /// 登録日: when it was registered in the ledger (YYYY-MM-DD).
    pub registered_on: Option<String>,
    /// メーカー, as the ledger keeps it (imported or entered; the MAC vendor is apart).
    #[serde(default)]
    pub maker: Option<String>,
    /// OS, as the ledger keeps it (the observed OS is apart).
    #[serde(default)]
    pub os: Option<String>,
    /// ソフトウェア.
    #[serde(default)]
    pub software: Option<String>,
    /// ソフトウェアバージョン.
    #[serde(default)]
    pub software_version: Option<String>,
    /// IPアドレス, as the ledger keeps it (the observed address is apart).
    #[serde(default)]
    pub ip: Option<String>,
    /// コンピュータ名, as the ledger keeps it (the observed host name is apart).
    #[serde(default)]
    pub computer_name: Option<String>,
}

/// A device's OS as last concluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OsView {
    /// Family (`windows`, `linux`, …, `unknown`).
    pub family: String,
    /// Product name.
    pub name: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Confidence 0–1.
    pub confidence: f64,
}

/// One device as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceSummary {
    /// Ledger id.
    pub id: i64,
    /// Current IP.
    pub ip: Option<String>,
    /// Current MAC.
    pub mac: Option<String>,
    /// The current MAC is randomized.
    pub mac_randomized: bool,
    /// MAC vendor.
    pub vendor: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// OS.
    pub os: OsView,
    /// First sighting (RFC 3339).
    pub first_seen: String,
    /// Last sighting (RFC 3339).
    pub last_seen: String,
    /// `present` or `gone`.
    pub presence: String,
    /// The identity rule that matched its last sighting (see `identity`).
    pub last_match: String,
    /// The agent of its last sighting.
    pub last_agent: Option<String>,
    /// Operator-kept ledger columns.
    pub ledger: LedgerFields,
    /// Names of its raised flags.
    pub flags: Vec<String>,
    /// Set when an operator merged this device into another one.
    pub merged_into: Option<i64>,
    /// The role profile an operator assigned (`ehr-server`, `terminal`, …).
    pub role: Option<String>,
    /// Open services as `name port/protocol`, by port.
    #[serde(default)]
    pub open_services: Vec<String>,
    /// What the operator said this unregistered device is (`personal`, `visitor`, `removed`;
    /// see `triage`).
    #[serde(default)]
    pub disposition: Option<String>,
    /// The name of the site it belongs to.
    #[serde(default)]
    pub site: String,
    /// The id of that site.
    #[serde(default)]
    pub site_id: SiteId,
}

/// An identity key of a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    /// `mac` or `machine_id`.
    pub kind: String,
    /// The key.
    pub value: String,
    /// A randomized MAC.
    pub randomized: bool,
    /// Assigned by an operator; scans never move it.
    pub pinned: bool,
    /// First sighting with this key.
    pub first_seen: String,
    /// Last sighting with this key.
    pub last_seen: String,
}

/// One address in a device's IP history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpView {
    /// The address.
    pub ip: String,
    /// First seen there.
    pub first_seen: String,
    /// Last seen there.
    pub last_seen: String,
    /// The report that last saw it there.
    pub last_report_id: String,
}

/// A service on a device, open or since closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    /// `tcp` or `udp`.
    pub protocol: String,
    /// Port.
    pub port: u16,
    /// `open` or `closed`.
    pub state: String,
    /// Service name.
    pub name: String,
    /// Product.
    pub product: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// What identified it.
    pub evidence: Vec<String>,
    /// First seen open.
    pub first_seen: String,
    /// Last seen (open, or when found closed).
    pub last_seen: String,
}

/// One sighting of a device: which report saw it where, and which identity rule matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SightingView {
    /// The report.
    pub report_id: String,
    /// The report's agent.
    pub agent: Option<String>,
    /// When.
    pub seen_at: String,
    /// The address seen.
    pub ip: String,
    /// The MAC seen, if any.
    pub mac: Option<String>,
    /// The identity rule that matched (see `identity`).
    pub matched_by: String,
}

/// A raised flag with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagView {
    /// Flag name (`eol_os`, `unneeded_service`, …).
    pub flag: String,
    /// The finer code: risky-rule id, CVE, `unsupported` / `extended_only`, …
    pub code: String,
    /// The service concerned, as `name/protocol/port`, for service flags.
    pub service: Option<String>,
    /// Stable identity of the flag on this device.
    pub key: String,
    /// Why.
    pub reason: String,
    /// What showed it.
    pub evidence: Vec<String>,
    /// When it was raised.
    pub raised_at: String,
}

/// One history event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Event id (increasing).
    pub id: i64,
    /// The device.
    pub device_id: i64,
    /// What happened.
    pub kind: EventKind,
    /// When (the observing report's scan time, or the operator's action time).
    pub at: String,
    /// The report that caused it, when a report did.
    pub report_id: Option<String>,
    /// Kind-specific details.
    pub detail: Value,
}

/// A device with everything known about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: DeviceSummary,
    /// Machine id, for hosts that report their inventory.
    pub machine_id: Option<String>,
    /// What the OS conclusion rests on.
    pub os_evidence: Vec<String>,
    /// Identity keys.
    pub keys: Vec<KeyView>,
    /// IP history, most recent first.
    pub ips: Vec<IpView>,
    /// Services.
    pub services: Vec<ServiceView>,
    /// Raised flags with reasons.
    pub flag_details: Vec<FlagView>,
    /// The latest sightings, newest first (at most [`DETAIL_SIGHTINGS`]).
    pub sightings: Vec<SightingView>,
    /// The latest history events, newest first (at most [`DETAIL_EVENTS`]).
    pub events: Vec<EventRecord>,
    /// The host's own inventory, when it reported one.
    pub local: Option<Value>,
    /// The switch and port it is plugged into, when a switch reading placed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<crate::switch_ports::DevicePort>,
}

/// How many events a device detail carries; older ones are read via the events query.
pub const DETAIL_EVENTS: usize = 200;

/// How many sightings a device detail carries.
pub const DETAIL_SIGHTINGS: usize = 50;

/// Filters of the device list. Every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceFilter {
    /// Has this flag raised.
    pub flag: Option<String>,
    /// Ledger 状態 equals this.
    pub status: Option<String>,
    /// `present` or `gone`.
    pub presence: Option<String>,
    /// Current IP inside this CIDR block.
    pub subnet: Option<String>,
    /// Free text, matched case-insensitively against addresses, names, vendor, OS and ledger
    /// fields; a MAC in any common notation matches its device.
    pub q: Option<String>,
    /// Has at least one flag raised (`true`) or none (`false`).
    pub flagged: Option<bool>,
    /// The operator's triage decision is this (`personal`, `visitor`, `removed`), or any with
    /// `any`.
    pub disposition: Option<String>,
    /// 管理番号 contains this (case-insensitive).
    pub asset_no: Option<String>,
    /// 設置場所 contains this.
    pub location: Option<String>,
    /// 利用者 contains this.
    pub user: Option<String>,
    /// Host name or ledger コンピュータ名 contains this.
    pub hostname: Option<String>,
    /// MAC vendor or ledger メーカー contains this.
    pub vendor: Option<String>,
    /// Observed or ledger OS contains this.
    pub os: Option<String>,
    /// Current or ledger IP address contains this.
    pub ip: Option<String>,
    /// Sort key: `id` (default), `ip`, `hostname`, `vendor`, `os`, `asset_no`, `location`,
    /// `user`, `status`, `registered_on`, `first_seen`, `last_seen`.
    pub sort: Option<String>,
    /// Sort descending.
    pub desc: Option<bool>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
    /// Devices of the site with this name only (an unknown name matches none: the caller
    /// tells the user, see [`Ledger::site_named`]).
    pub site: Option<String>,
    /// The sites the caller may see (every site unless narrowed): set by the caller from who
    /// asks, never from the request.
    #[serde(skip)]
    pub scope: SiteScope,
}

/// The SQL order of a sort key; `None` for an unknown key.
fn sort_sql(key: &str) -> Option<&'static str> {
    Some(match key {
        "id" => "d.id",
        "ip" => "d.ip_key",
        "hostname" => "d.hostname_norm",
        "vendor" => "d.vendor",
        "os" => "d.os_name",
        "asset_no" => "d.asset_no",
        "location" => "d.location",
        "user" => "d.user_name",
        "status" => "d.status",
        "registered_on" => "d.registered_on",
        "first_seen" => "d.first_seen",
        "last_seen" => "d.last_seen",
        _ => return None,
    })
}

/// One page of devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevicePage {
    /// Devices matching the filters in all.
    pub total: u64,
    /// This page, by id.
    pub devices: Vec<DeviceSummary>,
}

/// Filters of the event list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    /// Events of this device.
    pub device: Option<i64>,
    /// Events of this kind.
    pub kind: Option<EventKind>,
    /// Events at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Events with an id above this, oldest first (a polling cursor). Without it the newest
    /// events come first.
    pub after: Option<i64>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<u32>,
    /// Events of devices of the site with this name only.
    pub site: Option<String>,
    /// The sites the caller may see: set by the caller from who asks, never from the request.
    #[serde(skip)]
    pub scope: SiteScope,
}

/// The `WHERE` clause (over a device id column) and argument of a site name and a scope, added
/// to `clauses` and `args`.
fn site_where(
    id_column: &str,
    site: Option<&str>,
    scope: &SiteScope,
    clauses: &mut Vec<String>,
    args: &mut Vec<SqlValue>,
) {
    if let Some(site) = site {
        args.push(SqlValue::Text(site.to_owned()));
        clauses.push(format!(
            "{id_column} IN (SELECT id FROM devices WHERE site_id =
                 (SELECT id FROM sites WHERE name = ?{}))",
            args.len()
        ));
    }
    if !scope.is_all() {
        clauses.push(scope.devices_sql(id_column));
    }
}

const SUMMARY_COLUMNS: &str = "d.id, d.ip, d.mac, d.mac_randomized, d.vendor, d.hostname,
    d.os_family, d.os_name, d.os_version, d.os_confidence, d.first_seen, d.last_seen, d.presence,
    d.last_match, d.last_agent, d.asset_no, d.location, d.user_name, d.status, d.description,
    d.registered_on, d.merged_into,
    (SELECT string_agg(f.flag, ',') FROM (SELECT DISTINCT flag FROM device_flags
       WHERE device_id = d.id) f),
    d.role, d.maker, d.ledger_os, d.software, d.software_version, d.ledger_ip, d.computer_name,
    (SELECT string_agg(s.name || ' ' || s.port || '/' || s.protocol, '	' ORDER BY s.port)
       FROM device_services s WHERE s.device_id = d.id AND s.state = 'open'),
    d.disposition, (SELECT name FROM sites WHERE id = d.site_id), d.site_id";

fn summary_from_row(r: &Row<'_>) -> crate::db::Result<DeviceSummary> {
    let flags: Option<String> = r.get(22)?;
    let mut flags: Vec<String> = flags
        .map(|f| f.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    flags.sort();
    Ok(DeviceSummary {
        id: r.get(0)?,
        ip: r.get(1)?,
        mac: r.get(2)?,
        mac_randomized: r.get(3)?,
        vendor: r.get(4)?,
        hostname: r.get(5)?,
        os: OsView {
            family: r.get(6)?,
            name: r.get(7)?,
            version: r.get(8)?,
            confidence: r.get(9)?,
        },
        first_seen: r.get(10)?,
        last_seen: r.get(11)?,
        presence: r.get(12)?,
        last_match: r.get(13)?,
        last_agent: r.get(14)?,
        ledger: LedgerFields {
            asset_no: r.get(15)?,
            location: r.get(16)?,
            user: r.get(17)?,
            status: r.get(18)?,
            description: r.get(19)?,
            registered_on: r.get(20)?,
            maker: r.get(24)?,
            os: r.get(25)?,
            software: r.get(26)?,
            software_version: r.get(27)?,
            ip: r.get(28)?,
            computer_name: r.get(29)?,
        },
        merged_into: r.get(21)?,
        role: r.get(23)?,
        open_services: r
            .get::<_, Option<String>>(30)?
            .map(|s| s.split('\t').map(str::to_owned).collect())
            .unwrap_or_default(),
        disposition: r.get(31)?,
        site: r.get::<_, Option<String>>(32)?.unwrap_or_default(),
        site_id: SiteId(r.get(33)?),
        flags,
    })
}

fn page_size(limit: Option<u32>) -> Result<i64, LedgerError> {
    match limit {
        None => Ok(100),
        Some(n @ 1..=1000) => Ok(i64::from(n)),
        Some(n) => Err(LedgerError::Invalid(format!(
            "limit {n} is outside 1..=1000"
        ))),
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The `WHERE` clauses and their arguments of a device filter (paging and order aside).
fn device_where(filter: &DeviceFilter) -> Result<(Vec<String>, Vec<SqlValue>), LedgerError> {
    let mut clauses = vec!["d.merged_into IS NULL".to_owned()];
    let mut args: Vec<SqlValue> = Vec::new();
    if let Some(site) = &filter.site {
        args.push(SqlValue::Text(site.clone()));
        clauses.push(format!(
            "d.site_id = (SELECT id FROM sites WHERE name = ?{})",
            args.len()
        ));
    }
    if !filter.scope.is_all() {
        clauses.push(filter.scope.sql("d.site_id"));
    }
    if let Some(flag) = &filter.flag {
        args.push(SqlValue::Text(flag.clone()));
        clauses.push(format!(
            "d.id IN (SELECT device_id FROM device_flags WHERE flag = ?{})",
            args.len()
        ));
    }
    if let Some(flagged) = filter.flagged {
        let not = if flagged { "" } else { "NOT " };
        clauses.push(format!("d.id {not}IN (SELECT device_id FROM device_flags)"));
    }
    if let Some(d) = &filter.disposition {
        if d == "any" {
            clauses.push("d.disposition IS NOT NULL".to_owned());
        } else {
            args.push(SqlValue::Text(
                d.parse::<Disposition>()?.as_str().to_owned(),
            ));
            clauses.push(format!("d.disposition = ?{}", args.len()));
        }
    }
    if let Some(status) = &filter.status {
        args.push(SqlValue::Text(status.clone()));
        clauses.push(format!("d.status = ?{}", args.len()));
    }
    if let Some(presence) = &filter.presence {
        if presence != "present" && presence != "gone" {
            return Err(LedgerError::Invalid(format!(
                "presence `{presence}` is not `present` or `gone`"
            )));
        }
        args.push(SqlValue::Text(presence.clone()));
        clauses.push(format!("d.presence = ?{}", args.len()));
    }
    if let Some(subnet) = &filter.subnet {
        let net: IpNet = subnet.trim().parse().map_err(|_| {
            LedgerError::Invalid(format!(
                "subnet `{subnet}` is not a CIDR block such as 192.168.1.0/24"
            ))
        })?;
        args.push(SqlValue::Blob(ip_key(net.network()).to_vec()));
        args.push(SqlValue::Blob(ip_key(net.broadcast()).to_vec()));
        clauses.push(format!(
            "d.ip_key BETWEEN ?{} AND ?{}",
            args.len() - 1,
            args.len()
        ));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let needle = q
            .parse::<MacAddr>()
            .map_or_else(|_| q.to_owned(), |m| m.to_string());
        args.push(SqlValue::Text(like_pattern(&needle)));
        let n = args.len();
        let cols = [
            "d.ip",
            "d.mac",
            "d.vendor",
            "d.hostname",
            "d.os_name",
            "d.os_version",
            "d.asset_no",
            "d.location",
            "d.user_name",
            "d.status",
            "d.description",
        ];
        let ors: Vec<String> = cols
            .iter()
            .map(|c| format!("lower({c}) LIKE lower(?{n}) ESCAPE '\\'"))
            .collect();
        clauses.push(format!("({})", ors.join(" OR ")));
    }
    let contains: [(&Option<String>, &[&str]); 7] = [
        (&filter.asset_no, &["d.asset_no"]),
        (&filter.location, &["d.location"]),
        (&filter.user, &["d.user_name"]),
        (&filter.hostname, &["d.hostname", "d.computer_name"]),
        (&filter.vendor, &["d.vendor", "d.maker"]),
        (&filter.os, &["d.os_name", "d.os_version", "d.ledger_os"]),
        (&filter.ip, &["d.ip", "d.ledger_ip"]),
    ];
    for (value, cols) in contains {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            args.push(SqlValue::Text(like_pattern(v)));
            let n = args.len();
            let ors: Vec<String> = cols
                .iter()
                .map(|c| format!("lower({c}) LIKE lower(?{n}) ESCAPE '\\'"))
                .collect();
            clauses.push(format!("({})", ors.join(" OR ")));
        }
    }
    Ok((clauses, args))
}

impl Ledger {
    /// Lists devices (operators' merged-away devices excluded) matching `filter`, sorted by
    /// `filter.sort` (blanks last), then by id.
    pub fn list_devices(&self, filter: &DeviceFilter) -> Result<DevicePage, LedgerError> {
        let limit = page_size(filter.limit)?;
        let (clauses, args) = device_where(filter)?;
        let order = match filter.sort.as_deref() {
            None => "d.id",
            Some(key) => sort_sql(key).ok_or_else(|| {
                LedgerError::Invalid(format!(
                    "sort `{key}` is not one of id, ip, hostname, vendor, os, asset_no, location, user, status, registered_on, first_seen, last_seen"
                ))
            })?,
        };
        let direction = if filter.desc.unwrap_or(false) {
            "DESC"
        } else {
            "ASC"
        };
        // Merged-away devices carry no flags, so a flag alone is counted from its index.
        let flag_only = filter.flag.is_some() && clauses.len() == 2;
        let where_sql = clauses.join(" AND ");
        self.read(|conn| {
            let count_sql = if flag_only {
                "SELECT count(DISTINCT device_id) FROM device_flags WHERE flag = ?1".to_owned()
            } else {
                format!("SELECT count(*) FROM devices d WHERE {where_sql}")
            };
            let total: i64 = conn
                .prepare_cached(&count_sql)?
                .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
            let mut page_args = args.clone();
            page_args.push(SqlValue::Integer(limit));
            page_args.push(SqlValue::Integer(i64::from(filter.offset.unwrap_or(0))));
            // The page's ids are chosen first and only its rows get their flags and services:
            // selected with the summary columns, every matching row would compute them before
            // the sort (a deep page over 50,000 devices took a quarter of a second).
            let order_by = if order == "d.id" {
                // Never NULL: in rowid order the first page is read without sorting.
                format!("d.id {direction}")
            } else {
                format!("{order} IS NULL, {order} {direction}, d.id {direction}")
            };
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS} FROM devices d
                 JOIN (SELECT d.id AS page_id FROM devices d WHERE {where_sql}
                       ORDER BY {order_by} LIMIT ?{} OFFSET ?{}) p ON d.id = p.page_id
                 ORDER BY {order_by}",
                page_args.len() - 1,
                page_args.len()
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let devices = stmt
                .query_map(params_from_iter(page_args.iter()), summary_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(DevicePage {
                total: total as u64,
                devices,
            })
        })
    }

    /// The ids of every device matching `filter` (paging ignored), for downloads of exactly
    /// the rows a filtered list shows.
    pub fn device_ids(&self, filter: &DeviceFilter) -> Result<Vec<i64>, LedgerError> {
        let (clauses, args) = device_where(filter)?;
        let sql = format!(
            "SELECT d.id FROM devices d WHERE {} ORDER BY d.id",
            clauses.join(" AND ")
        );
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let ids = stmt.query_map(params_from_iter(args.iter()), |r| r.get(0))?;
            Ok(ids.collect::<Result<Vec<i64>, _>>()?)
        })
    }

    /// One device with its keys, IP history, services, flags and latest events.
    pub fn device(&self, id: i64) -> Result<DeviceDetail, LedgerError> {
        self.read(|conn| device_detail(conn, id))
    }

    /// History events matching `filter`.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<EventRecord>, LedgerError> {
        let limit = page_size(filter.limit)?;
        let mut clauses = vec!["1 = 1".to_owned()];
        let mut args: Vec<SqlValue> = Vec::new();
        if let Some(d) = filter.device {
            args.push(SqlValue::Integer(d));
            clauses.push(format!("device_id = ?{}", args.len()));
        }
        if let Some(k) = filter.kind {
            args.push(SqlValue::Text(k.as_str().to_owned()));
            clauses.push(format!("kind = ?{}", args.len()));
        }
        site_where(
            "device_id",
            filter.site.as_deref(),
            &filter.scope,
            &mut clauses,
            &mut args,
        );
        if let Some(since) = filter.since {
            args.push(SqlValue::Text(to_db(since)));
            clauses.push(format!("at >= ?{}", args.len()));
        }
        let order = if let Some(after) = filter.after {
            args.push(SqlValue::Integer(after));
            clauses.push(format!("id > ?{}", args.len()));
            "ASC"
        } else {
            "DESC"
        };
        args.push(SqlValue::Integer(limit));
        let sql = format!(
            "SELECT id, device_id, kind, at, report_id, detail FROM events WHERE {}
             ORDER BY id {order} LIMIT ?{}",
            clauses.join(" AND "),
            args.len()
        );
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(args.iter()), event_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// How many devices the ledger holds (merged-away ones excluded), for metrics.
    pub fn device_count(&self) -> Result<u64, LedgerError> {
        self.read(|conn| {
            let n: i64 = conn.query_row(
                "SELECT count(*) FROM devices WHERE merged_into IS NULL",
                [],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
    }

    /// How many reports are stored.
    pub fn report_count(&self) -> Result<u64, LedgerError> {
        self.read(|conn| {
            let n: i64 = conn.query_row("SELECT count(*) FROM reports", [], |r| r.get(0))?;
            Ok(n as u64)
        })
    }
}

fn event_from_row(r: &Row<'_>) -> crate::db::Result<EventRecord> {
    let detail: String = r.get(5)?;
    Ok(EventRecord {
        id: r.get(0)?,
        device_id: r.get(1)?,
        kind: r.get(2)?,
        at: r.get(3)?,
        report_id: r.get(4)?,
        detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
    })
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

pub(crate) fn device_detail(conn: &Conn, id: i64) -> Result<DeviceDetail, LedgerError> {
    let summary = conn
        .prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM devices d WHERE d.id = ?1"
        ))?
        .query_row(params![id], summary_from_row)
        .optional()?
        .ok_or(LedgerError::NoSuchDevice(id))?;
    let (machine_id, os_evidence, local): (Option<String>, String, Option<String>) = conn
        .prepare_cached("SELECT machine_id, os_evidence, local_json FROM devices WHERE id = ?1")?
        .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let keys = conn
        .prepare_cached(
            "SELECT kind, value, randomized, pinned, first_seen, last_seen FROM device_keys
             WHERE device_id = ?1 ORDER BY kind, last_seen DESC",
        )?
        .query_map(params![id], |r| {
            Ok(KeyView {
                kind: r.get(0)?,
                value: r.get(1)?,
                randomized: r.get(2)?,
                pinned: r.get(3)?,
                first_seen: r.get(4)?,
                last_seen: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let ips = conn
        .prepare_cached(
            "SELECT ip, first_seen, last_seen, last_report_id FROM device_ips
             WHERE device_id = ?1 ORDER BY last_seen DESC",
        )?
        .query_map(params![id], |r| {
            Ok(IpView {
                ip: r.get(0)?,
                first_seen: r.get(1)?,
                last_seen: r.get(2)?,
                last_report_id: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let services = conn
        .prepare_cached(
            "SELECT protocol, port, state, name, product, version, evidence, first_seen, last_seen
             FROM device_services WHERE device_id = ?1 ORDER BY protocol, port",
        )?
        .query_map(params![id], |r| {
            Ok(ServiceView {
                protocol: r.get(0)?,
                port: r.get(1)?,
                state: r.get(2)?,
                name: r.get(3)?,
                product: r.get(4)?,
                version: r.get(5)?,
                evidence: json_list(&r.get::<_, String>(6)?),
                first_seen: r.get(7)?,
                last_seen: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let flag_details = conn
        .prepare_cached(
            "SELECT flag, reason, evidence, raised_at, code, service, key FROM device_flags
             WHERE device_id = ?1 ORDER BY flag, key",
        )?
        .query_map(params![id], |r| {
            Ok(FlagView {
                flag: r.get(0)?,
                reason: r.get(1)?,
                evidence: json_list(&r.get::<_, String>(2)?),
                raised_at: r.get(3)?,
                code: r.get(4)?,
                service: r.get(5)?,
                key: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let sightings = conn
        .prepare_cached(
            "SELECT s.report_id, r.agent, s.seen_at, s.ip, s.mac, s.matched_by
             FROM sightings s LEFT JOIN reports r ON r.report_id = s.report_id
             WHERE s.device_id = ?1 ORDER BY s.id DESC LIMIT ?2",
        )?
        .query_map(params![id, crate::sql_count(DETAIL_SIGHTINGS)], |r| {
            Ok(SightingView {
                report_id: r.get(0)?,
                agent: r.get(1)?,
                seen_at: r.get(2)?,
                ip: r.get(3)?,
                mac: r.get(4)?,
                matched_by: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let events = conn
        .prepare_cached(
            "SELECT id, device_id, kind, at, report_id, detail FROM events WHERE device_id = ?1
             ORDER BY id DESC LIMIT ?2",
        )?
        .query_map(params![id, crate::sql_count(DETAIL_EVENTS)], event_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DeviceDetail {
        summary,
        machine_id,
        os_evidence: json_list(&os_evidence),
        keys,
        ips,
        services,
        flag_details,
        sightings,
        events,
        local: local.and_then(|l| serde_json::from_str(&l).ok()),
        port: crate::switch_ports::device_port(conn, id)?,
    })
}
