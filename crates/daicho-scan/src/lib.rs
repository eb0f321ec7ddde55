//! Host discovery for the daicho agent.

pub mod clock;
pub mod frames;
pub mod gate;
pub mod link;
pub mod scope;
pub mod sweep;
#[cfg(test)]
mod testing;
pub mod probe;
pub mod names;
