//! The `[alerts]` section of the collector's configuration.

use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;

use crate::channel::{Channel, Email, Webhook};

/// Why the alert configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value is not usable; the message names the key.
    #[error("alerts.{key}: {message}")]
    Invalid {
        /// The key under `[alerts]`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// Where alerts go and how often they are repeated.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// Hours after which an unacknowledged alert is sent again; absent: never.
    #[serde(default)]
    pub reminder_hours: Option<u32>,
    /// Seconds between alert passes (each ingest also triggers one at once).
    #[serde(default = "ten")]
    pub check_interval_secs: u64,
    /// Subnets where a randomised MAC deserves an alert (guest Wi-Fi is usually not one).
    #[serde(default)]
    pub randomized_mac_subnets: Vec<IpNet>,
    /// When one planning pass (one report) raises and reminds more than this many alerts, one
    /// digest goes out per channel instead of one message each (`daicho_alert::digested`).
    #[serde(default = "twenty")]
    pub digest_after: usize,
    /// Write every alert to the log too (default true).
    #[serde(default = "yes")]
    pub log: bool,
    /// A webhook receiving each alert as JSON.
    #[serde(default)]
    pub webhook: Option<WebhookConfig>,
    /// An SMTP relay and recipients.
    #[serde(default)]
    pub email: Option<EmailConfig>,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            reminder_hours: None,
            check_interval_secs: ten(),
            randomized_mac_subnets: Vec::new(),
            digest_after: twenty(),
            log: true,
            webhook: None,
            email: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// A webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The URL alerts are POSTed to.
    pub url: String,
    /// A file holding a bearer token to send, if the receiver wants one.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Seconds to wait for the receiver.
    #[serde(default = "ten")]
    pub timeout_secs: u64,
}

fn twenty() -> usize {
    20
}

fn ten() -> u64 {
    10
}

/// How to talk to the SMTP relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the same host or a trusted segment).
    None,
    /// Upgrade with STARTTLS (required).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// An SMTP relay and recipients.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// Relay host name or address.
    pub smtp_host: String,
    /// Relay port.
    #[serde(default = "smtp_port")]
    pub smtp_port: u16,
    /// Transport security.
    #[serde(default)]
    pub tls: SmtpTls,
    /// User name, when the relay wants authentication.
    #[serde(default)]
    pub username: Option<String>,
    /// File holding the password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Sender address.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
}

fn smtp_port() -> u16 {
    25
}

impl AlertConfig {
    /// Builds the delivery channels this configuration names, checking every value.
    pub fn channels(&self) -> Result<Vec<Channel>, ConfigError> {
        let mut channels = Vec::new();
        if self.log {
            channels.push(Channel::Log);
        }
        if let Some(webhook) = &self.webhook {
            if let Some(path) = &webhook.token_file {
                check_secret_mode("webhook.token_file", path)?;
            }
            channels.push(Channel::Webhook(Webhook::new(webhook)?));
        }
        if let Some(email) = &self.email {
            if let Some(path) = &email.password_file {
                check_secret_mode("email.password_file", path)?;
            }
            channels.push(Channel::Email(Email::new(email)?));
        }
        Ok(channels)
    }
}

/// Refuses a secret file that users other than its owner and group may read or write (any
/// "other" permission bit): 0600, or 0640 with the collector's group. The message names the
/// key, the file and the `chmod` that fixes it. A file that cannot be read is left to the
/// channel, which says so.
pub fn check_secret_mode(key: &str, path: &std::path::Path) -> Result<(), ConfigError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o007 != 0 {
                return Err(invalid(
                    key,
                    format!(
                        "{} is open to every user (mode {mode:03o}); run `chmod 600 {}` \
                         (or `chmod 640` with the collector's group as owner group)",
                        path.display(),
                        path.display()
                    ),
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (key, path);
    Ok(())
}

pub(crate) fn invalid(key: &str, message: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.to_string(),
    }
}
