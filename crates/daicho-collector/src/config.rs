//! The collector's configuration file (TOML; see `config/collector.toml` for a documented
//! example). Every setting has a default, so an empty file is a valid configuration.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use daicho_ledger::{LedgerOptions, Storage};
use serde::Deserialize;

/// Where the database lives when the configuration does not say.
pub const DEFAULT_DATABASE: &str = "/var/lib/daicho/collector.db";
/// Where the CLI looks for a configuration when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "/etc/daicho/collector.toml";
/// The largest `server.max_connections` accepted.
const MAX_CONNECTIONS: usize = 1_000_000;

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The HTTP server.
    pub server: ServerConfig,
    /// The database.
    pub storage: StorageConfig,
    /// Identity matching and presence.
    pub ledger: LedgerConfig,
    /// The flag policy file (risky services, roles, thresholds); absent: the built-in policy,
    /// which is `config/policy.toml` of the source tree. A relative path is relative to this
    /// configuration file.
    pub policy: Option<PathBuf>,
    /// Where alerts go and how often they are repeated.
    pub alerts: daicho_alert::AlertConfig,
    /// The operator console's sessions.
    pub console: ConsoleConfig,
    /// Scheduled backups of the database by the server; absent: none.
    pub backup: Option<BackupConfig>,
    /// Where installed data bundles live and which publisher keys are trusted.
    pub data: DataConfig,
}

/// `[data]`: signed data bundles (`data import`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// The directory of the installed bundle and the previous one; absent: `data/` beside the
    /// database.
    pub dir: Option<PathBuf>,
    /// Publisher public keys trusted besides the built-in one (64 hex digits each), e.g. a
    /// hospital group's own.
    pub trusted_keys: Vec<String>,
}

/// `[backup]`: the server backs the database up every `every_hours` into `dir` (SQLite's
/// online backup, checked, files 0600) as `collector-<UTC time>.db`, keeping the `keep` newest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupConfig {
    /// The directory of the backups, an absolute path (created 0700 when missing).
    pub dir: PathBuf,
    /// Hours between two backups.
    #[serde(default = "backup_every_hours")]
    pub every_hours: u32,
    /// Backups kept; the older ones are removed after each new one.
    #[serde(default = "backup_keep")]
    pub keep: usize,
}

fn backup_every_hours() -> u32 {
    24
}

fn backup_keep() -> usize {
    14
}

impl BackupConfig {
    /// The time between two backups.
    pub fn every(&self) -> Duration {
        Duration::from_secs(u64::from(self.every_hours) * 3600)
    }
}

/// `[console]`: how long a console login lasts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// A session unused for this many minutes ends (the operator logs in again).
    pub idle_timeout_minutes: u32,
    /// A session ends this many hours after login, used or not.
    pub session_hours: u32,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            idle_timeout_minutes: 30,
            session_hours: 10,
        }
    }
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Largest request body accepted as sent (compressed or not); larger → 413.
    pub max_body_bytes: usize,
    /// Largest report after gzip decompression; larger → 413.
    pub max_decompressed_bytes: usize,
    /// Most hosts one report may hold (default 65,536, a /16); a larger report → 413.
    pub max_hosts_per_report: usize,
    /// A request not answered within this many seconds gets 408.
    pub request_timeout_secs: u64,
    /// A request's line and headers must arrive whole within this many seconds of the connection
    /// being ready for it (also between keep-alive requests); else the connection is closed.
    pub header_read_timeout_secs: u64,
    /// A connection with no request being answered and nothing sent or received for this many
    /// seconds is closed (keep-alive idle; also a client that stops reading its answer).
    pub idle_timeout_secs: u64,
    /// A TLS handshake not finished within this many seconds is dropped.
    pub tls_handshake_timeout_secs: u64,
    /// Connections served at once (plain or TLS, handshakes included). Lowered at start-up to
    /// what the open-files limit allows. At the cap the longest-idle connection is closed to
    /// make room; a new connection waits (in the kernel's queue) when none is idle.
    pub max_connections: usize,
    /// Gzip reports decompressed at once; one more waits up to 2 s, then gets 503 + Retry-After.
    pub max_concurrent_decompressions: usize,
    /// HTTPS: when set, the server speaks TLS only.
    pub tls: Option<TlsConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8640)),
            max_body_bytes: 32 * 1024 * 1024,
            max_decompressed_bytes: 256 * 1024 * 1024,
            max_hosts_per_report: 65_536,
            request_timeout_secs: 120,
            header_read_timeout_secs: 15,
            idle_timeout_secs: 60,
            tls_handshake_timeout_secs: 10,
            max_connections: 1024,
            max_concurrent_decompressions: 2,
            tls: None,
        }
    }
}

