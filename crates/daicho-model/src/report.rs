//! The scan report: the JSON contract of `daicho-agent scan --format json` and of every push to
//! the collector.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{LocalInventory, MacAddr, ModelError, SCHEMA_VERSION, SwitchReading};

/// One scan's findings: who scanned, what scope, when, and every live host found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// Layout version; see [`SCHEMA_VERSION`].
    pub schema: u32,
    /// Unique per report; the collector uses it to make retried deliveries idempotent.
    #[serde(default = "Uuid::new_v4")]
    pub report_id: Uuid,
    /// The agent that produced the report.
    pub agent: AgentInfo,
    /// When the scan began.
    pub started_at: DateTime<Utc>,
    /// When the scan ended.
    pub finished_at: DateTime<Utc>,
    /// What the agent was told to scan.
    pub scope: Scope,
    /// How hosts were discovered, e.g. `arp`, `icmp`, `tcp-connect`, `neighbour-table`.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Anything that limited the scan (no raw-socket privilege, truncated scope, …).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Every live host found, in address order.
    pub hosts: Vec<Host>,
    /// The inventory of the host the agent runs on, when the report includes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalInventory>,
    /// The data sets the agent used (IEEE registry, EOL dates, rules), each with its date and
    /// source; empty in reports of agents that predate it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<DataVersion>,
    /// The managed switches read over SNMP (`[snmp] switches`), each with its ports,
    /// forwarding table and LLDP neighbours; absent when none was configured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub switches: Vec<SwitchReading>,
}

/// One shipped data set and how current it is, as `data status` prints it and reports carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataVersion {
    /// The data set (`ieee-registry`, `eol`, `known-exploited`, `service-rules`, `os-rules`,
    /// `medical-vendors`).
    pub name: String,
    /// The date of its content (registry date, EOL snapshot, the list's review), when it states
    /// one.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Where it comes from (package and version, licence), for people.
    #[serde(default)]
    pub source: String,
}

/// Identifies the agent that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// The agent's configured name (defaults to the host name).
    pub name: String,
    /// The daicho version that produced the report.
    pub version: String,
    /// The stable machine id of the agent's host, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<String>,
}

/// The scan scope exactly as given: targets, exclusions and port specification.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scope {
    /// Targets as CIDR blocks, single addresses or `A-B` ranges.
    pub targets: Vec<String>,
    /// Exclusions in the same forms; these receive no packets at all.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// The ports probed, when ports were scanned: `T:`/`U:` lists of ports and `A-B` ranges
    /// (a prefix holds for the items after it; unprefixed items are TCP), e.g. `T:21-23,80,U:161`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<String>,
}

/// One live host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// The address the host answered on.
    pub ip: IpAddr,
    /// Its MAC address, when it is on the agent's own segment.
    pub mac: Option<MacAddr>,
    /// The IEEE registrant of the MAC's prefix.
    pub vendor: Option<String>,
    /// True when the MAC is locally administered (randomised by a phone or laptop).
    pub mac_randomized: bool,
    /// The host's name from reverse DNS, NetBIOS or mDNS.
    pub hostname: Option<String>,
    /// What the host is believed to run.
    pub os: OsGuess,
    /// Open ports and what answers on them.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Round-trip time of the first answer, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    /// IP TTL of the first answer as received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u8>,
    /// How the host was found (`arp`, `icmp`, `tcp`, …).
    #[serde(default)]
    pub discovered_by: Vec<String>,
    /// The host's own inventory, when the host is the agent's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalInventory>,
}

/// The operating-system families the contract names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OsFamily {
    /// Microsoft Windows.
    Windows,
    /// Linux distributions.
    Linux,
    /// Apple macOS.
    Macos,
    /// Apple iOS / iPadOS.
    Ios,
    /// Android.
    Android,
    /// FreeBSD, OpenBSD, NetBSD.
    Bsd,
    /// Routers, switches, firewalls, VPN appliances.
    Network,
    /// Printers and multi-function devices.
    Printer,
    /// Medical devices (modalities, monitors, PACS appliances).
    Medical,
    /// Other embedded devices.
    Embedded,
    /// Not determined.
    #[default]
    Unknown,
}

impl OsFamily {
    /// Every family, in the contract's order.
    pub const ALL: [Self; 11] = [
        Self::Windows,
        Self::Linux,
        Self::Macos,
        Self::Ios,
        Self::Android,
        Self::Bsd,
        Self::Network,
        Self::Printer,
        Self::Medical,
        Self::Embedded,
        Self::Unknown,
    ];

    /// The family's name as the JSON contract writes it (`windows`, `linux`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Windows => "windows",
            Self::Linux => "linux",
            Self::Macos => "macos",
            Self::Ios => "ios",
            Self::Android => "android",
            Self::Bsd => "bsd",
            Self::Network => "network",
            Self::Printer => "printer",
            Self::Medical => "medical",
            Self::Embedded => "embedded",
            Self::Unknown => "unknown",
        }
    }
}

