//! The command line: `serve`, `token …`, `device …`, `exception …`, `alert …`, and the
//! ledger's files: `ledger import|export`, `report checklist`, `allowlist export`; `data status`.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use daicho_ledger::exceptions::NewException;
use daicho_ledger::{Ledger, LedgerError, LedgerFieldsPatch, Role, SiteScope};
use daicho_ledger_io::text::{terminal_json, terminal_text};
use daicho_model::MacAddr;

use crate::config::{Config, ConfigError};
use crate::decisions::{self, Actor};
use crate::site_access::{report_site, requested_scope, site_ids};

mod allowlist;
mod backup;
mod data;
mod ledger;
mod migrate;
mod output;
mod remote_maintenance;
mod report;
mod site;
mod user;

use crate::server::{ServeError, Server};
pub use allowlist::{AllowlistArgs, AllowlistCommand, AllowlistFormat, RadiusFormat};
pub use data::DataCommand;
pub use ledger::{Encoding, ExportFormat, LedgerCommand};
pub use remote_maintenance::RemoteMaintenanceCommand;
pub use report::{ChecklistArgs, ChecklistFormat, ReportCommand};
pub use site::SiteCommand;
pub use user::UserCommand;

/// daicho-collector: merges agents' scan reports into the device ledger.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Configuration file (default /etc/daicho/collector.toml when it exists, else built-in
    /// defaults).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The site (hospital of a group) the command is about: the ledger, checklist and
    /// allowlist of that site, the devices, alerts and exceptions of that site only, the site
    /// a new token is bound to (`a,b` for an operator token of several sites). Needed for the
    /// per-site files once a second site exists.
    #[arg(long, global = true, value_name = "SITE")]
    pub site: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API until SIGINT or SIGTERM.
    Serve,
    /// Manage bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Sites: the hospitals of a group, each with its own devices, ledger and checklist.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Operator decisions on devices (they survive later scans).
    #[command(subcommand)]
    Device(DeviceCommand),
    /// The exception register: vendor-agreed services allowed until a date.
    #[command(subcommand)]
    Exception(ExceptionCommand),
    /// Alerts: list, acknowledge.
    #[command(subcommand)]
    Alert(AlertCommand),
    /// The MHLW device ledger as a file: import a hand-kept one, export it.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Reports for the inspector.
    #[command(subcommand)]
    Report(ReportCommand),
    /// MAC allowlists for routers and switches (checklist 2-⑬).
    #[command(subcommand)]
    Allowlist(AllowlistCommand),
    /// The remote-maintenance register (checklist 2-②): who maintains which device, and
    /// whether remotely, as the vendor confirmed.
    #[command(subcommand)]
    RemoteMaintenance(RemoteMaintenanceCommand),
    /// Web console accounts: add, list, change a password, disable.
    #[command(subcommand)]
    User(UserCommand),
    /// The data sets in use (IEEE registry, EOL dates, known-exploited list, rules): status,
    /// import of a signed bundle, rollback.
    #[command(subcommand)]
    Data(DataCommand),
    /// Write a consistent, checked copy of the database (safe while the server runs).
    Backup {
        /// The backup file (created 0600; replaced when it exists).
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Copy a clinic's SQLite ledger into a hospital group's PostgreSQL ledger as the site
    /// `--site` (created when missing, labelled with the clinic's facility name; the implicit
    /// site when not given), with its history and its agents' tokens. All or nothing; the site
    /// must hold no device yet.
    Migrate {
        /// The clinic's database file.
        #[arg(long, value_name = "SQLITE_FILE")]
        from: PathBuf,
        /// The group's database (`postgresql://user:password@host:port/db`).
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Replace the database with a backup; the collector must be stopped.
    Restore {
        /// The backup file.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// Replace an existing database (it is kept as `<database>.before-restore-<time>`).
        #[arg(long)]
        force: bool,
    },
}

/// `exception …`.
#[derive(Debug, Subcommand)]
pub enum ExceptionCommand {
    /// Allow a service on a device until a date (it stops raising `unneeded_service`).
    Add {
        /// The device.
        #[arg(long)]
        device: i64,
        /// The service name (`telnet`) or risky-rule id (`snmp-default-community`).
        #[arg(long)]
        service: String,
        /// Why it is allowed (shown to the inspector).
        #[arg(long)]
        reason: String,
        /// Who approved it.
        #[arg(long)]
        approver: String,
        /// The last valid day, YYYY-MM-DD.
        #[arg(long)]
        expires: String,
    },
    /// Revoke an exception; the flag it silenced returns.
    Revoke {
        /// Exception id.
        id: i64,
    },
    /// List the register.
    List {
        /// Only this device.
        #[arg(long)]
        device: Option<i64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// `alert …`.
#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// List alerts with their deliveries.
    List {
        /// Include closed alerts.
        #[arg(long)]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Acknowledge an alert: no more reminders.
    Ack {
        /// Alert id.
        id: i64,
        /// Who acknowledges it.
        #[arg(long, default_value = "operator")]
        by: String,
    },
}

/// `token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once (only its SHA-256 is stored).
    Create {
        /// An agent token (may push reports), named after the agent.
        #[arg(
            long,
            value_name = "NAME",
            conflicts_with = "operator",
            required_unless_present = "operator"
        )]
        agent: Option<String>,
        /// An operator token (may read and change the ledger).
        #[arg(long, value_name = "NAME")]
        operator: Option<String>,
    },
    /// Revoke a token by id, or every token of a name.
    Revoke {
        /// Token id or name.
        id_or_name: String,
    },
    /// List tokens (never the tokens themselves).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// `device …`.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Merge device FROM into device INTO (FROM's MACs and history move to INTO).
    Merge {
        /// The device kept.
        into: i64,
        /// The device merged away.
        from: i64,
    },
    /// Move MACs of a device to a new device.
    Split {
        /// The device.
        id: i64,
        /// A MAC to split off (repeat for several).
        #[arg(long = "mac", required = true, value_name = "MAC")]
        macs: Vec<MacAddr>,
    },
    /// Show one device with its history, as JSON.
    Show {
        /// The device.
        id: i64,
    },
    /// Register a device in the ledger: set the fields a scan cannot see. Fields not given
    /// stay as they are; 登録日 defaults to today when the device had none.
    Register {
        /// The device.
        id: i64,
        /// 管理番号 (unique).
        #[arg(long)]
        asset_no: String,
        /// 設置場所.
        #[arg(long)]
        location: Option<String>,
        /// 利用者.
        #[arg(long)]
        user: Option<String>,
        /// 状態 (稼働, 停止, …).
        #[arg(long)]
        status: Option<String>,
        /// 説明.
        #[arg(long)]
        description: Option<String>,
        /// 登録日, YYYY-MM-DD.
        #[arg(long)]
        registered_on: Option<String>,
    },
    /// Assign a role profile of the policy (`ehr-server`, `terminal`, `pacs`, …).
    Role {
        /// The device.
        id: i64,
        /// The role id; omit with --clear.
        #[arg(required_unless_present = "clear")]
        role: Option<String>,
        /// Remove the role.
        #[arg(long, conflicts_with = "role")]
        clear: bool,
    },
}

