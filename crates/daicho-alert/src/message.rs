//! The alert message: one JSON object for webhooks, the same facts as an email.

use std::fmt::Write as _;

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
    /// Many alerts of one planning pass at once ([`Digest`]).
    Digest,
}

/// How many devices a digest names; the rest are counted.
pub const DIGEST_SAMPLE: usize = 5;

/// The summary a digest carries instead of one message per alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// Alerts in the digest.
    pub alerts: usize,
    /// Their count by flag name (`unregistered`, `eol_os`, …), largest first.
    pub by_flag: Vec<(String, usize)>,
    /// The first few ([`DIGEST_SAMPLE`]).
    pub first: Vec<DigestItem>,
}

/// One alert named in a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestItem {
    /// The alert's id.
    pub alert_id: i64,
    /// The ledger device id.
    pub device_id: String,
    /// How a person recognises the device.
    pub device: String,
    /// The flag's name.
    pub flag: String,
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
    /// Present on a digest: the alerts it stands for (then `alert_id`, `device_id`, `device`
    /// and `flag` are those of its first alert).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
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
            digest: None,
        }
    }

    /// One digest for `alerts` (at least one; each its message as [`AlertMessage::new`] made
    /// it), sent at `now`, pointing to the console's 未登録機器 and アラート pages.
    pub fn digest(alerts: &[AlertMessage], now: DateTime<Utc>, reminder: bool) -> Option<Self> {
        let first = alerts.first()?;
        let mut by_flag: Vec<(String, usize)> = Vec::new();
        for a in alerts {
            let name = a.flag.kind.as_str();
            match by_flag.iter_mut().find(|(n, _)| n == name) {
                Some((_, n)) => *n += 1,
                None => by_flag.push((name.to_owned(), 1)),
            }
        }
        by_flag.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let again = if reminder { "【再通知】" } else { "" };
        let counts: Vec<String> = by_flag.iter().map(|(f, n)| format!("{f} {n}")).collect();
        let subject = format!(
            "[daicho] {again}アラート {} 件をまとめて通知: {}",
            alerts.len(),
            counts.join(", ")
        );
        let mut text = format!(
            "一度の受信で {} 件のアラートが発生したため、1 通にまとめて通知します。\n\n種別ごとの件数:\n",
            alerts.len()
        );
        for (f, n) in &by_flag {
            let _ = writeln!(text, "  - {f}: {n}");
        }
        text.push_str("\n最初の機器:\n");
        let sample: Vec<DigestItem> = alerts
            .iter()
            .take(DIGEST_SAMPLE)
            .map(|a| DigestItem {
                alert_id: a.alert_id,
                device_id: a.device_id.clone(),
                device: a.device.clone(),
                flag: a.flag.kind.as_str().to_owned(),
            })
            .collect();
        for item in &sample {
            let _ = writeln!(text, "  - {} ({})", item.device, item.flag);
        }
        if alerts.len() > sample.len() {
            let _ = writeln!(text, "  ほか {} 件", alerts.len() - sample.len());
        }
        text.push_str(
            "\n一覧と確認は管理コンソールで: 未登録機器 /triage、アラート /alerts\n\
             (各アラートは個別に記録され、確認 (ack) も個別にできます)\n",
        );
        Some(Self {
            alert_id: first.alert_id,
            kind: AlertKind::Digest,
            reminder,
            device_id: first.device_id.clone(),
            device: first.device.clone(),
            flag: first.flag.clone(),
            subject,
            text,
            raised_at: now,
            digest: Some(Digest {
                alerts: alerts.len(),
                by_flag,
                first: sample,
            }),
        })
    }
}
