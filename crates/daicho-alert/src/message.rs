//! The alert message: one JSON object for webhooks, the same facts as an email.

use chrono::{DateTime, Utc};
use daicho_policy::{Flag, FlagKind};
use serde::{Deserialize, Serialize};

/// Why the alert is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A device nobody registered appeared.
    Unregistered,
    /// A registered device has not been seen for too long.
    Missing,
    /// Any other checklist flag was newly raised.
    FlagRaised,
}

/// One alert as delivered. Webhooks receive exactly this as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertMessage {
    /// The alert's id in the collector.
    pub alert_id: i64,
    /// Why it is sent.
    pub kind: AlertKind,
    /// True when this is a reminder of an alert sent before.
    pub reminder: bool,
    /// The ledger device id.
    pub device_id: String,
    /// How a person recognises the device: IP, MAC, name, vendor.
    pub device: String,
    /// The flag behind the alert.
    pub flag: Flag,
    /// One-line subject (Japanese).
    pub subject: String,
    /// Body text (Japanese), for email and chat.
    pub text: String,
    /// When the flag was first raised.
    pub raised_at: DateTime<Utc>,
}

impl AlertMessage {
    /// Composes the message for `flag` on `device`.
    pub fn new(
        alert_id: i64,
        device_id: &str,
        device: &str,
        flag: &Flag,
        raised_at: DateTime<Utc>,
        reminder: bool,
    ) -> Self {
        let kind = match flag.kind {
            FlagKind::Unregistered => AlertKind::Unregistered,
            FlagKind::Missing => AlertKind::Missing,
            _ => AlertKind::FlagRaised,
        };
        let what = match flag.kind {
            FlagKind::Unregistered => "未登録の機器を検出しました",
            FlagKind::Missing => "登録機器が見つかりません",
            FlagKind::EolOs => "サポート終了の OS・ファームウェア",
            FlagKind::OsUnpatched => "更新プログラム未適用",
            FlagKind::VulnerableFirmware => "悪用が確認された脆弱性のあるファームウェア",
            FlagKind::UnneededService => "不要なサービスが稼働しています",
            FlagKind::RandomizedMac => "ランダム化 MAC アドレスの端末",
        };
        let again = if reminder { "【再通知】" } else { "" };
        let service = flag
            .service
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let subject = format!("[daicho] {again}{what}: {device}{service}");
        let mut text = format!(
            "{what}\n\n機器: {device}\n台帳ID: {device_id}\n種別: {} ({})\n初回検出: {}\n\n{}\n",
            flag.kind.as_str(),
            flag.code,
            raised_at.format("%Y-%m-%d %H:%M UTC"),
            flag.reason
        );
        if !flag.evidence.is_empty() {
            text.push_str("\n根拠:\n");
            for line in &flag.evidence {
                text.push_str("  - ");
                text.push_str(line);
                text.push('\n');
            }
        }
        Self {
            alert_id,
            kind,
            reminder,
            device_id: device_id.to_owned(),
            device: device.to_owned(),
            flag: flag.clone(),
            subject,
            text,
            raised_at,
        }
    }
}
