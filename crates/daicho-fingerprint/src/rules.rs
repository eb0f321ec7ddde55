//! The service table kept as data (`data/service-rules.toml`): which probe to try on which port,
//! and the match rules that turn what a service said into a service name, product and version.
//!
//! The file is compiled in and parsed once, at first use. A test parses it, so a bad rule fails
//! the build's tests rather than a scan.

use std::sync::{OnceLock, PoisonError, RwLock};

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::probe::ProbeKind;
use crate::wire::clean_text;

const RULES_TOML: &str = include_str!("../data/service-rules.toml");

/// Which kind of reply a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplyKind {
    /// What the service said first, before we sent anything.
    Greeting,
    /// The reply to an HTTP GET (plain or inside TLS).
    Http,
    /// The text a telnet service printed once option negotiation was answered.
    Telnet,
}

/// Per-port plan: the probes to run, in order, and the service name assumed when none answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortPlan {
    /// Ports the plan applies to.
    pub ports: Vec<u16>,
    /// The name used when the port is open but nothing identified the service.
    pub service: String,
    /// The probes to run, in order, until one identifies the service.
    pub probes: Vec<ProbeKind>,
}

/// One match rule as written in the data file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    reply: ReplyKind,
    service: String,
    pattern: String,
    product: Option<String>,
    version: Option<String>,
    os_family: Option<String>,
    os_name: Option<String>,
}

/// A DICOM implementation class UID root and the product it names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DicomImplementation {
    /// Implementation class UID prefix.
    pub uid_prefix: String,
    /// The product it belongs to.
    pub product: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    default_probes: Vec<ProbeKind>,
    port: Vec<PortPlan>,
    rule: Vec<RawRule>,
    dicom_implementation: Vec<DicomImplementation>,
}

/// A compiled match rule.
#[derive(Debug)]
pub struct Rule {
    /// Which reply it looks at.
    pub reply: ReplyKind,
    /// The service name it assigns.
    pub service: String,
    regex: Regex,
    product: Option<String>,
    version: Option<String>,
    /// OS family the match implies, if any (e.g. Microsoft IIS implies windows).
    pub os_family: Option<String>,
    /// OS name the match implies, if any.
    pub os_name: Option<String>,
}

/// What a rule concluded from a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    /// Service name.
    pub service: String,
    /// Product, with capture groups filled in.
    pub product: Option<String>,
    /// Version, with capture groups filled in.
    pub version: Option<String>,
    /// OS family hint.
    pub os_family: Option<String>,
    /// OS name hint.
    pub os_name: Option<String>,
}

/// The whole table, compiled.
#[derive(Debug)]
pub struct ServiceTable {
    /// Probes for ports no plan names.
    pub default_probes: Vec<ProbeKind>,
    /// Port plans.
    pub ports: Vec<PortPlan>,
    /// Match rules, tried in file order; the first match wins.
    pub rules: Vec<Rule>,
    /// DICOM implementation UID roots.
    pub dicom_implementations: Vec<DicomImplementation>,
}

/// Why the table did not load.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// TOML syntax or layout.
    #[error("service rules: {0}")]
    Toml(#[from] toml::de::Error),
    /// A pattern that does not compile.
    #[error("service rule {index} ({service}): bad pattern: {source}")]
    Pattern {
        /// Rule position in the file.
        index: usize,
        /// Its service.
        service: String,
        /// The regex error.
        source: regex::Error,
    },
    /// A service name that is not lower-case.
    #[error("service name `{0}` must be lower-case")]
    Name(String),
}

/// The table installed from a data bundle, if any.
static INSTALLED: RwLock<Option<&'static ServiceTable>> = RwLock::new(None);

impl ServiceTable {
    /// Parses and compiles a table from TOML text.
    pub fn parse(text: &str) -> Result<Self, TableError> {
        let raw: RawTable = toml::from_str(text)?;
        let mut rules = Vec::with_capacity(raw.rule.len());
        for (index, r) in raw.rule.into_iter().enumerate() {
            check_name(&r.service)?;
            let regex = RegexBuilder::new(&r.pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|source| TableError::Pattern {
                    index,
                    service: r.service.clone(),
                    source,
                })?;
            rules.push(Rule {
                reply: r.reply,
                service: r.service,
                regex,
                product: r.product,
                version: r.version,
                os_family: r.os_family,
                os_name: r.os_name,
            });
        }
        for plan in &raw.port {
            check_name(&plan.service)?;
        }
        Ok(Self {
            default_probes: raw.default_probes,
            ports: raw.port,
            rules,
            dicom_implementations: raw.dicom_implementation,
        })
    }

