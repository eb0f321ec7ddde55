//! One host, start to finish: connect to each candidate port, decide whether the host is
//! medical, run the right probes on the open ports (bounded per host and globally), ask SNMP if
//! allowed, and infer the OS.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use daicho_model::{MacAddr, OsGuess, Protocol, Service};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// SNMP communities that ship as factory defaults; an agent answering one is a finding.
const DEFAULT_SNMP_COMMUNITIES: &[&str] = &["public", "private"];
use tokio::task::JoinSet;

use crate::connect::Connector;
use crate::os::{Observations, OsTables, infer_os};
use crate::ports::{is_connect_only_port, is_medical_port};
use crate::probe::{self, Fact, Finding, ProbeContext, ProbeKind, netbios, snmp};
use crate::rules::ServiceTable;
use crate::wire::{Limits, quote};

/// Transaction id of our DNS version query.
const DNS_ID: u16 = 0x4453;

/// A port-scan connection older than this is replaced by a fresh one before probing.
const STALE_CONNECTION: Duration = Duration::from_secs(5);

/// How a scan treats hosts and what it may send.
#[derive(Debug, Clone)]
pub struct FingerprintOptions {
    /// Byte and time bounds for every probe.
    pub limits: Limits,
    /// Longest wait for a TCP connect; a port that does not answer in time counts as closed.
    pub connect_timeout: Duration,
    /// Longest time spent on one open port across all its probes, so that a silent or
    /// trickling service never holds the scan.
    pub port_budget: Duration,
    /// Most ports of one host handled at once.
    pub per_host_concurrency: usize,
    /// Connections in flight across all hosts: share one semaphore between every
    /// [`fingerprint_host`] call of a scan.
    pub global: Arc<Semaphore>,
    /// SNMP v2c communities to try, in order. Empty means no SNMP. `public` is tried only if
    /// the operator lists it.
    pub snmp_communities: Vec<String>,
    /// How long to wait for each SNMP answer.
    pub snmp_timeout: Duration,
    /// Hosts the operator lists as medical devices.
    pub medical_hosts: Vec<IpAddr>,
    /// Operator opt-in: probe medical hosts like any other (DICOM association, banners, …).
    /// Off by default: medical hosts get a TCP connect and nothing more.
    pub probe_medical: bool,
    /// Our DICOM AE title.
    pub dicom_calling_ae: String,
    /// The AE title addressed (many SCPs accept any).
    pub dicom_called_ae: String,
}

impl Default for FingerprintOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            connect_timeout: Duration::from_millis(1500),
            port_budget: Duration::from_secs(8),
            per_host_concurrency: 16,
            global: Arc::new(Semaphore::new(256)),
            snmp_communities: Vec::new(),
            snmp_timeout: Duration::from_millis(1500),
            medical_hosts: Vec::new(),
            probe_medical: false,
            dicom_calling_ae: "DAICHO".to_owned(),
            dicom_called_ae: "ANY-SCP".to_owned(),
        }
    }
}

/// What discovery already knows about the host.
#[derive(Debug, Clone)]
pub struct HostInput {
    /// Address.
    pub ip: IpAddr,
    /// MAC, when on the local segment.
    pub mac: Option<MacAddr>,
    /// IEEE registrant of the MAC prefix (the platform, for a virtual machine's NIC).
    pub vendor: Option<String>,
    /// The MAC is randomized (discovery's decision, `daicho_oui::is_randomized`): a private
    /// address such as phones use, not a virtual machine's locally administered one.
    pub mac_randomized: bool,
    /// TTL of the first reply.
    pub ttl: Option<u8>,
    /// The TCP ports a half-open sweep found open (`daicho_scan::syn`): only these are
    /// connected to, and medical hosts and connect-only ports get no connect at all (the
    /// SYN/ACK is the evidence). `None`: every candidate port is connected to.
    pub open_tcp: Option<Vec<u16>>,
}

impl HostInput {
    /// A host known only by its address.
    pub fn new(ip: IpAddr) -> Self {
        Self {
            ip,
            mac: None,
            vendor: None,
            mac_randomized: false,
            ttl: None,
            open_tcp: None,
        }
    }
}

