//! libFuzzer entry of `daicho_fuzz::report`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| daicho_fuzz::report(data));
