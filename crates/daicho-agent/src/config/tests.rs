//! Configuration parsing and validation, good and bad.

use std::path::Path;
use std::time::Duration;

use super::*;

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "secret-token\n").unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(
            dir.path().join("token"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        Self { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn parse(&self, text: &str) -> Result<AgentConfig, ConfigError> {
        AgentConfig::parse(&self.path().join("agent.toml"), text)
    }
}

const GOOD: &str = r#"
[agent]
name = "ward3"
log_format = "json"

[schedule]
interval = "15m"
jitter = "30s"

[collector]
url = "https://collector.example:8443/"
token_file = "token"

[spool]
dir = "spool"
max_reports = 10

[scan]
targets = ["198.18.0.0/24", "198.18.1.10-20", "198.18.1.100"]
exclude = ["198.18.0.5"]
ports = "22,80,443,8000-8100"
rate = 200
per_host_rate = 20
"#;

#[test]
fn good_config_is_read_with_paths_relative_to_the_file() {
    let d = Dir::new();
    let c = d.parse(GOOD).unwrap();
    assert_eq!(c.agent_name.as_deref(), Some("ward3"));
    assert_eq!(c.log_format, LogFormat::Json);
    assert!(matches!(c.schedule.kind, ScheduleKind::Interval(i) if i == Duration::from_mins(15)));
    assert_eq!(c.schedule.jitter, Duration::from_secs(30));
    assert_eq!(c.collector.token_file, d.path().join("token"));
    assert_eq!(c.spool.dir, d.path().join("spool"));
    assert!(c.spool.dir.is_dir());
    assert_eq!(c.spool.max_reports, 10);
    let scan = c.scan.unwrap();
    assert_eq!(scan.targets.len(), 3);
    assert_eq!(scan.per_host_rate, Some(20));
    assert!(c.inventory);
}

#[test]
fn scan_section_is_optional() {
    let d = Dir::new();
    let text = GOOD.split("[scan]").next().unwrap();
    assert!(d.parse(text).unwrap().scan.is_none());
}

fn error_of(text: &str) -> (String, Option<String>) {
    let d = Dir::new();
    let e = d.parse(text).unwrap_err();
    assert!(e.to_string().contains("agent.toml"), "{e}");
    (e.to_string(), e.key)
}

#[test]
fn unknown_key_is_named_with_its_table() {
    let (msg, key) = error_of(&GOOD.replace("token_file", "tokenfile"));
    assert_eq!(key.as_deref(), Some("collector.tokenfile"), "{msg}");
    assert!(msg.contains("unknown field"), "{msg}");
    let (_, key) = error_of(&format!("{GOOD}\n[extra]\nx = 1\n"));
    assert_eq!(key.as_deref(), Some("extra"));
}

#[test]
fn invalid_targets_are_named_by_index() {
    for (bad, expect) in [
        ("198.18.0.0/33", "larger than 32"),
        ("198.18.0.300", "not an IPv4 address"),
        ("198.18.0.20-10", "ends before it starts"),
        ("198.18.0.1-::5", "IPv6"),
        ("printer.local", "not an IPv4 address"),
    ] {
        let (msg, key) = error_of(&GOOD.replace("198.18.1.100", bad));
        assert_eq!(key.as_deref(), Some("scan.targets[2]"), "{msg}");
        assert!(msg.contains(expect), "{bad}: {msg}");
    }
    let (msg, key) = error_of(&GOOD.replace(
        "targets = [\"198.18.0.0/24\", \"198.18.1.10-20\", \"198.18.1.100\"]",
        "targets = []",
    ));
    assert_eq!(key.as_deref(), Some("scan.targets"), "{msg}");
    // The whole scope is checked as the scanner will see it.
    let (msg, key) = error_of(&GOOD.replace(
        "exclude = [\"198.18.0.5\"]",
        "exclude = [\"198.18.0.0/16\"]",
    ));
    assert_eq!(key.as_deref(), Some("scan.targets"), "{msg}");
    assert!(msg.contains("excluded"), "{msg}");
}

#[test]
fn missing_or_empty_token_file() {
    let (msg, key) = error_of(&GOOD.replace("\"token\"", "\"nope\""));
    assert_eq!(key.as_deref(), Some("collector.token_file"));
    assert!(msg.contains("cannot read token file"), "{msg}");
    let d = Dir::new();
    std::fs::write(d.path().join("token"), "\n").unwrap();
    let e = d.parse(GOOD).unwrap_err();
    assert!(e.message.contains("is empty"), "{e}");
}

#[test]
fn unusable_spool_dir() {
    let d = Dir::new();
    // A file where the directory should be: unusable even for root.
    std::fs::write(d.path().join("spool"), "not a dir").unwrap();
    let e = d.parse(GOOD).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("spool.dir"));
    assert!(e.message.contains("spool directory"), "{e}");
}

#[test]
fn schedule_needs_exactly_one_rule() {
    let (_, key) = error_of(&GOOD.replace("interval = \"15m\"", ""));
    assert_eq!(key.as_deref(), Some("schedule"));
    let (_, key) = error_of(&GOOD.replace(
        "interval = \"15m\"",
        "interval = \"15m\"\ncron = \"0 * * * *\"",
    ));
    assert_eq!(key.as_deref(), Some("schedule"));
    let (msg, key) = error_of(&GOOD.replace("interval = \"15m\"", "interval = \"15 minutes\""));
    assert_eq!(key.as_deref(), Some("schedule.interval"), "{msg}");
    let (msg, key) = error_of(&GOOD.replace("interval = \"15m\"", "cron = \"0 * * *\""));
    assert_eq!(key.as_deref(), Some("schedule.cron"));
    assert!(msg.contains('5'), "{msg}");
    let (_, key) = error_of(&GOOD.replace("interval = \"15m\"", "cron = \"61 * * * *\""));
    assert_eq!(key.as_deref(), Some("schedule.cron"));
}

#[test]
fn cron_schedule_is_accepted() {
    let d = Dir::new();
    let c = d
        .parse(&GOOD.replace("interval = \"15m\"", "cron = \"30 2 * * 1-5\""))
        .unwrap();
    assert!(matches!(c.schedule.kind, ScheduleKind::Cron(_)));
}

#[test]
fn wrong_types_and_values_name_the_key() {
    let (msg, key) = error_of(&GOOD.replace("max_reports = 10", "max_reports = \"ten\""));
    assert_eq!(key.as_deref(), Some("spool.max_reports"), "{msg}");
    let (_, key) = error_of(&GOOD.replace("rate = 200", "rate = 0"));
    assert_eq!(key.as_deref(), Some("scan.rate"));
    let (_, key) = error_of(&GOOD.replace("log_format = \"json\"", "log_format = \"xml\""));
    assert_eq!(key.as_deref(), Some("agent.log_format"));
    let (_, key) = error_of(&GOOD.replace("https://collector.example:8443/", "ftp://x/"));
    assert_eq!(key.as_deref(), Some("collector.url"));
    let (msg, key) = error_of(&GOOD.replace("[spool]\ndir = \"spool\"", "[spool]"));
    assert_eq!(key.as_deref(), Some("spool.dir"), "{msg}");
    assert!(msg.contains("missing"), "{msg}");
}

#[test]
fn ca_file_must_hold_a_certificate() {
    let d = Dir::new();
    std::fs::write(d.path().join("ca.pem"), "not pem").unwrap();
    let e = d
        .parse(&GOOD.replace(
            "token_file = \"token\"",
            "token_file = \"token\"\nca_file = \"ca.pem\"",
        ))
        .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("collector.ca_file"), "{e}");
}

