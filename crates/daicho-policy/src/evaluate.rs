//! The flag rules.

use chrono::{DateTime, Utc};
use daicho_eol::{SupportStatus, known_exploited, product_for_os, snapshot_date};
use daicho_model::Service;
use serde::{Deserialize, Serialize};

use crate::facts::{DeviceFacts, Exception};
use crate::os_lifecycle::lifecycle;
use crate::policy::{Policy, RiskyRule};

/// The kinds of flag the checklist cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// OS or firmware past the end of security support (2-⑥).
    EolOs,
    /// A self-inventoried host that has not installed updates for too long (2-⑥).
    OsUnpatched,
    /// Firmware with a known-exploited vulnerability (2-⑥).
    VulnerableFirmware,
    /// A risky service not allowed by role or exception (2-⑫).
    UnneededService,
    /// Seen on the network but not registered in the ledger (2-①).
    Unregistered,
    /// A randomised (locally administered) MAC: a personal or visitor device (2-⑬).
    RandomizedMac,
    /// Registered but not seen for too long (2-①).
    Missing,
}

impl FlagKind {
    /// The flag's name as the API and the reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EolOs => "eol_os",
            Self::OsUnpatched => "os_unpatched",
            Self::VulnerableFirmware => "vulnerable_firmware",
            Self::UnneededService => "unneeded_service",
            Self::Unregistered => "unregistered",
            Self::RandomizedMac => "randomized_mac",
            Self::Missing => "missing",
        }
    }

    /// Every kind, in report order.
    pub const ALL: [Self; 7] = [
        Self::EolOs,
        Self::OsUnpatched,
        Self::VulnerableFirmware,
        Self::UnneededService,
        Self::Unregistered,
        Self::RandomizedMac,
        Self::Missing,
    ];
}

/// One flag on one device, with its reason and the evidence that raised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// What kind of flag.
    pub kind: FlagKind,
    /// A finer code: the risky-rule id, the CVE, or `unsupported` / `extended_only` for EOL.
    pub code: String,
    /// The service concerned, as `name/protocol/port`, for service flags.
    pub service: Option<String>,
    /// Why, and what to do, in Japanese for the operator and the inspector.
    pub reason: String,
    /// The observations that raised it.
    pub evidence: Vec<String>,
}

impl Flag {
    /// A stable identity: the same flag on a later merge has the same key, so an alert is sent
    /// once when the flag is raised, not on every scan.
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.kind.as_str(),
            self.code,
            self.service.as_deref().unwrap_or("")
        )
    }
}

/// Every flag `device` carries at `now` under `policy`, with `exceptions` applied.
pub fn evaluate(
    device: &DeviceFacts,
    policy: &Policy,
    exceptions: &[Exception],
    now: DateTime<Utc>,
) -> Vec<Flag> {
    let today = now.date_naive();
    let mut flags = Vec::new();

    if let Some(os) = &device.os {
        if let Some(life) = lifecycle(os, today) {
            let names: Vec<String> = life.releases.iter().map(|r| r.display_name()).collect();
            let data = format!(
                "end-of-life data: endoflife.date snapshot {}",
                snapshot_date()
            );
            let (code, reason) = match life.status {
                SupportStatus::Supported { .. } => (None, String::new()),
                SupportStatus::ExtendedOnly {
                    ended,
                    extended_until,
                } => (
                    Some("extended_only"),
                    format!(
                        "{} の通常のセキュリティサポートは{}に終了しました。以後の更新は延長サポート{}（Windows の ESU のような有償契約、または Debian LTS のような延長版）に限られます。延長サポートを受けているか確認し、更新を計画してください。",
                        names.join(" / "),
                        date_text(ended),
                        extended_until
                            .map(|d| format!("は {d} まで"))
                            .unwrap_or_default(),
                    ),
                ),
                SupportStatus::Unsupported { since } => (
                    Some("unsupported"),
                    format!(
                        "{} はサポートが{}に終了しており、延長サポートもありません。更新または買い替えを計画し、それまではネットワークを分離してください。",
                        names.join(" / "),
                        date_text(since),
                    ),
                ),
            };
            if let Some(code) = code {
                let mut evidence = os.evidence.clone();
                evidence.push(data);
                flags.push(Flag {
                    kind: FlagKind::EolOs,
                    code: code.into(),
                    service: None,
                    reason,
                    evidence,
                });
            }
        }
        if let (Some(name), Some(version)) = (os.name.as_deref(), os.version.as_deref())
            && let Some(product) = product_for_os(name)
        {
            for flaw in known_exploited(product, version) {
                let mut evidence = os.evidence.clone();
                evidence.push(format!(
                    "{name} {version} is in the affected ranges of {} ({}{})",
                    flaw.cve,
                    flaw.advisory,
                    flaw.url
                        .as_deref()
                        .map(|u| format!(", {u}"))
                        .unwrap_or_default()
                ));
                flags.push(Flag {
                    kind: FlagKind::VulnerableFirmware,
                    code: flaw.cve.clone(),
                    service: None,
                    reason: format!(
                        "{name} {version} には悪用が確認されている脆弱性 {} があります: {}。直ちにファームウェアを更新してください。",
                        flaw.cve, flaw.summary
                    ),
                    evidence,
                });
            }
        }
    }

    if device.self_inventoried {
        let limit = i64::from(policy.settings.unpatched_after_days);
        let stale = device
            .last_updated
            .is_none_or(|t| (now - t).num_days() > limit);
        if stale {
            let evidence = vec![match device.last_updated {
                Some(t) => format!(
                    "last package update recorded by the agent: {}",
                    t.format("%Y-%m-%d")
                ),
                None => "the agent found no record of any package update".to_owned(),
            }];
            flags.push(Flag {
                kind: FlagKind::OsUnpatched,
                code: "stale_updates".into(),
                service: None,
                reason: format!("{limit} 日以上、更新プログラムが適用されていません。セキュリティパッチを適用してください。"),
                evidence,
            });
        }
    }

    flags.extend(crate::os_revision::missing_update_flag(
        device, policy, today,
    ));

    for service in &device.services {
        for rule in &policy.risky {
            if rule_matches(rule, service)
                && !excused(rule, &service.name, device, policy, exceptions, today)
            {
                flags.push(Flag {
                    kind: FlagKind::UnneededService,
                    code: rule.id.clone(),
                    service: Some(service_label(service)),
                    reason: rule.reason.clone(),
                    evidence: service_evidence(service),
                });
            }
        }
    }
    flags.extend(crate::local_software::unneeded_software_flags(
        device, policy, exceptions, today,
    ));

    if !device.registered && !device.known_outside_ledger {
        flags.push(Flag {
            kind: FlagKind::Unregistered,
            code: "unregistered".into(),
            service: None,
            reason: "ネットワーク上で検出されましたが、機器台帳に登録されていません。台帳に登録するか、接続を止めてください。".into(),
            evidence: device.ips.iter().map(|ip| format!("seen at {ip}")).collect(),
        });
    }
    if device.mac_randomized {
        flags.push(Flag {
            kind: FlagKind::RandomizedMac,
            code: "randomized_mac".into(),
            service: None,
            reason: "ランダム化された MAC アドレスです。私物スマートフォンや来訪者の端末の可能性があります。".into(),
            evidence: vec!["locally administered MAC address".into()],
        });
    }
    let missing_limit = i64::from(policy.settings.missing_after_days);
    if device.registered && (now - device.last_seen).num_days() > missing_limit {
        flags.push(Flag {
            kind: FlagKind::Missing,
            code: "missing".into(),
            service: None,
            reason: format!("台帳に登録されていますが、{missing_limit} 日以上ネットワーク上で確認できません。所在と状態を確認してください。"),
            evidence: vec![format!("last seen {}", device.last_seen.format("%Y-%m-%d %H:%M UTC"))],
        });
    }
    flags
}

