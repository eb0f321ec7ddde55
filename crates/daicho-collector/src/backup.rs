//! Scheduled backups in generations (`[backup]`), used by the server's backup worker; the copy
//! itself is `daicho_ledger::Ledger::backup_to` (SQLite's online backup, checked, 0600), also
//! behind `daicho-collector backup`.
//!
//! A generation is `<dir>/collector-<UTC time>.db` (`collector-20261122T030000Z.db`): the name
//! sorts by time, so the newest are the last by name, and a backup being written (a hidden
//! `.collector-….partial-<pid>` file) is never taken for one.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use daicho_ledger::{BackupOutcome, Ledger, LedgerError};

use crate::config::BackupConfig;

const PREFIX: &str = "collector-";
const SUFFIX: &str = ".db";
const TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// What one scheduled backup did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledBackup {
    /// The new backup.
    pub backup: BackupOutcome,
    /// The older generations removed to keep `keep`.
    pub removed: Vec<PathBuf>,
}

/// The file name of the generation taken at `at`.
pub fn generation_name(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.format(TIME_FORMAT))
}

/// The time in a generation's file name, `None` for any other file.
pub fn generation_time(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    NaiveDateTime::parse_from_str(stamp, TIME_FORMAT)
        .ok()
        .map(|t| t.and_utc())
}

/// The generations in `dir`, oldest first (none when `dir` does not exist).
pub fn generations(dir: &Path) -> std::io::Result<Vec<(DateTime<Utc>, PathBuf)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(at) = generation_time(&name)
            && entry.file_type()?.is_file()
        {
            found.push((at, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Removes all but the `keep` newest generations in `dir`; returns the files removed. Files
/// that are not generations are left alone.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let all = generations(dir)?;
    let excess = all.len().saturating_sub(keep.max(1));
    let mut removed = Vec::new();
    for (_, path) in all.into_iter().take(excess) {
        std::fs::remove_file(&path)?;
        removed.push(path);
    }
    Ok(removed)
}

/// When the next scheduled backup is due: `every` after the newest generation in the
/// directory, or now when there is none (or the newest is dated in the future).
pub fn next_due(config: &BackupConfig, now: DateTime<Utc>) -> std::io::Result<DateTime<Utc>> {
    let every = chrono::Duration::from_std(config.every()).unwrap_or(chrono::Duration::MAX);
    Ok(match generations(&config.dir)?.last() {
        Some((newest, _)) if *newest <= now => newest.checked_add_signed(every).unwrap_or(now),
        _ => now,
    })
}

/// Takes the generation of `now` into `config.dir`, then prunes to `config.keep`. A failed
/// backup removes nothing.
pub fn scheduled_backup(
    ledger: &Ledger,
    config: &BackupConfig,
    now: DateTime<Utc>,
) -> Result<ScheduledBackup, LedgerError> {
    let dest = config.dir.join(generation_name(now));
    let backup = ledger.backup_to(&dest)?;
    let removed = prune(&config.dir, config.keep).map_err(|source| LedgerError::Io {
        path: config.dir.display().to_string(),
        source,
    })?;
    Ok(ScheduledBackup { backup, removed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn names_sort_by_time_and_read_back() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 5).unwrap();
        assert_eq!(generation_name(t), "collector-20261122T030005Z.db");
        assert_eq!(generation_time(&generation_name(t)), Some(t));
        for other in [
            ".collector-20261122T030005Z.db.partial-7",
            "collector.db",
            "collector-x.db",
        ] {
            assert_eq!(generation_time(other), None, "{other}");
        }
    }
}
