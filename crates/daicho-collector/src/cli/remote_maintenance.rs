//! `remote-maintenance …`: the register of checklist 2-② from the command line: record a
//! device's 保守事業者 and the vendor's answer, list the devices to confirm, read a vendor's
//! returned confirmation sheet back.

use std::io::Write as _;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Subcommand;
use daicho_ledger::{Ledger, Site};
use daicho_ledger_io::checklist::ChecklistDevice;
use daicho_ledger_io::text::{terminal_json, terminal_text};
use daicho_ledger_io::vendor_sheet::read_vendor_sheet;
use daicho_model::remote_maintenance::{RemoteMaintenance, RemoteUse};

use super::{CliError, Format};
use crate::decisions::{self, Actor};
use crate::remote_register::{RegisterView, remote_register};

/// `remote-maintenance …`.
#[derive(Debug, Subcommand)]
pub enum RemoteMaintenanceCommand {
    /// Record a device's 保守事業者 and, once the vendor answered, whether it maintains the
    /// device remotely, how, who confirmed it and when. Replaces the device's entry.
    Set {
        /// The device.
        device: i64,
        /// 保守事業者.
        #[arg(long)]
        vendor: String,
        /// Remote maintenance: yes, no or unknown (not asked yet).
        #[arg(long, default_value = "unknown", value_parser = parse_remote)]
        remote: RemoteUse,
        /// How the vendor connects (`SSL-VPN`, `TeamViewer`).
        #[arg(long, default_value = "")]
        method: String,
        /// Who at the vendor confirmed it.
        #[arg(long, default_value = "")]
        confirmed_with: String,
        /// The day they confirmed it (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        confirmed_on: Option<NaiveDate>,
    },
    /// The devices to confirm with a vendor: those with a 保守事業者 recorded and those showing
    /// a remote-maintenance path (VPN appliances, remote-support tools, remote desktop on
    /// servers), with the register's entry.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Read a vendor's returned confirmation sheet (`report vendor-confirmation`) into the
    /// register: every answered row, or none when one is wrong.
    Import {
        /// The returned XLSX.
        file: PathBuf,
    },
}

fn parse_remote(text: &str) -> Result<RemoteUse, String> {
    RemoteUse::parse(text).ok_or_else(|| format!("`{text}` is not yes, no or unknown"))
}

/// Runs `remote-maintenance …` on `site`.
pub(super) fn run(
    ledger: &Ledger,
    site: &Site,
    cmd: RemoteMaintenanceCommand,
) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match cmd {
        RemoteMaintenanceCommand::Set {
            device,
            vendor,
            remote,
            method,
            confirmed_with,
            confirmed_on,
        } => {
            let record = RemoteMaintenance {
                vendor,
                remote,
                method,
                confirmed_with,
                confirmed_on,
            };
            decisions::set_remote_maintenance(ledger, &Actor::cli(), device, record, ledger.now())?;
            writeln!(out, "recorded remote maintenance of device {device}")?;
        }
        RemoteMaintenanceCommand::List { format } => {
            list(&mut out, &remote_register(ledger, site)?, format)?;
        }
        RemoteMaintenanceCommand::Import { file } => {
            let bytes = std::fs::read(&file).map_err(|source| CliError::File {
                path: file.display().to_string(),
                source,
            })?;
            let reply = read_vendor_sheet(&bytes).map_err(|e| CliError::Usage(e.to_string()))?;
            let n = decisions::import_vendor_reply(ledger, &Actor::cli(), &reply, ledger.now())?;
            writeln!(
                out,
                "recorded {n} answer(s) of {} from {}",
                terminal_text(&reply.vendor),
                terminal_text(&file.display().to_string())
            )?;
        }
    }
    Ok(())
}

fn list(
    out: &mut impl std::io::Write,
    devices: &[ChecklistDevice],
    format: Format,
) -> Result<(), CliError> {
    if format == Format::Json {
        let json: Vec<RegisterView> = devices.iter().map(RegisterView::from).collect();
        writeln!(
            out,
            "{}",
            terminal_json(&serde_json::to_string_pretty(&json).unwrap_or_default())
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<15}  {:<16}  {:<8}  {:<12}  PATHS",
        "DEVICE", "IP", "VENDOR", "REMOTE", "CONFIRMED"
    )?;
    for d in devices {
        let record = d.remote.clone().unwrap_or_default();
        writeln!(
            out,
            "{:>6}  {:<15}  {:<16}  {:<8}  {:<12}  {}",
            d.device_id,
            d.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            terminal_text(&record.vendor),
            record.remote.as_str(),
            record
                .confirmed_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
            terminal_text(&d.remote_paths.join("; "))
        )?;
    }
    Ok(())
}
