//! Release cycles with their support dates, and what they mean on a given day.

use chrono::NaiveDate;

use crate::DataError;
use crate::version::in_cycle;

/// A support milestone as endoflife.date records it: a date, or only whether it has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// The milestone falls (or fell) on this date.
    On(NaiveDate),
    /// It has passed; the date is not recorded.
    Passed,
    /// It has not passed and no date is announced.
    NotYet,
    /// The product has no such milestone (e.g. no extended support offering).
    Absent,
}

impl Milestone {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "-" | "" => Ok(Self::Absent),
            "true" => Ok(Self::Passed),
            "false" => Ok(Self::NotYet),
            date => NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map(Self::On)
                .map_err(|e| format!("`{date}` is not a date: {e}")),
        }
    }

    /// True when the milestone has passed by `day`.
    pub fn passed_by(self, day: NaiveDate) -> bool {
        match self {
            Self::On(d) => d <= day,
            Self::Passed => true,
            Self::NotYet | Self::Absent => false,
        }
    }

    /// The date, when one is recorded.
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Self::On(d) => Some(d),
            _ => None,
        }
    }
}

/// One release cycle of one product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Product key, e.g. `windows-server`, `fortios`, `ubuntu` (the data file's name).
    pub product: String,
    /// Release cycle, e.g. `2019`, `6.0`, `22.04`, `10-22h2-w`.
    pub cycle: String,
    /// Display label when the cycle id is not what people call it.
    pub label: Option<String>,
    /// Code name (`Bookworm`, `Sonoma`).
    pub codename: Option<String>,
    /// First release.
    pub release_date: Option<NaiveDate>,
    /// End of active (bug-fix) support.
    pub eoas: Milestone,
    /// End of security support.
    pub eol: Milestone,
    /// End of extended support (paid ESU for Windows, LTS/ELTS for distributions).
    pub eoes: Milestone,
    /// Latest known version or build in the cycle (Windows: `10.0.17763`).
    pub latest: Option<String>,
    /// Long-term-support release.
    pub lts: bool,
}

/// What a release's support looks like on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportStatus {
    /// Security updates still ship; `until` is the announced end, if any.
    Supported {
        /// End of security support.
        until: Option<NaiveDate>,
    },
    /// Standard security support has ended, but extended (often paid) support still runs.
    ExtendedOnly {
        /// When standard security support ended.
        ended: Option<NaiveDate>,
        /// When extended support ends, if announced.
        extended_until: Option<NaiveDate>,
    },
    /// No security support of any kind.
    Unsupported {
        /// When the last support of any kind ended, if recorded.
        since: Option<NaiveDate>,
    },
}

impl Release {
    /// The name people use for this release: label, else product and cycle.
    pub fn display_name(&self) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.product, self.cycle))
    }

    /// Support status on `day`.
    pub fn status_on(&self, day: NaiveDate) -> SupportStatus {
        if !self.eol.passed_by(day) && self.eol != Milestone::Absent {
            return SupportStatus::Supported {
                until: self.eol.date(),
            };
        }
        if self.eol == Milestone::Absent {
            // No end of security support recorded: treat the end of active support as the end.
            if !self.eoas.passed_by(day) {
                return SupportStatus::Supported {
                    until: self.eoas.date(),
                };
            }
        }
        let ended = self.eol.date().or(self.eoas.date());
        match self.eoes {
            Milestone::On(d) if d > day => SupportStatus::ExtendedOnly {
                ended,
                extended_until: Some(d),
            },
            Milestone::NotYet => SupportStatus::ExtendedOnly {
                ended,
                extended_until: None,
            },
            Milestone::On(d) => SupportStatus::Unsupported { since: Some(d) },
            Milestone::Passed | Milestone::Absent => SupportStatus::Unsupported { since: ended },
        }
    }
}

/// All release cycles of all products in the shipped data.
#[derive(Debug, Clone)]
pub struct EolDb {
    snapshot: NaiveDate,
    releases: Vec<Release>,
}

impl EolDb {
    /// Parses the project's `eol.tsv` format: `#` comments, a `snapshot<TAB>date` line, a header
    /// line, then one release per line.
    pub fn parse(text: &str, file: &'static str) -> Result<Self, DataError> {
        let err = |line: usize, message: String| DataError::Malformed {
            file,
            line,
            message,
        };
        let mut snapshot = None;
        let mut releases = Vec::new();
        let mut saw_header = false;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols[0] == "snapshot" {
                let date = cols
                    .get(1)
                    .ok_or_else(|| err(n, "snapshot has no date".into()))?;
                snapshot = Some(
                    NaiveDate::parse_from_str(date, "%Y-%m-%d")
                        .map_err(|e| err(n, format!("snapshot date: {e}")))?,
                );
                continue;
            }
            if cols[0] == "product" {
                saw_header = true;
                continue;
            }
            if !saw_header || cols.len() != 10 {
                return Err(err(
                    n,
                    format!("expected 10 tab-separated columns, found {}", cols.len()),
                ));
            }
            let opt = |s: &str| (s != "-" && !s.is_empty()).then(|| s.to_owned());
            let milestone = |s: &str| Milestone::parse(s).map_err(|m| err(n, m));
            releases.push(Release {
                product: cols[0].to_owned(),
                cycle: cols[1].to_owned(),
                label: opt(cols[2]),
                codename: opt(cols[3]),
                release_date: milestone(cols[4])?.date(),
                eoas: milestone(cols[5])?,
                eol: milestone(cols[6])?,
                eoes: milestone(cols[7])?,
                latest: opt(cols[8]),
                lts: cols[9] == "true",
            });
        }
        let snapshot = snapshot.ok_or_else(|| err(0, "no snapshot line".into()))?;
        Ok(Self { snapshot, releases })
    }

    /// The date the data was taken.
    pub fn snapshot(&self) -> NaiveDate {
        self.snapshot
    }

    /// Every release of `product`.
    pub fn releases(&self, product: &str) -> impl Iterator<Item = &Release> {
        self.releases.iter().filter(move |r| r.product == product)
    }

    /// The release cycle of `product` that `version` belongs to; the longest matching cycle wins
    /// (`7.2.4` is in `7.2`, not `7`).
    pub fn find(&self, product: &str, version: &str) -> Option<&Release> {
        self.releases(product)
            .filter(|r| in_cycle(version, &r.cycle))
            .max_by_key(|r| r.cycle.len())
    }

    /// Windows releases with NT version `major.minor.build` (e.g. 10.0.17763, as an NTLM
    /// challenge or SMB reports it). One build can be several releases (Windows 10 1809, LTSC
    /// 2019 and Server 2019), so all are returned and the caller says it could not tell them apart.
    pub fn windows_by_build(&self, major: u8, minor: u8, build: u32) -> Vec<&Release> {
        let wanted = format!("{major}.{minor}.{build}");
        self.releases
            .iter()
            .filter(|r| r.product.starts_with("windows"))
            .filter(|r| r.latest.as_deref().is_some_and(|l| in_cycle(l, &wanted)))
            .collect()
    }
}

#[cfg(test)]
mod tests;
