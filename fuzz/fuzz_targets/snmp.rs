//! libFuzzer entry of `daicho_fuzz::snmp`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| daicho_fuzz::snmp(data));
