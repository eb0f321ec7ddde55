//! The whole collection on a fake host serving fixture text.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use daicho_model::Protocol;
use daicho_model::inventory::{MembershipKind, Process};

use super::{collect_unix, collect_windows};
use crate::ip_tables::TableKind;
use crate::registry::{RegData, RegValues};
use crate::scm::ServiceRecord;
use crate::source::{CommandOutput, HostSource, InterfaceAddresses};
use crate::windows_source::{Hive, RegKey, RegView, WindowsSource};

#[derive(Default)]
struct FakeHost {
    files: HashMap<PathBuf, Vec<u8>>,
    links: HashMap<PathBuf, PathBuf>,
    denied_dirs: Vec<PathBuf>,
    commands: HashMap<String, CommandOutput>,
    processes: Vec<Process>,
}

impl FakeHost {
    fn file(mut self, path: &str, text: &str) -> Self {
        self.files.insert(path.into(), text.as_bytes().to_vec());
        self
    }
    fn link(mut self, path: &str, target: &str) -> Self {
        self.links.insert(path.into(), target.into());
        self
    }
    fn command(mut self, line: &str, stdout: &str) -> Self {
        self.commands.insert(
            line.to_owned(),
            CommandOutput {
                success: true,
                stdout: stdout.to_owned(),
                stderr: String::new(),
            },
        );
        self
    }
    fn process(mut self, pid: u32, name: &str, exe: &str) -> Self {
        self.processes.push(Process {
            pid,
            name: name.into(),
            exe: Some(exe.into()),
            user: Some("root".into()),
        });
        self
    }
}

