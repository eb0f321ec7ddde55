//! The fuzz targets of daicho: every parser that reads what a device or an agent sends.
//!
//! Each target is one function over arbitrary bytes. `fuzz/fuzz_targets/*.rs` (cargo-fuzz,
//! run by `scripts/fuzz.sh`) calls them under libFuzzer; `tests/corpus.rs` replays the corpus
//! the fuzzer kept (`fuzz/corpus/<target>/`) through the same functions in the ordinary tests.
//! A target panics only on a bug: a parser that panics, or a broken invariant stated here.

mod devices;
mod files;
mod lan;

pub use devices::{banners, dicom, smb_ntlm, snmp, tls};
pub use files::{ledger_import, report};
pub use lan::lan_packets;

/// A fuzz target: arbitrary bytes in, a panic only on a bug.
pub type Target = fn(&[u8]);

/// Every target by the name of its `fuzz/fuzz_targets/<name>.rs` and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("banners", banners),
    ("tls", tls),
    ("smb_ntlm", smb_ntlm),
    ("dicom", dicom),
    ("snmp", snmp),
    ("lan_packets", lan_packets),
    ("report", report),
    ("ledger_import", ledger_import),
];
