//! libFuzzer entry of `daicho_fuzz::lan_packets`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| daicho_fuzz::lan_packets(data));
