//! The wire model shared by the daicho agent and collector.
//!
//! Everything that crosses a process boundary lives here: the scan report (the JSON contract that
//! operators script against), the local host inventory, the collector API's request and
//! response bodies, and the device ledger's columns ([`ledger_columns`]) that the ledger and its
//! paper formats share. The layout is versioned by [`SCHEMA_VERSION`]; a reader refuses any other
//! version rather than guessing.

pub mod api;
pub mod bounds;
pub mod display_text;
pub mod error;
pub mod gzip;
pub mod inventory;
pub mod ledger_columns;
pub mod mac;
pub mod remote_maintenance;
pub mod report;
pub mod switches;

pub use error::ModelError;
pub use inventory::LocalInventory;
pub use mac::MacAddr;
pub use report::{
    AgentInfo, DataVersion, Host, OsFamily, OsGuess, Protocol, ScanReport, Scope, Service,
};
pub use switches::{ForwardingEntry, LldpNeighbour, SwitchPort, SwitchReading};

/// The version of the report layout this build writes and reads.
///
/// Bump it on any change that an older reader would misread; additive optional fields do not
/// need a bump because readers ignore fields they do not know.
pub const SCHEMA_VERSION: u32 = 1;
