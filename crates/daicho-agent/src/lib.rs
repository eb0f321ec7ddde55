//! daicho-agent library: everything the `daicho-agent` binary does, so that it can be tested.

pub mod cli;