    /// The table in use: a data bundle's ([`ServiceTable::install`]), else the one shipped in
    /// `data/service-rules.toml`.
    pub fn in_use() -> &'static Self {
        static TABLE: OnceLock<ServiceTable> = OnceLock::new();
        if let Some(installed) = *INSTALLED.read().unwrap_or_else(PoisonError::into_inner) {
            return installed;
        }
        TABLE.get_or_init(|| Self::parse(RULES_TOML).expect("data/service-rules.toml is valid"))
    }

    /// Replaces the table in use, for the rest of the process, by a data bundle's; refused,
    /// with the table in use kept, when it does not parse. An installed table stays in memory
    /// until the process ends (installs are rare).
    pub fn install(text: &str) -> Result<(), TableError> {
        let table: &'static Self = Box::leak(Box::new(Self::parse(text)?));
        *INSTALLED.write().unwrap_or_else(PoisonError::into_inner) = Some(table);
        Ok(())
    }

    /// The plan for a port, if the table names one.
    pub fn plan_for(&self, port: u16) -> Option<&PortPlan> {
        self.ports.iter().find(|p| p.ports.contains(&port))
    }

    /// The first rule of kind `reply` that matches `bytes`.
    pub fn match_reply(&self, reply: ReplyKind, bytes: &[u8]) -> Option<RuleMatch> {
        self.rules
            .iter()
            .filter(|r| r.reply == reply)
            .find_map(|r| {
                let caps = r.regex.captures(bytes)?;
                let fill = |t: &Option<String>| {
                    t.as_ref()
                        .map(|t| expand(t, &caps))
                        .filter(|s| !s.is_empty())
                };
                Some(RuleMatch {
                    service: r.service.clone(),
                    product: fill(&r.product),
                    version: fill(&r.version),
                    os_family: r.os_family.clone(),
                    os_name: fill(&r.os_name),
                })
            })
    }

    /// The product named by a DICOM implementation class UID.
    pub fn dicom_product(&self, uid: &str) -> Option<&str> {
        self.dicom_implementations
            .iter()
            .find(|d| uid.starts_with(&d.uid_prefix))
            .map(|d| d.product.as_str())
    }
}

fn check_name(name: &str) -> Result<(), TableError> {
    if name.is_empty() || name.chars().any(char::is_uppercase) {
        return Err(TableError::Name(name.to_owned()));
    }
    Ok(())
}

/// Replaces `$1`…`$9` in `template` with the capture groups (printable, at most 64 chars each).
fn expand(template: &str, caps: &regex::bytes::Captures<'_>) -> String {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$'
            && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
        {
            chars.next();
            if let Some(m) = caps.get(d as usize) {
                out.push_str(&clean_text(&String::from_utf8_lossy(m.as_bytes()), 64));
            }
            continue;
        }
        out.push(c);
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_loads_and_every_rule_is_reachable() {
        let t = ServiceTable::in_use();
        assert!(t.rules.len() > 20);
        assert!(!t.default_probes.is_empty());
        assert_eq!(t.plan_for(22).unwrap().service, "ssh");
        assert_eq!(t.plan_for(104).unwrap().service, "dicom");
        assert_eq!(
            t.plan_for(9100).unwrap().probes,
            vec![ProbeKind::ConnectOnly]
        );
    }

    #[test]
    fn greetings_match() {
        let t = ServiceTable::in_use();
        let m = t
            .match_reply(ReplyKind::Greeting, b"220 (vsFTPd 3.0.3)\r\n")
            .unwrap();
        assert_eq!(
            (
                m.service.as_str(),
                m.product.as_deref(),
                m.version.as_deref()
            ),
            ("ftp", Some("vsftpd"), Some("3.0.3"))
        );
        let m = t
            .match_reply(
                ReplyKind::Greeting,
                b"220 mail.example.jp ESMTP Postfix (Debian/GNU)\r\n",
            )
            .unwrap();
        assert_eq!(m.service, "smtp");
        assert_eq!(m.product.as_deref(), Some("Postfix smtpd"));
        let m = t
            .match_reply(ReplyKind::Greeting, b"RFB 003.008\n")
            .unwrap();
        assert_eq!(
            (m.service.as_str(), m.version.as_deref()),
            ("vnc", Some("3.8"))
        );
        let m = t
            .match_reply(ReplyKind::Greeting, b"+OK Dovecot (Ubuntu) ready.\r\n")
            .unwrap();
        assert_eq!(m.service, "pop3");
        let m = t
            .match_reply(
                ReplyKind::Greeting,
                b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n",
            )
            .unwrap();
        assert_eq!(m.service, "imap");
        assert!(
            t.match_reply(ReplyKind::Greeting, b"\x00\x01garbage")
                .is_none()
        );
    }

    #[test]
    fn http_rules_match_and_fill_versions() {
        let t = ServiceTable::in_use();
        let m = t
            .match_reply(
                ReplyKind::Http,
                b"HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n\r\n",
            )
            .unwrap();
        assert_eq!(m.product.as_deref(), Some("Microsoft IIS httpd"));
        assert_eq!(m.version.as_deref(), Some("10.0"));
        assert_eq!(m.os_family.as_deref(), Some("windows"));
        let m = t
            .match_reply(
                ReplyKind::Http,
                b"HTTP/1.1 301 Moved\r\nserver: nginx/1.22.1\r\n\r\n",
            )
            .unwrap();
        assert_eq!(
            (m.product.as_deref(), m.version.as_deref()),
            (Some("nginx"), Some("1.22.1"))
        );
        let m = t
            .match_reply(ReplyKind::Http, b"HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n")
            .unwrap();
        assert_eq!((m.product.as_deref(), m.version), (Some("nginx"), None));
    }

    #[test]
    fn bad_tables_are_refused_with_reasons() {
        let base = "default_probes = [\"greeting\"]\nport = []\ndicom_implementation = []\n";
        let bad_pattern =
            format!("{base}[[rule]]\nreply = \"greeting\"\nservice = \"x\"\npattern = \"(\"\n");
        assert!(matches!(
            ServiceTable::parse(&bad_pattern),
            Err(TableError::Pattern { .. })
        ));
        let upper =
            format!("{base}[[rule]]\nreply = \"greeting\"\nservice = \"X\"\npattern = \"a\"\n");
        assert!(matches!(
            ServiceTable::parse(&upper),
            Err(TableError::Name(_))
        ));
        let unknown = format!("{base}rule = []\nextra = 1\n");
        assert!(matches!(
            ServiceTable::parse(&unknown),
            Err(TableError::Toml(_))
        ));
    }
}
