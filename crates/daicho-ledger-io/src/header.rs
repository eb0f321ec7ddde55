//! Header mapping: which spreadsheet column holds which ledger field.
//!
//! Headers are compared by [`header_key`]: surrounding and inner
//! spaces, full-width/half-width letters and katakana, `・`, `_`, `-`, `.` and brackets do not
//! matter, and neither does a trailing long-vowel mark (`コンピューター名` = `コンピュータ名`).
//! Each field also accepts a few synonyms that hand-kept ledgers use (see [`ALIASES`]), and an
//! operator's [`ColumnMapping`] names the rest; a mapped header wins over the synonyms.

use std::collections::BTreeMap;

use crate::mapping::{ColumnMapping, MappedTo};
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
            "資産管理番号",
            "備品番号",
            "機器番号",
            "台帳番号",
        ],
    ),
    (
        Column::Maker,
        &[
            "メーカー",
            "メーカ",
            "製造元",
            "製造者",
            "製造会社",
            "メーカー名",
        ],
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
            "端末名称",
            "PC名",
            "機器名",
        ],
    ),
    (
        Column::Location,
        &[
            "設置場所",
            "場所",
            "所在",
            "所在地",
            "設置場所（部署）",
            "設置先",
            "設置部署",
        ],
    ),
    (
        Column::User,
        &[
            "利用者",
            "使用者",
            "利用者名",
            "使用者名",
            "ユーザー",
            "ユーザ",
            "担当者",
            "使用部署",
            "利用部署",
        ],
    ),
    (
        Column::RegisteredOn,
        &[
            "登録日",
            "登録年月日",
            "登録日付",
            "導入日",
            "導入年月日",
            "購入日",
            "購入年月日",
            "設置日",
            "設置年月日",
        ],
    ),
    (
        Column::Status,
        &[
            "状態",
            "ステータス",
            "稼働状況",
            "稼働状態",
            "稼動状況",
            "使用状況",
        ],
    ),
    (
        Column::Description,
        &["説明", "備考", "メモ", "備考欄", "特記事項"],
    ),
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
    (Column::SwitchPort, &["接続先", "接続ポート", "Switch Port"]),
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
    /// Headers that are not read, as written: those that matched nothing and those the mapping
    /// says to ignore.
    pub ignored: Vec<String>,
    /// The headers that matched nothing and that the mapping does not name, with their column
    /// index (0-based): what a mapping step has to ask about.
    pub unknown: Vec<(usize, String)>,
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

/// Maps a header row by the built-in synonyms only. Blank header cells are skipped.
pub fn map_headers(cells: &[String]) -> Result<HeaderMap, HeaderProblem> {
    map_headers_with(cells, &ColumnMapping::new())
}

/// Maps a header row: a header the mapping names goes where the mapping says (a column, or
/// ignored), any other by the built-in synonyms. Blank header cells are skipped.
pub fn map_headers_with(
    cells: &[String],
    mapping: &ColumnMapping,
) -> Result<HeaderMap, HeaderProblem> {
    let mut positions: BTreeMap<Column, usize> = BTreeMap::new();
    let mut ignored = Vec::new();
    let mut unknown = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
        if cell.trim().is_empty() {
            continue;
        }
        let column = match mapping.get(cell) {
            Some(MappedTo::Column(column)) => Some(column),
            Some(MappedTo::Ignore) => {
                ignored.push(cell.trim().to_owned());
                continue;
            }
            None => column_for(cell),
        };
        let Some(column) = column else {
            ignored.push(cell.trim().to_owned());
            unknown.push((index, cell.trim().to_owned()));
            continue;
        };
        if let Some(&first) = positions.get(&column) {
            return Err(HeaderProblem::Duplicate {
                column,
                headers: (cells[first].trim().to_owned(), cell.trim().to_owned()),
            });
        }
        positions.insert(column, index);
    }
    Ok(HeaderMap {
        positions,
        ignored,
        unknown,
    })
}

/// The spreadsheet letter of a 0-based column index: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
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
        assert_eq!(map.unknown, vec![(2, "購入価格".to_owned())]);
    }

    #[test]
    fn hand_kept_synonyms() {
        for (h, c) in [
            ("導入日", Column::RegisteredOn),
            ("購入日", Column::RegisteredOn),
            ("設置日", Column::RegisteredOn),
            ("使用者", Column::User),
            ("担当者", Column::User),
            ("使用部署", Column::User),
            ("備考", Column::Description),
            ("メモ", Column::Description),
            ("ホスト名", Column::ComputerName),
            ("端末名", Column::ComputerName),
            ("ＰＣ名", Column::ComputerName),
        ] {
            assert_eq!(column_for(h), Some(c), "{h}");
        }
        // No model column: 機種 is the operator's to map.
        assert_eq!(column_for("機種"), None);
        assert_eq!(column_for("型番"), None);
    }

    #[test]
    fn a_mapped_header_wins_over_the_synonyms() {
        let cells: Vec<String> = ["管理番号", "ホスト名", "機器名", "機種", "購入価格"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        // 機器名 and ホスト名 are both コンピュータ名 by the synonyms.
        assert!(map_headers(&cells).is_err());
        let mapping: ColumnMapping = [
            ("機器名", MappedTo::Column(Column::Description)),
            ("機種", MappedTo::Ignore),
        ]
        .into_iter()
        .collect();
        let map = map_headers_with(&cells, &mapping).unwrap();
        assert_eq!(map.positions[&Column::ComputerName], 1);
        assert_eq!(map.positions[&Column::Description], 2);
        assert_eq!(map.ignored, vec!["機種".to_owned(), "購入価格".to_owned()]);
        assert_eq!(map.unknown, vec![(4, "購入価格".to_owned())]);
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
