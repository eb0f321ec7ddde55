//! The agent's TOML configuration: parsing with unknown keys refused, then validation of what
//! the types alone cannot check (targets, token file, spool directory). Every error names the
//! file and the key.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

/// Why the configuration cannot be used. Displays as `FILE: key `KEY`: MESSAGE`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}{message}", file.display(), key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default())]
pub struct ConfigError {
    /// The configuration file.
    pub file: PathBuf,
    /// The offending key, dotted (`collector.token_file`), when one is at fault.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Log output style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Human,
    /// One JSON object per line, for log shippers.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Self::Human),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown log format `{other}` (human or json)")),
        }
    }
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    agent: RawAgent,
    schedule: RawSchedule,
    collector: RawCollector,
    #[serde(default)]
    spool: RawSpool,
    #[serde(default)]
    log: RawLog,
    scan: Option<RawScan>,
    #[serde(default)]
    inventory: RawInventory,
    #[serde(default)]
    data: RawData,
    snmp: Option<RawSnmp>,
}

/// `[snmp]`: the managed switches to read, and their read-only community.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSnmp {
    community: SnmpCommunity,
    #[serde(default)]
    switches: Vec<String>,
}

/// A read-only SNMP community: a password, so it prints as `<secret>` and is never logged.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SnmpCommunity(String);

impl SnmpCommunity {
    /// The community itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SnmpCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SnmpCommunity(<secret>)")
    }
}

/// `[snmp]`, validated: switches to read after each scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchSettings {
    /// The read-only SNMP v2c community.
    pub community: SnmpCommunity,
    /// The switches' management addresses, each inside the scan's scope and not excluded.
    pub switches: Vec<std::net::IpAddr>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    #[serde(default)]
    trusted_keys: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    name: Option<String>,
    #[serde(default)]
    log_format: LogFormat,
    log_level: Option<String>,
    shutdown_grace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    interval: Option<String>,
    cron: Option<String>,
    jitter: Option<String>,
    run_at_start: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCollector {
    url: String,
    token_file: PathBuf,
    ca_file: Option<PathBuf>,
    timeout: Option<String>,
    retry_initial: Option<String>,
    retry_max: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpool {
    dir: Option<PathBuf>,
    max_reports: Option<usize>,
    max_megabytes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    to: Option<LogTo>,
    file: Option<PathBuf>,
}

/// `[log] to`: where the log goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogTo {
    /// Standard error (`run`'s default).
    Stderr,
    /// The Windows event log, source `daicho-agent` (the Windows service's default).
    Eventlog,
    /// A file, appended to.
    File,
}

/// Where the log goes, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogDestination {
    /// Standard error.
    Stderr,
    /// The Windows event log (Application log, source `daicho-agent`).
    EventLog,
    /// This file, appended to.
    File(PathBuf),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScan {
    targets: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    ports: Option<String>,
    rate: Option<u32>,
    per_host_rate: Option<u32>,
    interface: Option<String>,
    max_hosts: Option<u32>,
    #[serde(default)]
    snmp_communities: Vec<String>,
    #[serde(default)]
    probe_medical: bool,
    #[serde(default)]
    medical_hosts: Vec<String>,
    #[serde(default)]
    no_fingerprint: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    #[serde(default = "yes")]
    enabled: bool,
}

impl Default for RawInventory {
    fn default() -> Self {
        Self { enabled: true }
    }
}

fn yes() -> bool {
    true
}

