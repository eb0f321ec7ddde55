//! OS inference: a pure function from what was observed about a host (TTL, MAC vendor, banners,
//! NTLM, SNMP, HTTP, TLS, DICOM) to an [`OsGuess`] whose evidence lists every observation used.
//!
//! Each observation yields candidates with a confidence of its own (tables in
//! `data/os-rules.toml`). Candidates vote per family: a family's score is
//! `1 - Π(1 - c)` over its candidates, so independent agreeing observations strengthen each
//! other. The best family wins; its most confident named candidate gives name and version.

use std::sync::{OnceLock, PoisonError, RwLock};

use daicho_model::{OsFamily, OsGuess};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::probe::Fact;
use crate::wire::quote;

const OS_RULES_TOML: &str = include_str!("../data/os-rules.toml");
const MEDICAL_VENDORS_TOML: &str = include_str!("../data/medical-vendors.toml");

/// Everything known about one host that bears on its OS.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    /// IP TTL of a reply as received.
    pub ttl: Option<u8>,
    /// IEEE registrant of the MAC prefix.
    pub mac_vendor: Option<String>,
    /// The MAC is randomized: a private address, as phones, tablets and laptops use on Wi-Fi
    /// (locally administered, and not a virtual machine's platform prefix).
    pub mac_randomized: bool,
    /// Open TCP ports.
    pub open_ports: Vec<u16>,
    /// What the probes learned.
    pub facts: Vec<Fact>,
    /// True when the host was recognised as medical (port, vendor or operator list).
    pub medical_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowsBuild {
    build: String,
    client: Option<String>,
    server: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatternRule {
    pattern: String,
    name: String,
    version: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Iis {
    version: String,
    name: String,
    windows: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOsRule {
    source: Source,
    pattern: String,
    family: OsFamily,
    name: Option<String>,
    version: Option<String>,
    confidence: f64,
    /// Who made the device (`YAMAHA`), when the observation says.
    vendor: Option<String>,
    /// The model, may use `$n` (`RTX1210`).
    model: Option<String>,
    /// What kind of network device it is.
    kind: Option<DeviceKind>,
}

/// What a network device does, as an os rule states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum DeviceKind {
    Router,
    Switch,
    Firewall,
    VpnGateway,
    LoadBalancer,
    AccessPoint,
    Nas,
}

impl DeviceKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Router => "router",
            Self::Switch => "switch",
            Self::Firewall => "firewall",
            Self::VpnGateway => "vpn gateway",
            Self::LoadBalancer => "load balancer",
            Self::AccessPoint => "access point",
            Self::Nas => "nas",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Source {
    SnmpSysdescr,
    SnmpObjectid,
    HttpServer,
    Ssh,
    TlsSubject,
    TlsIssuer,
    MacVendor,
    SmbNativeOs,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOsTables {
    windows_build: Vec<WindowsBuild>,
    ssh_distro: Vec<RawPatternRule>,
    iis: Vec<Iis>,
    os_rule: Vec<RawOsRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MedicalVendors {
    names: Vec<String>,
}

/// The compiled OS tables.
#[derive(Debug)]
pub struct OsTables {
    windows_builds: Vec<WindowsBuild>,
    ssh_distros: Vec<(Regex, String, String)>,
    iis: Vec<Iis>,
    rules: Vec<(Source, Regex, RawOsRule)>,
    medical_vendors: Vec<String>,
}

/// Why the OS tables did not load.
#[derive(Debug, thiserror::Error)]
pub enum OsTableError {
    /// TOML syntax or layout.
    #[error("os rules: {0}")]
    Toml(#[from] toml::de::Error),
    /// A pattern that does not compile.
    #[error("os rules: bad pattern `{pattern}`: {source}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// The regex error.
        source: regex::Error,
    },
    /// A confidence outside 0..1.
    #[error("os rules: confidence {0} outside 0..1")]
    Confidence(f64),
}

fn compile(pattern: &str, case_insensitive: bool) -> Result<Regex, OsTableError> {
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(1 << 20)
        .build()
        .map_err(|source| OsTableError::Pattern {
            pattern: pattern.to_owned(),
            source,
        })
}

/// OS tables installed from a data bundle, with the texts they were parsed from.
struct InstalledOs {
    tables: OsTables,
    os_rules: &'static str,
    medical_vendors: &'static str,
}

/// The installed tables, when a bundle brought some.
static INSTALLED_OS: RwLock<Option<&'static InstalledOs>> = RwLock::new(None);

impl OsTables {
    /// Parses the OS tables and the medical vendor list.
    pub fn parse(os_rules: &str, medical_vendors: &str) -> Result<Self, OsTableError> {
        let raw: RawOsTables = toml::from_str(os_rules)?;
        let medical: MedicalVendors = toml::from_str(medical_vendors)?;
        let mut rules = Vec::new();
        for r in raw.os_rule {
            if !(0.0..=1.0).contains(&r.confidence) {
                return Err(OsTableError::Confidence(r.confidence));
            }
            let re = compile(&r.pattern, r.source == Source::MacVendor)?;
            rules.push((r.source, re, r));
        }
        let ssh_distros = raw
            .ssh_distro
            .into_iter()
            .map(|d| Ok((compile(&d.pattern, false)?, d.name, d.version)))
            .collect::<Result<_, OsTableError>>()?;
        Ok(Self {
            windows_builds: raw.windows_build,
            ssh_distros,
            iis: raw.iis,
            rules,
            medical_vendors: medical.names.iter().map(|n| n.to_lowercase()).collect(),
        })
    }

    /// The tables in use: a data bundle's ([`OsTables::install`]), else those shipped in
    /// `data/`.
    pub fn in_use() -> &'static Self {
        static TABLES: OnceLock<OsTables> = OnceLock::new();
        if let Some(installed) = *INSTALLED_OS.read().unwrap_or_else(PoisonError::into_inner) {
            return &installed.tables;
        }
        TABLES.get_or_init(|| {
            Self::parse(OS_RULES_TOML, MEDICAL_VENDORS_TOML).expect("data/os-rules.toml is valid")
        })
    }

    /// Replaces the tables in use, for the rest of the process, by a data bundle's OS rules
    /// and/or medical makers (the one not given stays as in use); refused, with the tables in
    /// use kept, when they do not parse. Installed tables stay in memory until the process
    /// ends (installs are rare).
    pub fn install(
        os_rules: Option<String>,
        medical_vendors: Option<String>,
    ) -> Result<(), OsTableError> {
        let current = *INSTALLED_OS.read().unwrap_or_else(PoisonError::into_inner);
        let leak = |t: String| -> &'static str { Box::leak(t.into_boxed_str()) };
        let os_rules = os_rules.map_or_else(|| current.map_or(OS_RULES_TOML, |c| c.os_rules), leak);
        let medical_vendors = medical_vendors.map_or_else(
            || current.map_or(MEDICAL_VENDORS_TOML, |c| c.medical_vendors),
            leak,
        );
        let tables = Self::parse(os_rules, medical_vendors)?;
        let installed: &'static InstalledOs = Box::leak(Box::new(InstalledOs {
            tables,
            os_rules,
            medical_vendors,
        }));
        *INSTALLED_OS.write().unwrap_or_else(PoisonError::into_inner) = Some(installed);
        Ok(())
    }

    /// True when `vendor` (an IEEE registrant name) belongs to a medical-device maker.
    pub fn is_medical_vendor(&self, vendor: &str) -> bool {
        let v = vendor.to_lowercase();
        self.medical_vendors.iter().any(|m| v.contains(m.as_str()))
    }

    /// The maker an SNMP sysObjectID names: the vendor of the first sysObjectID rule that
    /// matches it and names one (the IANA enterprise number table of `data/os-rules.toml`).
    pub fn snmp_vendor(&self, object_id: &str) -> Option<&str> {
        self.rules
            .iter()
            .filter(|(s, _, r)| *s == Source::SnmpObjectid && r.vendor.is_some())
            .find(|(_, re, _)| re.is_match(object_id))
            .and_then(|(_, _, r)| r.vendor.as_deref())
    }

    /// Windows release names for an NTLM/SNMP version: (client, server).
    pub fn windows_release(&self, version: &str) -> Option<(Option<&str>, Option<&str>)> {
        self.windows_builds
            .iter()
            .find(|w| w.build == version)
            .map(|w| (w.client.as_deref(), w.server.as_deref()))
    }

    /// The distribution release an OpenSSH version and banner comment point to.
    pub fn ssh_distro(&self, version: &str, comment: &str) -> Option<(&str, &str)> {
        let key = format!("{version} {comment}");
        self.ssh_distros
            .iter()
            .find(|(re, _, _)| re.is_match(&key))
            .map(|(_, n, v)| (n.as_str(), v.as_str()))
    }
}