/// The result for one host.
#[derive(Debug, Clone)]
pub struct HostFingerprint {
    /// Open ports and what answers on them, TCP then UDP, by port.
    pub services: Vec<Service>,
    /// OS inference over everything observed.
    pub os: OsGuess,
    /// Why the host was treated as medical, if it was.
    pub medical: Option<String>,
    /// A name the host gave itself (NTLM NetBIOS name, SNMP sysName, RDP certificate CN).
    pub hostname: Option<String>,
    /// What OS inference saw.
    pub observations: Observations,
}

/// Fingerprints one host: connects to each of `tcp_ports`, probes what is open, asks SNMP on
/// A place for one connection: first within the host's limit, then within the global one (in
/// that order everywhere, so the two semaphores cannot deadlock).
async fn slot(
    per_host: &Arc<Semaphore>,
    global: &Arc<Semaphore>,
) -> (OwnedSemaphorePermit, OwnedSemaphorePermit) {
    let host = Arc::clone(per_host)
        .acquire_owned()
        .await
        .expect("semaphore open");
    let all = Arc::clone(global)
        .acquire_owned()
        .await
        .expect("semaphore open");
    (host, all)
}

/// `udp_ports` (only 161 is understood) when communities are configured, and infers the OS.
pub async fn fingerprint_host<C: Connector>(
    connector: Arc<C>,
    host: HostInput,
    tcp_ports: &[u16],
    udp_ports: &[u16],
    options: &FingerprintOptions,
) -> HostFingerprint {
    let ip = host.ip;
    let per_host = Arc::new(Semaphore::new(options.per_host_concurrency.max(1)));
    let opts = Arc::new(options.clone());

    // Phase 1: which ports are open. The connections are kept for the probes, so a greeting
    // already sent is not lost and no port gets a second connect it does not need. After a
    // half-open sweep only its open ports are candidates, and the medical decision comes first:
    // a safe-mode host and a connect-only port need no connection at all.
    let swept_medical = host
        .open_tcp
        .as_ref()
        .map(|open| medical_reason(&host, open.iter().copied(), options));
    let known_safe = swept_medical
        .as_ref()
        .is_some_and(|m| m.is_some() && !options.probe_medical);
    let mut open: BTreeMap<u16, Option<(C::Stream, tokio::time::Instant)>> = BTreeMap::new();
    let candidates: Vec<u16> = match &host.open_tcp {
        Some(known) => {
            let mut to_connect = Vec::new();
            for &port in known {
                if known_safe || is_connect_only_port(port) {
                    open.insert(port, None);
                } else {
                    to_connect.push(port);
                }
            }
            to_connect
        }
        None => tcp_ports.to_vec(),
    };
    let mut connects = JoinSet::new();
    for port in candidates {
        let (connector, per_host, opts) = (
            Arc::clone(&connector),
            Arc::clone(&per_host),
            Arc::clone(&opts),
        );
        connects.spawn(async move {
            let _permits = slot(&per_host, &opts.global).await;
            let stream = connector
                .connect(SocketAddr::new(ip, port), opts.connect_timeout)
                .await
                .ok();
            (port, stream.map(|s| (s, tokio::time::Instant::now())))
        });
    }
    let half_open = host.open_tcp.is_some();
    while let Some(joined) = connects.join_next().await {
        match joined {
            Ok((port, Some(stream))) => {
                open.insert(port, Some(stream));
            }
            // It answered the SYN a moment ago: open, though the connect failed now.
            Ok((port, None)) if half_open => {
                open.insert(port, None);
            }
            _ => {}
        }
    }

    // After a sweep every swept port is in `open`: the decision above stands.
    let medical =
        swept_medical.unwrap_or_else(|| medical_reason(&host, open.keys().copied(), options));
    let safe = medical.is_some() && !options.probe_medical;
    tracing::debug!(%ip, open = open.len(), medical = ?medical, safe, "open ports found");

    // Phase 2: probe the open ports.
    let mut probes = JoinSet::new();
    for (port, stream) in open {
        let (connector, per_host, opts) = (
            Arc::clone(&connector),
            Arc::clone(&per_host),
            Arc::clone(&opts),
        );
        probes.spawn(async move {
            let _permits = slot(&per_host, &opts.global).await;
            // A connection held through a long (paced) port scan may have been dropped by the
            // service as idle (nginx after 60 s, many devices much sooner): use a fresh one.
            let needs_bytes = !safe && !is_connect_only_port(port);
            let stream = match stream {
                Some((stream, opened)) if needs_bytes && opened.elapsed() > STALE_CONNECTION => {
                    match connector
                        .connect(SocketAddr::new(ip, port), opts.connect_timeout)
                        .await
                    {
                        Ok(fresh) => Some(fresh),
                        Err(_) => Some(stream),
                    }
                }
                other => other.map(|(stream, _)| stream),
            };
            probe_port(&*connector, ip, port, stream, &opts, safe).await
        });
    }
    let mut services = Vec::new();
    let mut facts = Vec::new();
    while let Some(joined) = probes.join_next().await {
        if let Ok((service, mut f)) = joined {
            services.push(service);
            facts.append(&mut f);
        }
    }

    // NetBIOS node status: a read-only name query, skipped for medical hosts in safe mode.
    if udp_ports.contains(&137)
        && !safe
        && let Some((service, status)) = netbios_query(&*connector, ip, options).await
    {
        services.push(service);
        facts.push(Fact::NetBios(status));
    }

    // DNS: the read-only version.bind query, skipped for medical hosts in safe mode.
    if udp_ports.contains(&53)
        && !safe
        && let Ok(Some(reply)) = connector
            .exchange_udp(
                SocketAddr::new(ip, 53),
                &probe::dns::version_query(DNS_ID),
                options.snmp_timeout,
                options.limits.max_bytes.min(4096),
            )
            .await
        && crate::wire::be16(&reply, 0) == Some(DNS_ID)
    {
        let f = probe::dns_finding(probe::dns::parse_version(&reply, DNS_ID), "udp");
        services.push(Service {
            port: 53,
            protocol: Protocol::Udp,
            name: "dns".to_owned(),
            product: f.product,
            version: f.version,
            evidence: f.evidence,
        });
    }

    // SNMP: read-only GET, skipped for medical hosts in safe mode.
    if udp_ports.contains(&161)
        && !options.snmp_communities.is_empty()
        && !safe
        && let Some((service, info)) = snmp_query(&*connector, ip, options).await
    {
        services.push(service);
        facts.push(Fact::Snmp(info));
    }
    services.sort_by_key(|s| (s.protocol, s.port));

    let observations = Observations {
        ttl: host.ttl,
        mac_vendor: host.vendor.clone(),
        mac_randomized: host.mac_randomized,
        open_ports: services
            .iter()
            .filter(|s| s.protocol == Protocol::Tcp)
            .map(|s| s.port)
            .collect(),
        facts,
        medical_reason: medical.clone(),
    };
    let os = infer_os(&observations);
    let hostname = hostname_from(&observations.facts);
    HostFingerprint {
        services,
        os,
        medical,
        hostname,
        observations,
    }
}

