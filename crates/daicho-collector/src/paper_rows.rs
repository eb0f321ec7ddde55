//! The ledger's rows on paper: `daicho-ledger`'s own rows ([`LedgerEntry`], [`ExportEntry`],
//! [`ChecklistEntry`]) as `daicho-ledger-io`'s types ([`LedgerRow`], [`ExportRow`],
//! [`ChecklistDevice`]), and an imported file's rows as the ledger's import input. The ledger
//! reads and matches; this module only maps, plus the checklist's kind of a device
//! ([`device_kind`]).

use daicho_ledger::{ChecklistEntry, ExportEntry, ImportPlan, Ledger, LedgerEntry, LedgerError};
use daicho_ledger_io::checklist::{ChecklistDevice, DeviceKind};
use daicho_ledger_io::{DeviceStatus, ExportRow, LedgerRow};

/// An imported row as the ledger's import input (状態 as the text the ledger stores).
pub fn entry_of(row: &LedgerRow) -> LedgerEntry {
    LedgerEntry {
        asset_no: row.asset_no.clone(),
        maker: row.maker.clone(),
        os: row.os.clone(),
        software: row.software.clone(),
        software_version: row.software_version.clone(),
        ip: row.ip,
        computer_name: row.computer_name.clone(),
        location: row.location.clone(),
        user: row.user.clone(),
        registered_on: row.registered_on,
        status: row.status.as_ref().map(|s| s.as_str().to_owned()),
        description: row.description.clone(),
        mac: row.mac,
    }
}

/// Imported rows as the ledger's import input, in order.
pub fn entries_of(rows: &[LedgerRow]) -> Vec<LedgerEntry> {
    rows.iter().map(entry_of).collect()
}

/// A device's ledger columns as a ledger row (状態 read as [`DeviceStatus::parse`] reads a cell).
pub fn row_of(entry: LedgerEntry) -> LedgerRow {
    LedgerRow {
        asset_no: entry.asset_no,
        maker: entry.maker,
        os: entry.os,
        software: entry.software,
        software_version: entry.software_version,
        ip: entry.ip,
        computer_name: entry.computer_name,
        location: entry.location,
        user: entry.user,
        registered_on: entry.registered_on,
        status: entry.status.as_deref().and_then(DeviceStatus::parse),
        description: entry.description,
        mac: entry.mac,
    }
}

/// A device of the ledger export as the export writes it.
pub fn export_row_of(entry: ExportEntry) -> ExportRow {
    ExportRow {
        ledger: row_of(entry.ledger),
        vendor: entry.vendor,
        last_seen: entry.last_seen,
        open_services: entry.open_services,
        flags: entry.flags,
    }
}

/// A device as the checklist evaluates it.
pub fn checklist_device_of(entry: ChecklistEntry) -> ChecklistDevice {
    ChecklistDevice {
        kind: device_kind(entry.role.as_deref(), &entry.os_family),
        ip: entry.ip,
        mac: entry.mac,
        hostname: entry.hostname,
        vendor: entry.vendor,
        os: entry.os,
        last_seen: entry.last_seen,
        open_services: entry.open_services,
        flags: entry.flags,
        exceptions: entry.exceptions,
        ledger: entry.ledger.map(row_of),
    }
}

/// The checklist's kind of a device: by role when the operator set one, else by OS family.
/// Unix-like hosts without a role count as servers, Windows and macOS as PCs.
pub fn device_kind(role: Option<&str>, os_family: &str) -> DeviceKind {
    if let Some(role) = role {
        if role.contains("server") || role == "pacs" {
            return DeviceKind::Server;
        }
        if role.contains("terminal") || role.contains("pc") {
            return DeviceKind::Pc;
        }
    }
    match os_family {
        "network" => DeviceKind::Network,
        "printer" => DeviceKind::Printer,
        "medical" => DeviceKind::Medical,
        "linux" | "bsd" => DeviceKind::Server,
        "windows" | "macos" => DeviceKind::Pc,
        _ => DeviceKind::Unknown,
    }
}

/// [`Ledger::plan_import`] of imported rows.
pub fn plan_import(
    ledger: &Ledger,
    rows: &[LedgerRow],
    row_numbers: &[usize],
) -> Result<ImportPlan, LedgerError> {
    ledger.plan_import(&entries_of(rows), row_numbers)
}

/// [`Ledger::export_rows`] as export rows.
pub fn export_rows(ledger: &Ledger, registered_only: bool) -> Result<Vec<ExportRow>, LedgerError> {
    Ok(ledger
        .export_rows(registered_only)?
        .into_iter()
        .map(export_row_of)
        .collect())
}

/// [`Ledger::export_rows_of`] as export rows.
pub fn export_rows_of(ledger: &Ledger, ids: &[i64]) -> Result<Vec<ExportRow>, LedgerError> {
    Ok(ledger
        .export_rows_of(ids)?
        .into_iter()
        .map(export_row_of)
        .collect())
}

/// [`Ledger::ledger_rows`] (the registered devices', for the MAC allowlist) as ledger rows.
pub fn ledger_rows(ledger: &Ledger) -> Result<Vec<LedgerRow>, LedgerError> {
    Ok(ledger.ledger_rows()?.into_iter().map(row_of).collect())
}

/// [`Ledger::checklist_devices`] as the checklist's devices.
pub fn checklist_devices(ledger: &Ledger) -> Result<Vec<ChecklistDevice>, LedgerError> {
    Ok(ledger
        .checklist_devices()?
        .into_iter()
        .map(checklist_device_of)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_kind_prefers_the_role() {
        assert_eq!(
            device_kind(Some("ehr-server"), "windows"),
            DeviceKind::Server
        );
        assert_eq!(device_kind(Some("terminal"), "linux"), DeviceKind::Pc);
        assert_eq!(device_kind(None, "network"), DeviceKind::Network);
        assert_eq!(device_kind(None, "windows"), DeviceKind::Pc);
        assert_eq!(device_kind(None, "unknown"), DeviceKind::Unknown);
    }

    #[test]
    fn a_row_survives_the_ledger_entry_both_ways() {
        for status in [
            None,
            Some(DeviceStatus::Active),
            Some(DeviceStatus::Stopped),
            Some(DeviceStatus::Disposed),
            Some(DeviceStatus::Other("貸出中".into())),
        ] {
            let row = LedgerRow {
                asset_no: "A-1".into(),
                maker: "富士通".into(),
                os: "Windows 11".into(),
                software: "電子カルテ".into(),
                software_version: "5.2".into(),
                ip: Some("198.18.0.10".parse().unwrap()),
                computer_name: "PC-A".into(),
                location: "受付".into(),
                user: "山田".into(),
                registered_on: chrono::NaiveDate::from_ymd_opt(2024, 4, 1),
                status,
                description: "説明".into(),
                mac: Some("00:1b:21:00:00:0a".parse().unwrap()),
            };
            assert_eq!(row_of(entry_of(&row)), row);
        }
    }
}
