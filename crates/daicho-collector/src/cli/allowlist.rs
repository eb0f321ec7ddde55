//! `allowlist export`: the registered devices' MAC addresses for checklist 2-⑬, per subnet, as
//! a plain list, CSV, or configuration for YAMAHA RTX or SWX, Cisco IOS, ArubaOS-Switch or
//! FreeRADIUS. `allowlist applied`, `records` and `withdraw`: the record of where such a list
//! is applied.

use std::io::Write as _;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use daicho_ledger::{Ledger, Site};
use daicho_ledger_io::allowlist::{
    ArubaOptions, CiscoOptions, CiscoViolation, RadiusMacFormat, RtxOptions, SwxOptions,
};
use daicho_ledger_io::text::terminal_text;
use ipnet::IpNet;

use super::output::write_output;
use super::{CliError, Format};
use crate::decisions::{self, Actor};
use crate::evidence::{
    AllowlistOutput, AppliedAllowlist, parse_port_mapping, registered_allowlist, render_allowlist,
};

/// `allowlist …`.
#[derive(Debug, Subcommand)]
pub enum AllowlistCommand {
    /// Write the allowlist of registered devices (状態 廃棄 and rows without a MAC are left
    /// out and listed on stderr).
    Export(AllowlistArgs),
    /// Record that the allowlist (as `export` writes it now) has been applied on a switch,
    /// router or access point. The checklist's 2-⑬ is decided from these records; recording a
    /// place again replaces its previous list.
    Applied(AppliedArgs),
    /// The record of applied allowlists.
    Records {
        /// Include withdrawn and replaced records.
        #[arg(long)]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Withdraw a record (the restriction was removed from the device).
    Withdraw {
        /// Record id.
        id: i64,
    },
}

/// Arguments of `allowlist applied`.
#[derive(Debug, Args)]
pub struct AppliedArgs {
    /// Where it is applied (`コアスイッチ SW-01`, `無線LAN AP 2F`).
    #[arg(long)]
    pub place: String,
    /// Who applied it.
    #[arg(long)]
    pub by: String,
    /// The day it was applied, YYYY-MM-DD (today by default).
    #[arg(long, value_name = "DATE")]
    pub on: Option<NaiveDate>,
    /// How it is applied (`port-security maximum 1, violation restrict`).
    #[arg(long, default_value = "")]
    pub note: String,
    /// Only the registered devices of this subnet, as `export --subnet` (repeat).
    #[arg(long = "subnet", value_name = "CIDR")]
    pub subnets: Vec<IpNet>,
}

/// Arguments of `allowlist export`.
#[derive(Debug, Args)]
pub struct AllowlistArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: AllowlistFormat,
    /// Group devices by this subnet (repeat; devices outside every subnet form a last group).
    #[arg(long = "subnet", value_name = "CIDR")]
    pub subnets: Vec<IpNet>,
    /// Cisco: the access port of a subnet's devices, `SUBNET=IFACE` (repeat).
    #[arg(long = "cisco-interface", value_name = "SUBNET=IFACE", value_parser = parse_port_mapping)]
    pub cisco_interfaces: Vec<(IpNet, String)>,
    /// YAMAHA SWX: the access port of a subnet's devices, `SUBNET=PORT` (repeat).
    #[arg(long = "swx-port", value_name = "SUBNET=PORT", value_parser = parse_port_mapping)]
    pub swx_ports: Vec<(IpNet, String)>,
    /// YAMAHA SWX: the VLAN the devices are in.
    #[arg(long, default_value_t = 1)]
    pub swx_vlan: u16,
    /// YAMAHA RTX: the LAN interface.
    #[arg(long, default_value = "lan1")]
    pub rtx_interface: String,
    /// YAMAHA RTX: the first filter number.
    #[arg(long, default_value_t = 1)]
    pub rtx_first_filter: u32,
    /// YAMAHA RTX: the last filter number the firmware accepts (512 on current RTX1210
    /// firmware, 100 on older).
    #[arg(long, default_value_t = 512)]
    pub rtx_last_filter: u32,
    /// Aruba: the VLAN admitted devices are placed in.
    #[arg(long, default_value_t = 1)]
    pub aruba_vlan: u16,
    /// Aruba: the access ports (`1-24`).
    #[arg(long, default_value = "1-24")]
    pub aruba_ports: String,
    /// FreeRADIUS: how the switch writes the MAC in its request.
    #[arg(long, value_enum, default_value_t = RadiusFormat::NoDelimiter)]
    pub radius_mac_format: RadiusFormat,
    /// FreeRADIUS: the switch sends the MAC upper-case.
    #[arg(long)]
    pub radius_uppercase: bool,
    /// The file to write (stdout without it).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Allowlist formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AllowlistFormat {
    /// One MAC per line, grouped by subnet in comments.
    Plain,
    /// CSV with subnet, MAC, 管理番号, コンピュータ名, IP, 設置場所.
    Csv,
    /// YAMAHA RTX `ethernet filter` commands.
    YamahaRtx,
    /// YAMAHA SWX port security.
    YamahaSwx,
    /// Cisco IOS port-security.
    Cisco,
    /// ArubaOS-Switch local MAC authentication.
    Aruba,
    /// FreeRADIUS `users` entries for MAC authentication.
    Freeradius,
}

