//! One bound for every string and list a device or an agent supplies.
//!
//! A report is never refused for an over-long string or list: [`bound_strings`] truncates it and
//! returns one warning per field it cut, which the collector stores in the report's `warnings`.
//! A truncated string keeps its first characters (cut on a character boundary) followed by the
//! marker `…[truncated N chars]`, N being the number of characters removed; the whole, marker
//! included, is at most the bound. A truncated list keeps its first entries.
//!
//! | what | bound |
//! |---|---|
//! | names: host name, vendor, OS name and version, service product and version, agent name, version and machine id, package name, version and arch, process name and user, hotfix id and date, interface name, system-service name, state and start type, the service names of a socket's owner, local OS fields, local host name and machine id, domain or workgroup name, antivirus product name | [`MAX_NAME_CHARS`] (256) characters |
//! | text: OS and service evidence strings, warnings, methods, `discovered_by`, scope targets and exclusions, process executable paths, socket owner names and paths, service descriptions, interface addresses, inventory notes | [`MAX_TEXT_CHARS`] (4,096) characters |
//! | service name (an IANA service name is at most 15) | [`MAX_SERVICE_NAME_CHARS`] (32) characters |
//! | evidence strings per OS guess or per service | [`MAX_EVIDENCE`] (64) |
//! | services per host | [`MAX_SERVICES_PER_HOST`] (512) |
//! | packages, hotfixes, processes, listening sockets, system services per inventory | [`MAX_INVENTORY_ITEMS`] (50,000) each |
//! | interfaces per inventory, addresses per interface, services per socket owner, antivirus products, notes | [`MAX_SMALL_LIST`] (1,024) each |
//! | warnings, methods, `discovered_by` | [`MAX_SMALL_LIST`] (1,024) each |
//! | scope targets, scope exclusions | [`MAX_INVENTORY_ITEMS`] (50,000) each |
//! | switches: sysName, chassis ids, port names and aliases, LLDP port ids and system names | [`MAX_NAME_CHARS`] (256) characters |
//! | switches: sysDescr, the reading's note | [`MAX_TEXT_CHARS`] (4,096) characters |
//! | switches per report, LLDP neighbours per switch | [`MAX_SMALL_LIST`] (1,024) each |
//! | ports and forwarding entries per switch | [`MAX_INVENTORY_ITEMS`] (50,000) each |
//! | warnings added by bounding one report | [`MAX_BOUND_WARNINGS`] (100), then one summary line |
//!
//! `scope.ports` is left whole: the collector parses it for which ports were probed (a cut would
//! change what counts as closed), it is never shown in a spreadsheet cell, and the port range
//! itself bounds it (under 1 MB even listing every port one by one, within the body limit).
//!
//! Every bounded string fits an XLSX cell (at most 32,767 characters), and so do one report's
//! services joined (`name/protocol/port, ` per service: 512 × 44 = 22,528 at most); a host
//! answering on more than 512 ports is a tarpit or a firewall, not 512 services worth listing.
//! A device's open services accumulate over reports whose scopes probe different ports, so
//! joined cells are cut at Excel's limit where they are written (`daicho_ledger_io::xlsx_cell`). The number of hosts in one report is limited by the collector
//! (`[server] max_hosts_per_report`), which refuses a larger report rather than cutting it.

use crate::inventory::LocalInventory;
use crate::report::{Host, ScanReport};
use crate::switches::SwitchReading;

/// Largest name-like string, in characters (a DNS name is at most 253).
pub const MAX_NAME_CHARS: usize = 256;
/// Largest free-text string (evidence, warnings, paths), in characters.
pub const MAX_TEXT_CHARS: usize = 4_096;
/// Most evidence strings kept per OS guess or per service.
pub const MAX_EVIDENCE: usize = 64;
/// Largest service name, in characters.
pub const MAX_SERVICE_NAME_CHARS: usize = 32;
/// Most services kept per host.
pub const MAX_SERVICES_PER_HOST: usize = 512;
/// Most packages, hotfixes, processes, listening sockets or system services kept per inventory.
pub const MAX_INVENTORY_ITEMS: usize = 50_000;
/// Most entries kept in the other lists (warnings, methods, interfaces, addresses, notes, …).
pub const MAX_SMALL_LIST: usize = 1_024;
/// Most warnings [`bound_strings`] returns for one report; the rest are counted in one line.
pub const MAX_BOUND_WARNINGS: usize = 100;

