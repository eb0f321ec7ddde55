//! One discovery scan from configuration to report: picks the interfaces, runs the ARP sweep
//! on attached subnets and socket probes elsewhere (or the unprivileged fallback), asks for
//! names, and assembles the hosts of a [`ScanReport`].
//!
//! On Windows (no packet driver) attached subnets are resolved by the OS's own ARP
//! (`SendARP`, [`crate::resolve`]), each host found then gets the TTL echo through the OS's
//! ICMP (`IcmpSendEcho`), and routed targets are probed by that echo and TCP connect.

use std::collections::BTreeMap;
use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use daicho_model::{AgentInfo, Host, MacAddr, OsGuess, ScanReport};
#[cfg(unix)]
use pnet::datalink::{self, NetworkInterface};

use crate::clock::{Clock, SystemClock};
use crate::gate::{GateError, GateStats, PacketGate, RateLimits};
use crate::link::LocalInterface;
#[cfg(unix)]
use crate::link::PnetLink;
use crate::names::{self, NameConfig};
use crate::probe::{self, KernelProbes, ProbeConfig, SocketProbes};
use crate::scope::{DEFAULT_MAX_HOSTS, Scope, ScopeError};
#[cfg(unix)]
use crate::sweep;
use crate::sweep::SweepConfig;

/// How hosts are probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Raw sockets when privileged, otherwise the TCP-connect fallback (with a warning).
    #[default]
    Auto,
    /// Raw sockets only (ARP sweep, ICMP echo); fail without the privilege.
    Raw,
    /// TCP connect plus the kernel neighbour table, never raw sockets.
    Connect,
}

/// Everything a discovery scan needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanConfig {
    /// Who is scanning, for the report.
    pub agent: AgentInfo,
    /// Targets: CIDR blocks, addresses, `A-B` ranges.
    pub targets: Vec<String>,
    /// Exclusions in the same forms: they receive no packet at all.
    pub exclude: Vec<String>,
    /// The largest scope accepted without `force`.
    pub max_hosts: u64,
    /// Accept a scope larger than `max_hosts`.
    pub force: bool,
    /// Global and per-host packet rates.
    pub limits: RateLimits,
    /// Restrict ARP to this interface (it must exist).
    pub interface: Option<String>,
    /// Raw, connect, or whichever the privileges allow.
    pub method: Method,
    /// ARP sweep tuning.
    pub sweep: SweepConfig,
    /// ICMP/TCP probing tuning.
    pub probe: ProbeConfig,
    /// Ask for host names (reverse DNS, NetBIOS, mDNS).
    pub names: bool,
    /// How long to wait for name answers.
    pub name_wait: Duration,
}

impl ScanConfig {
    /// A configuration with the documented defaults for `targets`.
    pub fn new(agent: AgentInfo, targets: Vec<String>) -> Self {
        Self {
            agent,
            targets,
            exclude: Vec::new(),
            max_hosts: DEFAULT_MAX_HOSTS,
            force: false,
            limits: RateLimits::default(),
            interface: None,
            method: Method::Auto,
            sweep: SweepConfig::default(),
            probe: ProbeConfig::default(),
            names: true,
            name_wait: Duration::from_millis(300),
        }
    }

    /// Marks this scan as the whole job (no fingerprint phase follows): the ARP sweep then
    /// sends no ICMP echo, whose only use is the TTL for the fingerprint phase's OS guess, and
    /// spends that packet budget on nothing. On-link hosts are reported without a TTL.
    pub fn discovery_only(&mut self) {
        self.sweep.echo = false;
    }
}

/// Why a scan could not run.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The scope is missing, malformed, empty, all excluded or too large.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// A rate limit is not a positive number.
    #[error("{0}")]
    Rate(String),
    /// `--interface` names an interface that does not exist.
    #[error("no network interface named `{name}` (available: {available})")]
    NoSuchInterface {
        /// The name given.
        name: String,
        /// The interfaces that exist.
        available: String,
    },
    /// The interface exists but cannot be used for an ARP sweep.
    #[error("interface `{name}` cannot be swept: {reason}")]
    UnusableInterface {
        /// The interface.
        name: String,
        /// Why not.
        reason: String,
    },
    /// Raw sockets were required but the process lacks the privilege.
    #[error(
        "{what} needs raw-socket privilege (run as root or grant CAP_NET_RAW), or use --method connect: {source}"
    )]
    NoPrivilege {
        /// What needed it.
        what: String,
        /// The system's refusal.
        source: io::Error,
    },
    /// The method needs what this OS does not offer (raw sockets on Windows).
    #[error("{what} is not available on this operating system; use --method auto or connect")]
    Unsupported {
        /// What was asked for.
        what: String,
    },
    /// Sending failed for another reason.
    #[error("network I/O failed: {0}")]
    Io(#[from] io::Error),
}