#[test]
fn toml_syntax_error_gives_the_line() {
    let (msg, _) = error_of("[agent\nname = 1");
    assert!(msg.contains("line 1"), "{msg}");
}

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
    assert_eq!(parse_duration("2h").unwrap(), Duration::from_hours(2));
    assert_eq!(parse_duration("1d").unwrap(), Duration::from_hours(24));
    assert!(parse_duration("10").is_err());
    assert!(parse_duration("m").is_err());
    assert!(parse_duration("5w").is_err());
}

#[test]
fn a_report_with_nothing_in_it_is_refused() {
    let text = GOOD.split("[scan]").next().unwrap();
    let (msg, key) = error_of(&format!("{text}\n[inventory]\nenabled = false\n"));
    assert_eq!(key.as_deref(), Some("inventory.enabled"), "{msg}");
}

#[test]
fn fingerprint_keys_are_read_and_checked() {
    let d = Dir::new();
    let c = d.parse(GOOD).unwrap();
    let scan = c.scan.unwrap();
    assert!(
        scan.snmp_communities.is_empty(),
        "no SNMP unless configured"
    );
    assert!(!scan.probe_medical && !scan.no_fingerprint);
    let text = GOOD.replace(
        "per_host_rate = 20",
        "per_host_rate = 20\nsnmp_communities = [\"public\", \"ward3ro\"]\n\
         probe_medical = true\nmedical_hosts = [\"198.18.0.11\"]\nno_fingerprint = true",
    );
    let scan = d.parse(&text).unwrap().scan.unwrap();
    assert_eq!(scan.snmp_communities, ["public", "ward3ro"]);
    assert!(scan.probe_medical && scan.no_fingerprint);
    assert_eq!(
        scan.medical_hosts,
        ["198.18.0.11".parse::<std::net::IpAddr>().unwrap()]
    );
    let config = crate::scanner::inventory_config(&scan).unwrap();
    assert!(
        config.fingerprint.is_none(),
        "no_fingerprint = discovery only"
    );
    assert!(!config.scan.sweep.echo, "discovery only: no TTL echo");

    let (msg, key) = error_of(&text.replace("\"198.18.0.11\"]", "\"pacs\"]"));
    assert_eq!(key.as_deref(), Some("scan.medical_hosts"), "{msg}");
    let (msg, key) = error_of(&GOOD.replace("22,80,443,8000-8100", "22,80-70"));
    assert_eq!(key.as_deref(), Some("scan.ports"), "{msg}");
    let (_, key) = error_of(&text.replace("\"ward3ro\"", "\"\""));
    assert_eq!(key.as_deref(), Some("scan.snmp_communities"));

    // The pipeline gets the configured ports, and `default` when none are configured.
    let with_ports = d.parse(GOOD).unwrap().scan.unwrap();
    let full = crate::scanner::inventory_config(&with_ports).unwrap();
    assert!(full.scan.sweep.echo, "the OS guess needs every host's TTL");
    let f = full.fingerprint.unwrap();
    assert_eq!(f.ports.to_string(), "T:22,80,443,8000-8100");
    assert!(f.ports.tcp.contains(&8050) && f.ports.udp.is_empty());
    let no_ports = d
        .parse(&GOOD.replace("ports = \"22,80,443,8000-8100\"\n", ""))
        .unwrap()
        .scan
        .unwrap();
    let f = crate::scanner::inventory_config(&no_ports)
        .unwrap()
        .fingerprint
        .unwrap();
    assert_eq!(f.ports, daicho_fingerprint::PortSpec::default_lists());
    assert!(f.ports.udp.contains(&161));
}

