//! The full inventory scan of the daicho agent: discovery of every live host in scope
//! (daicho-scan), then open ports, services and OS of each host found (daicho-fingerprint).
//!
//! Both `daicho-agent scan` and `daicho-agent run` call [`inventory_scan`]. Every connect and
//! datagram of the fingerprint phase goes through [`GatedConnector`], i.e. through the same
//! [`daicho_scan::gate::PacketGate`] type as discovery: scope and exclusions checked, global and
//! per-host rates enforced.

pub mod gated;

use std::collections::BTreeMap;
#[cfg(unix)]
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use daicho_fingerprint::switches::{ConnectorExchange, WalkLimits, read_switch};
use daicho_fingerprint::{
    FingerprintOptions, HostFingerprint, HostInput, PortSpec, TcpConnector, fingerprint_host,
};
use daicho_model::Host;
#[cfg(unix)]
use daicho_scan::Method;
use daicho_scan::clock::SystemClock;
use daicho_scan::gate::PacketGate;
use daicho_scan::syn::SynHost;
#[cfg(unix)]
use daicho_scan::syn::{RawSyn, SynConfig, SynTarget, syn_sweep};
use daicho_scan::{Progress, ScanConfig, ScanError, ScanOutcome, Scope};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use gated::GatedConnector;

/// Default number of hosts fingerprinted at once.
pub const DEFAULT_HOST_CONCURRENCY: usize = 64;

/// What the fingerprint phase does.
#[derive(Debug, Clone)]
pub struct FingerprintSettings {
    /// Ports to check (TCP and UDP lists).
    pub ports: PortSpec,
    /// SNMP v2c communities, tried in order; empty = no SNMP at all.
    pub snmp_communities: Vec<String>,
    /// Operator opt-in to probe medical hosts beyond a connect.
    pub probe_medical: bool,
    /// Hosts the operator lists as medical devices.
    pub medical_hosts: Vec<IpAddr>,
    /// Hosts fingerprinted at once.
    pub host_concurrency: usize,
    /// Connections in flight over all hosts.
    pub global_concurrency: usize,
    /// Ports of one host handled at once.
    pub per_host_concurrency: usize,
}

impl FingerprintSettings {
    /// The documented defaults for the ports `spec` (`"default"` = the hospital lists).
    pub fn new(ports: PortSpec) -> Self {
        let defaults = FingerprintOptions::default();
        Self {
            ports,
            snmp_communities: Vec::new(),
            probe_medical: false,
            medical_hosts: Vec::new(),
            host_concurrency: DEFAULT_HOST_CONCURRENCY,
            global_concurrency: defaults.global.available_permits(),
            per_host_concurrency: defaults.per_host_concurrency,
        }
    }

    fn options(&self) -> FingerprintOptions {
        FingerprintOptions {
            per_host_concurrency: self.per_host_concurrency.max(1),
            global: Arc::new(Semaphore::new(self.global_concurrency.max(1))),
            snmp_communities: self.snmp_communities.clone(),
            medical_hosts: self.medical_hosts.clone(),
            probe_medical: self.probe_medical,
            ..FingerprintOptions::default()
        }
    }
}

/// A whole inventory scan: discovery, and fingerprinting unless `fingerprint` is `None`.
#[derive(Debug, Clone)]
pub struct InventoryConfig {
    /// Discovery: scope, exclusions, rates, method, names.
    pub scan: ScanConfig,
    /// Ports, services and OS; `None` = discovery only.
    pub fingerprint: Option<FingerprintSettings>,
    /// Managed switches to read over SNMP after the hosts; `None` = none.
    pub switches: Option<SwitchSettings>,
}

/// Which switches to read, and how (`[snmp]` of the agent's configuration).
#[derive(Clone)]
pub struct SwitchSettings {
    /// The read-only SNMP v2c community: a secret, never printed (see the `Debug` below).
    pub community: String,
    /// The switches' management addresses; each must be in the scan's scope (the gate refuses
    /// any other, and the reading says so).
    pub addresses: Vec<IpAddr>,
    /// Bounds of reading one switch.
    pub limits: WalkLimits,
    /// How long to wait for one answer.
    pub timeout: std::time::Duration,
}

impl SwitchSettings {
    /// Reading `addresses` with `community`, with the default bounds and a 2 s answer timeout.
    pub fn new(community: String, addresses: Vec<IpAddr>) -> Self {
        Self {
            community,
            addresses,
            limits: WalkLimits::default(),
            timeout: std::time::Duration::from_secs(2),
        }
    }
}