/// A validated agent configuration; relative paths are resolved against the file's directory.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The file it was read from.
    pub path: PathBuf,
    /// The agent's name in reports; the host name when unset.
    pub agent_name: Option<String>,
    /// Log style.
    pub log_format: LogFormat,
    /// Log filter (`info`, `daicho_agent=debug`, …).
    pub log_level: String,
    /// Where the log goes; `None`: the mode's own (standard error for `run`, the event log for
    /// the Windows service).
    pub log_to: Option<LogDestination>,
    /// How long a shutdown may spend delivering the spool before leaving it on disk.
    pub shutdown_grace: Duration,
    /// When runs happen.
    pub schedule: ScheduleConfig,
    /// Where reports go.
    pub collector: CollectorConfig,
    /// Where undelivered reports wait.
    pub spool: SpoolConfig,
    /// What to scan; `None` means an inventory-only agent.
    pub scan: Option<ScanSettings>,
    /// Whether each report includes the local inventory.
    pub inventory: bool,
    /// Data bundles fetched from the collector.
    pub data: DataSettings,
}

/// `[data]`: the data bundle the agent fetches from its collector.
#[derive(Debug, Clone)]
pub struct DataSettings {
    /// Where the installed bundle and the previous one live: `data/` in the spool directory.
    pub dir: PathBuf,
    /// The publisher keys trusted: daicho's own and `[data] trusted_keys`.
    pub trusted_keys: Vec<daicho_bundle::PublicKey>,
}

/// When runs happen.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// Fixed interval or cron expression.
    pub kind: ScheduleKind,
    /// Each run is delayed by a random amount in `0..jitter`, so agents do not all push at once.
    pub jitter: Duration,
    /// Whether the first run happens at start-up instead of at the first scheduled time.
    pub run_at_start: bool,
}

/// The schedule's rule.
#[derive(Debug, Clone)]
pub enum ScheduleKind {
    /// Every `Duration`.
    Interval(Duration),
    /// A 5-field cron expression, evaluated in local time.
    Cron(Box<croner::Cron>),
}

/// The collector to deliver to.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    /// Base URL, e.g. `https://collector.example:8443/`.
    pub url: reqwest::Url,
    /// File holding the bearer token (read at each delivery so it can be rotated).
    pub token_file: PathBuf,
    /// PEM file of the CA (or self-signed certificate) to trust instead of the system roots.
    pub ca_file: Option<PathBuf>,
    /// Timeout of one delivery request.
    pub timeout: Duration,
    /// First retry delay after a failed delivery.
    pub retry_initial: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

/// The on-disk spool.
#[derive(Debug, Clone)]
pub struct SpoolConfig {
    /// Its directory (`pending/` and `rejected/` live inside).
    pub dir: PathBuf,
    /// At most this many pending reports.
    pub max_reports: usize,
    /// At most this many bytes of pending reports.
    pub max_bytes: u64,
}

/// The scan section: handed to the scanner as is; only the format is checked here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSettings {
    /// Targets: CIDR, single address or `A-B` range.
    pub targets: Vec<String>,
    /// Exclusions in the same forms.
    pub exclude: Vec<String>,
    /// Port specification, e.g. `22,80,443,1000-1100`.
    pub ports: Option<String>,
    /// Global packets per second.
    pub rate: Option<u32>,
    /// Packets per second to any one host.
    pub per_host_rate: Option<u32>,
    /// Interface to scan from.
    pub interface: Option<String>,
    /// Refuse scopes larger than this many addresses.
    pub max_hosts: Option<u32>,
    /// SNMP v2c communities to try; empty = no SNMP query at all.
    pub snmp_communities: Vec<String>,
    /// Probe medical devices beyond a TCP connect (operator opt-in).
    pub probe_medical: bool,
    /// Hosts to treat as medical devices.
    pub medical_hosts: Vec<std::net::IpAddr>,
    /// Discovery only: no ports, services or OS.
    pub no_fingerprint: bool,
    /// `[snmp]`: managed switches to read after the hosts; `None` = none.
    pub switches: Option<SwitchSettings>,
}