/// Why a host counts as medical: operator list, medical-vendor MAC, or a DICOM/HL7 port open.
fn medical_reason(
    host: &HostInput,
    open: impl Iterator<Item = u16>,
    options: &FingerprintOptions,
) -> Option<String> {
    if options.medical_hosts.contains(&host.ip) {
        return Some("listed as medical in the configuration".to_owned());
    }
    if let Some(vendor) = &host.vendor
        && OsTables::in_use().is_medical_vendor(vendor)
    {
        return Some(format!(
            "mac vendor {} makes medical devices",
            quote(vendor.as_bytes(), 80)
        ));
    }
    let ports: Vec<u16> = open.filter(|&p| is_medical_port(p)).collect();
    if !ports.is_empty() {
        let list = ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        return Some(format!("DICOM/HL7 port open ({list})"));
    }
    None
}

fn hostname_from(facts: &[Fact]) -> Option<String> {
    facts.iter().find_map(|f| match f {
        Fact::Ntlm(n) => n
            .netbios_computer
            .clone()
            .or_else(|| n.dns_computer.clone()),
        Fact::Snmp(s) => s.sys_name.clone(),
        Fact::NetBios(n) => n.computer.clone(),
        _ => None,
    })
}

/// The probe plan for a port: connect-only ports and safe mode override the table.
pub fn plan_for(table: &ServiceTable, port: u16, safe: bool) -> (String, Vec<ProbeKind>) {
    let plan = table.plan_for(port);
    let name = plan.map_or_else(|| "unknown".to_owned(), |p| p.service.clone());
    if is_connect_only_port(port) || safe {
        return (name, vec![ProbeKind::ConnectOnly]);
    }
    let probes = plan.map_or_else(|| table.default_probes.clone(), |p| p.probes.clone());
    (name, probes)
}

