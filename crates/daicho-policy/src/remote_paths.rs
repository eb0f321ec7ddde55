//! Remote-maintenance paths (checklist 2-②): what on a device suggests a vendor can reach in
//! from outside. They are candidates for the operator to confirm with the 事業者, not flags:
//! an agreed exception does not make a path go away.

use serde::Serialize;

use crate::evaluate::{rule_matches, service_label};
use crate::facts::DeviceFacts;
use crate::local_software::{program_matches, system_service_matches};
use crate::policy::{Policy, RemoteAccess};

/// What kind of path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemotePathKind {
    /// An SSL-VPN or IPsec appliance, or a VPN endpoint.
    Vpn,
    /// A remote-support tool answering on the network.
    RemoteSupportListening,
    /// A remote-support tool installed or running on a host with an agent.
    RemoteSupportInstalled,
    /// Remote desktop on a server.
    RemoteDesktop,
}

impl RemotePathKind {
    /// The kind in Japanese, for the register and the vendor's sheet.
    pub fn label(self) -> &'static str {
        match self {
            Self::Vpn => "VPN 装置",
            Self::RemoteSupportListening => "リモートサポート（待ち受け）",
            Self::RemoteSupportInstalled => "リモートサポート（導入済み）",
            Self::RemoteDesktop => "サーバのリモートデスクトップ",
        }
    }
}

/// One reason to think a device is reached from outside for maintenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemotePath {
    /// What kind.
    pub kind: RemotePathKind,
    /// What was seen (`teamviewer/tcp/5938`, `program/TeamViewer`, `FortiOS 6.0.4`).
    pub seen: String,
}

impl RemotePath {
    /// `kind: seen`, in Japanese, for one cell.
    pub fn text(&self) -> String {
        format!("{}: {}", self.kind.label(), self.seen)
    }
}

/// Every remote-maintenance path `device` shows under `policy`, in a stable order.
pub fn remote_paths(device: &DeviceFacts, policy: &Policy) -> Vec<RemotePath> {
    let settings = &policy.remote_access;
    let mut paths = Vec::new();
    let contains_word = |text: &str, words: &[String]| {
        let text = text.to_lowercase();
        words.iter().any(|w| text.contains(&w.to_lowercase()))
    };
    if let Some(os) = &device.os
        && let Some(name) = os.name.as_deref()
        && contains_word(name, &settings.appliance_os)
    {
        let seen = match os.version.as_deref() {
            Some(v) => format!("{name} {v}"),
            None => name.to_owned(),
        };
        paths.push(RemotePath {
            kind: RemotePathKind::Vpn,
            seen,
        });
    }
    for service in &device.services {
        let vpn_product = service
            .product
            .as_deref()
            .is_some_and(|p| contains_word(p, &settings.vpn_product_words));
        if vpn_product || settings.vpn_services.contains(&service.name) {
            paths.push(RemotePath {
                kind: RemotePathKind::Vpn,
                seen: match &service.product {
                    Some(p) => format!("{} ({p})", service_label(service)),
                    None => service_label(service),
                },
            });
        }
    }
    let is_server = device
        .role
        .as_deref()
        .is_some_and(|r| settings.server_roles.iter().any(|s| s == r))
        || device
            .os
            .as_ref()
            .and_then(|o| o.name.as_deref())
            .is_some_and(|n| n.to_lowercase().contains("server"));
    for rule in &policy.risky {
        let kind = match rule.remote_access {
            RemoteAccess::No => continue,
            RemoteAccess::OnServers if !is_server => continue,
            RemoteAccess::OnServers => RemotePathKind::RemoteDesktop,
            RemoteAccess::Yes => RemotePathKind::RemoteSupportListening,
        };
        for service in device.services.iter().filter(|s| rule_matches(rule, s)) {
            paths.push(RemotePath {
                kind,
                seen: service_label(service),
            });
        }
        if rule.remote_access != RemoteAccess::Yes {
            continue;
        }
        for program in device.programs.iter().filter(|p| program_matches(rule, p)) {
            paths.push(RemotePath {
                kind: RemotePathKind::RemoteSupportInstalled,
                seen: format!("program/{}", program.name),
            });
        }
        for service in device
            .system_services
            .iter()
            .filter(|s| system_service_matches(rule, s))
        {
            paths.push(RemotePath {
                kind: RemotePathKind::RemoteSupportInstalled,
                seen: format!("service/{}", service.name),
            });
        }
    }
    paths.dedup();
    paths
}

#[cfg(test)]
mod tests;