impl AgentConfig {
    /// Reads and validates the configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_owned(),
            key: None,
            message: format!("cannot read: {e}"),
        })?;
        let config = Self::parse(path, &text)?;
        if config.scan.as_ref().is_some_and(|s| s.switches.is_some()) {
            // The file holds a password ([snmp] community): not for every user's eyes.
            check_secret_mode(path).map_err(|m| ConfigError {
                file: path.to_owned(),
                key: Some("snmp.community".into()),
                message: m.replace("token file", "configuration file"),
            })?;
        }
        Ok(config)
    }

    /// Parses and validates configuration text that came from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let err = |key: &str, message: String| ConfigError {
            file: path.to_owned(),
            key: (!key.is_empty()).then(|| key.to_owned()),
            message,
        };
        let raw = parse_toml(text).map_err(|(key, message)| err(&key, message))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_owned()
            } else {
                base.join(p)
            }
        };
        let duration = |key: &str, value: Option<&String>, default: Duration| match value {
            None => Ok(default),
            Some(v) => parse_duration(v).map_err(|m| err(key, m)),
        };

        let kind = match (&raw.schedule.interval, &raw.schedule.cron) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "schedule",
                    "set either `interval` or `cron`, not both".into(),
                ));
            }
            (None, None) => {
                return Err(err(
                    "schedule",
                    "set `interval` (e.g. \"1h\") or `cron` (e.g. \"0 */6 * * *\")".into(),
                ));
            }
            (Some(i), None) => {
                let d = parse_duration(i).map_err(|m| err("schedule.interval", m))?;
                if d < Duration::from_secs(1) {
                    return Err(err("schedule.interval", "must be at least 1s".into()));
                }
                ScheduleKind::Interval(d)
            }
            (None, Some(c)) => ScheduleKind::Cron(Box::new(
                parse_cron(c).map_err(|m| err("schedule.cron", m))?,
            )),
        };
        let schedule = ScheduleConfig {
            kind,
            jitter: duration(
                "schedule.jitter",
                raw.schedule.jitter.as_ref(),
                Duration::ZERO,
            )?,
            run_at_start: raw.schedule.run_at_start.unwrap_or(true),
        };

        let url = reqwest::Url::parse(&raw.collector.url).map_err(|e| {
            err(
                "collector.url",
                format!("`{}` is not a URL: {e}", raw.collector.url),
            )
        })?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(err(
                "collector.url",
                format!("scheme `{}` is not http or https", url.scheme()),
            ));
        }
        let token_file = resolve(&raw.collector.token_file);
        read_token(&token_file).map_err(|m| err("collector.token_file", m))?;
        let ca_file = raw.collector.ca_file.as_deref().map(resolve);
        if let Some(ca) = &ca_file {
            let pem = std::fs::read(ca).map_err(|e| {
                err(
                    "collector.ca_file",
                    format!("cannot read {}: {e}", ca.display()),
                )
            })?;
            reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|certs| !certs.is_empty())
                .ok_or_else(|| {
                    err(
                        "collector.ca_file",
                        format!("{} holds no PEM certificate", ca.display()),
                    )
                })?;
        }
        let collector = CollectorConfig {
            url,
            token_file,
            ca_file,
            timeout: duration(
                "collector.timeout",
                raw.collector.timeout.as_ref(),
                Duration::from_secs(30),
            )?,
            retry_initial: duration(
                "collector.retry_initial",
                raw.collector.retry_initial.as_ref(),
                Duration::from_secs(10),
            )?,
            retry_max: duration(
                "collector.retry_max",
                raw.collector.retry_max.as_ref(),
                Duration::from_mins(10),
            )?,
        };

        let spool_dir = match (&raw.spool.dir, crate::paths::default_paths()) {
            (Some(dir), _) => resolve(dir),
            (None, Some(defaults)) => defaults.spool,
            (None, None) => return Err(err("spool.dir", "missing field `dir`".into())),
        };
        check_spool_dir(&spool_dir).map_err(|m| err("spool.dir", m))?;
        let spool = SpoolConfig {
            dir: spool_dir,
            max_reports: match raw.spool.max_reports {
                Some(0) => return Err(err("spool.max_reports", "must be at least 1".into())),
                Some(n) => n,
                None => 1000,
            },
            max_bytes: match raw.spool.max_megabytes {
                Some(0) => return Err(err("spool.max_megabytes", "must be at least 1".into())),
                Some(n) => n * 1024 * 1024,
                None => 512 * 1024 * 1024,
            },
        };

        let mut trusted_keys = daicho_bundle::keys::TRUSTED.to_vec();
        for key in &raw.data.trusted_keys {
            trusted_keys.push(daicho_bundle::PublicKey::from_hex(key).ok_or_else(|| {
                err(
                    "data.trusted_keys",
                    format!("`{key}` is not a public key of 64 hex digits"),
                )
            })?);
        }
        let data = DataSettings {
            dir: spool.dir.join("data"),
            trusted_keys,
        };

        let mut scan = raw.scan.map(|s| validate_scan(s, &err)).transpose()?;
        if let Some(snmp) = raw.snmp {
            let Some(scan) = &mut scan else {
                return Err(err(
                    "snmp",
                    "needs a [scan] section: the switches must be inside its scope".into(),
                ));
            };
            scan.switches = Some(validate_snmp(snmp, scan, &err)?);
        }
        if scan.is_none() && !raw.inventory.enabled {
            return Err(err(
                "inventory.enabled",
                "is false and there is no [scan] section: every report would be empty".into(),
            ));
        }

        let log_to = log_destination(&raw.log, &resolve).map_err(|(key, m)| err(key, m))?;

        Ok(Self {
            path: path.to_owned(),
            agent_name: raw.agent.name,
            log_format: raw.agent.log_format,
            log_level: raw.agent.log_level.unwrap_or_else(|| "info".into()),
            log_to,
            shutdown_grace: duration(
                "agent.shutdown_grace",
                raw.agent.shutdown_grace.as_ref(),
                Duration::from_secs(10),
            )?,
            schedule,
            collector,
            spool,
            scan,
            inventory: raw.inventory.enabled,
            data,
        })
    }
}