impl ServerConfig {
    /// The request timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// The header read timeout as a duration.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    /// The idle connection timeout as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    /// The TLS handshake timeout as a duration.
    pub fn tls_handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.tls_handshake_timeout_secs)
    }
}

/// `[server.tls]`: PEM files.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The SQLite database file; its directory is created if missing.
    pub database: PathBuf,
    /// A PostgreSQL database (`postgresql://user:password@host:port/db`) instead of the SQLite
    /// file: a hospital group's ledger, which several collectors may share.
    pub url: Option<String>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            database: PathBuf::from(DEFAULT_DATABASE),
            url: None,
        }
    }
}

impl StorageConfig {
    /// Where the ledger is: the PostgreSQL database when `url` is set, else the SQLite file.
    pub fn storage(&self) -> Storage {
        match &self.url {
            Some(url) => Storage::Postgres(url.clone()),
            None => Storage::Sqlite(self.database.clone()),
        }
    }

    /// The ledger's place for logs and messages: the file, or the PostgreSQL URL without its
    /// password.
    pub fn shown(&self) -> String {
        match &self.url {
            Some(url) => without_password(url),
            None => self.database.display().to_string(),
        }
    }
}

/// `url` with the password of its user part replaced by `***`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// `[ledger]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerConfig {
    /// A device not seen for this many days is marked gone.
    pub gone_after_days: u32,
    /// How often the server looks for gone devices, in seconds.
    pub gone_check_interval_secs: u64,
    /// Lease window for re-identifying a randomized-MAC device by its IP.
    pub randomized_lease_hours: u32,
    /// A less confident OS guess replaces a stored one once the stored one is this old.
    pub os_stale_after_hours: u32,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        let d = LedgerOptions::default();
        Self {
            gone_after_days: d.gone_after_days,
            gone_check_interval_secs: 600,
            randomized_lease_hours: d.randomized_lease_hours,
            os_stale_after_hours: d.os_stale_after_hours,
        }
    }
}

