//! End-of-life dates and known-exploited firmware versions, shipped inside daicho.
//!
//! The data files in `data/` are the project's own format, derived from endoflife.date (MIT,
//! licence kept beside them) and from vendor advisories. They are compiled into the binary: a
//! hospital's collector has no network access to fetch them. [`snapshot_date`] tells how old
//! the end-of-life facts are, so reports can show it.

mod data_in_use;
mod dates;
pub mod exploited;
mod product;
pub mod version;
pub mod windows_updates;

pub use dates::{EolDb, Release, SupportStatus};
pub use exploited::{AffectedRange, KnownExploited, known_exploited};
pub use product::product_for_os;

use chrono::NaiveDate;

use data_in_use::DataInUse;

/// Why the shipped data could not be read. Only a broken build can cause it; tests guard it.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A line in a data file does not have the expected shape.
    #[error("{file} line {line}: {message}")]
    Malformed {
        /// The data file.
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// The EOL data in use.
static EOL: DataInUse<EolDb> = DataInUse::new(include_str!("../data/eol.tsv"));

/// The end-of-life database in use: an installed bundle's, else the one compiled into this
/// build.
pub fn eol_db() -> &'static EolDb {
    EOL.get(|text| EolDb::parse(text, "eol.tsv").expect("shipped eol.tsv is well-formed"))
}

/// Replaces the EOL data in use, for the rest of the process, by `text` (the format of
/// `data/eol.tsv`, from a data bundle); refused, with the data in use kept, when it does not
/// parse.
pub fn install_eol(text: String) -> Result<(), DataError> {
    let db = EolDb::parse(&text, "the bundle's eol")?;
    EOL.install(db, text);
    Ok(())
}

/// The date of the endoflife.date snapshot the data in use was taken from.
pub fn snapshot_date() -> NaiveDate {
    eol_db().snapshot()
}

/// Where the end-of-life data in use comes from: the first comment line of its `eol.tsv` (the
/// snapshot's project and commit).
pub fn eol_source() -> &'static str {
    EOL.text()
        .lines()
        .find_map(|l| l.strip_prefix('#'))
        .map(str::trim)
        .map_or("unknown", |l| {
            l.strip_prefix("daicho end-of-life data.")
                .map_or(l, str::trim)
        })
}

/// The `YYYY-MM-DD` that opens a `# date:` comment line of a data file's `text`, if any: the day
/// its rows were last checked against their sources.
pub(crate) fn stated_date(text: &str) -> Option<NaiveDate> {
    let rest = text
        .lines()
        .filter(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix("# date:"))?
        .trim();
    NaiveDate::parse_from_str(rest.get(..10)?, "%Y-%m-%d").ok()
}
