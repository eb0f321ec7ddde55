//! libFuzzer entry of `daicho_fuzz::smb_ntlm`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| daicho_fuzz::smb_ntlm(data));
