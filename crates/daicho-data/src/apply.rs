//! Putting a data bundle into use in this process, and the one re-resolution of what a report
//! says from it.
//!
//! Every data set is applied: the IEEE registry (`daicho-oui`), the EOL dates and the
//! known-exploited list (`daicho-eol`: what the collector judges with), and the service rules,
//! OS rules and medical makers (`daicho-fingerprint`: what an agent recognises, and which hosts
//! it keeps in safe mode).

use std::sync::{Mutex, PoisonError};

use chrono::NaiveDate;
use daicho_bundle::{DataSetName, Manifest};
use daicho_model::ScanReport;

/// The serial of the bundle applied in this process, if any.
static APPLIED: Mutex<Option<u64>> = Mutex::new(None);
/// The date and source of each set applied, as the bundle states them.
static APPLIED_SETS: Mutex<Vec<(DataSetName, NaiveDate, String)>> = Mutex::new(Vec::new());

/// Why a bundle could not be put into use (what was applied before it stays in use).
#[derive(Debug, thiserror::Error)]
#[error("data set {name}: {detail}")]
pub struct ApplyError {
    /// The set refused.
    pub name: DataSetName,
    /// Why.
    pub detail: String,
}

/// Installs every set of `manifest` this build applies; returns their names. A set that does
/// not parse stops the application there with an error naming it.
pub fn apply(manifest: &Manifest) -> Result<Vec<DataSetName>, ApplyError> {
    let mut applied = Vec::new();
    for set in &manifest.datasets {
        let refused = |detail: String| ApplyError {
            name: set.name,
            detail,
        };
        let content = set.content.clone();
        match set.name {
            DataSetName::IeeeRegistry => {
                daicho_oui::install_registry(content).map_err(|e| refused(e.to_string()))?;
            }
            DataSetName::Eol => {
                daicho_eol::install_eol(content).map_err(|e| refused(e.to_string()))?;
            }
            DataSetName::KnownExploited => {
                daicho_eol::exploited::install_known_exploited(content)
                    .map_err(|e| refused(e.to_string()))?;
            }
            DataSetName::WindowsUpdates => {
                daicho_eol::windows_updates::install_windows_updates(content)
                    .map_err(|e| refused(e.to_string()))?;
            }
            DataSetName::ServiceRules => {
                daicho_fingerprint::rules::ServiceTable::install(&content)
                    .map_err(|e| refused(e.to_string()))?;
            }
            DataSetName::OsRules => {
                daicho_fingerprint::os::OsTables::install(Some(content), None)
                    .map_err(|e| refused(e.to_string()))?;
            }
            DataSetName::MedicalVendors => {
                daicho_fingerprint::os::OsTables::install(None, Some(content))
                    .map_err(|e| refused(e.to_string()))?;
            }
        }
        applied.push(set.name);
    }
    *APPLIED.lock().unwrap_or_else(PoisonError::into_inner) = Some(manifest.serial);
    let mut sets = APPLIED_SETS.lock().unwrap_or_else(PoisonError::into_inner);
    sets.retain(|(name, ..)| !applied.contains(name));
    sets.extend(
        manifest
            .datasets
            .iter()
            .map(|d| (d.name, d.date, d.source.clone())),
    );
    Ok(applied)
}

/// The date and source a bundle applied in this process states for set `name`.
pub(crate) fn applied_set(name: DataSetName) -> Option<(NaiveDate, String)> {
    APPLIED_SETS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, date, source)| (*date, source.clone()))
}

/// The serial of the bundle [`apply`] put into use in this process (`None`: compiled-in data).
pub fn applied_serial() -> Option<u64> {
    *APPLIED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The vendor the registry in use gives `mac` (the platform's product for a virtual NIC;
/// `None` for a randomized or unassigned one): the one rule the collector applies to every
/// report and to the ledger when the registry changes, so an old agent's stale registry does
/// not decide.
fn vendor_of(mac: daicho_model::MacAddr) -> Option<String> {
    daicho_oui::classify(mac).name().map(str::to_owned)
}

/// Re-resolves every host's vendor and randomized bit in `report` from the data in use, and
/// its medical status from the vendor (a medical maker's device is medical); returns how many
/// hosts changed.
pub fn resolve_report(report: &mut ScanReport) -> usize {
    let mut changed = 0;
    for host in &mut report.hosts {
        let Some(mac) = host.mac else { continue };
        let vendor = vendor_of(mac);
        let randomized = daicho_oui::is_randomized(mac);
        let mut differs = host.vendor != vendor || host.mac_randomized != randomized;
        host.vendor = vendor;
        host.mac_randomized = randomized;
        if let Some(vendor) = &host.vendor {
            differs |= daicho_fingerprint::os::mark_medical_by_vendor(&mut host.os, vendor);
        }
        changed += usize::from(differs);
    }
    changed
}

/// What the data in use says of a MAC, for re-resolving the ledger: its vendor, whether it is
/// randomized, and whether its maker makes medical devices.
pub fn mac_facts(mac: daicho_model::MacAddr) -> (Option<String>, bool, bool) {
    let vendor = vendor_of(mac);
    let medical = vendor
        .as_deref()
        .is_some_and(|v| daicho_fingerprint::os::OsTables::in_use().is_medical_vendor(v));
    (vendor, daicho_oui::is_randomized(mac), medical)
}
