//! The daicho device ledger: one row per real device, merged from every agent's scan reports.
//!
//! The ledger lives in one SQLite database (WAL mode, versioned migrations). [`Ledger`] is the
//! only entry point: [`Ledger::ingest`] merges a [`daicho_model::ScanReport`] in one
//! transaction, the query methods read devices, history and events, the operator methods set the
//! ledger fields and merge or split devices by hand, and the token methods manage the agents'
//! bearer tokens. The console's accounts ([`accounts`], with the login lockout rule), the audit
//! log of operator decisions ([`audit`]) and the collector's stored settings ([`settings`]) live
//! in the same database. Every method is blocking; callers on an async runtime wrap them in
//! `spawn_blocking`.
//!
//! How a host in a report is matched to a device is described in [`identity`].

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod backup;
pub mod db;
pub mod error;
pub mod events;
pub mod exceptions;
pub mod flags;
pub mod identity;
mod ingest;
pub mod ledger_rows;
pub mod migrate;
pub mod network_facts;
pub mod operator;
pub mod overview;
pub mod ports;
mod presence;
pub mod query;
pub mod registration;
pub mod remote_maintenance;
pub mod restrictions;
mod schema;
pub mod sessions;
pub mod settings;
pub mod sites;
mod store;
pub mod switch_ports;
pub mod time;
pub mod tokens;
pub mod triage;
mod vendors;

pub use error::LedgerError;

/// The schema version a database has once this build opened it.
pub const SCHEMA_VERSION: i64 = schema::LATEST;

/// A count as SQLite's integer (counts here never come near `i64::MAX`).
pub(crate) fn sql_count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
pub use accounts::{AccountInfo, AccountRole, LoginOutcome};
pub use audit::{AuditEntry, AuditFilter, NewAudit};
pub use backup::{BackupOutcome, RestoreOutcome, restore_database};
pub use ingest::IngestOutcome;
pub use ledger_rows::{
    ChecklistEntry, ImportApplied, ImportPlan, RowAction, RowDecision, RowMatch, UncoveredDevice,
};
pub use operator::{LedgerFieldsPatch, MergeOutcome, SplitOutcome};
pub use query::{
    DeviceDetail, DeviceFilter, DevicePage, DeviceSummary, EventFilter, EventRecord, LedgerFields,
};
pub use sites::{Site, SiteId, SiteScope};
pub use store::{Ledger, LedgerOptions, Storage, WriteCheck};
pub use switch_ports::DevicePort;
pub use tokens::{Role, TokenInfo};
