//! libFuzzer entry of `daicho_fuzz::ledger_import`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| daicho_fuzz::ledger_import(data));