impl HostSource for FakeHost {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        if self.denied_dirs.iter().any(|d| d == path) {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        let mut names: Vec<String> = self
            .files
            .keys()
            .chain(self.links.keys())
            .chain(self.denied_dirs.iter())
            .filter_map(|p| p.strip_prefix(path).ok())
            .filter_map(|rest| rest.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names.dedup();
        if names.is_empty() {
            Err(io::Error::from(io::ErrorKind::NotFound))
        } else {
            Ok(names)
        }
    }
    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        self.links
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
    fn exists(&self, path: &Path) -> bool {
        self.files.contains_key(path) || self.list_dir(path).is_ok()
    }
    fn run(&self, program: &str, args: &[&str]) -> io::Result<CommandOutput> {
        let line = std::iter::once(program)
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        self.commands
            .get(&line)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
    fn processes(&self) -> Vec<Process> {
        self.processes.clone()
    }
    fn interfaces(&self) -> Vec<InterfaceAddresses> {
        Vec::new()
    }
    fn hostname(&self) -> Option<String> {
        Some("fallback-name".into())
    }
    fn kernel(&self) -> Option<String> {
        Some("10.0.19045".into())
    }
}

const TCP_HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

fn debian_host() -> FakeHost {
    FakeHost::default()
        .file("/proc/sys/kernel/hostname", "reception-pc\n")
        .file("/proc/sys/kernel/osrelease", "6.1.0-26-amd64\n")
        .file("/etc/machine-id", "0123456789abcdef0123456789abcdef\n")
        .file(
            "/etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
        )
        .file("/etc/debian_version", "12.7\n")
        .file(
            "/var/lib/dpkg/status",
            "Package: nginx\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.22.1-9\n",
        )
        .file(
            "/var/log/dpkg.log",
            "2024-06-02 08:30:00 install nginx:amd64 <none> 1.22.1-9\n",
        )
        .file(
            "/var/log/apt/history.log",
            "Start-Date: 2024-09-01  10:00:00\nUpgrade: libc6:amd64 (1, 2)\nEnd-Date: 2024-09-01  10:05:00\n",
        )
        .file(
            "/proc/net/tcp",
            &format!(
                "{TCP_HEADER}   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0 100 0 0 10 0\n   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 888 1 0 100 0 0 10 0\n"
            ),
        )
        .file("/proc/net/udp", TCP_HEADER)
        .link("/proc/100/fd/3", "socket:[777]")
        .link("/proc/100/fd/0", "/dev/null")
        .process(100, "nginx", "/usr/sbin/nginx")
}

#[test]
fn debian_inventory_from_fixture_files() {
    let inv = collect_unix(&debian_host());
    assert_eq!(inv.hostname, "reception-pc");
    assert_eq!(
        inv.machine_id.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert_eq!(inv.os.id.as_deref(), Some("debian"));
    assert_eq!(inv.os.build.as_deref(), Some("12.7"));
    assert_eq!(inv.os.kernel.as_deref(), Some("6.1.0-26-amd64"));
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].name, "nginx");
    // The apt transaction is later than the dpkg.log line.
    let last = inv.last_updated.unwrap().with_timezone(&chrono::Local);
    assert_eq!(
        last.format("%Y-%m-%d %H:%M").to_string(),
        "2024-09-01 10:05"
    );
    assert_eq!(inv.processes.len(), 1);
}

#[test]
#[cfg(target_endian = "little")]
fn listening_sockets_get_their_owner_or_an_explanation() {
    let mut host = debian_host();
    host.denied_dirs.push("/proc/200/fd".into());
    let inv = collect_unix(&host);
    assert_eq!(inv.listening.len(), 2);
    let ssh = &inv.listening[0];
    assert_eq!((ssh.protocol, ssh.port, ssh.pid), (Protocol::Tcp, 22, None));
    let http = &inv.listening[1];
    assert_eq!(http.port, 80);
    assert_eq!(http.pid, Some(100));
    assert_eq!(http.process.as_deref(), Some("nginx"));
    assert_eq!(http.exe.as_deref(), Some("/usr/sbin/nginx"));
    assert!(
        inv.notes
            .iter()
            .any(|n| n.contains("1 listening sockets without a known owner")),
        "{:?}",
        inv.notes
    );
}

#[test]
fn no_systemd_means_no_services_and_a_note() {
    let inv = collect_unix(&debian_host());
    assert!(inv.system_services.is_empty());
    assert!(
        inv.notes
            .iter()
            .any(|n| n.contains("systemd is not the running init"))
    );
}

#[test]
fn systemd_services_are_listed_when_systemd_runs() {
    let host = debian_host()
        .file("/run/systemd/system/.marker", "")
        .command(
            "systemctl list-units --type=service --state=running --no-legend --plain --no-pager",
            "ssh.service loaded active running OpenBSD Secure Shell server\n",
        );
    let inv = collect_unix(&host);
    assert_eq!(inv.system_services.len(), 1);
    assert_eq!(inv.system_services[0].name, "ssh.service");
}

#[test]
fn rpm_host_without_dpkg() {
    let host = FakeHost::default()
        .file("/etc/os-release", "ID=\"rhel\"\nVERSION_ID=\"9.4\"\n")
        .file(
            "/etc/redhat-release",
            "Red Hat Enterprise Linux release 9.4 (Plow)\n",
        )
        .command(
            "rpm -qa --queryformat %{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{INSTALLTIME}\\n",
            "openssl\t3.0.7-27.el9\tx86_64\t1717000000\n",
        );
    let inv = collect_unix(&host);
    assert_eq!(inv.hostname, "fallback-name");
    assert_eq!(inv.os.build.as_deref(), Some("9.4"));
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(
        inv.last_updated,
        chrono::DateTime::from_timestamp(1_717_000_000, 0)
    );
    assert!(inv.notes.iter().any(|n| n.contains("no machine id")));
}

#[test]
fn no_package_manager_is_explained() {
    let inv = collect_unix(&FakeHost::default());
    assert!(inv.packages.is_empty());
    assert!(
        inv.notes
            .iter()
            .any(|n| n.contains("neither dpkg") && n.contains("nor rpm"))
    );
}

/// A Windows API serving fixture data built from Microsoft's documented formats (value names
/// and types of `CurrentVersion` and the Uninstall keys, SCM numbers, `MIB_*_OWNER_PID` rows);
/// not captured from a real machine.
#[derive(Default)]
struct FakeWindows {
    keys: HashMap<(Hive, RegView, String), RegValues>,
    services: Vec<ServiceRecord>,
    tables: HashMap<TableKind, Vec<u8>>,
    join: Option<(i32, String)>,
}

impl FakeWindows {
    fn key(mut self, hive: Hive, view: RegView, path: &str, values: &[(&str, RegData)]) -> Self {
        let values = values
            .iter()
            .map(|(n, d)| ((*n).to_owned(), d.clone()))
            .collect();
        self.keys.insert((hive, view, path.to_owned()), values);
        self
    }
}

impl WindowsSource for FakeWindows {
    fn registry_values(&self, key: RegKey<'_>) -> io::Result<RegValues> {
        self.keys
            .get(&(key.hive, key.view, key.path.to_owned()))
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
    fn registry_subkeys(&self, key: RegKey<'_>) -> io::Result<Vec<String>> {
        let prefix = format!("{}\\", key.path);
        let subkeys: Vec<String> = self
            .keys
            .keys()
            .filter(|(h, v, _)| *h == key.hive && *v == key.view)
            .filter_map(|(_, _, p)| p.strip_prefix(&prefix).map(str::to_owned))
            .collect();
        if subkeys.is_empty() {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        Ok(subkeys)
    }
    fn services(&self) -> io::Result<Vec<ServiceRecord>> {
        Ok(self.services.clone())
    }
    fn socket_table(&self, kind: TableKind) -> io::Result<Vec<u8>> {
        match self.tables.get(&kind) {
            Some(t) => Ok(t.clone()),
            None => Err(io::Error::from(io::ErrorKind::PermissionDenied)),
        }
    }
    fn join_information(&self) -> io::Result<(i32, String)> {
        self.join
            .clone()
            .ok_or_else(|| io::Error::from(io::ErrorKind::PermissionDenied))
    }
}

fn text(t: &str) -> RegData {
    RegData::Text(t.into())
}

/// A Windows 10 22H2 PC with an old UBR and a remote-support tool installed.
fn windows_10_pc() -> FakeWindows {
    let uninstall = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";
    let mut tcp = 1u32.to_le_bytes().to_vec();
    tcp.extend(2u32.to_le_bytes()); // MIB_TCP_STATE_LISTEN
    tcp.extend([0, 0, 0, 0]);
    tcp.extend([0x0d, 0x3d, 0, 0]); // port 3389, network order
    tcp.extend([0u8; 8]);
    tcp.extend(900u32.to_le_bytes());
    let mut fake = FakeWindows::default()
        .key(
            Hive::LocalMachine,
            RegView::Bits64,
            r"SOFTWARE\Microsoft\Windows NT\CurrentVersion",
            &[
                ("ProductName", text("Windows 10 Pro")),
                ("CurrentBuild", text("19045")),
                ("CurrentMajorVersionNumber", RegData::Number(10)),
                ("CurrentMinorVersionNumber", RegData::Number(0)),
                ("DisplayVersion", text("22H2")),
                ("UBR", RegData::Number(2006)),
            ],
        )
        .key(
            Hive::LocalMachine,
            RegView::Bits64,
            r"SOFTWARE\Microsoft\Cryptography",
            &[("MachineGuid", text("abc-123"))],
        )
        .key(
            Hive::LocalMachine,
            RegView::Bits64,
            &format!(r"{uninstall}\{{PACS}}"),
            &[
                ("DisplayName", text("PACS Viewer")),
                ("DisplayVersion", text("3.2")),
            ],
        )
        .key(
            Hive::LocalMachine,
            RegView::Bits32,
            &format!(r"{uninstall}\TeamViewer"),
            &[
                ("DisplayName", text("TeamViewer")),
                ("DisplayVersion", text("15.40.8")),
            ],
        )
        .key(
            Hive::CurrentUser,
            RegView::Bits64,
            &format!(r"{uninstall}\TeamViewer"),
            &[
                ("DisplayName", text("TeamViewer")),
                ("DisplayVersion", text("15.40.8")),
            ],
        );
    fake.services = vec![ServiceRecord {
        name: "TermService".into(),
        display_name: "Remote Desktop Services".into(),
        service_type: 0x20,
        current_state: 4,
        process_id: 900,
        start_type: Some(3),
        delayed_auto_start: false,
    }];
    fake.tables.insert(TableKind::Tcp4, tcp);
    fake.tables
        .insert(TableKind::Tcp6, 0u32.to_le_bytes().to_vec());
    // A UDP row with no owner (pid 0), as Wine fills them.
    let mut udp = 1u32.to_le_bytes().to_vec();
    udp.extend([0, 0, 0, 0]);
    udp.extend([0, 137, 0, 0]);
    udp.extend(0u32.to_le_bytes());
    fake.tables.insert(TableKind::Udp4, udp);
    fake.join = Some((crate::join::NETSETUP_DOMAIN_NAME, "HOSPITAL".into()));
    fake
}

#[test]
fn windows_inventory_through_the_api() {
    let host = FakeHost::default()
        .command(
            &format!(
                "powershell -NoProfile -NonInteractive -Command {}",
                crate::windows::HOTFIX_SCRIPT
            ),
            "KB5044277\t2024-10-08\r\nKB5043050\t2024-09-10\r\n",
        )
        .command(
            &format!(
                "powershell -NoProfile -NonInteractive -Command {}",
                crate::security_center::ANTIVIRUS_SCRIPT
            ),
            "SecurityCenter2\t1\r\nWindows Defender\t397568\r\n",
        )
        .process(900, "svchost.exe", r"C:\Windows\System32\svchost.exe");
    let inv = collect_windows(&host, &windows_10_pc());
    assert_eq!(inv.os.id.as_deref(), Some("windows"));
    assert_eq!(inv.os.name.as_deref(), Some("Windows 10 Pro"));
    assert_eq!(inv.os.version.as_deref(), Some("10.0.19045"));
    assert_eq!(inv.os.build.as_deref(), Some("19045.2006"));
    assert_eq!(inv.os.display_version.as_deref(), Some("22H2"));
    assert_eq!(inv.machine_id.as_deref(), Some("abc-123"));
    // Both views and the per-user key; the program listed twice is kept once.
    let programs: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(programs, ["PACS Viewer", "TeamViewer"]);
    assert_eq!(inv.hotfixes.len(), 2);
    assert_eq!(
        inv.last_updated.unwrap().date_naive().to_string(),
        "2024-10-08"
    );
    assert_eq!(inv.listening.len(), 2);
    assert_eq!(inv.listening[0].port, 3389);
    assert_eq!(inv.listening[0].pid, Some(900));
    assert_eq!(inv.listening[0].process.as_deref(), Some("svchost.exe"));
    // The service that listens: what 2-⑫ asks about, not just "svchost.exe".
    assert_eq!(inv.listening[0].services, ["TermService"]);
    assert!(inv.listening[1].services.is_empty());
    assert_eq!(inv.listening[1].port, 137);
    assert_eq!(inv.listening[1].pid, None);
    assert!(
        inv.notes
            .iter()
            .any(|n| n.starts_with("1 listening sockets without a known owner"))
    );
    let membership = inv.membership.as_ref().unwrap();
    assert_eq!(membership.kind, MembershipKind::Domain);
    assert_eq!(membership.name.as_deref(), Some("HOSPITAL"));
    assert_eq!(inv.antivirus.len(), 1);
    assert_eq!(inv.antivirus[0].name, "Windows Defender");
    assert_eq!(inv.antivirus[0].enabled, Some(true));
    assert_eq!(inv.system_services[0].name, "TermService");
    assert_eq!(inv.system_services[0].state, "running");
    assert_eq!(inv.system_services[0].start_type.as_deref(), Some("demand"));
    // The UDP6 table was refused: explained, not silently empty.
    assert!(
        inv.notes
            .iter()
            .any(|n| n.contains("Udp6") && n.contains("not read")),
        "{:?}",
        inv.notes
    );
}

#[test]
fn windows_without_readable_version_or_powershell_says_so() {
    let inv = collect_windows(&FakeHost::default(), &FakeWindows::default());
    assert_eq!(inv.os.id.as_deref(), Some("windows"));
    assert_eq!(inv.os.build, None);
    assert!(inv.packages.is_empty());
    assert_eq!(inv.membership, None);
    assert!(inv.antivirus.is_empty());
    for expected in [
        "Windows version unknown",
        "MachineGuid",
        "PowerShell could not be run",
        "antivirus not listed: PowerShell could not be run",
        "domain or workgroup unknown: NetGetJoinInformation failed",
    ] {
        assert!(
            inv.notes.iter().any(|n| n.contains(expected)),
            "{expected}: {:?}",
            inv.notes
        );
    }
}

#[test]
fn windows_server_without_security_center_says_so() {
    let host = FakeHost::default().command(
        &format!(
            "powershell -NoProfile -NonInteractive -Command {}",
            crate::security_center::ANTIVIRUS_SCRIPT
        ),
        "NoSecurityCenter2\tInvalid namespace \r\n",
    );
    let server = FakeWindows {
        join: Some((crate::join::NETSETUP_WORKGROUP_NAME, "WORKGROUP".into())),
        ..FakeWindows::default()
    };
    let inv = collect_windows(&host, &server);
    assert!(inv.antivirus.is_empty());
    assert_eq!(
        inv.membership.map(|m| (m.kind, m.name)),
        Some((MembershipKind::Workgroup, Some("WORKGROUP".into())))
    );
    assert!(
        inv.notes.iter().any(|n| n.contains("root/SecurityCenter2")
            && n.contains("Windows Server")
            && n.ends_with("Invalid namespace")),
        "{:?}",
        inv.notes
    );
}
