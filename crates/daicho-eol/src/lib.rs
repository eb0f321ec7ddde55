//! End-of-life dates and known-exploited firmware versions, shipped inside daicho.
//!
//! The data files in `data/` are the project's own format, derived from endoflife.date (MIT,
//! licence kept beside them) and from vendor advisories. They are compiled into the binary: a
//! hospital's collector has no network access to fetch them. [`snapshot_date`] tells how old
//! the end-of-life facts are, so reports can show it.

mod dates;
pub mod exploited;
mod product;
pub mod version;

pub use dates::{EolDb, Release, SupportStatus};
pub use exploited::{AffectedRange, KnownExploited, known_exploited};
pub use product::product_for_os;

use std::sync::OnceLock;

use chrono::NaiveDate;

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

static EOL_TSV: &str = include_str!("../data/eol.tsv");

/// The end-of-life database compiled into this build.
pub fn eol_db() -> &'static EolDb {
    static DB: OnceLock<EolDb> = OnceLock::new();
    DB.get_or_init(|| EolDb::parse(EOL_TSV, "eol.tsv").expect("shipped eol.tsv is well-formed"))
}

/// The date of the endoflife.date snapshot the shipped data was taken from.
pub fn snapshot_date() -> NaiveDate {
    eol_db().snapshot()
}

/// Where the shipped end-of-life data comes from: the first comment line of `eol.tsv` (the
/// snapshot's project and commit).
pub fn eol_source() -> &'static str {
    EOL_TSV
        .lines()
        .find_map(|l| l.strip_prefix('#'))
        .map(str::trim)
        .map_or("unknown", |l| {
            l.strip_prefix("daicho end-of-life data.")
                .map_or(l, str::trim)
        })
}