/// `[log]`: `file` alone means `to = "file"`; `to = "file"` alone takes the default log file
/// (on Windows `%ProgramData%\daicho\agent.log`); the event log exists on Windows only.
fn log_destination(
    raw: &RawLog,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<Option<LogDestination>, (&'static str, String)> {
    match (raw.to, &raw.file) {
        (None, None) => Ok(None),
        (None | Some(LogTo::File), Some(file)) => Ok(Some(LogDestination::File(resolve(file)))),
        (Some(LogTo::File), None) => crate::paths::default_paths()
            .map(|paths| Some(LogDestination::File(paths.log)))
            .ok_or(("log.file", "is required with to = \"file\"".into())),
        (Some(to), Some(_)) => Err((
            "log.file",
            format!("is set but `to` is \"{}\": remove one", to.name()),
        )),
        (Some(LogTo::Stderr), None) => Ok(Some(LogDestination::Stderr)),
        (Some(LogTo::Eventlog), None) if cfg!(windows) => Ok(Some(LogDestination::EventLog)),
        (Some(LogTo::Eventlog), None) => Err((
            "log.to",
            "\"eventlog\" is the Windows event log; use \"stderr\" (journald) or \"file\" here"
                .into(),
        )),
    }
}

impl LogTo {
    fn name(self) -> &'static str {
        match self {
            Self::Stderr => "stderr",
            Self::Eventlog => "eventlog",
            Self::File => "file",
        }
    }
}

/// Deserialises, reporting the dotted path of the offending key.
fn parse_toml(text: &str) -> Result<RawConfig, (String, String)> {
    let de =
        toml::Deserializer::parse(text).map_err(|e| (String::new(), toml_message(&e, text)))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let mut path = e.path().to_string();
        let inner = e.into_inner();
        let message = toml_message(&inner, text);
        // serde reports a missing key at its parent table; name the key itself.
        if let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            path = if path == "." {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            };
        }
        if path == "." {
            path.clear();
        }
        (path, message)
    })
}

