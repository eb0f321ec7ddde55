//! libFuzzer entry of `daicho_fuzz::tls`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| daicho_fuzz::tls(data));
