//! The on-disk spool: every report is written here before any delivery is tried (write-ahead),
//! and removed only after the collector answered 2xx, so a crash at any point loses nothing.
//!
//! Layout: `DIR/pending/<nanos>-<report_id>.json.gz` (the gzip body exactly as it is sent; the
//! name orders reports oldest first) and `DIR/rejected/` for reports the collector refused for
//! good, each with a `.reason` file. Writes are atomic: temporary file, fsync, rename, fsync of
//! the directory. Files are created 0600 and directories 0700 (whatever the umask): a report
//! lists every device and service of the network.
//!
//! A full disk (ENOSPC, EDQUOT) is not fatal: [`SpoolError::disk_full`] tells it apart, the
//! delivery of what is spooled frees space, and the next write tries again. Temporary and
//! write-probe files are removed on every error path, and those a crash left are removed by
//! [`Spool::open`].

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use uuid::Uuid;

/// A spool operation failed.
#[derive(Debug, thiserror::Error)]
#[error("spool {action} {}: {source}", path.display())]
pub struct SpoolError {
    /// What was being done.
    pub action: &'static str,
    /// The file or directory involved.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: io::Error,
}

impl SpoolError {
    /// The disk (or the user's quota) is full: delivering reports frees space, and a later
    /// write may succeed. Not a configuration error.
    pub fn disk_full(&self) -> bool {
        is_disk_full(&self.source)
    }
}

/// ENOSPC or EDQUOT.
pub fn is_disk_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// Prefix of the file [`probe_write`] creates.
pub const PROBE_PREFIX: &str = ".write-probe-";
/// Prefix of a file being written atomically.
pub const TMP_PREFIX: &str = ".tmp-";

