//! The files the collector hands out, shared by the CLI, the API and the console: the ledger
//! export, the checklist evidence, the allowlist files, and the record of the allowlists
//! applied on network devices (with the registered devices not on any of them yet).

use chrono::{DateTime, NaiveDate, Utc};
use daicho_ledger::restrictions::{NewRestriction, RestrictionRecord};
use daicho_ledger::{Ledger, LedgerError, Site, SiteId};
use daicho_ledger_io::allowlist::{
    Allowlist, AllowlistEntry, AllowlistError, ArubaOptions, CiscoOptions, RadiusMacFormat,
    RtxOptions, SwitchPlace, SwxOptions, build_allowlist, render_aruba_lma,
    render_cisco_port_security, render_csv, render_freeradius_users, render_plain,
    render_yamaha_rtx, render_yamaha_swx,
};
use daicho_ledger_io::checklist::{
    ChecklistInput, ChecklistReport, ConnectionRestriction, evaluate_checklist,
};
use daicho_ledger_io::{
    Cp932Notice, CsvEncoding, ExportError, ExportMeta, export_csv, export_xlsx,
};
use daicho_model::MacAddr;
use ipnet::IpNet;

/// A one-off statement for checklist 2-⑬ given with the report request, which no scan can
/// observe. Without one, the recorded restrictions ([`record_applied_allowlist`]) decide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestrictionStatement {
    /// A MAC restriction is applied on the network devices.
    pub applied: bool,
    /// Where and how.
    pub note: String,
}

/// The facility name for a report of `site`: `given` when it is not blank, else for an added
/// site its label (or name), else the one set in the console (医療機関名), else blank.
pub fn facility_for(ledger: &Ledger, site: SiteId, given: &str) -> Result<String, LedgerError> {
    if !given.trim().is_empty() {
        return Ok(given.trim().to_owned());
    }
    if site != SiteId::DEFAULT {
        return Ok(ledger.site(site)?.display_name().to_owned());
    }
    Ok(ledger.facility_name()?.unwrap_or_default())
}

/// How long a cached checklist may serve at most, for changes no write through this collector
/// shows (the CLI writing while the server runs).
pub const CHECKLIST_CACHE_FOR: std::time::Duration = std::time::Duration::from_mins(1);

/// The checklist as last decided, kept while the ledger has not changed: deciding it reads
/// every device (about 0.6 s at 50,000), and the dashboard shows it on every visit.
#[derive(Debug, Default)]
pub struct ChecklistCache {
    kept: std::sync::Mutex<Option<CachedChecklist>>,
}

#[derive(Debug)]
struct CachedChecklist {
    site: SiteId,
    generation: u64,
    facility: String,
    at: std::time::Instant,
    report: std::sync::Arc<ChecklistReport>,
}

