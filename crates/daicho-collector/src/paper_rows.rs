//! The ledger's checklist input on paper: `daicho-ledger`'s [`ChecklistEntry`] as
//! `daicho-ledger-io`'s [`ChecklistDevice`], with the checklist's kind of a device
//! ([`device_kind`]) derived from the role and OS family the ledger holds. (The ledger columns
//! and export rows need no mapping: both crates use `daicho-model`'s `LedgerRow` and
//! `ExportRow`.)

use daicho_ledger::{ChecklistEntry, Ledger, LedgerError, SiteId};
use daicho_ledger_io::checklist::{ChecklistDevice, DeviceKind};

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
        device_id: entry.device_id,
        remote: entry.remote,
        remote_paths: entry
            .remote_paths
            .iter()
            .map(daicho_policy::RemotePath::text)
            .collect(),
        ledger: entry.ledger,
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

/// [`Ledger::checklist_devices`] as the checklist's devices.
pub fn checklist_devices(
    ledger: &Ledger,
    site: SiteId,
) -> Result<Vec<ChecklistDevice>, LedgerError> {
    Ok(ledger
        .checklist_devices(site)?
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
}