/// One piece of evidence pointing at an OS.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    family: OsFamily,
    name: Option<String>,
    version: Option<String>,
    confidence: f64,
    evidence: String,
    /// `vendor model, kind` when a rule names the device itself.
    device: Option<String>,
}

fn candidate(
    family: OsFamily,
    name: Option<&str>,
    version: Option<&str>,
    confidence: f64,
    evidence: String,
) -> Candidate {
    Candidate {
        family,
        name: name.map(str::to_owned),
        version: version.map(str::to_owned),
        confidence,
        evidence,
        device: None,
    }
}

/// The confidence of a medical maker's MAC: enough for medical evidence to decide the family
/// (see `decide`: medical evidence of 0.5 or more makes a device medical, whatever it runs).
const MEDICAL_VENDOR_CONFIDENCE: f64 = 0.5;

/// Why `vendor` (an IEEE registrant) makes a host medical, when `tables` name its maker.
fn medical_vendor_evidence(tables: &OsTables, vendor: &str) -> Option<String> {
    tables.is_medical_vendor(vendor).then(|| {
        format!(
            "mac vendor {} is a medical-device maker",
            quote(vendor.as_bytes(), 80)
        )
    })
}

/// Judges an already made guess again with the tables in use, as the collector does for a
/// report from an agent whose data was older: a medical maker's device is medical, its OS name
/// and version kept (what `decide` does with the same evidence). True when it changed.
pub fn mark_medical_by_vendor(guess: &mut OsGuess, vendor: &str) -> bool {
    if guess.family == OsFamily::Medical {
        return false;
    }
    let Some(evidence) = medical_vendor_evidence(OsTables::in_use(), vendor) else {
        return false;
    };
    guess.family = OsFamily::Medical;
    guess.confidence = guess.confidence.max(MEDICAL_VENDOR_CONFIDENCE);
    guess.evidence.push(evidence);
    true
}