impl LedgerConfig {
    /// The ledger's options.
    pub fn options(&self) -> LedgerOptions {
        LedgerOptions {
            gone_after_days: self.gone_after_days,
            randomized_lease_hours: self.randomized_lease_hours,
            os_stale_after_hours: self.os_stale_after_hours,
        }
    }
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has an unknown or mistyped setting.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong, with the setting's name.
        message: String,
    },
    /// A setting has a value that cannot work.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let config = Self::parse(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.display().to_string(),
                message,
            },
            ConfigError::Invalid { message, .. } => ConfigError::Invalid {
                path: path.display().to_string(),
                message,
            },
            other @ ConfigError::Read { .. } => other,
        })?;
        Ok(config.relative_to(path))
    }

    /// Resolves paths given relative to the configuration file.
    fn relative_to(mut self, file: &Path) -> Self {
        if let (Some(policy), Some(dir)) = (&self.policy, file.parent())
            && policy.is_relative()
        {
            self.policy = Some(dir.join(policy));
        }
        self
    }

    /// The flag policy this configuration names (the built-in one when none).
    pub fn load_policy(&self) -> Result<daicho_policy::Policy, ConfigError> {
        match &self.policy {
            None => Ok(daicho_policy::Policy::builtin()),
            Some(path) => daicho_policy::Policy::load(path).map_err(|e| match e {
                daicho_policy::PolicyError::Read { source, .. } => ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                },
                daicho_policy::PolicyError::Invalid { message, .. } => ConfigError::Invalid {
                    path: path.display().to_string(),
                    message,
                },
            }),
        }
    }

    /// The directory of the installed data bundle.
    pub fn data_dir(&self) -> PathBuf {
        self.data.dir.clone().unwrap_or_else(|| {
            self.storage
                .database
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .join("data")
        })
    }

    /// The publisher keys trusted: the built-in one and `[data] trusted_keys`.
    pub fn trusted_keys(&self) -> Vec<daicho_bundle::PublicKey> {
        let mut keys = daicho_bundle::keys::TRUSTED.to_vec();
        keys.extend(
            self.data
                .trusted_keys
                .iter()
                .filter_map(|k| daicho_bundle::PublicKey::from_hex(k)),
        );
        keys
    }

    /// Reads `path` when given; else the default file when it exists; else the defaults.
    pub fn load_or_default(path: Option<&Path>) -> Result<Self, ConfigError> {
        match path {
            Some(p) => Self::load(p),
            None if Path::new(DEFAULT_CONFIG).exists() => Self::load(Path::new(DEFAULT_CONFIG)),
            None => Ok(Self::default()),
        }
    }

    /// Parses and checks configuration text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: String::new(),
            message: e.to_string(),
        })?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |message: &str| {
            Err(ConfigError::Invalid {
                path: String::new(),
                message: message.to_owned(),
            })
        };
        let s = &self.server;
        if s.max_body_bytes == 0 || s.max_decompressed_bytes == 0 {
            return invalid("server.max_body_bytes and server.max_decompressed_bytes must be > 0");
        }
        if s.max_hosts_per_report == 0 {
            return invalid("server.max_hosts_per_report must be > 0");
        }
        if s.request_timeout_secs == 0 {
            return invalid("server.request_timeout_secs must be > 0");
        }
        if s.header_read_timeout_secs == 0
            || s.idle_timeout_secs == 0
            || s.tls_handshake_timeout_secs == 0
        {
            return invalid(
                "server.header_read_timeout_secs, server.idle_timeout_secs and \
                 server.tls_handshake_timeout_secs must be > 0",
            );
        }
        if s.max_connections == 0 || s.max_connections > MAX_CONNECTIONS {
            return invalid("server.max_connections must be between 1 and 1000000");
        }
        if s.max_concurrent_decompressions == 0 {
            return invalid("server.max_concurrent_decompressions must be > 0");
        }
        if self.ledger.gone_after_days == 0 {
            return invalid("ledger.gone_after_days must be > 0");
        }
        if self.ledger.gone_check_interval_secs == 0 {
            return invalid("ledger.gone_check_interval_secs must be > 0");
        }
        if self.storage.database.as_os_str().is_empty() {
            return invalid("storage.database must not be empty");
        }
        if let Some(url) = &self.storage.url {
            if !(url.starts_with("postgresql://") || url.starts_with("postgres://")) {
                return invalid(
                    "storage.url must be a PostgreSQL URL (postgresql://user:password@host:port/db)",
                );
            }
            if self.backup.is_some() {
                return invalid(
                    "[backup] copies the SQLite file; a PostgreSQL ledger (storage.url) is backed up with pg_dump or replication",
                );
            }
        }
        if let Some(bad) = self
            .data
            .trusted_keys
            .iter()
            .find(|k| daicho_bundle::PublicKey::from_hex(k).is_none())
        {
            return Err(ConfigError::Invalid {
                path: String::new(),
                message: format!("data.trusted_keys: `{bad}` is not a public key of 64 hex digits"),
            });
        }
        if let Some(b) = &self.backup {
            if !b.dir.is_absolute() {
                return invalid("backup.dir must be an absolute path");
            }
            if b.every_hours == 0 || b.keep == 0 {
                return invalid("backup.every_hours and backup.keep must be > 0");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn the_shipped_example_parses() {
        let text = include_str!("../../../config/collector.toml");
        let c = Config::parse(text).unwrap();
        assert!(c.server.tls.is_none());
    }

    #[test]
    fn a_postgresql_url_selects_it_and_is_shown_without_its_password() {
        let c = Config::parse(
            "[storage]\nurl = \"postgresql://daicho:s3cret@db.example:5432/ledger\"\n",
        )
        .unwrap();
        assert_eq!(
            c.storage.storage(),
            Storage::Postgres("postgresql://daicho:s3cret@db.example:5432/ledger".into())
        );
        assert_eq!(
            c.storage.shown(),
            "postgresql://daicho:***@db.example:5432/ledger"
        );
        assert!(matches!(
            Config::default().storage.storage(),
            Storage::Sqlite(_)
        ));
        let e = Config::parse("[storage]\nurl = \"mysql://x\"\n").unwrap_err();
        assert!(e.to_string().contains("storage.url"), "{e}");
        let e = Config::parse("[storage]\nurl = \"postgresql://h/db\"\n[backup]\ndir = \"/b\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("pg_dump"), "{e}");
    }

    #[test]
    fn unknown_and_bad_settings_are_named() {
        let e = Config::parse("[server]\nlisten_on = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("listen_on"), "{e}");
        let e = Config::parse("[ledger]\ngone_after_days = 0\n").unwrap_err();
        assert!(e.to_string().contains("gone_after_days"), "{e}");
        let e = Config::parse("[backup]\ndir = \"/b\"\nkeep = 0\n").unwrap_err();
        assert!(e.to_string().contains("backup.keep"), "{e}");
        let e = Config::parse("[data]\ntrusted_keys = [\"abc\"]\n").unwrap_err();
        assert!(e.to_string().contains("data.trusted_keys"), "{e}");
        let e = Config::parse("[backup]\ndir = \"b\"\n").unwrap_err();
        assert!(e.to_string().contains("backup.dir"), "{e}");
        let b = Config::parse("[backup]\ndir = \"/b\"\n")
            .unwrap()
            .backup
            .unwrap();
        assert_eq!((b.every_hours, b.keep), (24, 14));
        let e = Config::parse("[server]\nidle_timeout_secs = 0\n").unwrap_err();
        assert!(e.to_string().contains("idle_timeout_secs"), "{e}");
        let e = Config::parse("[server]\nmax_connections = 0\n").unwrap_err();
        assert!(e.to_string().contains("max_connections"), "{e}");
    }
}
