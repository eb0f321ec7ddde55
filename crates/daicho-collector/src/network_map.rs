//! The network diagram's input from the ledger, gathered in one place for the CLI and the
//! console: a site's devices (role, 設置場所, flags, registration) and the network facts
//! ([`NetworkFacts`]) as `daicho-diagram`'s [`Network`].
//!
//! Subnets are the scan ranges given as prefixes and the agents' own interfaces; a device in
//! none of them is put in its /24 (/64), marked as inferred. A router is a device seen on
//! addresses of two or more subnets. A subnet whose devices answered an agent from behind a
//! router (no MAC) and that no known router reaches is linked to the agents' subnets (of their
//! interfaces, and of the devices seen with a MAC) through one inferred router (未確認のルータ).
//! Switches and their ports are the ledger's placements (`daicho_ledger::switch_ports`).
//! Remote-maintenance paths are the 2-② register's devices to confirm
//! ([`crate::remote_register`]'s rule): each drawn from its 保守事業者 (blank until recorded),
//! unless the vendor confirmed it is not maintained remotely.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use daicho_diagram::{
    Device, DeviceRef, Link, LinkEvidence, Network, Paper, RemotePath, Role, Router, Subnet,
    Switch, SwitchPort,
};
use daicho_ledger::network_facts::NetworkFacts;
use daicho_ledger::switch_ports::DevicePort;
use daicho_ledger::{ChecklistEntry, Ledger, LedgerError, Site};
use daicho_ledger_io::checklist::DeviceKind;
use daicho_ledger_io::checklist::remote_maintenance::to_confirm;
use daicho_model::remote_maintenance::RemoteUse;
use daicho_policy::FlagKind;
use ipnet::IpNet;

use crate::paper_rows::device_kind;

/// Where a subnet comes from, as the diagram says it.
const FROM_SCAN: &str = "スキャン範囲";
const FROM_AGENT: &str = "エージェントのインタフェース";
const INFERRED: &str = "推定（機器のアドレスから）";
/// The name of a router only inferred.
const UNSEEN_ROUTER: &str = "未確認のルータ";

/// A diagram file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagramFormat {
    /// SVG, for the console page and further editing.
    Svg,
    /// PDF, for printing.
    Pdf,
}

impl DiagramFormat {
    /// The file's media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Svg => "image/svg+xml; charset=utf-8",
            Self::Pdf => "application/pdf",
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Svg => "svg",
            Self::Pdf => "pdf",
        }
    }
}

/// Why a diagram could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DiagramError {
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// No Japanese font for the PDF.
    #[error(transparent)]
    Font(#[from] daicho_diagram::FontError),
}

/// `site`'s network diagram as a file on `paper`.
pub fn site_diagram(
    ledger: &Ledger,
    site: &Site,
    format: DiagramFormat,
    paper: Paper,
) -> Result<Vec<u8>, DiagramError> {
    let drawing = daicho_diagram::layout(&site_network(ledger, site)?, paper);
    Ok(match format {
        DiagramFormat::Svg => daicho_diagram::render_svg(&drawing).into_bytes(),
        DiagramFormat::Pdf => {
            daicho_diagram::render_pdf(&drawing, daicho_diagram::JapaneseFont::system()?)
        }
    })
}

/// `site`'s network as the ledger says now, dated today (JST) by the ledger's clock.
pub fn site_network(ledger: &Ledger, site: &Site) -> Result<Network, LedgerError> {
    let facility = crate::evidence::facility_for(ledger, site.id, "")?;
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("valid offset");
    let date = ledger
        .now()
        .with_timezone(&jst)
        .format("%Y/%m/%d")
        .to_string();
    let entries = ledger.checklist_devices(site.id)?;
    let ids: Vec<i64> = entries.iter().map(|e| e.device_id).collect();
    let mut network = network_of(facility, date, &entries, &ledger.network_facts(site.id)?);
    network.switches = switches_of(&ledger.device_ports(&ids)?);
    Ok(network)
}