/// The message of a toml error with the line it points at, without the rendered snippet.
fn toml_message(e: &toml::de::Error, text: &str) -> String {
    let message = e.message().trim().to_owned();
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("{message} (line {line})")
        }
        None => message,
    }
}

fn validate_scan(
    s: RawScan,
    err: &dyn Fn(&str, String) -> ConfigError,
) -> Result<ScanSettings, ConfigError> {
    if s.targets.is_empty() {
        return Err(err(
            "scan.targets",
            "is empty: name the scope explicitly (the agent never guesses it), or remove [scan] for an inventory-only agent".into(),
        ));
    }
    for (i, t) in s.targets.iter().enumerate() {
        check_target(t).map_err(|m| err(&format!("scan.targets[{i}]"), m))?;
    }
    for (i, t) in s.exclude.iter().enumerate() {
        check_target(t).map_err(|m| err(&format!("scan.exclude[{i}]"), m))?;
    }
    // The whole scope, as the scanner will see it: refuses one that is all excluded or larger
    // than max_hosts now, at start, rather than at the first scheduled run.
    daicho_scan::Scope::parse(
        &s.targets,
        &s.exclude,
        s.max_hosts
            .map_or(daicho_scan::DEFAULT_MAX_HOSTS, u64::from),
        false,
    )
    .map_err(|e| err("scan.targets", e.to_string()))?;
    if let Some(p) = &s.ports
        && let Err(e) = daicho_fingerprint::PortSpec::parse(p)
    {
        return Err(err(
            "scan.ports",
            format!("`{p}` is not a port specification such as \"22,80,443,8000-8100\": {e}"),
        ));
    }
    let mut medical_hosts = Vec::with_capacity(s.medical_hosts.len());
    for h in &s.medical_hosts {
        medical_hosts.push(
            h.trim()
                .parse()
                .map_err(|_| err("scan.medical_hosts", format!("`{h}` is not an IP address")))?,
        );
    }
    if let Some(c) = s.snmp_communities.iter().find(|c| c.is_empty()) {
        return Err(err(
            "scan.snmp_communities",
            format!("an SNMP community cannot be empty (`{c}`)"),
        ));
    }
    for (key, value) in [
        ("scan.rate", s.rate),
        ("scan.per_host_rate", s.per_host_rate),
        ("scan.max_hosts", s.max_hosts),
    ] {
        if value == Some(0) {
            return Err(err(key, "must be at least 1".into()));
        }
    }
    Ok(ScanSettings {
        targets: s.targets,
        exclude: s.exclude,
        ports: s.ports,
        rate: s.rate,
        per_host_rate: s.per_host_rate,
        interface: s.interface,
        max_hosts: s.max_hosts,
        snmp_communities: s.snmp_communities,
        probe_medical: s.probe_medical,
        medical_hosts,
        no_fingerprint: s.no_fingerprint,
        switches: None,
    })
}

fn validate_snmp(
    snmp: RawSnmp,
    scan: &ScanSettings,
    err: &dyn Fn(&str, String) -> ConfigError,
) -> Result<SwitchSettings, ConfigError> {
    let community = snmp.community.expose();
    if community.is_empty() || community.len() > 255 || community.chars().any(char::is_control) {
        // The value itself is never echoed: it is a password.
        return Err(err(
            "snmp.community",
            "must be 1 to 255 printable characters".into(),
        ));
    }
    if snmp.switches.is_empty() {
        return Err(err(
            "snmp.switches",
            "is empty: list the switches' management addresses".into(),
        ));
    }
    let scope = daicho_scan::Scope::parse(
        &scan.targets,
        &scan.exclude,
        scan.max_hosts
            .map_or(daicho_scan::DEFAULT_MAX_HOSTS, u64::from),
        false,
    )
    .map_err(|e| err("scan.targets", e.to_string()))?;
    let mut switches = Vec::with_capacity(snmp.switches.len());
    for (i, text) in snmp.switches.iter().enumerate() {
        let key = format!("snmp.switches[{i}]");
        let ip: std::net::IpAddr = text
            .trim()
            .parse()
            .map_err(|_| err(&key, format!("`{text}` is not an IP address")))?;
        let allowed = match ip {
            std::net::IpAddr::V4(v4) => scope.allows(v4),
            std::net::IpAddr::V6(_) => false,
        };
        if !allowed {
            return Err(err(
                &key,
                format!(
                    "{ip} is outside [scan] targets or excluded: the agent sends nothing there"
                ),
            ));
        }
        switches.push(ip);
    }
    Ok(SwitchSettings {
        community: snmp.community,
        switches,
    })
}