/// Runs a port's probes in order until one identifies the service. Never fails: an open port
/// is always reported, with whatever was learned.
pub async fn probe_port<C: Connector>(
    connector: &C,
    ip: IpAddr,
    port: u16,
    first: Option<C::Stream>,
    options: &FingerprintOptions,
    safe: bool,
) -> (Service, Vec<Fact>) {
    let table = ServiceTable::in_use();
    let (fallback, probes) = plan_for(table, port, safe);
    let ctx = ProbeContext {
        ip,
        port,
        limits: options.limits,
        table,
        dicom_calling_ae: &options.dicom_calling_ae,
        dicom_called_ae: &options.dicom_called_ae,
    };
    let mut stream = first;
    let mut evidence = Vec::new();
    let mut facts = Vec::new();
    let mut best: Option<Finding> = None;
    if safe {
        evidence.push("medical safe mode: connect only".to_owned());
    }
    let deadline = tokio::time::Instant::now() + options.port_budget;
    for kind in probes {
        if tokio::time::Instant::now() >= deadline {
            evidence.push(format!("{kind} probe skipped: port time budget spent"));
            break;
        }
        let mut s = match stream.take() {
            Some(s) => s,
            None if kind == ProbeKind::ConnectOnly => {
                evidence.push("open: answered a half-open SYN; no connection made".to_owned());
                break;
            }
            None => match connector
                .connect(SocketAddr::new(ip, port), options.connect_timeout)
                .await
            {
                Ok(s) => s,
                Err(e) => {
                    evidence.push(format!("{kind} probe: reconnect failed: {e}"));
                    break;
                }
            },
        };
        let outcome = tokio::time::timeout_at(deadline, probe::run(kind, &mut s, &ctx))
            .await
            .unwrap_or(Err(crate::wire::WireError::Deadline));
        match outcome {
            Ok(mut f) => {
                evidence.append(&mut f.evidence);
                facts.append(&mut f.facts);
                if f.silent {
                    evidence.push(format!("{kind} probe: service stayed silent"));
                    stream = Some(s); // nothing exchanged: the next probe may use it
                    continue;
                }
                if f.name.is_some() {
                    best = Some(f);
                    break;
                }
            }
            Err(e) => evidence.push(format!("{kind} probe: {e}")),
        }
    }
    let service = match best {
        Some(f) => Service {
            port,
            protocol: Protocol::Tcp,
            name: f.name.unwrap_or(fallback),
            product: f.product,
            version: f.version,
            evidence,
        },
        None => Service {
            port,
            protocol: Protocol::Tcp,
            name: fallback,
            product: None,
            version: None,
            evidence,
        },
    };
    tracing::debug!(%ip, port, service = %service.name, product = ?service.product, version = ?service.version, "port fingerprinted");
    (service, facts)
}