fn date_text(date: Option<chrono::NaiveDate>) -> String {
    date.map_or_else(|| "すでに".to_owned(), |d| format!(" {d} "))
}

/// Whether `service` is what `rule` describes. A port alone matches only a service that was not
/// identified: SSH moved to port 23 is not telnet.
pub(crate) fn rule_matches(rule: &RiskyRule, service: &Service) -> bool {
    let by_name = service.name == rule.service || rule.also_services.contains(&service.name);
    let by_port = service.name == "unknown" && rule.ports.contains(&service.port);
    if !(by_name || by_port) {
        return false;
    }
    if rule.evidence.is_empty() {
        return true;
    }
    let said: Vec<String> = service
        .evidence
        .iter()
        .chain(service.product.iter())
        .chain(service.version.iter())
        .map(|s| s.to_lowercase())
        .collect();
    rule.evidence.iter().any(|word| {
        let word = word.to_lowercase();
        said.iter().any(|s| s.contains(&word))
    })
}

/// Whether `rule`, matched by the service `name` on `device`, is excused: outside the user
/// subnets for a rule that only applies there, an admin host, a role that allows the service,
/// or an exception in force for the service or the rule.
pub(crate) fn excused(
    rule: &RiskyRule,
    name: &str,
    device: &DeviceFacts,
    policy: &Policy,
    exceptions: &[Exception],
    today: chrono::NaiveDate,
) -> bool {
    let settings = &policy.settings;
    if rule.only_in_user_subnets
        && !device
            .ips
            .iter()
            .any(|ip| settings.user_subnets.iter().any(|n| n.contains(ip)))
    {
        return true;
    }
    if rule.except_admin_hosts
        && device
            .ips
            .iter()
            .any(|ip| settings.admin_hosts.contains(ip))
    {
        return true;
    }
    if rule.roles_may_allow
        && device
            .role
            .as_deref()
            .and_then(|r| policy.role(r))
            .is_some_and(|role| role.allowed.iter().any(|a| a == name))
    {
        return true;
    }
    exceptions
        .iter()
        .any(|e| e.covers(&device.id, name, &rule.id, today))
}

pub(crate) fn service_label(service: &Service) -> String {
    format!(
        "{}/{}/{}",
        service.name,
        service.protocol.as_str(),
        service.port
    )
}

fn service_evidence(service: &Service) -> Vec<String> {
    let mut evidence = vec![format!("{} open", service_label(service))];
    if let Some(product) = &service.product {
        evidence.push(
            format!(
                "product: {product} {}",
                service.version.as_deref().unwrap_or("")
            )
            .trim_end()
            .to_owned(),
        );
    }
    evidence.extend(service.evidence.iter().cloned());
    evidence
}

#[cfg(test)]
mod tests;
