//! Unneeded software on a host with an agent (checklist 2-⑫): the programs installed and the
//! system services running or starting on their own, matched against the risky rules'
//! `programs` and `system_services`.

use chrono::NaiveDate;

use crate::evaluate::{Flag, FlagKind, excused};
use daicho_model::inventory::{Package, SystemService};

use crate::facts::{DeviceFacts, Exception};
use crate::policy::{Policy, RiskyRule};

/// Whether an installed `program` is one of `rule`'s: its name contains one of the rule's
/// `programs`, case ignored.
pub(crate) fn program_matches(rule: &RiskyRule, program: &Package) -> bool {
    let name = program.name.to_lowercase();
    rule.programs
        .iter()
        .any(|p| name.contains(&p.to_lowercase()))
}

/// Whether a system `service` is one of `rule`'s and active: named as one of the rule's
/// `system_services` (case and a systemd `.service` suffix ignored), and running or starting
/// automatically.
pub(crate) fn system_service_matches(rule: &RiskyRule, service: &SystemService) -> bool {
    let name = service.name.to_lowercase();
    let name = name.strip_suffix(".service").unwrap_or(&name);
    let active = service.state == "running"
        || service
            .start_type
            .as_deref()
            .is_some_and(|t| t.ends_with("auto"));
    active
        && rule
            .system_services
            .iter()
            .any(|s| s.to_lowercase() == name)
}

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
            if program_matches(rule, program) {
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
            if system_service_matches(rule, service) {
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
