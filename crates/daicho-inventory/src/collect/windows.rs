//! The Windows inventory through [`WindowsSource`]: the registry for the OS and its patch level
//! and for the installed programs, the Service Control Manager for services, the IP Helper
//! socket tables for listeners, `NetGetJoinInformation` for the domain or workgroup;
//! PowerShell's `Get-HotFix` for updates and `Get-CimInstance` for antivirus products, where
//! PowerShell runs.

use std::collections::HashMap;
use std::io;

use daicho_model::LocalInventory;
use daicho_model::inventory::{AntivirusProduct, ListeningSocket, LocalOs, Package, Process};

use crate::ip_tables::{self, TableKind};
use crate::join;
use crate::registry::{self, WindowsVersion};
use crate::scm::{self, ServiceRecord};
use crate::security_center::{self, AntivirusListing};
use crate::source::HostSource;
use crate::windows;
use crate::windows_source::{Hive, RegKey, RegView, WindowsSource};

/// The Uninstall keys read for programs: per machine in both views, per user.
const UNINSTALL_KEYS: [(Hive, RegView); 3] = [
    (Hive::LocalMachine, RegView::Bits64),
    (Hive::LocalMachine, RegView::Bits32),
    (Hive::CurrentUser, RegView::Bits64),
];

fn machine_key(path: &str) -> RegKey<'_> {
    RegKey {
        hive: Hive::LocalMachine,
        path,
        view: RegView::Bits64,
    }
}

fn key_name(key: RegKey<'_>) -> String {
    let view = match key.view {
        RegView::Bits64 => "",
        RegView::Bits32 => " (32-bit view)",
    };
    format!(r"{}\{}{view}", key.hive.short_name(), key.path)
}

/// The Windows inventory. `host` gives processes, host name, kernel and runs PowerShell;
/// `windows` gives the registry, services and socket tables. Whatever could not be read is
/// explained in `notes`.
pub fn collect_windows(host: &dyn HostSource, windows: &dyn WindowsSource) -> LocalInventory {
    let mut notes = Vec::new();

    let version_key = machine_key(registry::CURRENT_VERSION_PATH);
    let version = match windows.registry_values(version_key) {
        Ok(values) => WindowsVersion::from_values(&values),
        Err(e) => {
            notes.push(format!(
                "Windows version unknown: cannot read {}: {e}",
                key_name(version_key)
            ));
            WindowsVersion::default()
        }
    };
    let machine_id = windows
        .registry_values(machine_key(registry::CRYPTOGRAPHY_PATH))
        .ok()
        .and_then(|v| v.text("MachineGuid"));
    if machine_id.is_none() {
        notes.push(format!(
            r"no machine id: HKLM\{}\MachineGuid is missing",
            registry::CRYPTOGRAPHY_PATH
        ));
    }

    let packages = programs(windows, &mut notes);
    let hotfixes = match host.run(
        "powershell",
        &[
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            windows::HOTFIX_SCRIPT,
        ],
    ) {
        Ok(out) if out.success => windows::parse_hotfixes(&out.stdout),
        Ok(out) => {
            notes.push(format!("Get-HotFix failed: {}", out.stderr.trim()));
            Vec::new()
        }
        Err(e) => {
            notes.push(format!(
                "installed updates not listed: PowerShell could not be run: {e}"
            ));
            Vec::new()
        }
    };
    // The newest hotfix date is when Windows was last patched.
    let last_updated = hotfixes
        .iter()
        .filter_map(|h| h.installed_on.as_deref())
        .filter_map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .max()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());

    let antivirus = antivirus(host, &mut notes);
    let membership = match windows.join_information() {
        Ok((status, name)) => {
            let membership = join::membership(status, &name);
            if membership.is_none() {
                notes.push(format!(
                    "domain or workgroup unknown: NetGetJoinInformation answered status {status}"
                ));
            }
            membership
        }
        Err(e) => {
            notes.push(format!(
                "domain or workgroup unknown: NetGetJoinInformation failed: {e}"
            ));
            None
        }
    };

    let processes = host.processes();
    let records = match windows.services() {
        Ok(records) => records,
        Err(e) => {
            notes.push(format!(
                "services not listed: the Service Control Manager refused: {e}"
            ));
            Vec::new()
        }
    };
    let listening = listening(windows, &processes, &records, &mut notes);
    let system_services = scm::to_model(&records);

    LocalInventory {
        taken_at: None,
        hostname: host.hostname().unwrap_or_default(),
        machine_id,
        os: LocalOs {
            id: Some("windows".into()),
            name: version.product,
            version: version.version,
            build: version.build,
            display_version: version.display_version,
            kernel: host.kernel(),
        },
        interfaces: Vec::new(),
        packages,
        hotfixes,
        last_updated,
        processes,
        listening,
        system_services,
        membership,
        antivirus,
        notes,
    }
}

