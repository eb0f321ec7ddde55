//! The Windows API reads of the inventory on a running Windows (CI: Wine, through
//! `scripts/windows-agent.sh`), checked against what the system's own tools print: `reg query`
//! for the registry, `sc query` and `net start` for services, `netstat -an` for listeners; the
//! domain or workgroup decodes to a named one.
#![cfg(windows)]

use std::collections::BTreeSet;
use std::net::{TcpListener, UdpSocket};
use std::process::Command;

use daicho_inventory::ip_tables::{self, TableKind};
use daicho_inventory::registry::{self, RegData, WindowsVersion};
use daicho_inventory::scm::{self, SERVICE_RUNNING};
use daicho_inventory::windows::{parse_reg_query, parse_sc_query};
use daicho_inventory::windows_live::{self, LiveWindows};
use daicho_inventory::windows_source::{Hive, RegKey, RegView};
use daicho_inventory::{HostSource, LiveHost, WindowsSource};
use daicho_model::Protocol;

/// Runs one of the system's tools and returns what it printed.
fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// True under Wine, which keeps its own configuration in `HKLM\Software\Wine`.
fn on_wine() -> bool {
    LiveWindows
        .registry_subkeys(machine(r"Software\Wine"))
        .is_ok()
}

fn machine(path: &str) -> RegKey<'_> {
    RegKey {
        hive: Hive::LocalMachine,
        path,
        view: RegView::Bits64,
    }
}

#[test]
fn the_version_key_reads_as_reg_query_prints_it() {
    let live = LiveWindows
        .registry_values(machine(registry::CURRENT_VERSION_PATH))
        .unwrap();
    let printed = parse_reg_query(&tool(
        "reg",
        &[
            "query",
            &format!(r"HKLM\{}", registry::CURRENT_VERSION_PATH),
        ],
    ));
    let printed = &printed[&format!(r"HKEY_LOCAL_MACHINE\{}", registry::CURRENT_VERSION_PATH)];
    // Every string and number `reg` prints is what the API read.
    let mut compared = 0;
    for name in [
        "ProductName",
        "CurrentBuild",
        "CurrentBuildNumber",
        "CurrentVersion",
        "CurrentMajorVersionNumber",
        "CurrentMinorVersionNumber",
        "UBR",
        "DisplayVersion",
        "InstallDate",
    ] {
        match printed.get(name) {
            Some(RegData::Text(t)) => {
                assert_eq!(live.text(name).unwrap_or_default(), t.trim(), "{name}");
                compared += 1;
            }
            Some(RegData::Number(n)) => {
                assert_eq!(live.number(name), Some(*n), "{name}");
                compared += 1;
            }
            _ => assert_eq!(printed.get(name), None),
        }
    }
    assert!(compared >= 4, "only {compared} values compared");
    let version = WindowsVersion::from_values(&live);
    assert_eq!(version, WindowsVersion::from_values(printed));
    let build = version.build.expect("a build number");
    assert!(
        build.split('.').next().unwrap().parse::<u32>().is_ok(),
        "{build}"
    );
    assert!(version.product.unwrap().contains("Windows"));
}

/// A key this test writes with `reg add` and deletes again, in the current user's hive.
struct TestKey(String);

impl Drop for TestKey {
    fn drop(&mut self) {
        let _ = Command::new("reg")
            .args(["delete", &format!(r"HKCU\{}", self.0), "/f"])
            .output();
    }
}

