//! libFuzzer entry of `daicho_fuzz::banners`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| daicho_fuzz::banners(data));
