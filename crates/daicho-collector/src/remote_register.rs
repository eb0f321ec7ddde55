//! The remote-maintenance register as the CLI, the API and the console show it (checklist
//! 2-②): the devices to confirm with a vendor, and one vendor's confirmation request sheet.

use std::net::IpAddr;

use daicho_ledger::{Ledger, LedgerError, Site};
use daicho_ledger_io::checklist::ChecklistDevice;
use daicho_ledger_io::checklist::remote_maintenance::to_confirm;
use daicho_ledger_io::vendor_sheet::{VendorSheetMeta, vendor_sheet_xlsx};
use daicho_model::remote_maintenance::RemoteMaintenance;
use serde::Serialize;

use crate::evidence::{EvidenceError, facility_for};

/// The devices of `site` to confirm with a vendor: those with a 保守事業者 recorded and those
/// showing a remote-maintenance path, each with its register entry and paths.
pub fn remote_register(ledger: &Ledger, site: &Site) -> Result<Vec<ChecklistDevice>, LedgerError> {
    Ok(crate::paper_rows::checklist_devices(ledger, site.id)?
        .into_iter()
        .filter(to_confirm)
        .collect())
}

/// One device of the register as the API and `remote-maintenance list --format json` give it.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterView {
    /// The device.
    pub device: i64,
    /// Address last seen.
    pub ip: Option<IpAddr>,
    /// Host name as discovered.
    pub hostname: String,
    /// OS or firmware as identified.
    pub os: String,
    /// The register's entry, if any.
    pub register: Option<RemoteMaintenance>,
    /// True when the vendor's answer, the person and the day are recorded.
    pub confirmed: bool,
    /// The remote-maintenance paths seen.
    pub paths: Vec<String>,
}

impl From<&ChecklistDevice> for RegisterView {
    fn from(d: &ChecklistDevice) -> Self {
        Self {
            device: d.device_id,
            ip: d.ip,
            hostname: d.hostname.clone(),
            os: d.os.clone(),
            register: d.remote.clone(),
            confirmed: d
                .remote
                .as_ref()
                .is_some_and(RemoteMaintenance::is_confirmed),
            paths: d.remote_paths.clone(),
        }
    }
}

/// `vendor`'s confirmation request for `site`: its devices (register entries naming it), as
/// XLSX, with how many devices it lists. A vendor no device names is refused, naming the
/// vendors the register holds.
pub fn vendor_confirmation_sheet(
    ledger: &Ledger,
    site: &Site,
    vendor: &str,
) -> Result<(Vec<u8>, usize), EvidenceError> {
    let vendor = vendor.trim();
    let register = remote_register(ledger, site)?;
    let of_vendor: Vec<&ChecklistDevice> = register
        .iter()
        .filter(|d| d.remote.as_ref().is_some_and(|r| r.vendor == vendor))
        .collect();
    if of_vendor.is_empty() {
        let mut vendors: Vec<&str> = register
            .iter()
            .filter_map(|d| d.remote.as_ref().map(|r| r.vendor.as_str()))
            .filter(|v| !v.is_empty())
            .collect();
        vendors.sort_unstable();
        vendors.dedup();
        return Err(LedgerError::Invalid(format!(
            "no device has the vendor `{vendor}` in the register (vendors: {})",
            if vendors.is_empty() {
                "none yet".to_owned()
            } else {
                vendors.join(", ")
            }
        ))
        .into());
    }
    let meta = VendorSheetMeta {
        facility: facility_for(ledger, site.id, "")?,
        vendor: vendor.to_owned(),
        made_at: daicho_ledger_io::export::now_jst(),
    };
    Ok((vendor_sheet_xlsx(&of_vendor, &meta)?, of_vendor.len()))
}