impl ChecklistCache {
    /// The checklist without a restriction statement (as the dashboard shows it): the kept
    /// one when no write went through `ledger` since, the facility is the same and it is
    /// younger than [`CHECKLIST_CACHE_FOR`]; else decided anew and kept.
    pub fn report(
        &self,
        ledger: &Ledger,
        site: SiteId,
        facility: &str,
    ) -> Result<std::sync::Arc<ChecklistReport>, LedgerError> {
        let lock = || {
            self.kept
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let generation = ledger.generation();
        if let Some(kept) = lock().as_ref()
            && kept.generation == generation
            && kept.site == site
            && kept.facility == facility
            && kept.at.elapsed() < CHECKLIST_CACHE_FOR
        {
            return Ok(std::sync::Arc::clone(&kept.report));
        }
        let report = std::sync::Arc::new(checklist_report(
            ledger,
            site,
            facility,
            &RestrictionStatement::default(),
        )?);
        *lock() = Some(CachedChecklist {
            site,
            generation,
            facility: facility.to_owned(),
            at: std::time::Instant::now(),
            report: std::sync::Arc::clone(&report),
        });
        Ok(report)
    }
}

/// Decides `site`'s checklist from the ledger as it is now. 2-⑬ is decided from the active
/// restriction records (each with the MAC list applied at the time), unless `statement` says a
/// restriction is applied: then the allowlist taken as applied is the registered devices' as
/// `allowlist export` writes it now.
pub fn checklist_report(
    ledger: &Ledger,
    site: SiteId,
    facility: &str,
    statement: &RestrictionStatement,
) -> Result<ChecklistReport, LedgerError> {
    let devices = crate::paper_rows::checklist_devices(ledger, site)?;
    let restriction = if statement.applied {
        ConnectionRestriction {
            applied: true,
            description: statement.note.clone(),
            allowlist: build_allowlist(&ledger.ledger_rows(site)?, &[])
                .macs()
                .collect(),
        }
    } else {
        recorded_restriction(&ledger.restrictions(site, true)?)
    };
    Ok(evaluate_checklist(&ChecklistInput {
        facility: facility.to_owned(),
        checked_at: daicho_ledger_io::export::now_jst(),
        devices,
        restriction,
    }))
}

/// `site`'s checklist as the ledger says now, under the site's facility name
/// ([`facility_for`]) and with the recorded restrictions deciding 2-⑬.
pub fn site_checklist(ledger: &Ledger, site: &Site) -> Result<ChecklistReport, LedgerError> {
    let facility = facility_for(ledger, site.id, "")?;
    checklist_report(ledger, site.id, &facility, &RestrictionStatement::default())
}

/// The group summary: the checklist of each of `sites`, in their order (every site's answers
/// on one page).
pub fn group_summary(
    ledger: &Ledger,
    sites: Vec<Site>,
) -> Result<Vec<(Site, ChecklistReport)>, LedgerError> {
    sites
        .into_iter()
        .map(|site| {
            let report = site_checklist(ledger, &site)?;
            Ok((site, report))
        })
        .collect()
}

/// The 2-⑬ input from the active records: applied when there is one, the description naming
/// each place, day and person, the allowlist the union of what was applied.
fn recorded_restriction(records: &[RestrictionRecord]) -> ConnectionRestriction {
    let mut allowlist: Vec<MacAddr> = records
        .iter()
        .flat_map(|r| r.macs.iter().copied())
        .collect();
    allowlist.sort_unstable();
    allowlist.dedup();
    let description = records
        .iter()
        .rev()
        .map(|r| {
            let day = r.applied_on.replace('-', "/");
            let note = if r.note.is_empty() {
                String::new()
            } else {
                format!("、{}", r.note)
            };
            format!(
                "{}（{day} 適用、{}、{} 件{note}）",
                r.place,
                r.applied_by,
                r.macs.len()
            )
        })
        .collect::<Vec<_>>()
        .join("；");
    ConnectionRestriction {
        applied: !records.is_empty(),
        description,
        allowlist,
    }
}

/// What the operator states when recording an applied allowlist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliedAllowlist {
    /// The site whose network device applies it: set by the caller from the site the request
    /// names (never from the body).
    #[serde(skip)]
    pub site: SiteId,
    /// Where it is applied (`コアスイッチ SW-01`).
    pub place: String,
    /// Who applied it.
    pub applied_by: String,
    /// The day it was applied; today (JST) when absent.
    #[serde(default)]
    pub applied_on: Option<NaiveDate>,
    /// How it is applied.
    #[serde(default)]
    pub note: String,
    /// Only the registered devices of these subnets (as `allowlist export --subnet`); every
    /// registered device when empty.
    #[serde(default)]
    pub subnets: Vec<IpNet>,
}

/// Records that the allowlist `allowlist export` writes now (for `applied.subnets`) has been
/// applied at `applied.place`. Returns the record.
pub fn record_applied_allowlist(
    ledger: &Ledger,
    applied: &AppliedAllowlist,
    now: DateTime<Utc>,
) -> Result<RestrictionRecord, LedgerError> {
    let list = build_allowlist(&ledger.ledger_rows(applied.site)?, &applied.subnets);
    let macs: Vec<MacAddr> = list
        .groups
        .iter()
        .filter(|g| applied.subnets.is_empty() || g.subnet.is_some())
        .flat_map(|g| g.entries.iter().map(|e| e.mac))
        .collect();
    let today = daicho_ledger_io::export::now_jst().date_naive();
    let id = ledger.record_restriction(
        &NewRestriction {
            site: applied.site,
            place: applied.place.clone(),
            applied_by: applied.applied_by.clone(),
            applied_on: applied.applied_on.unwrap_or(today),
            note: applied.note.clone(),
            macs,
        },
        now,
    )?;
    ledger
        .restriction(id)?
        .ok_or_else(|| LedgerError::Invalid(format!("restriction record {id} vanished")))
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Writing the file failed (e.g. a cell too long for XLSX).
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// `site`'s ledger export: XLSX when `csv` is `None`, else CSV in that encoding. Returns the
/// bytes, the number of devices and, for CP932, the notice of replaced characters (to show).
pub fn export_ledger(
    ledger: &Ledger,
    site: SiteId,
    csv: Option<CsvEncoding>,
    registered_only: bool,
    facility: &str,
) -> Result<(Vec<u8>, usize, Option<Cp932Notice>), EvidenceError> {
    render_export(&ledger.export_rows(site, registered_only)?, csv, facility)
}

/// The ledger export of these devices only (a filtered list's download).
pub fn export_devices(
    ledger: &Ledger,
    csv: Option<CsvEncoding>,
    ids: &[i64],
    facility: &str,
) -> Result<(Vec<u8>, usize, Option<Cp932Notice>), EvidenceError> {
    render_export(&ledger.export_rows_of(ids)?, csv, facility)
}

fn render_export(
    rows: &[daicho_ledger_io::ExportRow],
    csv: Option<CsvEncoding>,
    facility: &str,
) -> Result<(Vec<u8>, usize, Option<Cp932Notice>), EvidenceError> {
    let meta = ExportMeta {
        generated_at: daicho_ledger_io::export::now_jst(),
        facility: facility.to_owned(),
        generator: format!("daicho-collector {}", env!("CARGO_PKG_VERSION")),
    };
    Ok(match csv {
        None => (export_xlsx(rows, &meta)?, rows.len(), None),
        Some(encoding) => {
            let file = export_csv(rows, &meta, encoding)?;
            (file.bytes, rows.len(), file.notice)
        }
    })
}

/// The file an allowlist is written as, with the options its format needs (the
/// `allowlist export --format` choices, shared by the CLI and the console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowlistOutput {
    /// One MAC per line, grouped by subnet in comments.
    Plain,
    /// CSV with subnet, MAC, 管理番号, コンピュータ名, IP, 設置場所.
    Csv,
    /// YAMAHA RTX `ethernet filter` commands.
    YamahaRtx(RtxOptions),
    /// YAMAHA SWX port security.
    YamahaSwx(SwxOptions),
    /// Cisco IOS port-security.
    Cisco(CiscoOptions),
    /// ArubaOS-Switch local MAC authentication.
    Aruba(ArubaOptions),
    /// FreeRADIUS `users` entries for MAC authentication.
    FreeRadius {
        /// How the switch writes the MAC in its request.
        mac_format: RadiusMacFormat,
        /// The switch sends the MAC upper-case.
        uppercase: bool,
    },
}