/// Checks one target's form: `198.18.0.0/24`, `198.18.0.7`, `198.18.0.10-198.18.0.20` or
/// `198.18.0.10-20`, with the scanner's own parser.
pub fn check_target(target: &str) -> Result<(), String> {
    target
        .trim()
        .parse::<daicho_scan::scope::TargetSpec>()
        .map(drop)
        .map_err(|reason| format!("`{target}`: {reason}"))
}

/// Reads the bearer token: the file's first line, trimmed; it must not be empty, and the file
/// must not be open to other users (see [`check_secret_mode`]).
pub fn read_token(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read token file {}: {e}", path.display()))?;
    check_secret_mode(path)?;
    let token = text.lines().next().unwrap_or("").trim().to_owned();
    if token.is_empty() {
        return Err(format!("token file {} is empty", path.display()));
    }
    Ok(token)
}

/// Refuses a secret file that users other than its owner and group may read or write (any
/// "other" permission bit): 0600, or 0640 with the service's group, as `deploy/README.md`
/// installs it. The message names the file and the `chmod` that fixes it.
pub fn check_secret_mode(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("cannot read token file {}: {e}", path.display()))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o007 != 0 {
            return Err(format!(
                "token file {} is open to every user (mode {mode:03o}); run `chmod 600 {}` \
                 (or `chmod 640` with the agent's group as owner group)",
                path.display(),
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates the spool directory if needed (0700) and proves it is writable. A full disk
/// (ENOSPC, EDQUOT) passes: it is a state the agent recovers from by delivering what is spooled
/// (it logs `SPOOL DISK FULL` and keeps running), not a configuration error. A missing parent
/// that cannot be created, a file in the way or a permission denied fail.
fn check_spool_dir(dir: &Path) -> Result<(), String> {
    use crate::spool::{is_disk_full, probe_write};
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    if let Err(e) = builder.create(dir) {
        if is_disk_full(&e) {
            return Ok(());
        }
        return Err(format!(
            "cannot create spool directory {}: {e}",
            dir.display()
        ));
    }
    std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read spool directory {}: {e}", dir.display()))?;
    match probe_write(dir) {
        Err(e) if !is_disk_full(&e) => Err(format!(
            "cannot write in spool directory {}: {e}",
            dir.display()
        )),
        _ => Ok(()),
    }
}

/// Parses `500ms`, `30s`, `15m`, `2h`, `1d` (one number, one unit).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit (use ms, s, m, h or d, e.g. \"30s\")"))?;
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number"))?;
    let seconds = match unit.trim() {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (use ms, s, m, h or d)"
            ));
        }
    };
    Ok(Duration::from_secs(n * seconds))
}

/// Parses a standard 5-field cron expression (minute hour day-of-month month day-of-week).
pub fn parse_cron(text: &str) -> Result<croner::Cron, String> {
    let fields = text.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "`{text}` has {fields} fields; a cron expression has 5: minute hour day-of-month month day-of-week"
        ));
    }
    croner::Cron::from_str(text).map_err(|e| format!("`{text}`: {e}"))
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Human => "human",
            Self::Json => "json",
        })
    }
}

#[cfg(test)]
mod tests;