/// The antivirus products Security Center lists, through PowerShell; what could not be
/// listed, and why, goes to `notes`.
fn antivirus(host: &dyn HostSource, notes: &mut Vec<String>) -> Vec<AntivirusProduct> {
    let output = host.run(
        "powershell",
        &[
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            security_center::ANTIVIRUS_SCRIPT,
        ],
    );
    match output {
        Ok(out) => match security_center::parse_antivirus(&out.stdout) {
            AntivirusListing::Products(products) => products,
            AntivirusListing::NoSecurityCenter(message) => {
                notes.push(format!(
                    "antivirus not listed: Windows Security Center (root/SecurityCenter2) is not available, as on Windows Server: {message}"
                ));
                Vec::new()
            }
            AntivirusListing::Unrecognised => {
                notes.push(format!(
                    "antivirus not listed: PowerShell gave no Security Center answer{}",
                    Some(out.stderr.trim())
                        .filter(|e| !e.is_empty())
                        .map_or_else(String::new, |e| format!(": {e}"))
                ));
                Vec::new()
            }
        },
        Err(e) => {
            notes.push(format!(
                "antivirus not listed: PowerShell could not be run: {e}"
            ));
            Vec::new()
        }
    }
}

/// Installed programs from every Uninstall key, sorted, duplicates (the same program listed
/// per machine and per user) once.
fn programs(windows: &dyn WindowsSource, notes: &mut Vec<String>) -> Vec<Package> {
    let mut packages = Vec::new();
    for (hive, view) in UNINSTALL_KEYS {
        let key = RegKey {
            hive,
            path: registry::UNINSTALL_PATH,
            view,
        };
        let subkeys = match windows.registry_subkeys(key) {
            Ok(s) => s,
            // No per-user programs, or a 32-bit Windows without a 32-bit view of its own.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                notes.push(format!("cannot read {}: {e}", key_name(key)));
                continue;
            }
        };
        for sub in subkeys {
            let path = format!(r"{}\{sub}", registry::UNINSTALL_PATH);
            let entry = RegKey {
                hive,
                path: &path,
                view,
            };
            match windows.registry_values(entry) {
                Ok(values) => packages.extend(registry::program_from_values(&values)),
                Err(e) => notes.push(format!("cannot read {}: {e}", key_name(entry))),
            }
        }
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then(a.version.cmp(&b.version)));
    packages.dedup();
    packages
}

/// Listening TCP and UDP sockets, IPv4 and IPv6, with their owning process and the services
/// running in it.
fn listening(
    windows: &dyn WindowsSource,
    processes: &[Process],
    services: &[ServiceRecord],
    notes: &mut Vec<String>,
) -> Vec<ListeningSocket> {
    let by_pid: HashMap<u32, &Process> = processes.iter().map(|p| (p.pid, p)).collect();
    let services_by_pid = scm::services_by_pid(services);
    let mut listening = Vec::new();
    for kind in [
        TableKind::Tcp4,
        TableKind::Tcp6,
        TableKind::Udp4,
        TableKind::Udp6,
    ] {
        let sockets = windows
            .socket_table(kind)
            .map_err(|e| e.to_string())
            .and_then(|buf| ip_tables::parse_table(kind, &buf).map_err(|e| e.to_string()));
        match sockets {
            Ok(sockets) => listening.extend(sockets.into_iter().map(|s| {
                // Windows gives every listener its owner; 0 (the idle process) means the table
                // carried none (Wine fills none in).
                let pid = Some(s.pid).filter(|p| *p != 0);
                let process = pid.and_then(|p| by_pid.get(&p));
                ListeningSocket {
                    protocol: s.protocol,
                    address: s.address,
                    port: s.port,
                    pid,
                    process: process.map(|p| p.name.clone()),
                    exe: process.and_then(|p| p.exe.clone()),
                    services: pid
                        .and_then(|p| services_by_pid.get(&p).cloned())
                        .unwrap_or_default(),
                }
            })),
            Err(e) => notes.push(format!("the {kind:?} socket table was not read: {e}")),
        }
    }
    listening.sort_by_key(|a| (a.protocol, a.port, a.address));
    listening.dedup();
    let orphans = listening.iter().filter(|s| s.pid.is_none()).count();
    if orphans > 0 {
        notes.push(format!(
            "{orphans} listening sockets without a known owner: the socket table named no process"
        ));
    }
    listening
}
