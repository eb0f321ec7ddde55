//! The ledger row in the MHLW example layout as paper holds it: its columns ([`Column`]), how
//! a row's value in a column is written ([`LedgerRowText`]) and the flag labels. The row and
//! its 状態 themselves are `daicho-model`'s ([`LedgerRow`], [`DeviceStatus`]), re-exported here.

use daicho_policy::Flag;

pub use daicho_model::ledger_columns::{DeviceStatus, LedgerRow};

/// A ledger row as the export writes it: the ledger's own columns followed by what daicho
/// observed, its flags being `daicho-policy`'s.
pub type ExportRow = daicho_model::ledger_columns::ExportRow<Flag>;

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
    /// 接続先: switch and port (export only; ignored on import).
    SwitchPort,
}

impl Column {
    /// Every column in export order.
    pub const ALL: [Self; 18] = [
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
        Self::SwitchPort,
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
            Self::SwitchPort => "接続先",
        }
    }

    /// True for the columns only an export carries; import recognises and skips them.
    pub fn is_observed(self) -> bool {
        matches!(
            self,
            Self::Vendor | Self::LastSeen | Self::OpenServices | Self::Flags | Self::SwitchPort
        )
    }
}

/// A ledger row's cells as paper writes them.
pub trait LedgerRowText {
    /// The row's value in `column` as the export writes it (`None` for observed columns).
    fn text(&self, column: Column) -> Option<String>;
}

impl LedgerRowText for LedgerRow {
    fn text(&self, column: Column) -> Option<String> {
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
            Column::Vendor
            | Column::LastSeen
            | Column::OpenServices
            | Column::Flags
            | Column::SwitchPort => {
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