#[test]
fn values_written_by_reg_add_read_back_by_type() {
    let key = TestKey(format!(r"Software\daicho-test-{}", std::process::id()));
    let entry = format!(r"HKCU\{}\Program", key.0);
    for (name, kind, data) in [
        ("DisplayName", "REG_SZ", "電子カルテ Viewer"),
        ("DisplayVersion", "REG_SZ", "3.2.1"),
        ("InstallLocation", "REG_EXPAND_SZ", r"%ProgramFiles%\Viewer"),
        ("EstimatedSize", "REG_DWORD", "4096"),
        ("Big", "REG_QWORD", "0x100000001"),
        ("Paths", "REG_MULTI_SZ", r"a\0bc"),
    ] {
        tool(
            "reg",
            &["add", &entry, "/v", name, "/t", kind, "/d", data, "/f"],
        );
    }
    let parent = RegKey {
        hive: Hive::CurrentUser,
        path: &key.0,
        view: RegView::Bits64,
    };
    assert_eq!(LiveWindows.registry_subkeys(parent).unwrap(), ["Program"]);
    let path = format!(r"{}\Program", key.0);
    let values = LiveWindows
        .registry_values(RegKey {
            hive: Hive::CurrentUser,
            path: &path,
            view: RegView::Bits64,
        })
        .unwrap();
    assert_eq!(
        values.text("DisplayName").as_deref(),
        Some("電子カルテ Viewer")
    );
    assert_eq!(
        values.get("InstallLocation"),
        Some(&RegData::Text(r"%ProgramFiles%\Viewer".into()))
    );
    assert_eq!(values.number("EstimatedSize"), Some(4096));
    assert_eq!(values.number("Big"), Some(0x1_0000_0001));
    assert_eq!(
        values.get("Paths"),
        Some(&RegData::List(vec!["a".into(), "bc".into()]))
    );
    let program = registry::program_from_values(&values).unwrap();
    assert_eq!(
        (program.name.as_str(), program.version.as_str()),
        ("電子カルテ Viewer", "3.2.1")
    );
    // A key that does not exist is NotFound, which the collection skips quietly.
    let missing = LiveWindows.registry_subkeys(RegKey {
        hive: Hive::CurrentUser,
        path: r"Software\daicho-test-no-such-key",
        view: RegView::Bits64,
    });
    assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn services_match_sc_query_and_net_start() {
    let records = LiveWindows.services().unwrap();
    assert!(!records.is_empty(), "the SCM lists no service");
    for record in &records {
        let printed = parse_sc_query(&tool("sc", &["query", &record.name]))
            .unwrap_or_else(|| panic!("sc query {} prints no state", record.name));
        assert_eq!(printed.name, record.name);
        assert_eq!(printed.state, record.current_state, "{}", record.name);
        assert!(
            record.start_type.is_some(),
            "{}: no start type",
            record.name
        );
    }
    // `net start` lists the running services by display name, indented, after one heading.
    let printed: BTreeSet<String> = tool("net", &["start"])
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(|l| l.trim().to_owned())
        .collect();
    let running: BTreeSet<String> = records
        .iter()
        .filter(|r| r.current_state == SERVICE_RUNNING)
        .map(|r| r.display_name.clone())
        .collect();
    assert!(!running.is_empty(), "no running service");
    assert_eq!(running, printed);
    let model = scm::to_model(&records);
    assert!(
        model
            .iter()
            .any(|s| s.state == "running" && s.start_type.is_some())
    );
}

#[test]
fn our_own_listeners_are_in_the_tables_with_our_pid() {
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (tcp_port, udp_port) = (
        tcp.local_addr().unwrap().port(),
        udp.local_addr().unwrap().port(),
    );
    let mut sockets = Vec::new();
    for kind in [TableKind::Tcp4, TableKind::Udp4] {
        let table = LiveWindows.socket_table(kind).unwrap();
        sockets.extend(ip_tables::parse_table(kind, &table).unwrap());
    }
    let me = std::process::id();
    for (protocol, port) in [(Protocol::Tcp, tcp_port), (Protocol::Udp, udp_port)] {
        let found = sockets
            .iter()
            .find(|s| s.protocol == protocol && s.port == port)
            .unwrap_or_else(|| panic!("{protocol:?} {port} not in the table: {sockets:?}"));
        assert_eq!(found.address, std::net::IpAddr::from([127, 0, 0, 1]));
        // Wine 8 fills no owner into its tables (0, which Windows never gives a listener).
        let expected = if on_wine() { 0 } else { me };
        assert_eq!(found.pid, expected, "{protocol:?} {port}");
    }
    // `netstat -an` prints the same UDP socket (Wine's prints no PID column).
    let netstat = tool("netstat", &["-an"]);
    assert!(
        netstat
            .lines()
            .any(|l| l.contains("UDP") && l.contains(&format!("127.0.0.1:{udp_port}"))),
        "{netstat}"
    );
}

#[test]
fn processes_include_this_one_with_its_image() {
    let processes = windows_live::processes().unwrap();
    let me = std::process::id();
    let this = processes
        .iter()
        .find(|p| p.pid == me)
        .expect("this process is listed");
    let exe = std::env::current_exe().unwrap();
    let file = exe.file_name().unwrap().to_string_lossy();
    assert!(
        this.name.eq_ignore_ascii_case(&file),
        "{} vs {file}",
        this.name
    );
    assert!(
        this.exe
            .as_deref()
            .is_some_and(|e| e.to_ascii_lowercase().ends_with(&file.to_ascii_lowercase())),
        "{:?}",
        this.exe
    );
    // Through the inventory's source as well (not the same count: Wine starts and ends its own
    // processes between the two snapshots).
    assert!(LiveHost.processes().iter().any(|p| p.pid == me));
}

#[test]
fn the_whole_inventory_is_windows_with_services() {
    let inv = daicho_inventory::collect(&LiveHost);
    assert_eq!(inv.os.id.as_deref(), Some("windows"));
    assert!(inv.os.build.is_some());
    assert!(!inv.system_services.is_empty());
    assert!(!inv.processes.is_empty());
    assert!(inv.interfaces.iter().any(|i| !i.addresses.is_empty()));
}

#[test]
fn the_domain_or_workgroup_is_named() {
    let (status, name) = LiveWindows
        .join_information()
        .expect("NetGetJoinInformation");
    let membership = daicho_inventory::join::membership(status, &name)
        .unwrap_or_else(|| panic!("status {status} ({name:?}) is a documented join status"));
    // A PC (and Wine, which reports a workgroup) is in a domain or a workgroup, by name.
    assert_ne!(
        membership.kind,
        daicho_model::inventory::MembershipKind::Unjoined
    );
    assert!(membership.name.is_some_and(|n| !n.is_empty()), "{name:?}");
}