/// Asks UDP 137 for the host's NetBIOS names.
async fn netbios_query<C: Connector>(
    connector: &C,
    ip: IpAddr,
    options: &FingerprintOptions,
) -> Option<(Service, netbios::NodeStatus)> {
    let id = 0x4441;
    let reply = connector
        .exchange_udp(
            SocketAddr::new(ip, 137),
            &netbios::node_status_request(id),
            options.snmp_timeout,
            netbios::MAX_DATAGRAM,
        )
        .await
        .ok()??;
    let status = netbios::parse_node_status(&reply, id)?;
    let mut evidence = vec![format!("netbios node status: {}", status.names.join(" "))];
    let samba = status.unit_id == [0; 6];
    if samba {
        evidence.push("netbios unit id 00:00:00:00:00:00 (Samba reports no MAC)".to_owned());
    }
    let service = Service {
        port: 137,
        protocol: Protocol::Udp,
        name: "netbios-ns".to_owned(),
        product: Some(
            if samba {
                "Samba nmbd"
            } else {
                "Microsoft Windows netbios-ns"
            }
            .to_owned(),
        ),
        version: None,
        evidence,
    };
    Some((service, status))
}

/// Tries each configured community; the first valid answer wins.
async fn snmp_query<C: Connector>(
    connector: &C,
    ip: IpAddr,
    options: &FingerprintOptions,
) -> Option<(Service, snmp::SnmpInfo)> {
    let addr = SocketAddr::new(ip, 161);
    for (i, community) in options.snmp_communities.iter().enumerate() {
        let request_id = 0x4441_0000 + i32::try_from(i).unwrap_or(0);
        let request = snmp::get_request(community, request_id);
        let Ok(Some(reply)) = connector
            .exchange_udp(addr, &request, options.snmp_timeout, snmp::MAX_DATAGRAM)
            .await
        else {
            continue;
        };
        let Ok(mut info) = snmp::parse_response(&reply, request_id) else {
            continue;
        };
        let product = info.sys_object_id.as_deref().and_then(snmp_agent_product);
        if product.as_deref() == Some("Net-SNMP") {
            let id = request_id + 0x100;
            let ask = snmp::get_request_for(community, id, &[snmp::NET_SNMP_VERSION_OID]);
            if let Ok(Some(reply)) = connector
                .exchange_udp(addr, &ask, options.snmp_timeout, snmp::MAX_DATAGRAM)
                .await
                && let Ok(v) = snmp::parse_response(&reply, id)
            {
                info.agent_version = v.agent_version;
            }
        }
        // A well-known default community is named (that it answers is the finding); any other
        // community stays anonymous, as it is a password.
        let answered = if DEFAULT_SNMP_COMMUNITIES.contains(&community.as_str()) {
            format!("snmp v2c answered the default community `{community}`")
        } else {
            format!("snmp v2c answered community #{}", i + 1)
        };
        let mut evidence = vec![answered];
        if let Some(d) = &info.sys_descr {
            evidence.push(format!("snmp sysDescr: {}", quote(d.as_bytes(), 160)));
        }
        if let Some(o) = &info.sys_object_id {
            evidence.push(format!("snmp sysObjectID: {o}"));
        }
        if let Some(n) = &info.sys_name {
            evidence.push(format!("snmp sysName: {}", quote(n.as_bytes(), 64)));
        }
        if let Some(v) = &info.agent_version {
            evidence.push(format!(
                "snmp agent versionTag: {}",
                quote(v.as_bytes(), 32)
            ));
        }
        let service = Service {
            port: 161,
            protocol: Protocol::Udp,
            name: "snmp".to_owned(),
            product,
            version: info.agent_version.clone(),
            evidence,
        };
        return Some((service, info));
    }
    None
}

/// The agent software named by a sysObjectID: Net-SNMP and Windows' own agent by their
/// enterprise arc, any other by the maker the OS tables give the enterprise number.
fn snmp_agent_product(oid: &str) -> Option<String> {
    let enterprise = oid.strip_prefix("1.3.6.1.4.1.")?.split('.').next()?;
    match enterprise {
        "8072" => Some("Net-SNMP".to_owned()),
        "311" => Some("Microsoft Windows SNMP agent".to_owned()),
        _ => OsTables::in_use()
            .snmp_vendor(oid)
            .map(|v| format!("{v} SNMP agent")),
    }
}

#[cfg(test)]
mod tests;
