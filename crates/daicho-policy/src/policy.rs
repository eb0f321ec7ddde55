//! The policy file: settings, risky services and role profiles.

use std::collections::BTreeMap;
use std::path::Path;

use ipnet::IpNet;
use serde::Deserialize;

/// Why a policy file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Read {
        /// The policy file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid policy; the message names the key.
    #[error("{file}: {message}")]
    Invalid {
        /// The policy file.
        file: String,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// The whole policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Thresholds and network facts.
    #[serde(default)]
    pub settings: Settings,
    /// Services flagged as unneeded unless allowed.
    #[serde(default)]
    pub risky: Vec<RiskyRule>,
    /// Role profiles by role id.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// What makes a device a remote-maintenance path (checklist 2-②), besides the risky rules
    /// marked `remote_access`.
    #[serde(default)]
    pub remote_access: RemoteAccessSettings,
}

/// What makes a device a remote-maintenance path (checklist 2-②): VPN appliances and the server
/// roles on which remote desktop counts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemoteAccessSettings {
    /// OS or firmware names of SSL-VPN/IPsec appliances (`FortiOS`), matched as words of the
    /// device's OS name, case ignored.
    pub appliance_os: Vec<String>,
    /// Words in a service's product that show a VPN portal (`SSL-VPN`, `GlobalProtect`).
    pub vpn_product_words: Vec<String>,
    /// Service names of VPN endpoints (`ike`, `openvpn`, `pptp`).
    pub vpn_services: Vec<String>,
    /// Roles of servers: remote desktop on them counts as a maintenance path (rules with
    /// `remote_access = "on-servers"`), as it does on a device whose OS name says server.
    pub server_roles: Vec<String>,
}

/// Whether a risky rule's match is a remote-maintenance path (checklist 2-②).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemoteAccess {
    /// Not a remote-maintenance path.
    #[default]
    No,
    /// Always one (remote-support tools).
    Yes,
    /// One on servers only (remote desktop).
    OnServers,
}

/// Thresholds and network facts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Days without an installed update after which a self-inventoried host is unpatched.
    pub unpatched_after_days: u32,
    /// Days unseen after which a registered device is missing.
    pub missing_after_days: u32,
    /// Subnets where staff PCs live.
    pub user_subnets: Vec<IpNet>,
    /// Hosts administrators work from.
    pub admin_hosts: Vec<std::net::IpAddr>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            unpatched_after_days: 45,
            missing_after_days: 14,
            user_subnets: Vec::new(),
            admin_hosts: Vec::new(),
        }
    }
}

/// One risky-service rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskyRule {
    /// Stable id, used in flags and exceptions.
    pub id: String,
    /// Service name as the agent reports it.
    pub service: String,
    /// Further service names the rule covers.
    #[serde(default)]
    pub also_services: Vec<String>,
    /// Ports that match even when the service was not identified.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// Words of which one must appear in the service's product, version or evidence.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Installed programs the rule covers on a device with an agent: a program matches when its
    /// name contains one of these (case ignored).
    #[serde(default)]
    pub programs: Vec<String>,
    /// System services the rule covers on a device with an agent, by service name (case
    /// ignored; a systemd unit's `.service` suffix too); one matches while it runs or starts
    /// automatically.
    #[serde(default)]
    pub system_services: Vec<String>,
    /// Whether a match is a remote-maintenance path (checklist 2-②) whatever excuses it.
    #[serde(default)]
    pub remote_access: RemoteAccess,
    /// Whether a role profile listing the service excuses it.
    #[serde(default = "yes")]
    pub roles_may_allow: bool,
    /// Whether admin hosts are exempt.
    #[serde(default)]
    pub except_admin_hosts: bool,
    /// Whether the rule applies only to hosts inside a user subnet.
    #[serde(default)]
    pub only_in_user_subnets: bool,
    /// Why the service is risky and what to do, for the operator and the inspector.
    pub reason: String,
}

fn yes() -> bool {
    true
}

/// A role profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Display name (Japanese).
    pub label: String,
    /// Service names a device of this role may run.
    #[serde(default)]
    pub allowed: Vec<String>,
}

static BUILTIN: &str = include_str!("../../../config/policy.toml");

impl Policy {
    /// The default policy shipped with daicho (`config/policy.toml`).
    pub fn builtin() -> Self {
        Self::parse(BUILTIN, "built-in policy").expect("the shipped policy is valid")
    }

    /// Reads a policy file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            file: file.clone(),
            source,
        })?;
        Self::parse(&text, &file)
    }

    /// Parses policy text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, PolicyError> {
        let invalid = |message: String| PolicyError::Invalid {
            file: file.to_owned(),
            message,
        };
        let policy: Self =
            toml::from_str(text).map_err(|e| invalid(e.to_string().trim().to_owned()))?;
        let mut seen = std::collections::HashSet::new();
        for (i, rule) in policy.risky.iter().enumerate() {
            if !seen.insert(rule.id.as_str()) {
                return Err(invalid(format!(
                    "risky[{i}].id: `{}` is used twice",
                    rule.id
                )));
            }
            if rule.service.is_empty() || rule.service.chars().any(char::is_uppercase) {
                return Err(invalid(format!(
                    "risky[{i}].service: must be a lower-case service name"
                )));
            }
        }
        Ok(policy)
    }

    /// The role profile `id`, if defined.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_policy_parses_and_covers_the_checklist_services() {
        let p = Policy::builtin();
        for id in [
            "telnet",
            "ftp",
            "smbv1",
            "rdp",
            "vnc",
            "snmp-default-community",
            "teamviewer",
            "anydesk",
            "upnp",
            "llmnr",
        ] {
            assert!(p.risky.iter().any(|r| r.id == id), "{id}");
        }
        assert_eq!(p.role("ehr-server").unwrap().label, "電子カルテサーバ");
        assert_eq!(p.settings.unpatched_after_days, 45);
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let err = Policy::parse("[settings]\nunpatched_days = 3\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("p.toml:") && err.contains("unpatched_days"),
            "{err}"
        );
        let err = Policy::parse("[settings]\nuser_subnets = [\"10.0.0.0/33\"]\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("user_subnets"), "{err}");
        let dup = "[[risky]]\nid='a'\nservice='ftp'\nreason='x'\n[[risky]]\nid='a'\nservice='ftp'\nreason='x'\n";
        let err = Policy::parse(dup, "p.toml").unwrap_err().to_string();
        assert!(err.contains("risky[1].id"), "{err}");
    }
}
