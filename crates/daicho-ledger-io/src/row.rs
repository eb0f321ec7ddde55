//! The ledger row in the MHLW example layout, and the richer row an export writes.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use daicho_model::MacAddr;
use daicho_policy::Flag;

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

/// A ledger row as the export writes it: the ledger's own columns followed by what daicho
/// observed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportRow {
    /// The ledger columns (including the MAC address).
    pub ledger: LedgerRow,
    /// ベンダー: the IEEE vendor of the MAC address.
    pub vendor: String,
    /// 最終確認日時: when an agent last saw the device.
    pub last_seen: Option<DateTime<Utc>>,
    /// 開放サービス: open services, as `name/protocol/port` or any short label.
    pub open_services: Vec<String>,
    /// フラグ: the checklist flags the device carries.
    pub flags: Vec<Flag>,
}

/// The columns daicho reads and writes, in export order: the twelve MHLW columns, then MAC and
/// the observed columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// 管理番号.
    AssetNo,
    /// メーカー.
    Maker,
    /// OS.
    Os,
    /// ソフトウェア.
    Software,
    /// ソフトウェアバージョン.
    SoftwareVersion,
    /// IPアドレス.
    Ip,
    /// コンピュータ名.
    ComputerName,
    /// 設置場所.
    Location,
    /// 利用者.
    User,
    /// 登録日.
    RegisteredOn,
    /// 状態.
    Status,
    /// 説明.
    Description,
    /// MACアドレス.
    Mac,
    /// ベンダー (export only; ignored on import).
    Vendor,
    /// 最終確認日時 (export only; ignored on import).
    LastSeen,
    /// 開放サービス (export only; ignored on import).
    OpenServices,
    /// フラグ (export only; ignored on import).
    Flags,
}

impl Column {
    /// Every column in export order.
    pub const ALL: [Self; 17] = [
        Self::AssetNo,
        Self::Maker,
        Self::Os,
        Self::Software,
        Self::SoftwareVersion,
        Self::Ip,
        Self::ComputerName,
        Self::Location,
        Self::User,
        Self::RegisteredOn,
        Self::Status,
        Self::Description,
        Self::Mac,
        Self::Vendor,
        Self::LastSeen,
        Self::OpenServices,
        Self::Flags,
    ];

    /// The columns a ledger row holds (what import reads).
    pub const LEDGER: [Self; 13] = [
        Self::AssetNo,
        Self::Maker,
        Self::Os,
        Self::Software,
        Self::SoftwareVersion,
        Self::Ip,
        Self::ComputerName,
        Self::Location,
        Self::User,
        Self::RegisteredOn,
        Self::Status,
        Self::Description,
        Self::Mac,
    ];

    /// The header the export writes, as in the MHLW example.
    pub fn header(self) -> &'static str {
        match self {
            Self::AssetNo => "管理番号",
            Self::Maker => "メーカー",
            Self::Os => "OS",
            Self::Software => "ソフトウェア",
            Self::SoftwareVersion => "ソフトウェアバージョン",
            Self::Ip => "IPアドレス",
            Self::ComputerName => "コンピュータ名",
            Self::Location => "設置場所",
            Self::User => "利用者",
            Self::RegisteredOn => "登録日",
            Self::Status => "状態",
            Self::Description => "説明",
            Self::Mac => "MACアドレス",
            Self::Vendor => "ベンダー",
            Self::LastSeen => "最終確認日時",
            Self::OpenServices => "開放サービス",
            Self::Flags => "フラグ",
        }
    }

    /// True for the columns only an export carries; import recognises and skips them.
    pub fn is_observed(self) -> bool {
        matches!(
            self,
            Self::Vendor | Self::LastSeen | Self::OpenServices | Self::Flags
        )
    }
}

impl LedgerRow {
    /// The row's value in `column` as the export writes it (`None` for observed columns).
    pub fn text(&self, column: Column) -> Option<String> {
        Some(match column {
            Column::AssetNo => self.asset_no.clone(),
            Column::Maker => self.maker.clone(),
            Column::Os => self.os.clone(),
            Column::Software => self.software.clone(),
            Column::SoftwareVersion => self.software_version.clone(),
            Column::Ip => self.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            Column::ComputerName => self.computer_name.clone(),
            Column::Location => self.location.clone(),
            Column::User => self.user.clone(),
            Column::RegisteredOn => self
                .registered_on
                .map(|d| d.format("%Y/%m/%d").to_string())
                .unwrap_or_default(),
            Column::Status => self
                .status
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            Column::Description => self.description.clone(),
            Column::Mac => self.mac.map(|m| m.to_string()).unwrap_or_default(),
            Column::Vendor | Column::LastSeen | Column::OpenServices | Column::Flags => {
                return None;
            }
        })
    }
}

/// The Japanese label of a flag kind, as the export's フラグ column and the checklist write it.
pub fn flag_label(kind: daicho_policy::FlagKind) -> &'static str {
    use daicho_policy::FlagKind as K;
    match kind {
        K::EolOs => "サポート終了OS",
        K::OsUnpatched => "パッチ未適用",
        K::VulnerableFirmware => "脆弱なファームウェア",
        K::UnneededService => "不要なサービス",
        K::Unregistered => "台帳未登録",
        K::RandomizedMac => "ランダムMAC",
        K::Missing => "所在不明",
    }
}
