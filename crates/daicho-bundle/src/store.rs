//! Where a collector keeps its installed bundle: `current.bundle`, and `previous.bundle` for
//! rollback, replaced atomically (a crash at any point leaves a whole current bundle).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use crate::keys::PublicKey;
use crate::manifest::Manifest;
use crate::signed::{BundleError, open};

const CURRENT: &str = "current.bundle";
const PREVIOUS: &str = "previous.bundle";

/// Why a bundle was not installed or rolled back; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The file is not a bundle this build accepts.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// Not newer than the installed bundle.
    #[error(
        "the bundle's serial {offered} is not newer than the installed bundle's ({installed}); an older or the same bundle is never installed (use `data rollback` to go back one)"
    )]
    NotNewer {
        /// The installed serial.
        installed: u64,
        /// The bundle's serial.
        offered: u64,
    },
    /// No previous bundle to roll back to.
    #[error("there is no previous bundle to roll back to")]
    NoPrevious,
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: io::Error,
    },
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The bundle now in use.
    pub manifest: Manifest,
    /// The serial of the bundle it replaced (kept as the previous one), if any.
    pub replaced: Option<u64>,
}

/// A directory holding the installed bundle.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in `dir` (created on the first install).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The installed bundle, verified again with `trusted`; `None` when none is installed.
    pub fn current(&self, trusted: &[PublicKey]) -> Result<Option<Manifest>, InstallError> {
        self.read(CURRENT, trusted)
    }

    /// The bundle a rollback would return to.
    pub fn previous(&self, trusted: &[PublicKey]) -> Result<Option<Manifest>, InstallError> {
        self.read(PREVIOUS, trusted)
    }

    /// Verifies `bytes` and makes it the current bundle, keeping the current one as previous.
    /// Refused, with nothing changed, unless it is signed by a key of `trusted`, intact, and
    /// newer than the installed bundle.
    pub fn install(&self, bytes: &[u8], trusted: &[PublicKey]) -> Result<Installed, InstallError> {
        let manifest = open(bytes, trusted)?;
        // An installed bundle that no longer verifies (its key was withdrawn) does not hold a
        // valid bundle back.
        let installed = self.current(trusted).ok().flatten().map(|m| m.serial);
        if let Some(installed) = installed
            && manifest.serial <= installed
        {
            return Err(InstallError::NotNewer {
                installed,
                offered: manifest.serial,
            });
        }
        fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        let incoming = self.write_temp(".incoming.bundle", bytes)?;
        if self.path(CURRENT).exists() {
            // current stays in place until the new one replaces it in one rename.
            self.keep_as_previous()?;
        }
        rename(&incoming, &self.path(CURRENT))?;
        self.sync_dir()?;
        Ok(Installed {
            manifest,
            replaced: installed,
        })
    }

    /// Makes the previous bundle current again (and the current one previous).
    pub fn rollback(&self, trusted: &[PublicKey]) -> Result<Manifest, InstallError> {
        let previous = self.previous(trusted)?.ok_or(InstallError::NoPrevious)?;
        let swap = self.path(".swap.bundle");
        let _ = fs::remove_file(&swap);
        fs::hard_link(self.path(CURRENT), &swap).map_err(|e| io_error(&swap, e))?;
        rename(&self.path(PREVIOUS), &self.path(CURRENT))?;
        rename(&swap, &self.path(PREVIOUS))?;
        self.sync_dir()?;
        Ok(previous)
    }

    /// The installed bundle's file as it is (for serving to agents, who verify it themselves);
    /// `None` when none is installed.
    pub fn current_bytes(&self) -> Result<Option<Vec<u8>>, InstallError> {
        self.read_file(CURRENT)
    }

    fn read(&self, name: &str, trusted: &[PublicKey]) -> Result<Option<Manifest>, InstallError> {
        self.read_file(name)?
            .map(|bytes| open(&bytes, trusted).map_err(InstallError::from))
            .transpose()
    }

    /// The bytes of bundle file `name`; `None` when there is none.
    fn read_file(&self, name: &str) -> Result<Option<Vec<u8>>, InstallError> {
        let path = self.path(name);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    /// Replaces `previous.bundle` by a copy of `current.bundle` (a hard link, then a rename).
    fn keep_as_previous(&self) -> Result<(), InstallError> {
        let staged = self.path(".previous.bundle");
        let _ = fs::remove_file(&staged);
        fs::hard_link(self.path(CURRENT), &staged).map_err(|e| io_error(&staged, e))?;
        rename(&staged, &self.path(PREVIOUS))
    }

    fn write_temp(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, InstallError> {
        let path = self.path(name);
        let _ = fs::remove_file(&path);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o640);
        let mut file = options.open(&path).map_err(|e| io_error(&path, e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error(&path, e))?;
        Ok(path)
    }

    fn sync_dir(&self) -> Result<(), InstallError> {
        // Windows cannot open a directory as a file; NTFS journals the rename itself.
        if cfg!(windows) {
            return Ok(());
        }
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error(&self.dir, e))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn rename(from: &Path, to: &Path) -> Result<(), InstallError> {
    fs::rename(from, to).map_err(|e| io_error(to, e))
}

fn io_error(path: &Path, source: io::Error) -> InstallError {
    InstallError::Io {
        path: path.to_owned(),
        source,
    }
}