impl std::fmt::Debug for SwitchSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwitchSettings")
            .field("community", &"<secret>")
            .field("addresses", &self.addresses)
            .field("limits", &self.limits)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Runs discovery, then fingerprints every host found with bounded concurrency, and returns the
/// merged report. Blocking, like [`daicho_scan::scan`]: async callers use `spawn_blocking`.
/// `progress` is called on the calling thread, for discovery's phases and then for the
/// `ports` phase (hosts done out of hosts found).
pub fn inventory_scan(
    config: &InventoryConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<ScanOutcome, ScanError> {
    let mut outcome = daicho_scan::scan(&config.scan, progress)?;
    if let Some(settings) = &config.fingerprint {
        fingerprint_phase(config, settings, &mut outcome, progress)?;
    }
    if let Some(switches) = &config.switches {
        read_switches(config, switches, &mut outcome)?;
    }
    outcome.report.finished_at = chrono::Utc::now();
    Ok(outcome)
}

/// The scan's gate for a phase after discovery: the same scope, exclusions and rates.
fn phase_gate(config: &InventoryConfig) -> Result<PacketGate, ScanError> {
    let scope = Scope::parse(
        &config.scan.targets,
        &config.scan.exclude,
        config.scan.max_hosts,
        config.scan.force,
    )?;
    Ok(PacketGate::new(
        Arc::new(scope),
        config.scan.limits,
        Arc::new(SystemClock),
    ))
}

/// Reads each configured switch, one after the other, through the gate; a switch that cannot
/// be read gets a note (and a warning), never a failed scan.
fn read_switches(
    config: &InventoryConfig,
    settings: &SwitchSettings,
    outcome: &mut ScanOutcome,
) -> Result<(), ScanError> {
    let connector = GatedConnector::new(TcpConnector, phase_gate(config)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for &address in &settings.addresses {
        let exchange = ConnectorExchange::new(&connector, address, settings.timeout);
        let reading = runtime.block_on(read_switch(
            &exchange,
            address,
            &settings.community,
            &settings.limits,
        ));
        if let Some(note) = &reading.note {
            outcome.report.warnings.push(note.clone());
        }
        outcome.report.switches.push(reading);
    }
    let stats = connector.gate().stats();
    outcome.packets.packets += stats.packets;
    outcome.packets.refused += stats.refused;
    Ok(())
}

/// Ports, services and OS of every host discovery found.
fn fingerprint_phase(
    config: &InventoryConfig,
    settings: &FingerprintSettings,
    outcome: &mut ScanOutcome,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), ScanError> {
    // Expanded, so the collector can tell a closed port from one that was not probed.
    outcome.report.scope.ports = Some(settings.ports.to_string());
    let gate = phase_gate(config)?;
    let open_tcp = half_open_sweep(
        config,
        &settings.ports.tcp,
        &outcome.report.hosts,
        &gate,
        progress,
    )?;
    let connector = Arc::new(GatedConnector::new(TcpConnector, gate));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("daicho-fingerprint")
        .enable_all()
        .build()?;
    let hosts = std::mem::take(&mut outcome.report.hosts);
    let found = hosts.len();
    let results = runtime.block_on(fingerprint_all(
        Arc::clone(&connector),
        &hosts,
        open_tcp.as_ref(),
        settings,
        &mut |done| {
            progress(Progress {
                phase: "ports",
                done,
                total: found,
                found,
            });
        },
    ));
    // Closes still waiting for their slot go out paced before the runtime ends.
    runtime.block_on(connector.closed());
    outcome.report.hosts = hosts
        .into_iter()
        .zip(results)
        .map(|(host, fp)| merge(host, fp))
        .collect();
    let fp_stats = connector.gate().stats();
    outcome.packets.packets += fp_stats.packets;
    outcome.packets.refused += fp_stats.refused;
    Ok(())
}

/// Windows lets no raw socket send TCP: every port is checked with a full connect.
#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)]
fn half_open_sweep(
    _config: &InventoryConfig,
    _ports: &[u16],
    _hosts: &[Host],
    _gate: &PacketGate,
    _progress: &mut dyn FnMut(Progress),
) -> Result<Option<BTreeMap<Ipv4Addr, SynHost>>, ScanError> {
    Ok(None)
}

/// The half-open sweep of every host found, when raw sockets are allowed: the open TCP ports
/// of each host, or `None` when the scan must use connects (method `connect`, no privilege).
#[cfg(unix)]
fn half_open_sweep(
    config: &InventoryConfig,
    ports: &[u16],
    hosts: &[Host],
    gate: &PacketGate,
    progress: &mut dyn FnMut(Progress),
) -> Result<Option<BTreeMap<Ipv4Addr, SynHost>>, ScanError> {
    if config.scan.method == Method::Connect || ports.is_empty() {
        return Ok(None);
    }
    let mut io = match RawSyn::new() {
        Ok(io) => io,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            tracing::info!("no raw-socket privilege: ports are checked with full connects");
            return Ok(None);
        }
        Err(e) => return Err(ScanError::Io(e)),
    };
    // The kernel resolves an on-link host it has not learnt yet (the ARP sweep talks on a raw
    // link) with one ARP request before the first SYN can leave.
    let known: BTreeSet<Ipv4Addr> = daicho_scan::neighbours::read_neighbours()
        .unwrap_or_default()
        .into_iter()
        .map(|n| n.ip)
        .collect();
    let targets: Vec<SynTarget> = hosts
        .iter()
        .filter_map(|h| match h.ip {
            IpAddr::V4(ip) => Some(SynTarget {
                ip,
                rtt: h
                    .rtt_ms
                    .map(|ms| std::time::Duration::from_secs_f64(ms / 1000.0)),
                first_extra: u32::from(h.mac.is_some() && !known.contains(&ip)),
            }),
            IpAddr::V6(_) => None,
        })
        .collect();
    let key = std::process::id() ^ (chrono::Utc::now().timestamp_subsec_nanos());
    let found = syn_sweep(
        &mut io,
        gate,
        &targets,
        ports,
        &SynConfig::default(),
        key,
        |p| {
            progress(Progress {
                phase: "syn",
                done: p.done,
                total: p.total,
                found: p.open,
            });
        },
    )?;
    Ok(Some(found))
}

/// Fingerprints `hosts` (in order), at most `settings.host_concurrency` at once; `done` is
/// called with the number of hosts finished after each one.
pub async fn fingerprint_all<C: daicho_fingerprint::Connector>(
    connector: Arc<C>,
    hosts: &[Host],
    open_tcp: Option<&BTreeMap<Ipv4Addr, SynHost>>,
    settings: &FingerprintSettings,
    done: &mut dyn FnMut(usize),
) -> Vec<Option<HostFingerprint>> {
    let options = Arc::new(settings.options());
    let tcp: Arc<[u16]> = settings.ports.tcp.clone().into();
    let udp: Arc<[u16]> = settings.ports.udp.clone().into();
    let slots = Arc::new(Semaphore::new(settings.host_concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (index, host) in hosts.iter().enumerate() {
        let input = HostInput {
            ip: host.ip,
            mac: host.mac,
            vendor: host.vendor.clone(),
            mac_randomized: host.mac_randomized,
            ttl: host.ttl,
            open_tcp: match (open_tcp, host.ip) {
                (Some(swept), IpAddr::V4(v4)) => {
                    Some(swept.get(&v4).map(|h| h.open.clone()).unwrap_or_default())
                }
                _ => None,
            },
        };
        let (connector, options, tcp, udp, slots) = (
            Arc::clone(&connector),
            Arc::clone(&options),
            Arc::clone(&tcp),
            Arc::clone(&udp),
            Arc::clone(&slots),
        );
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("slots never closed");
            let fp = fingerprint_host(connector, input, &tcp, &udp, &options).await;
            (index, fp)
        });
    }
    let mut results: Vec<Option<HostFingerprint>> = vec![None; hosts.len()];
    let mut finished = 0;
    while let Some(joined) = tasks.join_next().await {
        finished += 1;
        match joined {
            Ok((index, fp)) => results[index] = Some(fp),
            // A probe bug must not lose the other hosts: the host keeps its discovery data.
            Err(e) => tracing::error!("fingerprint task failed: {e}"),
        }
        done(finished);
    }
    results
}

/// The discovered host with what fingerprinting learnt: services and OS from the fingerprint;
/// the discovery name is kept, the fingerprint's only fills a missing one.
pub fn merge(mut host: Host, fp: Option<HostFingerprint>) -> Host {
    let Some(fp) = fp else { return host };
    host.services = fp.services;
    host.os = fp.os;
    if host.hostname.is_none() {
        host.hostname = fp.hostname;
    }
    host
}

#[cfg(test)]
mod tests;
