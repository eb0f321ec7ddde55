//! daicho-collector library: everything the `daicho-collector` binary does, so that it can be
//! tested — the configuration, the HTTP API, TLS, metrics and the command line.
//!
//! The ledger itself (storage, identity matching, history) is the `daicho-ledger` crate; to
//! drive an ingest from a test without HTTP, call `daicho_ledger::Ledger::ingest`.

pub mod alert_worker;
pub mod alerts;
pub mod backup;
pub mod bundles;
pub mod cli;
pub mod config;
pub mod decisions;
pub mod evidence;
pub mod metrics;
pub mod network_map;
pub mod paper_rows;
pub mod remote_register;
pub mod saved_views;
pub mod server;
pub mod site_access;
pub mod tls;

pub use config::Config;
pub use server::{AppState, Limits, Server, router};
