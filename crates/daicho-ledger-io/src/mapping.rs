//! The operator's column mapping: which ledger column a header the built-in synonyms do not
//! know (導入日, 機種, 旧管理No …) stands for, or that it is to be ignored.
//!
//! Headers are compared by [`header_key`], as the built-in synonyms are, so `導入 日` and
//! `導入日` are one entry. A mapped header wins over the synonyms. The mapping serialises to a
//! plain JSON object, header → column header or `"ignore"`, so a caller can store it and offer
//! it again at the next import:
//!
//! ```json
//! {"導入日": "登録日", "機種": "説明", "購入価格": "ignore"}
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::header::column_for;
use crate::row::Column;
use crate::text::header_key;

/// What a mapped header stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum MappedTo {
    /// A ledger column (one of [`Column::LEDGER`]).
    Column(Column),
    /// The column is not read and not reported as unmapped.
    Ignore,
}

impl MappedTo {
    /// The text a mapping is written with: the column's header (`登録日`) or `ignore`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Column(column) => column.header(),
            Self::Ignore => "ignore",
        }
    }
}

impl fmt::Display for MappedTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MappedTo {
    type Err = MappingError;

    /// Reads `ignore` (or `無視`), or a ledger column by its header or any built-in synonym
    /// (`登録日`, `備考`, `IP`). Observed columns such as ベンダー are not import targets.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let key = header_key(text);
        if key == "ignore" || key == "無視" {
            return Ok(Self::Ignore);
        }
        match column_for(text) {
            Some(column) if Column::LEDGER.contains(&column) => Ok(Self::Column(column)),
            _ => Err(MappingError::UnknownColumn {
                text: text.trim().to_owned(),
            }),
        }
    }
}

impl TryFrom<String> for MappedTo {
    type Error = MappingError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<MappedTo> for String {
    fn from(to: MappedTo) -> Self {
        to.as_str().to_owned()
    }
}

/// Why a mapping entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// The target is not a ledger column nor `ignore`.
    #[error(
        "「{text}」は台帳の列ではありません（使える列: {}、または ignore）/ not a ledger column: {text}",
        ledger_headers()
    )]
    UnknownColumn {
        /// The target as written.
        text: String,
    },
    /// The header is blank (or only spaces and marks the comparison drops).
    #[error("見出しが空です / empty header in a column mapping")]
    EmptyHeader,
    /// An entry is not written `HEADER=COLUMN`.
    #[error(
        "「{text}」は 見出し=列 の形ではありません（例: 導入日=登録日）/ expected HEADER=COLUMN"
    )]
    NotAnEntry {
        /// The entry as written.
        text: String,
    },
    /// Two entries name the same header (after the comparison's normalisation).
    #[error("見出し「{first}」と「{second}」は同じ見出しです / the same header mapped twice")]
    SameHeader {
        /// The first header as written.
        first: String,
        /// The second header as written.
        second: String,
    },
}

fn ledger_headers() -> String {
    Column::LEDGER
        .iter()
        .map(|c| c.header())
        .collect::<Vec<_>>()
        .join("、")
}

/// Header text → ledger column or ignore, chosen by the operator; see the [module](self) docs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, MappedTo>",
    into = "BTreeMap<String, MappedTo>"
)]
pub struct ColumnMapping {
    /// Keyed by the header as the operator wrote it; no two keys share a [`header_key`].
    entries: BTreeMap<String, MappedTo>,
}

impl ColumnMapping {
    /// An empty mapping: only the built-in synonyms apply.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `header` to `to`, replacing an entry for the same header (compared by
    /// [`header_key`]) and returning what it said.
    pub fn insert(&mut self, header: &str, to: MappedTo) -> Result<Option<MappedTo>, MappingError> {
        let key = header_key(header);
        if key.is_empty() {
            return Err(MappingError::EmptyHeader);
        }
        let old = self
            .entries
            .keys()
            .find(|k| header_key(k) == key)
            .cloned()
            .and_then(|k| self.entries.remove(&k));
        self.entries.insert(header.trim().to_owned(), to);
        Ok(old)
    }