/// Proves that `dir` takes a write: writes a small probe file and removes it, whether the
/// write succeeded or not.
pub fn probe_write(dir: &Path) -> io::Result<()> {
    let probe = dir.join(format!("{PROBE_PREFIX}{}", std::process::id()));
    let written = fs::write(&probe, b"probe");
    let removed = fs::remove_file(&probe);
    written?;
    match removed {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes the temporary and probe files a crash left in `dir` (best effort).
fn remove_leftovers(dir: &Path) -> Result<(), SpoolError> {
    for entry in fs::read_dir(dir).map_err(at("read", dir))? {
        let entry = entry.map_err(at("read", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(TMP_PREFIX) || name.starts_with(PROBE_PREFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(())
}

fn at(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SpoolError {
    let path = path.to_owned();
    move |source| SpoolError {
        action,
        path,
        source,
    }
}

/// One pending report on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpooledReport {
    /// Its file.
    pub path: PathBuf,
    /// The report's id, from the file name.
    pub report_id: Uuid,
    /// Its size in bytes.
    pub size: u64,
}

/// The spool directory with its bounds.
#[derive(Debug)]
pub struct Spool {
    pending: PathBuf,
    rejected: PathBuf,
    max_reports: usize,
    max_bytes: u64,
    rejected_count: AtomicUsize,
}

const EXTENSION: &str = ".json.gz";

impl Spool {
    /// Opens (creating if needed) the spool under `dir`, and removes temporary files that a
    /// crash left half-written (their report was never acknowledged as spooled) and write
    /// probes a crash left, in `dir`, `pending/` and `rejected/`.
    pub fn open(dir: &Path, max_reports: usize, max_bytes: u64) -> Result<Self, SpoolError> {
        let pending = dir.join("pending");
        let rejected = dir.join("rejected");
        create_private_dir(&pending)?;
        create_private_dir(&rejected)?;
        for d in [dir, &pending, &rejected] {
            remove_leftovers(d)?;
        }
        Ok(Self {
            pending,
            rejected,
            max_reports: max_reports.max(1),
            max_bytes,
            rejected_count: AtomicUsize::new(0),
        })
    }

    /// Proves that the spool takes a write now (the probe file is removed either way); a
    /// [`SpoolError::disk_full`] error means a full disk, not a broken directory.
    pub fn probe(&self) -> Result<(), SpoolError> {
        probe_write(&self.pending).map_err(at("write probe in", &self.pending))
    }

    /// How many reports this process moved to `rejected/`.
    pub fn rejected_count(&self) -> usize {
        self.rejected_count.load(Ordering::SeqCst)
    }

    /// Writes a report body atomically. When the spool is full, the oldest pending reports are
    /// dropped to make room; their ids are returned so the caller can warn.
    pub fn put(&self, report_id: Uuid, body: &[u8]) -> Result<Vec<Uuid>, SpoolError> {
        let mut dropped = Vec::new();
        let mut pending = self.pending()?;
        let mut bytes: u64 = pending.iter().map(|r| r.size).sum();
        let size = body.len() as u64;
        while !pending.is_empty()
            && (pending.len() >= self.max_reports || bytes + size > self.max_bytes)
        {
            let oldest = pending.remove(0);
            match fs::remove_file(&oldest.path) {
                // Delivered meanwhile: not a drop.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(at("drop", &oldest.path)(e)),
                Ok(()) => dropped.push(oldest.report_id),
            }
            bytes -= oldest.size;
        }
        let nanos = chrono::Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .max(0);
        let name = format!("{nanos:020}-{report_id}{EXTENSION}");
        write_atomically(&self.pending, &name, body)?;
        Ok(dropped)
    }

    /// The pending reports, oldest first.
    pub fn pending(&self) -> Result<Vec<SpooledReport>, SpoolError> {
        let mut reports = Vec::new();
        for entry in fs::read_dir(&self.pending).map_err(at("read", &self.pending))? {
            let entry = entry.map_err(at("read", &self.pending))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(EXTENSION) else {
                continue;
            };
            let Some(report_id) = stem
                .split_once('-')
                .and_then(|(_, id)| Uuid::parse_str(id).ok())
            else {
                continue;
            };
            // A file delivered and removed between listing and stat is simply gone.
            let Ok(meta) = entry.metadata() else { continue };
            reports.push(SpooledReport {
                path: entry.path(),
                report_id,
                size: meta.len(),
            });
        }
        reports.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(reports)
    }

    /// Reads a pending report's body.
    pub fn read(&self, report: &SpooledReport) -> Result<Vec<u8>, SpoolError> {
        fs::read(&report.path).map_err(at("read", &report.path))
    }

    /// Removes a delivered report.
    pub fn remove(&self, report: &SpooledReport) -> Result<(), SpoolError> {
        match fs::remove_file(&report.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(at("remove", &report.path)(e)),
            _ => sync_dir(&self.pending),
        }
    }

    /// Moves a report the collector refused for good to `rejected/`, with the reason beside it.
    pub fn reject(&self, report: &SpooledReport, reason: &str) -> Result<PathBuf, SpoolError> {
        let name = report.path.file_name().map_or_else(
            || format!("{}{EXTENSION}", report.report_id),
            |n| n.to_string_lossy().into_owned(),
        );
        let target = self.rejected.join(&name);
        write_atomically(&self.rejected, &format!("{name}.reason"), reason.as_bytes())?;
        fs::rename(&report.path, &target).map_err(at("move", &report.path))?;
        self.rejected_count.fetch_add(1, Ordering::SeqCst);
        sync_dir(&self.rejected)?;
        sync_dir(&self.pending)?;
        Ok(target)
    }

    /// The directory of rejected reports.
    pub fn rejected_dir(&self) -> &Path {
        &self.rejected
    }
}

/// Temporary file, fsync, rename into place, fsync the directory: after this returns the file
/// is complete on disk under its final name; an error removes the temporary file, and a crash
/// before the rename leaves only a `.tmp-` file (removed by the next [`Spool::open`]).
fn write_atomically(dir: &Path, name: &str, body: &[u8]) -> Result<(), SpoolError> {
    let tmp = dir.join(format!("{TMP_PREFIX}{name}"));
    let target = dir.join(name);
    let written = private_file()
        .open(&tmp)
        .map_err(at("create", &tmp))
        .and_then(|mut file| {
            file.write_all(body).map_err(at("write", &tmp))?;
            file.sync_all().map_err(at("sync", &tmp))
        })
        .and_then(|()| fs::rename(&tmp, &target).map_err(at("rename", &tmp)));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    sync_dir(dir)
}

/// Options creating a file 0600 (truncating one left by a crash).
fn private_file() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates `dir` and its missing parents 0700; an existing directory is left as it is.
fn create_private_dir(dir: &Path) -> Result<(), SpoolError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(at("create", dir))
}

fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    // Windows cannot open a directory as a file; NTFS journals the rename itself.
    if cfg!(windows) {
        return Ok(());
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(at("sync", dir))
}

#[cfg(test)]
mod tests;