/// Infers the OS from `obs` using the built-in tables.
pub fn infer_os(obs: &Observations) -> OsGuess {
    infer_os_with(obs, OsTables::in_use())
}

/// Infers the OS from `obs` using `tables`.
pub fn infer_os_with(obs: &Observations, tables: &OsTables) -> OsGuess {
    let candidates = collect(obs, tables);
    let mut guess = decide(candidates);
    if guess.family == OsFamily::Unknown
        && let Some(ttl) = private_mac_ttl64(obs)
    {
        // Said, not guessed: the TTL fits every one of these, and nothing else was seen.
        guess.evidence.push(format!(
            "ttl {ttl} and a randomized MAC: a phone, tablet or laptop with a private address \
             (iOS, Android, macOS or Linux); nothing seen tells which"
        ));
    }
    guess
}

fn apply_rules(
    tables: &OsTables,
    source: Source,
    text: &str,
    label: &str,
    out: &mut Vec<Candidate>,
) {
    if let Some((_, re, rule)) = tables
        .rules
        .iter()
        .find(|(s, re, _)| *s == source && re.is_match(text))
    {
        let caps = re.captures(text);
        let fill = |t: &Option<String>| -> Option<String> {
            let t = t.as_ref()?;
            let s = match &caps {
                Some(c) => expand_str(t, c),
                None => t.clone(),
            };
            (!s.is_empty()).then_some(s)
        };
        let words: Vec<String> = [fill(&rule.vendor), fill(&rule.model)]
            .into_iter()
            .flatten()
            .collect();
        let device = match (words.is_empty(), rule.kind) {
            (true, None) => None,
            (true, Some(k)) => Some(k.as_str().to_owned()),
            (false, None) => Some(words.join(" ")),
            (false, Some(k)) => Some(format!("{}, {}", words.join(" "), k.as_str())),
        };
        out.push(Candidate {
            family: rule.family,
            name: fill(&rule.name),
            version: fill(&rule.version),
            confidence: rule.confidence,
            evidence: format!("{label}: {}", quote(text.as_bytes(), 160)),
            device,
        });
    }
}

