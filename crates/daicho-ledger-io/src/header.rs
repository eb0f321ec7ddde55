//! Header mapping: which spreadsheet column holds which ledger field.
//!
//! Headers are compared by [`header_key`]: surrounding and inner
//! spaces, full-width/half-width letters and katakana, `・`, `_`, `-`, `.` and brackets do not
//! matter, and neither does a trailing long-vowel mark (`コンピューター名` = `コンピュータ名`).
//! Each field also accepts a few synonyms that hand-kept ledgers use (see [`ALIASES`]).

use std::collections::BTreeMap;

use crate::row::Column;
use crate::text::header_key;

/// The headers each column accepts, before folding. The first is the one the export writes.
pub const ALIASES: &[(Column, &[&str])] = &[
    (
        Column::AssetNo,
        &[
            "管理番号",
            "管理No",
            "管理NO.",
            "資産番号",
            "機器番号",
            "台帳番号",
        ],
    ),
    (
        Column::Maker,
        &["メーカー", "メーカ", "製造元", "製造者", "メーカー名"],
    ),
    (Column::Os, &["OS", "オペレーティングシステム"]),
    (
        Column::Software,
        &[
            "ソフトウェア",
            "ソフトウエア",
            "ソフト",
            "ソフトウェア名",
            "アプリケーション",
        ],
    ),
    (
        Column::SoftwareVersion,
        &[
            "ソフトウェアバージョン",
            "ソフトウエアバージョン",
            "ソフトバージョン",
            "バージョン",
            "Ver",
        ],
    ),
    (
        Column::Ip,
        &["IPアドレス", "IP", "IP Address", "IPv4アドレス", "IPv4"],
    ),
    (
        Column::ComputerName,
        &[
            "コンピュータ名",
            "コンピューター名",
            "ホスト名",
            "Hostname",
            "Host Name",
            "端末名",
            "機器名",
        ],
    ),
    (
        Column::Location,
        &["設置場所", "場所", "所在", "所在地", "設置場所（部署）"],
    ),
    (
        Column::User,
        &["利用者", "使用者", "利用者名", "ユーザー", "ユーザ"],
    ),
    (Column::RegisteredOn, &["登録日", "登録年月日", "登録日付"]),
    (
        Column::Status,
        &["状態", "ステータス", "稼働状況", "稼働状態"],
    ),
    (Column::Description, &["説明", "備考", "メモ"]),
    (
        Column::Mac,
        &[
            "MACアドレス",
            "MAC",
            "MAC Address",
            "物理アドレス",
            "Physical Address",
        ],
    ),
    (Column::Vendor, &["ベンダー", "ベンダ", "Vendor"]),
    (
        Column::LastSeen,
        &["最終確認日時", "最終確認日", "Last Seen"],
    ),
    (
        Column::OpenServices,
        &["開放サービス", "開放ポート", "Open Services"],
    ),
    (Column::Flags, &["フラグ", "Flags"]),
];

/// The column a header names, if any.
pub fn column_for(header: &str) -> Option<Column> {
    let key = header_key(header);
    if key.is_empty() {
        return None;
    }
    ALIASES
        .iter()
        .find(|(_, names)| names.iter().any(|n| header_key(n) == key))
        .map(|(column, _)| *column)
}

/// A header row, mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    /// Spreadsheet column index (0-based) of each recognised column.
    pub positions: BTreeMap<Column, usize>,
    /// Headers that matched nothing, as written; import ignores those columns.
    pub ignored: Vec<String>,
}

/// Why a header row cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Two columns map to the same field (e.g. both `IPアドレス` and `IP`).
    Duplicate {
        /// The field.
        column: Column,
        /// The two headers as written.
        headers: (String, String),
    },
}

/// Maps a header row. Blank header cells are skipped.
pub fn map_headers(cells: &[String]) -> Result<HeaderMap, HeaderProblem> {
    let mut positions: BTreeMap<Column, usize> = BTreeMap::new();
    let mut ignored = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
        if cell.trim().is_empty() {
            continue;
        }
        match column_for(cell) {
            Some(column) => {
                if let Some(&first) = positions.get(&column) {
                    return Err(HeaderProblem::Duplicate {
                        column,
                        headers: (cells[first].trim().to_owned(), cell.trim().to_owned()),
                    });
                }
                positions.insert(column, index);
            }
            None => ignored.push(cell.trim().to_owned()),
        }
    }
    Ok(HeaderMap { positions, ignored })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_map_to_the_same_column() {
        for h in [
            "IPアドレス",
            " IP アドレス",
            "ＩＰアドレス",
            "IP",
            "ip address",
            "ＩＰ　アドレス",
        ] {
            assert_eq!(column_for(h), Some(Column::Ip), "{h}");
        }
        for h in [
            "MACアドレス",
            "MAC",
            "ＭＡＣアドレス",
            "mac address",
            "MAC-Address",
        ] {
            assert_eq!(column_for(h), Some(Column::Mac), "{h}");
        }
        assert_eq!(column_for("ｺﾝﾋﾟｭｰﾀ名"), Some(Column::ComputerName));
        assert_eq!(column_for("コンピューター名"), Some(Column::ComputerName));
        assert_eq!(
            column_for("ソフトウエアバージョン"),
            Some(Column::SoftwareVersion)
        );
        assert_eq!(column_for("管理番号 "), Some(Column::AssetNo));
        assert_eq!(column_for("購入価格"), None);
        assert_eq!(column_for(""), None);
    }

    #[test]
    fn every_export_header_maps_back() {
        for column in Column::ALL {
            assert_eq!(column_for(column.header()), Some(column));
        }
    }

    #[test]
    fn aliases_do_not_collide() {
        let mut seen = std::collections::HashMap::new();
        for (column, names) in ALIASES {
            for n in *names {
                if let Some(other) = seen.insert(header_key(n), *column) {
                    assert_eq!(other, *column, "{n} maps to two columns");
                }
            }
        }
    }

    #[test]
    fn duplicate_field_is_a_problem() {
        let cells: Vec<String> = ["管理番号", "IPアドレス", "IP", "購入価格"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert!(matches!(
            map_headers(&cells),
            Err(HeaderProblem::Duplicate {
                column: Column::Ip,
                ..
            })
        ));
        let ok: Vec<String> = ["管理番号", "IPアドレス", "購入価格"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let map = map_headers(&ok).unwrap();
        assert_eq!(map.positions[&Column::Ip], 1);
        assert_eq!(map.ignored, vec!["購入価格".to_owned()]);
    }
}
