//! A device's history: the kinds of event the ledger records, and the one place they are
//! written.
//!
//! Each kind is stored and served (`kind` in the API's event JSON) by its snake_case name.

use std::fmt;
use std::str::FromStr;

use crate::db::{Conn, DbError, FromValue, ToValue, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::LedgerError;

/// What happened to a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An agent saw the device for the first time.
    FirstSeen,
    /// A device that had gone is seen again.
    Returned,
    /// Its address changed.
    IpChanged,
    /// Its MAC changed (matched by another key).
    MacChanged,
    /// Its host name changed.
    HostnameChanged,
    /// Its OS guess changed.
    OsChanged,
    /// A port answered that did not before.
    PortOpened,
    /// A port that answered is closed now.
    PortClosed,
    /// The service on a port changed (name, product or version).
    ServiceChanged,
    /// An identity key (MAC, machine id) moved here from another device.
    IdentityKeyMoved,
    /// Not seen for longer than the presence lease.
    Gone,
    /// A checklist flag was raised.
    FlagRaised,
    /// A checklist flag was cleared.
    FlagCleared,
    /// An operator changed its role.
    RoleChanged,
    /// An operator added a service exception.
    ExceptionAdded,
    /// An operator revoked a service exception.
    ExceptionRevoked,
    /// A ledger file row created it (registered, not yet seen).
    LedgerCreated,
    /// Its ledger fields (or triage disposition) changed.
    LedgerUpdated,
    /// Another device was merged into it.
    Merged,
    /// It was split (MACs moved to a new device, or it is that new device).
    Split,
    /// Its remote-maintenance register entry (checklist 2-②) was recorded or changed.
    RemoteMaintenanceRecorded,
    /// A switch reading placed it on another switch or port (`switch_ports`).
    PortMoved,
}

impl EventKind {
    /// Every kind, in the order of a device's life.
    pub const ALL: [Self; 22] = [
        Self::FirstSeen,
        Self::Returned,
        Self::IpChanged,
        Self::MacChanged,
        Self::HostnameChanged,
        Self::OsChanged,
        Self::PortOpened,
        Self::PortClosed,
        Self::ServiceChanged,
        Self::IdentityKeyMoved,
        Self::Gone,
        Self::FlagRaised,
        Self::FlagCleared,
        Self::RoleChanged,
        Self::ExceptionAdded,
        Self::ExceptionRevoked,
        Self::LedgerCreated,
        Self::LedgerUpdated,
        Self::Merged,
        Self::Split,
        Self::RemoteMaintenanceRecorded,
        Self::PortMoved,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstSeen => "first_seen",
            Self::Returned => "returned",
            Self::IpChanged => "ip_changed",
            Self::MacChanged => "mac_changed",
            Self::HostnameChanged => "hostname_changed",
            Self::OsChanged => "os_changed",
            Self::PortOpened => "port_opened",
            Self::PortClosed => "port_closed",
            Self::ServiceChanged => "service_changed",
            Self::IdentityKeyMoved => "identity_key_moved",
            Self::Gone => "gone",
            Self::FlagRaised => "flag_raised",
            Self::FlagCleared => "flag_cleared",
            Self::RoleChanged => "role_changed",
            Self::ExceptionAdded => "exception_added",
            Self::ExceptionRevoked => "exception_revoked",
            Self::LedgerCreated => "ledger_created",
            Self::LedgerUpdated => "ledger_updated",
            Self::Merged => "merged",
            Self::Split => "split",
            Self::RemoteMaintenanceRecorded => "remote_maintenance_recorded",
            Self::PortMoved => "port_moved",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = LedgerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                LedgerError::Invalid(format!(
                    "event kind `{s}` is not one of {}",
                    names.join(", ")
                ))
            })
    }
}

impl ToValue for EventKind {
    fn to_value(&self) -> crate::db::Value {
        crate::db::Value::Text(self.as_str().to_owned())
    }
}

impl FromValue for EventKind {
    fn from_value(value: &crate::db::Value, column: usize) -> Result<Self, DbError> {
        // A stored kind this build does not know reads as a conversion error, not a panic.
        String::from_value(value, column)?
            .parse()
            .map_err(|_: LedgerError| DbError::Conversion {
                column,
                wanted: "event kind",
                found: "unknown name",
            })
    }
}

/// Appends one event to a device's history.
pub(crate) fn record_event(
    conn: &Conn,
    device_id: i64,
    kind: EventKind,
    at: &str,
    report_id: Option<&str>,
    detail: &Value,
) -> Result<(), LedgerError> {
    conn.prepare_cached(
        "INSERT INTO events (device_id, kind, at, report_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![device_id, kind, at, report_id, detail.to_string()])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name_and_json() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>().unwrap(), kind);
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                Value::String(kind.as_str().to_owned())
            );
        }
        let e = "port_scan".parse::<EventKind>().unwrap_err().to_string();
        assert!(
            e.contains("port_scan") && e.contains("ledger_updated"),
            "{e}"
        );
    }
}
