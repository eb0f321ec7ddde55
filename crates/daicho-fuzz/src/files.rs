//! Targets over the files an agent or an operator sends the collector: a scan report (JSON,
//! maybe gzip) and a ledger file (XLSX, XLS or CSV in UTF-8 or CP932).

use std::hint::black_box;

use daicho_model::ScanReport;
use daicho_model::bounds::bound_strings;

/// The inflate limit of the report target: small, so that a bomb is refused fast.
const REPORT_INFLATE_LIMIT: usize = 1 << 20;

/// A report body as the collector reads it: gzip undone (bounded) when it starts with the gzip
/// magic, then the JSON parsed and validated, then bounded. Invariants: bounding twice cuts
/// nothing more, and a parsed report written back parses to the same report.
pub fn report(data: &[u8]) {
    let inflated;
    let json = if data.starts_with(&[0x1f, 0x8b]) {
        match daicho_model::gzip::inflate_bounded(data, REPORT_INFLATE_LIMIT) {
            Ok(bytes) => {
                inflated = bytes;
                &inflated[..]
            }
            Err(_) => return,
        }
    } else {
        data
    };
    let Ok(mut parsed) = ScanReport::from_json(json) else {
        return;
    };
    black_box(parsed.validate().is_ok());
    black_box(bound_strings(&mut parsed));
    assert!(
        bound_strings(&mut parsed).is_empty(),
        "a bounded report was cut again"
    );
    let written = parsed.to_json_pretty();
    let again = ScanReport::from_json(written.as_bytes()).expect("a written report parses");
    assert_eq!(again, parsed, "a report changed on a write/read round trip");
}

/// A ledger file an operator imports: XLSX/XLS or CSV told by the first bytes, as the import
/// page and `ledger import` read it.
pub fn ledger_import(data: &[u8]) {
    black_box(daicho_ledger_io::import::import_ledger(data).ok());
}
