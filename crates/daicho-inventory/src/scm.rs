//! Windows services as the Service Control Manager describes them: the numbers of
//! `ENUM_SERVICE_STATUS_PROCESSW` (`EnumServicesStatusExW`) and `QUERY_SERVICE_CONFIGW`
//! (`QueryServiceConfigW`), named by their documented constants. Pure; the calls are in
//! `windows_live`.

use std::collections::HashMap;

use daicho_model::inventory::SystemService;

/// One service as the SCM lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRecord {
    /// `lpServiceName`: the key name, e.g. `TermService`.
    pub name: String,
    /// `lpDisplayName`, e.g. `Remote Desktop Services`.
    pub display_name: String,
    /// `ServiceStatusProcess.dwServiceType`.
    pub service_type: u32,
    /// `ServiceStatusProcess.dwCurrentState`.
    pub current_state: u32,
    /// `ServiceStatusProcess.dwProcessId`: 0 unless running.
    pub process_id: u32,
    /// `QUERY_SERVICE_CONFIGW.dwStartType`, when the configuration could be read.
    pub start_type: Option<u32>,
    /// `SERVICE_DELAYED_AUTO_START_INFO.fDelayedAutostart`.
    pub delayed_auto_start: bool,
}

/// `SERVICE_STOPPED`.
pub const SERVICE_STOPPED: u32 = 1;
/// `SERVICE_RUNNING`.
pub const SERVICE_RUNNING: u32 = 4;
/// `SERVICE_AUTO_START`.
pub const SERVICE_AUTO_START: u32 = 2;

/// The state's name: `dwCurrentState` 1–7 (`SERVICE_STOPPED` … `SERVICE_PAUSED`).
pub fn state_name(state: u32) -> String {
    match state {
        SERVICE_STOPPED => "stopped".into(),
        2 => "start-pending".into(),
        3 => "stop-pending".into(),
        SERVICE_RUNNING => "running".into(),
        5 => "continue-pending".into(),
        6 => "pause-pending".into(),
        7 => "paused".into(),
        other => format!("state-{other}"),
    }
}

/// The start type's name: `dwStartType` 0–4 (`SERVICE_BOOT_START` … `SERVICE_DISABLED`);
/// an automatic service with delayed start is `delayed-auto`, as `services.msc` shows it.
pub fn start_type_name(start_type: u32, delayed: bool) -> String {
    match start_type {
        0 => "boot".into(),
        1 => "system".into(),
        SERVICE_AUTO_START if delayed => "delayed-auto".into(),
        SERVICE_AUTO_START => "auto".into(),
        3 => "demand".into(),
        4 => "disabled".into(),
        other => format!("start-{other}"),
    }
}

impl ServiceRecord {
    /// The service in the wire model; the display name is its description.
    pub fn to_model(&self) -> SystemService {
        SystemService {
            name: self.name.clone(),
            state: state_name(self.current_state),
            start_type: self
                .start_type
                .map(|t| start_type_name(t, self.delayed_auto_start)),
            description: Some(self.display_name.trim().to_owned()).filter(|d| !d.is_empty()),
        }
    }
}

/// The names of the running services by the process they run in (a `svchost.exe` hosts
/// several), each list sorted.
pub fn services_by_pid(records: &[ServiceRecord]) -> HashMap<u32, Vec<String>> {
    let mut by_pid: HashMap<u32, Vec<String>> = HashMap::new();
    for r in records.iter().filter(|r| r.process_id != 0) {
        by_pid.entry(r.process_id).or_default().push(r.name.clone());
    }
    for names in by_pid.values_mut() {
        names.sort_by_key(|n| n.to_ascii_lowercase());
    }
    by_pid
}

/// The services in the wire model, sorted by name (case-insensitively, as Windows lists them).
pub fn to_model(records: &[ServiceRecord]) -> Vec<SystemService> {
    let mut services: Vec<SystemService> = records.iter().map(ServiceRecord::to_model).collect();
    services.sort_by_key(|s| s.name.to_ascii_lowercase());
    services
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records with the numbers Microsoft documents for `dwServiceType` (0x10
    /// `SERVICE_WIN32_OWN_PROCESS`, 0x20 `SERVICE_WIN32_SHARE_PROCESS`), `dwCurrentState` and
    /// `dwStartType`; not captured from a real machine.
    fn record(name: &str, state: u32, start: Option<u32>, delayed: bool) -> ServiceRecord {
        ServiceRecord {
            name: name.into(),
            display_name: format!("{name} display"),
            service_type: 0x20,
            current_state: state,
            process_id: if state == SERVICE_RUNNING { 900 } else { 0 },
            start_type: start,
            delayed_auto_start: delayed,
        }
    }

    #[test]
    fn states_and_start_types_are_named() {
        let services = to_model(&[
            record("wuauserv", SERVICE_RUNNING, Some(3), false),
            record("TermService", SERVICE_STOPPED, Some(4), false),
            record("BITS", SERVICE_RUNNING, Some(SERVICE_AUTO_START), true),
            record("Spooler", 7, None, false),
            record("odd", 9, Some(8), false),
        ]);
        let by = |n: &str| services.iter().find(|s| s.name == n).unwrap();
        assert_eq!(services[0].name, "BITS");
        assert_eq!(by("BITS").start_type.as_deref(), Some("delayed-auto"));
        assert_eq!(by("BITS").state, "running");
        assert_eq!(by("TermService").state, "stopped");
        assert_eq!(by("TermService").start_type.as_deref(), Some("disabled"));
        assert_eq!(by("wuauserv").start_type.as_deref(), Some("demand"));
        assert_eq!(by("Spooler").state, "paused");
        assert_eq!(by("Spooler").start_type, None);
        assert_eq!(by("odd").state, "state-9");
        assert_eq!(by("odd").start_type.as_deref(), Some("start-8"));
        assert_eq!(
            by("wuauserv").description.as_deref(),
            Some("wuauserv display")
        );
    }

    #[test]
    fn services_are_grouped_by_their_process() {
        let mut rdp = record("TermService", SERVICE_RUNNING, Some(3), false);
        rdp.process_id = 1044;
        let mut umrdp = record("UmRdpService", SERVICE_RUNNING, Some(3), false);
        umrdp.process_id = 1044;
        let mut spooler = record("Spooler", SERVICE_RUNNING, Some(2), false);
        spooler.process_id = 2200;
        let stopped = record("Fax", SERVICE_STOPPED, Some(3), false);
        let by_pid = services_by_pid(&[umrdp, spooler, stopped, rdp]);
        assert_eq!(by_pid.len(), 2);
        assert_eq!(by_pid[&1044], ["TermService", "UmRdpService"]);
        assert_eq!(by_pid[&2200], ["Spooler"]);
    }

    #[test]
    fn auto_without_delay_is_auto() {
        assert_eq!(start_type_name(SERVICE_AUTO_START, false), "auto");
        assert_eq!(start_type_name(0, false), "boot");
        assert_eq!(start_type_name(1, false), "system");
    }
}
