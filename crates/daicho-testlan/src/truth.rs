//! The ground truth `lan.sh up` writes to `/run/daicho-lan/ID/truth.json` (format 1).
//!
//! Unknown fields are accepted so the LAN can grow (new host kinds, new service details)
//! without breaking older readers.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use serde::Deserialize;

/// The whole ground-truth file of one LAN.
#[derive(Debug, Clone, Deserialize)]
pub struct Truth {
    /// Format version of the file (1).
    pub format: u32,
    /// The LAN id.
    pub id: String,
    /// When the LAN was brought up (RFC 3339, UTC).
    pub created_at: String,
    /// The LAN's run directory (`/run/daicho-lan/ID`).
    pub run_dir: PathBuf,
    /// The LAN segment the scanner is on (`198.18.0.0/24`).
    pub lan_cidr: String,
    /// The segment behind the router (`198.18.1.0/24`).
    pub routed_cidr: String,
    /// The namespace holding the bridges.
    pub switch_ns: String,
    /// A DNS server inside the LAN that answers PTR queries for the role hosts, if one runs.
    pub dns_server: Option<Ipv4Addr>,
    /// The scanner's namespace and interface.
    pub scanner: Scanner,
    /// The router between the two segments.
    pub router: Router,
    /// Every address that answers in the LAN (router interfaces included), role hosts first.
    pub hosts: Vec<TruthHost>,
    /// The managed switches (`lan.sh up --switches`); empty otherwise.
    #[serde(default)]
    pub switches: Vec<TruthSwitch>,
}

/// A managed switch of the LAN (`--switches`): a bridge in the switch namespace whose SNMP
/// agent (`tests/lan/responders/switchsnmp.py`) answers on a host's address.
#[derive(Debug, Clone, Deserialize)]
pub struct TruthSwitch {
    /// Its name (sysName, and the name of its management host).
    pub name: String,
    /// Its management address.
    pub ip: Ipv4Addr,
    /// Its management host's MAC, also its LLDP chassis id.
    pub mac: String,
    /// The bridge it is in the switch namespace.
    pub bridge: String,
    /// Its port leading to the other switch.
    pub uplink_port: String,
    /// The read-only SNMP v2c community it answers to.
    pub community: String,
}

/// The scanner namespace, where the agent and the tests' probes run.
#[derive(Debug, Clone, Deserialize)]
pub struct Scanner {
    /// Namespace name (`dl-ID-scan`).
    pub ns: String,
    /// Interface name inside it (`eth0`).
    pub iface: String,
    /// Its address (`198.18.0.2`).
    pub ip: Ipv4Addr,
    /// Its MAC (lower-case, colon separated).
    pub mac: String,
    /// IEEE registry name of its MAC prefix.
    pub vendor: Option<String>,
}

/// The router namespace joining the LAN and the routed segment.
#[derive(Debug, Clone, Deserialize)]
pub struct Router {
    /// Namespace name (`dl-ID-rt`).
    pub ns: String,
    /// Address on the LAN (`198.18.0.254`).
    pub lan_ip: Ipv4Addr,
    /// MAC on the LAN.
    pub lan_mac: String,
    /// Address on the routed segment (`198.18.1.1`).
    pub routed_ip: Ipv4Addr,
    /// MAC on the routed segment.
    pub routed_mac: String,
    /// IEEE registry name of its MAC prefix.
    pub vendor: Option<String>,
    /// Its initial IPv4 TTL.
    pub ttl: u8,
}

/// Which segment a host is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    /// The scanner's own segment: ARP reaches it.
    Lan,
    /// Behind the router: only IP (ICMP/TCP) reaches it, its MAC is not visible to the scanner.
    Routed,
}

/// Why a host is in the LAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A host from `tests/lan/hosts.tsv` (chosen vendor, TTL, maybe services).
    Service,
    /// A filler host (answers ARP and ICMP only) added to reach `--hosts N`.
    Filler,
    /// One of the router's interfaces.
    Router,
}

/// One address of the LAN and what is true about it.
#[derive(Debug, Clone, Deserialize)]
pub struct TruthHost {
    /// Host name from the host table (unique in the LAN).
    pub name: String,
    /// Its namespace (`dl-ID-hNNN`, `dl-ID-rNNN`, or the router's).
    pub ns: String,
    /// Its address.
    pub ip: Ipv4Addr,
    /// Its segment.
    pub segment: Segment,
    /// Its MAC (lower-case, colon separated).
    pub mac: String,
    /// IEEE registry name of the longest registered prefix of the MAC; `None` when randomized.
    pub vendor: Option<String>,
    /// The MAC is locally administered (randomized).
    pub mac_randomized: bool,
    /// Initial IPv4 TTL of the host's own packets.
    pub ttl: u8,
    /// The OS family it stands for (PRODUCT.md's list: linux, windows, network, medical, ...).
    pub os_family: String,
    /// Why it is there.
    pub role: Role,
    /// The name a reverse-DNS query returns, when the LAN serves DNS for it.
    pub hostname: Option<String>,
    /// Services listening on it.
    pub services: Vec<TruthService>,
    /// The managed switch its veth is on, at bring-up (`--switches`; `None` otherwise).
    #[serde(default)]
    pub switch: Option<String>,
    /// That switch's port (the veth's name in the switch namespace, its ifName).
    #[serde(default)]
    pub port: Option<String>,
}

