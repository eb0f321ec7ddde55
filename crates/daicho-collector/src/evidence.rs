//! The files the collector hands out, shared by the CLI and the API: the ledger export, the
//! checklist evidence, and the record of the allowlists applied on network devices.

use chrono::{DateTime, NaiveDate, Utc};
use daicho_ledger::restrictions::{NewRestriction, RestrictionRecord};
use daicho_ledger::{Ledger, LedgerError};
use daicho_ledger_io::allowlist::build_allowlist;
use daicho_ledger_io::checklist::{
    ChecklistInput, ChecklistReport, ConnectionRestriction, evaluate_checklist,
};
use daicho_ledger_io::{CsvEncoding, ExportError, ExportMeta, export_csv, export_xlsx};
use daicho_model::MacAddr;
use ipnet::IpNet;

/// A one-off statement for checklist 2-⑬ given with the report request, which no scan can
/// observe. Without one, the recorded restrictions ([`record_applied_allowlist`]) decide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestrictionStatement {
    /// A MAC restriction is applied on the network devices.
    pub applied: bool,
    /// Where and how.
    pub note: String,
}

/// Decides the checklist from the ledger as it is now. 2-⑬ is decided from the active
/// restriction records (each with the MAC list applied at the time), unless `statement` says a
/// restriction is applied: then the allowlist taken as applied is the registered devices' as
/// `allowlist export` writes it now.
pub fn checklist_report(
    ledger: &Ledger,
    facility: &str,
    statement: &RestrictionStatement,
) -> Result<ChecklistReport, LedgerError> {
    let devices = ledger.checklist_devices()?;
    let restriction = if statement.applied {
        ConnectionRestriction {
            applied: true,
            description: statement.note.clone(),
            allowlist: build_allowlist(&ledger.ledger_rows()?, &[])
                .macs()
                .collect(),
        }
    } else {
        recorded_restriction(&ledger.restrictions(true)?)
    };
    Ok(evaluate_checklist(&ChecklistInput {
        facility: facility.to_owned(),
        checked_at: daicho_ledger_io::export::now_jst(),
        devices,
        restriction,
    }))
}

/// The 2-⑬ input from the active records: applied when there is one, the description naming
/// each place, day and person, the allowlist the union of what was applied.
fn recorded_restriction(records: &[RestrictionRecord]) -> ConnectionRestriction {
    let mut allowlist: Vec<MacAddr> = records
        .iter()
        .flat_map(|r| r.macs.iter().copied())
        .collect();
    allowlist.sort_unstable();
    allowlist.dedup();
    let description = records
        .iter()
        .rev()
        .map(|r| {
            let day = r.applied_on.replace('-', "/");
            let note = if r.note.is_empty() {
                String::new()
            } else {
                format!("、{}", r.note)
            };
            format!(
                "{}（{day} 適用、{}、{} 件{note}）",
                r.place,
                r.applied_by,
                r.macs.len()
            )
        })
        .collect::<Vec<_>>()
        .join("；");
    ConnectionRestriction {
        applied: !records.is_empty(),
        description,
        allowlist,
    }
}

/// What the operator states when recording an applied allowlist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliedAllowlist {
    /// Where it is applied (`コアスイッチ SW-01`).
    pub place: String,
    /// Who applied it.
    pub applied_by: String,
    /// The day it was applied; today (JST) when absent.
    #[serde(default)]
    pub applied_on: Option<NaiveDate>,
    /// How it is applied.
    #[serde(default)]
    pub note: String,
    /// Only the registered devices of these subnets (as `allowlist export --subnet`); every
    /// registered device when empty.
    #[serde(default)]
    pub subnets: Vec<IpNet>,
}

/// Records that the allowlist `allowlist export` writes now (for `applied.subnets`) has been
/// applied at `applied.place`. Returns the record.
pub fn record_applied_allowlist(
    ledger: &Ledger,
    applied: &AppliedAllowlist,
    now: DateTime<Utc>,
) -> Result<RestrictionRecord, LedgerError> {
    let list = build_allowlist(&ledger.ledger_rows()?, &applied.subnets);
    let macs: Vec<MacAddr> = list
        .groups
        .iter()
        .filter(|g| applied.subnets.is_empty() || g.subnet.is_some())
        .flat_map(|g| g.entries.iter().map(|e| e.mac))
        .collect();
    let today = daicho_ledger_io::export::now_jst().date_naive();
    let id = ledger.record_restriction(
        &NewRestriction {
            place: applied.place.clone(),
            applied_by: applied.applied_by.clone(),
            applied_on: applied.applied_on.unwrap_or(today),
            note: applied.note.clone(),
            macs,
        },
        now,
    )?;
    ledger
        .restriction(id)?
        .ok_or_else(|| LedgerError::Invalid(format!("restriction record {id} vanished")))
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
    render_export(&ledger.export_rows(registered_only)?, csv, facility)
}

/// The ledger export of these devices only (a filtered list's download).
pub fn export_devices(
    ledger: &Ledger,
    csv: Option<CsvEncoding>,
    ids: &[i64],
    facility: &str,
) -> Result<(Vec<u8>, usize), EvidenceError> {
    render_export(&ledger.export_rows_of(ids)?, csv, facility)
}

fn render_export(
    rows: &[daicho_ledger_io::ExportRow],
    csv: Option<CsvEncoding>,
    facility: &str,
) -> Result<(Vec<u8>, usize), EvidenceError> {
    let meta = ExportMeta {
        generated_at: daicho_ledger_io::export::now_jst(),
        facility: facility.to_owned(),
        generator: format!("daicho-collector {}", env!("CARGO_PKG_VERSION")),
    };
    let bytes = match csv {
        None => export_xlsx(rows, &meta)?,
        Some(encoding) => export_csv(rows, &meta, encoding)?,
    };
    Ok((bytes, rows.len()))
}
