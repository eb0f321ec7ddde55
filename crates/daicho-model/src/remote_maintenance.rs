//! The remote-maintenance register's record (checklist 2-②): who maintains a device and
//! whether they reach it remotely, as the vendor confirmed. Shared by the ledger, which stores
//! it, and the paper formats (the checklist, the vendor's confirmation sheet).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest 保守事業者, 接続方法 or 確認した担当者 the register keeps, in characters (operator
/// or vendor input: from the console, the command line or a returned sheet).
pub const MAX_REGISTER_TEXT_CHARS: usize = 200;

/// Whether the vendor maintains the device remotely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RemoteUse {
    /// Yes: the vendor reaches it from outside.
    Yes,
    /// No.
    No,
    /// Not yet known.
    #[default]
    Unknown,
}

impl RemoteUse {
    /// The stored and API word: `yes`, `no`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Unknown => "unknown",
        }
    }

    /// The word on paper: あり, なし, 未確認.
    pub fn label(self) -> &'static str {
        match self {
            Self::Yes => "あり",
            Self::No => "なし",
            Self::Unknown => "未確認",
        }
    }

    /// Reads the stored word, or the paper's (あり/有/はい, なし/無/いいえ, 未確認/不明/blank).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_lowercase().as_str() {
            "yes" | "あり" | "有" | "有り" | "はい" => Some(Self::Yes),
            "no" | "なし" | "無" | "無し" | "いいえ" => Some(Self::No),
            "unknown" | "未確認" | "不明" | "" => Some(Self::Unknown),
            _ => None,
        }
    }
}

/// One device's entry in the register (a field left out of JSON is blank).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RemoteMaintenance {
    /// 保守事業者.
    pub vendor: String,
    /// Whether the vendor maintains it remotely.
    pub remote: RemoteUse,
    /// How (`SSL-VPN (FortiGate)`, `TeamViewer`), as the vendor says.
    pub method: String,
    /// Who at the vendor confirmed it (事業者の担当者).
    pub confirmed_with: String,
    /// The day they confirmed it.
    pub confirmed_on: Option<NaiveDate>,
}

impl RemoteMaintenance {
    /// True when the vendor has answered: remote use known, the person and the day recorded.
    pub fn is_confirmed(&self) -> bool {
        self.remote != RemoteUse::Unknown
            && !self.confirmed_with.trim().is_empty()
            && self.confirmed_on.is_some()
    }

    /// The record with its texts trimmed, or the name of the first field over
    /// [`MAX_REGISTER_TEXT_CHARS`] or holding a control character.
    pub fn checked(mut self) -> Result<Self, &'static str> {
        for (field, text) in [
            ("vendor", &mut self.vendor),
            ("method", &mut self.method),
            ("confirmed_with", &mut self.confirmed_with),
        ] {
            *text = text.trim().to_owned();
            if text.chars().count() > MAX_REGISTER_TEXT_CHARS || text.chars().any(char::is_control)
            {
                return Err(field);
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_in_both_languages_and_confirmation_needs_who_and_when() {
        assert_eq!(RemoteUse::parse("あり"), Some(RemoteUse::Yes));
        assert_eq!(RemoteUse::parse(" 無 "), Some(RemoteUse::No));
        assert_eq!(RemoteUse::parse("NO"), Some(RemoteUse::No));
        assert_eq!(RemoteUse::parse(""), Some(RemoteUse::Unknown));
        assert_eq!(RemoteUse::parse("たぶん"), None);
        let mut r = RemoteMaintenance {
            vendor: "A社".into(),
            remote: RemoteUse::Yes,
            ..RemoteMaintenance::default()
        };
        assert!(!r.is_confirmed());
        r.confirmed_with = "山田".into();
        r.confirmed_on = NaiveDate::from_ymd_opt(2026, 12, 1);
        assert!(r.is_confirmed());
        assert_eq!(
            RemoteMaintenance {
                vendor: "x".repeat(201),
                ..RemoteMaintenance::default()
            }
            .checked(),
            Err("vendor")
        );
        assert_eq!(
            RemoteMaintenance {
                method: "a\u{1b}[2J".into(),
                ..RemoteMaintenance::default()
            }
            .checked(),
            Err("method")
        );
    }
}