/// The switches the ledger's placements name (each a device of the ledger), with the devices
/// placed on each port, in port order. A placement on a switch not in the ledger is left out:
/// the diagram draws a switch as a device of its subnet.
pub fn switches_of<S: std::hash::BuildHasher>(ports: &HashMap<i64, DevicePort, S>) -> Vec<Switch> {
    let mut by_switch: BTreeMap<i64, (String, BTreeMap<String, Vec<DeviceRef>>)> = BTreeMap::new();
    for (device, port) in ports {
        let Some(switch) = port.switch_device_id else {
            continue;
        };
        let name = port
            .switch_name
            .clone()
            .unwrap_or_else(|| port.switch_address.clone());
        by_switch
            .entry(switch)
            .or_insert_with(|| (name, BTreeMap::new()))
            .1
            .entry(port.port_name.clone())
            .or_default()
            .push(DeviceRef(*device));
    }
    by_switch
        .into_iter()
        .map(|(switch, (name, ports))| {
            let mut ports: Vec<SwitchPort> = ports
                .into_iter()
                .map(|(name, mut devices)| {
                    devices.sort_by_key(|d| d.0);
                    SwitchPort {
                        name,
                        uplink_to: None,
                        devices,
                    }
                })
                .collect();
            // Port names as numbers where they are (`2` before `10`).
            ports.sort_by_key(|p| (p.name.parse::<u64>().unwrap_or(u64::MAX), p.name.clone()));
            Switch {
                device: DeviceRef(switch),
                name,
                ports,
            }
        })
        .collect()
}

/// The diagram's network from the ledger's devices and network facts.
pub fn network_of(
    facility: String,
    date: String,
    entries: &[ChecklistEntry],
    facts: &NetworkFacts,
) -> Network {
    let remote_paths: Vec<RemotePath> = entries.iter().filter_map(remote_path_of).collect();
    let remote: BTreeSet<i64> = remote_paths.iter().map(|p| p.device.0).collect();
    let devices: Vec<Device> = entries
        .iter()
        .map(|e| Device {
            remote_maintenance: remote.contains(&e.device_id),
            ..device_of(e)
        })
        .collect();
    let subnets = subnets_of(&devices, facts);
    let nets: Vec<IpNet> = subnets.iter().map(|s| s.net).collect();
    let names: BTreeMap<i64, &str> = devices.iter().map(|d| (d.id.0, d.name.as_str())).collect();
    // Each device's subnets, from every address it was seen on.
    let mut legs: BTreeMap<i64, BTreeSet<IpNet>> = BTreeMap::new();
    for (id, ip) in &facts.device_addresses {
        if let Some(net) = home(&nets, *ip) {
            legs.entry(*id).or_default().insert(net);
        }
    }
    for d in &devices {
        if let Some(net) = d.ip.and_then(|ip| home(&nets, ip)) {
            legs.entry(d.id.0).or_default().insert(net);
        }
    }
    let mut routers = Vec::new();
    let mut links = Vec::new();
    for (id, nets) in &legs {
        let Some(name) = names.get(id) else { continue };
        if nets.len() < 2 {
            continue;
        }
        for net in nets {
            links.push(Link {
                router: routers.len(),
                subnet: *net,
                evidence: LinkEvidence::Address,
            });
        }
        routers.push(Router {
            device: Some(DeviceRef(*id)),
            name: (*name).to_owned(),
        });
    }
    let reached: BTreeSet<IpNet> = links.iter().map(|l| l.subnet).collect();
    let net_of = |ids: &[i64]| -> BTreeSet<IpNet> {
        ids.iter()
            .filter_map(|id| devices.iter().find(|d| d.id.0 == *id))
            .filter_map(|d| d.ip.and_then(|ip| home(&nets, ip)))
            .collect()
    };
    // The agents' segments: their interfaces', and those of devices seen with a MAC (agents
    // that send no inventory of their own host).
    let mut agent_nets: BTreeSet<IpNet> = facts
        .agent_addresses
        .iter()
        .filter_map(|(_, a)| a.parse::<IpNet>().ok())
        .filter_map(|a| home(&nets, a.addr()))
        .collect();
    agent_nets.extend(net_of(&facts.segment_devices));
    let routed: BTreeSet<IpNet> = net_of(&facts.routed_devices)
        .into_iter()
        .filter(|net| !agent_nets.contains(net) && !reached.contains(net))
        .collect();
    if !routed.is_empty() {
        let router = routers.len();
        routers.push(Router {
            device: None,
            name: UNSEEN_ROUTER.to_owned(),
        });
        for net in agent_nets.iter().chain(&routed) {
            links.push(Link {
                router,
                subnet: *net,
                evidence: LinkEvidence::Routed,
            });
        }
    }
    Network {
        facility,
        date,
        subnets,
        routers,
        links,
        switches: Vec::new(),
        devices,
        remote_paths,
    }
}

