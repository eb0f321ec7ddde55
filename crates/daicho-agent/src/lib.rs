//! daicho-agent library: everything the `daicho-agent` binary does, so that it can be tested.

pub mod config;
pub mod delivery;
pub mod spool;
