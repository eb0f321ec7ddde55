//! daicho-collector library: everything the `daicho-collector` binary does, so that it can be tested.
