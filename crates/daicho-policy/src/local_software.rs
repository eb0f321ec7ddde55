//! Unneeded software on a host with an agent (checklist 2-⑫): the programs installed and the
//! system services running or starting on their own, matched against the risky rules'
//! `programs` and `system_services`.

use chrono::NaiveDate;

use crate::evaluate::{Flag, FlagKind, excused};
use crate::facts::{DeviceFacts, Exception};
use crate::policy::Policy;

/// The `unneeded_service` flags of `device`'s own programs and services. A rule is excused as
/// for a network service of the rule's service name (role, admin host, exception for the
/// service or the rule id).
pub(crate) fn unneeded_software_flags(
    device: &DeviceFacts,
    policy: &Policy,
    exceptions: &[Exception],
    today: NaiveDate,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    for rule in &policy.risky {
        if rule.programs.is_empty() && rule.system_services.is_empty() {
            continue;
        }
        if excused(rule, &rule.service, device, policy, exceptions, today) {
            continue;
        }
        for program in &device.programs {
            let name = program.name.to_lowercase();
            if rule
                .programs
                .iter()
                .any(|p| name.contains(&p.to_lowercase()))
            {
                let label = format!("{} {}", program.name, program.version);
                flags.push(Flag {
                    kind: FlagKind::UnneededService,
                    code: rule.id.clone(),
                    service: Some(format!("program/{}", program.name)),
                    reason: rule.reason.clone(),
                    evidence: vec![format!(
                        "installed program: {} (from the host's own inventory)",
                        label.trim_end()
                    )],
                });
            }
        }
        for service in &device.system_services {
            let name = service.name.to_lowercase();
            let name = name.strip_suffix(".service").unwrap_or(&name);
            let active = service.state == "running"
                || service
                    .start_type
                    .as_deref()
                    .is_some_and(|t| t.ends_with("auto"));
            if active
                && rule
                    .system_services
                    .iter()
                    .any(|s| s.to_lowercase() == name)
            {
                flags.push(Flag {
                    kind: FlagKind::UnneededService,
                    code: rule.id.clone(),
                    service: Some(format!("service/{}", service.name)),
                    reason: rule.reason.clone(),
                    evidence: vec![format!(
                        "system service {}: {}{} (from the host's own inventory)",
                        service.name,
                        service.state,
                        service
                            .start_type
                            .as_deref()
                            .map(|t| format!(", start {t}"))
                            .unwrap_or_default()
                    )],
                });
            }
        }
    }
    flags
}
