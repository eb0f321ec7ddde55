//! The local inventory an agent takes of its own host: the evidence behind checklist items
//! 2-⑥ (patches) and 2-⑫ (unneeded services) for hosts that run the agent.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{MacAddr, Protocol};

/// Everything the agent knows about the host it runs on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LocalInventory {
    /// When the inventory was taken.
    pub taken_at: Option<DateTime<Utc>>,
    /// Host name as the kernel knows it.
    pub hostname: String,
    /// A stable id for this machine (e.g. `/etc/machine-id`, Windows MachineGuid).
    pub machine_id: Option<String>,
    /// The operating system.
    pub os: LocalOs,
    /// Network interfaces with their addresses.
    #[serde(default)]
    pub interfaces: Vec<Interface>,
    /// Installed packages (dpkg, rpm, Windows programs).
    #[serde(default)]
    pub packages: Vec<Package>,
    /// Installed Windows hotfixes (KB numbers); empty elsewhere.
    #[serde(default)]
    pub hotfixes: Vec<Hotfix>,
    /// When packages were last installed or upgraded, from the package manager's log.
    pub last_updated: Option<DateTime<Utc>>,
    /// Running processes.
    #[serde(default)]
    pub processes: Vec<Process>,
    /// Listening sockets and the process that owns each.
    #[serde(default)]
    pub listening: Vec<ListeningSocket>,
    /// System services: the running systemd units on Linux; every Windows service, running or
    /// not, with its state and start type.
    #[serde(default)]
    pub system_services: Vec<SystemService>,
    /// The Windows domain or workgroup the host belongs to (`NetGetJoinInformation`); `None`
    /// elsewhere or when Windows did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<Membership>,
    /// The antivirus products Windows Security Center reports (`root/SecurityCenter2`
    /// `AntiVirusProduct`); empty elsewhere, and on Windows Server, which has no Security
    /// Center (`notes` says so).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub antivirus: Vec<AntivirusProduct>,
    /// What the inventory could not see and why (no systemd, no permission to read another
    /// user's sockets, …), so an empty list is never mistaken for "nothing there".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Operating-system identity and patch level.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LocalOs {
    /// Distribution or product id, e.g. `debian`, `ubuntu`, `windows`.
    pub id: Option<String>,
    /// Human-readable name, e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub name: Option<String>,
    /// Version, e.g. `12`, `22.04`, `10.0.19045`.
    pub version: Option<String>,
    /// Build or point release, e.g. Debian's `12.7`, Windows build + UBR `19045.4894`.
    pub build: Option<String>,
    /// The feature release Windows shows as its version, e.g. `22H2` (`DisplayVersion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_version: Option<String>,
    /// Kernel release.
    pub kernel: Option<String>,
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    /// Interface name.
    pub name: String,
    /// Hardware address, if any.
    pub mac: Option<MacAddr>,
    /// Addresses with prefix length, e.g. `10.0.0.5/24`.
    #[serde(default)]
    pub addresses: Vec<String>,
}

/// An installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Package name.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Architecture, when the package manager records one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
}

/// What a Windows PC is joined to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// Domain, workgroup, or neither.
    pub kind: MembershipKind,
    /// The domain's or workgroup's name (NetBIOS form, e.g. `HOSPITAL`, `WORKGROUP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The kind of [`Membership`] (`NETSETUP_JOIN_STATUS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipKind {
    /// Joined to an Active Directory (or NT) domain.
    Domain,
    /// In a workgroup (stand-alone).
    Workgroup,
    /// Neither joined nor in a workgroup.
    Unjoined,
}

/// An antivirus product as Windows Security Center lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AntivirusProduct {
    /// Its display name, e.g. `Windows Defender`.
    pub name: String,
    /// Whether real-time protection is on, from `productState`; `None` when not decodable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Whether its signatures are up to date, from `productState`; `None` when not decodable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to_date: Option<bool>,
    /// `productState` as Windows gives it (a bit field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_state: Option<u32>,
}

/// An installed Windows update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hotfix {
    /// The KB identifier, e.g. `KB5044273`.
    pub id: String,
    /// When it was installed.
    pub installed_on: Option<String>,
}

/// A running process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// Process id.
    pub pid: u32,
    /// Process name.
    pub name: String,
    /// Executable path, when readable.
    pub exe: Option<String>,
    /// Owning user, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// A listening socket and its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListeningSocket {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// Local address it is bound to.
    pub address: IpAddr,
    /// Local port.
    pub port: u16,
    /// Owning process id, when it could be found.
    pub pid: Option<u32>,
    /// Owning process name.
    pub process: Option<String>,
    /// Owning process executable.
    pub exe: Option<String>,
    /// The Windows services running in the owning process (one `svchost.exe` hosts several),
    /// by service name; empty elsewhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

/// A system service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemService {
    /// Unit or service name, e.g. `ssh.service`.
    pub name: String,
    /// Its state, e.g. `running`, `stopped`.
    pub state: String,
    /// How it starts, where the OS says: Windows' `auto`, `delayed-auto`, `demand`, `disabled`,
    /// `boot`, `system`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_type: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
