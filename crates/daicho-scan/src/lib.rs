//! Host discovery for the daicho agent: find every live host in an explicit scope, with its
//! MAC, IEEE vendor, name, round-trip time and TTL, without ever touching what is out of scope.
//!
//! Entry point: [`scan`] with a [`ScanConfig`] returns a [`ScanOutcome`] whose `report` is the
//! `daicho_model::ScanReport` contract. It blocks; async callers use `spawn_blocking`.
//!
//! Layout:
//! - [`scope`]: targets and exclusions (CIDR, address, `A-B`), the size guard;
//! - [`gate`]: the single exit for every packet: scope check and global/per-host pacing;
//! - [`link`] + [`sweep`] + `frames`: the ARP sweep over a raw-frame trait ([`link::LinkIo`]);
//! - [`probe`]: ICMP echo and TCP connect for routed or unprivileged scans;
//! - [`syn`]: the half-open port sweep (raw SYN, paced across hosts) over [`syn::SynIo`];
//!
//! Raw frames and packets (pnet: the ARP sweep's link, ICMP echo, raw SYN) are Unix only; on
//! Windows, discovery uses what the OS offers without a packet driver: its ARP (`SendARP`), its
//! ICMP echo (`IcmpSendEcho`) and TCP connect.
//!
//! - `rtt`: the reply window from measured round trips (RFC 6298), shared by `sweep` and `syn`;
//! - [`neighbours`]: the kernel's ARP table for the unprivileged fallback;
//! - [`resolve`]: on-link discovery by the OS's own ARP (Windows: `SendARP` in `windows_arp`);
//! - [`names`]: reverse DNS, NetBIOS and mDNS names;
//! - [`discover`]: the scan itself, from configuration to report.

pub mod clock;
pub mod discover;
#[cfg(unix)]
pub mod frames;
pub mod gate;
pub mod link;
pub mod names;
pub mod neighbours;
mod nonblocking;
pub mod probe;
pub mod resolve;
mod rtt;
pub mod scope;
pub mod sweep;
pub mod syn;
#[cfg(all(test, unix))]
mod testing;
#[cfg(windows)]
pub mod windows_arp;
#[cfg(windows)]
pub mod windows_icmp;

pub use discover::{Method, Progress, ScanConfig, ScanError, ScanOutcome, local_agent_info, scan};
pub use gate::{DEFAULT_PER_HOST_PPS, DEFAULT_RATE_PPS, RateLimits};
pub use scope::{DEFAULT_MAX_HOSTS, Scope, ScopeError};
