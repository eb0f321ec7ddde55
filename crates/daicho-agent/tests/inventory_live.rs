//! `daicho-agent inventory --format json` on this very machine, checked against the system's
//! own tools: `ss -ltnup` for listening sockets, `dpkg-query -W` for packages.

use std::collections::BTreeSet;
use std::net::{TcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use daicho_model::{LocalInventory, Protocol};

/// A real listener in another process, killed on drop.
struct Listener(Child);

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn python() -> &'static str {
    if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// `(protocol, port) -> pid` from `ss -ltnupH` (TCP LISTEN and unconnected UDP).
fn ss_listeners() -> BTreeSet<(Protocol, u16, Option<u32>)> {
    let out = Command::new("ss")
        .args(["-ltnupH"])
        .output()
        .expect("ss runs");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let protocol = match *fields.first()? {
                "tcp" => Protocol::Tcp,
                "udp" => Protocol::Udp,
                _ => return None,
            };
            let port = fields.get(4)?.rsplit(':').next()?.parse().ok()?;
            let pid = line
                .split("pid=")
                .nth(1)
                .and_then(|rest| rest.split(',').next())
                .and_then(|p| p.parse().ok());
            Some((protocol, port, pid))
        })
        .collect()
}

fn inventory_json() -> LocalInventory {
    let out = Command::new(env!("CARGO_BIN_EXE_daicho-agent"))
        .args(["inventory", "--format", "json"])
        .output()
        .expect("agent runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("inventory JSON parses as the wire model")
}

fn wait_for_listener(protocol: Protocol, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ss_listeners()
        .iter()
        .any(|(p, q, _)| *p == protocol && *q == port)
    {
        assert!(
            Instant::now() < deadline,
            "listener on {port} never appeared"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn listening_sockets_match_ss_with_their_processes() {
    let tcp_port = free_port();
    let udp_port = free_udp_port();
    let http = Listener(
        Command::new(python())
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &tcp_port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 http.server starts"),
    );
    let udp = Listener(
        Command::new(python())
            .args([
                "-c",
                &format!(
                    "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('127.0.0.1',{udp_port}))\ntime.sleep(120)"
                ),
            ])
            .spawn()
            .expect("python3 udp listener starts"),
    );
    wait_for_listener(Protocol::Tcp, tcp_port);
    wait_for_listener(Protocol::Udp, udp_port);

    // Other programs on this machine may open or close sockets meanwhile: compare against what
    // ss saw both before and after the inventory.
    let before = ss_listeners();
    let inventory = inventory_json();
    let after = ss_listeners();
    let stable: BTreeSet<_> = before.intersection(&after).copied().collect();
    let ours: BTreeSet<(Protocol, u16)> = inventory
        .listening
        .iter()
        .map(|s| (s.protocol, s.port))
        .collect();

    for (protocol, port, pid) in &stable {
        assert!(
            ours.contains(&(*protocol, *port)),
            "ss lists {protocol:?} port {port}, the inventory does not: {:?}",
            inventory.listening
        );
        if let Some(pid) = pid {
            assert!(
                inventory
                    .listening
                    .iter()
                    .any(|s| s.protocol == *protocol && s.port == *port && s.pid == Some(*pid)),
                "ss says pid {pid} owns {protocol:?} {port}; inventory: {:?}",
                inventory.listening
            );
        }
    }
    let seen_by_ss: BTreeSet<(Protocol, u16)> =
        before.union(&after).map(|(p, q, _)| (*p, *q)).collect();
    for socket in &ours {
        assert!(
            seen_by_ss.contains(socket),
            "inventory lists {socket:?}, ss never did"
        );
    }

    for (child, protocol, port) in [
        (&http, Protocol::Tcp, tcp_port),
        (&udp, Protocol::Udp, udp_port),
    ] {
        let socket = inventory
            .listening
            .iter()
            .find(|s| s.protocol == protocol && s.port == port)
            .unwrap_or_else(|| panic!("{protocol:?} {port} missing"));
        assert_eq!(socket.address, std::net::IpAddr::from([127, 0, 0, 1]));
        assert_eq!(socket.pid, Some(child.0.id()));
        let exe = std::fs::read_link(format!("/proc/{}/exe", child.0.id())).unwrap();
        assert_eq!(socket.exe.as_deref(), Some(exe.to_str().unwrap()));
        assert!(
            socket.process.as_deref().unwrap().starts_with("python3"),
            "{socket:?}"
        );
        // The owner is also in the process list.
        assert!(inventory.processes.iter().any(|p| p.pid == child.0.id()));
    }
}

/// Installed `(name, version, arch)` according to `dpkg-query -W`.
fn dpkg_query_installed() -> BTreeSet<(String, String, String)> {
    let out = Command::new("dpkg-query")
        .args([
            "-W",
            "-f",
            "${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n",
        ])
        .output()
        .expect("dpkg-query runs");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            // Second letter of the abbreviation is the current state: `i` = installed.
            (fields.len() == 4 && fields[0].as_bytes().get(1) == Some(&b'i')).then(|| {
                (
                    fields[1].to_owned(),
                    fields[2].to_owned(),
                    fields[3].to_owned(),
                )
            })
        })
        .collect()
}

#[test]
fn packages_match_dpkg_query() {
    // apt may run on this machine meanwhile: compare against dpkg-query before and after.
    let before = dpkg_query_installed();
    let inventory = inventory_json();
    let after = dpkg_query_installed();
    let ours: BTreeSet<(String, String, String)> = inventory
        .packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.arch.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert!(before.len() > 50, "this machine has a real package set");
    let stable: BTreeSet<_> = before.intersection(&after).cloned().collect();
    let missing: Vec<_> = stable.difference(&ours).collect();
    assert!(
        missing.is_empty(),
        "dpkg-query lists, inventory does not: {missing:?}"
    );
    let all: BTreeSet<_> = before.union(&after).cloned().collect();
    let extra: Vec<_> = ours.difference(&all).collect();
    assert!(
        extra.is_empty(),
        "inventory lists, dpkg-query never did: {extra:?}"
    );
    assert_eq!(
        ours.len(),
        inventory.packages.len(),
        "no package listed twice"
    );
}

#[test]
fn identity_matches_the_system_files() {
    let inventory = inventory_json();
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(inventory.hostname, hostname.trim());
    if let Ok(id) = std::fs::read_to_string("/etc/machine-id") {
        assert_eq!(inventory.machine_id.as_deref(), Some(id.trim()));
    }
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(inventory.os.kernel.as_deref(), Some(kernel.trim()));
    assert!(inventory.os.id.is_some(), "os-release read");
    assert!(inventory.interfaces.iter().any(|i| i.name == "lo"));
    assert!(inventory.taken_at.is_some());
}