/// The remote-maintenance path of a device the 2-② register asks about, unless its vendor
/// confirmed there is none: the vendor (blank until recorded), the method the vendor gave or
/// else the first path seen.
fn remote_path_of(entry: &ChecklistEntry) -> Option<RemotePath> {
    let device = crate::paper_rows::checklist_device_of(entry.clone());
    if !to_confirm(&device) {
        return None;
    }
    let record = device.remote.unwrap_or_default();
    if record.remote == RemoteUse::No {
        return None;
    }
    let method = if record.method.is_empty() {
        device.remote_paths.first().cloned().unwrap_or_default()
    } else {
        record.method.clone()
    };
    Some(RemotePath {
        confirmed: record.is_confirmed(),
        vendor: record.vendor,
        method,
        device: DeviceRef(entry.device_id),
    })
}

/// A ledger device as the diagram draws it: named by its コンピュータ名, host name, 管理番号 or
/// address, in that order.
fn device_of(entry: &ChecklistEntry) -> Device {
    let ledger = entry.ledger.as_ref();
    let name = [
        ledger.map(|l| l.computer_name.as_str()),
        Some(entry.hostname.as_str()),
        ledger.map(|l| l.asset_no.as_str()),
    ]
    .into_iter()
    .flatten()
    .find(|n| !n.trim().is_empty())
    .map(str::to_owned)
    .or_else(|| entry.ip.map(|ip| ip.to_string()))
    .unwrap_or_default();
    let unregistered =
        entry.ledger.is_none() || entry.flags.iter().any(|f| f.kind == FlagKind::Unregistered);
    let mut flags: Vec<String> = entry
        .flags
        .iter()
        .filter(|f| f.kind != FlagKind::Unregistered)
        .map(|f| daicho_ledger_io::flag_label(f.kind).to_owned())
        .collect();
    flags.dedup();
    Device {
        id: DeviceRef(entry.device_id),
        name,
        ip: entry.ip.or_else(|| ledger.and_then(|l| l.ip)),
        role: role_of(device_kind(entry.role.as_deref(), &entry.os_family)),
        location: ledger.map(|l| l.location.clone()).unwrap_or_default(),
        unregistered,
        flags,
        remote_maintenance: false,
    }
}

/// The checklist's kind of device as the diagram's role.
fn role_of(kind: DeviceKind) -> Role {
    match kind {
        DeviceKind::Server => Role::Server,
        DeviceKind::Pc => Role::Pc,
        DeviceKind::Network => Role::Network,
        DeviceKind::Printer => Role::Printer,
        DeviceKind::Medical => Role::Medical,
        DeviceKind::Unknown => Role::Unknown,
    }
}

/// The subnets: scan ranges given as prefixes, the agents' interfaces' prefixes, then the /24
/// (/64) of each device in none of them. Host routes (/32, /128) are no segment.
fn subnets_of(devices: &[Device], facts: &NetworkFacts) -> Vec<Subnet> {
    let mut subnets: Vec<Subnet> = Vec::new();
    let add = |subnets: &mut Vec<Subnet>, net: IpNet, source: &str| {
        let net = net.trunc();
        if net.prefix_len() < net.max_prefix_len() && !subnets.iter().any(|s| s.net == net) {
            subnets.push(Subnet {
                net,
                source: source.to_owned(),
            });
        }
    };
    for target in &facts.scan_targets {
        if let Ok(net) = target.parse::<IpNet>() {
            add(&mut subnets, net, FROM_SCAN);
        }
    }
    for (_, address) in &facts.agent_addresses {
        if let Ok(net) = address.parse::<IpNet>()
            && !net.addr().is_loopback()
            && !is_link_local(net.addr())
        {
            add(&mut subnets, net, FROM_AGENT);
        }
    }
    let known: Vec<IpNet> = subnets.iter().map(|s| s.net).collect();
    for ip in devices.iter().filter_map(|d| d.ip) {
        if home(&known, ip).is_none() {
            let prefix = if ip.is_ipv4() { 24 } else { 64 };
            if let Ok(net) = IpNet::new(ip, prefix) {
                add(&mut subnets, net, INFERRED);
            }
        }
    }
    subnets
}