/// Truncates `s` to at most `max` characters, marker included; returns the number of
/// characters removed (0 when it fitted).
pub fn truncate_marked(s: &mut String, max: usize) -> usize {
    let total = s.chars().count();
    if total <= max {
        return 0;
    }
    // The marker's length depends on the count it names; two rounds settle it.
    let mut keep = max;
    for _ in 0..3 {
        let marker = marker(total - keep);
        keep = max.saturating_sub(marker.chars().count());
    }
    let removed = total - keep;
    let cut = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
    s.truncate(cut);
    s.push_str(&marker(removed));
    removed
}

fn marker(removed: usize) -> String {
    format!("…[truncated {removed} chars]")
}

/// Collects the warnings of one bounding pass.
struct Bounder {
    warnings: Vec<String>,
    more: usize,
}

impl Bounder {
    fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_BOUND_WARNINGS {
            self.warnings.push(message);
        } else {
            self.more += 1;
        }
    }

    fn text(&mut self, path: &dyn Fn() -> String, s: &mut String, max: usize) {
        // Counting characters is only needed past the byte length that could fit.
        if s.len() <= max {
            return;
        }
        let removed = truncate_marked(s, max);
        if removed > 0 {
            self.warn(format!(
                "{}: {removed} characters cut, kept at most {max} (limit of the collector)",
                path()
            ));
        }
    }

    fn opt(&mut self, path: &dyn Fn() -> String, s: &mut Option<String>, max: usize) {
        if let Some(s) = s {
            self.text(path, s, max);
        }
    }

    fn list<T>(&mut self, path: &dyn Fn() -> String, v: &mut Vec<T>, max: usize) {
        if v.len() > max {
            let n = v.len();
            v.truncate(max);
            self.warn(format!(
                "{}: {n} entries, only the first {max} kept (limit of the collector)",
                path()
            ));
        }
    }

    fn strings(&mut self, path: &str, v: &mut Vec<String>, list_max: usize, max: usize) {
        self.list(&|| path.to_owned(), v, list_max);
        for (i, s) in v.iter_mut().enumerate() {
            self.text(&|| format!("{path}[{i}]"), s, max);
        }
    }

    fn host(&mut self, p: &str, h: &mut Host) {
        self.opt(&|| format!("{p}.vendor"), &mut h.vendor, MAX_NAME_CHARS);
        self.opt(&|| format!("{p}.hostname"), &mut h.hostname, MAX_NAME_CHARS);
        self.opt(&|| format!("{p}.os.name"), &mut h.os.name, MAX_NAME_CHARS);
        self.opt(
            &|| format!("{p}.os.version"),
            &mut h.os.version,
            MAX_NAME_CHARS,
        );
        self.strings(
            &format!("{p}.os.evidence"),
            &mut h.os.evidence,
            MAX_EVIDENCE,
            MAX_TEXT_CHARS,
        );
        self.list(
            &|| format!("{p}.services"),
            &mut h.services,
            MAX_SERVICES_PER_HOST,
        );
        for (j, s) in h.services.iter_mut().enumerate() {
            let sp = format!("{p}.services[{j}]");
            self.text(
                &|| format!("{sp}.name"),
                &mut s.name,
                MAX_SERVICE_NAME_CHARS,
            );
            self.opt(&|| format!("{sp}.product"), &mut s.product, MAX_NAME_CHARS);
            self.opt(&|| format!("{sp}.version"), &mut s.version, MAX_NAME_CHARS);
            self.strings(
                &format!("{sp}.evidence"),
                &mut s.evidence,
                MAX_EVIDENCE,
                MAX_TEXT_CHARS,
            );
        }
        self.strings(
            &format!("{p}.discovered_by"),
            &mut h.discovered_by,
            MAX_SMALL_LIST,
            MAX_TEXT_CHARS,
        );
        if let Some(local) = &mut h.local {
            self.local(&format!("{p}.local"), local);
        }
    }

    fn switch(&mut self, p: &str, s: &mut SwitchReading) {
        const N: usize = MAX_NAME_CHARS;
        self.opt(&|| format!("{p}.name"), &mut s.name, N);
        self.opt(
            &|| format!("{p}.description"),
            &mut s.description,
            MAX_TEXT_CHARS,
        );
        self.opt(&|| format!("{p}.chassis_id"), &mut s.chassis_id, N);
        self.opt(&|| format!("{p}.note"), &mut s.note, MAX_TEXT_CHARS);
        self.list(&|| format!("{p}.ports"), &mut s.ports, MAX_INVENTORY_ITEMS);
        for (i, x) in s.ports.iter_mut().enumerate() {
            self.text(&|| format!("{p}.ports[{i}].name"), &mut x.name, N);
            self.opt(&|| format!("{p}.ports[{i}].alias"), &mut x.alias, N);
        }
        self.list(
            &|| format!("{p}.forwarding"),
            &mut s.forwarding,
            MAX_INVENTORY_ITEMS,
        );
        self.list(
            &|| format!("{p}.neighbours"),
            &mut s.neighbours,
            MAX_SMALL_LIST,
        );
        for (i, x) in s.neighbours.iter_mut().enumerate() {
            let np = format!("{p}.neighbours[{i}]");
            self.opt(&|| format!("{np}.chassis_id"), &mut x.chassis_id, N);
            self.opt(&|| format!("{np}.port_id"), &mut x.port_id, N);
            self.opt(&|| format!("{np}.system_name"), &mut x.system_name, N);
        }
    }

    fn local(&mut self, p: &str, l: &mut LocalInventory) {
        const N: usize = MAX_NAME_CHARS;
        const T: usize = MAX_TEXT_CHARS;
        self.text(&|| format!("{p}.hostname"), &mut l.hostname, N);
        self.opt(&|| format!("{p}.machine_id"), &mut l.machine_id, N);
        self.opt(&|| format!("{p}.os.id"), &mut l.os.id, N);
        self.opt(&|| format!("{p}.os.name"), &mut l.os.name, N);
        self.opt(&|| format!("{p}.os.version"), &mut l.os.version, N);
        self.opt(&|| format!("{p}.os.build"), &mut l.os.build, N);
        self.opt(
            &|| format!("{p}.os.display_version"),
            &mut l.os.display_version,
            N,
        );
        self.opt(&|| format!("{p}.os.kernel"), &mut l.os.kernel, N);
        self.list(
            &|| format!("{p}.interfaces"),
            &mut l.interfaces,
            MAX_SMALL_LIST,
        );
        for (i, x) in l.interfaces.iter_mut().enumerate() {
            self.text(&|| format!("{p}.interfaces[{i}].name"), &mut x.name, N);
            self.strings(
                &format!("{p}.interfaces[{i}].addresses"),
                &mut x.addresses,
                MAX_SMALL_LIST,
                T,
            );
        }
        self.list(
            &|| format!("{p}.packages"),
            &mut l.packages,
            MAX_INVENTORY_ITEMS,
        );
        for (i, x) in l.packages.iter_mut().enumerate() {
            self.text(&|| format!("{p}.packages[{i}].name"), &mut x.name, N);
            self.text(&|| format!("{p}.packages[{i}].version"), &mut x.version, N);
            self.opt(&|| format!("{p}.packages[{i}].arch"), &mut x.arch, N);
        }
        self.list(
            &|| format!("{p}.hotfixes"),
            &mut l.hotfixes,
            MAX_INVENTORY_ITEMS,
        );
        for (i, x) in l.hotfixes.iter_mut().enumerate() {
            self.text(&|| format!("{p}.hotfixes[{i}].id"), &mut x.id, N);
            self.opt(
                &|| format!("{p}.hotfixes[{i}].installed_on"),
                &mut x.installed_on,
                N,
            );
        }
        self.list(
            &|| format!("{p}.processes"),
            &mut l.processes,
            MAX_INVENTORY_ITEMS,
        );
        for (i, x) in l.processes.iter_mut().enumerate() {
            self.text(&|| format!("{p}.processes[{i}].name"), &mut x.name, N);
            self.opt(&|| format!("{p}.processes[{i}].exe"), &mut x.exe, T);
            self.opt(&|| format!("{p}.processes[{i}].user"), &mut x.user, N);
        }
        self.list(
            &|| format!("{p}.listening"),
            &mut l.listening,
            MAX_INVENTORY_ITEMS,
        );
        for (i, x) in l.listening.iter_mut().enumerate() {
            self.opt(&|| format!("{p}.listening[{i}].process"), &mut x.process, T);
            self.opt(&|| format!("{p}.listening[{i}].exe"), &mut x.exe, T);
            self.strings(
                &format!("{p}.listening[{i}].services"),
                &mut x.services,
                MAX_SMALL_LIST,
                N,
            );
        }
        self.list(
            &|| format!("{p}.system_services"),
            &mut l.system_services,
            MAX_INVENTORY_ITEMS,
        );
        for (i, x) in l.system_services.iter_mut().enumerate() {
            let sp = format!("{p}.system_services[{i}]");
            self.text(&|| format!("{sp}.name"), &mut x.name, N);
            self.text(&|| format!("{sp}.state"), &mut x.state, N);
            self.opt(&|| format!("{sp}.start_type"), &mut x.start_type, N);
            self.opt(&|| format!("{sp}.description"), &mut x.description, T);
        }
        if let Some(m) = &mut l.membership {
            self.opt(&|| format!("{p}.membership.name"), &mut m.name, N);
        }
        self.list(
            &|| format!("{p}.antivirus"),
            &mut l.antivirus,
            MAX_SMALL_LIST,
        );
        for (i, x) in l.antivirus.iter_mut().enumerate() {
            self.text(&|| format!("{p}.antivirus[{i}].name"), &mut x.name, N);
        }
        self.strings(&format!("{p}.notes"), &mut l.notes, MAX_SMALL_LIST, T);
    }
}

