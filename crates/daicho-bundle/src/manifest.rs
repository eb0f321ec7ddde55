//! What a bundle holds: numbered by a serial, each data set with its date and digest.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::to_hex;

/// The data sets a bundle may carry, each replacing the file of that name compiled into the
/// binaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataSetName {
    /// The IEEE MA-L/MA-M/MA-S registry (`daicho-oui`'s `ieee-prefixes.tsv`).
    IeeeRegistry,
    /// End-of-life dates (`daicho-eol`'s `eol.tsv`).
    Eol,
    /// Known-exploited firmware (`daicho-eol`'s `known-exploited.tsv`).
    KnownExploited,
    /// Service identification rules (`daicho-fingerprint`'s `service-rules.toml`).
    ServiceRules,
    /// OS inference rules (`daicho-fingerprint`'s `os-rules.toml`).
    OsRules,
    /// Medical device makers (`daicho-fingerprint`'s `medical-vendors.toml`).
    MedicalVendors,
    /// Windows' monthly security updates per build (`daicho-eol`'s `windows-updates.tsv`).
    WindowsUpdates,
}

impl DataSetName {
    /// Every data set, in the order `data status` lists them.
    pub const ALL: [Self; 7] = [
        Self::IeeeRegistry,
        Self::Eol,
        Self::KnownExploited,
        Self::ServiceRules,
        Self::OsRules,
        Self::MedicalVendors,
        Self::WindowsUpdates,
    ];

    /// The name in a bundle and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IeeeRegistry => "ieee-registry",
            Self::Eol => "eol",
            Self::KnownExploited => "known-exploited",
            Self::ServiceRules => "service-rules",
            Self::OsRules => "os-rules",
            Self::MedicalVendors => "medical-vendors",
            Self::WindowsUpdates => "windows-updates",
        }
    }
}

impl fmt::Display for DataSetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DataSetName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|n| n.as_str()).collect();
                format!("data set `{s}` is not one of {}", names.join(", "))
            })
    }
}

/// One data set: its text, as the file it replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSet {
    /// Which.
    pub name: DataSetName,
    /// The date of its content (the registry's date, the EOL snapshot, the list's review).
    pub date: NaiveDate,
    /// Where it comes from, for people (e.g. `npm oui-data 1.1.384`).
    #[serde(default)]
    pub source: String,
    /// SHA-256 of `content`, hex.
    pub sha256: String,
    /// The file's text.
    pub content: String,
}

impl DataSet {
    /// A data set over `content`, its digest computed.
    pub fn new(name: DataSetName, date: NaiveDate, source: &str, content: String) -> Self {
        Self {
            name,
            date,
            source: source.to_owned(),
            sha256: sha256_hex(&content),
            content,
        }
    }

    /// Whether `sha256` is the digest of `content`.
    pub fn is_intact(&self) -> bool {
        sha256_hex(&self.content) == self.sha256
    }
}

/// The signed part of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Increases with every bundle a publisher signs; an older one is never installed.
    pub serial: u64,
    /// When it was built.
    pub created_at: DateTime<Utc>,
    /// Its data sets, each at most once. A set this build does not know (a newer publisher's)
    /// is left out when the manifest is read, so an older agent or collector still takes the
    /// sets it knows from a newer bundle.
    #[serde(deserialize_with = "known_datasets")]
    pub datasets: Vec<DataSet>,
}

/// The manifest's data sets whose name this build knows; a known set that does not read is an
/// error, as before.
fn known_datasets<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<DataSet>, D::Error> {
    use serde::de::Error as _;
    let entries: Vec<serde_json::Value> = Vec::deserialize(d)?;
    entries
        .into_iter()
        .filter(|entry| {
            entry
                .get("name")
                .and_then(serde_json::Value::as_str)
                .is_none_or(|name| name.parse::<DataSetName>().is_ok())
        })
        .map(|entry| DataSet::deserialize(entry).map_err(D::Error::custom))
        .collect()
}

impl Manifest {
    /// The data set `name`, when the bundle carries it.
    pub fn dataset(&self, name: DataSetName) -> Option<&DataSet> {
        self.datasets.iter().find(|d| d.name == name)
    }
}

fn sha256_hex(text: &str) -> String {
    to_hex(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_this_build_does_not_know_is_left_out_and_a_broken_known_one_refused() {
        let set = |name: &str, date: &str| {
            format!(
                r#"{{"name":"{name}","date":"{date}","source":"s","sha256":"x","content":"c"}}"#
            )
        };
        let manifest = |sets: &[String]| {
            format!(
                r#"{{"serial":7,"created_at":"2026-12-07T00:00:00Z","datasets":[{}]}}"#,
                sets.join(",")
            )
        };
        let read: Manifest = serde_json::from_str(&manifest(&[
            set("eol", "2026-08-22"),
            set("switch-vendors", "2027-01-01"),
        ]))
        .unwrap();
        assert_eq!(read.datasets.len(), 1);
        assert_eq!(read.datasets[0].name, DataSetName::Eol);
        assert!(serde_json::from_str::<Manifest>(&manifest(&[set("eol", "soon")])).is_err());
    }
}