#[test]
fn log_destinations() {
    let d = Dir::new();
    let with = |log: &str| d.parse(&format!("{GOOD}\n[log]\n{log}\n"));
    assert_eq!(d.parse(GOOD).unwrap().log_to, None);
    assert_eq!(
        with("file = \"logs/agent.log\"").unwrap().log_to,
        Some(LogDestination::File(d.path().join("logs/agent.log")))
    );
    assert_eq!(
        with("to = \"file\"\nfile = \"a.log\"").unwrap().log_to,
        Some(LogDestination::File(d.path().join("a.log")))
    );
    assert_eq!(
        with("to = \"stderr\"").unwrap().log_to,
        Some(LogDestination::Stderr)
    );
    let e = with("to = \"stderr\"\nfile = \"a.log\"").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("log.file"), "{e}");
    let e = with("to = \"syslog\"").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("log.to"), "{e}");
    // Linux has no default log file and no event log; Windows has both.
    let file = with("to = \"file\"");
    let eventlog = with("to = \"eventlog\"");
    if cfg!(windows) {
        assert!(matches!(
            file.unwrap().log_to,
            Some(LogDestination::File(_))
        ));
        assert_eq!(eventlog.unwrap().log_to, Some(LogDestination::EventLog));
    } else {
        assert_eq!(file.unwrap_err().key.as_deref(), Some("log.file"));
        assert_eq!(eventlog.unwrap_err().key.as_deref(), Some("log.to"));
    }
}

#[test]
fn snmp_switches_are_read_checked_against_the_scope_and_the_community_kept_secret() {
    let d = Dir::new();
    let text = format!(
        "{GOOD}\n[snmp]\ncommunity = \"ro-ward3\"\nswitches = [\"198.18.0.14\", \"198.18.1.12\"]\n"
    );
    let c = d.parse(&text).unwrap();
    let switches = c.scan.as_ref().unwrap().switches.clone().unwrap();
    assert_eq!(switches.community.expose(), "ro-ward3");
    assert_eq!(switches.switches.len(), 2);
    // Never printed, by the settings or by the whole configuration.
    assert!(!format!("{c:?}").contains("ro-ward3"));
    let config = crate::scanner::inventory_config(c.scan.as_ref().unwrap()).unwrap();
    assert!(!format!("{config:?}").contains("ro-ward3"));
    assert_eq!(config.switches.unwrap().community, "ro-ward3");

    // Outside the scope, or excluded: refused at start, naming the key.
    for (bad, index) in [("198.18.2.1", 1), ("198.18.0.5", 1), ("sw-core", 1)] {
        let (msg, key) = error_of(&text.replace("198.18.1.12", bad));
        assert_eq!(
            key.as_deref(),
            Some(format!("snmp.switches[{index}]").as_str()),
            "{msg}"
        );
    }
    let (msg, key) = error_of(&text.replace("\"ro-ward3\"", "\"\""));
    assert_eq!(key.as_deref(), Some("snmp.community"), "{msg}");
    let (msg, key) = error_of(&text.replace("\"198.18.0.14\", \"198.18.1.12\"", ""));
    assert_eq!(key.as_deref(), Some("snmp.switches"), "{msg}");
    let no_scan = text.split("[scan]").next().unwrap().to_owned()
        + "[snmp]\ncommunity = \"ro-ward3\"\nswitches = [\"198.18.0.14\"]\n";
    let (msg, key) = error_of(&no_scan);
    assert_eq!(key.as_deref(), Some("snmp"), "{msg}");
    assert!(!msg.contains("ro-ward3"), "{msg}");

    // A file holding the community must not be open to every user (file modes are Unix's).
    #[cfg(unix)]
    {
        let path = d.path().join("agent.toml");
        std::fs::write(&path, &text).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        let e = AgentConfig::load(&path).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("snmp.community"), "{e}");
        assert!(!e.to_string().contains("ro-ward3"));
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        assert!(AgentConfig::load(&path).is_ok());
    }
}
