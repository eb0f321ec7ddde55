//! The collector's data bundles: installing one (`data import`), going back one (`data
//! rollback`), putting the installed one into use at start-up and whenever another process
//! installs one, and re-resolving the ledger from it so one update fixes every device.

use std::path::Path;

use daicho_bundle::{DataSetName, InstallError, Manifest, Store};
use daicho_ledger::{Ledger, LedgerError};

use crate::config::Config;

/// Why a bundle was not put into use; the data in use and the installed bundle are unchanged.
#[derive(Debug, thiserror::Error)]
pub enum BundleUseError {
    /// Refused by verification or by the store (not newer, no previous).
    #[error(transparent)]
    Install(#[from] InstallError),
    /// Verified, but a data set does not parse.
    #[error("the bundle is signed but unusable: {0}")]
    Apply(#[from] daicho_data::ApplyError),
    /// The ledger could not be re-resolved.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
}

/// What putting a bundle into use did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InUse {
    /// The bundle.
    pub manifest: Manifest,
    /// The sets applied (the others are carried, not used by this build).
    pub applied: Vec<DataSetName>,
    /// The serial it replaced, if any.
    pub replaced: Option<u64>,
    /// Devices whose vendor changed.
    pub vendors_changed: usize,
    /// Flags raised or cleared by the new data.
    pub flags_changed: usize,
}

fn store(config: &Config) -> Store {
    Store::new(config.data_dir())
}

/// Puts the installed bundle into use in this process, if there is one and it is not in use
/// yet; returns its serial. A bundle that no longer verifies or applies is logged and left:
/// the compiled-in data (or the bundle in use) stays.
pub fn use_installed(config: &Config) -> Option<u64> {
    let installed = match store(config).current(&config.trusted_keys()) {
        Ok(installed) => installed?,
        Err(e) => {
            tracing::error!(error = %e, "the installed data bundle is not used");
            return None;
        }
    };
    if daicho_data::applied_serial() == Some(installed.serial) {
        return Some(installed.serial);
    }
    match daicho_data::apply(&installed) {
        Ok(_) => {
            tracing::info!(serial = installed.serial, "data bundle in use");
            Some(installed.serial)
        }
        Err(e) => {
            tracing::error!(error = %e, serial = installed.serial, "the installed data bundle is not used");
            None
        }
    }
}

/// One line on the installed bundle for `data status`: its serial and the previous one, or
/// that the compiled-in data is in use.
pub fn describe_installed(config: &Config) -> String {
    let store = store(config);
    let trusted = config.trusted_keys();
    match (store.current(&trusted), store.previous(&trusted)) {
        (Ok(Some(current)), previous) => {
            let previous = previous
                .ok()
                .flatten()
                .map_or_else(|| "none".to_owned(), |p| p.serial.to_string());
            format!(
                "bundle: serial {} built {} in {} (previous: {previous})\n",
                current.serial,
                current.created_at.date_naive(),
                config.data_dir().display()
            )
        }
        (Ok(None), _) => {
            "bundle: none installed; the data compiled into this build is in use\n".to_owned()
        }
        (Err(e), _) => format!("bundle: the installed bundle is not used: {e}\n"),
    }
}

/// Verifies the bundle in `file`, applies it in this process (so a set that does not parse
/// stops it before anything is installed), installs it and re-resolves the ledger.
pub fn import(config: &Config, ledger: &Ledger, file: &Path) -> Result<InUse, BundleUseError> {
    let bytes = std::fs::read(file).map_err(|source| BundleUseError::Read {
        path: file.display().to_string(),
        source,
    })?;
    let trusted = config.trusted_keys();
    let manifest = daicho_bundle::open(&bytes, &trusted).map_err(InstallError::from)?;
    let applied = daicho_data::apply(&manifest)?;
    // Refused when not newer: what was applied above lives and dies with this process.
    let installed = store(config).install(&bytes, &trusted)?;
    let (vendors_changed, flags_changed) = re_resolve(ledger)?;
    Ok(InUse {
        manifest: installed.manifest,
        applied,
        replaced: installed.replaced,
        vendors_changed,
        flags_changed,
    })
}

/// Makes the previous bundle current again and re-resolves the ledger from it.
pub fn rollback(config: &Config, ledger: &Ledger) -> Result<InUse, BundleUseError> {
    let trusted = config.trusted_keys();
    let store = store(config);
    let replaced = store.current(&trusted)?.map(|m| m.serial);
    let previous = store.previous(&trusted)?.ok_or(InstallError::NoPrevious)?;
    let applied = daicho_data::apply(&previous)?;
    let manifest = store.rollback(&trusted)?;
    let (vendors_changed, flags_changed) = re_resolve(ledger)?;
    Ok(InUse {
        manifest,
        applied,
        replaced,
        vendors_changed,
        flags_changed,
    })
}

/// For the server: when another process installed a bundle since, puts it into use and
/// re-resolves the ledger; true when that changed a flag.
pub fn follow_installed(config: &Config, ledger: &Ledger) -> Result<bool, LedgerError> {
    let before = daicho_data::applied_serial();
    let now = use_installed(config);
    if now.is_some() && now != before {
        let (vendors, flags) = re_resolve(ledger)?;
        tracing::info!(
            serial = now,
            vendors,
            flags,
            "ledger re-resolved from the new data bundle"
        );
        return Ok(flags > 0);
    }
    Ok(false)
}

/// Vendors and medical status from the data in use, then every flag (EOL, known-exploited)
/// from it; returns (devices whose vendor or medical status changed, flags changed).
fn re_resolve(ledger: &Ledger) -> Result<(usize, usize), LedgerError> {
    let vendors = ledger.resolve_vendors(daicho_data::mac_facts)?;
    let flags = ledger.refresh_flags(ledger.now())?;
    Ok((vendors, flags))
}