impl AllowlistOutput {
    /// The download's file name.
    pub fn file_name(&self) -> &'static str {
        match self {
            Self::Plain => "daicho-allowlist.txt",
            Self::Csv => "daicho-allowlist.csv",
            Self::YamahaRtx(_) => "daicho-allowlist-yamaha-rtx.txt",
            Self::YamahaSwx(_) => "daicho-allowlist-yamaha-swx.txt",
            Self::Cisco(_) => "daicho-allowlist-cisco.txt",
            Self::Aruba(_) => "daicho-allowlist-aruba.txt",
            Self::FreeRadius { .. } => "daicho-allowlist-freeradius-users.txt",
        }
    }

    /// The download's media type.
    pub fn content_type(&self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            _ => "text/plain; charset=utf-8",
        }
    }
}

/// The allowlist of `site`'s registered devices as `allowlist export` builds it, grouped by
/// `subnets`.
pub fn registered_allowlist(
    ledger: &Ledger,
    site: SiteId,
    subnets: &[IpNet],
) -> Result<Allowlist, LedgerError> {
    let mut list = build_allowlist(&ledger.ledger_rows(site)?, subnets);
    // The port-bound formats put each device on the port a switch reading placed it on.
    let places = ledger
        .placements(site)?
        .into_iter()
        .map(|(mac, p)| {
            let switch = p.switch_name.unwrap_or(p.switch_address);
            (
                mac,
                SwitchPlace {
                    switch,
                    port: p.port_name,
                },
            )
        })
        .collect();
    list.place(&places);
    Ok(list)
}

/// Writes `list` in `output`'s format.
pub fn render_allowlist(
    list: &Allowlist,
    output: &AllowlistOutput,
) -> Result<Vec<u8>, AllowlistError> {
    Ok(match output {
        AllowlistOutput::Plain => render_plain(list).into_bytes(),
        AllowlistOutput::Csv => render_csv(list),
        AllowlistOutput::YamahaRtx(options) => render_yamaha_rtx(list, options)?.into_bytes(),
        AllowlistOutput::YamahaSwx(options) => render_yamaha_swx(list, options)?.into_bytes(),
        AllowlistOutput::Cisco(options) => render_cisco_port_security(list, options)?.into_bytes(),
        AllowlistOutput::Aruba(options) => render_aruba_lma(list, options)?.into_bytes(),
        AllowlistOutput::FreeRadius {
            mac_format,
            uppercase,
        } => render_freeradius_users(list, *mac_format, *uppercase)?.into_bytes(),
    })
}

/// Reads a port mapping `SUBNET=PORT` (`192.168.10.0/24=Gi1/0/1`), as `--cisco-interface`
/// and `--swx-port` take it.
pub fn parse_port_mapping(text: &str) -> Result<(IpNet, String), String> {
    let (subnet, port) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected SUBNET=IFACE"))?;
    let subnet: IpNet = subnet
        .trim()
        .parse()
        .map_err(|e| format!("`{subnet}`: {e}"))?;
    Ok((subnet, port.trim().to_owned()))
}

/// The registered devices (as the allowlist has them: with a MAC, not 廃棄) whose MAC is on no
/// active applied-allowlist record: the devices a network device does not admit yet, so the
/// list must be applied again (2-⑬ stays いいえ while one is seen on the network).
pub fn registered_not_applied(
    ledger: &Ledger,
    site: SiteId,
) -> Result<Vec<AllowlistEntry>, LedgerError> {
    let applied = recorded_restriction(&ledger.restrictions(site, true)?).allowlist;
    Ok(registered_allowlist(ledger, site, &[])?
        .groups
        .into_iter()
        .flat_map(|g| g.entries)
        .filter(|e| applied.binary_search(&e.mac).is_err())
        .collect())
}