/// MAC formats of RADIUS MAC-authentication requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RadiusFormat {
    /// `aabbccddeeff` (ArubaOS-Switch default).
    NoDelimiter,
    /// `aabbcc-ddeeff`.
    SingleDash,
    /// `aa-bb-cc-dd-ee-ff`.
    MultiDash,
    /// `aa:bb:cc:dd:ee:ff`.
    MultiColon,
}

/// Runs `allowlist …` for `site`.
pub(super) fn run(ledger: &Ledger, site: &Site, cmd: AllowlistCommand) -> Result<(), CliError> {
    match cmd {
        AllowlistCommand::Export(args) => export(ledger, site, args),
        AllowlistCommand::Applied(args) => {
            let record = decisions::record_allowlist(
                ledger,
                &Actor::cli(),
                &AppliedAllowlist {
                    site: site.id,
                    place: args.place,
                    applied_by: args.by,
                    applied_on: args.on,
                    note: args.note,
                    subnets: args.subnets,
                },
                ledger.now(),
            )?;
            writeln!(
                std::io::stdout().lock(),
                "recorded restriction {}: {} MAC address(es) applied at {} on {}",
                record.id,
                record.macs.len(),
                terminal_text(&record.place),
                record.applied_on
            )?;
            Ok(())
        }
        AllowlistCommand::Records { all, format } => {
            let records = ledger.restrictions(site.id, !all)?;
            let mut out = std::io::stdout().lock();
            if format == Format::Json {
                writeln!(
                    out,
                    "{}",
                    daicho_ledger_io::text::terminal_json(
                        &serde_json::to_string_pretty(&records).unwrap_or_default()
                    )
                )?;
                return Ok(());
            }
            writeln!(
                out,
                "{:>4}  {:<10} {:>5}  {:<9} {:<16} PLACE",
                "ID", "APPLIED", "MACS", "STATE", "BY"
            )?;
            for r in records {
                let state = if r.withdrawn_at.is_some() {
                    "withdrawn"
                } else {
                    "active"
                };
                writeln!(
                    out,
                    "{:>4}  {:<10} {:>5}  {:<9} {:<16} {}",
                    r.id,
                    r.applied_on,
                    r.macs.len(),
                    state,
                    terminal_text(&r.applied_by),
                    terminal_text(&r.place)
                )?;
            }
            Ok(())
        }
        AllowlistCommand::Withdraw { id } => {
            decisions::withdraw_allowlist(ledger, &Actor::cli(), id, ledger.now())?;
            writeln!(std::io::stdout().lock(), "withdrew restriction {id}")?;
            Ok(())
        }
    }
}

fn export(ledger: &Ledger, site: &Site, args: AllowlistArgs) -> Result<(), CliError> {
    let list = registered_allowlist(ledger, site.id, &args.subnets)?;
    let output = match args.format {
        AllowlistFormat::Plain => AllowlistOutput::Plain,
        AllowlistFormat::Csv => AllowlistOutput::Csv,
        AllowlistFormat::YamahaRtx => AllowlistOutput::YamahaRtx(RtxOptions {
            interface: args.rtx_interface,
            first_filter: args.rtx_first_filter,
            last_filter: args.rtx_last_filter,
        }),
        AllowlistFormat::YamahaSwx => AllowlistOutput::YamahaSwx(SwxOptions {
            ports: args.swx_ports,
            vlan: args.swx_vlan,
        }),
        AllowlistFormat::Cisco => AllowlistOutput::Cisco(CiscoOptions {
            interfaces: args.cisco_interfaces,
            violation: CiscoViolation::Restrict,
        }),
        AllowlistFormat::Aruba => AllowlistOutput::Aruba(ArubaOptions {
            vlan: args.aruba_vlan,
            ports: args.aruba_ports,
        }),
        AllowlistFormat::Freeradius => AllowlistOutput::FreeRadius {
            mac_format: match args.radius_mac_format {
                RadiusFormat::NoDelimiter => RadiusMacFormat::NoDelimiter,
                RadiusFormat::SingleDash => RadiusMacFormat::SingleDash,
                RadiusFormat::MultiDash => RadiusMacFormat::MultiDash,
                RadiusFormat::MultiColon => RadiusMacFormat::MultiColon,
            },
            uppercase: args.radius_uppercase,
        },
    };
    let bytes = render_allowlist(&list, &output)?;
    write_output(args.output.as_deref(), &bytes, false)?;
    for s in &list.skipped {
        eprintln!(
            "left out {}: {}",
            terminal_text(&s.asset_no),
            terminal_text(&s.reason)
        );
    }
    eprintln!(
        "{} device(s) allowed in {} group(s)",
        list.len(),
        list.groups.len()
    );
    Ok(())
}
