//! libFuzzer entry of `daicho_fuzz::dicom`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| daicho_fuzz::dicom(data));
