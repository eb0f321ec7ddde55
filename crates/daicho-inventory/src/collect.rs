//! Takes the whole local inventory through a [`HostSource`].
//!
//! Both the Unix and the Windows collection are compiled everywhere (they only differ in what
//! they read) and chosen at run time by whether the source offers the Windows API
//! ([`HostSource::windows`]), so the Windows path is unit-tested on fixture data too.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use daicho_model::inventory::{ListeningSocket, LocalOs, Process};
use daicho_model::{LocalInventory, Protocol};

use crate::source::HostSource;
use crate::{dpkg, interfaces, os_release, package_log, rpm, sockets, systemd};

mod windows;
pub use windows::collect_windows;

/// Takes the inventory of the host behind `source`. It never fails as a whole: whatever could
/// not be read is left empty and explained in `notes`.
pub fn collect(source: &dyn HostSource) -> LocalInventory {
    let mut inventory = match source.windows() {
        Some(windows) => collect_windows(source, windows),
        None => collect_unix(source),
    };
    inventory.taken_at = Some(Utc::now());
    inventory.interfaces = interfaces::to_model(source.interfaces());
    inventory
}

/// The Linux (and other Unix) inventory: `/etc`, `/proc`, `/var/lib/dpkg`, rpm and systemctl.
pub fn collect_unix(source: &dyn HostSource) -> LocalInventory {
    let mut notes = Vec::new();
    let text = |p: &str| source.read_text(Path::new(p)).ok();

    let hostname = text("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| source.hostname())
        .unwrap_or_default();
    let machine_id = ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .into_iter()
        .filter_map(text)
        .map(|id| id.trim().to_owned())
        .find(|id| !id.is_empty());
    if machine_id.is_none() {
        notes.push(
            "no machine id: /etc/machine-id and /var/lib/dbus/machine-id are missing or empty"
                .into(),
        );
    }

    let os_fields = text("/etc/os-release")
        .or_else(|| text("/usr/lib/os-release"))
        .map(|t| os_release::parse_os_release(&t))
        .unwrap_or_default();
    let os = LocalOs {
        id: os_fields.get("ID").cloned(),
        name: os_fields
            .get("PRETTY_NAME")
            .or_else(|| os_fields.get("NAME"))
            .cloned(),
        version: os_fields.get("VERSION_ID").cloned(),
        build: os_release::point_release(
            &os_fields,
            text("/etc/debian_version").as_deref(),
            text("/etc/redhat-release").as_deref(),
        ),
        display_version: None,
        kernel: text("/proc/sys/kernel/osrelease")
            .map(|k| k.trim().to_owned())
            .or_else(|| source.kernel()),
    };

    let (packages, last_updated) = packages_and_last_update(source, &mut notes);
    let processes = source.processes();
    let listening = listening_sockets(source, &processes, &mut notes);
    let system_services = running_services(source, &mut notes);

    LocalInventory {
        taken_at: None,
        hostname,
        machine_id,
        os,
        interfaces: Vec::new(),
        packages,
        hotfixes: Vec::new(),
        last_updated,
        processes,
        listening,
        system_services,
        membership: None,
        antivirus: Vec::new(),
        notes,
    }
}

fn packages_and_last_update(
    source: &dyn HostSource,
    notes: &mut Vec<String>,
) -> (Vec<daicho_model::inventory::Package>, Option<DateTime<Utc>>) {
    let dpkg_status = Path::new("/var/lib/dpkg/status");
    if source.exists(dpkg_status) {
        let packages = match source.read_text(dpkg_status) {
            Ok(t) => dpkg::parse_status(&t),
            Err(e) => {
                notes.push(format!(
                    "packages not listed: cannot read {}: {e}",
                    dpkg_status.display()
                ));
                Vec::new()
            }
        };
        let dpkg_logs = read_logs(source, "/var/log", "dpkg.log", notes);
        let apt_logs = read_logs(source, "/var/log/apt", "history.log", notes);
        let last = dpkg_logs
            .iter()
            .filter_map(|t| package_log::last_dpkg_change(t))
            .chain(
                apt_logs
                    .iter()
                    .filter_map(|t| package_log::last_apt_change(t)),
            )
            .max();
        if last.is_none() {
            notes.push("last update unknown: no install or upgrade in /var/log/dpkg.log* or /var/log/apt/history.log*".into());
        }
        return (packages, last);
    }
    match source.run("rpm", &rpm::QUERY_ARGS) {
        Ok(out) if out.success => return rpm::parse_query(&out.stdout),
        Ok(out) => notes.push(format!("rpm -qa failed: {}", out.stderr.trim())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            notes.push(
                "packages not listed: neither dpkg (/var/lib/dpkg/status) nor rpm found".into(),
            );
        }
        Err(e) => notes.push(format!("rpm could not be run: {e}")),
    }
    (Vec::new(), None)
}

/// Reads every file in `dir` whose name starts with `prefix` (rotated `.1`, `.2.gz`, …).
fn read_logs(
    source: &dyn HostSource,
    dir: &str,
    prefix: &str,
    notes: &mut Vec<String>,
) -> Vec<String> {
    let Ok(names) = source.list_dir(Path::new(dir)) else {
        return Vec::new();
    };
    names
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .filter_map(|name| {
            let path = Path::new(dir).join(&name);
            match source
                .read_file(&path)
                .and_then(|b| package_log::decode_log(&name, &b))
            {
                Ok(t) => Some(t),
                Err(e) => {
                    notes.push(format!("skipped {}: {e}", path.display()));
                    None
                }
            }
        })
        .collect()
}

fn listening_sockets(
    source: &dyn HostSource,
    processes: &[Process],
    notes: &mut Vec<String>,
) -> Vec<ListeningSocket> {
    let mut found = Vec::new();
    for (table, protocol) in [
        ("tcp", Protocol::Tcp),
        ("tcp6", Protocol::Tcp),
        ("udp", Protocol::Udp),
        ("udp6", Protocol::Udp),
    ] {
        let path = PathBuf::from("/proc/net").join(table);
        match source.read_text(&path) {
            Ok(t) => found.extend(sockets::parse_proc_net(&t, protocol)),
            // No IPv6 in the kernel means no tcp6/udp6 table: nothing to list there.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => notes.push(format!("cannot read {}: {e}", path.display())),
        }
    }
    let (owners, unreadable) = socket_owners(source);
    let by_pid: HashMap<u32, &Process> = processes.iter().map(|p| (p.pid, p)).collect();
    let mut listening: Vec<ListeningSocket> = found
        .into_iter()
        .map(|s| {
            let pid = owners.get(&s.inode).copied();
            let process = pid.and_then(|p| by_pid.get(&p));
            ListeningSocket {
                protocol: s.protocol,
                address: s.address,
                port: s.port,
                pid,
                process: process.map(|p| p.name.clone()),
                exe: process.and_then(|p| p.exe.clone()),
                services: Vec::new(),
            }
        })
        .collect();
    listening.sort_by_key(|a| (a.protocol, a.port, a.address));
    listening.dedup();
    let orphans = listening.iter().filter(|s| s.pid.is_none()).count();
    if orphans > 0 {
        let why = if unreadable > 0 {
            format!(
                "the file descriptors of {unreadable} processes were not readable (run as root, or with CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE)"
            )
        } else {
            "no visible process holds them (kernel sockets, or processes in another PID namespace)"
                .to_owned()
        };
        notes.push(format!(
            "{orphans} listening sockets without a known owner: {why}"
        ));
    }
    listening
}

/// Maps socket inodes to pids through `/proc/PID/fd/*`; also counts the processes whose fd
/// directory could not be read (another user's, without privilege).
fn socket_owners(source: &dyn HostSource) -> (HashMap<u64, u32>, usize) {
    let Ok(entries) = source.list_dir(Path::new("/proc")) else {
        return (HashMap::new(), 0);
    };
    let mut links = Vec::new();
    let mut unreadable = 0;
    for pid in entries.iter().filter_map(|e| e.parse::<u32>().ok()) {
        let fd_dir = PathBuf::from(format!("/proc/{pid}/fd"));
        let fds = match source.list_dir(&fd_dir) {
            Ok(fds) => fds,
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                unreadable += 1;
                continue;
            }
            // The process exited between the two reads.
            Err(_) => continue,
        };
        for fd in fds {
            match source.read_link(&fd_dir.join(fd)) {
                Ok(target) => links.push((pid, target.to_string_lossy().into_owned())),
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                    unreadable += 1;
                    break;
                }
                Err(_) => {}
            }
        }
    }
    let owners = sockets::inode_owners(links.iter().map(|(p, l)| (*p, l.as_str())));
    (owners, unreadable)
}

fn running_services(
    source: &dyn HostSource,
    notes: &mut Vec<String>,
) -> Vec<daicho_model::inventory::SystemService> {
    if !source.exists(Path::new(systemd::BOOTED_MARKER)) {
        notes.push(format!(
            "system services not listed: systemd is not the running init ({} is absent)",
            systemd::BOOTED_MARKER
        ));
        return Vec::new();
    }
    match source.run("systemctl", &systemd::LIST_ARGS) {
        Ok(out) if out.success => systemd::parse_running_units(&out.stdout),
        Ok(out) => {
            notes.push(format!(
                "systemctl list-units failed: {}",
                out.stderr.trim()
            ));
            Vec::new()
        }
        Err(e) => {
            notes.push(format!("systemctl could not be run: {e}"));
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests;
