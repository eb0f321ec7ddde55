//! The columns of the device ledger (機器台帳): one device's 13 ledger columns ([`LedgerRow`]),
//! its 状態 ([`DeviceStatus`]) and the export's row of a device ([`ExportRow`]).
//!
//! One record of these columns, shared by the ledger (`daicho-ledger`, which stores and matches
//! them) and the paper formats (`daicho-ledger-io`, which reads and writes them as cells).
//! How a column is headed or written as a cell is the paper formats'.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};

use crate::MacAddr;

/// One row of the device ledger (機器台帳), in the columns of the MHLW checklist manual's
/// example (2-①) plus the MAC address, which daicho matches devices by.
///
/// Text fields are trimmed; an empty string means the cell was blank.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LedgerRow {
    /// 管理番号: the operator's asset number. Required and unique within a ledger.
    pub asset_no: String,
    /// メーカー.
    pub maker: String,
    /// OS.
    pub os: String,
    /// ソフトウェア: the main application (電子カルテ, レセコン, …).
    pub software: String,
    /// ソフトウェアバージョン.
    pub software_version: String,
    /// IPアドレス.
    pub ip: Option<IpAddr>,
    /// コンピュータ名.
    pub computer_name: String,
    /// 設置場所.
    pub location: String,
    /// 利用者.
    pub user: String,
    /// 登録日.
    pub registered_on: Option<NaiveDate>,
    /// 状態 (稼働/停止/…).
    pub status: Option<DeviceStatus>,
    /// 説明.
    pub description: String,
    /// MACアドレス.
    pub mac: Option<MacAddr>,
}

/// 状態: whether the device is in use. The manual's example uses 稼働 and 停止; anything else an
/// operator writes is kept as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeviceStatus {
    /// 稼働: in use.
    Active,
    /// 停止: stopped (maintenance, spare).
    Stopped,
    /// 廃棄: disposed of; kept in the ledger for the record.
    Disposed,
    /// Anything else, verbatim.
    Other(String),
}

impl DeviceStatus {
    /// Reads a 状態 cell. 稼働/稼動/稼働中/使用中 are [`Self::Active`], 停止/停止中 are
    /// [`Self::Stopped`], 廃棄/廃棄済 are [`Self::Disposed`]; any other text is kept.
    /// Returns `None` for a blank cell.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        Some(match t {
            "" => return None,
            "稼働" | "稼動" | "稼働中" | "稼動中" | "使用中" => Self::Active,
            "停止" | "停止中" => Self::Stopped,
            "廃棄" | "廃棄済" | "廃棄済み" => Self::Disposed,
            other => Self::Other(other.to_owned()),
        })
    }

    /// The text written to the ledger.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "稼働",
            Self::Stopped => "停止",
            Self::Disposed => "廃棄",
            Self::Other(s) => s,
        }
    }

    /// True when the device is expected to be on the network.
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Active)
    }
}

impl fmt::Display for DeviceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device as the ledger export lists it: the ledger's own columns followed by what daicho
/// observed.
///
/// `F` is the flag type (`daicho_policy::Flag`, which this crate does not know); the ledger
/// fills it and the paper formats write it as `ExportRow<Flag>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow<F> {
    /// The ledger columns (including the MAC address).
    pub ledger: LedgerRow,
    /// ベンダー: the IEEE vendor of the MAC address.
    pub vendor: String,
    /// 最終確認日時: when an agent last saw the device (`None`: never seen).
    pub last_seen: Option<DateTime<Utc>>,
    /// 開放サービス: open services, as `name/protocol/port` or any short label.
    pub open_services: Vec<String>,
    /// フラグ: the checklist flags the device carries.
    pub flags: Vec<F>,
    /// 接続先: the switch and port a switch reading last placed it on (`sw-2f ポート 14`;
    /// empty when none did).
    pub switch_port: String,
}

// Not derived: a derive would ask `F: Default`, and a row without flags needs no default flag.
impl<F> Default for ExportRow<F> {
    fn default() -> Self {
        Self {
            ledger: LedgerRow::default(),
            vendor: String::new(),
            last_seen: None,
            open_services: Vec::new(),
            flags: Vec::new(),
            switch_port: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_cells_read_as_the_manual_writes_them() {
        for text in ["稼働", "稼動", "稼働中", "稼動中", "使用中", " 稼働 "] {
            assert_eq!(
                DeviceStatus::parse(text),
                Some(DeviceStatus::Active),
                "{text}"
            );
        }
        for text in ["停止", "停止中"] {
            assert_eq!(
                DeviceStatus::parse(text),
                Some(DeviceStatus::Stopped),
                "{text}"
            );
        }
        for text in ["廃棄", "廃棄済", "廃棄済み"] {
            assert_eq!(
                DeviceStatus::parse(text),
                Some(DeviceStatus::Disposed),
                "{text}"
            );
        }
        assert_eq!(DeviceStatus::parse("  "), None);
        assert_eq!(
            DeviceStatus::parse(" 貸出中 "),
            Some(DeviceStatus::Other("貸出中".into()))
        );
    }

    #[test]
    fn a_status_written_reads_back_the_same() {
        for status in [
            DeviceStatus::Active,
            DeviceStatus::Stopped,
            DeviceStatus::Disposed,
            DeviceStatus::Other("貸出中".into()),
        ] {
            assert_eq!(DeviceStatus::parse(status.as_str()), Some(status.clone()));
            assert_eq!(status.to_string(), status.as_str());
        }
        assert!(DeviceStatus::Active.is_active());
        assert!(!DeviceStatus::Stopped.is_active());
        assert!(!DeviceStatus::Other("稼働予定".into()).is_active());
    }

    #[test]
    fn an_export_row_defaults_to_blank_without_flags() {
        let row: ExportRow<()> = ExportRow::default();
        assert_eq!(row.ledger, LedgerRow::default());
        assert!(row.flags.is_empty() && row.open_services.is_empty());
    }
}