/// The longest of `nets` holding `ip`.
fn home(nets: &[IpNet], ip: IpAddr) -> Option<IpNet> {
    nets.iter()
        .filter(|n| n.contains(&ip))
        .max_by_key(|n| n.prefix_len())
        .copied()
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_unicast_link_local(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daicho_model::ledger_columns::LedgerRow;

    fn entry(id: i64, ip: &str, os_family: &str, location: Option<&str>) -> ChecklistEntry {
        ChecklistEntry {
            device_id: id,
            ledger: location.map(|l| LedgerRow {
                asset_no: format!("A-{id}"),
                location: l.to_owned(),
                ..LedgerRow::default()
            }),
            role: None,
            os_family: os_family.to_owned(),
            ip: Some(ip.parse().unwrap()),
            mac: None,
            hostname: format!("host-{id}"),
            vendor: String::new(),
            os: String::new(),
            last_seen: None,
            open_services: Vec::new(),
            flags: Vec::new(),
            exceptions: Vec::new(),
            remote: None,
            remote_paths: Vec::new(),
        }
    }

    #[test]
    fn placements_become_switches_with_their_ports_in_order() {
        let port = |switch: Option<i64>, name: &str| DevicePort {
            switch_address: "198.18.0.14".into(),
            switch_name: Some("sw-core".into()),
            switch_device_id: switch,
            port_name: name.into(),
            port_alias: None,
            vlan: Some(1),
            seen_at: "2026-12-07T00:00:00Z".into(),
        };
        let ports: HashMap<i64, DevicePort> = [
            (5, port(Some(1), "10")),
            (6, port(Some(1), "2")),
            (7, port(Some(1), "2")),
            (8, port(None, "3")),
        ]
        .into();
        let switches = switches_of(&ports);
        assert_eq!(
            switches.len(),
            1,
            "the placement on an unknown switch is left out"
        );
        let s = &switches[0];
        assert_eq!((s.device, s.name.as_str()), (DeviceRef(1), "sw-core"));
        let ports: Vec<(&str, Vec<i64>)> = s
            .ports
            .iter()
            .map(|p| (p.name.as_str(), p.devices.iter().map(|d| d.0).collect()))
            .collect();
        assert_eq!(ports, [("2", vec![6, 7]), ("10", vec![5])]);
    }

    #[test]
    fn the_register_gives_the_remote_paths_and_marks() {
        use daicho_model::remote_maintenance::RemoteMaintenance;
        let mut vpn = entry(1, "192.168.1.1", "network", Some("B1 サーバ室"));
        vpn.remote_paths = vec![daicho_policy::RemotePath {
            kind: daicho_policy::RemotePathKind::Vpn,
            seen: "FortiOS 6.0.4".into(),
        }];
        let mut maintained = entry(2, "192.168.1.20", "windows", Some("2F 詰所"));
        maintained.remote = Some(RemoteMaintenance {
            vendor: "A社".into(),
            remote: RemoteUse::Yes,
            method: "TeamViewer".into(),
            confirmed_with: "A社 山田".into(),
            confirmed_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 1),
        });
        let mut not_remote = entry(3, "192.168.1.5", "linux", None);
        not_remote.remote = Some(RemoteMaintenance {
            vendor: "C社".into(),
            remote: RemoteUse::No,
            confirmed_with: "C社".into(),
            confirmed_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 1),
            ..RemoteMaintenance::default()
        });
        let network = network_of(
            "診療所".into(),
            "2026/12/07".into(),
            &[vpn, maintained, not_remote],
            &NetworkFacts::default(),
        );
        let paths: Vec<(i64, &str, &str, bool)> = network
            .remote_paths
            .iter()
            .map(|p| {
                (
                    p.device.0,
                    p.vendor.as_str(),
                    p.method.as_str(),
                    p.confirmed,
                )
            })
            .collect();
        assert_eq!(
            paths,
            [
                (1, "", "VPN 装置: FortiOS 6.0.4", false),
                (2, "A社", "TeamViewer", true)
            ]
        );
        let marked: Vec<i64> = network
            .devices
            .iter()
            .filter(|d| d.remote_maintenance)
            .map(|d| d.id.0)
            .collect();
        assert_eq!(marked, [1, 2]);
    }

    #[test]
    fn subnets_routers_and_inferred_links_come_from_the_facts() {
        let entries = vec![
            entry(1, "192.168.1.1", "network", Some("B1 サーバ室")),
            entry(2, "192.168.1.20", "windows", Some("2F 詰所")),
            entry(3, "192.168.1.5", "linux", None),
            entry(4, "10.20.0.7", "medical", Some("1F 放射線科")),
            entry(5, "172.16.5.9", "printer", None),
        ];
        let facts = NetworkFacts {
            scan_targets: vec![
                "192.168.1.0/24".to_owned(),
                "10.20.0.0/24".to_owned(),
                "192.168.1.9".to_owned(),
            ],
            agent_addresses: vec![
                (3, "192.168.1.5/24".to_owned()),
                (3, "127.0.0.1/8".to_owned()),
            ],
            device_addresses: vec![
                (1, "192.168.1.1".parse().unwrap()),
                (1, "10.99.0.1".parse().unwrap()),
            ],
            segment_devices: vec![2, 3],
            routed_devices: vec![4, 5],
        };
        let network = network_of("診療所".into(), "2026/12/07".into(), &entries, &facts);
        let nets: Vec<(String, &str)> = network
            .subnets
            .iter()
            .map(|s| (s.net.to_string(), s.source.as_str()))
            .collect();
        assert_eq!(
            nets,
            [
                ("192.168.1.0/24".to_owned(), FROM_SCAN),
                ("10.20.0.0/24".to_owned(), FROM_SCAN),
                ("172.16.5.0/24".to_owned(), INFERRED),
            ]
        );
        // 10.99.0.1 is in no subnet: device 1 has one leg, so it is no router; the routed
        // subnets hang off an inferred router with the agent's subnet.
        assert_eq!(network.routers.len(), 1);
        assert_eq!(network.routers[0].device, None);
        let linked: Vec<String> = network.links.iter().map(|l| l.subnet.to_string()).collect();
        assert_eq!(linked, ["192.168.1.0/24", "10.20.0.0/24", "172.16.5.0/24"]);
        assert!(
            network
                .links
                .iter()
                .all(|l| l.evidence == LinkEvidence::Routed)
        );
        let d: BTreeMap<i64, &Device> = network.devices.iter().map(|d| (d.id.0, d)).collect();
        assert_eq!(d[&1].role, Role::Network);
        assert_eq!(d[&2].role, Role::Pc);
        assert_eq!(d[&4].role, Role::Medical);
        assert_eq!(d[&5].role, Role::Printer);
        assert_eq!(d[&2].location, "2F 詰所");
        assert!(d[&3].unregistered && !d[&2].unregistered);
        assert_eq!(d[&2].name, "host-2");
    }

    #[test]
    fn a_device_on_two_subnets_is_their_router() {
        let entries = vec![
            entry(1, "192.168.1.1", "network", Some("B1")),
            entry(2, "10.20.0.7", "medical", Some("1F")),
        ];
        let facts = NetworkFacts {
            scan_targets: vec!["192.168.1.0/24".to_owned(), "10.20.0.0/24".to_owned()],
            agent_addresses: vec![(9, "192.168.1.5/24".to_owned())],
            device_addresses: vec![
                (1, "192.168.1.1".parse().unwrap()),
                (1, "10.20.0.1".parse().unwrap()),
            ],
            segment_devices: vec![1],
            routed_devices: vec![2],
        };
        let network = network_of(String::new(), String::new(), &entries, &facts);
        assert_eq!(
            network.routers.len(),
            1,
            "no inferred router: a known one reaches it"
        );
        assert_eq!(network.routers[0].device, Some(DeviceRef(1)));
        assert_eq!(network.links.len(), 2);
        assert!(
            network
                .links
                .iter()
                .all(|l| l.evidence == LinkEvidence::Address)
        );
    }
}
