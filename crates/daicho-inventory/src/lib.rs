//! Local host inventory for the daicho agent.
//!
//! [`collect`] takes stock of the host the agent runs on: OS and patch level, kernel, hostname,
//! machine id, interfaces, installed packages, the last package update, running processes,
//! listening sockets with their owning process, and running system services. Every raw read
//! goes through [`HostSource`], so the whole pipeline is unit-tested on fixture text; the
//! parsers themselves are pure functions in their modules.

pub mod collect;
pub mod dpkg;
pub mod interfaces;
pub mod os_release;
pub mod package_log;
pub mod rpm;
pub mod sockets;
pub mod source;
pub mod systemd;
pub mod windows;

pub use collect::collect;
pub use source::{CommandOutput, HostSource, LiveHost};