/// Transport protocol of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// One listening service.
#[derive(Debug, Clone, Deserialize)]
pub struct TruthService {
    /// Port number.
    pub port: u16,
    /// Transport.
    pub protocol: Protocol,
    /// Lower-case service name as in PRODUCT.md (ssh, http, ftp, snmp, dicom, telnet, vnc, hl7-mllp, ...).
    pub name: String,
    /// Product, read from the installed package at bring-up; `None` for the project's responders.
    pub product: Option<String>,
    /// Upstream version of the product; `None` when there is no product.
    pub version: Option<String>,
    /// Debian package providing it.
    pub package: Option<String>,
    /// Full Debian version of that package.
    pub package_version: Option<String>,
}

impl Truth {
    /// The host with this address.
    pub fn host_by_ip(&self, ip: Ipv4Addr) -> Option<&TruthHost> {
        self.hosts.iter().find(|h| h.ip == ip)
    }

    /// The host with this name.
    pub fn host_by_name(&self, name: &str) -> Option<&TruthHost> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// Hosts on one segment.
    pub fn hosts_on(&self, segment: Segment) -> impl Iterator<Item = &TruthHost> {
        self.hosts.iter().filter(move |h| h.segment == segment)
    }

    /// Every (host, service) pair.
    pub fn services(&self) -> impl Iterator<Item = (&TruthHost, &TruthService)> {
        self.hosts
            .iter()
            .flat_map(|h| h.services.iter().map(move |s| (h, s)))
    }
}

impl TruthHost {
    /// The service on this port and protocol.
    pub fn service(&self, protocol: Protocol, port: u16) -> Option<&TruthService> {
        self.services
            .iter()
            .find(|s| s.protocol == protocol && s.port == port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "format": 1, "id": "ab1", "created_at": "2026-01-01T00:00:00Z",
      "run_dir": "/run/daicho-lan/ab1", "lan_cidr": "198.18.0.0/24",
      "routed_cidr": "198.18.1.0/24", "switch_ns": "dl-ab1-sw", "dns_server": null,
      "scanner": {"ns": "dl-ab1-scan", "iface": "eth0", "ip": "198.18.0.2",
                  "mac": "ac:ed:5c:00:00:01", "vendor": "Intel Corporate"},
      "router": {"ns": "dl-ab1-rt", "lan_ip": "198.18.0.254", "lan_mac": "00:a0:de:00:00:01",
                 "routed_ip": "198.18.1.1", "routed_mac": "00:a0:de:00:00:02",
                 "vendor": "YAMAHA CORPORATION", "ttl": 255},
      "hosts": [
        {"name": "file-srv", "ns": "dl-ab1-h010", "ip": "198.18.0.10", "segment": "lan",
         "mac": "98:e7:43:00:00:01", "vendor": "Dell Inc.", "mac_randomized": false, "ttl": 64,
         "os_family": "linux", "role": "service", "hostname": null, "future_field": 1,
         "services": [{"port": 22, "protocol": "tcp", "name": "ssh", "product": "OpenSSH",
                       "version": "9.2p1", "package": "openssh-server",
                       "package_version": "1:9.2p1-2"}]},
        {"name": "phone", "ns": "dl-ab1-h011", "ip": "198.18.0.11", "segment": "lan",
         "mac": "06:00:00:00:00:01", "vendor": null, "mac_randomized": true, "ttl": 64,
         "os_family": "android", "role": "filler", "hostname": null, "services": []}
      ]
    }"#;

    #[test]
    fn parses_the_truth_format_and_tolerates_new_fields() {
        let truth: Truth = serde_json::from_str(SAMPLE).unwrap();
        assert_eq!(truth.hosts.len(), 2);
        let srv = truth.host_by_ip(Ipv4Addr::new(198, 18, 0, 10)).unwrap();
        assert_eq!(srv.segment, Segment::Lan);
        assert_eq!(srv.role, Role::Service);
        let ssh = srv.service(Protocol::Tcp, 22).unwrap();
        assert_eq!(ssh.product.as_deref(), Some("OpenSSH"));
        assert!(truth.host_by_name("phone").unwrap().mac_randomized);
        assert_eq!(truth.services().count(), 1);
        assert_eq!(truth.hosts_on(Segment::Routed).count(), 0);
    }

    #[test]
    fn rejects_an_unknown_segment() {
        let bad = SAMPLE.replace(r#""segment": "lan""#, r#""segment": "wan""#);
        let err = serde_json::from_str::<Truth>(&bad).unwrap_err();
        assert!(err.to_string().contains("wan"), "{err}");
    }
}