    /// What `header` is mapped to, if the operator mapped it.
    pub fn get(&self, header: &str) -> Option<MappedTo> {
        let key = header_key(header);
        if key.is_empty() {
            return None;
        }
        self.entries
            .iter()
            .find(|(k, _)| header_key(k) == key)
            .map(|(_, to)| *to)
    }

    /// The entries, as written, in header order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, MappedTo)> {
        self.entries.iter().map(|(k, to)| (k.as_str(), *to))
    }

    /// How many headers are mapped.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reads one `HEADER=COLUMN` entry, as the command line's `--map` takes it
    /// (`導入日=登録日`, `購入価格=ignore`). The last `=` separates, so a header may contain one.
    pub fn parse_entry(text: &str) -> Result<(String, MappedTo), MappingError> {
        let Some((header, column)) = text.rsplit_once('=') else {
            return Err(MappingError::NotAnEntry {
                text: text.to_owned(),
            });
        };
        if header_key(header).is_empty() {
            return Err(MappingError::EmptyHeader);
        }
        Ok((header.trim().to_owned(), column.parse()?))
    }
}

impl TryFrom<BTreeMap<String, MappedTo>> for ColumnMapping {
    type Error = MappingError;

    fn try_from(entries: BTreeMap<String, MappedTo>) -> Result<Self, Self::Error> {
        let mut mapping = Self::new();
        for (header, to) in entries {
            if let Some((first, _)) = mapping
                .entries
                .iter()
                .find(|(k, _)| header_key(k) == header_key(&header))
            {
                return Err(MappingError::SameHeader {
                    first: first.clone(),
                    second: header,
                });
            }
            mapping.insert(&header, to)?;
        }
        Ok(mapping)
    }
}

impl From<ColumnMapping> for BTreeMap<String, MappedTo> {
    fn from(mapping: ColumnMapping) -> Self {
        mapping.entries
    }
}

impl<'a> FromIterator<(&'a str, MappedTo)> for ColumnMapping {
    /// Builds a mapping; a later entry for the same header replaces an earlier one, and blank
    /// headers are left out.
    fn from_iter<I: IntoIterator<Item = (&'a str, MappedTo)>>(iter: I) -> Self {
        let mut mapping = Self::new();
        for (header, to) in iter {
            let _ = mapping.insert(header, to);
        }
        mapping
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_and_compare_like_headers() {
        let (header, to) = ColumnMapping::parse_entry("導入日=登録日").unwrap();
        assert_eq!(
            (header.as_str(), to),
            ("導入日", MappedTo::Column(Column::RegisteredOn))
        );
        assert_eq!(
            ColumnMapping::parse_entry("購入価格 = IGNORE").unwrap().1,
            MappedTo::Ignore
        );
        assert_eq!(
            ColumnMapping::parse_entry("機種=備考").unwrap().1,
            MappedTo::Column(Column::Description)
        );
        assert!(matches!(
            ColumnMapping::parse_entry("機種=ベンダー"),
            Err(MappingError::UnknownColumn { .. })
        ));
        assert!(matches!(
            ColumnMapping::parse_entry("機種"),
            Err(MappingError::NotAnEntry { .. })
        ));
        assert_eq!(
            ColumnMapping::parse_entry(" =登録日"),
            Err(MappingError::EmptyHeader)
        );

        let mut mapping = ColumnMapping::new();
        mapping
            .insert("導入 日", MappedTo::Column(Column::RegisteredOn))
            .unwrap();
        assert_eq!(
            mapping.get("導入日"),
            Some(MappedTo::Column(Column::RegisteredOn))
        );
        assert_eq!(
            mapping.insert("導入日", MappedTo::Ignore).unwrap(),
            Some(MappedTo::Column(Column::RegisteredOn))
        );
        assert_eq!(mapping.len(), 1);
        assert_eq!(mapping.get("購入日"), None);
    }
}
