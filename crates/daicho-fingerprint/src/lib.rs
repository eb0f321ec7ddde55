//! Service, version and OS identification for daicho.
//!
//! - [`ports`]: the default hospital port lists and the `--ports` parser.
//! - [`probe`]: protocol probes (SSH, HTTP, TLS, SMB/NTLM, RDP, DICOM, SNMP, databases, …), each
//!   generic over an async stream and bounded in bytes and time.
//! - [`rules`]: the data-driven service table (`data/service-rules.toml`).
//! - [`host`]: [`fingerprint_host`], which connects to a host's ports through a [`Connector`]
//!   and runs the right probes with bounded concurrency and the medical safe mode.
//! - [`switches`]: reading managed switches' ports, forwarding tables and LLDP neighbours.
//! - [`os`]: OS inference over what the probes observed, every conclusion with its evidence.

pub mod connect;
pub mod host;
pub mod os;
pub mod ports;
pub mod probe;
pub mod rules;
pub mod switches;
pub mod wire;

pub use connect::{Connector, TcpConnector};
pub use host::{FingerprintOptions, HostFingerprint, HostInput, fingerprint_host};
pub use os::{Observations, infer_os};
pub use ports::{PortSpec, PortSpecError};
pub use wire::Limits;
