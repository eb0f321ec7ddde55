//! The data sets daicho uses and how current each is: the one list behind
//! `daicho-collector data status`, `daicho-agent data status` and the `data` of every report;
//! and putting a data bundle into use ([`apply`]).
//!
//! Each set is named as in a data bundle (`daicho_bundle::DataSetName`, in its order); its
//! date and source are read from the data in use itself (the registry's header, the EOL
//! snapshot line, the known-exploited list's `# date:` line), never written here. The compiled-in
//! rule files state no date: they are versioned with the binary, so their source names the
//! daicho version that carries them; a bundle's rules carry the bundle's date.

use std::fmt::Write as _;

mod apply;

pub use apply::{ApplyError, applied_serial, apply, mac_facts, resolve_report};

use chrono::NaiveDate;
use daicho_bundle::DataSetName;
use daicho_model::DataVersion;

/// The daicho version these binaries (and so their built-in rules) are.
const DAICHO_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every data set in use (compiled in, or from an applied bundle), in `data status` order.
pub fn in_use() -> Vec<DataVersion> {
    DataSetName::ALL
        .into_iter()
        .map(|name| {
            let (date, source) = match name {
                DataSetName::IeeeRegistry => (
                    NaiveDate::parse_from_str(daicho_oui::registry_date(), "%Y-%m-%d").ok(),
                    daicho_oui::registry_source().to_owned(),
                ),
                DataSetName::Eol => (
                    Some(daicho_eol::snapshot_date()),
                    daicho_eol::eol_source().to_owned(),
                ),
                DataSetName::KnownExploited => (
                    daicho_eol::exploited::list_date(),
                    format!("daicho {DAICHO_VERSION}: vendor advisories and CISA KEV"),
                ),
                DataSetName::WindowsUpdates => (
                    daicho_eol::windows_updates::list_date(),
                    daicho_eol::windows_updates::list_source().to_owned(),
                ),
                DataSetName::ServiceRules | DataSetName::OsRules | DataSetName::MedicalVendors => {
                    apply::applied_set(name).map_or_else(
                        || (None, format!("built into daicho {DAICHO_VERSION}")),
                        |(date, source)| (Some(date), source),
                    )
                }
            };
            DataVersion {
                name: name.as_str().to_owned(),
                date,
                source,
            }
        })
        .collect()
}

/// The sets as aligned columns: name, date and its age on `today`, source.
pub fn render_table(sets: &[DataVersion], today: NaiveDate) -> String {
    let width = sets.iter().map(|s| s.name.len()).max().unwrap_or(0).max(8);
    let mut out = format!(
        "{:width$}  {:10}  {:>8}  source\n",
        "data set", "date", "age"
    );
    for set in sets {
        let (date, age) = set.date.map_or_else(
            || ("-".to_owned(), "-".to_owned()),
            |d| (d.to_string(), format!("{} d", (today - d).num_days())),
        );
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "{:width$}  {date:10}  {age:>8}  {}",
            set.name, set.source
        );
    }
    out
}

/// The sets as a JSON array of `{name, date, source}` (`--format json`).
pub fn render_json(sets: &[DataVersion]) -> String {
    // Plain data with string keys: serialising cannot fail.
    let mut json = serde_json::to_string_pretty(sets).expect("data versions serialise");
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_set_is_listed_in_bundle_order_with_what_its_data_states() {
        let sets = in_use();
        let names: Vec<&str> = sets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ieee-registry",
                "eol",
                "known-exploited",
                "service-rules",
                "os-rules",
                "medical-vendors",
                "windows-updates"
            ]
        );
        let registry = &sets[0];
        assert_eq!(
            registry.date.map(|d| d.to_string()).as_deref(),
            Some(daicho_oui::registry_date())
        );
        assert!(registry.source.contains("oui-data"), "{}", registry.source);
        assert!(registry.date > NaiveDate::from_ymd_opt(2022, 8, 27));
        assert_eq!(sets[1].date, Some(daicho_eol::snapshot_date()));
        assert!(
            sets[1].source.contains("endoflife.date"),
            "{}",
            sets[1].source
        );
        assert!(sets[2].date.is_some(), "known-exploited.tsv states no date");
        assert!(sets[3..6].iter().all(|s| s.date.is_none()));
        assert_eq!(sets[6].date, daicho_eol::windows_updates::list_date());
        assert!(
            sets[6].source.contains("release health"),
            "{}",
            sets[6].source
        );
    }

    #[test]
    fn table_and_json() {
        let sets = vec![
            DataVersion {
                name: "ieee-registry".into(),
                date: NaiveDate::from_ymd_opt(2026, 8, 26),
                source: "npm oui-data 2.1.9".into(),
            },
            DataVersion {
                name: "os-rules".into(),
                date: None,
                source: "built into daicho 0.1.0".into(),
            },
        ];
        let table = render_table(&sets, NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        assert_eq!(
            table,
            "data set       date             age  source\n\
             ieee-registry  2026-08-26      98 d  npm oui-data 2.1.9\n\
             os-rules       -                  -  built into daicho 0.1.0\n"
        );
        let back: Vec<DataVersion> = serde_json::from_str(&render_json(&sets)).unwrap();
        assert_eq!(back, sets);
        assert!(render_json(&sets).contains("\"date\": null"));
    }
}
