//! `daicho-agent scan`: one discovery scan of an explicit scope, printed as a table for people
//! or as the JSON report contract.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use daicho_fingerprint::{PortSpec, PortSpecError};
use daicho_model::ScanReport;
use daicho_pipeline::{FingerprintSettings, InventoryConfig, SwitchSettings};
use daicho_scan::{
    DEFAULT_MAX_HOSTS, DEFAULT_PER_HOST_PPS, DEFAULT_RATE_PPS, Method, Progress, RateLimits,
    ScanConfig, ScanError,
};

use super::{EXIT_FAILURE, EXIT_USAGE};

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// The JSON report contract (`daicho_model::ScanReport`).
    Json,
}

/// Probe methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Raw sockets when privileged, else TCP connect + neighbour table (with a warning).
    Auto,
    /// Raw sockets only; fail without the privilege.
    Raw,
    /// TCP connect + the kernel neighbour table only.
    Connect,
}

/// Options of `daicho-agent scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to scan: CIDR (198.18.0.0/24), address, or range (198.18.0.10-198.18.0.20 or
    /// 198.18.0.10-20). Repeat or separate with commas. Required: nothing is scanned by default.
    #[arg(long = "target", short = 't', value_name = "CIDR|IP|A-B")]
    pub targets: Vec<String>,
    /// Never send anything to these (same forms). Repeat or separate with commas.
    #[arg(long = "exclude", short = 'x', value_name = "CIDR|IP|A-B")]
    pub exclude: Vec<String>,
    /// Global packet rate limit, packets per second.
    #[arg(long, value_name = "PPS", default_value_t = DEFAULT_RATE_PPS)]
    pub rate: f64,
    /// Packet rate limit towards any one host, packets per second.
    #[arg(long, value_name = "PPS", default_value_t = DEFAULT_PER_HOST_PPS)]
    pub per_host_rate: f64,
    /// Sweep only this interface's subnet by ARP (it must exist).
    #[arg(long, short = 'i', value_name = "IF")]
    pub interface: Option<String>,
    /// Refuse a scope of more addresses than this unless --force.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_HOSTS)]
    pub max_hosts: u64,
    /// Scan a scope larger than --max-hosts.
    #[arg(long)]
    pub force: bool,
    /// How to probe.
    #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
    pub method: MethodArg,
    /// Do not ask for host names (reverse DNS, NetBIOS, mDNS).
    #[arg(long)]
    pub no_names: bool,
    /// Ports to check on every host found: `default` (the hospital lists), or e.g.
    /// `22,80,443,1000-1100`, `T:22,80,U:161`, `default,8443`.
    #[arg(long, short = 'p', value_name = "SPEC", default_value = "default")]
    pub ports: String,
    /// SNMP v2c community to try (repeatable). None by default: no SNMP query is sent, not even
    /// with `public`, unless it is given here.
    #[arg(long = "snmp-community", value_name = "NAME")]
    pub snmp_communities: Vec<String>,
    /// Probe medical devices beyond a TCP connect (DICOM association, banners, SNMP). Off by
    /// default: hosts with DICOM/HL7 ports, a medical-vendor MAC or listed by --medical-host get
    /// a connect and nothing else.
    #[arg(long)]
    pub probe_medical: bool,
    /// Treat this host as a medical device (repeatable).
    #[arg(long = "medical-host", value_name = "IP")]
    pub medical_hosts: Vec<IpAddr>,
    /// Read this managed switch's ports, forwarding table and LLDP neighbours over SNMP v2c
    /// (repeatable; it must be inside the scope). Needs --switch-community-file.
    #[arg(long = "switch", value_name = "IP", requires = "switch_community_file")]
    pub switches: Vec<IpAddr>,
    /// File whose first line is the switches' read-only SNMP community (a password: kept off the
    /// command line, and the file must not be open to every user).
    #[arg(long, value_name = "FILE", requires = "switches")]
    pub switch_community_file: Option<PathBuf>,
    /// Discovery only: no port scan, no service or OS identification. On-link hosts get no
    /// ICMP echo either (its TTL only feeds the OS guess), so their TTL is not reported.
    #[arg(long)]
    pub no_fingerprint: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl ScanArgs {
    /// The whole scan these options describe, or why the options are wrong.
    pub fn to_inventory_config(&self) -> Result<InventoryConfig, PortSpecError> {
        let fingerprint = if self.no_fingerprint {
            None
        } else {
            let mut settings = FingerprintSettings::new(PortSpec::parse(&self.ports)?);
            settings.snmp_communities.clone_from(&self.snmp_communities);
            settings.probe_medical = self.probe_medical;
            settings.medical_hosts.clone_from(&self.medical_hosts);
            Some(settings)
        };
        let mut scan = self.to_config();
        if fingerprint.is_none() {
            scan.discovery_only();
        }
        Ok(InventoryConfig {
            scan,
            fingerprint,
            switches: None,
        })
    }

    /// The switches to read, with the community read from `--switch-community-file`.
    pub fn switch_settings(&self) -> Result<Option<SwitchSettings>, String> {
        let Some(path) = &self.switch_community_file else {
            return Ok(None);
        };
        // The same rules as the collector token: first line, trimmed, file not world-readable.
        let community = crate::config::read_token(path)
            .map_err(|e| e.replace("token file", "community file"))?;
        Ok(Some(SwitchSettings::new(community, self.switches.clone())))
    }

    /// The discovery configuration these options describe.
    pub fn to_config(&self) -> ScanConfig {
        let mut config = ScanConfig::new(
            daicho_scan::local_agent_info(env!("CARGO_PKG_VERSION")),
            self.targets.clone(),
        );
        config.exclude.clone_from(&self.exclude);
        config.max_hosts = self.max_hosts;
        config.force = self.force;
        config.limits = RateLimits {
            global_pps: self.rate,
            per_host_pps: self.per_host_rate,
        };
        config.interface.clone_from(&self.interface);
        config.method = match self.method {
            MethodArg::Auto => Method::Auto,
            MethodArg::Raw => Method::Raw,
            MethodArg::Connect => Method::Connect,
        };
        config.names = !self.no_names;
        config
    }
}