/// `$n` expansion over a text regex (the service rules use byte regexes).
fn expand_str(template: &str, caps: &regex::Captures<'_>) -> String {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$'
            && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
        {
            chars.next();
            if let Some(m) = caps.get(d as usize) {
                out.push_str(m.as_str());
            }
            continue;
        }
        out.push(c);
    }
    out.trim().to_owned()
}

/// The TTL when it has the initial value 64 and the MAC is private: most often a phone or tablet
/// (iOS and Android both start at 64), so the TTL must not call it Linux, which would list a
/// phone as a server.
fn private_mac_ttl64(obs: &Observations) -> Option<u8> {
    obs.ttl.filter(|t| *t <= 64 && obs.mac_randomized)
}

fn collect(obs: &Observations, tables: &OsTables) -> Vec<Candidate> {
    let mut out = Vec::new();
    if let Some(ttl) = obs.ttl {
        // Replies arrive with the initial TTL less the hops; buckets by common initial values.
        let (family, initial, confidence) = match ttl {
            0..=64 => (OsFamily::Linux, 64, 0.2),
            65..=128 => (OsFamily::Windows, 128, 0.3),
            _ => (OsFamily::Network, 255, 0.3),
        };
        if private_mac_ttl64(obs).is_none() {
            out.push(candidate(
                family,
                None,
                None,
                confidence,
                format!("ttl {ttl} (initial {initial})"),
            ));
        }
    }
    if let Some(vendor) = &obs.mac_vendor {
        if let Some(evidence) = medical_vendor_evidence(tables, vendor) {
            out.push(candidate(
                OsFamily::Medical,
                None,
                None,
                MEDICAL_VENDOR_CONFIDENCE,
                evidence,
            ));
        }
        apply_rules(tables, Source::MacVendor, vendor, "mac vendor", &mut out);
    }
    if obs.open_ports.contains(&62078) {
        // Only Apple's mobile devices run lockdownd (Wi-Fi sync) on this port.
        out.push(candidate(
            OsFamily::Ios,
            None,
            None,
            0.7,
            "tcp 62078 (iphone-sync, Apple lockdownd) is open".to_owned(),
        ));
    }
    let server_roles = obs
        .open_ports
        .iter()
        .any(|p| matches!(p, 88 | 389 | 3268 | 1433));
    for fact in &obs.facts {
        match fact {
            Fact::Ssh(b) => {
                if let (Some(v), Some(c)) = (&b.version, &b.comment)
                    && let Some((name, release)) = tables.ssh_distro(v, c)
                {
                    out.push(candidate(
                        OsFamily::Linux,
                        Some(name),
                        Some(release),
                        0.9,
                        format!(
                            "ssh banner {} names the {name} {release} package",
                            quote(b.line.as_bytes(), 120)
                        ),
                    ));
                    continue;
                }
                apply_rules(tables, Source::Ssh, &b.line, "ssh banner", &mut out);
            }
            Fact::HttpServer(s) => {
                if let Some(v) = s.strip_prefix("Microsoft-IIS/")
                    && let Some(iis) = tables.iis.iter().find(|i| i.version == v.trim())
                {
                    out.push(candidate(
                        OsFamily::Windows,
                        Some(&iis.name),
                        Some(&iis.windows),
                        0.8,
                        format!(
                            "http server {} ships with {}",
                            quote(s.as_bytes(), 80),
                            iis.name
                        ),
                    ));
                    continue;
                }
                apply_rules(tables, Source::HttpServer, s, "http server", &mut out);
            }
            Fact::Ntlm(n) => {
                let Some(version) = n.version_string() else {
                    continue;
                };
                let release = tables.windows_release(&version);
                let name = match release {
                    Some((Some(_), Some(s))) if server_roles => s.to_owned(),
                    Some((Some(c), Some(s))) => format!("{c} or {s}"),
                    Some((Some(c), None)) => c.to_owned(),
                    Some((None, Some(s))) => s.to_owned(),
                    _ => "Windows".to_owned(),
                };
                let (family, confidence) = if n.build == Some(0) {
                    // Samba reports a fixed 6.1 with build 0: a Unix host speaking SMB.
                    (OsFamily::Linux, 0.5)
                } else {
                    (OsFamily::Windows, 0.95)
                };
                let who = n
                    .netbios_computer
                    .as_deref()
                    .map(|c| format!(" from {c}"))
                    .unwrap_or_default();
                if family == OsFamily::Linux {
                    out.push(candidate(
                        family,
                        None,
                        None,
                        confidence,
                        format!(
                            "ntlm challenge{who} reports version {version} with build 0 (Samba)"
                        ),
                    ));
                } else {
                    out.push(candidate(
                        family,
                        Some(&name),
                        Some(&version),
                        confidence,
                        format!("ntlm challenge{who} reports Windows {version}"),
                    ));
                }
            }
            Fact::Snmp(s) => {
                if let Some(d) = &s.sys_descr {
                    let before = out.len();
                    apply_rules(tables, Source::SnmpSysdescr, d, "snmp sysDescr", &mut out);
                    // Windows sysDescr gives major.minor.build: name it from the build table.
                    if let Some(c) = out.get_mut(before)
                        && c.family == OsFamily::Windows
                        && let Some(v) = &c.version
                        && let Some((client, server)) = tables.windows_release(v)
                    {
                        c.name = server.or(client).map(str::to_owned);
                    }
                }
                if let Some(o) = &s.sys_object_id {
                    apply_rules(
                        tables,
                        Source::SnmpObjectid,
                        o,
                        "snmp sysObjectID",
                        &mut out,
                    );
                }
            }
            Fact::Cert(c) => {
                apply_rules(
                    tables,
                    Source::TlsSubject,
                    &c.subject,
                    "tls certificate subject",
                    &mut out,
                );
                if !c.self_signed {
                    apply_rules(
                        tables,
                        Source::TlsIssuer,
                        &c.issuer,
                        "tls certificate issuer",
                        &mut out,
                    );
                }
            }
            Fact::SmbNativeOs { os, lanman } => {
                let text = match lanman {
                    Some(l) => format!("{os} | {l}"),
                    None => os.clone(),
                };
                apply_rules(
                    tables,
                    Source::SmbNativeOs,
                    &text,
                    "smb native os",
                    &mut out,
                );
            }
            Fact::NetBios(n) => {
                let who = n.computer.as_deref().unwrap_or("?");
                if n.unit_id == [0; 6] {
                    out.push(candidate(
                        OsFamily::Linux,
                        None,
                        None,
                        0.4,
                        format!("netbios name {who} answered by Samba (no unit id)"),
                    ));
                } else {
                    out.push(candidate(
                        OsFamily::Windows,
                        None,
                        None,
                        0.5,
                        format!("netbios name {who} answered with a unit id (Windows)"),
                    ));
                }
            }
            Fact::Dicom {
                implementation_uid,
                version_name,
            } => {
                let who = version_name
                    .as_deref()
                    .or(implementation_uid.as_deref())
                    .unwrap_or("a DICOM peer");
                out.push(candidate(
                    OsFamily::Medical,
                    None,
                    None,
                    0.6,
                    format!("dicom association answered ({})", quote(who.as_bytes(), 64)),
                ));
            }
            Fact::OsHint {
                family,
                name,
                evidence,
            } => {
                if let Ok(f) = serde_plain_family(family) {
                    out.push(candidate(f, name.as_deref(), None, 0.6, evidence.clone()));
                }
            }
        }
    }
    if obs.open_ports.contains(&2575) {
        out.push(candidate(
            OsFamily::Medical,
            None,
            None,
            0.5,
            "hl7 mllp port 2575 open".to_owned(),
        ));
    }
    if let Some(reason) = &obs.medical_reason
        && !out.iter().any(|c| c.family == OsFamily::Medical)
    {
        out.push(candidate(
            OsFamily::Medical,
            None,
            None,
            0.4,
            format!("treated as medical: {reason}"),
        ));
    }
    out
}

