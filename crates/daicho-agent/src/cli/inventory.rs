//! `daicho-agent inventory [--format table|json]`: this host's inventory on standard output.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use daicho_inventory::LiveHost;
use daicho_model::LocalInventory;
use daicho_model::display_text::terminal_text;
use daicho_model::inventory::MembershipKind;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// The `local` object of the report, as JSON.
    Json,
}

/// Options of `inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Runs `inventory`.
pub fn execute(args: &InventoryArgs) -> ExitCode {
    let started = Instant::now();
    let inventory = daicho_inventory::collect(&LiveHost);
    let elapsed = started.elapsed();
    let text = match args.format {
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&inventory).expect("inventory serialises");
            json.push('\n');
            json
        }
        Format::Table => render_table(&inventory),
    };
    eprintln!("inventory taken in {} ms", elapsed.as_millis());
    super::print_stdout(&text, "inventory")
}

/// The human-readable form: identity, then listening sockets, services (with their start type
/// where the OS has one) and interfaces in full,
/// then counts of packages and processes (the JSON form lists them).
pub fn render_table(inv: &LocalInventory) -> String {
    let mut out = String::new();
    let or_dash = |v: Option<&str>| v.unwrap_or("-").to_owned();
    let _ = writeln!(out, "Host         {}", inv.hostname);
    let _ = writeln!(out, "Machine id   {}", or_dash(inv.machine_id.as_deref()));
    let _ = writeln!(
        out,
        "OS           {} (id {}, version {}{}, build {})",
        or_dash(inv.os.name.as_deref()),
        or_dash(inv.os.id.as_deref()),
        or_dash(inv.os.version.as_deref()),
        inv.os
            .display_version
            .as_deref()
            .map_or_else(String::new, |d| format!(" {d}")),
        or_dash(inv.os.build.as_deref())
    );
    let _ = writeln!(out, "Kernel       {}", or_dash(inv.os.kernel.as_deref()));
    let _ = writeln!(
        out,
        "Last update  {}",
        inv.last_updated
            .map_or_else(|| "unknown".to_owned(), |t| t.to_rfc3339())
    );
    if let Some(m) = &inv.membership {
        let kind = match m.kind {
            MembershipKind::Domain => "domain",
            MembershipKind::Workgroup => "workgroup",
            MembershipKind::Unjoined => "not joined",
        };
        let name = m.name.as_deref().map(terminal_text).unwrap_or_default();
        let _ = writeln!(out, "Joined to    {kind} {name}");
    }
    for a in &inv.antivirus {
        let flag = |v: Option<bool>, yes: &str, no: &str| match v {
            Some(true) => yes.to_owned(),
            Some(false) => no.to_owned(),
            None => "?".to_owned(),
        };
        let _ = writeln!(
            out,
            "Antivirus    {} ({}, {})",
            terminal_text(&a.name),
            flag(a.enabled, "on", "OFF"),
            flag(a.up_to_date, "up to date", "OUT OF DATE")
        );
    }
    let _ = writeln!(
        out,
        "Packages     {}   Hotfixes {}   Processes {}",
        inv.packages.len(),
        inv.hotfixes.len(),
        inv.processes.len()
    );

    let _ = writeln!(out, "\nInterfaces");
    for i in &inv.interfaces {
        let _ = writeln!(
            out,
            "  {:<16} {:<17}  {}",
            i.name,
            i.mac.map_or_else(|| "-".to_owned(), |m| m.to_string()),
            i.addresses.join(" ")
        );
    }

    let _ = writeln!(out, "\nListening sockets");
    let _ = writeln!(
        out,
        "  {:<5} {:<40} {:>5}  {:>7}  {:<16} EXE",
        "PROTO", "ADDRESS", "PORT", "PID", "PROCESS"
    );
    for s in &inv.listening {
        let proto = s.protocol.as_str();
        let _ = writeln!(
            out,
            "  {:<5} {:<40} {:>5}  {:>7}  {:<16} {}{}",
            proto,
            s.address.to_string(),
            s.port,
            s.pid.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            or_dash(s.process.as_deref()),
            or_dash(s.exe.as_deref()),
            if s.services.is_empty() {
                String::new()
            } else {
                format!("  (services: {})", s.services.join(", "))
            }
        );
    }

    let _ = writeln!(out, "\nServices");
    if inv.system_services.is_empty() {
        let _ = writeln!(out, "  (none listed)");
    }
    for s in &inv.system_services {
        let _ = writeln!(
            out,
            "  {:<40} {:<8} {:<12} {}",
            s.name,
            s.state,
            s.start_type.as_deref().unwrap_or("-"),
            s.description.as_deref().unwrap_or("")
        );
    }
    for h in &inv.hotfixes {
        let _ = writeln!(
            out,
            "Hotfix {} installed {}",
            h.id,
            h.installed_on.as_deref().unwrap_or("?")
        );
    }
    if !inv.notes.is_empty() {
        let _ = writeln!(out, "\nNotes");
        for n in &inv.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use daicho_model::inventory::{
        AntivirusProduct, ListeningSocket, LocalOs, Membership, MembershipKind, Package,
        SystemService,
    };
    use daicho_model::{LocalInventory, Protocol};

    use super::render_table;

    #[test]
    fn table_shows_identity_sockets_services_and_notes() {
        let inv = LocalInventory {
            hostname: "reception-pc".into(),
            machine_id: Some("abc".into()),
            os: LocalOs {
                id: Some("debian".into()),
                name: Some("Debian GNU/Linux 12 (bookworm)".into()),
                version: Some("12".into()),
                build: Some("12.7".into()),
                display_version: None,
                kernel: Some("6.1.0".into()),
            },
            packages: vec![Package {
                name: "nginx".into(),
                version: "1.22".into(),
                arch: None,
            }],
            listening: vec![ListeningSocket {
                protocol: Protocol::Udp,
                address: "0.0.0.0".parse().unwrap(),
                port: 161,
                pid: Some(42),
                process: Some("snmpd".into()),
                exe: Some("/usr/sbin/snmpd".into()),
                services: Vec::new(),
            }],
            system_services: vec![SystemService {
                name: "snmpd.service".into(),
                state: "running".into(),
                start_type: None,
                description: Some("Simple Network Management Protocol".into()),
            }],
            membership: None,
            antivirus: Vec::new(),
            notes: vec!["something was not readable".into()],
            ..LocalInventory::default()
        };
        let table = render_table(&inv);
        assert!(table.contains("Host         reception-pc"));
        assert!(table.contains("build 12.7"));
        assert!(table.contains("Packages     1 "));
        let socket_line = table
            .lines()
            .find(|l| l.contains("snmpd") && l.contains("161"))
            .unwrap();
        assert!(socket_line.trim_start().starts_with("udp"), "{socket_line}");
        assert!(socket_line.contains("/usr/sbin/snmpd") && socket_line.contains("42"));
        assert!(table.contains("snmpd.service"));
        assert!(table.contains("Last update  unknown"));
        assert!(table.contains("  - something was not readable"));
    }

    #[test]
    fn table_shows_the_windows_release_and_start_types() {
        let inv = LocalInventory {
            hostname: "reception-pc".into(),
            os: LocalOs {
                id: Some("windows".into()),
                name: Some("Windows 10 Pro".into()),
                version: Some("10.0.19045".into()),
                build: Some("19045.4894".into()),
                display_version: Some("22H2".into()),
                kernel: None,
            },
            listening: vec![ListeningSocket {
                protocol: Protocol::Tcp,
                address: "0.0.0.0".parse().unwrap(),
                port: 3389,
                pid: Some(1044),
                process: Some("svchost.exe".into()),
                exe: Some(r"C:\Windows\System32\svchost.exe".into()),
                services: vec!["TermService".into()],
            }],
            system_services: vec![SystemService {
                name: "TermService".into(),
                state: "stopped".into(),
                start_type: Some("disabled".into()),
                description: Some("Remote Desktop Services".into()),
            }],
            membership: Some(Membership {
                kind: MembershipKind::Domain,
                name: Some("HOSPITAL".into()),
            }),
            antivirus: vec![AntivirusProduct {
                name: "Windows Defender".into(),
                enabled: Some(true),
                up_to_date: Some(false),
                product_state: Some(0x61110),
            }],
            ..LocalInventory::default()
        };
        let table = render_table(&inv);
        assert!(table.contains("Joined to    domain HOSPITAL"), "{table}");
        assert!(
            table.contains("Antivirus    Windows Defender (on, OUT OF DATE)"),
            "{table}"
        );
        assert!(
            table.contains("version 10.0.19045 22H2, build 19045.4894"),
            "{table}"
        );
        let line = table
            .lines()
            .find(|l| l.trim_start().starts_with("TermService"))
            .unwrap();
        assert!(
            line.contains("stopped") && line.contains("disabled"),
            "{line}"
        );
        let socket = table.lines().find(|l| l.contains("3389")).unwrap();
        assert!(
            socket.ends_with(r"C:\Windows\System32\svchost.exe  (services: TermService)"),
            "{socket}"
        );
    }
}