impl From<GateError> for ScanError {
    fn from(e: GateError) -> Self {
        match e {
            GateError::Io(io) => Self::Io(io),
            other => Self::Io(io::Error::other(other.to_string())),
        }
    }
}

/// Where a scan is: phase, progress within it, hosts found so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// `arp`, `probe`, `names`.
    pub phase: &'static str,
    /// Units of work done in this phase.
    pub done: usize,
    /// Units of work in this phase.
    pub total: usize,
    /// Hosts found so far in the scan.
    pub found: usize,
}

/// A finished discovery scan: the report plus what the gate counted.
#[derive(Debug, Clone)]
pub struct ScanOutcome {
    /// The report, ready to print or push.
    pub report: ScanReport,
    /// Packets sent and refused.
    pub packets: GateStats,
}

#[derive(Debug, Default)]
struct Found {
    mac: Option<MacAddr>,
    rtt: Option<Duration>,
    ttl: Option<u8>,
    methods: Vec<String>,
    hostname: Option<String>,
}

impl Found {
    fn method(&mut self, m: &str) {
        if !self.methods.iter().any(|x| x == m) {
            self.methods.push(m.to_owned());
        }
    }
}

/// An interface usable for ARP: up, not loopback, with a MAC and IPv4 subnets.
#[cfg(unix)]
fn sweepable(iface: &NetworkInterface) -> Vec<LocalInterface> {
    let Some(mac) = iface.mac else { return vec![] };
    if !iface.is_up() || iface.is_loopback() || mac.octets() == [0; 6] {
        return vec![];
    }
    iface
        .ips
        .iter()
        .filter_map(|net| match net {
            pnet::ipnetwork::IpNetwork::V4(v4) if v4.prefix() < 32 => Some(LocalInterface {
                name: iface.name.clone(),
                mac: MacAddr(mac.octets()),
                ip: v4.ip(),
                prefix: v4.prefix(),
            }),
            _ => None,
        })
        .collect()
}

