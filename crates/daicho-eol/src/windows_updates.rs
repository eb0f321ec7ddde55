//! Windows' monthly security updates per build (`data/windows-updates.tsv`): which update build
//! revision (UBR) each brings, so a PC's own UBR says how far behind its patches are.

use chrono::NaiveDate;

use crate::data_in_use::DataInUse;
use crate::{DataError, stated_date};

/// One monthly security update of one Windows build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsUpdate {
    /// The build, the third number of `10.0.BUILD` (`19045`).
    pub build: u32,
    /// The update build revision it brings (`5854`).
    pub revision: u32,
    /// Its knowledge-base article (`KB5058379`).
    pub kb: String,
    /// The day it was released (the month's security-update day).
    pub released: NaiveDate,
    /// The Windows release the build is (`Windows 10 22H2`).
    pub release: String,
}

/// The list in use.
static LIST: DataInUse<Vec<WindowsUpdate>> =
    DataInUse::new(include_str!("../data/windows-updates.tsv"));

/// The date the list in use states in its `# date:` line: the day its rows were compiled.
pub fn list_date() -> Option<NaiveDate> {
    stated_date(LIST.text())
}

/// Where the list in use comes from: its `# source:` line.
pub fn list_source() -> &'static str {
    LIST.text()
        .lines()
        .find_map(|l| l.strip_prefix("# source:"))
        .map_or("unknown", str::trim)
}

/// Replaces the list in use, for the rest of the process, by `text` (the format of
/// `data/windows-updates.tsv`, from a data bundle); refused, with the list in use kept, when it
/// does not parse or states no date.
pub fn install_windows_updates(text: String) -> Result<(), DataError> {
    LIST.install_dated(text, "the bundle's windows-updates", parse)
}

/// The list in use: an installed bundle's, else the shipped one (parsed once).
pub fn all() -> &'static [WindowsUpdate] {
    LIST.get(|text| parse(text, "windows-updates.tsv").expect("shipped list is well-formed"))
}

/// The update a PC at `build` must have installed by `day`: of the newest month whose update
/// was released on or before `day`, the lowest revision (Microsoft sometimes lists two). `None`
/// when the list knows no update of that build released by then.
pub fn required_by(build: u32, day: NaiveDate) -> Option<&'static WindowsUpdate> {
    let of_build = || all().iter().filter(move |u| u.build == build);
    let newest = of_build()
        .filter(|u| u.released <= day)
        .map(|u| u.released)
        .max()?;
    of_build()
        .filter(|u| u.released == newest)
        .min_by_key(|u| u.revision)
}

/// The newest update of `build` whose revision is at most `revision`: what a PC at that UBR last
/// installed, when the list reaches back that far.
pub fn installed(build: u32, revision: u32) -> Option<&'static WindowsUpdate> {
    all()
        .iter()
        .filter(|u| u.build == build && u.revision <= revision)
        .max_by_key(|u| u.revision)
}

/// Parses the list: `#` comments, a header line, then one update per line with 5 columns
/// (build, revision, kb, released, release).
pub fn parse(text: &str, file: &'static str) -> Result<Vec<WindowsUpdate>, DataError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.starts_with("build\t") || line.trim().is_empty() {
            continue;
        }
        let err = |message: String| DataError::Malformed {
            file,
            line: i + 1,
            message,
        };
        let [build, revision, kb, released, release] = line.split('\t').collect::<Vec<_>>()[..]
        else {
            return Err(err(format!(
                "expected 5 tab-separated columns, found {}",
                line.split('\t').count()
            )));
        };
        let number = |what: &str, text: &str| {
            text.parse::<u32>()
                .map_err(|_| err(format!("{what} `{text}` is not a number")))
        };
        if !kb.starts_with("KB") {
            return Err(err(format!("kb `{kb}` does not start with KB")));
        }
        out.push(WindowsUpdate {
            build: number("build", build)?,
            revision: number("revision", revision)?,
            kb: kb.to_owned(),
            released: NaiveDate::parse_from_str(released, "%Y-%m-%d")
                .map_err(|_| err(format!("released `{released}` is not YYYY-MM-DD")))?,
            release: release.to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_shipped_list_parses_states_its_date_and_source() {
        assert!(all().len() > 100);
        assert_eq!(list_date(), Some(day("2026-04-09")));
        assert!(
            list_source().contains("release health"),
            "{}",
            list_source()
        );
        // Every row's release day is a Tuesday between the 8th and the 14th.
        for u in all() {
            assert_eq!(u.released.format("%a").to_string(), "Tue", "{u:?}");
            assert!(
                (8..=14).contains(&chrono::Datelike::day(&u.released)),
                "{u:?}"
            );
        }
    }

    #[test]
    fn the_required_update_is_the_newest_month_released_by_the_day() {
        let may = required_by(19045, day("2025-06-09")).unwrap();
        assert_eq!((may.revision, may.kb.as_str()), (5854, "KB5058379"));
        let june = required_by(19045, day("2025-06-10")).unwrap();
        assert_eq!(june.revision, 5965);
        assert_eq!(required_by(19045, day("2020-01-01")), None);
        assert_eq!(required_by(7601, day("2026-12-01")), None);
    }

    #[test]
    fn of_two_updates_in_a_month_the_lower_revision_is_required() {
        let dec = required_by(26100, day("2025-12-20")).unwrap();
        assert_eq!(dec.revision, 7392);
    }

    #[test]
    fn the_installed_update_is_the_newest_at_or_below_the_revision() {
        assert_eq!(installed(19045, 5900).unwrap().kb, "KB5058379");
        assert_eq!(installed(19045, 5854).unwrap().kb, "KB5058379");
        assert_eq!(installed(19045, 100), None);
    }

    #[test]
    fn malformed_rows_are_refused_with_their_line() {
        for (text, needle) in [
            (
                "build\trevision\tkb\treleased\trelease\n19045\t5854\tKB1\n",
                "5 tab",
            ),
            ("19045\tx\tKB1\t2025-05-13\tW\n", "revision `x`"),
            ("19045\t1\t5058379\t2025-05-13\tW\n", "KB"),
            ("19045\t1\tKB1\t13.05.2025\tW\n", "YYYY-MM-DD"),
        ] {
            let e = parse(text, "t").unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
        assert!(install_windows_updates("19045\t1\tKB1\t2025-05-13\tW\n".into()).is_err());
    }
}
