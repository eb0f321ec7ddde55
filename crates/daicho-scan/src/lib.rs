//! Host discovery for the daicho agent.

pub mod scope;
