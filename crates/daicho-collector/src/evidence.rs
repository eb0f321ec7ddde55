//! The files the collector hands out, shared by the CLI and the API: the ledger export and the
//! checklist evidence.

use daicho_ledger::{Ledger, LedgerError};
use daicho_ledger_io::allowlist::build_allowlist;
use daicho_ledger_io::checklist::{
    ChecklistInput, ChecklistReport, ConnectionRestriction, evaluate_checklist,
};
use daicho_ledger_io::{CsvEncoding, ExportError, ExportMeta, export_csv, export_xlsx};

/// The operator's statement for checklist 2-⑬, which no scan can observe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestrictionStatement {
    /// A MAC restriction is applied on the network devices.
    pub applied: bool,
    /// Where and how.
    pub note: String,
}

/// Decides the checklist from the ledger as it is now. When the restriction is stated as
/// applied, the allowlist taken as applied is the registered devices' (what `allowlist export`
/// writes).
pub fn checklist_report(
    ledger: &Ledger,
    facility: &str,
    restriction: &RestrictionStatement,
) -> Result<ChecklistReport, LedgerError> {
    let devices = ledger.checklist_devices()?;
    let allowlist = if restriction.applied {
        build_allowlist(&ledger.ledger_rows()?, &[])
            .macs()
            .collect()
    } else {
        Vec::new()
    };
    Ok(evaluate_checklist(&ChecklistInput {
        facility: facility.to_owned(),
        checked_at: daicho_ledger_io::export::now_jst(),
        devices,
        restriction: ConnectionRestriction {
            applied: restriction.applied,
            description: restriction.note.clone(),
            allowlist,
        },
    }))
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Writing the file failed (e.g. a character CP932 cannot hold).
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// The ledger export: XLSX when `csv` is `None`, else CSV in that encoding. Returns the bytes
/// and the number of devices.
pub fn export_ledger(
    ledger: &Ledger,
    csv: Option<CsvEncoding>,
    registered_only: bool,
    facility: &str,
) -> Result<(Vec<u8>, usize), EvidenceError> {
    let rows = ledger.export_rows(registered_only)?;
    let meta = ExportMeta {
        generated_at: daicho_ledger_io::export::now_jst(),
        facility: facility.to_owned(),
        generator: format!("daicho-collector {}", env!("CARGO_PKG_VERSION")),
    };
    let bytes = match csv {
        None => export_xlsx(&rows, &meta)?,
        Some(encoding) => export_csv(&rows, &meta, encoding)?,
    };
    Ok((bytes, rows.len()))
}