/// The attached subnets an ARP sweep can cover, with the pnet interface that opens its link:
/// every sweepable interface, or the one `--interface` names.
#[cfg(unix)]
fn attached_links(
    config: &ScanConfig,
) -> Result<Vec<(NetworkInterface, LocalInterface)>, ScanError> {
    let all = datalink::interfaces();
    Ok(match &config.interface {
        Some(name) => {
            let Some(iface) = all.iter().find(|i| &i.name == name) else {
                return Err(ScanError::NoSuchInterface {
                    name: name.clone(),
                    available: all
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let locals = sweepable(iface);
            if locals.is_empty() {
                return Err(ScanError::UnusableInterface {
                    name: name.clone(),
                    reason: "it is down, loopback, or has no MAC or IPv4 subnet".into(),
                });
            }
            locals.into_iter().map(|l| (iface.clone(), l)).collect()
        }
        None => all
            .iter()
            .flat_map(|i| sweepable(i).into_iter().map(move |l| (i.clone(), l)))
            .collect(),
    })
}

/// The attached subnets the OS's ARP can cover (adapters up, not loopback, with a MAC), by
/// adapter name: every one, or the one `--interface` names.
#[cfg(not(unix))]
fn attached_links(config: &ScanConfig) -> Result<Vec<((), LocalInterface)>, ScanError> {
    let all = crate::windows_arp::attached_interfaces()?;
    let links: Vec<((), LocalInterface)> = all
        .iter()
        .filter(|l| config.interface.as_ref().is_none_or(|n| *n == l.name))
        .map(|l| ((), l.clone()))
        .collect();
    if let Some(name) = &config.interface
        && links.is_empty()
    {
        let mut available: Vec<&str> = all.iter().map(|l| l.name.as_str()).collect();
        available.dedup();
        return Err(ScanError::NoSuchInterface {
            name: name.clone(),
            available: available.join(", "),
        });
    }
    Ok(links)
}

/// Runs one discovery scan. Blocking: async callers should use `spawn_blocking`.
pub fn scan(
    config: &ScanConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<ScanOutcome, ScanError> {
    scan_with_clock(config, Arc::new(SystemClock), progress)
}

fn scan_with_clock(
    config: &ScanConfig,
    clock: Arc<dyn Clock>,
    progress: &mut dyn FnMut(Progress),
) -> Result<ScanOutcome, ScanError> {
    let scope = Arc::new(Scope::parse(
        &config.targets,
        &config.exclude,
        config.max_hosts,
        config.force,
    )?);
    config.limits.validate().map_err(ScanError::Rate)?;
    if cfg!(not(unix)) && config.method == Method::Raw {
        return Err(ScanError::Unsupported {
            what: "raw sockets (--method raw)".into(),
        });
    }
    let started_at = Utc::now();
    let mut report = ScanReport::new(config.agent.clone(), scope.to_model(), started_at);

    // Which interfaces, and which targets are on which.
    let links = attached_links(config)?;
    let mut on_link: Vec<Vec<Ipv4Addr>> = vec![Vec::new(); links.len()];
    let mut routed: Vec<Ipv4Addr> = Vec::new();
    let mut found: BTreeMap<Ipv4Addr, Found> = BTreeMap::new();
    for ip in scope.addresses() {
        let mut attached = links.iter().map(|link| &link.1).enumerate();
        if let Some((i, local)) = attached.find(|(_, l)| l.on_link(ip)) {
            if ip == local.ip {
                // Ourselves: known without sending anything.
                let me = found.entry(ip).or_default();
                me.mac = Some(local.mac);
                me.method("local");
            } else {
                on_link[i].push(ip);
            }
        } else {
            routed.push(ip);
        }
    }
    let gate = PacketGate::new(Arc::clone(&scope), config.limits, clock);
    let mut found_count = found.len();
    let mut methods: Vec<&str> = Vec::new();
    let add_method = |methods: &mut Vec<&'static str>, m: &'static str| {
        if !methods.contains(&m) {
            methods.push(m);
        }
    };
    let mut fallback_targets: Vec<Ipv4Addr> = Vec::new();
    // Links stay open after their sweep: name queries to on-link hosts go out as frames.
    #[cfg(unix)]
    let mut open_links: Vec<(LocalInterface, PnetLink)> = Vec::new();

    // Windows: the OS's ARP per interface.
    #[cfg(not(unix))]
    for (((), local), targets) in links.iter().zip(&on_link) {
        if targets.is_empty() {
            continue;
        }
        if config.method == Method::Connect {
            fallback_targets.extend(targets);
            continue;
        }
        let base = found_count;
        let swept = crate::resolve::resolve_sweep(
            &crate::windows_arp::SendArp,
            &gate,
            local,
            targets,
            crate::resolve::RESOLVE_WORKERS,
            &mut |done, total, n| {
                progress(Progress {
                    phase: "arp",
                    done,
                    total,
                    found: base + n,
                });
            },
        );
        let hosts = match swept {
            Ok(hosts) => hosts,
            Err(GateError::Io(e)) if config.interface.is_none() => {
                report.warnings.push(format!(
                    "Windows could not resolve addresses on {} ({e}): fell back to TCP connect, which finds fewer hosts and no MAC addresses",
                    local.name
                ));
                fallback_targets.extend(targets);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        add_method(&mut methods, "arp");
        let answered: Vec<Ipv4Addr> = hosts.iter().map(|h| h.ip).collect();
        for h in hosts {
            let entry = found.entry(h.ip).or_default();
            entry.mac = Some(h.mac);
            entry.rtt = Some(h.rtt);
            entry.method("arp");
        }
        found_count = found.len();
        // The TTL echo to each host found, as the raw sweep sends it (the OS guess uses the
        // TTL), unless discovery is the whole job.
        if config.sweep.echo && !answered.is_empty() {
            let mut probes = KernelProbes::new(true)?;
            let echo_only = ProbeConfig {
                echo_attempts: 1,
                echo_wait: config.probe.echo_wait,
                tcp_ports: Vec::new(),
            };
            add_method(&mut methods, "icmp");
            for p in probe::probe_hosts(&mut probes, &gate, &answered, &echo_only, 0, |_, _, _| {})?
            {
                if let (Some(entry), Some(ttl)) = (found.get_mut(&p.ip), p.ttl) {
                    entry.ttl = Some(ttl);
                    entry.method("icmp");
                }
            }
        }
    }

    // ARP sweep per interface.
    #[cfg(unix)]
    for ((iface, local), targets) in links.iter().zip(&on_link) {
        if targets.is_empty() {
            continue;
        }
        if config.method == Method::Connect {
            fallback_targets.extend(targets);
            continue;
        }
        let mut link = match PnetLink::open(iface, local.mac) {
            Ok(link) => link,
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                if config.method == Method::Raw || config.interface.is_some() {
                    return Err(ScanError::NoPrivilege {
                        what: format!("the ARP sweep on {}", local.name),
                        source: e,
                    });
                }
                report.warnings.push(format!(
                    "no raw-socket privilege for the ARP sweep on {}: fell back to TCP connect and the kernel neighbour table, which find fewer hosts and may list a host that went down minutes ago (run as root or grant CAP_NET_RAW for a full sweep)",
                    local.name
                ));
                fallback_targets.extend(targets);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        add_method(&mut methods, "arp");
        let base = found_count;
        let hosts = sweep::arp_sweep(&mut link, &gate, local, targets, config.sweep, |p| {
            progress(Progress {
                phase: "arp",
                done: p.probed,
                total: p.total,
                found: base + p.found,
            });
        })?;
        if config.sweep.echo {
            add_method(&mut methods, "icmp");
        }
        for h in hosts {
            let entry = found.entry(h.ip).or_default();
            entry.mac = Some(h.mac);
            entry.rtt = Some(h.rtt);
            entry.ttl = h.ttl;
            entry.method("arp");
            if h.echo_rtt.is_some() {
                entry.method("icmp");
            }
            if !h.other_macs.is_empty() {
                let others: Vec<String> = h.other_macs.iter().map(ToString::to_string).collect();
                report.warnings.push(format!(
                    "{} answered ARP from more than one MAC ({} and {}): an address conflict or proxy ARP",
                    h.ip,
                    h.mac,
                    others.join(", ")
                ));
            }
        }
        found_count = found.len();
        open_links.push((local.clone(), link));
    }

    // Routed targets: ICMP echo and TCP; unprivileged: TCP only.
    if !routed.is_empty() {
        let mut probes = match config.method {
            Method::Connect => KernelProbes::new(false)?,
            Method::Raw | Method::Auto => match KernelProbes::new(true) {
                Ok(p) => p,
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                    if config.method == Method::Raw {
                        return Err(ScanError::NoPrivilege {
                            what: "ICMP echo to routed targets".into(),
                            source: e,
                        });
                    }
                    report.warnings.push(
                        "no raw-socket privilege for ICMP echo: routed targets were probed by TCP connect only, so hosts with no open or closed port on the probe list are missed".into(),
                    );
                    KernelProbes::new(false)?
                }
                Err(e) => return Err(e.into()),
            },
        };
        if probes.has_icmp() {
            add_method(&mut methods, "icmp");
        }
        add_method(&mut methods, "tcp-connect");
        let base = found_count;
        let hosts = probe::probe_hosts(
            &mut probes,
            &gate,
            &routed,
            &config.probe,
            0,
            |done, total, n| {
                progress(Progress {
                    phase: "probe",
                    done,
                    total,
                    found: base + n,
                });
            },
        )?;
        for h in hosts {
            let entry = found.entry(h.ip).or_default();
            entry.rtt = h.rtt;
            entry.ttl = h.ttl;
            for m in h.methods {
                entry.method(if m == "tcp" { "tcp-connect" } else { m });
            }
        }
        found_count = found.len();
    }

    // Unprivileged on-link targets: one TCP connect each makes the kernel ARP for them.
    if !fallback_targets.is_empty() {
        add_method(&mut methods, "tcp-connect");
        add_method(&mut methods, "neighbour-table");
        let mut probes = KernelProbes::new(false)?;
        let config_one_port = ProbeConfig {
            tcp_ports: config.probe.tcp_ports.iter().copied().take(1).collect(),
            ..config.probe.clone()
        };
        let base = found_count;
        // The kernel may send up to three ARP requests for a silent address: charge them.
        let hosts = probe::probe_hosts(
            &mut probes,
            &gate,
            &fallback_targets,
            &config_one_port,
            3,
            |done, total, n| {
                progress(Progress {
                    phase: "probe",
                    done,
                    total,
                    found: base + n,
                });
            },
        )?;
        for h in hosts {
            let entry = found.entry(h.ip).or_default();
            entry.rtt = h.rtt;
            entry.method("tcp-connect");
        }
        let wanted: std::collections::BTreeSet<Ipv4Addr> =
            fallback_targets.iter().copied().collect();
        match crate::neighbours::read_neighbours() {
            Ok(neighbours) => {
                for n in neighbours.into_iter().filter(|n| wanted.contains(&n.ip)) {
                    let entry = found.entry(n.ip).or_default();
                    entry.mac = Some(n.mac);
                    entry.method("neighbour-table");
                }
            }
            Err(e) => report.warnings.push(format!(
                "could not read the kernel neighbour table (/proc/net/arp): {e}; no MAC addresses"
            )),
        }
    }

    // Names for every host found (ourselves included: it costs nothing to ask our own stack).
    if config.names && !found.is_empty() {
        let resolvers: Vec<Ipv4Addr> = names::system_resolvers()
            .into_iter()
            .filter(|r| !scope.is_excluded(*r))
            .collect();
        let ips: Vec<Ipv4Addr> = found.keys().copied().collect();
        progress(Progress {
            phase: "names",
            done: 0,
            total: ips.len(),
            found: found.len(),
        });
        let name_config = NameConfig {
            resolvers,
            netbios: true,
            mdns: true,
            wait: config.name_wait,
        };
        #[cfg(not(unix))]
        let named = names::resolve_names(&gate, &ips, &name_config)?;
        #[cfg(unix)]
        let direct_macs: BTreeMap<Ipv4Addr, MacAddr> = match open_links.first() {
            Some((local, _)) => found
                .iter()
                .filter(|(ip, _)| local.on_link(**ip) && **ip != local.ip)
                .filter_map(|(ip, f)| f.mac.map(|m| (*ip, m)))
                .collect(),
            None => BTreeMap::new(),
        };
        #[cfg(unix)]
        let direct = open_links
            .first_mut()
            .map(|(local, link)| names::DirectLink {
                link,
                iface: local,
                macs: &direct_macs,
            });
        #[cfg(unix)]
        let named = names::resolve_names(&gate, &ips, &name_config, direct)?;
        for (ip, (name, source)) in named {
            if let Some(entry) = found.get_mut(&ip) {
                entry.hostname = Some(name);
                entry.method(source.label());
                add_method(&mut methods, source.label());
            }
        }
    }

    report.methods = methods.into_iter().map(str::to_owned).collect();
    report.hosts = found
        .into_iter()
        .map(|(ip, f)| host_record(ip, f))
        .collect();
    report.finished_at = Utc::now().max(started_at);
    Ok(ScanOutcome {
        report,
        packets: gate.stats(),
    })
}

fn host_record(ip: Ipv4Addr, f: Found) -> Host {
    // A virtual machine's NIC is named by its platform ("QEMU/KVM virtual machine") and is
    // never randomized, even under a locally administered prefix.
    let class = f.mac.map(daicho_oui::classify);
    let vendor = class.and_then(daicho_oui::Vendor::name).map(str::to_owned);
    let randomized = class == Some(daicho_oui::Vendor::Randomized);
    Host {
        ip: ip.into(),
        mac: f.mac,
        vendor,
        mac_randomized: randomized,
        hostname: f.hostname,
        os: OsGuess::default(),
        services: Vec::new(),
        rtt_ms: f.rtt.map(|d| (d.as_secs_f64() * 1e5).round() / 100.0),
        ttl: f.ttl,
        discovered_by: f.methods,
        local: None,
    }
}

/// The agent identity of this machine: host name (Windows: `COMPUTERNAME`), daicho version and
/// `/etc/machine-id`.
pub fn local_agent_info(version: &str) -> AgentInfo {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    AgentInfo {
        name: read("/proc/sys/kernel/hostname")
            .or_else(|| read("/etc/hostname"))
            // Windows names the computer in the environment of every process.
            .or_else(|| {
                std::env::var("COMPUTERNAME")
                    .ok()
                    .filter(|n| cfg!(windows) && !n.trim().is_empty())
            })
            .unwrap_or_else(|| "daicho-agent".into()),
        version: version.to_owned(),
        machine_id: read("/etc/machine-id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(mac: &str) -> Host {
        host_record(
            Ipv4Addr::new(198, 18, 0, 9),
            Found {
                mac: Some(mac.parse().unwrap()),
                ..Found::default()
            },
        )
    }

    #[test]
    fn a_kvm_nic_is_a_virtual_machine_not_a_randomized_mac() {
        let kvm = record("52:54:00:12:34:56");
        assert_eq!(kvm.vendor.as_deref(), Some("QEMU/KVM virtual machine"));
        assert!(!kvm.mac_randomized);
    }

    #[test]
    fn a_private_address_is_randomized_with_no_vendor() {
        let phone = record("da:a1:19:00:00:01");
        assert_eq!(phone.vendor, None);
        assert!(phone.mac_randomized);
        let registered = record("38:0b:26:12:34:56");
        assert_eq!(registered.vendor.as_deref(), Some("Mindray Co., Ltd."));
        assert!(!registered.mac_randomized);
    }
}