/// Runs the scan and prints the report; returns the process exit status.
pub fn run(args: &ScanArgs) -> ExitCode {
    let mut config = match args.to_inventory_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("daicho-agent scan: --ports: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match args.switch_settings() {
        Ok(switches) => config.switches = switches,
        Err(e) => {
            eprintln!("daicho-agent scan: --switch-community-file: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let to_stdout = args.output.is_none();
    let show_progress =
        std::io::stderr().is_terminal() && !(to_stdout && args.format == Format::Json);
    let mut meter = ProgressMeter::new(show_progress);
    let outcome = daicho_pipeline::inventory_scan(&config, &mut |p| meter.update(p));
    meter.finish();
    let mut outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            eprintln!("daicho-agent scan: {e}");
            let code = match e {
                ScanError::Scope(_)
                | ScanError::Rate(_)
                | ScanError::NoSuchInterface { .. }
                | ScanError::UnusableInterface { .. }
                | ScanError::Unsupported { .. } => EXIT_USAGE,
                ScanError::NoPrivilege { .. } | ScanError::Io(_) => EXIT_FAILURE,
            };
            return ExitCode::from(code);
        }
    };
    outcome.report.data = daicho_data::in_use();
    let report = &outcome.report;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let text = match args.format {
        Format::Json => {
            let mut s = report.to_json_pretty();
            s.push('\n');
            s
        }
        Format::Table => render_table(report),
    };
    let written = match &args.output {
        Some(path) => std::fs::write(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write the report: {e}")),
    };
    if let Err(e) = written {
        eprintln!("daicho-agent scan: {e}");
        return ExitCode::from(EXIT_FAILURE);
    }
    ExitCode::SUCCESS
}

/// Registrant names can be long; the table cuts them here (the JSON keeps them whole).
const VENDOR_WIDTH: usize = 36;

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

/// The human table: one aligned row per host, then a summary line.
pub fn render_table(report: &ScanReport) -> String {
    let headers = [
        "IP", "MAC", "VENDOR", "NAME", "RTT ms", "TTL", "FOUND BY", "OS", "SERVICES",
    ];
    let rows: Vec<[String; 9]> = report
        .hosts
        .iter()
        .map(|h| {
            let vendor = if h.mac_randomized {
                "(randomized MAC)".to_owned()
            } else {
                h.vendor
                    .clone()
                    .unwrap_or_else(|| if h.mac.is_some() { "(unknown)" } else { "-" }.to_owned())
            };
            [
                h.ip.to_string(),
                h.mac.map_or_else(|| "-".to_owned(), |m| m.to_string()),
                shorten(&vendor, VENDOR_WIDTH),
                h.hostname.clone().unwrap_or_else(|| "-".to_owned()),
                h.rtt_ms
                    .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}")),
                h.ttl.map_or_else(|| "-".to_owned(), |t| t.to_string()),
                h.discovered_by.join(","),
                os_cell(&h.os),
                services_cell(&h.services),
            ]
        })
        .collect();
    let mut widths = headers.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            l.push_str(cell);
            if i + 1 < cells.len() {
                l.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&headers.map(str::to_owned), &mut out);
    for row in &rows {
        line(row, &mut out);
    }
    let secs = (report.finished_at - report.started_at).num_milliseconds() as f64 / 1000.0;
    let randomized = report.hosts.iter().filter(|h| h.mac_randomized).count();
    let _ = writeln!(
        out,
        "\n{} hosts up ({} with randomized MAC) in {} excluding {} — {:.1} s, via {}",
        report.hosts.len(),
        randomized,
        report.scope.targets.join(","),
        if report.scope.exclude.is_empty() {
            "nothing".to_owned()
        } else {
            report.scope.exclude.join(",")
        },
        secs,
        report.methods.join(", "),
    );
    // How old the vendor names are: a block assigned after this date shows "(unknown)".
    if let Some(date) = report
        .data
        .iter()
        .find(|d| d.name == "ieee-registry")
        .and_then(|d| d.date)
    {
        let _ = writeln!(
            out,
            "MAC vendors from the IEEE registry of {date} (`daicho-agent data status` lists every data set)"
        );
    }
    out
}

/// `family name version` of an OS guess, `-` when nothing is known.
fn os_cell(os: &daicho_model::OsGuess) -> String {
    if os.family == daicho_model::OsFamily::Unknown && os.name.is_none() {
        return "-".to_owned();
    }
    let family = serde_json::to_value(os.family)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    [Some(family), os.name.clone(), os.version.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `port/name product version` of each service, comma separated.
fn services_cell(services: &[daicho_model::Service]) -> String {
    if services.is_empty() {
        return "-".to_owned();
    }
    services
        .iter()
        .map(|s| {
            let mut cell = format!("{}/{}", s.port, s.name);
            if s.protocol == daicho_model::Protocol::Udp {
                cell = format!("{}u/{}", s.port, s.name);
            }
            for part in [&s.product, &s.version].into_iter().flatten() {
                cell.push(' ');
                cell.push_str(part);
            }
            cell
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A one-line progress display on stderr, shown only on a terminal and only once a scan has
/// run for more than a second.
struct ProgressMeter {
    enabled: bool,
    started: Instant,
    last_draw: Option<Instant>,
    drew: bool,
}

impl ProgressMeter {
    const DELAY: Duration = Duration::from_secs(1);
    const EVERY: Duration = Duration::from_millis(100);

    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            started: Instant::now(),
            last_draw: None,
            drew: false,
        }
    }

    fn update(&mut self, p: Progress) {
        if !self.enabled || self.started.elapsed() < Self::DELAY {
            return;
        }
        if self.last_draw.is_some_and(|t| t.elapsed() < Self::EVERY) {
            return;
        }
        self.last_draw = Some(Instant::now());
        self.drew = true;
        let pct = (p.done * 100).checked_div(p.total).unwrap_or(100);
        eprint!(
            "\r\x1b[2K{:>5} {:>3}% ({}/{}) {} hosts up, {:.0} s",
            p.phase,
            pct,
            p.done,
            p.total,
            p.found,
            self.started.elapsed().as_secs_f64()
        );
        let _ = std::io::stderr().flush();
    }

    fn finish(&mut self) {
        if self.drew {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daicho_model::{AgentInfo, Host, OsGuess, Scope};

    fn host(ip: &str, mac: Option<&str>, vendor: Option<&str>, randomized: bool) -> Host {
        Host {
            ip: ip.parse().unwrap(),
            mac: mac.map(|m| m.parse().unwrap()),
            vendor: vendor.map(str::to_owned),
            mac_randomized: randomized,
            hostname: None,
            os: OsGuess::default(),
            services: vec![],
            rtt_ms: Some(0.12),
            ttl: Some(64),
            discovered_by: vec!["arp".into()],
            local: None,
        }
    }

    #[test]
    fn table_is_aligned_and_names_randomized_macs() {
        let agent = AgentInfo {
            name: "a".into(),
            version: "0".into(),
            machine_id: None,
        };
        let scope = Scope {
            targets: vec!["198.18.0.0/24".into()],
            exclude: vec![],
            ports: None,
        };
        let mut report = ScanReport::new(agent, scope, chrono::Utc::now());
        report.hosts = vec![
            host(
                "198.18.0.10",
                Some("98:e7:43:00:00:0a"),
                Some("Dell Inc."),
                false,
            ),
            host("198.18.0.21", Some("06:72:ef:cd:7c:0b"), None, true),
            host("198.18.0.99", Some("00:00:00:00:00:01"), None, false),
            host("198.18.1.10", None, None, false),
        ];
        let text = render_table(&report);
        let lines: Vec<&str> = text.lines().collect();
        let col = lines[0].find("VENDOR").unwrap();
        for line in &lines[1..5] {
            assert!(line.len() > col, "{line}");
            assert_ne!(&line[col - 1..col], "x");
        }
        assert_eq!(&lines[1][col..col + 9], "Dell Inc.");
        assert_eq!(&lines[2][col..col + 16], "(randomized MAC)");
        assert_eq!(&lines[3][col..col + 9], "(unknown)");
        assert!(text.contains("4 hosts up (1 with randomized MAC)"));
        assert!(!text.contains("IEEE registry"), "no data list, no date");
        report.data = vec![daicho_model::DataVersion {
            name: "ieee-registry".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 8, 26),
            source: "npm oui-data 2.1.9".into(),
        }];
        assert!(render_table(&report).contains("MAC vendors from the IEEE registry of 2026-08-26"));
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abcd", 4), "abcd");
    }

    fn scan_args(extra: &[&str]) -> ScanArgs {
        use clap::Parser;
        let argv = ["daicho-agent", "scan", "--target", "198.18.0.0/24"];
        let cli = crate::cli::Cli::try_parse_from(argv.iter().chain(extra)).unwrap();
        match cli.command {
            crate::cli::Command::Scan(args) => *args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn discovery_only_skips_the_ttl_echo_the_full_inventory_keeps_it() {
        let full = scan_args(&[]).to_inventory_config().unwrap();
        assert!(full.fingerprint.is_some());
        assert!(full.scan.sweep.echo, "the OS guess needs every host's TTL");
        let discovery = scan_args(&["--no-fingerprint"])
            .to_inventory_config()
            .unwrap();
        assert!(discovery.fingerprint.is_none());
        assert!(!discovery.scan.sweep.echo);
    }
}
