//! Local host inventory for the daicho agent.
//!
//! [`collect`] takes stock of the host the agent runs on: OS and patch level, kernel, hostname,
//! machine id, interfaces, installed packages, the last package update, running processes,
//! listening sockets with their owning process, and system services. Every raw read goes
//! through [`HostSource`] (and on Windows [`WindowsSource`], the Windows API), so the whole
//! pipeline is unit-tested on fixture data; the parsers themselves are pure functions in their
//! modules.
//!
//! Windows: `registry` (the `REG_*` value formats, CurrentVersion, Uninstall entries), `scm`
//! (service records), `ip_tables` (the `MIB_*_OWNER_PID` socket tables) decode what
//! `windows_live` fetches through `windows-sys`; `join` the domain or workgroup; `windows`
//! parses what `reg`, `sc` and `Get-HotFix` print, `security_center` what `Get-CimInstance`
//! says of antivirus products.

pub mod collect;
pub mod dpkg;
pub mod interfaces;
pub mod ip_tables;
pub mod join;
pub mod os_release;
pub mod package_log;
pub mod registry;
pub mod rpm;
pub mod scm;
pub mod security_center;
pub mod sockets;
pub mod source;
pub mod systemd;
pub mod windows;
#[cfg(windows)]
pub mod windows_live;
pub mod windows_source;

pub use collect::collect;
pub use source::{CommandOutput, HostSource, LiveHost};
pub use windows_source::WindowsSource;
