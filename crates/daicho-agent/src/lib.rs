//! daicho-agent library: everything the `daicho-agent` binary does, so that it can be tested.

pub mod bundle;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod logging;
pub mod paths;
pub mod runner;
pub mod scan_step;
pub mod scanner;
pub mod schedule;
pub mod service;
pub mod spool;