impl std::str::FromStr for OsFamily {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not an OS family"))
    }
}

/// A conclusion about a host's OS with the evidence that supports it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OsGuess {
    /// The OS family.
    pub family: OsFamily,
    /// Product name, e.g. `Ubuntu`, `Windows Server 2019`, `FortiOS`.
    pub name: Option<String>,
    /// Version or release, e.g. `22.04`, `10.0.17763`, `6.0.4`.
    pub version: Option<String>,
    /// How sure we are, from 0 (a guess) to 1 (the host said so).
    pub confidence: f64,
    /// Each observation that led to the conclusion, in words.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// Transport protocol of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// `tcp` or `udp`, as the JSON contract writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }
}

/// An open port and what answers on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Port number.
    pub port: u16,
    /// Transport protocol.
    pub protocol: Protocol,
    /// Lower-case service name (`ssh`, `http`, `dicom`, …); `unknown` when nothing matched.
    pub name: String,
    /// The product, e.g. `OpenSSH`, `nginx`.
    pub product: Option<String>,
    /// The product version as announced.
    pub version: Option<String>,
    /// What the service said that identified it.
    #[serde(default)]
    pub evidence: Vec<String>,
}

impl ScanReport {
    /// A new, empty report for `agent` over `scope`, stamped with the current schema and a fresh id.
    pub fn new(agent: AgentInfo, scope: Scope, started_at: DateTime<Utc>) -> Self {
        Self {
            schema: SCHEMA_VERSION,
            report_id: Uuid::new_v4(),
            agent,
            started_at,
            finished_at: started_at,
            scope,
            methods: Vec::new(),
            warnings: Vec::new(),
            hosts: Vec::new(),
            local: None,
            data: Vec::new(),
            switches: Vec::new(),
        }
    }

    /// Reads a report from JSON, checking the schema version first and then every field.
    ///
    /// Errors name the offending field (`hosts[3].mac`, `schema`, …) so that an operator can find it.
    pub fn from_json(input: &[u8]) -> Result<Self, ModelError> {
        check_schema(input)?;
        let report: Self = from_json_with_path(input)?;
        report.validate()?;
        Ok(report)
    }

    /// Writes the report as pretty JSON, the form `--format json` prints.
    pub fn to_json_pretty(&self) -> String {
        // Serialising plain data to a String cannot fail: no maps with non-string keys here.
        serde_json::to_string_pretty(self).expect("report serialises")
    }

    /// Checks what the types alone cannot: value ranges and time order.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.finished_at < self.started_at {
            return Err(field_error("finished_at", "is earlier than started_at"));
        }
        if self.agent.name.trim().is_empty() {
            return Err(field_error("agent.name", "must not be empty"));
        }
        for (i, host) in self.hosts.iter().enumerate() {
            let c = host.os.confidence;
            if !(0.0..=1.0).contains(&c) || c.is_nan() {
                return Err(field_error(
                    &format!("hosts[{i}].os.confidence"),
                    &format!("{c} is outside 0..1"),
                ));
            }
            for (j, service) in host.services.iter().enumerate() {
                if service.name.is_empty() || service.name.chars().any(char::is_uppercase) {
                    return Err(field_error(
                        &format!("hosts[{i}].services[{j}].name"),
                        "must be a non-empty lower-case service name",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Refuses documents whose `schema` is absent or not the one this build reads, before anything
/// else is interpreted: a newer layout could mean something different in the same field names.
fn check_schema(input: &[u8]) -> Result<(), ModelError> {
    #[derive(Deserialize)]
    struct Probe {
        schema: Option<serde_json::Value>,
    }
    let probe: Probe =
        serde_json::from_slice(input).map_err(|e| ModelError::Syntax(e.to_string()))?;
    match probe.schema {
        None => Err(field_error("schema", "missing field")),
        Some(serde_json::Value::Number(n)) => match n.as_u64() {
            Some(v) if v == u64::from(SCHEMA_VERSION) => Ok(()),
            Some(v) => Err(ModelError::UnsupportedSchema {
                found: v,
                supported: SCHEMA_VERSION,
            }),
            None => Err(field_error("schema", "must be a non-negative integer")),
        },
        Some(_) => Err(field_error("schema", "must be a non-negative integer")),
    }
}

/// Deserialises JSON, reporting the path of the field at fault.
pub fn from_json_with_path<T: serde::de::DeserializeOwned>(input: &[u8]) -> Result<T, ModelError> {
    let de = &mut serde_json::Deserializer::from_slice(input);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ModelError::Syntax(inner.to_string());
        }
        let message = strip_position(&inner.to_string());
        // A missing field is reported by serde at its parent; name the field itself.
        if let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            let full = if path == "." {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            };
            return field_error(&full, "missing field");
        }
        field_error(&path, &message)
    })
}

/// serde_json appends " at line L column C", which is noise once the path is known.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn field_error(path: &str, message: &str) -> ModelError {
    ModelError::Field {
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests;
