//! The raw reads the inventory needs, behind a trait so that tests can serve fixture text.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use daicho_model::inventory::Process;

use crate::windows_source::WindowsSource;

/// What a finished command printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// True when the command exited with status 0.
    pub success: bool,
    /// Its standard output, lossily decoded.
    pub stdout: String,
    /// Its standard error, lossily decoded.
    pub stderr: String,
}

/// Addresses of one network interface as the OS reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceAddresses {
    /// Interface name.
    pub name: String,
    /// Hardware address as text, when the OS reports one.
    pub mac: Option<String>,
    /// Addresses with prefix length, e.g. `10.0.0.5/24`.
    pub addresses: Vec<String>,
}

/// Every read the inventory makes of the host.
pub trait HostSource {
    /// Reads a whole file.
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Lists the entry names of a directory (not sorted).
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>>;
    /// Reads a symbolic link's target.
    fn read_link(&self, path: &Path) -> io::Result<PathBuf>;
    /// True when the path exists.
    fn exists(&self, path: &Path) -> bool;
    /// Runs a program with arguments and waits for it.
    fn run(&self, program: &str, args: &[&str]) -> io::Result<CommandOutput>;
    /// The running processes.
    fn processes(&self) -> Vec<Process>;
    /// The network interfaces with their addresses.
    fn interfaces(&self) -> Vec<InterfaceAddresses>;
    /// The host name.
    fn hostname(&self) -> Option<String>;
    /// The kernel release.
    fn kernel(&self) -> Option<String>;

    /// The Windows API, on Windows; `None` elsewhere, which selects the Unix inventory.
    fn windows(&self) -> Option<&dyn WindowsSource> {
        None
    }

    /// Reads a file as text (lossy), the common case.
    fn read_text(&self, path: &Path) -> io::Result<String> {
        self.read_file(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

/// The real host, read through the file system, sysinfo and child processes; on Windows, its
/// processes and interfaces through the Windows API (Tool Help, `GetAdaptersAddresses`), and
/// the rest of the inventory through [`crate::windows_live::LiveWindows`].
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveHost;

impl HostSource for LiveHost {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        std::fs::read_dir(path)?
            .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect()
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::read_link(path)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn run(&self, program: &str, args: &[&str]) -> io::Result<CommandOutput> {
        let output = Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()?;
        Ok(CommandOutput {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    #[cfg(windows)]
    fn windows(&self) -> Option<&dyn WindowsSource> {
        Some(&crate::windows_live::LiveWindows)
    }

    #[cfg(windows)]
    fn processes(&self) -> Vec<Process> {
        crate::windows_live::processes().unwrap_or_default()
    }

    #[cfg(windows)]
    fn interfaces(&self) -> Vec<InterfaceAddresses> {
        crate::windows_live::interfaces().unwrap_or_default()
    }

    #[cfg(not(windows))]
    fn processes(&self) -> Vec<Process> {
        use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind, Users};
        let Ok(mut system) = System::new() else {
            return Vec::new();
        };
        system.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing()
                .with_exe(UpdateKind::OnlyIfNotSet)
                .with_user(UpdateKind::OnlyIfNotSet),
        );
        let users = Users::new_with_refreshed_list().ok();
        let mut processes: Vec<Process> = system
            .processes()
            .iter()
            // sysinfo lists threads as processes on Linux; a thread shares its leader's pid.
            .filter(|(_, p)| p.thread_kind().is_none())
            .map(|(pid, p)| Process {
                pid: pid.as_u32(),
                name: p.name().to_string_lossy().into_owned(),
                exe: p.exe().map(|e| e.display().to_string()),
                user: p.user_id().and_then(|uid| {
                    users
                        .as_ref()
                        .and_then(|u| u.get_user_by_id(uid))
                        .map(|u| u.name().to_owned())
                }),
            })
            .collect();
        processes.sort_by_key(|p| p.pid);
        processes
    }

    #[cfg(not(windows))]
    fn interfaces(&self) -> Vec<InterfaceAddresses> {
        let Ok(networks) = sysinfo::Networks::new_with_refreshed_list() else {
            return Vec::new();
        };
        networks
            .iter()
            .map(|(name, data)| InterfaceAddresses {
                name: name.to_string_lossy().into_owned(),
                mac: Some(data.mac_address().to_string()),
                addresses: data
                    .ip_networks()
                    .iter()
                    .map(|n| format!("{}/{}", n.addr, n.prefix))
                    .collect(),
            })
            .collect()
    }

    fn hostname(&self) -> Option<String> {
        sysinfo::System::host_name().ok()
    }

    fn kernel(&self) -> Option<String> {
        sysinfo::System::kernel_version().ok()
    }
}
