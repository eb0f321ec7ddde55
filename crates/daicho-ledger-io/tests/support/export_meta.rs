//! The export metadata the tests write: generated 2026-11-21 09:30 +09:00 by `daicho test`.

use chrono::{FixedOffset, TimeZone as _};
use daicho_ledger_io::ExportMeta;

/// The metadata of an export for `facility`, generated 2026-11-21 09:30 JST by `daicho test`.
pub fn export_meta(facility: &str) -> ExportMeta {
    ExportMeta {
        generated_at: FixedOffset::east_opt(9 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 21, 9, 30, 0)
            .unwrap(),
        facility: facility.into(),
        generator: "daicho test".into(),
    }
}
