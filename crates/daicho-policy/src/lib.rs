//! The checklist flags.
//!
//! Given what the ledger knows about one device ([`DeviceFacts`]), the operator's policy
//! ([`Policy`], from `config/policy.toml`) and the exception register ([`Exception`]),
//! [`evaluate`] says which flags the device carries and why: end-of-life or unpatched OS
//! (checklist 2-⑥; for a Windows PC with an agent also its update revision against the monthly
//! security updates), known-exploited firmware, unneeded services and software (2-⑫: seen on the
//! network, or installed and running on a host with an agent), unregistered or missing
//! devices and randomised MACs (2-①, 2-⑬). It is pure: no I/O, no clock — the caller passes
//! `now` — so the collector can recompute flags on every merge and tests can pin the date.

mod evaluate;
pub mod facts;
mod local_software;
pub mod os_lifecycle;
mod os_revision;
pub mod policy;
pub mod remote_paths;

pub use evaluate::{Flag, FlagKind, evaluate};
pub use facts::{DeviceFacts, Exception};
pub use policy::{
    Policy, PolicyError, RemoteAccess, RemoteAccessSettings, RiskyRule, Role, Settings,
};
pub use remote_paths::{RemotePath, RemotePathKind, remote_paths};