/// Output formats of listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// JSON.
    Json,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Ledger failure.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Server failure.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// The ledger export failed.
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    /// Writing output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// Reading or writing a named file failed.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A ledger file could not be imported (nothing was).
    #[error(transparent)]
    Import(#[from] daicho_ledger_io::ImportError),
    /// The ledger could not be exported.
    #[error(transparent)]
    Export(#[from] daicho_ledger_io::ExportError),
    /// The allowlist could not be rendered.
    #[error(transparent)]
    Allowlist(#[from] daicho_ledger_io::allowlist::AllowlistError),
    /// A report could not be rendered.
    #[error("cannot render the report: {0}")]
    Render(String),
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let config = Config::load_or_default(cli.config.as_deref())?;
    // Every command judges with the installed data bundle, when there is one.
    crate::bundles::use_installed(&config);
    let site = cli.site;
    match cli.command {
        Command::Serve => serve(&config).await,
        Command::Token(cmd) => {
            tokio::task::spawn_blocking(move || token(&config, site.as_deref(), cmd))
                .await
                .map_err(|e| CliError::Output(std::io::Error::other(e)))?
        }
        Command::Site(cmd) => tokio::task::spawn_blocking(move || site::run(&open(&config)?, cmd))
            .await
            .map_err(|e| CliError::Output(std::io::Error::other(e)))?,
        Command::Device(cmd) => tokio::task::spawn_blocking(move || device(&config, cmd))
            .await
            .map_err(|e| CliError::Output(std::io::Error::other(e)))?,
        Command::Exception(cmd) => {
            tokio::task::spawn_blocking(move || exception(&config, site.as_deref(), cmd))
                .await
                .map_err(|e| CliError::Output(std::io::Error::other(e)))?
        }
        Command::Alert(cmd) => {
            tokio::task::spawn_blocking(move || alert(&config, site.as_deref(), cmd))
                .await
                .map_err(|e| CliError::Output(std::io::Error::other(e)))?
        }
        Command::Ledger(cmd) => tokio::task::spawn_blocking(move || {
            let ledger = open(&config)?;
            let site = report_site(&ledger, &SiteScope::All, site.as_deref())?;
            ledger::run(&ledger, &site, cmd)
        })
        .await
        .map_err(|e| CliError::Output(std::io::Error::other(e)))?,
        Command::Report(cmd) => tokio::task::spawn_blocking(move || {
            let ledger = open(&config)?;
            report::run(&ledger, site.as_deref(), cmd)
        })
        .await
        .map_err(|e| CliError::Output(std::io::Error::other(e)))?,
        Command::Allowlist(cmd) => tokio::task::spawn_blocking(move || {
            let ledger = open(&config)?;
            let site = report_site(&ledger, &SiteScope::All, site.as_deref())?;
            allowlist::run(&ledger, &site, cmd)
        })
        .await
        .map_err(|e| CliError::Output(std::io::Error::other(e)))?,
        Command::RemoteMaintenance(cmd) => tokio::task::spawn_blocking(move || {
            let ledger = open(&config)?;
            let site = report_site(&ledger, &SiteScope::All, site.as_deref())?;
            remote_maintenance::run(&ledger, &site, cmd)
        })
        .await
        .map_err(|e| CliError::Output(std::io::Error::other(e)))?,
        Command::User(cmd) => tokio::task::spawn_blocking(move || user::run(&open(&config)?, cmd))
            .await
            .map_err(|e| CliError::Output(std::io::Error::other(e)))?,
        Command::Data(cmd) => tokio::task::spawn_blocking(move || data::run(&config, &cmd))
            .await
            .map_err(|e| CliError::Output(std::io::Error::other(e)))?,
        Command::Backup { output } => {
            tokio::task::spawn_blocking(move || backup::backup(&config, &output))
                .await
                .map_err(|e| CliError::Output(std::io::Error::other(e)))?
        }
        Command::Migrate { from, to } => {
            let options = config.ledger.options();
            tokio::task::spawn_blocking(move || migrate::run(&from, &to, site.as_deref(), options))
                .await
                .map_err(|e| CliError::Output(std::io::Error::other(e)))?
        }
        Command::Restore { input, force } => {
            tokio::task::spawn_blocking(move || backup::restore(&config, &input, force))
                .await
                .map_err(|e| CliError::Output(std::io::Error::other(e)))?
        }
    }
}

async fn serve(config: &Config) -> Result<(), CliError> {
    let server = Server::bind(config).await?;
    tracing::info!(database = %config.storage.shown(), "ledger open");
    server.run(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn open(config: &Config) -> Result<Ledger, CliError> {
    let policy = config.load_policy()?;
    Ok(
        Ledger::open_storage(&config.storage.storage(), config.ledger.options())?
            .with_policy(policy),
    )
}

fn token(config: &Config, site: Option<&str>, cmd: TokenCommand) -> Result<(), CliError> {
    let ledger = open(config)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        TokenCommand::Create { agent, operator } => {
            let (name, role) = match (agent, operator) {
                (Some(a), _) => (a, Role::Agent),
                (None, Some(o)) => (o, Role::Operator),
                (None, None) => unreachable!("clap requires --agent or --operator"),
            };
            let names: Vec<String> = site
                .map(|s| s.split(',').map(str::to_owned).collect())
                .unwrap_or_default();
            let sites = site_ids(&ledger, &names)?;
            let (info, token) =
                decisions::create_token(&ledger, &Actor::cli(), &name, role, &sites, ledger.now())?;
            let bound: Vec<String> = ledger
                .sites()?
                .into_iter()
                .filter(|s| info.sites.contains(&s.id))
                .map(|s| s.name)
                .collect();
            eprintln!(
                "created {} token {} for `{}` ({}); it is shown only now, store it safely:",
                info.role.as_str(),
                info.id,
                terminal_text(&info.name),
                if bound.is_empty() {
                    "every site".to_owned()
                } else {
                    format!("site {}", terminal_text(&bound.join(", ")))
                }
            );
            writeln!(out, "{token}")?;
        }
        TokenCommand::Revoke { id_or_name } => {
            let n = decisions::revoke_tokens_by_id_or_name(
                &ledger,
                &Actor::cli(),
                &id_or_name,
                ledger.now(),
            )?;
            writeln!(out, "revoked {n} token(s)")?;
        }
        TokenCommand::List { format } => {
            let tokens = ledger.list_tokens()?;
            if format == Format::Json {
                writeln!(
                    out,
                    "{}",
                    terminal_json(&serde_json::to_string_pretty(&tokens).unwrap_or_default())
                )?;
            } else {
                writeln!(
                    out,
                    "{:>4}  {:<9} {:<24} {:<27} {:<27} LAST USED",
                    "ID", "ROLE", "NAME", "CREATED", "REVOKED"
                )?;
                for t in tokens {
                    writeln!(
                        out,
                        "{:>4}  {:<9} {:<24} {:<27} {:<27} {}",
                        t.id,
                        t.role.as_str(),
                        terminal_text(&t.name),
                        t.created_at,
                        t.revoked_at.as_deref().unwrap_or("-"),
                        t.last_used_at.as_deref().unwrap_or("-")
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn device(config: &Config, cmd: DeviceCommand) -> Result<(), CliError> {
    let ledger = open(config)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        DeviceCommand::Merge { into, from } => {
            let outcome =
                decisions::merge_devices(&ledger, &Actor::cli(), into, from, ledger.now())?;
            writeln!(
                out,
                "merged device {from} into device {into}; it now has {} identity key(s)",
                outcome.device.keys.len()
            )?;
        }
        DeviceCommand::Split { id, macs } => {
            let outcome = decisions::split_device(&ledger, &Actor::cli(), id, &macs, ledger.now())?;
            writeln!(
                out,
                "split {} MAC(s) off device {id} into new device {}",
                macs.len(),
                outcome.split_off.summary.id
            )?;
        }
        DeviceCommand::Show { id } => {
            let detail = ledger.device(id)?;
            writeln!(
                out,
                "{}",
                terminal_json(&serde_json::to_string_pretty(&detail).unwrap_or_default())
            )?;
        }
        DeviceCommand::Register {
            id,
            asset_no,
            location,
            user,
            status,
            description,
            registered_on,
        } => {
            let patch = LedgerFieldsPatch {
                asset_no: Some(Some(asset_no)),
                location: location.map(Some),
                user: user.map(Some),
                status: status.map(Some),
                description: description.map(Some),
                registered_on: registered_on.map(Some),
                ..LedgerFieldsPatch::default()
            };
            let detail =
                decisions::register_device(&ledger, &Actor::cli(), id, patch, ledger.now())?;
            writeln!(
                out,
                "registered device {id} as 管理番号 {}; flags now: {}",
                terminal_text(detail.summary.ledger.asset_no.as_deref().unwrap_or("-")),
                if detail.summary.flags.is_empty() {
                    "none".to_owned()
                } else {
                    detail.summary.flags.join(", ")
                }
            )?;
        }
        DeviceCommand::Role { id, role, clear } => {
            let role = if clear { None } else { role };
            decisions::set_role(&ledger, &Actor::cli(), id, role.as_deref(), ledger.now())?;
            let flags = ledger.device(id)?.summary.flags;
            writeln!(
                out,
                "device {id}: role {}; flags now: {}",
                terminal_text(role.as_deref().unwrap_or("(none)")),
                if flags.is_empty() {
                    "none".to_owned()
                } else {
                    flags.join(", ")
                }
            )?;
        }
    }
    Ok(())
}

fn exception(config: &Config, site: Option<&str>, cmd: ExceptionCommand) -> Result<(), CliError> {
    let ledger = open(config)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        ExceptionCommand::Add {
            device,
            service,
            reason,
            approver,
            expires,
        } => {
            let id = decisions::add_exception(
                &ledger,
                &Actor::cli(),
                &NewException {
                    device_id: device,
                    service,
                    reason,
                    approver,
                    expires,
                },
                ledger.now(),
            )?;
            writeln!(out, "recorded exception {id}")?;
        }
        ExceptionCommand::Revoke { id } => {
            decisions::revoke_exception(&ledger, &Actor::cli(), id, ledger.now())?;
            writeln!(out, "revoked exception {id}")?;
        }
        ExceptionCommand::List { device, format } => {
            let scope = requested_scope(&ledger, &SiteScope::All, site)?;
            let list = ledger.exceptions(&scope, device)?;
            if format == Format::Json {
                writeln!(
                    out,
                    "{}",
                    terminal_json(&serde_json::to_string_pretty(&list).unwrap_or_default())
                )?;
            } else {
                writeln!(
                    out,
                    "{:>4}  {:>6}  {:<24} {:<10} {:<16} {:<8} REASON",
                    "ID", "DEVICE", "SERVICE", "EXPIRES", "APPROVER", "STATE"
                )?;
                for e in list {
                    let state = if e.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    writeln!(
                        out,
                        "{:>4}  {:>6}  {:<24} {:<10} {:<16} {:<8} {}",
                        e.id,
                        e.device_id,
                        terminal_text(&e.service),
                        e.expires,
                        terminal_text(&e.approver),
                        state,
                        terminal_text(&e.reason)
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn alert(config: &Config, site: Option<&str>, cmd: AlertCommand) -> Result<(), CliError> {
    let ledger = open(config)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        AlertCommand::List { all, format } => {
            let scope = requested_scope(&ledger, &SiteScope::All, site)?;
            let alerts = ledger.alerts(&scope, !all, 1000)?;
            if format == Format::Json {
                writeln!(
                    out,
                    "{}",
                    terminal_json(&serde_json::to_string_pretty(&alerts).unwrap_or_default())
                )?;
            } else {
                writeln!(
                    out,
                    "{:>5}  {:>6}  {:<20} {:<27} {:<24} SUBJECT",
                    "ID", "DEVICE", "FLAG", "RAISED", "DELIVERED"
                )?;
                for a in alerts {
                    let delivered: Vec<String> = a
                        .deliveries
                        .iter()
                        .map(|d| {
                            format!(
                                "{}{}",
                                d.channel,
                                if d.delivered_at.is_some() {
                                    "✓"
                                } else {
                                    "✗"
                                }
                            )
                        })
                        .collect();
                    writeln!(
                        out,
                        "{:>5}  {:>6}  {:<20} {:<27} {:<24} {}",
                        a.id,
                        a.device_id,
                        terminal_text(&a.flag),
                        a.raised_at,
                        terminal_text(&delivered.join(" ")),
                        terminal_text(&a.subject)
                    )?;
                }
            }
        }
        AlertCommand::Ack { id, by } => {
            decisions::acknowledge_alert(&ledger, &Actor::cli(), &by, id, ledger.now())?;
            writeln!(out, "acknowledged alert {id}")?;
        }
    }
    Ok(())
}