/// Applies every bound of this module to `report` in place and returns one warning per field it
/// truncated (at most [`MAX_BOUND_WARNINGS`], then one line counting the rest). The caller
/// decides where the warnings go; the collector appends them to the stored report's `warnings`.
pub fn bound_strings(report: &mut ScanReport) -> Vec<String> {
    let mut b = Bounder {
        warnings: Vec::new(),
        more: 0,
    };
    b.text(
        &|| "agent.name".into(),
        &mut report.agent.name,
        MAX_NAME_CHARS,
    );
    b.text(
        &|| "agent.version".into(),
        &mut report.agent.version,
        MAX_NAME_CHARS,
    );
    b.opt(
        &|| "agent.machine_id".into(),
        &mut report.agent.machine_id,
        MAX_NAME_CHARS,
    );
    b.strings(
        "scope.targets",
        &mut report.scope.targets,
        MAX_INVENTORY_ITEMS,
        MAX_TEXT_CHARS,
    );
    b.strings(
        "scope.exclude",
        &mut report.scope.exclude,
        MAX_INVENTORY_ITEMS,
        MAX_TEXT_CHARS,
    );
    b.strings(
        "methods",
        &mut report.methods,
        MAX_SMALL_LIST,
        MAX_TEXT_CHARS,
    );
    b.strings(
        "warnings",
        &mut report.warnings,
        MAX_SMALL_LIST,
        MAX_TEXT_CHARS,
    );
    for (i, h) in report.hosts.iter_mut().enumerate() {
        b.host(&format!("hosts[{i}]"), h);
    }
    b.list(&|| "data".into(), &mut report.data, MAX_SMALL_LIST);
    for (i, d) in report.data.iter_mut().enumerate() {
        b.text(&|| format!("data[{i}].name"), &mut d.name, MAX_NAME_CHARS);
        b.text(
            &|| format!("data[{i}].source"),
            &mut d.source,
            MAX_TEXT_CHARS,
        );
    }
    if let Some(local) = &mut report.local {
        b.local("local", local);
    }
    b.list(&|| "switches".into(), &mut report.switches, MAX_SMALL_LIST);
    for (i, s) in report.switches.iter_mut().enumerate() {
        b.switch(&format!("switches[{i}]"), s);
    }
    let Bounder { mut warnings, more } = b;
    if more > 0 {
        warnings.push(format!(
            "… and {more} more fields truncated or cut short (limits of the collector)"
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_are_untouched() {
        let mut s = "nas-01".to_owned();
        assert_eq!(truncate_marked(&mut s, 10), 0);
        assert_eq!(s, "nas-01");
    }

    #[test]
    fn a_report_is_bounded_field_by_field_with_one_warning_each() {
        use crate::report::{AgentInfo, OsGuess, Protocol, Scope, Service};
        let service = |port| Service {
            port,
            protocol: Protocol::Tcp,
            name: "x".repeat(40),
            product: None,
            version: None,
            evidence: vec![],
        };
        let mut report = ScanReport::new(
            AgentInfo {
                name: "ward3".into(),
                version: "1".into(),
                machine_id: None,
            },
            Scope::default(),
            chrono::Utc::now(),
        );
        report.hosts.push(Host {
            ip: "198.18.0.1".parse().unwrap(),
            mac: None,
            vendor: Some("v".repeat(300)),
            mac_randomized: false,
            hostname: Some("pc1".into()),
            os: OsGuess::default(),
            services: (1..=600).map(service).collect(),
            rtt_ms: None,
            ttl: None,
            discovered_by: vec![],
            local: None,
        });
        let warnings = bound_strings(&mut report);
        let host = &report.hosts[0];
        assert_eq!(host.services.len(), MAX_SERVICES_PER_HOST);
        assert_eq!(
            host.vendor.as_ref().unwrap().chars().count(),
            MAX_NAME_CHARS
        );
        assert_eq!(host.hostname.as_deref(), Some("pc1"));
        assert!(warnings[0].starts_with("hosts[0].vendor: "), "{warnings:?}");
        assert!(warnings[1].starts_with("hosts[0].services: 600 entries"));
        // One per cut service name up to the cap, then one line counting the rest.
        assert_eq!(warnings.len(), MAX_BOUND_WARNINGS + 1);
        assert!(
            warnings[MAX_BOUND_WARNINGS].contains(&format!(
                "{} more fields",
                MAX_SERVICES_PER_HOST + 2 - MAX_BOUND_WARNINGS
            )),
            "{warnings:?}"
        );
    }

    #[test]
    fn the_windows_fields_of_an_inventory_are_bounded() {
        use crate::inventory::{ListeningSocket, SystemService};
        use crate::report::{AgentInfo, Protocol, Scope};
        let mut report = ScanReport::new(
            AgentInfo {
                name: "pc".into(),
                version: "1".into(),
                machine_id: None,
            },
            Scope::default(),
            chrono::Utc::now(),
        );
        let mut local = LocalInventory::default();
        local.os.display_version = Some("H".repeat(300));
        local.system_services.push(SystemService {
            name: "svc".into(),
            state: "running".into(),
            start_type: Some("a".repeat(300)),
            description: None,
        });
        local.listening.push(ListeningSocket {
            protocol: Protocol::Tcp,
            address: "0.0.0.0".parse().unwrap(),
            port: 3389,
            pid: Some(1),
            process: None,
            exe: None,
            services: (0..2000).map(|i| format!("s{i}")).collect(),
        });
        local.membership = Some(crate::inventory::Membership {
            kind: crate::inventory::MembershipKind::Domain,
            name: Some("D".repeat(300)),
        });
        local.antivirus = (0..1100)
            .map(|i| crate::inventory::AntivirusProduct {
                name: format!("{i}{}", "a".repeat(300)),
                enabled: None,
                up_to_date: None,
                product_state: None,
            })
            .collect();
        report.local = Some(local);
        let warnings = bound_strings(&mut report);
        let local = report.local.as_ref().unwrap();
        assert_eq!(
            local.os.display_version.as_ref().unwrap().chars().count(),
            MAX_NAME_CHARS
        );
        let start = local.system_services[0].start_type.as_ref().unwrap();
        assert_eq!(start.chars().count(), MAX_NAME_CHARS);
        assert_eq!(local.listening[0].services.len(), MAX_SMALL_LIST);
        let domain = local.membership.as_ref().unwrap().name.as_ref().unwrap();
        assert_eq!(domain.chars().count(), MAX_NAME_CHARS);
        assert_eq!(local.antivirus.len(), MAX_SMALL_LIST);
        assert!(
            local
                .antivirus
                .iter()
                .all(|a| a.name.chars().count() == MAX_NAME_CHARS)
        );
        // 3 above, the domain name, the antivirus list, then its names up to the warning cap.
        assert!(warnings.len() > 5, "{warnings:?}");
        assert!(
            warnings.iter().any(|w| w.contains("local.membership.name")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("local.antivirus: 1100 entries")),
            "{warnings:?}"
        );
    }

    #[test]
    fn a_switch_reading_is_bounded_like_every_device_string() {
        use crate::report::{AgentInfo, Scope};
        use crate::switches::{LldpNeighbour, SwitchPort, SwitchReading};
        let mut report = ScanReport::new(
            AgentInfo {
                name: "ward3".into(),
                version: "1".into(),
                machine_id: None,
            },
            Scope::default(),
            chrono::Utc::now(),
        );
        let mut reading = SwitchReading::unread("198.18.0.14".parse().unwrap());
        reading.name = Some("s".repeat(300));
        reading.description = Some("d".repeat(5_000));
        reading.ports.push(SwitchPort {
            index: 1,
            name: "p".repeat(300),
            alias: Some("受付".repeat(200)),
        });
        reading.neighbours = (0..1_100)
            .map(|port| LldpNeighbour {
                port,
                chassis_id: None,
                port_id: None,
                system_name: None,
            })
            .collect();
        report.switches.push(reading);
        let warnings = bound_strings(&mut report);
        let s = &report.switches[0];
        assert_eq!(s.name.as_ref().unwrap().chars().count(), MAX_NAME_CHARS);
        assert_eq!(
            s.description.as_ref().unwrap().chars().count(),
            MAX_TEXT_CHARS
        );
        assert_eq!(s.ports[0].name.chars().count(), MAX_NAME_CHARS);
        assert_eq!(
            s.ports[0].alias.as_ref().unwrap().chars().count(),
            MAX_NAME_CHARS
        );
        assert_eq!(s.neighbours.len(), MAX_SMALL_LIST);
        assert_eq!(warnings.len(), 5, "{warnings:?}");
        assert!(
            warnings[0].starts_with("switches[0].name: "),
            "{warnings:?}"
        );
    }

    #[test]
    fn long_strings_are_cut_on_a_char_boundary_with_a_marker() {
        let mut s = "病".repeat(40_000);
        let removed = truncate_marked(&mut s, MAX_NAME_CHARS);
        assert_eq!(s.chars().count(), MAX_NAME_CHARS);
        assert!(s.ends_with(&format!("…[truncated {removed} chars]")), "{s}");
        assert!(s.starts_with("病病"));
        assert_eq!(
            removed + MAX_NAME_CHARS - marker(removed).chars().count(),
            40_000
        );
    }
}