fn serde_plain_family(family: &str) -> Result<OsFamily, ()> {
    Ok(match family {
        "windows" => OsFamily::Windows,
        "linux" => OsFamily::Linux,
        "macos" => OsFamily::Macos,
        "ios" => OsFamily::Ios,
        "android" => OsFamily::Android,
        "bsd" => OsFamily::Bsd,
        "network" => OsFamily::Network,
        "printer" => OsFamily::Printer,
        "medical" => OsFamily::Medical,
        "embedded" => OsFamily::Embedded,
        _ => return Err(()),
    })
}

fn decide(mut candidates: Vec<Candidate>) -> OsGuess {
    if candidates.is_empty() {
        return OsGuess::default();
    }
    candidates.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let mut families: Vec<(OsFamily, f64)> = Vec::new();
    for c in &candidates {
        match families.iter_mut().find(|(f, _)| *f == c.family) {
            Some((_, miss)) => *miss *= 1.0 - c.confidence,
            None => families.push((c.family, 1.0 - c.confidence)),
        }
    }
    // Highest combined score; ties go to the family seen first (the most confident candidate).
    let medical_miss = families
        .iter()
        .find(|(f, _)| *f == OsFamily::Medical)
        .map(|(_, m)| *m);
    let (family, miss) = families
        .iter()
        .copied()
        .fold(None::<(OsFamily, f64)>, |best, (f, m)| match best {
            Some((_, bm)) if bm <= m => best,
            _ => Some((f, m)),
        })
        .expect("at least one candidate");
    // Medical evidence that is itself fairly strong (0.5 or more) decides the family.
    let (family, miss) = match medical_miss {
        Some(m) if m <= 0.5 => (OsFamily::Medical, m),
        _ => (family, miss),
    };
    // A medical device is medical first, whatever it runs inside: the family says how to treat
    // it, while name and version still tell what OS it runs (e.g. a PACS on Debian 12).
    let inner_os = (family == OsFamily::Medical)
        .then(|| {
            candidates
                .iter()
                .find(|c| c.name.is_some())
                .map(|c| c.family)
        })
        .flatten();
    let support: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.family == family || Some(c.family) == inner_os)
        .collect();
    let named = support.iter().find(|c| c.name.is_some());
    let name = named.and_then(|c| c.name.clone());
    let version = support
        .iter()
        .find(|c| c.version.is_some() && (c.name.is_none() || c.name == name))
        .and_then(|c| c.version.clone());
    let mut evidence: Vec<String> = support.iter().map(|c| c.evidence.clone()).collect();
    // What the device is, as the most confident supporting rule that names it says.
    if let Some(device) = support.iter().find_map(|c| c.device.as_deref()) {
        evidence.insert(0, format!("device: {device}"));
    }
    for c in candidates
        .iter()
        .filter(|c| c.family != family && Some(c.family) != inner_os)
    {
        evidence.push(format!(
            "outweighed ({}): {}",
            c.family.as_str(),
            c.evidence
        ));
    }
    let confidence = ((1.0 - miss).min(0.99) * 100.0).round() / 100.0;
    OsGuess {
        family,
        name,
        version,
        confidence,
        evidence,
    }
}

#[cfg(test)]
mod tests;
